using System.Text.Json;
using System.Text.Json.Nodes;

namespace EvidenceBot.IntegrationTests;

/// <summary><c>run --isolate process</c> end to end: the worker is the real <c>evidencebot __worker</c>.</summary>
[Collection(HostileCollection.Name)]
public sealed class IsolationRunTests
{
    [Fact]
    public async Task Run_DemoInBothModes_SameVerdictsFindingsAndRawEvidence()
    {
        var (expected, actual) = await BothModes();
        Assert.Equal(58, expected.Rules.Count);
        Assert.Equal(expected.Rules, actual.Rules);
        Assert.Equal(expected.Raw, actual.Raw);
    }

    [Fact]
    public async Task Run_ShardOfTheDemoInBothModes_WorkerListsTheSameRepositories()
    {
        // The worker opens the sources itself: it must take the run's shard, or it would look at every repository.
        var (expected, actual) = await BothModes("--shard", "1/2");
        Assert.InRange(expected.Rules.Count, 1, 57);
        Assert.Equal(expected.Rules, actual.Rules);
        Assert.Equal(expected.Raw, actual.Raw);
    }

    private static async Task<((List<string> Rules, List<string> Raw) Expected, (List<string> Rules, List<string> Raw) Actual)> BothModes(params string[] extra)
    {
        using var cli = new CliRunner();
        var config = Path.Combine(RepositoryRoot.Path, "examples", "demo", "evidencebot.json");

        var none = await cli.Run(["run", "--config", config, "--cache-dir", cli.Cache, "--out", Path.Combine(cli.Root, "none"), "--isolate", "none", .. extra]);
        var process = await cli.Run(["run", "--config", config, "--cache-dir", cli.Cache, "--out", Path.Combine(cli.Root, "process"), "--isolate", "process", .. extra]);

        Assert.True(none.Exit == 1, none.Err);
        Assert.True(process.Exit == 1, process.Err);
        return (Comparable(Path.Combine(cli.Root, "none")), Comparable(Path.Combine(cli.Root, "process")));
    }

    [Fact]
    public async Task Run_RuleBlocksIgnoringCancellationInWorker_ErrorOthersPass()
    {
        using var cli = new CliRunner();
        cli.Rule("block.csx", "T-BLOCK", "new System.Threading.ManualResetEventSlim(false).Wait();\nPass(\"x\", \"never\");", "timeout: 1s\n");
        cli.Rule("good.csx", "T-GOOD", "Pass(\"x\", \"fine\");");

        var run = await cli.RunRules("--isolate", "process");

        Assert.True(run.Exit == 3, run.Out + run.Err);
        var results = Verdicts(cli.Out);
        Assert.Equal("pass", results["T-GOOD"].Verdict);
        Assert.Equal("error", results["T-BLOCK"].Verdict);
        Assert.Contains("timed out after 1s", results["T-BLOCK"].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MemoryBombInWorkerUnderConfiguredLimit_ErrorOthersPassHostAlive()
    {
        using var cli = new CliRunner();
        File.Copy(Path.Combine(RepositoryRoot.Path, "tests", "EvidenceBot.IntegrationTests", "Hostile", "memory-bomb.csx"), Path.Combine(cli.Rules, "memory-bomb.csx"));
        cli.Rule("good.csx", "T-GOOD", "Pass(\"x\", \"fine\");");
        var config = cli.Write("config.json", """{ "isolate": { "mode": "process", "memoryLimitMiB": 256 } }""");

        var run = await cli.RunRules("--config", config);

        Assert.True(run.Exit == 3, run.Out + run.Err);
        var results = Verdicts(cli.Out);
        Assert.Equal("pass", results["T-GOOD"].Verdict);
        Assert.Equal("error", results["H-MEMORY"].Verdict);
        // The worker's GC is held under the limit, so the rule gets OutOfMemoryException (or the heap check stops it).
        Assert.Matches("OutOfMemoryException|stopped", results["H-MEMORY"].Error);
    }

    [Fact]
    public async Task Run_IsolateUnknownModeInConfig_UsageErrorNamingTheKey()
    {
        using var cli = new CliRunner();
        cli.Rule("good.csx", "T-GOOD", "Pass(\"x\", \"fine\");");
        var config = cli.Write("config.json", """{ "isolate": { "mode": "container" } }""");

        var run = await cli.RunRules("--config", config);

        Assert.Equal(2, run.Exit);
        Assert.Contains("isolate", run.Err, StringComparison.Ordinal);
    }

    private static Dictionary<string, (string? Verdict, string? Error)> Verdicts(string outDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        return doc.RootElement.GetProperty("rules").EnumerateArray().ToDictionary(
            r => r.GetProperty("id").GetString()!,
            r => (r.GetProperty("verdict").GetString(), r.TryGetProperty("error", out var e) ? e.GetString() : null));
    }

    /// <summary>Each execution's results.json entry without its clock readings, and the raw exchanges without theirs.</summary>
    private static (List<string> Rules, List<string> Raw) Comparable(string outDir)
    {
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")))!;
        var rules = results["rules"]!.AsArray().Select(r =>
        {
            var o = r!.AsObject();
            o.Remove("startedAt");
            o.Remove("endedAt");
            o.Remove("durationMs");
            return o.ToJsonString();
        }).ToList();
        var bundle = Directory.GetDirectories(outDir).Single(d => Directory.Exists(Path.Combine(d, "raw")));
        var raw = Directory.GetFiles(Path.Combine(bundle, "raw")).Select(f =>
        {
            var o = JsonNode.Parse(File.ReadAllText(f))!.AsObject();
            o.Remove("at");
            return o.ToJsonString();
        }).Order(StringComparer.Ordinal).ToList();
        return (rules, raw);
    }
}
