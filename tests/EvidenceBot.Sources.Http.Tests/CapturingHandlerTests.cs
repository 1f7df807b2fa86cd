using System.Net;
using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Sources.Http.Tests;

public sealed class CapturingHandlerTests
{
    [Fact]
    public async Task Send_OnItsOwn_AttachesTheRedactedExchangeToTheRuleAndTheCallerReadsTheRealAnswer()
    {
        const string secret = "tok_capture-secret-1";
        var transport = new StubTransport((_, _, _) => Task.FromResult(StubTransport.Json($$"""{"token":"{{secret}}","escaped":"tok_capture\u002Dsecret-1"}""")));
        using var http = new HttpClient(new CapturingHandler("test", new Redactor([secret]), TimeProvider.System, inner: transport));
        var context = TestSupport.EnterContext();

        using var response = await http.GetAsync(new Uri("https://api.example/x"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var exchange = Assert.Single(context.Evidence);
        Assert.Equal("test", exchange.Source);
        Assert.DoesNotContain("capture", exchange.Body!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_TruncatedJson_IsRefusedBeforeTheCallerSeesIt()
    {
        var transport = new StubTransport((_, _, _) => Task.FromResult(StubTransport.Json("""{"value":[1,""")));
        using var http = new HttpClient(new CapturingHandler("test", new Redactor(), TimeProvider.System, inner: transport));

        await Assert.ThrowsAsync<MalformedResponseException>(() => http.GetAsync(new Uri("https://api.example/x")));
    }
}
