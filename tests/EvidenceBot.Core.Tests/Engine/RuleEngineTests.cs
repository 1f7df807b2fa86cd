using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace EvidenceBot.Core.Tests.Engine;

public class RuleEngineTests
{
    private static readonly Dictionary<string, JsonElement> NoParams = [];

    private static LoadedRule Rule(string id, Func<RuleContext, Task> body, TimeSpan? timeout = null)
    {
        var program = Substitute.For<IRuleProgram>();
        program.ExecuteAsync(Arg.Any<RuleContext>()).Returns(ci => body(ci.Arg<RuleContext>()));
        return LoadedRule.Ready(new RuleManifest { Id = id, Title = id, SourcePath = id + ".csx", SourceSha256 = "00", Timeout = timeout }, program);
    }

    private static RuleEngine Engine(int parallel = 4) =>
        new(new EngineOptions { MaxParallelism = parallel, AbandonGrace = TimeSpan.FromMilliseconds(200) }, new FakeTimeProvider());

    [Fact]
    public async Task Run_OneRuleThrows_OthersKeepTheirVerdicts()
    {
        var rules = new[]
        {
            Rule("A", c => { c.Report(new Finding("a", Verdict.Pass, "ok")); return Task.CompletedTask; }),
            Rule("B", _ => throw new InvalidOperationException("boom")),
            Rule("C", c => { c.Report(new Finding("c", Verdict.Fail, "no")); return Task.CompletedTask; }),
        };

        var result = await Engine().RunAsync([.. rules.Select(r => new RuleExecution(r, "t", NoParams))], "run-1");

        Assert.Equal([Verdict.Pass, Verdict.Error, Verdict.Fail], result.Rules.Select(r => r.Verdict));
        Assert.Contains("boom", result.Rules[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RuleReportsWaivedItself_IsRecordedAsErrorNeverWaived()
    {
        var waiver = new WaiverReference("W-1", new string('a', 64), "me", new DateOnly(2030, 1, 1));
        var rule = Rule("SELF", c => { c.Report(new Finding("x", Verdict.Waived, "trust me", null, waiver)); return Task.CompletedTask; });

        var result = await Engine().RunAsync([new RuleExecution(rule, "t", NoParams)], "run-1");

        var execution = Assert.Single(result.Rules);
        Assert.Equal(Verdict.Error, execution.Verdict);
        var finding = Assert.Single(execution.Findings);
        Assert.Equal(Verdict.Error, finding.Status);
        Assert.Null(finding.Waiver);
        Assert.Contains("a rule cannot report a waived finding", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_RuleBlocksAndIgnoresCancellation_IsAbandonedAsTimeoutError()
    {
        using var release = new ManualResetEventSlim();
        var rule = Rule("BLOCK", c =>
        {
            c.Report(new Finding("x", Verdict.Pass, "before blocking"));
            release.Wait(TimeSpan.FromSeconds(10));
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(100));

        var result = await Engine().ExecuteAsync(new RuleExecution(rule, "t", NoParams));
        release.Set();

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("abandoned", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_RuleObservesCancellation_IsTimeoutErrorNotPass()
    {
        var rule = Rule("SLOW", async c =>
        {
            c.Report(new Finding("x", Verdict.Pass, "partial"));
            await Task.Delay(TimeSpan.FromSeconds(30), c.CancellationToken);
        }, TimeSpan.FromMilliseconds(100));

        var result = await Engine().ExecuteAsync(new RuleExecution(rule, "t", NoParams));

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Equal("timed out after 100ms", result.Error);
    }

    [Fact]
    public async Task Execute_RuleCatchesTheCancellationAndReturns_IsTimeoutErrorNotPass()
    {
        var rule = Rule("SWALLOW", async c =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), c.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                // a rule that logs and carries on, as a catch-all around a source call would
            }

            c.Report(new Finding("x", Verdict.Pass, "looked fine"));
        }, TimeSpan.FromMilliseconds(100));

        var result = await Engine().ExecuteAsync(new RuleExecution(rule, "t", NoParams));

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Equal("timed out after 100ms (the rule caught the cancellation and returned)", result.Error);
    }

    [Fact]
    public async Task Execute_SourceFaultException_IsErrorWithKind()
    {
        var rule = Rule("FAULT", _ => throw new SourceFaultException("github", FaultKind.Permanent, "token lacks scope admin:org"));

        var result = await Engine().ExecuteAsync(new RuleExecution(rule, "t", NoParams));

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Equal("source fault (permanent): github: token lacks scope admin:org", result.Error);
    }

    [Fact]
    public async Task Execute_RuleThatFailedToLoad_IsErrorWithItsDiagnostics()
    {
        var manifest = new RuleManifest { Id = "BROKEN", Title = "t", SourcePath = "b.csx", SourceSha256 = "00" };
        var diag = new RuleDiagnostic(new SourceLocation("b.csx", 7, 3), DiagnosticSeverity.Error, "CS1002", "; expected", "BROKEN");

        var result = await Engine().ExecuteAsync(new RuleExecution(new LoadedRule(manifest, null, [diag]), "t", NoParams));

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("b.csx(7,3): error CS1002", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ParallelismIsBounded()
    {
        var running = 0;
        var peak = 0;
        var rules = Enumerable.Range(0, 12).Select(i => Rule("R" + i, async c =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(30);
            Interlocked.Decrement(ref running);
            c.Report(new Finding("r", Verdict.Pass, "ok"));
        })).ToList();

        var result = await Engine(parallel: 3).RunAsync([.. rules.Select(r => new RuleExecution(r, "t", NoParams))], "run");

        Assert.All(result.Rules, r => Assert.Equal(Verdict.Pass, r.Verdict));
        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task Run_RecordsTimesFromTheInjectedClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var engine = new RuleEngine(new EngineOptions(), time);
        var rule = Rule("T", c => { c.Report(new Finding("r", Verdict.Pass, c.Time.GetUtcNow().ToString("O"))); return Task.CompletedTask; });

        var result = await engine.RunAsync([new RuleExecution(rule, "t", NoParams)], "run");

        Assert.Equal(time.GetUtcNow(), result.StartedAt);
        Assert.Equal("2026-01-02T03:04:05.0000000+00:00", result.Rules[0].Findings[0].Message);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
