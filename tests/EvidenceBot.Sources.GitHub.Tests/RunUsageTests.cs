using EvidenceBot.Cli.Commands;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using NSubstitute;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>
/// A rate-limit wait in a real run reaches the run's host (the service's /metrics counters) and the summary line, in
/// process and when the rules run in a worker process, whose sources are not the host's.
/// </summary>
public sealed class RunUsageTests
{
    [Theory]
    [InlineData("none")]
    [InlineData("process")]
    public async Task RunAsync_SecondaryRateLimitOnce_HostIsToldOfOneSecondaryWaitAndTheSummarySaysSo(string isolate)
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.RequiredToken = TestSupport.Token;
        fake.Script("/orgs/acme", FakeGitHub.Error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            headers: new Dictionary<string, string> { ["Retry-After"] = "1" }));
        var tokenEnv = "EB_USAGE_TOKEN_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(tokenEnv, TestSupport.Token);
        using var dir = new TempDir();
        var rules = Directory.CreateDirectory(Path.Combine(dir.Path, "rules")).FullName;
        File.WriteAllText(Path.Combine(rules, "org.csx"), """
            /* ---
            id: T-ORG
            title: The organisation answers
            sources: [github]
            --- */
            var org = await GitHub.OrganizationAsync();
            Pass("org", org.GetProperty("login").GetString()!);
            """);
        var config = Path.Combine(dir.Path, "evidencebot.json");
        File.WriteAllText(config, $$"""{ "github": { "baseUrl": "{{fake.BaseUrl}}", "tokenEnv": "{{tokenEnv}}", "organizations": ["acme"] } }""");
        var cfg = ConfigLoader.Load(config, EvidenceBot.Cli.Sources.SourceModules.All);
        var reporter = Substitute.For<IRunReporter>();
        var options = new RunOptions
        {
            RulesDirectory = rules,
            CacheDirectory = Path.Combine(dir.Path, "cache"),
            OutDirectory = Path.Combine(dir.Path, "out"),
            ConfigPath = config,
            Isolation = isolate == "process" ? WorkerCommand.Launch(1L << 30) : null,
        };

        RunOutcome outcome;
        try
        {
            outcome = await new RunPipeline(EvidenceBot.Cli.Sources.SourceModules.All, TimeProvider.System).RunAsync(cfg, options, reporter, CancellationToken.None);
        }
        finally
        {
            Environment.SetEnvironmentVariable(tokenEnv, null);
        }

        Assert.True(outcome.ExitCode == ExitCodes.Ok, outcome.Result?.Rules.FirstOrDefault()?.Error);
        Assert.Equal(Verdict.Pass, Assert.Single(outcome.Result!.Rules).Verdict);
        Assert.Equal(2, fake.Requests.Count(r => r == "GET /orgs/acme"));
        reporter.Received(1).Usage(Arg.Is<IReadOnlyList<SourceUsage>>(u =>
            u.Count == 1 && u[0].Source == "github" && u[0].RateLimitWaits == 1 && u[0].WaitsByKind["secondary"] == 1
            && u[0].RateLimitWaitSeconds >= 0.9 && u[0].RateLimitGiveUps == 0));
        var summaries = (IReadOnlyList<string>)reporter.ReceivedCalls().Single(c => c.GetMethodInfo().Name == nameof(IRunReporter.Finished)).GetArguments()[2]!;
        var line = Assert.Single(summaries);
        Assert.StartsWith("GitHub: ", line, StringComparison.Ordinal);
        Assert.Contains("1 rate-limit wait(s)", line, StringComparison.Ordinal);
        Assert.Contains("(secondary 1)", line, StringComparison.Ordinal);
        Assert.Equal(isolate == "process", line.EndsWith("(in the worker process)", StringComparison.Ordinal));
    }
}
