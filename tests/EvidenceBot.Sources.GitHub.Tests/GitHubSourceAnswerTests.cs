using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using Octokit;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>
/// Answers that are not errors but are not GitHub's data either (a sign-in page, an empty body, a 204, a 202, an
/// object where a list belongs, an unreadable Link header): each is a source fault naming the URL, never "no items".
/// </summary>
public sealed class GitHubSourceAnswerTests
{
    private const string SignInPage = "<html><body>sign in</body></html>";

    public static TheoryData<string, int, string?, string, string> NotGitHubData => new()
    {
        // call, status, body, content type, what the message must say
        { "repos", 200, SignInPage, "text/html; charset=utf-8", "text/html" },
        { "repos", 200, "", "application/json; charset=utf-8", "empty" },
        { "repos", 200, "{}", "application/json; charset=utf-8", "found a JSON object" },
        { "repos", 204, null, "", "204" },
        { "repos", 202, "{}", "application/json; charset=utf-8", "202" },
        { "repos", 304, null, "", "304" },
        { "members", 200, SignInPage, "text/html; charset=utf-8", "text/html" },
        { "members", 204, null, "", "204" },
        { "members", 200, "{}", "application/json; charset=utf-8", "found a JSON object" },
        { "outside", 200, "", "application/json; charset=utf-8", "empty" },
        { "outside", 202, null, "", "202" },
        { "collaborators", 200, SignInPage, "text/html; charset=utf-8", "text/html" },
        { "collaborators", 200, "{}", "application/json; charset=utf-8", "found a JSON object" },
        { "collaborators", 204, null, "", "204" },
        { "protection", 200, SignInPage, "text/html; charset=utf-8", "text/html" },
        { "protection", 200, "{}", "application/json; charset=utf-8", "branch protection object" },
        { "protection", 200, "[]", "application/json; charset=utf-8", "found a JSON array" },
        { "protection", 204, null, "", "204" },
        { "protection", 304, null, "", "304" },
    };

    [Theory]
    [MemberData(nameof(NotGitHubData))]
    public async Task TypedCall_SuccessAnswerThatIsNotGitHubData_IsErrorNamingUrlAndWhatWasExpected(string call, int status, string? body, string contentType, string says)
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = call == "repos" ? null : (await session.Acme().RepositoriesAsync()).Single();
        var (path, act) = call switch
        {
            "repos" => ("/orgs/acme/repos", (Func<Task>)(() => session.Acme().RepositoriesAsync())),
            "members" => ("/orgs/acme/members", () => session.Acme().MembersAsync(OrganizationMembersFilter.TwoFactorAuthenticationDisabled)),
            "outside" => ("/orgs/acme/outside_collaborators", () => session.Acme().OutsideCollaboratorsAsync(OrganizationMembersFilter.TwoFactorAuthenticationDisabled)),
            "collaborators" => ("/repos/acme/repo-000/collaborators", () => session.Acme().CollaboratorsAsync(repo!, CollaboratorAffiliation.Outside, CollaboratorPermission.Admin)),
            _ => ("/repos/acme/repo-000/branches/main/protection", (Func<Task>)(() => session.Acme().BranchProtectionAsync(repo!))),
        };
        fake.Always(path, new FakeAnswer(status, body, ContentType: contentType));

        var ex = await Assert.ThrowsAsync<SourceFaultException>(act);

        Assert.Contains(path.TrimStart('/'), ex.Message, StringComparison.Ordinal);
        Assert.Contains(says, ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
    }

    [Fact]
    public async Task Repositories_Accepted202_IsTransientFault()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Always("/orgs/acme/repos", new FakeAnswer(202, "{}"));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().RepositoriesAsync());

        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Contains("run again later", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RawCalls_SuccessAnswerWithoutJson_AreErrors()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync()).Single();
        fake.Always("/orgs/acme/actions/permissions/workflow", new FakeAnswer(204));
        fake.Always("/repos/acme/repo-000/keys", new FakeAnswer(200, "{}"));

        var workflow = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().WorkflowPermissionsAsync());
        var keys = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().DeployKeysAsync(repo));

        Assert.Contains("204", workflow.Message, StringComparison.Ordinal);
        Assert.Contains("found a JSON object", keys.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protection_GitHubsObject_IsRead()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1).Repos[0].Protection = new FakeProtection(Approvals: 2, EnforceAdmins: true);
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync()).Single();

        var protection = await session.Acme().BranchProtectionAsync(repo);

        Assert.Equal(2, protection!.RequiredPullRequestReviews.RequiredApprovingReviewCount);
        Assert.True(protection.EnforceAdmins.Enabled);
        Assert.Empty(context.Faults);
    }
}
