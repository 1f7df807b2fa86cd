using System.Text.Json;

namespace EvidenceBot.Ledger.Tests;

public sealed class LedgerCommandsTests
{
    [Fact]
    public async Task Diff_PassThenFail_ListsTheRegressionWithItsFindingAndExits1()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass", resource: "org/api");
        await t.RunAsync();
        t.Rule("R-ONE", "fail", resource: "org/api");
        await t.RunAsync();

        var (exit, output, _) = await t.Cli.Run("diff", "--out", t.Out);

        Assert.Equal(1, exit);
        Assert.Contains("regressed  control  ISO27001:2022/A.8.32", output, StringComparison.Ordinal);
        Assert.Contains("org/api", output, StringComparison.Ordinal);
        Assert.Contains("1 control(s) and 1 rule execution(s) regressed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_FailThenPassGivenAsRuns_ReportsRecoveryAndExits0()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "fail");
        await t.RunAsync();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        var bundles = t.Bundles();

        var (exit, output, _) = await t.Cli.Run("diff", bundles[0], bundles[1], "--out", t.Out, "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("regressed").GetBoolean());
        Assert.Contains(doc.RootElement.GetProperty("changes").EnumerateArray(),
            c => c.GetProperty("kind").GetString() == "control" && c.GetProperty("change").GetString() == "recovered");
    }

    [Fact]
    public async Task Diff_PassThenError_IsARegression()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        t.Rule("R-ONE", "error");
        await t.RunAsync();

        var (exit, output, _) = await t.Cli.Run("diff", "--out", t.Out);

        Assert.Equal(1, exit);
        Assert.Contains("regressed  control  ISO27001:2022/A.8.32", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_FailThenError_IsARegressionNotARecovery()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "fail");
        await t.RunAsync();
        t.Rule("R-ONE", "error");
        await t.RunAsync();

        var (exit, output, _) = await t.Cli.Run("diff", "--out", t.Out);

        Assert.Equal(1, exit);
        Assert.Contains("regressed  rule     R-ONE (default)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("recovered", output.Split('\n').Where(l => !l.Contains("recovered;", StringComparison.Ordinal)), StringComparer.Ordinal);
    }

    [Fact]
    public async Task Diff_LaterRunRanSomeRulesOnly_ComparesThoseRulesAndNoControls()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        t.Rule("R-TWO", "fail");
        await t.RunAsync();
        await t.RunAsync("--rule", "R-ONE");

        var (exit, output, _) = await t.Cli.Run("diff", "--out", t.Out);

        Assert.Equal(0, exit);
        Assert.Contains("Controls are not compared", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ISO27001:2022/A.8.32", output, StringComparison.Ordinal); // not 'recovered': R-TWO did not run
        Assert.DoesNotContain("removed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_RunsGivenNewestFirst_SaysSo()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        await t.RunAsync();
        var runs = t.Bundles();

        var (_, _, err) = await t.Cli.Run("diff", runs[1], runs[0], "--out", t.Out);

        Assert.Contains("is newer than run", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsCoverage_MissingOrDamagedLedger_IsAnErrorLineNotAStackTrace()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        var garbage = t.Cli.Write("garbage.db", new string('x', 4096));

        var missing = await t.Cli.Run("controls", "coverage", "--rules", t.Cli.Rules, "--ledger", Path.Combine(t.Cli.Root, "nope.db"));
        var damaged = await t.Cli.Run("controls", "coverage", "--rules", t.Cli.Rules, "--ledger", garbage);

        Assert.Equal((2, 2), (missing.Exit, damaged.Exit));
        Assert.DoesNotContain("   at ", missing.Err + damaged.Err, StringComparison.Ordinal);
        Assert.Contains("ledger", damaged.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_OneRunOnly_SaysDiffNeedsTwo()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();

        var (exit, _, err) = await t.Cli.Run("diff", "--out", t.Out);

        Assert.Equal(2, exit);
        Assert.Contains("diff needs two", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_Control_CollapsesRepeatsIntoSpans()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        await t.RunAsync();
        t.Rule("R-ONE", "fail");
        await t.RunAsync();

        var (exit, output, _) = await t.Cli.Run("history", "--control", "ISO27001:2022/A.8.32", "--out", t.Out);
        var (_, json, _) = await t.Cli.Run("history", "--control", "ISO27001:2022/A.8.32", "--out", t.Out, "--json");

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length); // header, the pass span, the fail span
        Assert.EndsWith("pass    2", lines[1].TrimEnd(), StringComparison.Ordinal);
        Assert.EndsWith("fail    1", lines[2].TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(3, JsonDocument.Parse(json).RootElement.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task History_Since_LeavesOutOlderRuns()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        t.Cli.Time.Advance(TimeSpan.FromDays(3));
        await t.RunAsync();

        var (_, json, _) = await t.Cli.Run("history", "--rule", "R-ONE", "--since", "1d", "--out", t.Out, "--json");

        Assert.Equal(1, JsonDocument.Parse(json).RootElement.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task Status_EvidenceOlderThanItsFreshness_IsStaleNotCounted()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass", freshness: "24h");
        t.Rule("R-TWO", "pass", control: "ISO27001:2022/A.5.15");
        await t.RunAsync();
        t.Cli.Time.Advance(TimeSpan.FromDays(2));

        var (exit, output, _) = await t.Cli.Run("status", "--out", t.Out, "--framework", "ISO27001:2022");
        var (_, json, _) = await t.Cli.Run("status", "--out", t.Out, "--json");

        Assert.Equal(0, exit);
        // R-ONE allows 24h and is 2 days old; R-TWO has no freshness and falls back to 7 days.
        Assert.Contains("stale (last pass)", output, StringComparison.Ordinal);
        Assert.Contains("2 control(s) with evidence: 1 pass, 0 fail, 0 error, 0 waived (accepted risk, not pass), 0 not applicable, 1 stale", output, StringComparison.Ordinal);
        var controls = JsonDocument.Parse(json).RootElement.GetProperty("frameworks")[0].GetProperty("controls").EnumerateArray().ToList();
        Assert.Equal("pass", controls.Single(c => c.GetProperty("id").GetString() == "ISO27001:2022/A.5.15").GetProperty("status").GetString());
        Assert.Equal("stale", controls.Single(c => c.GetProperty("id").GetString() == "ISO27001:2022/A.8.32").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Status_RunOfOneRuleOnly_KeepsTheFailureOfAnotherRuleOfTheSameControl()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        t.Rule("R-TWO", "fail");
        await t.RunAsync();

        // Only R-ONE runs (as with --rule, a shard, or a service slot): A.8.32 still rests on R-TWO's failure.
        await t.RunAsync("--rule", "R-ONE");
        var (_, json, _) = await t.Cli.Run("status", "--out", t.Out, "--json");
        var verify = LedgerVerifier.Verify(t.LedgerPath, t.Out);

        var control = JsonDocument.Parse(json).RootElement.GetProperty("frameworks")[0].GetProperty("controls").EnumerateArray()
            .Single(c => c.GetProperty("id").GetString() == "ISO27001:2022/A.8.32");
        Assert.Equal("fail", control.GetProperty("status").GetString());
        Assert.True(verify.Ok, string.Join("\n", verify.Problems));

        // When R-TWO passes again, the control recovers.
        t.Rule("R-TWO", "pass");
        await t.RunAsync("--rule", "R-TWO");
        (_, json, _) = await t.Cli.Run("status", "--out", t.Out, "--json");
        control = JsonDocument.Parse(json).RootElement.GetProperty("frameworks")[0].GetProperty("controls").EnumerateArray()
            .Single(c => c.GetProperty("id").GetString() == "ISO27001:2022/A.8.32");
        Assert.Equal("pass", control.GetProperty("status").GetString());
        Assert.True(LedgerVerifier.Verify(t.LedgerPath, t.Out).Ok);
    }

    [Fact]
    public async Task Status_ConfiguredDefaultFreshness_AppliesToRulesWithoutOne()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-TWO", "pass", control: "ISO27001:2022/A.5.15");
        await t.RunAsync();
        t.Cli.Time.Advance(TimeSpan.FromHours(5));
        var config = t.Cli.Write("fresh.json", """{ "ledger": { "freshness": "4h" } }""");

        var (_, output, _) = await t.Cli.Run("status", "--out", t.Out, "--config", config);

        Assert.Contains("stale (last pass)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsCoverage_LedgerWithStaleEvidence_ShowsStaleNotPass()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass", freshness: "1h");
        await t.RunAsync();
        t.Cli.Time.Advance(TimeSpan.FromHours(3));

        var (exit, output, _) = await t.Cli.Run("controls", "coverage", "--rules", t.Cli.Rules, "--ledger", t.LedgerPath, "--framework", "ISO27001:2022");

        Assert.Equal(0, exit);
        var row = output.Split('\n').Single(l => l.StartsWith("ISO27001:2022/A.8.32", StringComparison.Ordinal));
        Assert.Contains("stale", row, StringComparison.Ordinal);
        Assert.DoesNotContain("pass", row, StringComparison.Ordinal);
        Assert.Contains("0 pass", output, StringComparison.Ordinal);
        Assert.Contains("(1 of them stale", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsCoverage_LedgerWithFreshEvidence_CountsIt()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass", freshness: "1h");
        await t.RunAsync();

        var (_, output, _) = await t.Cli.Run("controls", "coverage", "--rules", t.Cli.Rules, "--ledger", t.LedgerPath, "--framework", "ISO27001:2022");

        Assert.Contains("latest verdicts of covered controls: 1 pass", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LedgerVerify_Cli_ExitsZeroThenFourAfterAnEdit()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        await t.RunAsync();

        var ok = await t.Cli.Run("ledger", "verify", "--out", t.Out);
        using (var c = LedgerSchema.Open(t.LedgerPath))
            LedgerSchema.Execute(c, "UPDATE runs SET key_id = 'someone-else' WHERE seq = 1");
        var failed = await t.Cli.Run("ledger", "verify", "--out", t.Out);

        Assert.Equal(0, ok.Exit);
        Assert.StartsWith("OK:", ok.Out, StringComparison.Ordinal);
        Assert.Equal(4, failed.Exit);
        Assert.Contains("FAIL row.hash", failed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LedgerRebuild_Cli_ReplacesADamagedLedger()
    {
        using var t = new LedgerTestFolder();
        t.Rule("R-ONE", "pass");
        await t.RunAsync();
        var original = t.Dump();
        using (var c = LedgerSchema.Open(t.LedgerPath))
            LedgerSchema.Execute(c, "DELETE FROM control_status");

        var (exit, output, _) = await t.Cli.Run("ledger", "rebuild", "--out", t.Out);

        Assert.Equal(0, exit);
        Assert.Contains("1 run(s)", output, StringComparison.Ordinal);
        Assert.Equal(original, t.Dump());
    }

    [Fact]
    public async Task History_NoLedger_SaysHowToMakeOne()
    {
        using var t = new LedgerTestFolder();

        var (exit, _, err) = await t.Cli.Run("history", "--out", t.Out);

        Assert.Equal(2, exit);
        Assert.Contains("ledger rebuild", err, StringComparison.Ordinal);
    }
}
