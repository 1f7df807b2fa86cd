using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>Several tokens: requests spread by remaining rate limit, a spent token rests, the run goes on with the others.</summary>
public sealed class TokenPoolTests
{
    private const string Second = "ghp_secondPoolTokenValue000000000000000";
    private const string Third = "ghp_thirdPoolTokenValue0000000000000000";

    [Fact]
    public async Task Requests_TokensWithDifferentRemaining_MostGoWithTheFullerToken()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.TokenLimits[TestSupport.Token] = new FakeTokenLimit { Remaining = 100 };
        fake.TokenLimits[Second] = new FakeTokenLimit { Remaining = 4000 };
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.PoolTokens = [Second]; b.Concurrency = 1; }), TimeProvider.System);
        TestSupport.EnterContext();

        for (var i = 0; i < 20; i++)
            await session.Acme().GetJsonAsync($"orgs/acme?probe={i}");

        // The first answer of each token tells how much it has left; from then on the fuller one takes every request.
        Assert.Equal([1, 19], session.SentPerToken);
        Assert.Equal(99, fake.TokenLimits[TestSupport.Token].Remaining);
    }

    [Fact]
    public async Task Requests_OneTokenRefusedAtItsLimit_RestsAndTheRunGoesOnWithTheOthers()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        // Spent elsewhere (another tool shares the token): the pool learns it from the 403 itself.
        fake.TokenLimits[TestSupport.Token] = new FakeTokenLimit { Remaining = 0, Reset = DateTimeOffset.UtcNow.AddHours(1) };
        fake.TokenLimits[Second] = new FakeTokenLimit { Remaining = 100 };
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.PoolTokens = [Second]; b.Concurrency = 1; b.MaxRateLimitWait = TimeSpan.Zero; }), TimeProvider.System);
        var context = TestSupport.EnterContext();

        for (var i = 0; i < 10; i++)
            await session.Acme().GetJsonAsync($"orgs/acme?probe={i}");

        Assert.Empty(context.Faults);
        // The refused request went again at once with the other token, not after a wait: no retry was spent on it.
        Assert.Equal([1, 10], session.SentPerToken);
        Assert.Equal(0, session.Retries);
        Assert.Equal(90, fake.TokenLimits[Second].Remaining);
    }

    [Fact]
    public async Task Requests_TokenAnswersRemainingZero_IsNotUsedAgainBeforeItsReset()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.TokenLimits[TestSupport.Token] = new FakeTokenLimit { Remaining = 1, Reset = DateTimeOffset.UtcNow.AddHours(1) };
        fake.TokenLimits[Second] = new FakeTokenLimit { Remaining = 50 };
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.PoolTokens = [Second]; b.Concurrency = 1; }), TimeProvider.System);
        TestSupport.EnterContext();

        for (var i = 0; i < 10; i++)
            await session.Acme().GetJsonAsync($"orgs/acme?probe={i}");

        // The first token's one answer said 0 left: it rests, and is never sent a request that would be refused.
        Assert.Equal([1, 9], session.SentPerToken);
        Assert.Equal(1, fake.TokenLimits[TestSupport.Token].Used);
    }

    [Fact]
    public async Task Requests_EveryTokenSpentBeyondTheAllowedWait_IsErrorNotData()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 1);
        fake.TokenLimits[TestSupport.Token] = new FakeTokenLimit { Remaining = 0, Reset = DateTimeOffset.UtcNow.AddHours(1) };
        fake.TokenLimits[Second] = new FakeTokenLimit { Remaining = 0, Reset = DateTimeOffset.UtcNow.AddMinutes(30) };
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.PoolTokens = [Second]; b.MaxRateLimitWait = TimeSpan.FromSeconds(1); }), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var fault = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().OrganizationAsync());

        Assert.Contains("rate limit", fault.Message, StringComparison.OrdinalIgnoreCase);
        Assert.NotEmpty(context.Faults);
        // Both tokens were tried before giving up, and neither is sent again while it rests.
        Assert.Equal([1, 1], session.SentPerToken);
        Assert.Equal(0, session.RateLimits.RateLimitWaits);
        Assert.Equal(1, session.RateLimits.RateLimitGiveUps);
    }

    [Fact]
    public void Advise_OverAPoolEveryTokenSpent_IsTokenPoolExhaustedAndWithoutAPoolPrimary()
    {
        var now = DateTimeOffset.UtcNow;
        var reset = now.AddSeconds(30).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string? Header(string name) => name switch { "X-RateLimit-Remaining" => "0", "X-RateLimit-Reset" => reset, _ => null };
        const string Body = """{"message":"API rate limit exceeded for this token."}""";

        var pooled = EvidenceBot.Sources.GitHub.Http.GitHubRateLimitAdvisor.Pooled.Advise(403, Header, Body, now);
        var single = EvidenceBot.Sources.GitHub.Http.GitHubRateLimitAdvisor.Instance.Advise(403, Header, Body, now);
        var secondary = EvidenceBot.Sources.GitHub.Http.GitHubRateLimitAdvisor.Pooled.Advise(403, n => n == "Retry-After" ? "5" : null, """{"message":"You have exceeded a secondary rate limit."}""", now);

        Assert.Equal(EvidenceBot.Sources.Http.RateLimitCategory.TokenPoolExhausted, pooled!.Category);
        Assert.Equal(EvidenceBot.Sources.Http.RateLimitCategory.Primary, single!.Category);
        // A secondary limit is per account, not per token: the pool does not change what it is.
        Assert.Equal(EvidenceBot.Sources.Http.RateLimitCategory.Secondary, secondary!.Category);
        Assert.Equal(pooled.Wait, single.Wait);
    }

    [Fact]
    public async Task Evidence_PoolTokens_AreRedacted()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake, repos: 2);
        fake.TokenLimits[TestSupport.Token] = new FakeTokenLimit { Remaining = 1 };
        fake.TokenLimits[Second] = new FakeTokenLimit { Remaining = 100 };
        var sink = new ListSink();
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.PoolTokens = [Second]; b.Sink = sink; }), TimeProvider.System);
        TestSupport.EnterContext();

        await session.Acme().RepositoriesAsync();

        Assert.Contains(fake.Authorizations, a => a.EndsWith(Second, StringComparison.Ordinal));
        var all = string.Join("\n", sink.Items.Select(e => System.Text.Encoding.UTF8.GetString(e.ToFileBytes())));
        Assert.DoesNotContain(Second, all, StringComparison.Ordinal);
        Assert.DoesNotContain(TestSupport.Token, all, StringComparison.Ordinal);
    }
}
