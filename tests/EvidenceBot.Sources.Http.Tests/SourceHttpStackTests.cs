using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace EvidenceBot.Sources.Http.Tests;

public sealed class SourceHttpStackTests
{
    private static readonly Uri Api = new("https://api.example/");

    private static SourceHttpStack Stack(HttpMessageHandler? transport, TimeProvider? time = null, Action<SourceHttpOptionsBuilder>? tweak = null, Uri? origin = null)
    {
        var b = new SourceHttpOptionsBuilder();
        tweak?.Invoke(b);
        return SourceHttpStack.Create(new SourceHttpOptions
        {
            SourceName = "test",
            ServiceName = "Test",
            TimeProvider = time ?? TimeProvider.System,
            Transport = transport,
            AllowedOrigins = [origin ?? Api],
            MaxRetries = b.MaxRetries,
            RetryBaseDelay = b.RetryBaseDelay,
            AttemptTimeout = b.AttemptTimeout,
            MaxRateLimitWait = b.MaxRateLimitWait,
            EtagCacheDirectory = b.EtagCacheDirectory,
            Redactor = b.Redactor,
        });
    }

    internal sealed class SourceHttpOptionsBuilder
    {
        public int MaxRetries { get; set; } = 4;
        public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
        public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);
        public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromSeconds(60);
        public string? EtagCacheDirectory { get; set; }
        public Redactor Redactor { get; set; } = new();
    }

    [Fact]
    public async Task Send_AnswerSlowerThanTheAttemptTimeout_GetsEveryConfiguredAttemptAndReadsAsATimeout()
    {
        var clock = new FakeTimeProvider(TestSupport.Now);
        var transport = new StubTransport(async (_, _, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(40), clock, ct);
            return StubTransport.Json("{}");
        });
        using var stack = Stack(transport, clock);
        using var client = stack.CreateClient();

        var ex = await TestSupport.WhileClockRuns(clock, () => Assert.ThrowsAsync<AttemptTimeoutException>(() => client.GetAsync(new Uri(Api, "slow"))));

        Assert.Equal(5, transport.Attempts);
        var (kind, message) = SourceFaults.Describe(ex, "GET /slow", "Test")!.Value;
        Assert.Equal(FaultKind.Transient, kind);
        Assert.Contains("no answer to GET /slow within 30s, still after the retries", message, StringComparison.Ordinal);
        Assert.DoesNotContain("canceled", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Send_SixtySecondRateLimitWaits_GetEveryConfiguredAttempt()
    {
        var clock = new FakeTimeProvider(TestSupport.Now);
        var transport = new StubTransport((_, n, _) =>
        {
            var r = n < 5 ? StubTransport.Json("""{"message":"slow down"}""", (HttpStatusCode)429) : StubTransport.Json("""{"ok":true}""");
            if (n < 5)
                r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(60));
            return Task.FromResult(r);
        });
        using var stack = Stack(transport, clock);
        using var client = stack.CreateClient();

        var response = await TestSupport.WhileClockRuns(clock, () => client.GetAsync(new Uri(Api, "limited")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, transport.Attempts);
        Assert.Equal(4, stack.Retries);
        Assert.True(clock.GetUtcNow() - TestSupport.Now >= TimeSpan.FromSeconds(240));
    }

    [Fact]
    public void CreateClient_HasNoTimeoutOfItsOwn()
    {
        using var stack = Stack(new StubTransport((_, _, _) => Task.FromResult(StubTransport.Json("{}"))));
        using var client = stack.CreateClient();

        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
    }

    [Fact]
    public async Task Send_ServerErrorThenSuccess_IsRetried()
    {
        var clock = new FakeTimeProvider(TestSupport.Now);
        var transport = new StubTransport((_, n, _) => Task.FromResult(n == 1 ? StubTransport.Json("{}", HttpStatusCode.ServiceUnavailable) : StubTransport.Json("""{"ok":1}""")));
        using var stack = Stack(transport, clock);
        using var client = stack.CreateClient();

        var response = await TestSupport.WhileClockRuns(clock, () => client.GetAsync(new Uri(Api, "flaky")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, stack.Stats.Sent);
    }

    [Theory]
    [InlineData("link")]
    [InlineData("body")]
    public async Task JsonPager_NextPageOnAnotherPort_IsRefusedAndThatOriginGetsNoCredential(string via)
    {
        using var api = WireMockServer.Start();
        using var other = WireMockServer.Start();
        var otherPage = $"{other.Url}/items?page=2";
        var page1 = Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
            .WithBody(via == "body" ? JsonSerializer.Serialize(new { value = new[] { 1 }, nextLink = otherPage }) : """{"value":[1]}""");
        if (via == "link")
            page1 = page1.WithHeader("Link", $"<{otherPage}>; rel=\"next\"");
        api.Given(Request.Create().WithPath("/items").UsingGet()).RespondWith(page1);
        other.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"value":[2]}"""));
        using var stack = Stack(null, origin: new Uri(api.Url!));
        using var client = stack.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "secret-token-value");
        TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<ForeignOriginException>(() => JsonPager.GetAllAsync(client, stack, new Uri($"{api.Url}/items"), new JsonPagerOptions()));

        Assert.Empty(other.LogEntries);
        Assert.Contains(otherPage, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_RequestToAnotherOrigin_IsRefusedBeforeAnythingIsSent()
    {
        var transport = new StubTransport((_, _, _) => Task.FromResult(StubTransport.Json("{}")));
        using var stack = Stack(transport);
        using var client = stack.CreateClient();

        await Assert.ThrowsAsync<ForeignOriginException>(() => client.GetAsync(new Uri("https://api.example:8443/x")));
        await Assert.ThrowsAsync<ForeignOriginException>(() => client.GetAsync(new Uri("http://api.example/x")));

        Assert.Equal(0, transport.Attempts);
    }

    [Fact]
    public async Task JsonPager_ForeignNextLinkOverReplay_IsFollowed()
    {
        var replay = new ReplayHandler([
            Exchange("https://api.example/items", """{"value":[1],"nextLink":"https://elsewhere.example/items?page=2"}"""),
            Exchange("https://api.example/items?page=2", """{"value":[2]}"""),
        ]);
        using var stack = Stack(replay);
        using var client = stack.CreateClient();

        var items = await JsonPager.GetAllAsync(client, stack, new Uri(Api, "items"), new JsonPagerOptions());

        Assert.Equal([1, 2], items.Select(i => i.GetInt32()));
    }

    [Fact]
    public async Task JsonPager_LinkHeaderPages_AreAllRead()
    {
        using var api = WireMockServer.Start();
        api.Given(Request.Create().WithPath("/list").WithParam("page", "2").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("[3]"));
        api.Given(Request.Create().WithPath("/list").UsingGet().WithParam("page", "1"))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithHeader("Link", $"<{api.Url}/list?page=2>; rel=\"next\"").WithBody("[1,2]"));
        using var stack = Stack(null, origin: new Uri(api.Url!));
        using var client = stack.CreateClient();

        var items = await JsonPager.GetAllAsync(client, stack, new Uri($"{api.Url}/list?page=1"), new JsonPagerOptions { ItemsProperty = null, NextLinkProperty = null });

        Assert.Equal([1, 2, 3], items.Select(i => i.GetInt32()));
    }

    [Fact]
    public async Task Coalescing_TwoRulesAskTheSameGet_OneFetchAndEvidenceForBoth()
    {
        using var api = WireMockServer.Start();
        api.Given(Request.Create().WithPath("/org").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"id":1}""").WithDelay(100));
        using var stack = Stack(null, origin: new Uri(api.Url!));
        using var client = stack.CreateClient();

        async Task<RuleContext> Rule(string id)
        {
            var context = TestSupport.EnterContext(id);
            using var response = await client.GetAsync(new Uri($"{api.Url}/org"));
            Assert.Equal("""{"id":1}""", await response.Content.ReadAsStringAsync());
            return context;
        }

        var contexts = await Task.WhenAll(Task.Run(() => Rule("A")), Task.Run(() => Rule("B")));

        Assert.Single(api.LogEntries);
        Assert.Equal(new SourceRequestStats { Asked = 2, Fetched = 1, Sent = 1, Revalidated = 0 }, stack.Stats);
        Assert.All(contexts, c => Assert.Single(c.Evidence));
    }

    [Fact]
    public async Task EtagCache_SecretEchoedInTheAnswer_IsNeverWrittenToDiskAndA304IsServedRedacted()
    {
        const string secret = "tok_canary-Value/42+x";
        using var api = WireMockServer.Start();
        var body = $$"""{"raw":"{{secret}}","escaped":"{{@"tok_canary\u002DValue\/42\u002Bx"}}","encoded":"{{Uri.EscapeDataString(secret)}}"}""";
        api.Given(Request.Create().WithPath("/echo").UsingGet().WithHeader("If-None-Match", "\"v1\""))
            .RespondWith(Response.Create().WithStatusCode(304).WithHeader("ETag", "\"v1\""));
        api.Given(Request.Create().WithPath("/echo").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithHeader("ETag", "\"v1\"")
                .WithHeader("X-Echo", secret).WithHeader("Set-Cookie", "session=" + secret).WithBody(body));
        using var cache = new TempDir();

        for (var run = 0; run < 2; run++)
        {
            using var stack = Stack(null, origin: new Uri(api.Url!), tweak: b => { b.EtagCacheDirectory = cache.Path; b.Redactor = new Redactor([secret]); });
            using var client = stack.CreateClient();
            using var response = await client.GetAsync(new Uri($"{api.Url}/echo"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(run, stack.Stats.Revalidated);
        }

        Assert.Equal(1, SecretSweep.Count(cache.Path));
        Assert.Empty(SecretSweep.Find(cache.Path, secret));
    }

    private static HttpExchange Exchange(string url, string body) => new()
    {
        Source = "test",
        Method = "GET",
        Url = url,
        Status = 200,
        ResponseHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json" },
        Body = body,
    };
}

public sealed class ReadOnlyPostTests
{
    [Fact]
    public async Task Coalescing_IdenticalReadOnlyPosts_AreSentOnceAndOtherPostsEveryTime()
    {
        var transport = new StubTransport((_, _, _) => Task.FromResult(StubTransport.Json("""{"data":[]}""")));
        using var stack = SourceHttpStack.Create(new SourceHttpOptions
        {
            SourceName = "test",
            Transport = transport,
            AllowedOrigins = [new Uri("https://api.example/")],
            ReadOnlyPost = r => r.RequestUri!.AbsolutePath == "/query",
        });
        using var client = stack.CreateClient();
        TestSupport.EnterContext();

        for (var i = 0; i < 3; i++)
        {
            using var q = await client.PostAsync(new Uri("https://api.example/query"), new StringContent("""{"query":"resources"}"""));
            using var w = await client.PostAsync(new Uri("https://api.example/write"), new StringContent("{}"));
        }

        using var other = await client.PostAsync(new Uri("https://api.example/query"), new StringContent("""{"query":"other"}"""));

        Assert.Equal(1 + 3 + 1, transport.Attempts);
        Assert.Equal(7, stack.Stats.Asked);
        Assert.Equal(5, stack.Stats.Fetched);
    }
}
