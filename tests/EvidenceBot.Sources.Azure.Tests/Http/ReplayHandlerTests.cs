using System.Net;
using System.Text;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Azure.Tests.Http;

public sealed class ReplayHandlerTests
{
    private static HttpExchange Post(string body, string answer) => new()
    {
        Source = "azure",
        Method = "POST",
        Url = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
        Status = 200,
        RequestBody = body,
        Body = answer,
    };

    private static async Task<string> SendAsync(ReplayHandler replay, HttpMethod method, string url, string? body)
    {
        using var client = new HttpClient(replay, disposeHandler: false);
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task SendAsync_TwoPostsToOneUrl_AnsweredByTheirBodies()
    {
        using var replay = new ReplayHandler([Post("""{"query":"a","subscriptions":["s"]}""", "A"), Post("""{"query":"b","subscriptions":["s"]}""", "B")]);

        Assert.Equal("B", await SendAsync(replay, HttpMethod.Post, "https://other.host/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", """{"query":"b","subscriptions":["s"]}"""));
        Assert.Equal("A", await SendAsync(replay, HttpMethod.Post, "https://other.host/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", """{"query":"a","subscriptions":["s"]}"""));
    }

    [Fact]
    public async Task SendAsync_SameJsonOtherKeyOrderAndSpacing_Matches()
    {
        using var replay = new ReplayHandler([Post("""{"query":"a","options":{"$top":1000,"resultFormat":"objectArray"}}""", "A")]);

        Assert.Equal("A", await SendAsync(replay, HttpMethod.Post, "https://x/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
            """{ "options": { "resultFormat": "objectArray", "$top": 1000 }, "query": "a" }"""));
    }

    [Fact]
    public async Task SendAsync_PostWithAnUnrecordedBody_IsAMiss()
    {
        using var replay = new ReplayHandler([Post("""{"query":"a"}""", "A")]);
        using var client = new HttpClient(replay, disposeHandler: false);

        await Assert.ThrowsAsync<ReplayMissException>(() => client.PostAsync("https://x/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
            new StringContent("""{"query":"c"}""")));
    }

    [Fact]
    public void Key_GetIgnoresAnyBody_KeyUnchangedFromBefore()
    {
        var uri = new Uri("https://api.github.com/orgs/acme/repos?per_page=100&type=all");

        Assert.Equal("GET /orgs/acme/repos?per_page=100&type=all", ReplayHandler.Key("GET", uri));
        Assert.Equal(ReplayHandler.Key("GET", uri), ReplayHandler.Key("GET", uri, "{}"));
    }

    [Fact]
    public void ToFileBytes_NoRequestBody_FileHasNoRequestBodyProperty()
    {
        var exchange = new HttpExchange { Source = "github", Method = "GET", Url = "https://api.github.com/orgs/acme", Status = 200, Body = "{}" };

        var text = Encoding.UTF8.GetString(exchange.ToFileBytes());

        Assert.DoesNotContain("requestBody", text, StringComparison.Ordinal);
        Assert.Equal(exchange.Digest(), HttpExchange.FromFileBytes(exchange.ToFileBytes(), "x.json").Digest());
    }

    [Fact]
    public void ToFileBytes_RequestBody_RoundTrips()
    {
        var exchange = Post("""{"query":"a"}""", "A");

        var back = HttpExchange.FromFileBytes(exchange.ToFileBytes(), "x.json");

        Assert.Equal("""{"query":"a"}""", back.RequestBody);
    }

    [Fact]
    public void FromFileBytes_RecordedGitHubDemoFile_ReadsAndWritesTheSameBytes()
    {
        var root = Rules.RuleHarness.RepositoryRoot();
        var file = Directory.EnumerateFiles(Path.Combine(root, "examples", "demo", "github"), "*.json").Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(file);

        var exchange = HttpExchange.FromFileBytes(bytes, file);

        Assert.Equal(bytes, exchange.ToFileBytes());
    }
}
