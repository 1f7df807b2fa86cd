using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Core.Engine;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs.Replay;

/// <summary>
/// The part of a source's configuration section that a replay needs: what to read and how to narrow it (targets,
/// filters, registries), without what only says how to reach or authenticate to a service or where a run keeps state.
/// Recorded in each statement (for <c>verify --replay</c>) and in each recorded test case.
/// </summary>
internal static class ReplaySettings
{
    // Credentials' locations are not an auditor's or a reviewer's business, and replay, ETag cache folders are local.
    private static readonly string[] Dropped = ["replay", "etagCache", "tokenEnv", "app", "credential"];

    /// <summary>The sections of <paramref name="sources"/> in <paramref name="cfg"/>, each without credentials and local folders.</summary>
    public static Dictionary<string, JsonElement> Sections(EvidenceBotConfig cfg, IEnumerable<string> sources)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var source in sources.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (cfg.Section(source) is { } section)
                result[source] = JsonSerializer.SerializeToElement(Strip(JsonNode.Parse(section.GetRawText())!));
        }

        return result;
    }

    /// <summary>Every execution of <paramref name="result"/> with the sections of the sources its rule lists.</summary>
    public static RunResult Attach(RunResult result, RuleSet set, EvidenceBotConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(set);
        var byRule = set.Rules.GroupBy(r => r.Manifest.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Sections(cfg, g.First().Manifest.Sources), StringComparer.Ordinal);
        return result with
        {
            Rules = [.. result.Rules.Select(r => byRule.TryGetValue(r.RuleId, out var s) && s.Count > 0 ? r with { SourceSettings = s } : r)],
        };
    }

    private static JsonNode Strip(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in Dropped)
                    o.Remove(key);
                foreach (var (_, child) in o.ToList())
                {
                    if (child is not null)
                        Strip(child);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                        Strip(child);
                }

                break;
        }

        return node;
    }
}
