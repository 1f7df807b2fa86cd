using Microsoft.Data.Sqlite;

namespace EvidenceBot.Ledger.Tests;

public sealed class RunLedgerTests
{
    [Fact]
    public async Task Run_ThreeRuns_AppendsEachInChainOrderAndVerifies()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        await t.RunAsync();
        await t.RunAsync();

        using var connection = LedgerSchema.OpenExisting(t.LedgerPath);
        using var store = new LedgerStore(connection);
        var runs = store.Runs().ToList();
        Assert.Equal(3, runs.Count);
        Assert.Null(runs[0].Run.PreviousSha256);
        Assert.Equal(runs[0].Run.ManifestSha256, runs[1].Run.PreviousSha256);
        Assert.Equal(runs[1].Run.ManifestSha256, runs[2].Run.PreviousSha256);
        Assert.Equal("pass", Assert.Single(runs[2].Run.Executions).Verdict);
        Assert.Equal(new LedgerControl("ISO27001:2022/A.8.32", "pass", null), Assert.Single(runs[2].Run.Controls));
        Assert.True(LedgerVerifier.Verify(t.LedgerPath, t.Out).Ok);
    }

    [Fact]
    public async Task Rebuild_FromBundles_EqualsIncrementalLedger()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass", freshness: "2d");
        t.Rule("R-TWO", "fail", control: "ISO27001:2022/A.5.15");
        await t.RunAsync();
        t.Rule("R-ONE", "error", freshness: "2d");
        await t.RunAsync();
        var incremental = t.Dump();

        var rebuilt = Path.Combine(t.Cli.Root, "rebuilt.db");
        var result = RunLedger.Rebuild(rebuilt, t.Out);

        Assert.Empty(result.Problems);
        Assert.Equal(incremental, t.Dump(rebuilt));
        // The errored rule makes its control unknown (error), never pass; its freshness comes from the header in the bundle.
        Assert.Contains("ISO27001:2022/A.8.32\t2\terror\t172800\n", incremental, StringComparison.Ordinal);
        Assert.Contains("2\t0\tR-ONE\tdefault\terror\t172800\n", incremental, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LedgerDisabledThenEnabled_CatchesUpMissedBundlesInOrder()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        var config = t.Cli.Write("off.json", """{ "ledger": { "enabled": false } }""");
        await t.RunAsync("--config", config);
        await t.RunAsync("--config", config);
        Assert.False(File.Exists(t.LedgerPath));

        await t.RunAsync();

        var verification = LedgerVerifier.Verify(t.LedgerPath, t.Out);
        Assert.True(verification.Ok, string.Join("\n", verification.Problems));
        Assert.Equal(3, verification.Runs);
    }

    [Fact]
    public async Task Run_LedgerCannotBeWritten_Exits3AndKeepsTheBundle()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        // A folder where the ledger file should be: SQLite cannot open it.
        Directory.CreateDirectory(t.LedgerPath);
        await t.EnsureKeyAsync();

        var (exit, _, err) = await t.Cli.RunRules("--key", t.Key);

        Assert.Equal(3, exit);
        Assert.Contains("the bundle is complete and chained", err, StringComparison.Ordinal);
        Assert.Single(t.Bundles());
    }

    [Fact]
    public async Task Run_AfterAFailedAppend_NextRunAppendsTheMissedBundle()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        var elsewhere = Path.Combine(t.Cli.Root, "ledger-dir");
        Directory.CreateDirectory(elsewhere);
        var broken = t.Cli.Write("broken.json", """{ "ledger": { "path": "ledger-dir" } }""");
        await t.RunAsync();
        Assert.Equal(3, (await t.Cli.RunRules("--key", t.Key, "--config", broken)).Exit);

        await t.RunAsync();

        var verification = LedgerVerifier.Verify(t.LedgerPath, t.Out);
        Assert.True(verification.Ok, string.Join("\n", verification.Problems));
        Assert.Equal(3, verification.Runs);
    }

    [Fact]
    public async Task CatchUp_WithWhatTheWriterWrote_DoesNotReadTheFilesBack()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        t.Rule("R-TWO", "fail");
        var off = t.Cli.Write("off.json", """{ "ledger": { "enabled": false } }""");
        await t.RunAsync("--config", off);
        var bundle = Assert.Single(t.Bundles());
        var folder = Path.Combine(t.Out, bundle);
        var written = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllBytes);
        // Gone from the disk, still in hand: an append that read them back could not index this bundle.
        Directory.Delete(Path.Combine(folder, "statements"), recursive: true);

        var result = RunLedger.CatchUp(t.LedgerPath, t.Out, bundle, written);

        Assert.Empty(result.Problems);
        Assert.Equal([bundle], result.Appended);
        using var connection = LedgerSchema.OpenExisting(t.LedgerPath);
        using var store = new LedgerStore(connection);
        Assert.Equal(["pass", "fail"], store.Runs().Single().Run.Executions.OrderBy(e => e.RuleId, StringComparer.Ordinal).Select(e => e.Verdict));
    }

    [Fact]
    public async Task CatchUp_WrittenBytesTheManifestDoesNotCover_AreNotIndexed()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "fail");
        var off = t.Cli.Write("off.json", """{ "ledger": { "enabled": false } }""");
        await t.RunAsync("--config", off);
        var bundle = Assert.Single(t.Bundles());
        var statement = Directory.GetFiles(Path.Combine(t.Out, bundle, "statements")).Single();
        // What a writer bug would hand over: a statement saying pass where the signed one on disk says fail.
        var forged = File.ReadAllText(statement).Replace("\"fail\"", "\"pass\"", StringComparison.Ordinal);

        var result = RunLedger.CatchUp(t.LedgerPath, t.Out, bundle,
            new Dictionary<string, byte[]> { ["statements/" + Path.GetFileName(statement)] = System.Text.Encoding.UTF8.GetBytes(forged) });

        // The forged bytes fail the manifest's digest; the ledger then indexes the bundle as it is on disk.
        Assert.Equal([bundle], result.Appended);
        Assert.Equal(t.Dump(), DumpOfRebuild(t));
        Assert.Contains("\tfail\t", t.Dump(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_ClosingTheConnection_KeepsTheLogAndALargeLogIsEmptiedIntoTheFile()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        await t.RunAsync();
        var wal = new FileInfo(t.LedgerPath + "-wal");
        // No checkpoint on close: the runs' pages are still in the log after their connections closed.
        Assert.True(wal.Exists && wal.Length > 0, "the ledger's connections checkpointed on close");
        var before = t.Dump();

        using (var connection = LedgerSchema.Open(t.LedgerPath))
            LedgerSchema.CheckpointWhenLarge(connection, t.LedgerPath, atBytes: 1);

        wal.Refresh();
        Assert.Equal(0, wal.Exists ? wal.Length : 0);
        Assert.Equal(before, t.Dump());
        Assert.True(LedgerVerifier.Verify(t.LedgerPath, t.Out).Ok);
    }

    [Fact]
    public void CheckpointWhenLarge_LogUnderTheThreshold_LeavesIt()
    {
        var dir = Directory.CreateTempSubdirectory("eb-ledger-");
        try
        {
            var path = Path.Combine(dir.FullName, "l.db");
            using (var connection = LedgerSchema.Open(path))
                LedgerSchema.Execute(connection, "INSERT INTO latest_controls VALUES('C', 1, 'pass', NULL)");
            var length = new FileInfo(path + "-wal").Length;
            Assert.True(length > 0);

            using (var connection = LedgerSchema.Open(path))
                LedgerSchema.CheckpointWhenLarge(connection, path);

            Assert.Equal(length, new FileInfo(path + "-wal").Length);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    private static string DumpOfRebuild(LedgerTestFolder t)
    {
        var rebuilt = Path.Combine(t.Cli.Root, "rebuilt-" + Guid.NewGuid().ToString("N")[..6] + ".db");
        Assert.Empty(RunLedger.Rebuild(rebuilt, t.Out).Problems);
        return t.Dump(rebuilt);
    }

    [Fact]
    public void Migrate_FromVersion1_BackfillsTheNewestStatusTables()
    {
        var dir = Directory.CreateTempSubdirectory("eb-ledger-");
        try
        {
            var path = Path.Combine(dir.FullName, "v1.db");
            using (var v1 = LedgerSchema.Open(path, upTo: 1))
            {
                Assert.Equal(1, LedgerSchema.Version(v1));
                LedgerSchema.Execute(v1, """
                    INSERT INTO runs VALUES(1,'a','b1','2026-01-01T00:00:00.0000000Z','2026-01-01T00:01:00.0000000Z','2026-01-01T00:01:00.0000000Z','0.1.0',1,'k','m1',NULL,1,0,0,0,'h1');
                    INSERT INTO runs VALUES(2,'b','b2','2026-01-01T01:00:00.0000000Z','2026-01-01T01:01:00.0000000Z','2026-01-01T01:01:00.0000000Z','0.1.0',1,'k','m2','m1',0,1,0,0,'h2');
                    INSERT INTO executions VALUES(1,0,'R','t','pass',3600),(2,0,'R','t','fail',3600);
                    INSERT INTO control_status VALUES('C',1,'pass',3600),('C',2,'fail',3600),('D',1,'pass',NULL);
                    """);
            }

            using var migrated = LedgerSchema.Open(path);
            using var store = new LedgerStore(migrated);
            var dump = store.Dump();

            Assert.Equal(LedgerSchema.Current, LedgerSchema.Version(migrated));
            Assert.Contains("table\tlatest_controls\nC\t2\tfail\t3600\nD\t1\tpass\tNULL\n", dump, StringComparison.Ordinal);
            Assert.Contains("table\tlatest_rules\nR\tt\t2\tfail\t3600\n", dump, StringComparison.Ordinal);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Open_NewerSchemaThanThisBuild_IsRefusedWithAMessage()
    {
        var dir = Directory.CreateTempSubdirectory("eb-ledger-");
        try
        {
            var path = Path.Combine(dir.FullName, "future.db");
            using (var c = LedgerSchema.Open(path))
                LedgerSchema.Execute(c, $"PRAGMA user_version = {LedgerSchema.Current + 1}");

            var ex = Assert.Throws<LedgerException>(() => LedgerSchema.Open(path).Dispose());

            Assert.Contains("newer than this evidencebot understands", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ChainOrder_BundlesCreatedOutOfNameOrder_FollowsTheLinks()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var links = new List<BundleLink>
        {
            new("c", "3", "2", t0),
            new("a", "1", null, t0),
            new("b", "2", "1", t0),
        };

        Assert.Equal(["a", "b", "c"], RunLedger.ChainOrder(links, null).Select(l => l.Bundle));
    }

    [Theory]
    [InlineData(new[] { "pass", "fail", "error" }, "fail")]
    [InlineData(new[] { "pass", "error" }, "error")]
    [InlineData(new[] { "pass", "not_applicable" }, "pass")]
    [InlineData(new[] { "not_applicable" }, "not_applicable")]
    [InlineData(new[] { "pass", "waived" }, "waived")]
    [InlineData(new[] { "waived" }, "waived")]
    [InlineData(new[] { "waived", "error" }, "error")]
    public void Combine_Verdicts_FailThenErrorThenPass(string[] verdicts, string expected)
    {
        Assert.Equal(expected, LedgerControl.Combine(verdicts));
    }
}
