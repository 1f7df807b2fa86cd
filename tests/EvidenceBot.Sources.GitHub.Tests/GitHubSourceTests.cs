using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using Octokit;

namespace EvidenceBot.Sources.GitHub.Tests;

public sealed class GitHubSourceTests
{
    [Fact]
    public async Task Repositories_MoreThanOnePage_FollowsLinkHeadersAndReturnsAll()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 230);
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var repos = await session.Acme().RepositoriesAsync();

        Assert.Equal(230, repos.Count);
        Assert.Equal(3, fake.Requests.Count(r => r.StartsWith("GET /orgs/acme/repos", StringComparison.Ordinal)));
        Assert.Contains(fake.Requests, r => r.Contains("page=3", StringComparison.Ordinal));
        Assert.Equal(3, context.Evidence.Count);
    }
}
