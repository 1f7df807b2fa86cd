using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using EvidenceBot.Sources.GitHub.Http;
using EvidenceBot.Sources.Http;
using Octokit;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// One run's connection to GitHub: Octokit over the shared <see cref="SourceHttpStack"/>, shared by every
/// organisation and rule.
/// <code>
/// Octokit Connection (per organisation: its credentials)
///   └ OctokitHttpClient (Octokit's adapter, its 100 s timers off)
///     └ SourceHttpStack: coalescing └ origin guard └ ETag cache └ resilience └ capture └ transport
/// </code>
/// See docs/reference/http-stack.md. Dispose it when the run ends.
/// </summary>
public sealed class GitHubSession : IDisposable
{
    /// <summary>The source name on exchanges and faults.</summary>
    internal const string Source = "github";

    /// <summary>How messages name the service.</summary>
    internal const string Service = "GitHub";

    private readonly GitHubSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly SourceHttpStack _stack;
    private readonly OctokitHttpClient _http;
    private readonly GitHubAppTokens? _app;
    private readonly HttpMessageHandler? _ownedTransport;
    private readonly TokenPoolHandler? _pool;
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
        if (options.App is { PrivateKeyPem.Length: > 0 } app)
            options.Redactor.AddSecret(app.PrivateKeyPem.Trim());
        foreach (var pooled in options.PoolTokens.Where(t => t.Length > 0))
            options.Redactor.AddSecret(pooled);

        var transport = options.Transport;
        if (options.App is null && options.PoolTokens.Count > 0 && options.Transport is not ReplayHandler)
        {
            // The pool sits on the transport, under capture and retries: each attempt picks the token with the most left.
            string[] tokens = [.. new[] { options.Token }.OfType<string>().Where(t => t.Length > 0).Concat(options.PoolTokens).Distinct(StringComparer.Ordinal)];
            // The same network transport the stack would own (no redirects followed down here, pooled connections).
            _ownedTransport = transport is null
                ? new SocketsHttpHandler
                {
                    AutomaticDecompression = System.Net.DecompressionMethods.All,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    MaxConnectionsPerServer = Math.Max(1, options.Concurrency),
                    AllowAutoRedirect = false,
                }
                : null;
            transport = _pool = new TokenPoolHandler(tokens, time, transport ?? _ownedTransport!);
        }
        _stack = SourceHttpStack.Create(new SourceHttpOptions
        {
            SourceName = Source,
            ServiceName = Service,
            MaxRateLimitWaitSetting = "github.maxRateLimitWait",
            Redactor = options.Redactor,
            TimeProvider = time,
            Sink = options.Sink,
            EtagCacheDirectory = options.EtagCacheDirectory,
            Concurrency = options.Concurrency,
            MaxRateLimitWait = options.MaxRateLimitWait,
            MaxRetries = options.MaxRetries,
            RetryBaseDelay = options.RetryBaseDelay,
            AttemptTimeout = options.AttemptTimeout,
            Transport = transport,
            RateLimitAdvisor = _pool is null ? GitHubRateLimitAdvisor.Instance : GitHubRateLimitAdvisor.Pooled,
            // The token goes to the configured API and nowhere else.
            AllowedOrigins = [options.BaseUrl],
            CoalesceRequests = options.CoalesceRequests,
            // GraphQL queries only read: the same query (same body) is sent once per run, like a GET.
            ReadOnlyPost = request => request.RequestUri?.AbsolutePath.EndsWith("/graphql", StringComparison.Ordinal) == true,
        });
        _http = new OctokitHttpClient(_stack.CreateHandler);

        if (options.App is not null)
        {
            // Token minting goes through the same guard, resilience and transport, but is never recorded: its answer is a secret.
            var appHttp = new OctokitHttpClient(_stack.CreateUnrecordedHandler);
            _app = new GitHubAppTokens(options.App, time, options.Redactor,
                store => new GitHubClient(new Connection(_product, BaseUrl, store, appHttp, _serializer)));
        }
    }

    /// <summary>The organisations configured, in order.</summary>
    public IReadOnlyList<string> Organizations => _options.Organizations;

    /// <summary>What was asked, fetched, sent and revalidated so far.</summary>
    public SourceRequestStats Stats => _stack.Stats;

    /// <summary>Requests on the wire right now (for the bench: how full the concurrency slots are).</summary>
    internal int InFlight => _stack.InFlight;

    /// <summary>Retries made so far (rate limits, 5xx, timeouts).</summary>
    public int Retries => _stack.Retries;

    /// <summary>Rate-limit waits and give-ups so far (the stack's <see cref="SourceHttpStack.Usage"/>).</summary>
    public SourceUsage RateLimits => _stack.Usage;

    /// <summary>GraphQL queries and points spent so far, and the path the run took.</summary>
    public GitHubUsage Usage { get; } = new();

    /// <summary>With a token pool: requests sent with each token, in the configured order; empty without one.</summary>
    public IReadOnlyList<int> SentPerToken => _pool?.SentPerToken ?? [];

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
            var source = new GitHubSource(organization, new GitHubClient(connection), _options, _time, _stack, Usage);
            _sources[organization] = source;
            return source;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _http.Dispose();
        _app?.Dispose();
        _stack.Dispose();
        _pool?.Dispose();
        _ownedTransport?.Dispose();
    }
}
