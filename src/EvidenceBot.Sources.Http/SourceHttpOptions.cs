using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Sources.Http;

/// <summary>How <see cref="SourceHttpStack.Create"/> builds one source's HTTP stack.</summary>
public sealed class SourceHttpOptions
{
    /// <summary>The source name recorded on every exchange and fault, e.g. <c>github</c>, <c>azure</c>.</summary>
    public required string SourceName { get; init; }

    /// <summary>Who answers, as messages name it, e.g. <c>GitHub</c>. Defaults to <see cref="SourceName"/>.</summary>
    public string? ServiceName { get; init; }

    /// <summary>The configuration setting that bounds rate-limit waits, named in messages (e.g. <c>github.maxRateLimitWait</c>).</summary>
    public string? MaxRateLimitWaitSetting { get; init; }

    /// <summary>Masks secrets in evidence and in the ETag cache; the source adds every token it uses to it.</summary>
    public Redactor Redactor { get; init; } = new();

    /// <summary>The clock for every wait, timeout and timestamp; a <c>FakeTimeProvider</c> in tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Receives every exchange that answered a rule (e.g. to record a demo estate).</summary>
    public IExchangeSink? Sink { get; init; }

    /// <summary>
    /// Sees every attempt's exchange as the capture records it (retries included, before coalescing), for a source's own
    /// counters (e.g. Azure's throttled answers and lowest remaining reads). Not evidence: that is attached by the stack.
    /// </summary>
    public Action<HttpExchange>? AttemptObserver { get; init; }

    /// <summary>Folder of the persisted ETag cache; no cache when null. Everything written there is redacted.</summary>
    public string? EtagCacheDirectory { get; init; }

    /// <summary>How many requests may be in flight at once. Default 8.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>The longest a request waits for a rate limit to reset before it gives up as a fault. Default 60 s.</summary>
    public TimeSpan MaxRateLimitWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt for 5xx, 429, timeouts, connection failures and rate limits. Default 4.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay for 5xx and timeouts; doubled each retry, with jitter. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest one attempt may take, on <see cref="TimeProvider"/>. Default 30 s. <see cref="Timeout.InfiniteTimeSpan"/>:
    /// no per-attempt bound (the rule's own time bound still applies). No other timer bounds a request.
    /// </summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The transport under the stack: null for the network (the stack owns a <see cref="SocketsHttpHandler"/>), or a
    /// <see cref="ReplayHandler"/> to answer from recorded exchanges. Not disposed by the stack.
    /// </summary>
    public HttpMessageHandler? Transport { get; init; }

    /// <summary>Reads the service's rate-limit answers. Default: <see cref="RetryAfterAdvisor"/>.</summary>
    public IRateLimitAdvisor RateLimitAdvisor { get; init; } = RetryAfterAdvisor.Instance;

    /// <summary>
    /// The origins (scheme, host, port) requests may go to: the API base URLs the credentials are for. A request to any
    /// other origin is refused before it is sent (<see cref="ForeignOriginException"/>), except over a
    /// <see cref="ReplayHandler"/>, which sends nothing anywhere. Empty: no request is refused (only for a source that
    /// sends no credential).
    /// </summary>
    public IReadOnlyList<Uri> AllowedOrigins { get; init; } = [];

    /// <summary>
    /// When false, every request goes to the network even if another rule made it already: only for measuring what
    /// coalescing saves.
    /// </summary>
    public bool CoalesceRequests { get; init; } = true;

    /// <summary>
    /// POSTs that only read (e.g. an Azure Resource Graph query) and may be coalesced like GETs: identical method,
    /// URL and body are sent once per run. Null: no POST is coalesced.
    /// </summary>
    public Func<HttpRequestMessage, bool>? ReadOnlyPost { get; init; }
}
