using System.Text.Json;
using EvidenceBot.Cli.Configuration;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary>Turns a rule set and a configuration into (rule × target) executions with effective parameters.</summary>
internal static class RunPlanner
{
    public const string DefaultTarget = "default";

    public static List<RuleExecution> Plan(RuleSet set, EvidenceBotConfig cfg)
    {
        var executions = new List<RuleExecution>();
        foreach (var rule in set.Rules)
            executions.Add(new RuleExecution(rule, DefaultTarget, EffectiveParameters(rule.Manifest, cfg)));
        return executions;
    }

    public static Dictionary<string, JsonElement> EffectiveParameters(RuleManifest manifest, EvidenceBotConfig cfg)
    {
        var result = new Dictionary<string, JsonElement>(manifest.Parameters, StringComparer.Ordinal);
        if (cfg.Parameters is null || !cfg.Parameters.TryGetValue(manifest.Id, out var overrides))
            return result;
        foreach (var (name, value) in overrides)
        {
            if (!manifest.Parameters.TryGetValue(name, out var declared))
                throw new ConfigException($"$.parameters.{manifest.Id}.{name}: rule {manifest.Id} declares no parameter '{name}'; it declares: {string.Join(", ", manifest.Parameters.Keys.DefaultIfEmpty("(none)"))}");
            if (declared.ValueKind != value.ValueKind && !(IsBool(declared) && IsBool(value)))
                throw new ConfigException($"$.parameters.{manifest.Id}.{name}: expected a {Kind(declared)} like the header default {declared.GetRawText()}, found {value.GetRawText()}");
            result[name] = value;
        }

        return result;
    }

    private static bool IsBool(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False;

    private static string Kind(JsonElement e) => IsBool(e) ? "boolean" : e.ValueKind.ToString().ToLowerInvariant();

    public static IEnumerable<RuleExecution> Unreadable(RuleSet set)
    {
        var readable = set.Rules.Select(r => r.Manifest.SourcePath).ToHashSet(StringComparer.Ordinal);
        foreach (var group in set.Diagnostics.Where(d => d.RuleId is null || !set.Rules.Any(r => r.Manifest.Id == d.RuleId))
                     .GroupBy(d => d.Location.File)
                     .Where(g => !readable.Contains(g.Key) && g.Key.EndsWith(".csx", StringComparison.OrdinalIgnoreCase)))
        {
            var manifest = new RuleManifest
            {
                Id = "file:" + group.Key,
                Title = "(rule header could not be read)",
                SourcePath = group.Key,
                SourceSha256 = "",
            };
            yield return new RuleExecution(new LoadedRule(manifest, null, [.. group]), DefaultTarget, new Dictionary<string, JsonElement>());
        }
    }
}
