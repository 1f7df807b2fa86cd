using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;
using EvidenceBot.Scripting;

namespace EvidenceBot.Ledger;

/// <summary>A bundle's place in the chain, from its manifest alone.</summary>
internal sealed record BundleLink(string Bundle, string ManifestSha256, string? PreviousSha256, DateTimeOffset CreatedAt);

/// <summary>A bundle the ledger cannot read: damaged, edited after signing, or not a bundle.</summary>
internal sealed class LedgerBundleException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads what the ledger records from a bundle folder: the manifest (run, key, chain link), <c>results.json</c> (run
/// times) and the statements (verdicts, findings, controls), each file checked against the digest the manifest lists,
/// so a ledger row only ever holds what the signed manifest covers. Signatures are <c>evidencebot verify</c>'s job.
/// </summary>
internal static class BundleReader
{
    /// <summary>Bundle folders of an output root: named folders holding a <c>manifest.json</c> (never a <c>.partial-</c> one).</summary>
    public static IEnumerable<string> BundleNames(string outputRoot) =>
        !Directory.Exists(outputRoot) ? []
        : Directory.EnumerateDirectories(outputRoot)
            .Select(Path.GetFileName)
            .Where(n => n is { Length: > 0 } && !n.StartsWith('.') && File.Exists(Path.Combine(outputRoot, n, BundleLayout.Manifest)))
            .Select(n => n!);

    public static BundleLink ReadLink(string outputRoot, string bundle)
    {
        var (bytes, manifest) = ReadManifest(Path.Combine(outputRoot, bundle));
        return new BundleLink(bundle, Sha256(bytes), manifest.Predicate.PreviousManifestSha256, manifest.Predicate.CreatedAt);
    }

    /// <summary>
    /// Reads a bundle's ledger facts. <paramref name="written"/>: the bytes the bundle writer of this process has just
    /// written, by bundle path (see <see cref="BundleWriteResult.Files"/>); what it holds is not read back from disk, and
    /// is checked against the manifest's digests all the same.
    /// </summary>
    public static LedgerRun Read(string outputRoot, string bundle, IReadOnlyDictionary<string, byte[]>? written = null)
    {
        var dir = Path.Combine(outputRoot, bundle);
        var (manifestBytes, manifest) = ReadManifest(dir, written);
        var listed = manifest.Predicate.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        byte[] Covered(string relative)
        {
            var path = Path.Combine(dir, relative.Replace('/', Path.DirectorySeparatorChar));
            if (!listed.TryGetValue(relative, out var entry))
                throw new LedgerBundleException($"{path}: not listed in the bundle's manifest.json");
            byte[]? bytes = null;
            try
            {
                if (written is null || !written.TryGetValue(relative, out bytes))
                    bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new LedgerBundleException($"{path}: cannot be read ({ex.Message})", ex);
            }

            if (!string.Equals(Sha256(bytes), entry.Sha256, StringComparison.Ordinal))
                throw new LedgerBundleException($"{path}: content changed after the manifest was written (SHA-256 {Sha256(bytes)}, manifest says {entry.Sha256})");
            return bytes;
        }

        var (started, ended) = RunTimes(Covered(BundleLayout.Results), Path.Combine(dir, BundleLayout.Results));
        var suffix = manifest.Predicate.Signed ? BundleLayout.SignedSuffix : BundleLayout.UnsignedSuffix;
        var statementPaths = listed.Keys.Where(p => p.StartsWith(BundleLayout.Statements + "/", StringComparison.Ordinal) && p.EndsWith(suffix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var executions = new List<LedgerExecution>(statementPaths.Count);
        var controlVerdicts = new SortedDictionary<string, (List<string> Verdicts, long? Freshness)>(StringComparer.Ordinal);
        for (var i = 0; i < statementPaths.Count; i++)
        {
            var where = Path.Combine(dir, statementPaths[i]);
            var bytes = Covered(statementPaths[i]);
            StatementFacts p;
            try
            {
                p = StatementFacts.Read(bytes, manifest.Predicate.Signed, where);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                throw new LedgerBundleException($"{where}: not a rule-execution statement EvidenceBot wrote ({ex.Message})", ex);
            }

            var freshness = Freshness(dir, p.RuleSourcePath, listed, written);
            var verdict = p.Verdict;
            executions.Add(new LedgerExecution(i, p.RuleId, p.Target, verdict, freshness) { Findings = p.Findings, Controls = [.. p.Controls.Distinct(StringComparer.Ordinal)] });
            foreach (var id in p.Controls.Distinct(StringComparer.Ordinal))
            {
                var entry = controlVerdicts.TryGetValue(id, out var e) ? e : ([], null);
                entry.Verdicts.Add(verdict);
                controlVerdicts[id] = (entry.Verdicts, Min(entry.Freshness, freshness));
            }
        }

        return new LedgerRun
        {
            RunId = manifest.Predicate.RunId,
            Bundle = bundle,
            StartedAt = LedgerRun.Time(started),
            EndedAt = LedgerRun.Time(ended),
            CreatedAt = LedgerRun.Time(manifest.Predicate.CreatedAt),
            EngineVersion = manifest.Predicate.EngineVersion,
            Signed = manifest.Predicate.Signed,
            KeyId = manifest.Predicate.KeyId,
            ManifestSha256 = Sha256(manifestBytes),
            PreviousSha256 = manifest.Predicate.PreviousManifestSha256,
            Executions = executions,
            Controls = [.. controlVerdicts.Select(c => new LedgerControl(c.Key, LedgerControl.Combine(c.Value.Verdicts), c.Value.Freshness))],
        };
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static (byte[] Bytes, InTotoStatement<ManifestPredicate> Manifest) ReadManifest(string dir, IReadOnlyDictionary<string, byte[]>? written = null)
    {
        var path = Path.Combine(dir, BundleLayout.Manifest);
        try
        {
            var bytes = written is not null && written.TryGetValue(BundleLayout.Manifest, out var kept) ? kept : File.ReadAllBytes(path);
            return (bytes, InTotoStatement.Deserialize<ManifestPredicate>(bytes, path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new LedgerBundleException($"{path}: {ex.Message}", ex);
        }
    }

    private static (DateTimeOffset Started, DateTimeOffset Ended) RunTimes(byte[] results, string where)
    {
        try
        {
            // Two top-level fields of a file that lists every execution: read them without building the whole document.
            var reader = new Utf8JsonReader(results);
            DateTimeOffset? started = null, ended = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new InvalidOperationException("not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && (started is null || ended is null))
            {
                var name = reader.ValueTextEquals("startedAt") ? 1 : reader.ValueTextEquals("endedAt") ? 2 : 0;
                reader.Read();
                if (name == 1)
                    started = reader.GetDateTimeOffset();
                else if (name == 2)
                    ended = reader.GetDateTimeOffset();
                else
                    reader.Skip();
            }

            return (started ?? throw new KeyNotFoundException("no startedAt"), ended ?? throw new KeyNotFoundException("no endedAt"));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new LedgerBundleException($"{where}: startedAt / endedAt missing or not a time ({ex.Message})", ex);
        }
    }

    // Rule headers are parsed once per source digest: a year of runs of the same rules parses each header once.
    private static readonly ConcurrentDictionary<string, long?> FreshnessBySource = new(StringComparer.Ordinal);

    /// <summary>The freshness the rule that ran declared, read from its source as the bundle holds it (the evidence), not from today's rules folder.</summary>
    private static long? Freshness(string dir, string sourcePath, Dictionary<string, ManifestFile> listed, IReadOnlyDictionary<string, byte[]>? written)
    {
        if (sourcePath.Length == 0 || !listed.TryGetValue(sourcePath, out var file))
            return null;
        return FreshnessBySource.GetOrAdd(file.Sha256, _ =>
        {
            var path = Path.Combine(dir, sourcePath.Replace('/', Path.DirectorySeparatorChar));
            byte[]? bytes = null;
            try
            {
                if (written is null || !written.TryGetValue(sourcePath, out bytes))
                    bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new LedgerBundleException($"{path}: cannot be read ({ex.Message})", ex);
            }

            if (Sha256(bytes) != file.Sha256)
                throw new LedgerBundleException($"{path}: content changed after the manifest was written");
            return HeaderFreshness(sourcePath, bytes) is { } f ? (long)f.TotalSeconds : null;
        });
    }

    private static TimeSpan? HeaderFreshness(string sourcePath, byte[] source) =>
        RuleHeaderParser.Parse(sourcePath, Encoding.UTF8.GetString(source), [])?.Freshness;

    /// <summary>
    /// The <c>freshness</c> each rule source of a bundle declares in its header, by its path in the bundle
    /// (<c>rules/…</c>); sources that declare none are left out. Read from the bundle, as the rules ran, not from today's
    /// rules folder. For reports, which count evidence older than this as stale. A source that cannot be read is left out
    /// (the default freshness applies); <c>verify</c> is what reports a damaged bundle.
    /// </summary>
    public static IReadOnlyDictionary<string, TimeSpan> RuleFreshness(string bundleFolder)
    {
        var result = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        InTotoStatement<ManifestPredicate> manifest;
        try
        {
            manifest = ReadManifest(bundleFolder).Manifest;
        }
        catch (LedgerBundleException)
        {
            return result;
        }

        foreach (var file in manifest.Predicate.Files.Where(f => f.Path.StartsWith(BundleLayout.Rules + "/", StringComparison.Ordinal)))
        {
            try
            {
                var bytes = File.ReadAllBytes(Path.Combine(bundleFolder, file.Path.Replace('/', Path.DirectorySeparatorChar)));
                if (Sha256(bytes) == file.Sha256 && HeaderFreshness(file.Path, bytes) is { } f)
                    result[file.Path] = f;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left out: the default applies.
            }
        }

        return result;
    }
}

/// <summary>
/// The few fields of a rule-execution statement the ledger records, read straight from the JSON (the file's digest is
/// already checked against the manifest; checking the exact signed form is <c>evidencebot verify</c>'s job): a run of
/// 200 statements is read in a fraction of what full deserialization costs.
/// </summary>
internal sealed record StatementFacts(string RuleId, string Target, string Verdict, string RuleSourcePath, IReadOnlyList<LedgerFinding> Findings, IReadOnlyList<string> Controls)
{
    public static StatementFacts Read(byte[] file, bool signed, string where)
    {
        byte[] payload = file;
        if (signed)
        {
            using var bundle = JsonDocument.Parse(file);
            var envelope = bundle.RootElement.GetProperty("dsseEnvelope");
            if (envelope.GetProperty("payloadType").GetString() != InTotoStatement.PayloadType)
                throw new InvalidOperationException($"payloadType is not {InTotoStatement.PayloadType}");
            payload = envelope.GetProperty("payload").GetBytesFromBase64();
        }

        using var doc = JsonDocument.Parse(payload);
        if (doc.RootElement.GetProperty("predicateType").GetString() != InTotoStatement.RuleExecutionPredicateType)
            throw new InvalidOperationException($"{where}: predicateType is not {InTotoStatement.RuleExecutionPredicateType}");
        var p = doc.RootElement.GetProperty("predicate");
        return new StatementFacts(
            Text(p, "ruleId"),
            Text(p, "target"),
            Text(p, "verdict"),
            p.GetProperty("ruleSource").GetProperty("path").GetString() ?? "",
            [.. p.GetProperty("findings").EnumerateArray().Select(f => new LedgerFinding(Text(f, "resource"), Text(f, "status")))],
            [.. p.GetProperty("controls").EnumerateArray().Select(c => Text(c, "id"))]);
    }

    private static string Text(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new InvalidOperationException($"{name} is null");
}
