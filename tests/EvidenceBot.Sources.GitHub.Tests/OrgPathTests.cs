using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using EvidenceBot.Sources.GitHub.Tests.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>The organisation path: organisation alert lists and GraphQL, sliced per repository, against the per-repository path.</summary>
public sealed class OrgPathTests
{
    private static string RulesDirectory => Path.Combine(RuleHarness.RepositoryRoot(), "rules", "github");

    private static string CacheDirectory => Path.Combine(Path.GetTempPath(), "evidencebot-test-rule-cache");

    [Fact]
    public async Task RunRules_DemoEstateOnBothPaths_SameVerdictsAndFindings()
    {
        using var fake = FakeGitHub.Start();
        var clock = new FakeTimeProvider(DemoEstate.RecordedAt);
        fake.Now = clock.GetUtcNow;
        DemoEstate.Build(fake);

        var org = await DemoEstate.RunAsync(fake, clock, GitHubApiPath.Org, RulesDirectory, CacheDirectory);
        var orgRequests = fake.Requests.Count;
        fake.ResetLog();
        var repo = await DemoEstate.RunAsync(fake, clock, GitHubApiPath.Repo, RulesDirectory, CacheDirectory);
        var repoRequests = fake.Requests.Count;

        Assert.Equal(DemoEstate.Expected.Count, org.Rules.Count);
        foreach (var rule in org.Rules)
        {
            var other = Assert.Single(repo.Rules, r => r.RuleId == rule.RuleId);
            Assert.Equal(DemoEstate.Expected[rule.RuleId], rule.Verdict);
            Assert.Equal(other.Verdict, rule.Verdict);
            Assert.Equal(Describe(other.Findings), Describe(rule.Findings));
        }

        Assert.True(orgRequests < repoRequests, $"organisation path sent {orgRequests} requests, per-repository path {repoRequests}");
    }

    [Fact]
    public async Task RunRules_EstateWithEveryFeatureState_SameFindingsOnBothPaths()
    {
        // Every branch of the slicing: alerts in and out of the lists, features off, unknown secret-scanning state,
        // classic protection, repository and organisation rulesets, deploy keys, outside admins.
        using var fake = FakeGitHub.Start();
        var clock = new FakeTimeProvider(DemoEstate.RecordedAt);
        fake.Now = clock.GetUtcNow;
        DemoEstate.Build(fake);
        var org = fake.Orgs.Single();
        var odd = new FakeRepo { Name = "zz-unknown-state", SecretScanning = null, DependabotAlerts = null, CodeScanningAlerts = [] };
        odd.Rulesets.Add(new FakeRuleset(101, "org-default-branch", [("pull_request", """{"required_approving_review_count":1}"""), ("required_signatures", null)], FromOrganization: true));
        odd.OutsideAdmins.Add("vendor-sam");
        org.Repos.Add(odd);

        var byOrg = await DemoEstate.RunAsync(fake, clock, GitHubApiPath.Org, RulesDirectory, CacheDirectory);
        var byRepo = await DemoEstate.RunAsync(fake, clock, GitHubApiPath.Repo, RulesDirectory, CacheDirectory);

        foreach (var rule in byOrg.Rules)
        {
            var other = byRepo.Rules.Single(r => r.RuleId == rule.RuleId);
            Assert.Equal(other.Verdict, rule.Verdict);
            Assert.Equal(Describe(other.Findings), Describe(rule.Findings));
        }
    }

