using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
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

    /// <summary>
    /// The sections of <paramref name="sources"/> in <paramref name="cfg"/>, each without credentials and local folders,
    /// and with every configured secret masked by <paramref name="redactor"/> (a secret has no business in a section, but
    /// a URL with a password in it would otherwise be signed into evidence).
    /// </summary>
    public static Dictionary<string, JsonElement> Sections(EvidenceBotConfig cfg, IEnumerable<string> sources, Redactor redactor)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var source in sources.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (cfg.Section(source) is { } section)
            {
                var text = Strip(JsonNode.Parse(section.GetRawText())!).ToJsonString();
                result[source] = JsonDocument.Parse(redactor.HasSecrets ? redactor.Text(text) : text).RootElement.Clone();
            }
        }

        return result;
    }

    /// <summary>Every execution of <paramref name="result"/> with the sections of the sources its rule lists.</summary>
    public static RunResult Attach(RunResult result, RuleSet set, EvidenceBotConfig cfg, Redactor redactor)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(set);
        var byRule = set.Rules.GroupBy(r => r.Manifest.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Sections(cfg, g.First().Manifest.Sources, redactor), StringComparer.Ordinal);
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
