using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs;

/// <summary>What a run will execute, and which rules it will not run and why.</summary>
internal sealed record RunPlan(List<RuleExecution> Executions, List<SkippedRule> Skipped);

/// <summary>Turns a rule set and a configuration into (rule × target) executions with effective parameters.</summary>
internal static class RunPlanner
{
    public const string DefaultTarget = "default";

    /// <summary>Joins the target of each source of a rule that lists several.</summary>
    public const string TargetSeparator = " + ";

    /// <summary>
    /// A rule that lists no source runs once (target <c>default</c>). A rule that lists one source runs once per target of
    /// that source (an organisation, a subscription, a registry), with that target's services. A rule that lists several
    /// runs once per combination of their targets, in header order (target names joined by " + "), with the services of
    /// every source for that combination. A rule that lists a source the configuration does not set up is skipped, with
    /// the reason: it is evidence of nothing.
    /// </summary>
    public static RunPlan Plan(RuleSet set, EvidenceBotConfig cfg, OpenSources sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var executions = new List<RuleExecution>();
        var skipped = new List<SkippedRule>();
        foreach (var rule in set.Rules)
        {
            var parameters = EffectiveParameters(rule.Manifest, cfg);
            var listed = rule.Manifest.Sources.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            // A rule listing a source with no module failed to load; it runs as the error it is.
            if (rule.Program is null || listed.Count == 0)
            {
                executions.Add(new RuleExecution(rule, DefaultTarget, parameters));
                continue;
            }

            var missing = listed.Where(s => !sources.IsConfigured(s)).ToList();
            if (missing.Count > 0)
            {
                skipped.Add(new SkippedRule(rule.Manifest.Id, rule.Manifest.SourcePath,
                    $"source{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => "'" + m + "'"))} not configured for this run (no '{missing[0]}' section in the configuration)"));
                continue;
            }

            IEnumerable<(string Target, Dictionary<Type, object> Services)> combinations = [("", new Dictionary<Type, object>())];
            foreach (var source in listed)
            {
                var session = sources.Session(source);
                combinations = combinations.SelectMany(c => session.Targets.Select(t =>
                {
                    var services = new Dictionary<Type, object>(c.Services);
                    foreach (var (type, service) in session.ServicesFor(t))
                        services[type] = service;
                    return (c.Target.Length == 0 ? t : c.Target + TargetSeparator + t, services);
                }));
            }

            executions.AddRange(combinations.Select(c => new RuleExecution(rule, c.Target, parameters, c.Services)));
        }

        return new RunPlan(executions, skipped);
    }

    /// <summary>
    /// The executions shard <paramref name="shard"/> runs. A rule listing a source that partitions inside its targets
    /// (GitHub: each shard sees its part of every organisation's repositories) runs in every shard; any other execution
    /// runs in the one shard that owns its target by a stable hash, so all rules of one subscription or registry run
    /// together and share its answers.
    /// </summary>
    public static List<RuleExecution> Shard(IEnumerable<RuleExecution> executions, ShardFilter shard, OpenSources sources)
    {
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(sources);
        return [.. executions.Where(e =>
            (e.Rule.Program is not null && e.Rule.Manifest.Sources.Any(s => sources.IsOpen(s) && sources.Session(s).PartitionsWithinTargets))
            || shard.Owns(e.Target))];
    }

    /// <summary>
    /// Hex SHA-256 over the rule files a run loaded: each path relative to the rules folder and its bytes' digest, in
    /// path order. Shards of one run must agree on it.
    /// </summary>
    public static string RulesDigest(IReadOnlyDictionary<string, byte[]> sources, string rulesDirectory)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var lines = sources
            .Select(s => (Path: Path.GetRelativePath(rulesDirectory, s.Key).Replace('\\', '/'), Sha: Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(s.Value))))
            .OrderBy(s => s.Path, StringComparer.Ordinal)
            .Select(s => $"{s.Path}\u0000{s.Sha}\n");
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Concat(lines))));
    }

    /// <summary>The sources the loaded rules list: the only ones a run opens.</summary>
    public static IReadOnlySet<string> SourcesUsed(RuleSet set) =>
        set.Rules.Where(r => r.Program is not null).SelectMany(r => r.Manifest.Sources).ToHashSet(StringComparer.OrdinalIgnoreCase);

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

