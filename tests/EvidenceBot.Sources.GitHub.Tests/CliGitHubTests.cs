using EvidenceBot.Cli.Sources;
using System.Text.Json;
using EvidenceBot.Cli;
using EvidenceBot.Cli.Commands;
using EvidenceBot.Runs;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using EvidenceBot.Sources.GitHub.Tests.Rules;

namespace EvidenceBot.Sources.GitHub.Tests;

public sealed class DemoEstateTests
{
    private static string DemoConfig => Path.Combine(RuleHarness.RepositoryRoot(), "examples", "demo", "evidencebot.json");

    [Fact]
    public async Task Demo_RunsEveryBuiltInGitHubRule_WithTheExpectedVerdictsAndNoReplayMiss()
    {
        using var outDir = new TempDir();
        using var cache = new TempDir();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await CliApp.RunAsync(["run", "--config", DemoConfig, "--out", outDir.Path, "--cache-dir", cache.Path], stdout, stderr, TimeProvider.System);

        Assert.True(exit == ExitCodes.ControlsFailed, stderr.ToString() + stdout);
        using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir.Path, "results.json")));
        // The demo runs every source's rules; these are the GitHub ones.
        var rules = results.RootElement.GetProperty("rules").EnumerateArray().Where(r => r.GetProperty("id").GetString()!.StartsWith("GH-", StringComparison.Ordinal)).ToList();
        var builtIn = RuleHarness.Rules.Select(r => r.Manifest.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(builtIn, rules.Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(builtIn, DemoEstate.Expected.Keys.Order(StringComparer.Ordinal).ToList());
        foreach (var r in rules)
        {
            var id = r.GetProperty("id").GetString()!;
            Assert.Equal("orbital-labs", r.GetProperty("target").GetString());
            Assert.True(JsonSerializer.Deserialize<Verdict>(r.GetProperty("verdict").GetRawText()) == DemoEstate.Expected[id], $"{id}: {r}");
        }

        Assert.DoesNotContain("no recorded exchange", stdout.ToString() + stderr, StringComparison.Ordinal);
        Assert.Equal(3, rules.Count(r => r.GetProperty("verdict").GetString() == "pass"));
        Assert.Equal(7, rules.Count(r => r.GetProperty("verdict").GetString() == "fail"));
    }

    [Fact]
    public void DemoRecording_HoldsNoCredential()
    {
        var folder = Path.Combine(RuleHarness.RepositoryRoot(), "examples", "demo", "github");

        var files = Directory.GetFiles(folder, "*.json");

        Assert.InRange(files.Length, 50, 500);
        Assert.All(files, f =>
        {
            var text = File.ReadAllText(f);
            Assert.DoesNotContain("ghp_", text, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        });
    }
}

public sealed class RunPlannerGitHubTests
{
    private static RuleSet Rules() => new(RuleHarness.Rules, [], new RuleLoadStats(0, 0, 0));

    [Fact]
    public void Plan_GitHubRules_RunOncePerOrganisationWithTheirSource()
    {
        using var replay = new TempDir();
        var cfg = new EvidenceBotConfig
        {
            BaseDirectory = replay.Path,
            Sections = Section("""{ "replay": ".", "organizations": ["acme", "globex"] }"""),
        };
        using var sources = Open(cfg);

        var plan = RunPlanner.Plan(Rules(), cfg, sources).Executions;

        Assert.Equal(RuleHarness.Rules.Count * 2, plan.Count);
        Assert.All(plan, e => Assert.Equal(e.Target, ((IGitHubSource)e.Services![typeof(IGitHubSource)]).Organization));
        Assert.Equal(["acme", "globex"], plan.Select(e => e.Target).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Plan_WithoutGitHubSection_SkipsEveryGitHubRuleSayingWhy()
    {
        var cfg = new EvidenceBotConfig();
        using var sources = Open(cfg);

        var plan = RunPlanner.Plan(Rules(), cfg, sources);

        Assert.Empty(plan.Executions);
        Assert.Equal(RuleHarness.Rules.Count, plan.Skipped.Count);
        Assert.All(plan.Skipped, s => Assert.Contains("'github' not configured", s.Reason, StringComparison.Ordinal));
    }

    private static Dictionary<string, JsonElement> Section(string github) =>
        new() { ["github"] = JsonDocument.Parse(github).RootElement.Clone() };

    private static OpenSources Open(EvidenceBotConfig cfg, Func<string, string?>? env = null) =>
        OpenSources.Open(cfg, SourceModules.All, new HashSet<string>(["github"], StringComparer.OrdinalIgnoreCase), TimeProvider.System, env);

    [Theory]
    [InlineData("""{ "tokenEnv": "EB_TEST_UNSET_TOKEN", "organizations": ["acme"] }""", "$.github.tokenEnv", "EB_TEST_UNSET_TOKEN")]
    [InlineData("""{ "organizations": ["acme"] }""", "$.github", "tokenEnv")]
    [InlineData("""{ "replay": "no-such-folder", "organizations": ["acme"] }""", "$.github.replay", "does not exist")]
    [InlineData("""{ "app": { "appId": 1, "privateKeyFile": "missing.pem" }, "organizations": ["acme"] }""", "$.github.app.privateKeyFile", "does not exist")]
    [InlineData("""{ "app": { "appId": 1 }, "organizations": ["acme"] }""", "$.github.app", "privateKeyFile")]
    [InlineData("""{ "tokenEnv": "X", "baseUrl": "api.github.com", "organizations": ["acme"] }""", "$.github.baseUrl", "absolute")]
    [InlineData("""{ "tokenEnv": "EB_TEST_SET_TOKEN", "maxRateLimitWait": "1x", "organizations": ["acme"] }""", "$.github.maxRateLimitWait", "must be a duration")]
    [InlineData("""{ "tokenEnv": "EB_TEST_SET_TOKEN" }""", "$.github.organizations", "required")]
    [InlineData("""{ "tokenEnv": "EB_TEST_SET_TOKEN", "organisations": ["acme"] }""", "$.github.organisations", "not a known setting")]
    public void Open_BadGitHubSection_IsConfigErrorNamingTheJsonPath(string github, string path, string hint)
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "evidencebot.json");
        File.WriteAllText(file, $$"""{ "github": {{github}} }""");

        var ex = Assert.ThrowsAny<Exception>(() =>
        {
            var cfg = ConfigLoader.Load(file, SourceModules.All);
            using var _ = Open(cfg, name => name == "EB_TEST_SET_TOKEN" ? "ghp_value_of_the_test_token" : null);
        });

        Assert.IsType<ConfigException>(ex);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(hint, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TokenFromEnvironment_ReachesGitHubAndNeverTheResults()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.RequiredToken = TestSupport.Token;
        using var dir = new TempDir();
        var cfg = new EvidenceBotConfig
        {
            BaseDirectory = dir.Path,
            Sections = Section($$"""{ "baseUrl": "{{fake.BaseUrl}}", "tokenEnv": "GH_TOKEN_FOR_TEST", "organizations": ["acme"] }"""),
        };
        using var sources = Open(cfg, name => name == "GH_TOKEN_FOR_TEST" ? TestSupport.Token : null);
        var plan = RunPlanner.Plan(Rules(), cfg, sources).Executions;

        var result = await new RuleEngine(new EngineOptions(), TimeProvider.System).RunAsync(plan, "t");

        Assert.All(result.Rules, r => Assert.NotEqual(Verdict.Error, r.Verdict));
        Assert.DoesNotContain(TestSupport.Token, JsonSerializer.Serialize(result), StringComparison.Ordinal);
        Assert.All(result.Rules.SelectMany(r => r.Evidence), e => Assert.DoesNotContain(TestSupport.Token, System.Text.Encoding.UTF8.GetString(e.ToFileBytes()), StringComparison.Ordinal));
    }
}
