using System.Text.Json;
using EvidenceBot.Cli.Commands;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Runs.Isolation;
using EvidenceBot.Runs.RuleTests;

namespace EvidenceBot.IntegrationTests;

/// <summary><c>rules test --isolate process</c>: the cases run in the real <c>evidencebot __worker</c>.</summary>
[Collection(HostileCollection.Name)]
public sealed class RuleTestIsolationTests
{
    private const string Case = """{ "target": "default", "now": "2026-06-01T00:00:00Z" }""";

    [Fact]
    public async Task RunAsync_BuiltInCasesInBothModes_EveryCasePassesWithTheSameOutcome()
    {
        using var cli = new CliRunner();
        var rules = Path.Combine(RepositoryRoot.Path, "rules");

        var none = await new RuleTestRunner(SourceModules.All).RunAsync(rules, null, cli.Cache, CancellationToken.None);
        var isolated = new RuleTestRunner(SourceModules.All, WorkerCommand.Launch(IsolationOptions.DefaultMemoryLimitBytes), cli.Time);
        var process = await isolated.RunAsync(rules, null, cli.Cache, CancellationToken.None);

        Assert.Equal(59, none.Results.Count);
        Assert.Equal(59, process.Results.Count);
        Assert.All(none.Results, r => Assert.True(r.Passed, $"in-process {r.RuleId} {r.Case}: {string.Join("; ", r.Differences)}"));
        Assert.All(process.Results, r => Assert.True(r.Passed, $"worker {r.RuleId} {r.Case}: {string.Join("; ", r.Differences)}"));
        for (var i = 0; i < none.Results.Count; i++)
        {
            Assert.Equal((none.Results[i].RuleId, none.Results[i].Case), (process.Results[i].RuleId, process.Results[i].Case));
            var (a, b) = (none.Results[i].Actual!, process.Results[i].Actual!);
            var name = $"{none.Results[i].RuleId} {none.Results[i].Case}";
            Assert.Equal((name, a.Verdict, a.Error, a.Findings.Count), (name, b.Verdict, b.Error, b.Findings.Count));
            foreach (var (x, y) in a.Findings.Zip(b.Findings))
            {
                Assert.Equal((name, x.Resource, x.Status, x.Message), (name, y.Resource, y.Status, y.Message));
                // The same JSON value (a string may be escaped differently after a trip through the worker protocol).
                Assert.True(x.Observed is null ? y.Observed is null : y.Observed is { } o && JsonElement.DeepEquals(x.Observed.Value, o),
                    $"{name} {x.Resource}: observed {x.Observed?.GetRawText()} in-process, {y.Observed?.GetRawText()} in the worker");
            }
        }

        // Not vacuous: the comparison saw findings, observed values and every verdict the cases expect.
        var actual = none.Results.Select(r => r.Actual!).ToList();
        Assert.Contains(actual, a => a.Findings.Any(f => f.Observed is not null));
        Assert.Equal(29, actual.Count(a => a.Verdict == Verdict.Pass));
        Assert.Equal(29, actual.Count(a => a.Verdict == Verdict.Fail));
        Assert.Contains(actual, a => a.Verdict == Verdict.Error);
    }

    [Fact]
    public async Task RulesTest_RuleOverflowsTheWorkersStack_ThatCaseFailsTheOthersRunInAFreshWorker()
    {
        using var cli = new CliRunner();
        // A cycle through a record's compiler-generated GetHashCode: code the checkpoint's stack guard is not injected
        // into, so the stack really overflows and the worker process dies (in this process it would end the test run).
        cli.Rule("crash.csx", "T-CRASH", """
            var a = new Node();
            var b = new Node { Next = a };
            a.Next = b;
            Pass("x", a.GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture));
            record Node { public Node? Next { get; set; } }
            """);
        cli.Rule("good.csx", "T-GOOD", "Pass(\"x\", \"fine\");");
        WriteCase(cli, "crash", "dies", """{ "verdict": "pass" }""");
        // Expecting error does not make a dead worker a pass: the rule's behaviour was never observed.
        WriteCase(cli, "crash", "dies-expecting-error", """{ "verdict": "error" }""");
        WriteCase(cli, "good", "first", """{ "verdict": "pass" }""");
        WriteCase(cli, "good", "second", """{ "verdict": "pass" }""");

        var (exit, stdout, stderr) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--isolate", "process");

        Assert.True(exit == 1, stdout + stderr);
        Assert.Contains("rules run in a worker process (--isolate process)", stdout, StringComparison.Ordinal);
        Assert.Contains("FAIL T-CRASH dies ", stdout, StringComparison.Ordinal);
        Assert.Contains("FAIL T-CRASH dies-expecting-error ", stdout, StringComparison.Ordinal);
        Assert.Contains("the rule's worker process ended before the case finished: worker process ended with exit code", stdout, StringComparison.Ordinal);
        Assert.Contains("Stack overflow", stdout, StringComparison.Ordinal);
        Assert.Contains("PASS T-GOOD first", stdout, StringComparison.Ordinal);
        Assert.Contains("PASS T-GOOD second", stdout, StringComparison.Ordinal);
        Assert.Contains("4 case(s) of 2 rule(s): 2 passed, 2 failed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_IsolateFromConfig_RunsInWorkerAndSaysSo()
    {
        using var cli = new CliRunner();
        cli.Rule("good.csx", "T-GOOD", "Pass(\"x\", \"fine\");");
        WriteCase(cli, "good", "ok", """{ "verdict": "pass" }""");
        var config = cli.Write("config.json", """{ "isolate": { "mode": "process", "memoryLimitMiB": 512 } }""");

        var fromConfig = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--config", config);
        var overridden = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--config", config, "--isolate", "none");

        Assert.True(fromConfig.Exit == 0, fromConfig.Out + fromConfig.Err);
        Assert.Contains("rules run in a worker process (--isolate process)", fromConfig.Out, StringComparison.Ordinal);
        Assert.Contains("PASS T-GOOD ok", fromConfig.Out, StringComparison.Ordinal);
        Assert.True(overridden.Exit == 0, overridden.Out + overridden.Err);
        Assert.Contains("rules run in this process (--isolate none)", overridden.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_CaseSetupErrorInWorker_FailsNamingTheCaseFieldAsInProcess()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        WriteCase(cli, "a", "undeclared", """{ "verdict": "pass" }""", """{ "target": "default", "now": "2026-06-01T00:00:00Z", "parameters": { "nope": 1 } }""");

        var none = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--isolate", "none");
        var process = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--isolate", "process");

        Assert.Equal(1, none.Exit);
        Assert.Equal(1, process.Exit);
        Assert.Contains("$.parameters", none.Out, StringComparison.Ordinal);
        // The same case lines; the first (the mode) and the summary (cache counts) differ.
        Assert.Equal(Cases(none.Out), Cases(process.Out));
    }

    private static List<string> Cases(string stdout) =>
        [.. stdout.Split('\n').Where(l => l.StartsWith("FAIL ", StringComparison.Ordinal) || l.StartsWith("PASS ", StringComparison.Ordinal) || l.StartsWith("    ", StringComparison.Ordinal))];

    private static void WriteCase(CliRunner cli, string rule, string name, string expect, string caseJson = Case)
    {
        cli.Write(Path.Combine("rules", rule + ".tests", name, "case.json"), caseJson);
        cli.Write(Path.Combine("rules", rule + ".tests", name, "expect.json"), expect);
        Directory.CreateDirectory(Path.Combine(cli.Root, "rules", rule + ".tests", name, "exchanges"));
    }
}
