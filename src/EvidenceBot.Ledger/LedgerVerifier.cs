using Microsoft.Data.Sqlite;

namespace EvidenceBot.Ledger;

/// <summary>One thing <c>ledger verify</c> found wrong.</summary>
/// <param name="Kind">A stable code: <c>row.hash</c>, <c>row.gap</c>, <c>row.bundle</c>, <c>bundle.missing</c>, <c>bundle.unreadable</c>, <c>bundle.digest</c>, <c>chain.link</c>, <c>bundle.unindexed</c>, <c>latest.stale</c>.</param>
/// <param name="Bundle">The bundle folder concerned, when there is one.</param>
/// <param name="Message">What is wrong and what to do.</param>
internal sealed record LedgerProblem(string Kind, string? Bundle, string Message);

/// <summary>What <c>ledger verify</c> checked and found.</summary>
internal sealed record LedgerVerification(int Runs, int Checks, IReadOnlyList<LedgerProblem> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks a ledger end to end against the bundles of its output folder: every row's hash chain (an edited or deleted
/// row breaks it), every row against what its bundle says (manifest digest and the digest-covered content), every
/// chain link between consecutive runs, the newest-status tables against the rows, and that every bundle is indexed.
/// </summary>
internal static class LedgerVerifier
{
    public static LedgerVerification Verify(string ledgerPath, string outputRoot)
    {
        using var connection = LedgerSchema.OpenExisting(ledgerPath);
        using var store = new LedgerStore(connection);
        var problems = new List<LedgerProblem>();
        var checks = 0;
        string? previousHash = null, previousManifest = null;
        long expectedSeq = 1;
        var indexed = new HashSet<string>(StringComparer.Ordinal);
        var runs = 0;
        // The controls the newest execution of each (rule, target) maps to, as the bundles say: latest_rule_controls must hold exactly these.
        var mappings = new Dictionary<(string Rule, string Target), IReadOnlyList<string>>();
        var mappingsKnown = true;
        checks++;
        if (Integrity(connection) is { } damage)
        {
            // Nothing read from a damaged file can be trusted, and reading on may only fail further.
            problems.Add(new("db.corrupt", null, $"{ledgerPath}: SQLite's integrity check failed ({damage}); move the file aside and run 'evidencebot ledger rebuild'"));
            return new LedgerVerification(0, checks, problems);
        }
        foreach (var (seq, run, rowHash) in store.Runs())
        {
            runs++;
            indexed.Add(run.Bundle);
            checks += 4;
            if (seq != expectedSeq)
                problems.Add(new("row.gap", run.Bundle, $"ledger rows {expectedSeq}..{seq - 1} are missing (deleted rows); run 'evidencebot ledger rebuild' to rebuild from the bundles"));
            expectedSeq = seq + 1;
            if (run.RowHash(previousHash) != rowHash)
                problems.Add(new("row.hash", run.Bundle, $"ledger row {seq} ({run.Bundle}) does not match its row hash: the row, or one before it, was edited or deleted"));
            previousHash = rowHash;

            if (run.PreviousSha256 != previousManifest && !(previousManifest is null && seq == 1 && run.PreviousSha256 is null))
            {
                problems.Add(new("chain.link", run.Bundle, previousManifest is null
                    ? $"the first indexed run {run.Bundle} links to manifest {run.PreviousSha256}, which no indexed bundle has: earlier bundles are missing"
                    : $"{run.Bundle} links to manifest {run.PreviousSha256 ?? "(none: a new chain)"}, but the run before it in the ledger has {previousManifest}: a bundle between them is missing or the chain was restarted"));
            }

            previousManifest = run.ManifestSha256;

            var dir = Path.Combine(outputRoot, run.Bundle);
            if (!Directory.Exists(dir))
            {
                problems.Add(new("bundle.missing", run.Bundle, $"{dir}: the bundle of ledger row {seq} (run {run.RunId}) is gone; restore it from backup or the blob store"));
                mappingsKnown = false;
                continue;
            }

            LedgerRun fromBundle;
            try
            {
                fromBundle = BundleReader.Read(outputRoot, run.Bundle);
            }
            catch (LedgerBundleException ex)
            {
                problems.Add(new("bundle.unreadable", run.Bundle, ex.Message));
                mappingsKnown = false;
                continue;
            }

            foreach (var e in fromBundle.Executions)
                mappings[(e.RuleId, e.Target)] = e.Controls;

            if (fromBundle.ManifestSha256 != run.ManifestSha256)
            {
                problems.Add(new("bundle.digest", run.Bundle, $"{Path.Combine(dir, "manifest.json")}: SHA-256 {fromBundle.ManifestSha256}, the ledger recorded {run.ManifestSha256}: the bundle was replaced after it was indexed"));
                continue;
            }

            var (expected, found) = (fromBundle.CanonicalText(), run.CanonicalText());
            if (expected != found)
            {
                var line = FirstDifference(expected, found);
                problems.Add(new("row.bundle", run.Bundle, $"ledger row {seq} ({run.Bundle}) differs from its bundle: bundle says '{line.Expected}', ledger says '{line.Found}'"));
            }
        }

        foreach (var bundle in BundleReader.BundleNames(outputRoot).Where(b => !indexed.Contains(b)).Order(StringComparer.Ordinal))
        {
            checks++;
            string? unreadable = null;
            try
            {
                BundleReader.Read(outputRoot, bundle);
            }
            catch (LedgerBundleException ex)
            {
                unreadable = ex.Message;
            }

            // Only advise what would work: a bundle that cannot be read is never appended, by a run or a rebuild.
            problems.Add(new("bundle.unindexed", bundle, unreadable is null
                ? $"{Path.Combine(outputRoot, bundle)}: a bundle the ledger does not hold; the next run appends it, or run 'evidencebot ledger rebuild'"
                : $"{Path.Combine(outputRoot, bundle)}: a bundle the ledger does not hold and cannot index ({unreadable}); verify it with 'evidencebot verify', and restore it from backup or the blob store"));
        }

        // The chain head names the newest committed bundle: one neither indexed nor on disk was deleted with its row.
        checks++;
        if (ChainHead(outputRoot) is { } head && !indexed.Contains(head) && !Directory.Exists(Path.Combine(outputRoot, head)))
            problems.Add(new("chain.head", head, $"{Path.Combine(outputRoot, "chain-head.json")} names {head} as the newest bundle, but the ledger does not hold it and it is not on disk: the newest run's bundle and row were removed; restore the bundle from backup or the blob store"));

        checks += 3;
        foreach (var (table, derived) in LatestDerivations)
        {
            // An edited row is one row missing and one extra: counted once.
            var n = Math.Max(Count(connection, $"SELECT COUNT(*) FROM (SELECT * FROM {table} EXCEPT {derived})"), Count(connection, $"SELECT COUNT(*) FROM ({derived} EXCEPT SELECT * FROM {table})"));
            if (n > 0)
                problems.Add(new("latest.stale", null, $"table {table}: {n} row(s) disagree with the runs; run 'evidencebot ledger rebuild'"));
        }

        if (mappingsKnown)
        {
            var stored = new HashSet<(string, string, string)>();
            using (var c = connection.CreateCommand())
            {
                c.CommandText = "SELECT rule_id, target, control_id FROM latest_rule_controls";
                using var r = c.ExecuteReader();
                while (r.Read())
                    stored.Add((r.GetString(0), r.GetString(1), r.GetString(2)));
            }

            var expected = mappings.SelectMany(m => m.Value.Select(control => (m.Key.Rule, m.Key.Target, control))).ToHashSet();
            var n = Math.Max(stored.Except(expected).Count(), expected.Except(stored).Count());
            if (n > 0)
                problems.Add(new("latest.stale", null, $"table latest_rule_controls: {n} row(s) disagree with the bundles (a ledger written before schema v4 has none); run 'evidencebot ledger rebuild'"));
        }

        return new LedgerVerification(runs, checks, problems);
    }

    private static readonly (string Table, string Derived)[] LatestDerivations =
    [
        ("latest_controls", LedgerStore.CombinedControls),
        ("latest_rules", "SELECT e.rule_id, e.target, e.run_seq, e.verdict, e.freshness_s FROM executions e JOIN (SELECT rule_id, target, MAX(run_seq) AS s FROM executions GROUP BY rule_id, target) m ON m.rule_id = e.rule_id AND m.target = e.target AND m.s = e.run_seq"),
    ];

    /// <summary>What <c>PRAGMA quick_check</c> says is damaged; null when the file is sound.</summary>
    private static string? Integrity(SqliteConnection connection)
    {
        try
        {
            using var c = connection.CreateCommand();
            c.CommandText = "PRAGMA quick_check";
            using var r = c.ExecuteReader();
            var lines = new List<string>();
            while (r.Read() && lines.Count < 3)
                lines.Add(r.GetString(0));
            return lines is ["ok"] ? null : string.Join("; ", lines);
        }
        catch (SqliteException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>The bundle <c>chain-head.json</c> names, or null when there is none or it cannot be read (the bundles' own checks report that).</summary>
    private static string? ChainHead(string outputRoot)
    {
        try
        {
            return EvidenceBot.Evidence.Bundles.EvidenceBundleWriter.ReadChainHead(outputRoot) is { } head ? Path.GetFileName(head.Bundle) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static long Count(SqliteConnection connection, string sql)
    {
        using var c = connection.CreateCommand();
        c.CommandText = sql;
        return Convert.ToInt64(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static (string Expected, string Found) FirstDifference(string expected, string found)
    {
        var a = expected.Split('\n');
        var b = found.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i] : "(nothing)";
            var y = i < b.Length ? b[i] : "(nothing)";
            if (x != y)
                return (x.Replace('\t', ' '), y.Replace('\t', ' '));
        }

        return ("", "");
    }
}
