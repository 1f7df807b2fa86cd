using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Sources.Http.Tests;

/// <summary>A secret is masked in every form a service may echo it: raw, JSON-escaped, percent-encoded, or mixed.</summary>
public sealed class RedactorTests
{
    private const string Secret = "ghp_canary-Token/Value+42";

    [Theory]
    [InlineData(@"{""t"":""ghp_canary\u002DToken\/Value+42""}")]
    [InlineData(@"{""t"":""ghp_canary\u002dToken\u002FValue\u002B42""}")]
    [InlineData(@"{""t"":""\u0067\u0068\u0070\u005f\u0063\u0061\u006e\u0061\u0072\u0079\u002d\u0054\u006f\u006b\u0065\u006e\u002f\u0056\u0061\u006c\u0075\u0065\u002b\u0034\u0032""}")]
    [InlineData("https://api.example/next?cursor=ghp_canary%2DToken%2FValue%2B42")]
    [InlineData("form=ghp_canary-Token%2fValue%2b42&x=1")]
    [InlineData(@"{""next"":""ghp_canary%2DToken\u002FValue%2b42""}")]
    public void Text_SecretEncoded_IsMasked(string text)
    {
        var redactor = new Redactor([Secret]);

        var masked = redactor.Text(text);

        Assert.Contains(Redactor.Mask, masked, StringComparison.Ordinal);
        Assert.DoesNotContain("canary", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0063\\u0061", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_SecretLearntLater_EncodedFormIsMasked()
    {
        var redactor = new Redactor();
        redactor.AddSecret("ghs_installation-token-1");

        Assert.Equal($"x {Redactor.Mask} y", redactor.Text(@"x ghs_installation\u002Dtoken-1 y"));
    }

    [Fact]
    public void Text_OtherEscapes_AreLeftAlone()
    {
        var redactor = new Redactor([Secret]);
        const string text = @"{""d"":""a\u002Db 100% c\/d""}";

        Assert.Equal(text, redactor.Text(text));
    }

    [Fact]
    public void Text_MultiLineSecretInAJsonString_IsMasked()
    {
        const string pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
        var redactor = new Redactor([pem]);

        var masked = redactor.Text(@"{""key"":""-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----""}");

        Assert.Equal($@"{{""key"":""{Redactor.Mask}""}}", masked);
    }
}
