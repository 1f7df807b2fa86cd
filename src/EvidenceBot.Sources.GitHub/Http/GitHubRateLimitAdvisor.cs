using System.Globalization;
using System.Net;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.GitHub.Http;

/// <summary>
/// Reads GitHub's rate-limit answers as its REST documentation describes them: a primary limit is a 403 or 429
/// with <c>x-ratelimit-remaining: 0</c> (wait until <c>x-ratelimit-reset</c>, epoch seconds); a secondary limit
/// is a 403 or 429 whose message mentions it (honour <c>retry-after</c>, else wait at least a minute);
/// any 403 or 429 with <c>retry-after</c> says how many seconds to wait. Over a token pool, a primary limit reaching the
/// stack means every pooled token is spent (the pool tries every awake token first), and is counted as such.
/// </summary>
internal sealed class GitHubRateLimitAdvisor(bool pooled = false) : IRateLimitAdvisor
{
    private static readonly TimeSpan SecondaryDefault = TimeSpan.FromMinutes(1);

    public static GitHubRateLimitAdvisor Instance { get; } = new();

    /// <summary>The advisor over a <see cref="TokenPoolHandler"/>.</summary>
    public static GitHubRateLimitAdvisor Pooled { get; } = new(pooled: true);

    public RateLimitAdvice? Advise(int status, Func<string, string?> header, string? body, DateTimeOffset now)
    {
        var advice = From(status, header, body, now);
        return pooled && advice is { Category: RateLimitCategory.Primary } ? advice with { Category = RateLimitCategory.TokenPoolExhausted } : advice;
    }

    /// <summary>Advice for an answer, or null when the answer is not a rate limit.</summary>
    public static RateLimitAdvice? From(int status, Func<string, string?> header, string? body, DateTimeOffset now)
    {
        if (status is not ((int)HttpStatusCode.Forbidden or 429))
            return null;
        var retryAfter = header("Retry-After");
        var remaining = header("X-RateLimit-Remaining");
        var reset = header("X-RateLimit-Reset");
        var text = body ?? "";
        var secondary = text.Contains("secondary rate limit", StringComparison.OrdinalIgnoreCase);
        var primary = remaining == "0" || text.Contains("rate limit exceeded", StringComparison.OrdinalIgnoreCase) && !secondary;
        var kind = secondary ? "secondary rate limit" : primary ? "rate limit" : status == 429 ? "too many requests (429)" : null;
        if (kind is null && retryAfter is null)
            return null; // a 403 that is no rate limit: a permission problem
        kind ??= "rate limit";
        var category = secondary ? RateLimitCategory.Secondary : primary ? RateLimitCategory.Primary : RateLimitCategory.RetryAfter;

        if (retryAfter is not null && RateLimitAdvice.TryRetryAfter(retryAfter, now, out var wait))
            return new RateLimitAdvice(wait, kind, now + wait) { Category = category };
        if (remaining == "0" && reset is not null && long.TryParse(reset, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            var at = DateTimeOffset.FromUnixTimeSeconds(epoch);
            var until = at - now;
            return new RateLimitAdvice(until < TimeSpan.Zero ? TimeSpan.Zero : until, kind, at) { Category = category };
        }

        return new RateLimitAdvice(SecondaryDefault, kind, now + SecondaryDefault) { Category = category };
    }
}
