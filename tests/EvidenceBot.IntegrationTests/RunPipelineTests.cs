using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Runs;
using NSubstitute;

namespace EvidenceBot.IntegrationTests;

/// <summary>The run pipeline hosted without the command line, as a scheduler hosts it.</summary>
public sealed class RunPipelineTests
{
    [Fact]
    public async Task RunAsync_HostedWithoutTheCli_ReportsToItsHostAndWritesTheEvidence()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");");
        cli.Rule("b.csx", "B-1", "Fail(\"res-b\", \"broken\");");
        var reporter = Substitute.For<IRunReporter>();
        var options = new RunOptions { RulesDirectory = cli.Rules, CacheDirectory = cli.Cache, OutDirectory = cli.Out };

        var outcome = await new RunPipeline([], cli.Time).RunAsync(new EvidenceBotConfig(), options, reporter, CancellationToken.None);

        Assert.Equal(ExitCodes.ControlsFailed, outcome.ExitCode);
        Assert.Equal([Verdict.Pass, Verdict.Fail], outcome.Result!.Rules.OrderBy(r => r.RuleId).Select(r => r.Verdict));
        reporter.Received(1).Finished(Arg.Is<RunResult>(r => r.Rules.Count == 2), Path.Combine(cli.Out, "results.json"), Arg.Any<IReadOnlyList<string>>());
        reporter.Received(1).Bundle(Arg.Is<BundleOutcome>(b => b.Written != null && b.Written.StatementCount == 2));
        reporter.DidNotReceive().Error(Arg.Any<string>());
        Assert.True(File.Exists(Path.Combine(cli.Out, "results.json")));
    }
}
