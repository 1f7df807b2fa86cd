using System.Text.Json.Serialization;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>
/// The predicate of a bundle's <c>manifest.json</c>, itself an in-toto statement whose subjects are every other file
/// of the bundle (so <c>cosign verify-blob-attestation</c> can check any single file against the signed manifest).
/// </summary>
public sealed record ManifestPredicate
{
    /// <summary>The run the bundle holds.</summary>
    [JsonPropertyName("runId")] public required string RunId { get; init; }

    /// <summary>The engine version that ran it.</summary>
    [JsonPropertyName("engineVersion")] public required string EngineVersion { get; init; }

    /// <summary>When the bundle was written.</summary>
    [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>False when no key was given: nothing in the bundle is signed.</summary>
    [JsonPropertyName("signed")] public bool Signed { get; init; }

    /// <summary>Hex SHA-256 of the signing key's SPKI DER; null when unsigned.</summary>
    [JsonPropertyName("keyId")] public string? KeyId { get; init; }

    /// <summary>Hex SHA-256 of the previous run's <c>manifest.json</c> in the same output folder; null for the first.</summary>
    [JsonPropertyName("previousManifestSha256")] public string? PreviousManifestSha256 { get; init; }

    /// <summary>Every file of the bundle except <c>manifest.json</c> and its signature.</summary>
    [JsonPropertyName("files")] public IReadOnlyList<ManifestFile> Files { get; init; } = [];

    /// <summary>
    /// In a merged bundle (<c>bundle merge</c>), the shard bundles it holds under <c>shards/&lt;index&gt;/</c>, each by its
    /// manifest's digest; null in a run's own bundle.
    /// </summary>
    [JsonPropertyName("shards")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Core.Engine.MergedShard>? Shards { get; init; }
}

/// <summary>One file of a bundle.</summary>
/// <param name="Path">Relative path with <c>/</c> separators.</param>
/// <param name="Sha256">Lowercase hex SHA-256.</param>
/// <param name="Size">Size in bytes.</param>
public sealed record ManifestFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("size")] long Size);

/// <summary>Names of the fixed files and folders of a bundle.</summary>
public static class BundleLayout
{
    /// <summary>The manifest statement.</summary>
    public const string Manifest = "manifest.json";

    /// <summary>The manifest's DSSE signature as a Sigstore bundle.</summary>
    public const string ManifestSignature = "manifest.sigstore.json";

    /// <summary>The run summary.</summary>
    public const string Results = "results.json";

    /// <summary>In a merged bundle: control coverage over the union of the shards' executions.</summary>
    public const string Coverage = "coverage.json";

    /// <summary>In a merged bundle: the folder holding each shard's bundle, <c>shards/&lt;index&gt;/</c>.</summary>
    public const string Shards = "shards";

    /// <summary>The signer's public key (SPKI PEM).</summary>
    public const string PublicKey = "public-key.pem";

    /// <summary>One signed statement per rule execution.</summary>
    public const string Statements = "statements";

    /// <summary>Raw evidence, content-addressed.</summary>
    public const string Raw = "raw";

    /// <summary>The rule sources that ran.</summary>
    public const string Rules = "rules";

    /// <summary>
    /// The signed waivers the statements cite: <c>waivers/&lt;id&gt;.dsse.json</c> as the approver signed it, and the
    /// approver's public key that verified it, <c>waivers/keys/&lt;keyid&gt;.pem</c>.
    /// </summary>
    public const string Waivers = "waivers";

    /// <summary>Suffix of a waiver's envelope.</summary>
    public const string WaiverSuffix = ".dsse.json";

    /// <summary>Suffix of a signed statement.</summary>
    public const string SignedSuffix = ".sigstore.json";

    /// <summary>Suffix of an unsigned statement (plain in-toto JSON).</summary>
    public const string UnsignedSuffix = ".intoto.json";

    /// <summary>Prefix of a bundle still being written; such a folder never verifies.</summary>
    public const string PartialPrefix = ".partial-";

    /// <summary>The pointer file in the output root naming the last bundle's manifest digest (the chain head).</summary>
    public const string ChainHead = "chain-head.json";

    /// <summary>
    /// A text file in the output root holding the newest bundle folder's name and a newline: bundles written in the same
    /// second do not sort in chain order by name, so scripts read this instead of sorting folders.
    /// </summary>
    public const string Latest = "latest";
}
