using System.Text.Json;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Engine;

/// <summary>Why shard runs cannot be merged: the message names the shard and what to do.</summary>
public sealed class ShardMergeException(string message) : Exception(message);

/// <summary>
/// Merges the results of the shards of one run (<c>run --shard I/N</c>, every I of N) into the results of the whole run.
/// </summary>
public static class ShardMerge
{
    /// <summary>
    /// Checks that <paramref name="shards"/> are every shard of one split run exactly once (same count, same engine, same
    /// rules), then unites their executions. An execution that several shards ran (a rule over a GitHub organisation,
    /// whose repositories the shards split) becomes one: its findings, faults and log lines are the union of the shards'
    /// where a line that several shards recorded alike (the organisation's own settings) counts as often as the one shard
    /// that recorded it most, its error names each shard's, and its verdict is aggregated again from all of that, so an
    /// error or a failure in any shard is never hidden. Executions are ordered by rule file, then target.
    /// </summary>
    /// <param name="shards">Each shard's results, in any order.</param>
    /// <param name="runId">The merged run's id.</param>
    /// <param name="merged">The shards as the merged bundle holds them, in index order.</param>
    /// <exception cref="ShardMergeException">Missing, repeated or mismatched shards.</exception>
    public static RunResult Merge(IReadOnlyList<RunResult> shards, string runId, IReadOnlyList<MergedShard> merged)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(merged);
        Check(shards);
        var groups = new Dictionary<(string Rule, string Target), List<RuleExecutionResult>>();
        foreach (var shard in shards.OrderBy(s => s.Shard!.Index))
        {
            foreach (var execution in shard.Rules)
            {
                var key = (execution.RuleId, execution.Target);
                if (!groups.TryGetValue(key, out var list))
                    groups[key] = list = [];
                list.Add(execution);
            }
        }

        var rules = groups.Values.Select(Combine)
            .OrderBy(r => r.SourcePath, StringComparer.Ordinal).ThenBy(r => r.RuleId, StringComparer.Ordinal).ThenBy(r => r.Target, StringComparer.Ordinal)
            .ToList();
        var skipped = shards.SelectMany(s => s.Skipped ?? []).DistinctBy(s => (s.RuleId, s.SourcePath)).ToList();
        return new RunResult
        {
            RunId = runId,
            StartedAt = shards.Min(s => s.StartedAt),
            EndedAt = shards.Max(s => s.EndedAt),
            EngineVersion = shards[0].EngineVersion,
            Rules = rules,
            Skipped = skipped.Count > 0 ? skipped : null,
            Shards = merged,
        };
    }

    /// <summary>Every shard of one run, each once: the same count, engine version and rules.</summary>
    public static void Check(IReadOnlyList<RunResult> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0)
            throw new ShardMergeException("no shard given: pass the bundle of every shard of the run");
        var unsharded = shards.FirstOrDefault(s => s.Shard is null);
        if (unsharded is not null)
            throw new ShardMergeException($"run {unsharded.RunId} is not a shard (its results.json has no 'shard'): only the bundles of 'run --shard I/N' merge");
        var count = shards[0].Shard!.Count;
        var other = shards.FirstOrDefault(s => s.Shard!.Count != count);
        if (other is not null)
            throw new ShardMergeException($"run {other.RunId} is shard {other.Shard!.Index}/{other.Shard.Count} but run {shards[0].RunId} is shard {shards[0].Shard!.Index}/{count}: every shard of one run has the same N");
        var repeated = shards.GroupBy(s => s.Shard!.Index).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new ShardMergeException($"shard {repeated.Key}/{count} is given {repeated.Count()} times (runs {string.Join(", ", repeated.Select(s => s.RunId))}): give each shard's bundle once");
        var missing = Enumerable.Range(0, count).Except(shards.Select(s => s.Shard!.Index)).ToList();
        if (missing.Count > 0)
            throw new ShardMergeException($"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(i => $"{i}/{count}"))} missing: a merged run must hold every shard 0 to {count - 1}, or part of the estate would go unseen");
        var rules = shards[0].Shard!.RulesSha256;
        var differs = shards.FirstOrDefault(s => s.Shard!.RulesSha256 != rules);
        if (differs is not null)
            throw new ShardMergeException($"shard {differs.Shard!.Index}/{count} ran other rules than shard {shards[0].Shard!.Index}/{count} (rules digest {differs.Shard.RulesSha256} vs {rules}): run every shard from the same rules");
        var engine = shards.FirstOrDefault(s => s.EngineVersion != shards[0].EngineVersion);
        if (engine is not null)
            throw new ShardMergeException($"shard {engine.Shard!.Index}/{count} ran engine {engine.EngineVersion}, shard {shards[0].Shard!.Index}/{count} engine {shards[0].EngineVersion}: run every shard with the same EvidenceBot");
    }

    private static RuleExecutionResult Combine(List<RuleExecutionResult> parts)
    {
        var first = parts[0];
        if (parts.Count == 1)
            return first;
        foreach (var p in parts.Skip(1))
        {
            if (p.SourceSha256 != first.SourceSha256)
                throw new ShardMergeException($"{first.RuleId} on {first.Target}: the shards ran different rule sources ({p.SourceSha256} vs {first.SourceSha256}); run every shard from the same rules");
            if (Canonical(p.Parameters) != Canonical(first.Parameters))
                throw new ShardMergeException($"{first.RuleId} on {first.Target}: the shards ran with different parameters; run every shard with the same configuration");
        }

        var findings = Union(parts.Select(p => p.Findings), Canonical);
        var faults = Union(parts.Select(p => p.Faults), f => f);
        var log = Union(parts.Select(p => p.Log), l => l);
        var errors = parts.Select(p => p.Error).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var error = errors.Count == 0 ? null : string.Join(" | ", errors);
        return first with
        {
            Verdict = VerdictAggregator.Aggregate(findings, error, faults),
            Error = error,
            StartedAt = parts.Min(p => p.StartedAt),
            EndedAt = parts.Max(p => p.EndedAt),
            DurationMs = parts.Max(p => p.DurationMs),
            Findings = [.. findings.OrderBy(f => f.Resource, StringComparer.Ordinal)],
            Faults = faults,
            Log = log,
            LoadedSources = [.. parts.SelectMany(p => p.LoadedSources).Distinct(StringComparer.Ordinal)],
            Evidence = [],
        };
    }

    /// <summary>
    /// The union of several shards' lists, where an item several shards recorded alike appears as often as in the list
    /// that holds it most (the organisation's own settings, seen by every shard, stay one finding), in first-seen order.
    /// </summary>
    private static List<T> Union<T>(IEnumerable<IReadOnlyList<T>> lists, Func<T, string> key)
    {
        var most = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<(string Key, T Item)>();
        foreach (var list in lists)
        {
            var here = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var item in list)
            {
                var k = key(item);
                var n = here[k] = here.GetValueOrDefault(k) + 1;
                if (n > most.GetValueOrDefault(k))
                {
                    most[k] = n;
                    order.Add((k, item));
                }
            }
        }

        return [.. order.Select(o => o.Item)];
    }

    /// <summary>A finding as one comparable string: resource, status, message and the observed values written compactly.</summary>
    public static string Canonical(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        return string.Join('\u0000', finding.Resource, WireNames.Of(finding.Status), finding.Message,
            finding.Observed is { } o ? Compact(o) : "");
    }

    private static string Canonical(IReadOnlyDictionary<string, JsonElement> parameters) =>
        string.Join('\u0000', parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + Compact(p.Value)));

    private static string Compact(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            element.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
