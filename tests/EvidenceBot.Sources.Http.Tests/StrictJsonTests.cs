using System.Net;
using System.Text.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Sources.Http.Tests;

public sealed class StrictJsonTests
{
    [Theory]
    [InlineData(HttpStatusCode.NoContent, "application/json", "", "answered 204")]
    [InlineData(HttpStatusCode.Accepted, "application/json", "{}", "202 Accepted")]
    [InlineData(HttpStatusCode.NotModified, "application/json", "", "304 Not Modified")]
    [InlineData(HttpStatusCode.OK, "text/html", "<html>sign in</html>", "labelled 'text/html'")]
    [InlineData(HttpStatusCode.OK, "application/json", " ", "the body is empty")]
    [InlineData(HttpStatusCode.OK, "application/json", "{}", "found a JSON object")]
    public void Parse_AnswerThatIsNoList_IsRefusedNamingWhatCameAndWhatWasExpected(HttpStatusCode status, string type, string body, string says)
    {
        var ex = Assert.Throws<UnusableAnswerException>(() => StrictJson.Parse(status, type, body, "https://api.example/items", JsonValueKind.Array, "Test"));

        Assert.Contains("Test's answer to GET https://api.example/items cannot be used", ex.Message, StringComparison.Ordinal);
        Assert.Contains(says, ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected a 200 with a JSON array", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TruncatedJson_IsMalformed() =>
        Assert.Throws<MalformedResponseException>(() => StrictJson.Parse(HttpStatusCode.OK, "application/json", """{"value":[1,""", "u", null, "Test"));

    [Theory]
    [InlineData("""{"value":[],"nextLink":"https://api.example/p2"}""", "https://api.example/p2")]
    [InlineData("""{"value":[],"nextLink":null}""", null)]
    [InlineData("""{"value":[]}""", null)]
    public void NextFromBody_NextLinkPresentOrNot_IsRead(string page, string? next) =>
        Assert.Equal(next, StrictJson.NextFromBody(JsonDocument.Parse(page).RootElement, "nextLink", "u", "Test"));

    [Theory]
    [InlineData("""{"$skipToken":42}""")]
    [InlineData("""{"$skipToken":""}""")]
    public void NextFromBody_NextPageThatIsNoString_IsRefused(string page) =>
        Assert.Throws<UnusableAnswerException>(() => StrictJson.NextFromBody(JsonDocument.Parse(page).RootElement, "$skipToken", "u", "Test"));

    [Theory]
    [InlineData(401, FaultKind.Permanent, "credentials")]
    [InlineData(403, FaultKind.Permanent, "permission")]
    [InlineData(404, FaultKind.Permanent, "not visible")]
    [InlineData(429, FaultKind.Transient, "still after the retries")]
    [InlineData(503, FaultKind.Transient, "still after the retries")]
    public void DescribeStatus_EachFailure_HasItsKindAndSaysWhatWasExpected(int status, FaultKind kind, string says)
    {
        var (k, message) = SourceFaults.DescribeStatus(status, "GET /x", "Test", "a JSON list", "service detail");

        Assert.Equal(kind, k);
        Assert.Contains(says, message, StringComparison.Ordinal);
        Assert.Contains("expected a JSON list", message, StringComparison.Ordinal);
        Assert.StartsWith($"GET /x: Test answered {status}", message, StringComparison.Ordinal);
    }
}
