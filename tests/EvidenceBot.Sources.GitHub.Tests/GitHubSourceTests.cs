using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Http;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using EvidenceBot.Sources.Http;
using Microsoft.Extensions.Time.Testing;
using Octokit;

namespace EvidenceBot.Sources.GitHub.Tests;

public sealed class GitHubSourceTests
{
    private const string OrgPath = "/orgs/acme";

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
        // Three pages and the organisation object whose repository count they are checked against.
        Assert.Equal(4, context.Evidence.Count);
    }

    [Fact]
    public async Task RawList_MoreThanOnePage_FollowsLinkHeaders()
    {
        using var fake = FakeGitHub.Start();
        var org = TestSupport.SimpleOrg(fake, repos: 1);
        for (var i = 0; i < 150; i++)
            org.Repos[0].DeployKeys.Add(new FakeDeployKey(i + 1, $"key-{i}", true, TestSupport.Now));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync()).Single();

        var keys = await session.Acme().DeployKeysAsync(repo);

        Assert.Equal(150, keys.Count);
        Assert.Equal(150, keys.Select(k => k.GetProperty("id").GetInt64()).Distinct().Count());
    }

    [Fact]
    public async Task Organization_PrimaryRateLimitWithReset_WaitsUntilResetThenSucceeds()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var clock = new FakeTimeProvider(TestSupport.Now);
        fake.Now = clock.GetUtcNow;
        var reset = TestSupport.Now.AddSeconds(20).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        fake.Script(OrgPath, FakeGitHub.Error(403, "API rate limit exceeded for user ID 1.", headers: new Dictionary<string, string>
        {
            ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset,
        }));
        // Attempt timeouts run on the injected clock, which races ahead of a real loopback answer here: no attempt timeout.
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.AttemptTimeout = Timeout.InfiniteTimeSpan), clock);

        var org = await TestSupport.WhileClockRuns(clock, () => { TestSupport.EnterContext(); return session.Acme().OrganizationAsync(); });

        Assert.True(org.GetProperty("two_factor_requirement_enabled").GetBoolean());
        Assert.True(clock.GetUtcNow() >= TestSupport.Now.AddSeconds(20), "the retry waited for X-RateLimit-Reset");
        Assert.Equal(2, fake.Requests.Count(r => r == "GET " + OrgPath));
    }

    [Fact]
    public async Task RateLimits_PrimaryLimitResettingSecondsAhead_CountsOnePrimaryWaitOfAboutThatLength()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();
        // On the real clock (a fake one races on while a loopback answer travels, past the reset), once warm, so the
        // reset two seconds ahead is still ahead when the refusal comes.
        await session.Acme().GetJsonAsync("orgs/acme?warm=1");
        var reset = DateTimeOffset.UtcNow.AddSeconds(2);
        fake.Script(OrgPath, FakeGitHub.Error(403, "API rate limit exceeded for user ID 1.", headers: new Dictionary<string, string>
        {
            ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));

        var org = await session.Acme().OrganizationAsync();

        Assert.Equal("acme", org.GetProperty("login").GetString());
        Assert.Equal(2, fake.Requests.Count(r => r == "GET " + OrgPath));
        var usage = session.RateLimits;
        Assert.Equal(1, usage.RateLimitWaits);
        Assert.Equal(1, usage.WaitsByKind["primary"]);
        // X-RateLimit-Reset is whole epoch seconds: the wait is between 1 and 2 s.
        Assert.InRange(usage.RateLimitWaitSeconds, 0.5, 10);
        Assert.Equal(0, usage.RateLimitGiveUps);
    }

    [Fact]
    public async Task Organization_RateLimitResetBeyondBound_IsErrorWithReasonWithoutWaiting()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var clock = new FakeTimeProvider(TestSupport.Now);
        fake.Now = clock.GetUtcNow;
        fake.Always(OrgPath, FakeGitHub.Error(403, "API rate limit exceeded for user ID 1.", headers: new Dictionary<string, string>
        {
            ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = TestSupport.Now.AddMinutes(40).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.MaxRateLimitWait = TimeSpan.FromSeconds(30)), clock);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().OrganizationAsync());

        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Contains("rate limit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("maxRateLimitWait", ex.Message, StringComparison.Ordinal);
        Assert.Single(fake.Requests, r => r == "GET " + OrgPath);
        Assert.Equal(TestSupport.Now, clock.GetUtcNow());
        Assert.NotEmpty(context.Faults);
        // Not waited for: a give-up, not a wait.
        Assert.Equal(0, session.RateLimits.RateLimitWaits);
        Assert.Equal(1, session.RateLimits.RateLimitGiveUps);
    }

    [Fact]
    public async Task Organization_SecondaryRateLimitWithRetryAfter_WaitsThenSucceeds()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var clock = new FakeTimeProvider(TestSupport.Now);
        fake.Now = clock.GetUtcNow;
        fake.Script(OrgPath, FakeGitHub.Error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            headers: new Dictionary<string, string> { ["Retry-After"] = "30" }));
        // Attempt timeouts run on the injected clock, which races ahead of a real loopback answer here: no attempt timeout.
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.AttemptTimeout = Timeout.InfiniteTimeSpan), clock);

        var org = await TestSupport.WhileClockRuns(clock, () => { TestSupport.EnterContext(); return session.Acme().OrganizationAsync(); });

        Assert.Equal("acme", org.GetProperty("login").GetString());
        Assert.True(clock.GetUtcNow() >= TestSupport.Now.AddSeconds(30), "the retry honoured Retry-After");
        Assert.Equal(1, session.RateLimits.WaitsByKind["secondary"]);
        Assert.True(session.RateLimits.RateLimitWaitSeconds >= 30);
    }

    [Fact]
    public async Task Organization_TooManyRequestsWithRetryAfter_WaitsThenSucceeds()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var clock = new FakeTimeProvider(TestSupport.Now);
        fake.Now = clock.GetUtcNow;
        fake.Script(OrgPath, FakeGitHub.Error(429, "Too Many Requests", headers: new Dictionary<string, string> { ["Retry-After"] = "7" }));
        // Attempt timeouts run on the injected clock, which races ahead of a real loopback answer here: no attempt timeout.
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.AttemptTimeout = Timeout.InfiniteTimeSpan), clock);

        var org = await TestSupport.WhileClockRuns(clock, () => { TestSupport.EnterContext(); return session.Acme().OrganizationAsync(); });

        Assert.Equal("acme", org.GetProperty("login").GetString());
        Assert.True(clock.GetUtcNow() >= TestSupport.Now.AddSeconds(7));
        Assert.Equal(2, fake.Requests.Count(r => r == "GET " + OrgPath));
    }

    [Fact]
    public async Task Repositories_BadGatewayThenSuccess_Retries()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Script("/orgs/acme/repos", FakeGitHub.Error(502, "Server Error"));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var repos = await session.Acme().RepositoriesAsync();

        Assert.Equal(3, repos.Count);
        Assert.Equal(2, fake.Requests.Count(r => r.StartsWith("GET /orgs/acme/repos", StringComparison.Ordinal)));
        Assert.Empty(context.Faults);
        Assert.Equal(200, Assert.Single(context.Evidence, e => e.Url.Contains("/repos", StringComparison.Ordinal)).Status);
    }

    [Fact]
    public async Task Repositories_PermanentServerError_IsTransientFaultAfterRetries()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Always("/orgs/acme/repos", FakeGitHub.Error(500, "Internal Server Error"));
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.MaxRetries = 2), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().RepositoriesAsync());

        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Contains("500", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, fake.Requests.Count(r => r.StartsWith("GET /orgs/acme/repos", StringComparison.Ordinal)));
        Assert.Single(context.Faults);
        Assert.Equal(500, Assert.Single(context.Evidence).Status);
    }

    [Fact]
    public async Task Organization_AttemptTimesOut_IsRetried()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Script(OrgPath, new FakeAnswer(200, "{}") { Delay = TimeSpan.FromSeconds(2) });
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.AttemptTimeout = TimeSpan.FromMilliseconds(300)), TimeProvider.System);
        TestSupport.EnterContext();

        var org = await session.Acme().OrganizationAsync();

        Assert.Equal("acme", org.GetProperty("login").GetString());
        Assert.Equal(2, fake.Requests.Count(r => r == "GET " + OrgPath));
    }

    [Fact]
    public async Task Organization_TruncatedJson_IsErrorNamingTheUrlAndNotRetried()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Always(OrgPath, new FakeAnswer(200, """{"login": "acme", "two_factor_requirement_enabled": tr"""));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().OrganizationAsync());

        Assert.Equal(FaultKind.Permanent, ex.Kind);
        Assert.Contains("/orgs/acme", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
        Assert.Single(fake.Requests, r => r == "GET " + OrgPath);
        Assert.NotEmpty(context.Faults);
    }

    [Fact]
    public async Task TypedCall_TruncatedJson_IsErrorNamingTheUrl()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Always("/orgs/acme/repos", new FakeAnswer(200, """[{"id": 1, "name": "api", "full_"""));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().RepositoriesAsync());

        Assert.Contains("/orgs/acme/repos", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Members_TokenLacksScope_IsPermanentErrorNamingTheScope()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Always("/orgs/acme/members", FakeGitHub.Error(403, "Must have admin rights to Repository.", headers: new Dictionary<string, string>
        {
            ["X-Accepted-OAuth-Scopes"] = "admin:org", ["X-OAuth-Scopes"] = "repo",
        }));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().MembersAsync(OrganizationMembersFilter.TwoFactorAuthenticationDisabled));

        Assert.Equal(FaultKind.Permanent, ex.Kind);
        Assert.Contains("token lacks scope admin:org", ex.Message, StringComparison.Ordinal);
        Assert.Contains("it has: repo", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
    }

    [Fact]
    public async Task Protection_OtherNotFound_IsErrorNotUnprotected()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.Always("/repos/acme/repo-000/branches", FakeGitHub.Error(404, "Not Found"));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync()).Single();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().BranchProtectionAsync(repo));

        Assert.Contains("404", ex.Message, StringComparison.Ordinal);
        Assert.Contains("permission", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
    }

    [Fact]
    public async Task Protection_BranchNotProtected_IsNullAndNoFault()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1).Repos[0].Protection = null;
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync()).Single();

        var protection = await session.Acme().BranchProtectionAsync(repo);

        Assert.Null(protection);
        Assert.Empty(context.Faults);
        Assert.Contains(context.Evidence, e => e.Status == 404 && e.Body!.Contains("Branch not protected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Alerts_FeatureDisabledByGitHub_IsNullNotFault()
    {
        using var fake = FakeGitHub.Start();
        var r = TestSupport.SimpleOrg(fake, repos: 1).Repos[0];
        r.SecretAlerts = null;
        r.DependabotAlerts = null;
        r.CodeScanningAlerts = null;
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync()).Single();

        Assert.Null(await session.Acme().SecretScanningAlertsAsync(repo));
        Assert.Null(await session.Acme().DependabotAlertsAsync(repo));
        Assert.Null(await session.Acme().CodeScanningAlertsAsync(repo));
        Assert.Empty(context.Faults);
    }

    [Fact]
    public async Task SecretAlerts_AreFetchedWithoutTheSecretValue()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1).Repos[0].SecretAlerts!.Add(new FakeAlert(1, "high", TestSupport.Now));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        TestSupport.EnterContext();
        var repo = (await session.Acme().RepositoriesAsync()).Single();

        var alert = Assert.Single((await session.Acme().SecretScanningAlertsAsync(repo))!);

        Assert.False(alert.TryGetProperty("secret", out _));
        Assert.Contains(fake.Requests, r => r.Contains("hide_secret=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameGet_FromTwoRules_GoesToTheNetworkOnceAndBothGetTheEvidence()
    {
        using var fake = FakeGitHub.Start(latency: TimeSpan.FromMilliseconds(100));
        TestSupport.SimpleOrg(fake);
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        RuleContext? first = null, second = null;

        await Task.WhenAll(
            Task.Run(async () => { first = TestSupport.EnterContext(); await session.Acme().OrganizationAsync(); }),
            Task.Run(async () => { second = TestSupport.EnterContext(); await session.Acme().OrganizationAsync(); }));
        RuleContext? third = null;
        await Task.Run(async () => { third = TestSupport.EnterContext(); await session.Acme().OrganizationAsync(); });

        Assert.Single(fake.Requests, r => r == "GET " + OrgPath);
        var digest = Assert.Single(first!.Evidence).Digest();
        Assert.Equal(digest, Assert.Single(second!.Evidence).Digest());
        Assert.Equal(digest, Assert.Single(third!.Evidence).Digest());
        Assert.Equal(3, session.Stats.Asked);
        Assert.Equal(1, session.Stats.Fetched);
    }

    [Fact]
    public async Task SecondRun_WithEtagCache_IsAnswered304AndEvidenceKeepsTheFullBody()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        using var cache = new TempDir();
        await TestSupport.FillEtagCacheAsync(fake, cache.Path);

        using var run2 = new GitHubSession(TestSupport.Options(fake, b => b.EtagCacheDirectory = cache.Path), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var org = await run2.Acme().OrganizationAsync();
        var repos = await run2.Acme().RepositoriesAsync();

        Assert.Equal(2, fake.NotModified);
        Assert.Equal(2, run2.Stats.Revalidated);
        Assert.Equal("acme", org.GetProperty("login").GetString());
        Assert.Equal(3, repos.Count);
        Assert.All(context.Evidence, e =>
        {
            Assert.Equal(200, e.Status);
            Assert.True(e.ResponseHeaders.ContainsKey(EvidenceBot.Sources.Http.SourceHttpStack.RevalidatedHeader));
            Assert.True(e.RequestHeaders.ContainsKey("If-None-Match"));
            Assert.False(string.IsNullOrEmpty(e.Body));
        });
        Assert.Contains(context.Evidence, e => e.Body!.Contains("\"login\":\"acme\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CapturedEvidence_NeverContainsTheToken()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.RequiredToken = TestSupport.Token;
        // A server that echoes the token back must not get it into evidence either.
        fake.Always("/orgs/acme/actions", new FakeAnswer(200, $$"""{"default_workflow_permissions":"read","can_approve_pull_request_reviews":false,"echo":"{{TestSupport.Token}}"}"""));
        var sink = new ListSink();
        using var session = new GitHubSession(TestSupport.Options(fake, b => b.Sink = sink), TimeProvider.System);
        var context = TestSupport.EnterContext();

        await session.Acme().OrganizationAsync();
        await session.Acme().WorkflowPermissionsAsync();

        Assert.Contains(fake.Authorizations, a => a.Contains(TestSupport.Token, StringComparison.Ordinal));
        var files = sink.Items.Concat(context.Evidence).Select(e => System.Text.Encoding.UTF8.GetString(e.ToFileBytes())).ToList();
        Assert.Equal(4, files.Count);
        Assert.All(files, f => Assert.DoesNotContain(TestSupport.Token, f, StringComparison.Ordinal));
        Assert.All(sink.Items, e => Assert.Equal(Redactor.Mask, e.RequestHeaders["Authorization"]));
    }

    [Fact]
    public async Task Repositories_FiltersArchivedForksGlobsAndTopics()
    {
        using var fake = FakeGitHub.Start();
        var org = fake.AddOrg("acme");
        org.Repos.Add(new FakeRepo { Name = "api" });
        org.Repos.Add(new FakeRepo { Name = "api-old", Archived = true });
        org.Repos.Add(new FakeRepo { Name = "api-fork", Fork = true });
        org.Repos.Add(new FakeRepo { Name = "web" });
        org.Repos.Add(new FakeRepo { Name = "sandbox-1" });
        org.Repos.Add(new FakeRepo { Name = "ml-model" });
        org.Repos[5].Topics.Add("ai");
        org.Repos[0].Topics.Add("ai");
        using var all = new GitHubSession(TestSupport.Options(fake, b => b.Exclude = ["sandbox-*"]), TimeProvider.System);
        using var everything = new GitHubSession(TestSupport.Options(fake, b => { b.IncludeArchived = true; b.IncludeForks = true; }), TimeProvider.System);
        using var ai = new GitHubSession(TestSupport.Options(fake, b => b.Topics = ["AI"]), TimeProvider.System);
        using var included = new GitHubSession(TestSupport.Options(fake, b => b.Include = ["acme/api*", "w?b"]), TimeProvider.System);
        TestSupport.EnterContext();

        Assert.Equal(["api", "ml-model", "web"], (await all.Acme().RepositoriesAsync()).Select(r => r.Name));
        Assert.Equal(6, (await everything.Acme().RepositoriesAsync()).Count);
        Assert.Equal(["api", "ml-model"], (await ai.Acme().RepositoriesAsync()).Select(r => r.Name));
        Assert.Equal(["api", "web"], (await included.Acme().RepositoriesAsync()).Select(r => r.Name));
    }

    [Fact]
    public async Task Replay_RequestWithoutRecording_IsErrorNeverEmpty()
    {
        var recorded = new HttpExchange
        {
            Source = "github", Method = "GET", Url = "https://api.github.com/orgs/acme", Status = 200,
            ResponseHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json" }, Body = """{"login":"acme"}""",
        };
        var options = new GitHubSourceOptions { Organizations = ["acme"], Transport = new ReplayHandler([recorded]) };
        using var session = new GitHubSession(options, TimeProvider.System);
        var context = TestSupport.EnterContext();

        var org = await session.Acme().OrganizationAsync();
        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().RepositoriesAsync());

        Assert.Equal("acme", org.GetProperty("login").GetString());
        Assert.Contains("no recorded exchange", ex.Message, StringComparison.Ordinal);
        Assert.Single(context.Faults);
    }
}
