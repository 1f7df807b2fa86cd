using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using EvidenceBot.Sources.GitHub.Tests.Rules;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>
/// A token that cannot see every repository must never read as compliant (probe defect, issue 12): fewer repositories
/// listed than the organisation reports is a fault naming the missing access, for every rule that lists repositories.
/// </summary>
public sealed class RepositoryVisibilityTests
{
    /// <summary>Every built-in rule that judges repositories: on part of the list they must say error.</summary>
    public static TheoryData<string> RepositoryRules =>
    [
        "GH-ACTIONS-TOKEN", "GH-BRANCH-PROTECTION", "GH-CODE-SCANNING", "GH-DEPENDABOT", "GH-DEPLOY-KEYS", "GH-ORG-ADMINS",
        "GH-SECRET-SCANNING", "GH-SIGNED-COMMITS",
    ];

    [Fact]
    public async Task Repositories_EmptyListWhileTheOrganisationReports102_IsPermanentFaultNamingTheMissingAccess()
    {
        using var fake = FakeGitHub.Start();
        var org = fake.AddOrg("acme");
        org.HiddenRepos = 102;
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().RepositoriesAsync());

        Assert.Equal(FaultKind.Permanent, ex.Kind);
        Assert.Contains("lists 0 repositories but the organisation reports 102 (public_repos 0 + total_private_repos 102)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'repo' scope", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Metadata: read", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
        Assert.Contains(context.Evidence, e => e.Url.EndsWith("/orgs/acme", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RepositoryRules))]
    public async Task RepositoryRule_TokenSeesFewerRepositoriesThanTheOrganisationHas_IsErrorNeverPassOrNotApplicable(string ruleId)
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.HiddenRepos = 2;

        var result = await RuleHarness.RunAsync(ruleId, fake);

        Assert.True(result.Verdict == Verdict.Error, RuleHarness.Describe(result));
        Assert.Contains("the token cannot see 2 of them", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repositories_PrivateCountNotShownToTheToken_AreCheckedAgainstThePublicCount()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake);
        org.PrivateCountVisible = false;
        org.HiddenRepos = 5; // not reported without total_private_repos: only public_repos (3) can be checked
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var repos = await session.Acme().RepositoriesAsync();

        Assert.Equal(3, repos.Count);
        Assert.Empty(context.Faults);
    }
}
