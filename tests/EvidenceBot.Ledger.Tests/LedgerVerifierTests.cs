namespace EvidenceBot.Ledger.Tests;

public sealed class LedgerVerifierTests
{
    private static async Task<LedgerTestFolder> ThreeRunsAsync()
    {
        var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        t.Rule("R-ONE", "fail");
        await t.RunAsync();
        await t.RunAsync();
        return t;
    }

    private static void Sql(LedgerTestFolder t, string sql)
    {
        using var c = LedgerSchema.Open(t.LedgerPath);
        LedgerSchema.Execute(c, sql);
    }

    [Fact]
    public async Task Verify_DeletedBundle_ReportsItMissing()
    {
        using var t = await ThreeRunsAsync();
        Directory.Delete(Path.Combine(t.Out, t.Bundles()[0]), recursive: true);

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        Assert.False(report.Ok);
        Assert.Equal("bundle.missing", Assert.Single(report.Problems).Kind);
    }

    [Fact]
    public async Task Verify_EditedVerdict_ReportsRowHashAndBundleMismatch()
    {
        using var t = await ThreeRunsAsync();
        // Someone turns the failing second run into a pass.
        Sql(t, "UPDATE executions SET verdict = 'pass' WHERE run_seq = 2");

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        Assert.Contains(report.Problems, p => p.Kind == "row.hash");
        Assert.Contains(report.Problems, p => p.Kind == "row.bundle" && p.Message.Contains("fail", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_DeletedRow_ReportsGapBrokenChainAndUnindexedBundle()
    {
        using var t = await ThreeRunsAsync();
        Sql(t, "DELETE FROM findings WHERE run_seq = 2; DELETE FROM executions WHERE run_seq = 2; DELETE FROM control_status WHERE run_seq = 2; DELETE FROM runs WHERE seq = 2;");

        var kinds = LedgerVerifier.Verify(t.LedgerPath, t.Out).Problems.Select(p => p.Kind).ToHashSet();

        Assert.Contains("row.gap", kinds);
        Assert.Contains("row.hash", kinds);
        Assert.Contains("chain.link", kinds);
        Assert.Contains("bundle.unindexed", kinds);
    }

    [Fact]
    public async Task Verify_BundleDeletedBeforeRebuild_ReportsTheGapInTheChain()
    {
        using var t = await ThreeRunsAsync();
        Directory.Delete(Path.Combine(t.Out, t.Bundles().Order().ToList()[1]), recursive: true);
        RunLedger.Rebuild(t.LedgerPath, t.Out);

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        Assert.Equal(2, report.Runs);
        Assert.Equal("chain.link", Assert.Single(report.Problems).Kind);
    }

    [Fact]
    public async Task Verify_BundleFileEditedAfterSigning_ReportsUnreadableBundle()
    {
        using var t = await ThreeRunsAsync();
        var results = Path.Combine(t.Out, t.Bundles()[2], "results.json");
        File.AppendAllText(results, " ");

        var problem = Assert.Single(LedgerVerifier.Verify(t.LedgerPath, t.Out).Problems);

        Assert.Equal("bundle.unreadable", problem.Kind);
        Assert.Contains("content changed after the manifest was written", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_NewestBundleAndItsRowsRemoved_ReportsTheChainHead()
    {
        using var t = await ThreeRunsAsync();
        var newest = t.Bundles()[^1];
        Sql(t, "DELETE FROM findings WHERE run_seq = 3; DELETE FROM executions WHERE run_seq = 3; DELETE FROM control_status WHERE run_seq = 3; DELETE FROM runs WHERE seq = 3;");
        Directory.Delete(Path.Combine(t.Out, newest), recursive: true);

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        Assert.Contains(report.Problems, p => p.Kind == "chain.head" && p.Bundle == newest);
    }

    [Fact]
    public async Task Verify_UnindexedBundleThatCannotBeRead_DoesNotAdviseAnAppendThatCannotHappen()
    {
        using var t = await ThreeRunsAsync();
        var newest = t.Bundles()[^1];
        Sql(t, "DELETE FROM findings WHERE run_seq = 3; DELETE FROM executions WHERE run_seq = 3; DELETE FROM control_status WHERE run_seq = 3; DELETE FROM runs WHERE seq = 3;");
        File.AppendAllText(Path.Combine(t.Out, newest, "results.json"), " ");

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        var problem = Assert.Single(report.Problems, p => p.Kind == "bundle.unindexed");
        Assert.Contains("cannot index", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("the next run appends it", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_DamagedDatabasePage_ReportsCorruption()
    {
        using var t = await ThreeRunsAsync();
        Sql(t, "PRAGMA wal_checkpoint(TRUNCATE);");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var file = new FileStream(t.LedgerPath, FileMode.Open, FileAccess.ReadWrite))
        {
            var header = new byte[18];
            file.ReadExactly(header);
            var pageSize = header[16] << 8 | header[17];
            // Every b-tree page's header after the schema page: its type byte and cell pointers become garbage.
            for (var page = 1L; (page + 1) * pageSize <= file.Length; page++)
            {
                file.Position = page * pageSize;
                file.Write(Enumerable.Repeat((byte)0x5A, 12).ToArray());
            }
        }

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        var problem = Assert.Single(report.Problems);
        Assert.Equal("db.corrupt", problem.Kind);
        Assert.Contains("ledger rebuild", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OneEditedNewestStatusRow_CountsOneRow()
    {
        using var t = await ThreeRunsAsync();
        Sql(t, "UPDATE latest_controls SET status = 'pass'");

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        Assert.Equal("table latest_controls: 1 row(s) disagree with the runs; run 'evidencebot ledger rebuild'", Assert.Single(report.Problems).Message);
    }

    [Fact]
    public async Task Verify_UntouchedLedger_Passes()
    {
        using var t = await ThreeRunsAsync();

        var report = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Equal(3, report.Runs);
    }
}
