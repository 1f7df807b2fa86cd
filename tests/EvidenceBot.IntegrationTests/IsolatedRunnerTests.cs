using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Runs.Isolation;
using NSubstitute;

namespace EvidenceBot.IntegrationTests;

/// <summary>
/// The host side of <c>--isolate process</c> against stand-in workers (small shell scripts): whatever the worker does —
/// never answers, dies mid-rule, outgrows its memory — the host records <c>error</c>, never <c>pass</c>, and finishes.
/// </summary>
public sealed class IsolatedRunnerTests
{
    private static RuleExecution Execution(string id) =>
        new(LoadedRule.Ready(new RuleManifest { Id = id, Title = id, SourcePath = id + ".csx", SourceSha256 = "" }, Substitute.For<IRuleProgram>()),
            "default", new Dictionary<string, JsonElement>());

    private static IsolatedRunner Runner(string script, long memoryLimit = IsolationOptions.DefaultMemoryLimitBytes) =>
        new(new IsolationOptions
            {
                WorkerFileName = "/bin/sh",
                WorkerArguments = ["-c", script],
                MemoryLimitBytes = memoryLimit,
                KillMargin = TimeSpan.FromMilliseconds(500),
                StartupTimeout = TimeSpan.FromSeconds(2),
            },
            new WorkerRequest { RulesDirectory = "rules", CacheDirectory = "cache" },
            new EngineOptions { DefaultRuleTimeout = TimeSpan.FromSeconds(1), AbandonGrace = TimeSpan.FromMilliseconds(500) },
            TimeProvider.System);

    [Fact]
    public async Task RunAsync_WorkerNeverAnswers_KilledAndEveryExecutionIsError()
    {
        var runner = Runner("exec sleep 60");

        var result = await Run(runner, "A", "B");

        Assert.All(result.Rules, r => Assert.Equal(Verdict.Error, r.Verdict));
        Assert.All(result.Rules, r => Assert.Contains("worker process killed: it started no rule within 2s", r.Error, StringComparison.Ordinal));
        Assert.Equal(1, runner.WorkersStarted);
    }

    [Fact]
    public async Task RunAsync_WorkerHangsInARule_KilledThatRuleErrorFreshWorkerRunsTheRest()
    {
        // Each worker starts the first execution it was sent and never answers again.
        var runner = Runner("""read line; echo '{"kind":"started","index":0}'; exec sleep 60""");

        var result = await Run(runner, "A", "B");

        Assert.All(result.Rules, r => Assert.Equal(Verdict.Error, r.Verdict));
        Assert.All(result.Rules, r => Assert.Contains("worker process killed: no answer within", r.Error, StringComparison.Ordinal));
        Assert.Equal(2, runner.WorkersStarted);
    }

    [Fact]
    public async Task RunAsync_WorkerCrashesInARule_ThatRuleErrorWithExitCodeRestInFreshWorker()
    {
        // The first worker starts A and dies (as a stack overflow or FailFast would); the second reports B as passed.
        var flag = Path.Combine(Path.GetTempPath(), "eb-iso-" + Guid.NewGuid().ToString("N"));
        var passB = """{"kind":"result","index":0,"result":{"id":"B","title":"B","target":"default","verdict":"pass"}}""";
        var runner = Runner($$"""
            read line
            if [ ! -e {{flag}} ]; then touch {{flag}}; echo '{"kind":"started","index":0}'; echo 'dying' >&2; exit 134; fi
            echo '{"kind":"started","index":0}'; echo '{{passB}}'; echo '{"kind":"done"}'
            """);

        try
        {
            var result = await Run(runner, "A", "B");

            Assert.Equal(Verdict.Error, result.Rules[0].Verdict);
            Assert.Contains("worker process ended with exit code 134", result.Rules[0].Error, StringComparison.Ordinal);
            Assert.Contains("dying", result.Rules[0].Error, StringComparison.Ordinal);
            Assert.Equal("B", result.Rules[1].RuleId);
            Assert.Equal(Verdict.Pass, result.Rules[1].Verdict);
            Assert.Equal(2, runner.WorkersStarted);
        }
        finally
        {
            File.Delete(flag);
        }
    }

    [Fact]
    public async Task RunAsync_WorkerOverMemoryLimit_KilledRunningRuleErrorStopped()
    {
        var runner = Runner("""read line; echo '{"kind":"started","index":0}'; exec sleep 60""", memoryLimit: 1024);

        var result = await Run(runner, "A");

        Assert.Equal(Verdict.Error, result.Rules[0].Verdict);
        Assert.StartsWith("stopped: worker process killed: its memory reached", result.Rules[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WorkerCannotBeStarted_EveryExecutionIsError()
    {
        var runner = new IsolatedRunner(new IsolationOptions { WorkerFileName = "/nonexistent/evidencebot" },
            new WorkerRequest { RulesDirectory = "rules", CacheDirectory = "cache" }, new EngineOptions(), TimeProvider.System);

        var result = await Run(runner, "A");

        Assert.Equal(Verdict.Error, result.Rules[0].Verdict);
        Assert.Contains("worker process could not be started", result.Rules[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RunCancelledWhileWorkerRuns_WorkerKilledEveryExecutionCancelledError()
    {
        var runner = Runner("""read line; echo '{"kind":"started","index":0}'; exec sleep 60""");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var result = await runner.RunAsync([Execution("A"), Execution("B")], "run", null, cts.Token);

        Assert.All(result.Rules, r => Assert.Equal(Verdict.Error, r.Verdict));
        Assert.All(result.Rules, r => Assert.Equal("cancelled: the run was stopped", r.Error));
        Assert.Equal(1, runner.WorkersStarted);
    }

    private static Task<RunResult> Run(IsolatedRunner runner, params string[] ids) =>
        runner.RunAsync([.. ids.Select(Execution)], "run");
}
