using System.Globalization;
using System.Net;

namespace EvidenceBot.Sources.Http;

/// <summary>How long a service asks to wait before asking again, and why.</summary>
/// <param name="Wait">The wait asked for (zero: ask again now).</param>
/// <param name="Kind">What the limit is, for messages (e.g. <c>secondary rate limit</c>).</param>
/// <param name="ResetAt">When the limit resets, when the service said so.</param>
public sealed record RateLimitAdvice(TimeSpan Wait, string Kind, DateTimeOffset? ResetAt)
{
    /// <summary>Which limit this is, as the counters name it (<see cref="SourceHttpStack.Usage"/>). Default: a plain Retry-After.</summary>
    public RateLimitCategory Category { get; init; } = RateLimitCategory.RetryAfter;

    /// <summary>A sentence for an error verdict when the wait is longer than <paramref name="bound"/>.</summary>
    /// <param name="bound">The longest wait allowed.</param>
    /// <param name="service">Who asks to wait (e.g. <c>GitHub</c>).</param>
    /// <param name="setting">The setting that bounds the wait, e.g. <c>github.maxRateLimitWait</c>.</param>
    public string Describe(TimeSpan bound, string service, string setting) =>
        $"{Kind}: {service} asks to wait {Format(Wait)}{(ResetAt is { } at ? $" (until {at.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z)" : "")}, longer than the allowed wait of {Format(bound)} ({setting})";

    /// <summary>A duration as messages write it: <c>1.5s</c>, <c>250ms</c>.</summary>
    public static string Format(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.#}s" : $"{t.TotalMilliseconds:0}ms";

    /// <summary>Reads a <c>Retry-After</c> value: delay-seconds or an HTTP date (RFC 9110 §10.2.3).</summary>
    public static bool TryRetryAfter(string? value, DateTimeOffset now, out TimeSpan wait)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
        {
            wait = TimeSpan.FromSeconds(Math.Max(0, seconds));
            return true;
        }

        if (value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            wait = date > now ? date - now : TimeSpan.Zero;
            return true;
        }

        wait = default;
        return false;
    }
}

/// <summary>
/// The per-source rate-limit hook: reads a service's own rate-limit answers (GitHub's <c>X-RateLimit-*</c>,
/// Azure's <c>x-ms-ratelimit-remaining-*</c>) and says how long to wait. The stack retries after that wait when it is
/// within <see cref="SourceHttpOptions.MaxRateLimitWait"/>, and gives up with a fault otherwise.
/// </summary>
public interface IRateLimitAdvisor
{
    /// <summary>Advice for an answer, or null when the answer is not a rate limit.</summary>
    /// <param name="status">The answer's status code.</param>
    /// <param name="header">Reads a response header (first value), null when absent.</param>
    /// <param name="body">The answer's body as text, when it has one.</param>
    /// <param name="now">The clock's now.</param>
    RateLimitAdvice? Advise(int status, Func<string, string?> header, string? body, DateTimeOffset now);
}

/// <summary>The default advice: a 429 or 503 with <c>Retry-After</c> says how long to wait; nothing else is a rate limit.</summary>
public sealed class RetryAfterAdvisor : IRateLimitAdvisor
{
    /// <summary>The one instance.</summary>
    public static RetryAfterAdvisor Instance { get; } = new();

    /// <inheritdoc />
    public RateLimitAdvice? Advise(int status, Func<string, string?> header, string? body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (status is not (429 or (int)HttpStatusCode.ServiceUnavailable))
            return null;
        return RateLimitAdvice.TryRetryAfter(header("Retry-After"), now, out var wait)
            ? new RateLimitAdvice(wait, status == 429 ? "too many requests (429)" : "service unavailable (503)", now + wait)
            : null;
    }
}

/// <summary>Which rate limit an answer hit, for the counters (<c>/metrics</c>, the summary line).</summary>
public enum RateLimitCategory
{
    /// <summary>A 429 or 503 (or another refusal) with <c>Retry-After</c>: label <c>retry_after</c>.</summary>
    RetryAfter,

    /// <summary>A service's primary limit is spent until its reset (GitHub: <c>x-ratelimit-remaining: 0</c>): label <c>primary</c>.</summary>
    Primary,

    /// <summary>A secondary (abuse) limit (GitHub): label <c>secondary</c>.</summary>
    Secondary,

    /// <summary>Every token of a token pool is spent (GitHub with <c>github.tokens</c>): label <c>token_pool_exhausted</c>.</summary>
    TokenPoolExhausted,
}
