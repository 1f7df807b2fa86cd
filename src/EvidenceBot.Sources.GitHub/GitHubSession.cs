using EvidenceBot.Core.Engine;
using EvidenceBot.Rules;
using EvidenceBot.Sources.GitHub.Http;
using Octokit;
using Octokit.Caching;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// One run's connection to GitHub: Octokit over a stack of our own, shared by every organisation and rule.
/// <code>
/// Octokit Connection (per organisation: its credentials)
///   └ coalescing (same GET once per run; evidence attached to every asking rule)
///     └ Octokit CachingHttpClient + persisted ETag cache (304s between runs)
///       └ Octokit HttpClientAdapter
///         └ resilience (Polly: rate limits, 5xx, timeouts; bounded concurrency)
///           └ recording (redacted exchange; malformed JSON refused)
///             └ transport (network, or a ReplayHandler)
/// </code>
/// Dispose it when the run ends.
/// </summary>
public sealed class GitHubSession : IDisposable
{
    private readonly GitHubSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpMessageHandler? _ownedTransport;
    private readonly CoalescingHttpClient _http;
    private readonly SemaphoreSlim _slots;
    private readonly List<ResilienceHandler> _resilience = [];
    private readonly GitHubAppTokens? _app;
    private readonly Dictionary<string, IGitHubSource> _sources = new(StringComparer.OrdinalIgnoreCase);
    private readonly ProductHeaderValue _product = new("EvidenceBot", EngineInfo.Version);
    private readonly SourceJsonSerializer _serializer = new();

    /// <summary>Opens a session. Nothing is sent until a rule asks.</summary>
    public GitHubSession(GitHubSourceOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        if (options.Token is { Length: > 0 } token)
            options.Redactor.AddSecret(token);
        _slots = new SemaphoreSlim(Math.Max(1, options.Concurrency));
        HttpMessageHandler transport;
        if (options.Transport is null)
        {
            _ownedTransport = new SocketsHttpHandler
            {
                AutomaticDecompression = System.Net.DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = Math.Max(1, options.Concurrency),
            };
            transport = _ownedTransport;
        }
        else
        {
            transport = options.Transport;
        }

        IHttpClient stack = new HttpClientAdapter(() => Resilient(new RecordingHandler(options.Redactor, time, new Borrowed(transport))));
        if (options.EtagCacheDirectory is not null)
            stack = new CachingHttpClient(stack, new FolderResponseCache(options.EtagCacheDirectory));
        _http = new CoalescingHttpClient(stack, options.Redactor, options.Sink, options.CoalesceRequests);
        // Retries and rate-limit waits are bounded by the source's own policy and the rule's time bound, not by HttpClient's 100 s.
        _http.SetRequestTimeout(Timeout.InfiniteTimeSpan);

        if (options.App is not null)
        {
            // Token minting goes through the same resilience and transport, but is never recorded: its answer is a secret.
            var appHttp = new HttpClientAdapter(() => Resilient(new Borrowed(transport)));
            _app = new GitHubAppTokens(options.App, time, options.Redactor,
                store => new GitHubClient(new Connection(_product, BaseUrl, store, appHttp, _serializer)));
        }
    }

    /// <summary>The organisations configured, in order.</summary>
    public IReadOnlyList<string> Organizations => _options.Organizations;

    /// <summary>What was asked, fetched, sent and revalidated so far.</summary>
    public GitHubRequestStats Stats => _http.Stats;

    /// <summary>Requests on the wire right now (for the bench: how full the concurrency slots are).</summary>
    internal int InFlight => Math.Max(1, _options.Concurrency) - _slots.CurrentCount;

    /// <summary>Retries made so far (rate limits, 5xx, timeouts).</summary>
    public int Retries
    {
        get
        {
            lock (_resilience)
                return _resilience.Sum(r => r.Retries);
        }
    }

    private Uri BaseUrl => _options.BaseUrl.AbsoluteUri.EndsWith('/') ? _options.BaseUrl : new Uri(_options.BaseUrl.AbsoluteUri + "/");

    /// <summary>The source rules see for <paramref name="organization"/>; the same instance for the same organisation.</summary>
    public IGitHubSource For(string organization)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(organization);
        lock (_sources)
        {
            if (_sources.TryGetValue(organization, out var existing))
                return existing;
            ICredentialStore credentials = _app is not null ? _app.For(organization)
                : _options.Token is { Length: > 0 } token ? new InMemoryCredentialStore(new Credentials(token, AuthenticationType.Bearer))
                : new InMemoryCredentialStore(Credentials.Anonymous);
            var connection = new Connection(_product, BaseUrl, credentials, _http, _serializer);
            var source = new GitHubSource(organization, new GitHubClient(connection), _options, _time);
            _sources[organization] = source;
            return source;
        }
    }

    private ResilienceHandler Resilient(HttpMessageHandler inner)
    {
        var handler = new ResilienceHandler(_options, _time, _slots, inner);
        lock (_resilience)
            _resilience.Add(handler);
        return handler;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _http.Dispose();
        _ownedTransport?.Dispose();
        _slots.Dispose();
        _app?.Dispose();
    }

    /// <summary>A transport the session uses but does not own: several chains share it, none disposes it.</summary>
    private sealed class Borrowed(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
            // The owner disposes the transport.
        }
    }
}
