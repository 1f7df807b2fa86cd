using System.Globalization;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Azure;

/// <summary>
/// Azure's rate-limit advice for the shared stack: a 429 (ARM or Graph throttling) waits what <c>Retry-After</c> (or
/// <c>retry-after-ms</c>) asks; the <c>x-ms-ratelimit-remaining-*</c> headers name the limit in the message. A 503
/// with <c>Retry-After</c> is honoured too. Without a stated wait the stack backs off as for any 429 or 5xx.
/// </summary>
internal sealed class AzureRateLimitAdvisor : IRateLimitAdvisor
{
    public static AzureRateLimitAdvisor Instance { get; } = new();

    public RateLimitAdvice? Advise(int status, Func<string, string?> header, string? body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (status is not (429 or 503))
            return null;
        TimeSpan wait;
        if (!RateLimitAdvice.TryRetryAfter(header("Retry-After"), now, out wait))
        {
            if (!int.TryParse(header("retry-after-ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
                return null;
            wait = TimeSpan.FromMilliseconds(ms);
        }

        var kind = status == 503 ? "service unavailable (503)"
            : AzureTraffic.Remaining(header) is { } left ? $"throttled (429, {left} reads left)" : "throttled (429)";
        return new RateLimitAdvice(wait, kind, now + wait);
    }
}
