using Microsoft.Data.Sqlite;

namespace EvidenceBot.Ledger;

/// <summary>What bringing a ledger up to date did.</summary>
/// <param name="Appended">Bundles appended, in chain order.</param>
/// <param name="Problems">Bundles that could not be read (left out; <c>ledger verify</c> reports them until fixed).</param>
internal sealed record LedgerAppendResult(IReadOnlyList<string> Appended, IReadOnlyList<string> Problems);

/// <summary>
/// The run ledger of an output folder: an SQLite index of its bundles in chain order. Everything in it is read from the
/// bundles, so it can always be rebuilt from them (<see cref="Rebuild"/>) and checked against them (<see cref="LedgerVerifier"/>).
/// </summary>
internal static class RunLedger
{
    /// <summary>The ledger file's name in an output folder when the config names no other path.</summary>
    public const string DefaultFileName = "ledger.db";

    /// <summary>
    /// Appends every committed bundle of <paramref name="outputRoot"/> the ledger does not hold yet, in chain order, in one
    /// transaction. Called after each run's bundle is committed; it also catches up bundles whose append failed or was
    /// killed, and bundles written before the ledger existed. The common case, one new bundle linked to the ledger's last
    /// row, reads only that bundle.
    /// </summary>
    /// <param name="ledgerPath">The ledger file (created when missing).</param>
    /// <param name="outputRoot">The output folder whose bundles it indexes.</param>
    /// <param name="newBundle">The bundle the calling run has just committed, if any.</param>
    /// <param name="written">What the calling run's bundle writer wrote for <paramref name="newBundle"/> (see <see cref="BundleReader.Read"/>).</param>
    public static LedgerAppendResult CatchUp(string ledgerPath, string outputRoot, string? newBundle = null, IReadOnlyDictionary<string, byte[]>? written = null)
    {
        using var connection = LedgerSchema.Open(ledgerPath);
        using var store = new LedgerStore(connection);
        using var transaction = (SqliteTransaction)connection.BeginTransaction(deferred: false);
        var tail = store.Tail();
        var problems = new List<string>();
        var appended = new List<string>();

        // The common case: the run's own bundle, linked to the ledger's last row. It is read once, and nothing else is.
        var fast = newBundle is not null ? TryRead(outputRoot, newBundle, written, problems) : null;
        if (fast is not null && fast.PreviousSha256 == tail?.ManifestSha256 && (tail is not null || !BundleReader.BundleNames(outputRoot).Any(n => n != newBundle)))
        {
            store.Append(fast, tail, transaction);
            transaction.Commit();
            LedgerSchema.CheckpointWhenLarge(connection, ledgerPath);
            return new LedgerAppendResult([fast.Bundle], problems);
        }

        problems.Clear();
        var known = store.Bundles();
        var links = BundleReader.BundleNames(outputRoot).Where(n => !known.Contains(n))
            .Select(n => TryLink(outputRoot, n, problems)).OfType<BundleLink>().ToList();
        foreach (var link in ChainOrder(links, tail?.ManifestSha256))
        {
            if (tail?.Bundle == link.Bundle)
                continue;
            try
            {
                tail = store.Append(BundleReader.Read(outputRoot, link.Bundle), tail, transaction);
                appended.Add(link.Bundle);
            }
            catch (LedgerBundleException ex)
            {
                problems.Add(ex.Message);
            }
        }

        transaction.Commit();
        LedgerSchema.CheckpointWhenLarge(connection, ledgerPath);
        return new LedgerAppendResult(appended, problems);
    }

    /// <summary>
    /// Builds the ledger anew from the bundles of <paramref name="outputRoot"/> into a temporary file and moves it over
    /// <paramref name="ledgerPath"/> only when complete: a rebuild that is killed leaves the old ledger in place.
    /// </summary>
    public static LedgerAppendResult Rebuild(string ledgerPath, string outputRoot)
    {
        var temp = ledgerPath + ".rebuild.tmp";
        DeleteDatabase(temp);
        LedgerAppendResult result;
        try
        {
            result = CatchUp(temp, outputRoot);
            using (var connection = LedgerSchema.Open(temp))
                LedgerSchema.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
            SqliteConnection.ClearAllPools();
            DeleteDatabase(ledgerPath);
            File.Move(temp, ledgerPath);
        }
        finally
        {
            DeleteDatabase(temp);
        }

        return result;
    }

    /// <summary>
    /// Orders bundles by their chain links: each segment starts at a bundle whose predecessor is not among them (the one
    /// linking to <paramref name="after"/> first), and segments follow each other by creation time. A fork (two bundles
    /// linking to the same one) keeps creation order.
    /// </summary>
    internal static List<BundleLink> ChainOrder(IReadOnlyList<BundleLink> links, string? after)
    {
        var shas = links.Select(l => l.ManifestSha256).ToHashSet(StringComparer.Ordinal);
        var next = links.Where(l => l.PreviousSha256 is not null).ToLookup(l => l.PreviousSha256!, StringComparer.Ordinal);
        var starts = links.Where(l => l.PreviousSha256 is null || !shas.Contains(l.PreviousSha256))
            .OrderBy(l => l.PreviousSha256 == after && after is not null ? 0 : 1).ThenBy(l => l.CreatedAt).ThenBy(l => l.Bundle, StringComparer.Ordinal);
        var ordered = new List<BundleLink>(links.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in starts)
        {
            var stack = new Stack<BundleLink>([start]);
            while (stack.Count > 0)
            {
                var link = stack.Pop();
                if (!seen.Add(link.Bundle))
                    continue;
                ordered.Add(link);
                foreach (var child in next[link.ManifestSha256].OrderByDescending(l => l.CreatedAt).ThenByDescending(l => l.Bundle, StringComparer.Ordinal))
                    stack.Push(child);
            }
        }

        return ordered;
    }

    private static LedgerRun? TryRead(string outputRoot, string bundle, IReadOnlyDictionary<string, byte[]>? written, List<string> problems)
    {
        try
        {
            return BundleReader.Read(outputRoot, bundle, written);
        }
        catch (LedgerBundleException ex)
        {
            problems.Add(ex.Message);
            return null;
        }
    }

    private static BundleLink? TryLink(string outputRoot, string bundle, List<string> problems)
    {
        try
        {
            return BundleReader.ReadLink(outputRoot, bundle);
        }
        catch (LedgerBundleException ex)
        {
            problems.Add(ex.Message);
            return null;
        }
    }

    private static void DeleteDatabase(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(file))
                File.Delete(file);
        }
    }
}
