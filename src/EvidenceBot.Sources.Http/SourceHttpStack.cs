using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// The HTTP stack every source shares, as one chain of <see cref="DelegatingHandler"/>s built for one source:
/// <code>
/// coalescing      same GET (or read-only POST) once per run; evidence attached to every rule execution that asked
///  └ origin guard  nothing is sent off the allowed origins (credentials stay with their API), except in replay
///   └ ETag cache   If-None-Match from the persisted cache; a 304 is answered with the cached 200 (redacted on disk)
///    └ resilience  Polly: retries (5xx, 429, timeouts, rate limits per the source's advice), bounded concurrency,
///                  per-attempt timeout on the injected clock
///     └ capture    buffered, redacted exchange per attempt; split Link headers joined; malformed JSON refused
///      └ transport the network, or a ReplayHandler
/// </code>
/// Put it under an SDK with <see cref="CreateHandler"/> (Octokit's <c>HttpClientAdapter</c>, with Octokit's request
/// timeout off) or <see cref="CreateClient"/> (Azure.Core's <c>HttpClientTransport(HttpClient)</c>, with the SDK's own
/// retries and network timeout off; its handler overload would bring back HttpClient's 100 s), or use
/// <see cref="CreateClient"/> directly. See docs/reference/http-stack.md.
/// Dispose it when the run ends.
/// </summary>
public sealed class SourceHttpStack : IDisposable
{
    /// <summary>The response header that marks an answer served from the ETag cache after a 304.</summary>
    public const string RevalidatedHeader = "X-EvidenceBot-Revalidated";

    internal const string RevalidatedNote = "304 Not Modified: unchanged since the ETag cached by an earlier run; body from the ETag cache";

    private readonly SourceHttpOptions _options;
    private readonly HttpMessageHandler? _ownedTransport;
    private readonly HttpMessageHandler _transport;
    private readonly CoalescingHandler _top;
    private readonly SemaphoreSlim _slots;
    private readonly Uri[] _allowed;
    private readonly SourceUsageTally _usage = new();
    private int _retries;

    private SourceHttpStack(SourceHttpOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.SourceName);
        _options = options;
        _allowed = [.. options.AllowedOrigins.Select(u => new Uri(Origin(u)))];
        _slots = new SemaphoreSlim(Math.Max(1, options.Concurrency));
        if (options.Transport is null)
        {
            _ownedTransport = new SocketsHttpHandler
            {
                AutomaticDecompression = System.Net.DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = Math.Max(1, options.Concurrency),
                // Redirects are followed above (by the SDK, through the origin guard), never silently here.
                AllowAutoRedirect = false,
            };
            _transport = _ownedTransport;
        }
        else
        {
            _transport = options.Transport;
        }

        HttpMessageHandler chain = new CapturingHandler(options.SourceName, Service, options.Redactor, options.TimeProvider, new Borrowed(_transport), options.AttemptObserver);
        chain = new ResilienceHandler(options, _slots, () => Interlocked.Increment(ref _retries), _usage, chain);
        if (options.EtagCacheDirectory is not null)
            chain = new EtagCacheHandler(options.EtagCacheDirectory, options.Redactor, chain);
        chain = new OriginGuardHandler(this, options.Redactor, chain);
        _top = new CoalescingHandler(options, chain);
    }

    /// <summary>Builds the stack for one source. Nothing is sent until a request comes.</summary>
    public static SourceHttpStack Create(SourceHttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SourceHttpStack(options);
    }

    /// <summary>Who answers, as messages name it.</summary>
    public string Service => _options.ServiceName ?? _options.SourceName;

    /// <summary>The source name recorded on exchanges and faults.</summary>
    public string SourceName => _options.SourceName;

    /// <summary>The options the stack was built with.</summary>
    public SourceHttpOptions Options => _options;

    /// <summary>True when the transport is a <see cref="ReplayHandler"/>: nothing is sent anywhere.</summary>
    public bool IsReplay => _options.Transport is ReplayHandler;

    /// <summary>The origins requests may go to (scheme://host:port).</summary>
    public IReadOnlyList<Uri> AllowedOrigins => _allowed;

    /// <summary>What was asked, fetched, sent and revalidated so far.</summary>
    public SourceRequestStats Stats => _top.Stats;

    /// <summary>Retries made so far (rate limits, 5xx, 429, timeouts, connection failures).</summary>
    public int Retries => _retries;

    /// <summary>
    /// Rate-limit waits made so far (counted once waited, with the time they took on <see cref="SourceHttpOptions.TimeProvider"/>),
    /// by kind, and requests that ended on a rate-limit answer; <see cref="SourceUsage.Source"/> is <see cref="SourceName"/>.
    /// </summary>
    public SourceUsage Usage => _usage.Snapshot(SourceName);

    /// <summary>Requests on the wire right now (how full the concurrency slots are).</summary>
    public int InFlight => Math.Max(1, _options.Concurrency) - _slots.CurrentCount;

    /// <summary>
    /// A handler over the whole stack, for an SDK or an <see cref="HttpClient"/> to own: disposing it leaves the stack
    /// alone. Each caller gets its own; all share the stack's coalescing, cache, slots and counters. Whoever wraps it in an
    /// <see cref="HttpClient"/> must set that client's timeout to infinite (or use <see cref="CreateClient"/>).
    /// </summary>
    public HttpMessageHandler CreateHandler() => new Borrowed(_top);

    /// <summary>
    /// An <see cref="HttpClient"/> over the stack with no timeout of its own (HttpClient's default 100 s would cut
    /// retries and rate-limit waits short): the stack's per-attempt timeout and the rule's time bound are the bounds.
    /// </summary>
    public HttpClient CreateClient() => new(CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// A handler with the origin guard, retries and transport but no capture, cache or coalescing: for requests whose
    /// answer is itself a secret (e.g. minting an installation token), which must never become evidence.
    /// </summary>
    public HttpMessageHandler CreateUnrecordedHandler() =>
        new OriginGuardHandler(this, _options.Redactor, new ResilienceHandler(_options, _slots, () => Interlocked.Increment(ref _retries), _usage, new Borrowed(_transport)));

    /// <summary>
    /// True when a request to <paramref name="uri"/> may be sent: its origin is one of <see cref="AllowedOrigins"/>, or
    /// none is configured, or the transport is a replay. Use it on a next-page link before following it.
    /// </summary>
    public bool IsAllowedOrigin(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (IsReplay || _allowed.Length == 0 || !uri.IsAbsoluteUri)
            return true;
        var origin = Origin(uri);
        return _allowed.Any(a => string.Equals(Origin(a), origin, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Throws <see cref="ForeignOriginException"/> when <paramref name="next"/> may not be followed (see <see cref="IsAllowedOrigin"/>).</summary>
    public void EnsureAllowedOrigin(Uri next)
    {
        if (!IsAllowedOrigin(next))
            throw new ForeignOriginException(_options.Redactor.Url(next.ToString()), _allowed);
    }

    /// <summary>scheme://host:port of an absolute URI, the port always written.</summary>
    public static string Origin(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return $"{uri.Scheme.ToLowerInvariant()}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}";
    }

    /// <summary>The redactor every layer uses.</summary>
    public Redactor Redactor => _options.Redactor;

    /// <inheritdoc />
    public void Dispose()
    {
        _top.Dispose();
        _ownedTransport?.Dispose();
        _slots.Dispose();
    }

    /// <summary>A handler used but not owned: disposing the wrapper leaves the inner handler alone.</summary>
    private sealed class Borrowed(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
            // The owner disposes the inner handler.
        }
    }
}
