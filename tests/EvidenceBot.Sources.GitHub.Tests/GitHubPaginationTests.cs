using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;
using EvidenceBot.Sources.GitHub.Tests.Fake;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>
/// Pagination never quietly ends early: a Link header is followed however GitHub (or a proxy) quotes it, one that
/// cannot be read is a fault, and a list longer than the caller allows is a fault rather than its first pages.
/// </summary>
public sealed class GitHubPaginationTests
{
    [Theory]
    [InlineData("repos")]
    [InlineData("keys")]
    public async Task List_LinkRelUnquoted_FollowsEveryPage(string call)
    {
        using var fake = FakeGitHub.Start();
        var (path, session, act) = await Arrange(fake, call, page2 => $"<{page2}>; rel=next");
        using var _ = session;

        var items = await act();

        Assert.Equal(150, items);
        Assert.Equal(2, fake.Requests.Count(r => r.StartsWith("GET " + path, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("repos")]
    [InlineData("keys")]
    public async Task List_LinkSplitOverTwoHeaderLines_FollowsEveryPage(string call)
    {
        // HTTP lets a list header come as several lines; Octokit keeps one value per header, so they are joined first.
        using var fake = FakeGitHub.Start();
        var (path, session, act) = await Arrange(fake, call, page2 => $"<{page2}>; rel=\"last\"\n<{page2}>; rel=\"next\"");
        using var _ = session;

        var items = await act();

        Assert.Equal(150, items);
        Assert.Equal(2, fake.Requests.Count(r => r.StartsWith("GET " + path, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("repos", "rel=\"nex")]
    [InlineData("keys", "rel=\"nex")]
    [InlineData("repos", "rel=\"next\" garbage")]
    [InlineData("keys", "rel next")]
    public async Task List_LinkHeaderThatCannotBeParsed_IsErrorNotTheFirstPage(string call, string rel)
    {
        using var fake = FakeGitHub.Start();
        var (path, session, act) = await Arrange(fake, call, page2 => $"<{page2}>; {rel}");
        using var _ = session;
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(act);

        Assert.Contains("Link header cannot be parsed", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path.TrimStart('/'), ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
    }

    [Fact]
    public async Task List_NextLinkBackToAPageAlreadyRead_IsErrorNotALoop()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Always("/orgs/acme/repos", new FakeAnswer(200, "[]", new Dictionary<string, string>
        {
            ["Link"] = $"<{new Uri(fake.BaseUrl, "orgs/acme/repos?per_page=100")}>; rel=\"next\"",
        }));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().RepositoriesAsync());

        Assert.Contains("already read", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAllJson_MorePagesThanMaxPages_IsErrorNamingTheLimit()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 1);
        for (var i = 0; i < 150; i++)
            org.Repos[0].DeployKeys.Add(new FakeDeployKey(i + 1, $"key-{i}", true, TestSupport.Now));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().GetAllJsonAsync("repos/acme/repo-000/keys", maxPages: 1));
        var all = await session.Acme().GetAllJsonAsync("repos/acme/repo-000/keys", maxPages: 2);

        Assert.Contains("more than 1 page", ex.Message, StringComparison.Ordinal);
        Assert.Contains("raise maxPages", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
        Assert.Equal(150, all.Count);
    }

    [Fact]
    public async Task AuditLog_MorePagesThanMaxPages_ReturnsTheNewestPagesAsDocumented()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 0);
        for (var i = 0; i < 150; i++)
            org.AuditEvents.Add(("repo.create", TestSupport.Now.AddMinutes(-i)));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var events = await session.Acme().AuditLogAsync(maxPages: 1);

        Assert.Equal(100, events.Count);
        Assert.Empty(context.Faults);
    }

    [Theory]
    [InlineData("<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\"", "https://api.github.com/x?page=2")]
    [InlineData("<https://api.github.com/x?page=2>; rel=next, <https://api.github.com/x?page=5>; rel=last", "https://api.github.com/x?page=2")]
    [InlineData("<https://api.github.com/x?page=1>; rel=\"prev first\"", null)]
    [InlineData("<https://api.github.com/x?page=3>;rel=\"next\"", "https://api.github.com/x?page=3")]
    public void LinkHeader_GitHubsFormsQuotedOrNot_AreRead(string header, string? next) =>
        Assert.Equal(next, LinkHeader.Next(header, "x")?.ToString());

    [Theory]
    [InlineData("")]
    [InlineData("https://api.github.com/x?page=2; rel=\"next\"")]
    [InlineData("<https://api.github.com/x?page=2; rel=\"next\"")]
    [InlineData("<https://api.github.com/x?page=2>; rel=\"next")]
    [InlineData("<https://api.github.com/x?page=2>; rel=")]
    [InlineData("<https://api.github.com/x?page=2>; rel=\"next\" <https://api.github.com/x?page=3>; rel=\"last\"")]
    [InlineData("<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=3>; rel=\"next\"")]
    public void LinkHeader_PresentButUnreadable_IsRefused(string header) =>
        Assert.Throws<UnusableAnswerException>(() => LinkHeader.Next(header, "x"));

    /// <summary>150 items of <paramref name="call"/>, the first page answered with GitHub's own body and the given Link header.</summary>
    private static async Task<(string Path, GitHubSession Session, Func<Task<int>> Act)> Arrange(FakeGitHub fake, string call, Func<string, string> link)
    {
        var org = TestSupport.SimpleOrg(fake, repos: call == "repos" ? 150 : 1);
        if (call == "keys")
        {
            for (var i = 0; i < 150; i++)
                org.Repos[0].DeployKeys.Add(new FakeDeployKey(i + 1, $"key-{i}", true, TestSupport.Now));
        }

        var path = call == "repos" ? "/orgs/acme/repos" : "/repos/acme/repo-000/keys";
        using var http = new HttpClient();
        var page1 = await http.GetStringAsync(new Uri(fake.BaseUrl, path.TrimStart('/') + "?per_page=100"));
        fake.ResetLog();
        fake.Script(path, new FakeAnswer(200, page1, new Dictionary<string, string> { ["Link"] = link(new Uri(fake.BaseUrl, path.TrimStart('/') + "?per_page=100&page=2").ToString()) }));
        var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();
        return (path, session, call == "repos"
            ? async () => (await session.Acme().RepositoriesAsync()).Count
            : async () => (await session.Acme().GetAllJsonAsync("repos/acme/repo-000/keys")).Count);
    }
}
