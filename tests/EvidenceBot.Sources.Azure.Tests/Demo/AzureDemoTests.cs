using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Sources.Azure.Tests.Fake;
using EvidenceBot.Sources.Azure.Tests.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Azure.Tests.Demo;

public sealed class AzureDemoTests
{
    [Fact]
    public async Task Replay_DemoTenant_ProdPassesLabFailsNothingErrs()
    {
        var root = RuleHarness.RepositoryRoot();
        var configFile = Path.Combine(root, "tests", "EvidenceBot.Sources.Azure.Tests", "Demo", "evidencebot.azure-demo.json");
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(configFile));
        var folder = Path.GetDirectoryName(configFile)!;
        var clock = new FakeTimeProvider(TestSupport.Now);
        using var session = new AzureSourceModule().Open(new SourceSettings
        {
            Section = config.RootElement.GetProperty("azure").Clone(),
            Path = "$.azure",
            ResolvePath = p => Path.GetFullPath(Path.Combine(folder, p)),
            Environment = _ => null,
            Time = clock,
            Redactor = new Redactor(),
        });
        var overrides = config.RootElement.GetProperty("parameters");
        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = TimeSpan.FromSeconds(30) }, clock);

        var results = new List<(string Target, RuleExecutionResult Result)>();
        foreach (var target in session.Targets)
        {
            foreach (var rule in RuleHarness.Rules)
            {
                var parameters = new Dictionary<string, JsonElement>(rule.Manifest.Parameters, StringComparer.Ordinal);
                if (overrides.TryGetProperty(rule.Manifest.Id, out var o))
                {
                    foreach (var p in o.EnumerateObject())
                        parameters[p.Name] = p.Value.Clone();
                }

                results.Add((target, await engine.ExecuteAsync(new RuleExecution(rule, target, parameters, session.ServicesFor(target)))));
            }
        }

        Assert.All(results.Where(r => r.Target == DemoEstate.Prod), r => Assert.True(r.Result.Verdict == Verdict.Pass, RuleHarness.Describe(r.Result)));
        Assert.All(results.Where(r => r.Target == DemoEstate.Lab), r => Assert.True(r.Result.Verdict == Verdict.Fail, RuleHarness.Describe(r.Result)));
        Assert.All(results, r => Assert.NotEmpty(r.Result.Evidence));
        Assert.Contains("azure: ", session.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_RequestNobodyRecorded_IsErrorNamingTheReplayFolder()
    {
        var folder = Path.Combine(RuleHarness.RepositoryRoot(), "examples", "demo", "azure");
        using var fake = FakeArm.Start();
        fake.AddSubscription("33333333-cccc-4ccc-8ccc-333333333333");

        var result = await RuleHarness.RunAsync("AZ-DEFENDER-PLANS", fake, subscription: "33333333-cccc-4ccc-8ccc-333333333333",
            tweak: o => o with { Subscriptions = ["33333333-cccc-4ccc-8ccc-333333333333"], Transport = Sources.Http.ReplayHandler.FromDirectory(folder), CredentialOverride = new NoToken() });

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("no recording", result.Error, StringComparison.Ordinal);
    }

    private sealed class NoToken : global::Azure.Core.TokenCredential
    {
        public override global::Azure.Core.AccessToken GetToken(global::Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) => new("t", DateTimeOffset.MaxValue);

        public override ValueTask<global::Azure.Core.AccessToken> GetTokenAsync(global::Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
