using System.Collections.Concurrent;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Reports;

/// <summary>One statement of the bundle: where it is, and what it attests (its raw evidence stays on disk).</summary>
/// <param name="Path">Its path in the bundle, <c>statements/…</c>.</param>
/// <param name="Predicate">The rule execution it attests.</param>
internal sealed record StatementEntry(string Path, RuleExecutionPredicate Predicate);

/// <summary>
/// What the reports read from a bundle folder that has been verified: the manifest and every statement's predicate.
/// Raw evidence and rule sources are not loaded here; writers stream them from disk one file at a time, so memory
/// grows with the number of statements, not with the evidence.
/// </summary>
internal sealed class BundleContents
{
    private BundleContents(string folder, ManifestPredicate manifest, IReadOnlyList<StatementEntry> statements)
    {
        Folder = folder;
        Manifest = manifest;
        Statements = statements;
        Files = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
    }

    /// <summary>The bundle folder.</summary>
    public string Folder { get; }

    /// <summary>The manifest's predicate: run id, engine, key, chain link, and every file with its digest.</summary>
    public ManifestPredicate Manifest { get; }

    /// <summary>Statements ordered by rule id, target and path, so every report lists them the same way.</summary>
    public IReadOnlyList<StatementEntry> Statements { get; }

    /// <summary>The manifest's files by path (digest and size).</summary>
    public IReadOnlyDictionary<string, ManifestFile> Files { get; }

    /// <summary>The targets the run covered, in order.</summary>
    public IReadOnlyList<string> Targets => [.. Statements.Select(s => s.Predicate.Target).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The absolute path of a bundle-relative path.</summary>
    public string PathOf(string relative) => System.IO.Path.Combine(Folder, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    /// <summary>Reads a bundle folder; statements are parsed in parallel. Throws <see cref="InvalidDataException"/> for a file it cannot read.</summary>
    public static BundleContents Read(string folder)
    {
        var manifestBytes = File.ReadAllBytes(System.IO.Path.Combine(folder, BundleLayout.Manifest));
        var manifest = InTotoStatement.Deserialize<ManifestPredicate>(manifestBytes, BundleLayout.Manifest).Predicate;
        var paths = manifest.Files
            .Select(f => f.Path)
            .Where(p => p.StartsWith(BundleLayout.Statements + "/", StringComparison.Ordinal)
                && (p.EndsWith(BundleLayout.SignedSuffix, StringComparison.Ordinal) || p.EndsWith(BundleLayout.UnsignedSuffix, StringComparison.Ordinal)))
            .ToArray();
        var entries = new ConcurrentBag<StatementEntry>();
        Parallel.ForEach(paths, path =>
        {
            var bytes = File.ReadAllBytes(System.IO.Path.Combine(folder, path));
            var payload = path.EndsWith(BundleLayout.SignedSuffix, StringComparison.Ordinal)
                ? SigstoreBundle.Parse(bytes, path).DsseEnvelope.PayloadBytes()
                : bytes;
            entries.Add(new StatementEntry(path, InTotoStatement.Deserialize<RuleExecutionPredicate>(payload, path).Predicate));
        });
        var ordered = entries
            .OrderBy(e => e.Predicate.RuleId, StringComparer.Ordinal)
            .ThenBy(e => e.Predicate.Target, StringComparer.Ordinal)
            .ThenBy(e => e.Path, StringComparer.Ordinal)
            .ToList();
        return new BundleContents(folder, manifest, ordered);
    }
}

/// <summary>Verdict helpers shared by the writers.</summary>
internal static class Verdicts
{
    /// <summary>The wire name: <c>pass</c>, <c>fail</c>, <c>error</c>, <c>not_applicable</c>, <c>waived</c>.</summary>
    public static string Name(Verdict verdict) => verdict switch
    {
        Verdict.Pass => "pass",
        Verdict.Fail => "fail",
        Verdict.Error => "error",
        Verdict.Waived => "waived",
        _ => "not_applicable",
    };

    /// <summary>
    /// How bad a verdict is, for "the worst of": error and fail outrank waived (a failure whose risk was accepted),
    /// which outranks pass, which outranks not applicable. A waived rule never lets a control read as pass.
    /// </summary>
    public static int Rank(Verdict verdict) => verdict switch
    {
        Verdict.Error => 4,
        Verdict.Fail => 3,
        Verdict.Waived => 2,
        Verdict.Pass => 1,
        _ => 0,
    };

    /// <summary>The worst of two verdicts, null meaning none yet.</summary>
    public static Verdict Worst(Verdict? a, Verdict b) => a is null || Rank(b) > Rank(a.Value) ? b : a.Value;

    /// <summary>The wire name of a severity.</summary>
    public static string Name(Severity severity) => severity switch
    {
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        _ => "critical",
    };
}
