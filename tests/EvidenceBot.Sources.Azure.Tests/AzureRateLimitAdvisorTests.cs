namespace EvidenceBot.Sources.Azure.Tests;

public sealed class AzureRateLimitAdvisorTests
{
    private static readonly DateTimeOffset Now = TestSupport.Now;

    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    [Fact]
    public void Advise_429WithRetryAfter_WaitsThatLongAndNamesTheReadsLeft()
    {
        var advice = AzureRateLimitAdvisor.Instance.Advise(429, Headers(("Retry-After", "7"), ("x-ms-ratelimit-remaining-subscription-reads", "0")), null, Now);

        Assert.NotNull(advice);
        Assert.Equal(TimeSpan.FromSeconds(7), advice.Wait);
        Assert.Contains("0 reads left", advice.Kind, StringComparison.Ordinal);
    }

    [Fact]
    public void Advise_429WithRetryAfterMs_WaitsThoseMilliseconds()
    {
        var advice = AzureRateLimitAdvisor.Instance.Advise(429, Headers(("retry-after-ms", "250")), null, Now);

        Assert.Equal(TimeSpan.FromMilliseconds(250), advice?.Wait);
    }

    [Fact]
    public void Advise_429WithoutAWait_IsNoAdviceSoTheStackBacksOff()
    {
        Assert.Null(AzureRateLimitAdvisor.Instance.Advise(429, Headers(), null, Now));
    }

    [Fact]
    public void Advise_403WithRetryAfter_IsNotARateLimit()
    {
        Assert.Null(AzureRateLimitAdvisor.Instance.Advise(403, Headers(("Retry-After", "7")), null, Now));
    }
}