    [Fact]
    public async Task DependabotAlerts_OrgPath_OneOrganisationRequestForEveryRepository()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 5);
        org.Repos[1].DependabotAlerts!.Add(new FakeAlert(9, "high", TestSupport.Now.AddDays(-3)));
        org.Repos[3].DependabotAlerts = null;
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Org), TimeProvider.System);
        TestSupport.EnterContext();
        var repos = await session.Acme().RepositoriesAsync();

        var alerts = await Task.WhenAll(repos.Select(r => session.Acme().DependabotAlertsAsync(r)));

        Assert.Equal([0, 1, 0, -1, 0], alerts.Select(a => a?.Count ?? -1));
        Assert.Equal(9, alerts[1]![0].GetProperty("number").GetInt32());
        Assert.Single(fake.Requests, r => r.StartsWith("GET /orgs/acme/dependabot/alerts", StringComparison.Ordinal));
        Assert.DoesNotContain(fake.Requests, r => r.Contains("/dependabot/alerts", StringComparison.Ordinal) && r.StartsWith("GET /repos/", StringComparison.Ordinal));
        Assert.Single(fake.Requests, r => r.StartsWith("POST /graphql", StringComparison.Ordinal));
        Assert.True(session.Usage.GraphQLPoints > 0);
        Assert.Equal(1, session.Usage.GraphQLQueries);
    }

    [Fact]
    public async Task OrganisationAnswer_UsedByTwoRules_AttachedToBoth()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 2);
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Org), TimeProvider.System);

        async Task<RuleContext> AskAsync()
        {
            var context = TestSupport.EnterContext();
            var repo = (await session.Acme().RepositoriesAsync())[0];
            await session.Acme().DependabotAlertsAsync(repo);
            return context;
        }

        var first = await Task.Run(AskAsync);
        var second = await Task.Run(AskAsync);

        foreach (var context in new[] { first, second })
        {
            Assert.Contains(context.Evidence, e => e.Url.Contains("/orgs/acme/dependabot/alerts", StringComparison.Ordinal));
            Assert.Contains(context.Evidence, e => e.Method == "POST" && e.Url.EndsWith("/graphql", StringComparison.Ordinal));
        }

        Assert.Single(fake.Requests, r => r.StartsWith("GET /orgs/acme/dependabot/alerts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DependabotAlerts_OrganisationEndpointForbidden_AsksEachRepositoryAndLogsWhy()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 2);
        org.Repos[0].DependabotAlerts!.Add(new FakeAlert(4, "critical", TestSupport.Now.AddDays(-1)));
        fake.Always("/orgs/acme/dependabot/alerts", FakeGitHub.Error(403, "Resource not accessible by personal access token"));
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Org), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync())[0];

        var alerts = await session.Acme().DependabotAlertsAsync(repo);

        Assert.Equal(4, Assert.Single(alerts!).GetProperty("number").GetInt32());
        Assert.Contains(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-000/dependabot/alerts", StringComparison.Ordinal));
        Assert.Contains(context.Log, l => l.Contains("dependabot/alerts could not be used", StringComparison.Ordinal) && l.Contains("403", StringComparison.Ordinal));
        Assert.Contains(context.Evidence, e => e.Status == 403);
        Assert.Empty(context.Faults);
    }

    [Fact]
    public async Task CodeScanningAlerts_OrganisationEndpointFailsAfterRetries_IsFaultNotEmptyList()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.Always("/orgs/acme/code-scanning/alerts", FakeGitHub.Error(502, "Bad Gateway"));
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.Path = GitHubApiPath.Org; b.MaxRetries = 1; }), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync())[0];

        await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().CodeScanningAlertsAsync(repo));

        Assert.Contains(context.Faults, f => f.Contains("502", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CodeScanningAlerts_RepositoryAbsentFromOrganisationList_AsksTheRepository()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 2);
        org.Repos[0].CodeScanningAlerts!.Add(new FakeAlert(5, "high", TestSupport.Now));
        org.Repos[1].CodeScanningAlerts = null; // no analysis: nothing in the organisation list says so
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Org), TimeProvider.System);
        TestSupport.EnterContext();
        var repos = await session.Acme().RepositoriesAsync();

        var withAlert = await session.Acme().CodeScanningAlertsAsync(repos[0]);
        var withoutAnalysis = await session.Acme().CodeScanningAlertsAsync(repos[1]);

        Assert.Single(withAlert!);
        Assert.Null(withoutAnalysis);
        Assert.DoesNotContain(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-000/code-scanning", StringComparison.Ordinal));
        Assert.Contains(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-001/code-scanning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SecretScanningAlerts_StatusNotVisible_AsksTheRepository()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 2);
        org.Repos[1].SecretScanning = null; // security_and_analysis absent: whether scanning is on is unknown
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Org), TimeProvider.System);
        TestSupport.EnterContext();
        var repos = await session.Acme().RepositoriesAsync();

        Assert.Empty((await session.Acme().SecretScanningAlertsAsync(repos[0]))!);
        Assert.Empty((await session.Acme().SecretScanningAlertsAsync(repos[1]))!);

        Assert.DoesNotContain(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-000/secret-scanning", StringComparison.Ordinal));
        Assert.Contains(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-001/secret-scanning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BranchProtection_GraphQLAnswersWithErrors_ReadsPerRepositoryAndLogsWhy()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.Always("/graphql", new FakeAnswer(200, """{"data":null,"errors":[{"type":"FORBIDDEN","message":"Resource not accessible by integration"}]}"""));
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Org), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync())[0];

        var protection = await session.Acme().BranchProtectionAsync(repo);

        Assert.Equal(2, protection!.RequiredPullRequestReviews.RequiredApprovingReviewCount);
        Assert.Contains(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-000/branches/main/protection", StringComparison.Ordinal));
        Assert.Contains(context.Log, l => l.Contains("GraphQL", StringComparison.Ordinal) && l.Contains("FORBIDDEN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Path_AutoOnOldEnterpriseServer_ReadsPerRepository()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.EnterpriseVersion = "3.9.4";
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Auto), TimeProvider.System);
        TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync())[0];

        await session.Acme().DeployKeysAsync(repo);

        Assert.Contains(fake.Requests, r => r.StartsWith("GET /meta", StringComparison.Ordinal));
        Assert.Contains(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-000/keys", StringComparison.Ordinal));
        Assert.DoesNotContain(fake.Requests, r => r.StartsWith("POST /graphql", StringComparison.Ordinal));
        Assert.Equal("repo (GitHub Enterprise Server 3.9.4 < 3.11)", session.Usage.Path);
    }

    [Fact]
    public async Task Path_AutoOnCurrentEnterpriseServer_UsesOrganisationPath()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.EnterpriseVersion = "3.14.2";
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Path = GitHubApiPath.Auto), TimeProvider.System);
        TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync())[0];

        await session.Acme().DeployKeysAsync(repo);

        Assert.Contains(fake.Requests, r => r.StartsWith("POST /graphql", StringComparison.Ordinal));
        Assert.DoesNotContain(fake.Requests, r => r.StartsWith("GET /repos/acme/repo-000/keys", StringComparison.Ordinal));
        Assert.Equal("org (GitHub Enterprise Server 3.14.2 ≥ 3.11)", session.Usage.Path);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("3.11.0", true)]
    [InlineData("3.10.7", false)]
    [InlineData("2.22.1", false)]
    [InlineData("banana", false)]
    public void Choose_EnterpriseServerVersion_PicksPath(string? version, bool org) =>
        Assert.Equal(org, GitHubServerVersion.Choose(version).Org);

    [Fact]
    public async Task GraphQL_MoreRepositoriesThanOnePage_FollowsCursors()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 7);
        org.Repos[6].DeployKeys.Add(new FakeDeployKey(1, "last-page", true, TestSupport.Now));
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.Path = GitHubApiPath.Org; b.GraphQLPageSize = 3; }), TimeProvider.System);
        TestSupport.EnterContext();
        var repos = await session.Acme().RepositoriesAsync();

        var keys = await session.Acme().DeployKeysAsync(repos[6]);

        Assert.Equal("last-page", Assert.Single(keys).GetProperty("title").GetString());
        Assert.Equal(3, fake.GraphQLQueries);
        Assert.Equal(3, session.Usage.GraphQLQueries);
    }

    private static string Describe(IEnumerable<Finding> findings) =>
        string.Join("\n", findings.OrderBy(f => f.Resource, StringComparer.Ordinal).ThenBy(f => f.Message, StringComparer.Ordinal)
            .Select(f => $"{f.Resource} {f.Status} {f.Message} {(f.Observed is { } o ? JsonSerializer.Serialize(o) : "")}"));
}
