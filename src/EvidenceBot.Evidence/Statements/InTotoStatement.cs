using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;

namespace EvidenceBot.Evidence.Statements;

/// <summary>
/// An in-toto Statement v1: what the attestation is about (<see cref="Subject"/>) and what it says
/// (<see cref="Predicate"/>, typed by <see cref="PredicateType"/>).
/// </summary>
/// <typeparam name="TPredicate">The predicate's shape.</typeparam>
public sealed record InTotoStatement<TPredicate>
{
    /// <summary>Always <see cref="InTotoStatement.StatementType"/>.</summary>
    [JsonPropertyName("_type")] public string Type { get; init; } = InTotoStatement.StatementType;

    /// <summary>The artifacts the statement is about, each with its SHA-256.</summary>
    [JsonPropertyName("subject")] public required IReadOnlyList<InTotoSubject> Subject { get; init; }

    /// <summary>A versioned URI naming the predicate's schema.</summary>
    [JsonPropertyName("predicateType")] public required string PredicateType { get; init; }

    /// <summary>What is attested.</summary>
    [JsonPropertyName("predicate")] public required TPredicate Predicate { get; init; }
}

/// <summary>Constants and helpers of in-toto Statement v1.</summary>
public static class InTotoStatement
{
    /// <summary>The <c>_type</c> of every v1 statement.</summary>
    public const string StatementType = "https://in-toto.io/Statement/v1";

    /// <summary>The DSSE payload type of an in-toto statement.</summary>
    public const string PayloadType = "application/vnd.in-toto+json";

    /// <summary>Our predicate type for one rule execution. A breaking change gets a new version.</summary>
    public const string RuleExecutionPredicateType = "https://evidencebot.dev/evidence/rule-execution/v1";

    /// <summary>Our predicate type for the manifest of a run bundle.</summary>
    public const string ManifestPredicateType = "https://evidencebot.dev/evidence/manifest/v1";

    /// <summary>
    /// How statements are serialized: compact, and the exact bytes are what gets signed. This is the definition of the
    /// format: our own two statement types are written by hand to these exact bytes (see <see cref="Serialize{TPredicate}"/>),
    /// read back with generated metadata, and any other predicate type goes through the serializer.
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(StatementJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    /// <summary>Serializes a statement once; sign and store exactly these bytes.</summary>
    public static byte[] Serialize<TPredicate>(InTotoStatement<TPredicate> statement) => statement switch
    {
        InTotoStatement<RuleExecutionPredicate> rule => StatementWriter.Write(rule),
        InTotoStatement<ManifestPredicate> manifest => StatementWriter.Write(manifest),
        _ => JsonSerializer.SerializeToUtf8Bytes(statement, JsonOptions),
    };

    /// <summary>Reads a statement; the message names the file and what is wrong.</summary>
    public static InTotoStatement<TPredicate> Deserialize<TPredicate>(ReadOnlySpan<byte> bytes, string where)
    {
        try
        {
            return JsonSerializer.Deserialize<InTotoStatement<TPredicate>>(bytes, JsonOptions)
                ?? throw new InvalidDataException($"{where}: empty statement");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{where}: not an in-toto statement ({ex.Message})", ex);
        }
    }
}

/// <summary>One subject of a statement: a file name and its digests.</summary>
/// <param name="Name">The file's path inside the bundle, e.g. <c>raw/3f…e1.json</c>.</param>
/// <param name="Digest">Digest set; we always give <c>sha256</c> (lowercase hex).</param>
public sealed record InTotoSubject(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("digest")] IReadOnlyDictionary<string, string> Digest)
{
    /// <summary>A subject with a SHA-256 digest.</summary>
    public static InTotoSubject Sha256(string name, string hex) => new(name, new Dictionary<string, string> { ["sha256"] = hex });

    /// <summary>The SHA-256 digest, or null when the subject has none.</summary>
    [JsonIgnore] public string? Sha256Hex => Digest is not null && Digest.TryGetValue("sha256", out var v) ? v : null;
}

/// <summary>
/// The predicate of <see cref="InTotoStatement.RuleExecutionPredicateType"/>: what one rule concluded about one
/// target, on which evidence, and which controls that bears on. Schema: <c>schemas/evidence-predicate.schema.json</c>.
/// </summary>
public sealed record RuleExecutionPredicate
{
    /// <summary>The rule id.</summary>
    [JsonPropertyName("ruleId")] public required string RuleId { get; init; }

    /// <summary>The rule title.</summary>
    [JsonPropertyName("title")] public required string Title { get; init; }

    /// <summary>The rule severity.</summary>
    [JsonPropertyName("severity")] public Severity Severity { get; init; }

    /// <summary>The rule source file that ran: its path in the bundle and SHA-256.</summary>
    [JsonPropertyName("ruleSource")] public required PredicateRuleSource RuleSource { get; init; }

    /// <summary>The engine version that ran the rule.</summary>
    [JsonPropertyName("engineVersion")] public required string EngineVersion { get; init; }

    /// <summary>The run this execution belongs to; must equal the bundle manifest's run id.</summary>
    [JsonPropertyName("runId")] public required string RunId { get; init; }

