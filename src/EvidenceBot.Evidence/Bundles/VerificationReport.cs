using System.Collections.Concurrent;
using System.Text.Json.Serialization;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>One check <c>verify</c> made, and where.</summary>
/// <param name="Check">What was checked, e.g. <c>statement.signature</c>, <c>file.digest</c>, <c>chain</c>.</param>
/// <param name="File">The file inside the bundle it concerns (<c>.</c> for the bundle itself).</param>
/// <param name="Field">The field or statement part, when narrower than the file (e.g. <c>predicate.runId</c>).</param>
/// <param name="Passed">Whether it held.</param>
/// <param name="Detail">What was found; for a failure, what is wrong.</param>
public sealed record VerificationCheck(
    [property: JsonPropertyName("check")] string Check,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("passed")] bool Passed,
    [property: JsonPropertyName("detail")] string Detail)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{(Passed ? "ok  " : "FAIL")} {Check} {File}{(Field is null ? "" : " " + Field)}: {Detail}";
}

/// <summary>Everything <see cref="BundleVerifier.Verify(string, EvidenceBot.Evidence.Signing.EvidencePublicKey, string?)"/> checked; <see cref="Passed"/> only when nothing failed.</summary>
public sealed record VerificationReport
{
    /// <summary>The bundle folder or archive that was verified.</summary>
    [JsonPropertyName("bundle")] public required string Bundle { get; init; }

    /// <summary>True when at least one check ran and none failed.</summary>
    [JsonPropertyName("passed")] public bool Passed => Checks.Count > 0 && Checks.All(c => c.Passed);

    /// <summary>The run id in the manifest, when it could be read.</summary>
    [JsonPropertyName("runId")] public string? RunId { get; init; }

    /// <summary>The key id the signatures were checked against.</summary>
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }

    /// <summary>Hex SHA-256 of the bundle's <c>manifest.json</c> (the next run's chain link), when present.</summary>
    [JsonPropertyName("manifestSha256")] public string? ManifestSha256 { get; init; }

    /// <summary>The previous manifest digest the manifest links to.</summary>
    [JsonPropertyName("previousManifestSha256")] public string? PreviousManifestSha256 { get; init; }

    /// <summary>How many statements were checked.</summary>
    [JsonPropertyName("statements")] public int Statements { get; init; }

    /// <summary>How many files the manifest lists.</summary>
    [JsonPropertyName("files")] public int Files { get; init; }

    /// <summary>Every check, failures first, then by file.</summary>
    [JsonPropertyName("checks")] public IReadOnlyList<VerificationCheck> Checks { get; init; } = [];

    /// <summary>The failed checks.</summary>
    [JsonIgnore] public IReadOnlyList<VerificationCheck> Failures => [.. Checks.Where(c => !c.Passed)];
}

/// <summary>Collects checks from several threads.</summary>
internal sealed class CheckCollector
{
    private readonly ConcurrentQueue<VerificationCheck> _checks = new();

    public void Pass(string check, string file, string detail, string? field = null) => _checks.Enqueue(new VerificationCheck(check, file, field, true, detail));

    public void Fail(string check, string file, string detail, string? field = null) => _checks.Enqueue(new VerificationCheck(check, file, field, false, detail));

    /// <summary>Adds a check made elsewhere (a shard of a merged bundle, verified on its own).</summary>
    public void Add(VerificationCheck check) => _checks.Enqueue(check);

    /// <summary>Records the outcome of a condition; returns it.</summary>
    public bool Expect(bool condition, string check, string file, string ok, string failure, string? field = null)
    {
        if (condition)
            Pass(check, file, ok, field);
        else
            Fail(check, file, failure, field);
        return condition;
    }

    public IReadOnlyList<VerificationCheck> Sorted() =>
        [.. _checks.OrderBy(c => c.Passed).ThenBy(c => c.File, StringComparer.Ordinal).ThenBy(c => c.Check, StringComparer.Ordinal)];
}

/// <summary>A public key an auditor trusts for one waiver approver (<c>verify --waiver-key APPROVER=KEY.pem</c>).</summary>
/// <param name="Approver">The approver, exactly as waivers name them.</param>
/// <param name="Key">Their public key.</param>
/// <param name="Path">Where the key was read from, for messages.</param>
public sealed record TrustedApproverKey(string Approver, EvidenceBot.Evidence.Signing.EvidencePublicKey Key, string Path);
