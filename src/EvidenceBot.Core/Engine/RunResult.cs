using System.Text.Json.Serialization;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Engine;

/// <summary>The outcome of one rule against one target.</summary>
public sealed record RuleExecutionResult
{
    /// <summary>The rule id.</summary>
    [JsonPropertyName("id")] public required string RuleId { get; init; }

    /// <summary>The rule title.</summary>
    public required string Title { get; init; }

    /// <summary>The rule severity.</summary>
    public Severity Severity { get; init; }

    /// <summary>What it ran against.</summary>
    public required string Target { get; init; }

    /// <summary>The aggregated verdict.</summary>
    public required Verdict Verdict { get; init; }

    /// <summary>Why the verdict is <see cref="Verdict.Error"/>; null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>When the execution started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset EndedAt { get; init; }

    /// <summary>Wall time in milliseconds.</summary>
    public long DurationMs { get; init; }

    /// <summary>Effective parameters.</summary>
    public IReadOnlyDictionary<string, System.Text.Json.JsonElement> Parameters { get; init; } =
        new Dictionary<string, System.Text.Json.JsonElement>();

    /// <summary>The controls the rule maps to.</summary>
    public IReadOnlyList<ControlMapping> Controls { get; init; } = [];

    /// <summary>What the rule observed.</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>Source faults reported during the execution.</summary>
    public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>Lines the rule logged.</summary>
    public IReadOnlyList<string> Log { get; init; } = [];

    /// <summary>The raw exchanges the verdict rests on. Written to the bundle, not to results.json.</summary>
    [JsonIgnore] public IReadOnlyCollection<Evidence.HttpExchange> Evidence { get; init; } = [];

    /// <summary>The rule file.</summary>
    public string SourcePath { get; init; } = "";

    /// <summary>Hex SHA-256 of the rule source that ran.</summary>
    public string SourceSha256 { get; init; } = "";

    /// <summary>The files the rule <c>#load</c>s (<see cref="LoadedRule.LoadedSources"/>).</summary>
    public IReadOnlyList<string> LoadedSources { get; init; } = [];

    /// <summary>
    /// The configuration section of each source the rule listed, without credentials (what a replay opens the sources
    /// with); null when not recorded. Written to the statements, not to results.json.
    /// </summary>
    [JsonIgnore] public IReadOnlyDictionary<string, System.Text.Json.JsonElement>? SourceSettings { get; init; }
}

/// <summary>The outcome of a whole run.</summary>
public sealed record RunResult
{
    /// <summary>A unique id of the run.</summary>
    public required string RunId { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset EndedAt { get; init; }

    /// <summary>The engine version that ran it.</summary>
    public required string EngineVersion { get; init; }

    /// <summary>One entry per (rule × target).</summary>
    public IReadOnlyList<RuleExecutionResult> Rules { get; init; } = [];

    /// <summary>
    /// Rules that did not run, and why (a source they list is not configured for this run). They are evidence of
    /// nothing: no statement, no verdict, no control coverage.
    /// </summary>
    /// <remarks>Null when no rule was skipped: results.json then reads as it always has.</remarks>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<SkippedRule>? Skipped { get; init; }

    /// <summary>Which shard of a split run this is (<c>run --shard I/N</c>); null for a whole run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RunShard? Shard { get; init; }

    /// <summary>The shard runs a merged run was made of (<c>bundle merge</c>); null for a run that was not merged.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<MergedShard>? Shards { get; init; }

    /// <summary>
    /// The waivers this run was given that had expired: not applied, listed so a reader sees them lapse.
    /// </summary>
    /// <remarks>Null when there were none: results.json then reads as it always has.</remarks>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ExpiredWaiver>? ExpiredWaivers { get; init; }

    /// <summary>Count per verdict.</summary>
    public IReadOnlyDictionary<Verdict, int> Totals() =>
        Enum.GetValues<Verdict>().ToDictionary(v => v, v => Rules.Count(r => r.Verdict == v));
}

/// <summary>A rule that did not run in this run.</summary>
/// <param name="RuleId">The rule id.</param>
/// <param name="SourcePath">The rule file.</param>
/// <param name="Reason">Why it did not run, e.g. "source 'azure' is not configured".</param>
public sealed record SkippedRule([property: JsonPropertyName("id")] string RuleId, string SourcePath, string Reason);

/// <summary>The shard a run was: <c>run --shard Index/Count</c>.</summary>
/// <param name="Index">This shard, from 0.</param>
/// <param name="Count">How many shards the run was split into.</param>
/// <param name="RulesSha256">
/// Hex SHA-256 over the rule files the shard loaded (their paths relative to the rules folder and their digests): every
/// shard of one run must have run the same rules, which <c>bundle merge</c> checks.
/// </param>
public sealed record RunShard(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("rulesSha256")] string RulesSha256);

/// <summary>One shard of a merged run, as its bundle holds it.</summary>
/// <param name="Index">The shard's index.</param>
/// <param name="Count">The shard count.</param>
/// <param name="RunId">The shard run's id.</param>
/// <param name="ManifestSha256">Hex SHA-256 of the shard bundle's <c>manifest.json</c>.</param>
/// <param name="Bundle">Where the shard's bundle is inside the merged bundle, e.g. <c>shards/0</c>.</param>
public sealed record MergedShard(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("manifestSha256")] string ManifestSha256,
    [property: JsonPropertyName("bundle")] string Bundle)
{
    /// <summary>
    /// Writes <paramref name="shards"/> as the array <c>shards</c>, in the one form results.json and the merged bundle's
    /// manifest both hold (the verifier compares them byte for byte).
    /// </summary>
    public static void WriteArray(System.Text.Json.Utf8JsonWriter w, IEnumerable<MergedShard> shards)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(shards);
        w.WriteStartArray("shards");
        foreach (var s in shards)
        {
            w.WriteStartObject();
            w.WriteNumber("index", s.Index);
            w.WriteNumber("count", s.Count);
            w.WriteString("runId", s.RunId);
            w.WriteString("manifestSha256", s.ManifestSha256);
            w.WriteString("bundle", s.Bundle);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}

/// <summary>A waiver that was not applied because its last day has passed.</summary>
/// <param name="Id">The waiver id.</param>
/// <param name="RuleId">The rule it waived.</param>
/// <param name="Digest">Hex SHA-256 of its signed payload.</param>
/// <param name="Expires">Its last day (UTC).</param>
public sealed record ExpiredWaiver(string Id, [property: JsonPropertyName("rule")] string RuleId, string Digest, DateOnly Expires);