    /// <summary>When the execution started.</summary>
    [JsonPropertyName("startedAt")] public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    [JsonPropertyName("endedAt")] public DateTimeOffset EndedAt { get; init; }

    /// <summary>What the rule ran against.</summary>
    [JsonPropertyName("target")] public required string Target { get; init; }

    /// <summary>Effective parameters.</summary>
    [JsonPropertyName("parameters")] public IReadOnlyDictionary<string, JsonElement> Parameters { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The aggregated verdict.</summary>
    [JsonPropertyName("verdict")] public required Verdict Verdict { get; init; }

    /// <summary>Why the verdict is <c>error</c>; null otherwise.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }

    /// <summary>What the rule observed.</summary>
    [JsonPropertyName("findings")] public IReadOnlyList<PredicateFinding> Findings { get; init; } = [];

    /// <summary>Source faults reported during the execution.</summary>
    [JsonPropertyName("faults")] public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>The controls the verdict maps to, direct and crosswalk-derived.</summary>
    [JsonPropertyName("controls")] public IReadOnlyList<PredicateControl> Controls { get; init; } = [];

    /// <summary>
    /// Controls the verdict is only related to (through <c>partial</c> or <c>supports</c>, or from a part of the control):
    /// shown apart, never evidence for them.
    /// </summary>
    [JsonPropertyName("relatedControls")] public IReadOnlyList<PredicateControl> RelatedControls { get; init; } = [];

    /// <summary>An index of the raw evidence files (also the statement's subjects) with what each one is.</summary>
    [JsonPropertyName("evidence")] public IReadOnlyList<PredicateEvidence> Evidence { get; init; } = [];

    /// <summary>
    /// The configuration section of each source the rule listed, as the run used it without credentials or local
    /// folders: what <c>verify --replay</c> opens the sources with to re-derive the verdict. Absent in bundles written
    /// before it was recorded.
    /// </summary>
    [JsonPropertyName("sources")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, JsonElement>? Sources { get; init; }
}

/// <summary>The rule source that ran.</summary>
/// <param name="Path">Its path inside the bundle (<c>rules/…</c>); empty when the source was not available.</param>
/// <param name="Sha256">Hex SHA-256 of the source bytes; empty when the header could not be read.</param>
public sealed record PredicateRuleSource(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>One finding as attested.</summary>
/// <param name="Resource">What was looked at.</param>
/// <param name="Status">The rule's conclusion about it.</param>
/// <param name="Message">A sentence a reviewer can read.</param>
/// <param name="Observed">The values the conclusion rests on; null when none were given.</param>
/// <param name="Waiver">
/// For a <c>waived</c> finding, the signed waiver that accepted the failure (id, digest of its signed payload, approver,
/// last day); left out of the statement otherwise.
/// </param>
public sealed record PredicateFinding(
    [property: JsonPropertyName("resource")] string Resource,
    [property: JsonPropertyName("status")] Verdict Status,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("observed")] JsonElement? Observed,
    [property: JsonPropertyName("waiver"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WaiverReference? Waiver = null);

/// <summary>A control the verdict maps to.</summary>
/// <param name="Id">Control id, <c>FRAMEWORK:VERSION/ID</c>.</param>
/// <param name="Relation"><c>satisfies</c>, <c>supports</c> or <c>partial</c>.</param>
/// <param name="Derived">True when the mapping comes from a crosswalk rather than the rule's header.</param>
/// <param name="Via">For a derived mapping, the control it was derived from; null for a direct one.</param>
/// <param name="Related">
/// True for related evidence (through <c>partial</c> or <c>supports</c>, or from a part of the control): written under
/// <c>relatedControls</c>, apart from the controls the verdict is evidence for.
/// </param>
public sealed record PredicateControl(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("relation")] string Relation,
    [property: JsonPropertyName("derived")] bool Derived,
    [property: JsonPropertyName("via")] string? Via,
    [property: JsonIgnore] bool Related = false)
{
    /// <summary>The rule's own (direct) control mappings.</summary>
    public static IReadOnlyList<PredicateControl> Direct(IEnumerable<ControlMapping> controls) =>
        [.. (controls ?? []).Select(c => new PredicateControl(c.Id, RelationName(c.Relation), false, null))];

    /// <summary>The wire name of a relation.</summary>
    public static string RelationName(ControlRelation relation) => WireNames.Of(relation);
}

/// <summary>One raw evidence file and what it is.</summary>
/// <param name="Path">Its path in the bundle, <c>raw/&lt;sha256&gt;.json</c>.</param>
/// <param name="Source">The source that fetched it.</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Url">The (redacted) URL.</param>
/// <param name="Status">HTTP status.</param>
public sealed record PredicateEvidence(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("status")] int Status);

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InTotoStatement<RuleExecutionPredicate>))]
[JsonSerializable(typeof(InTotoStatement<ManifestPredicate>))]
[JsonSerializable(typeof(SigstoreBundle))]
internal sealed partial class StatementJsonContext : JsonSerializerContext;

