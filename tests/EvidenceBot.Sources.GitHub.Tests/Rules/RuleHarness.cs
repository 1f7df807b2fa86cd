using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.GitHub.Tests.Rules;

/// <summary>Runs a real rule from rules/github, compiled as the CLI compiles it, through the real engine, against the fake.</summary>
internal static class RuleHarness
{
    private static readonly Lazy<RuleSet> Set = new(() =>
    {
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of([new GitHubSourceModule()]),
            RulesDirectory = Path.Combine(RepositoryRoot(), "rules", "github"),
            CacheDirectory = Path.Combine(Path.GetTempPath(), "evidencebot-test-rule-cache"),
        });
        var errors = set.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        return set;
    });

    public static IReadOnlyList<LoadedRule> Rules => Set.Value.Rules;

    public static async Task<RuleExecutionResult> RunAsync(string ruleId, FakeGitHub fake, object? parameters = null,
        Action<TestSupport.OptionsBuilder>? tweak = null)
    {
        var rule = Set.Value.Rules.Single(r => r.Manifest.Id == ruleId);
        var clock = new FakeTimeProvider(TestSupport.Now);
        fake.Now = clock.GetUtcNow;
        using var session = new GitHubSession(TestSupport.Options(fake, b =>
        {
            b.MaxRetries = 0; // a fault is an error at once: these tests are about verdicts, the source tests about retries
            tweak?.Invoke(b);
        }), clock);
        var effective = new Dictionary<string, JsonElement>(rule.Manifest.Parameters, StringComparer.Ordinal);
        if (parameters is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(parameters).EnumerateObject())
                effective[p.Name] = p.Value.Clone();
        }

        var services = new Dictionary<Type, object> { [typeof(IGitHubSource)] = session.For("acme") };
        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = TimeSpan.FromSeconds(30) }, clock);
        return await engine.ExecuteAsync(new RuleExecution(rule, "acme", effective, services));
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Describe(RuleExecutionResult r) =>
        $"{r.Verdict}: {r.Error} | {string.Join(" | ", r.Findings.Select(f => $"{f.Status} {f.Resource}: {f.Message}"))}";
}

/// <summary>A compliant organisation; each test breaks one thing.</summary>
internal static class Estates
{
    public static FakeOrg Compliant(FakeGitHub fake)
    {
        var org = fake.AddOrg("acme");
        org.Members.Add(new FakeUser("alice", Admin: true));
        org.Members.Add(new FakeUser("bob", Admin: true));
        org.Members.Add(new FakeUser("carol"));
        org.OutsideCollaborators.Add(new FakeUser("contractor"));
        org.AuditEvents.Add(("repo.create", TestSupport.Now.AddHours(-2)));
        foreach (var name in new[] { "api", "web" })
        {
            var repo = new FakeRepo { Name = name, Protection = new FakeProtection() };
            repo.DependabotAlerts!.Add(new FakeAlert(1, "critical", TestSupport.Now.AddDays(-2)));
            repo.DependabotAlerts.Add(new FakeAlert(2, "medium", TestSupport.Now.AddDays(-200)));
            repo.CodeScanningAlerts!.Add(new FakeAlert(3, "high", TestSupport.Now.AddDays(-10)));
            repo.SecretAlerts!.Add(new FakeAlert(4, "", TestSupport.Now.AddDays(-1)));
            repo.DeployKeys.Add(new FakeDeployKey(10, "ci-read", true, TestSupport.Now.AddDays(-30)));
            org.Repos.Add(repo);
        }

        return org;
    }

    public static FakeRepo Api(this FakeOrg org) => org.Repos.Single(r => r.Name == "api");
}