/// <summary>
/// The sources one run opened from its configuration: only those that a rule of the run lists and the configuration
/// sets up. Disposed when the run ends.
/// </summary>
internal sealed class OpenSources : IDisposable
{
    private readonly Dictionary<string, ISourceSession> _sessions;
    private readonly HashSet<string> _configured;

    private OpenSources(Dictionary<string, ISourceSession> sessions, HashSet<string> configured, Redactor redactor)
    {
        _sessions = sessions;
        _configured = configured;
        Redactor = redactor;
    }

    /// <summary>Masks every configured secret and every token the sources use.</summary>
    public Redactor Redactor { get; }

    /// <summary>True when the configuration has a section for <paramref name="source"/>.</summary>
    public bool IsConfigured(string source) => _configured.Contains(source);

    /// <summary>True when the run opened <paramref name="source"/> (configured and listed by a rule).</summary>
    public bool IsOpen(string source) => _sessions.ContainsKey(source);

    /// <summary>The open session of <paramref name="source"/>; it must be configured and used.</summary>
    public ISourceSession Session(string source) => _sessions[source];

    /// <summary>
    /// The summary lines of the sources rules asked anything, in module order; a source that waited for (or gave up on)
    /// a rate limit says so at the end of its line.
    /// </summary>
    public IEnumerable<string> Summaries() => _sessions.Values
        .Select(s => s.Summary() is { } line && s.Usage()?.Describe() is { } waits ? $"{line}; {waits}" : s.Summary())
        .OfType<string>();

    /// <summary>Each open source's rate-limit usage under its module name; zeros for a source that counts none.</summary>
    public IEnumerable<SourceUsage> Usage() => _sessions.Select(s => (s.Value.Usage() ?? new SourceUsage { Source = s.Key }) with { Source = s.Key });

    /// <summary>
    /// Opens, of <paramref name="modules"/>, those configured in <paramref name="cfg"/> and listed by a rule in
    /// <paramref name="used"/>. Every problem is a <see cref="ConfigException"/> naming the JSON path and what to do.
    /// <paramref name="environment"/> reads environment variables (injectable for tests).
    /// </summary>
    public static OpenSources Open(EvidenceBotConfig cfg, IReadOnlyList<ISourceModule> modules, IReadOnlySet<string> used, TimeProvider time,
        Func<string, string?>? environment = null, IExchangeSink? sink = null, ShardFilter? shard = null)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var env = environment ?? Environment.GetEnvironmentVariable;
        var redactor = new Redactor((cfg.Secrets ?? []).Select(name => env(name)).OfType<string>());
        var configured = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var sessions = new Dictionary<string, ISourceSession>(StringComparer.OrdinalIgnoreCase);
        try
        {
            foreach (var module in modules)
            {
                if (cfg.Section(module.Name) is not { } section)
                    continue;
                configured.Add(module.Name);
                if (!used.Contains(module.Name))
                    continue; // never opened: a run whose rules do not use a source does not load its SDK
                sessions[module.Name] = module.Open(new SourceSettings
                {
                    Section = section,
                    Path = "$." + module.Name,
                    ResolvePath = p => cfg.Resolve(p)!,
                    Environment = env,
                    Time = time,
                    Redactor = redactor,
                    Sink = sink,
                    Shard = shard,
                });
            }
        }
        catch (SourceConfigException ex)
        {
            foreach (var s in sessions.Values)
                s.Dispose();
            throw new ConfigException(ex.Message);
        }

        return new OpenSources(sessions, configured, redactor);
    }

    public void Dispose()
    {
        foreach (var s in _sessions.Values)
            s.Dispose();
    }
}
