using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace EvidenceBot.Sources.Http.Tests;

/// <summary>The stack's rate-limit counters (<see cref="SourceHttpStack.Usage"/>): waits counted once waited, give-ups apart.</summary>
public sealed class SourceUsageTallyTests
{
    private static SourceHttpStack Stack(Uri origin, HttpMessageHandler? transport = null, TimeProvider? time = null, int maxRetries = 4) =>
        SourceHttpStack.Create(new SourceHttpOptions
        {
            SourceName = "test",
            ServiceName = "Test",
            TimeProvider = time ?? TimeProvider.System,
            Transport = transport,
            AllowedOrigins = [origin],
            MaxRetries = maxRetries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRateLimitWait = TimeSpan.FromSeconds(60),
        });

    [Fact]
    public async Task Usage_429WithRetryAfterOneSecondThen200_CountsOneWaitWithItsDuration()
    {
        using var api = WireMockServer.Start();
        var limited = Request.Create().WithPath("/limited").UsingGet();
        api.Given(limited).InScenario("limit").WillSetStateTo("waited")
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "1").WithHeader("Content-Type", "application/json").WithBody("""{"message":"slow down"}"""));
        api.Given(limited).InScenario("limit").WhenStateIs("waited")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"ok":true}"""));
        using var stack = Stack(new Uri(api.Url!));
        using var client = stack.CreateClient();

        using var response = await client.GetAsync(new Uri($"{api.Url}/limited"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, api.LogEntries.Count());
        var usage = stack.Usage;
        Assert.Equal("test", usage.Source);
        Assert.Equal(1, usage.RateLimitWaits);
        Assert.InRange(usage.RateLimitWaitSeconds, 0.99, 10);
        Assert.Equal(0, usage.RateLimitGiveUps);
        Assert.Equal(1, usage.WaitsByKind["retry_after"]);
    }

    [Fact]
    public async Task Usage_WaitLongerThanAllowed_IsAGiveUpNotAWait()
    {
        using var api = WireMockServer.Start();
        api.Given(Request.Create().WithPath("/limited").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "120").WithHeader("Content-Type", "application/json").WithBody("""{"message":"slow down"}"""));
        using var stack = Stack(new Uri(api.Url!));
        using var client = stack.CreateClient();

        using var response = await client.GetAsync(new Uri($"{api.Url}/limited"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Single(api.LogEntries);
        var usage = stack.Usage;
        Assert.Equal(0, usage.RateLimitWaits);
        Assert.Equal(0, usage.RateLimitWaitSeconds);
        Assert.Empty(usage.WaitsByKind);
        Assert.Equal(1, usage.RateLimitGiveUps);
    }

    [Fact]
    public async Task Usage_RetriesRunOutOnRateLimits_CountsEachWaitOnTheClockAndOneGiveUp()
    {
        var clock = new FakeTimeProvider(TestSupport.Now);
        var transport = new StubTransport((_, _, _) =>
        {
            var r = StubTransport.Json("""{"message":"busy"}""", HttpStatusCode.ServiceUnavailable);
            r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(5));
            return Task.FromResult(r);
        });
        var origin = new Uri("https://api.example/");
        using var stack = Stack(origin, transport, clock, maxRetries: 2);
        using var client = stack.CreateClient();

        var response = await TestSupport.WhileClockRuns(clock, () => client.GetAsync(new Uri(origin, "busy")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(3, transport.Attempts);
        var usage = stack.Usage;
        Assert.Equal(2, usage.RateLimitWaits);
        // The fake clock moves a second at a time: each wait took at least its 5 s, at most a step more.
        Assert.InRange(usage.RateLimitWaitSeconds, 10, 12);
        Assert.Equal(1, usage.RateLimitGiveUps);
        Assert.Equal("2 rate-limit wait(s), " + usage.RateLimitWaitSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "s in all (retry_after 2), 1 request(s) ended on a rate limit without waiting (the wait was too long or no retry was left)", usage.Describe());
    }

    [Fact]
    public async Task Usage_ServerErrorRetried_IsNoRateLimitWait()
    {
        var clock = new FakeTimeProvider(TestSupport.Now);
        var transport = new StubTransport((_, n, _) => Task.FromResult(n == 1 ? StubTransport.Json("{}", HttpStatusCode.InternalServerError) : StubTransport.Json("""{"ok":1}""")));
        var origin = new Uri("https://api.example/");
        using var stack = Stack(origin, transport, clock);
        using var client = stack.CreateClient();

        var response = await TestSupport.WhileClockRuns(clock, () => client.GetAsync(new Uri(origin, "flaky")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, stack.Retries);
        Assert.Equal(0, stack.Usage.RateLimitWaits);
        Assert.Equal(0, stack.Usage.RateLimitGiveUps);
        Assert.Null(stack.Usage.Describe());
    }
}
