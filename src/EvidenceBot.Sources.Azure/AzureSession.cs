using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Azure;

/// <summary>
/// One run's Azure source. The ArmClient and the Graph pipeline sit on the shared HTTP stack:
/// <code>
/// ArmClient pipeline / Graph pipeline (bearer token; Azure.Core retries and network timeout off)
///   └ HttpClientTransport(stack.CreateClient(), no timeout of its own)
///      └ SourceHttpStack "azure": coalescing (GETs, Resource Graph POSTs) └ origin guard (ARM and Graph endpoints)
///        └ ETag cache (azure.etagCache) └ resilience (429 Retry-After per AzureRateLimitAdvisor, 5xx backoff)
///        └ capture (redacted, POST bodies too) └ transport (network, a ReplayHandler, or a test's loopback rewrite)
/// </code>
/// Targets are the configured subscriptions, or every subscription below the management group (read on first use).
/// </summary>
internal sealed class AzureSession : ISourceSession
{
    private readonly AzureSourceOptions _options;
    private readonly SourceHttpStack _stack;
    private readonly HttpClient _http;
    private readonly ReplayHandler? _replay;
    private readonly Lazy<IReadOnlyList<string>> _targets;
    private readonly Dictionary<string, AzureSource> _sources = new(StringComparer.OrdinalIgnoreCase);

    public AzureSession(AzureSourceOptions options, Redactor redactor, TimeProvider time, IExchangeSink? sink)
    {
        _options = options;
        Traffic = new AzureTraffic();
        if (options.ClientSecret is { } secret)
            redactor.AddSecret(secret);
        var (environment, authority, graph) = Cloud(options);
        _replay = options.Transport is null && options.ReplayFolder is { } folder ? ReplayHandler.FromDirectory(folder) : null;
        _stack = SourceHttpStack.Create(new SourceHttpOptions
        {
            SourceName = AzureFaults.Source,
            ServiceName = "Azure",
            MaxRateLimitWaitSetting = "azure.maxRetryWait",
            Redactor = redactor,
            TimeProvider = time,
            Sink = sink,
            EtagCacheDirectory = options.EtagCacheDirectory,
            Concurrency = options.Concurrency,
            MaxRetries = options.MaxRetries,
            RetryBaseDelay = options.RetryBaseDelay,
            MaxRateLimitWait = options.MaxRetryWait,
            Transport = options.Transport ?? _replay,
            RateLimitAdvisor = AzureRateLimitAdvisor.Instance,
            AttemptObserver = Traffic.Observe,
            // The bearer tokens are for ARM and Graph: nothing else ever gets a request.
            AllowedOrigins = [environment.Endpoint, graph],
            // A Resource Graph query only reads: the same query (same body) is sent once per run.
            ReadOnlyPost = r => r.RequestUri is { } u && u.AbsolutePath.EndsWith("/providers/Microsoft.ResourceGraph/resources", StringComparison.OrdinalIgnoreCase),
        });
        Traffic.RetriesFrom(() => _stack.Retries);
        // No timeout of its own (the stack's per-attempt timeout and the rule's bound are the bounds).
        _http = _stack.CreateClient();
        var transport = new HttpClientTransport(_http);
        var credential = new RedactingCredential(options.CredentialOverride
            ?? (options.ReplayFolder is not null ? new ReplayCredential() : Credential(options, authority)), redactor);

        var armOptions = new ArmClientOptions { Environment = environment, Transport = transport };
        Quiet(armOptions);
        foreach (var (type, version) in ApiVersions.Pinned.Concat(options.ApiVersions))
            armOptions.SetApiVersion(new ResourceType(type), version);
        var arm = new ArmClient(credential, default, armOptions);

        var graphOptions = new GraphClientOptions { Transport = transport };
        Quiet(graphOptions);
        var graphPipeline = HttpPipelineBuilder.Build(graphOptions,
            new BearerTokenAuthenticationPolicy(credential, new Uri(graph, ".default").AbsoluteUri));
        Reader = new ArmReader(new PipelineOf(arm).Value, environment.Endpoint, graphPipeline, graph, Traffic, replay: options.ReplayFolder is not null || _stack.IsReplay);
        _targets = new Lazy<IReadOnlyList<string>>(ResolveTargets);
    }

    internal AzureTraffic Traffic { get; }

    internal ArmReader Reader { get; }

    internal AzureSourceOptions Options => _options;

    public IReadOnlyList<string> Targets => _targets.Value;

    public IReadOnlyDictionary<Type, object> ServicesFor(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!Targets.Contains(target, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"'{target}' is not a target of the azure source; its targets are {string.Join(", ", Targets)}", nameof(target));
        lock (_sources)
        {
            if (!_sources.TryGetValue(target, out var source))
                _sources[target] = source = new AzureSource(this, target.ToLowerInvariant());
            return new Dictionary<Type, object> { [typeof(IAzureSource)] = source };
        }
    }

    public string? Summary()
    {
        var sent = Traffic.RequestsSent;
        if (sent == 0)
            return null;
        var how = !_options.UseResourceGraph ? "listing per subscription"
            : Traffic.ResourceGraphRefused ? "Resource Graph refused (403), listing per subscription instead"
            : $"{Traffic.ResourceGraphQueries} Resource Graph page(s)";
        var low = Traffic.MinRemainingReads is { } m ? $", lowest remaining reads {m}" : "";
        return $"azure: {sent} request(s) for {Targets.Count} subscription(s) ({how}); {Traffic.Retries} retried, {Traffic.ThrottledAnswers} throttled{low}";
    }

    public SourceUsage? Usage() => _stack.Usage;

    /// <summary>The shared HTTP stack under ARM and Graph (its counters, for tests and the bench).</summary>
    internal SourceHttpStack Stack => _stack;

    public void Dispose()
    {
        _http.Dispose();
        _stack.Dispose();
        _replay?.Dispose();
    }

    private IReadOnlyList<string> ResolveTargets()
    {
        if (_options.ManagementGroup is not { } group)
            return _options.Subscriptions;
        var url = Reader.Arm($"providers/Microsoft.Management/managementGroups/{Uri.EscapeDataString(group)}/descendants?api-version={ApiVersions.ManagementGroups}");
        // Targets are read before any rule runs, outside any rule's async flow: no rule gets this evidence.
        var items = Task.Run(() => Reader.ReadAsync("mg " + group, () => Reader.ListAsync(url), CancellationToken.None)).GetAwaiter().GetResult();
        var subs = items
            .Where(i => i.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
                && (t.GetString() ?? "").EndsWith("/subscriptions", StringComparison.OrdinalIgnoreCase))
            .Select(i => i.GetProperty("name").GetString()!.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (subs.Count == 0)
        {
            throw new SourceFaultException(AzureFaults.Source, FaultKind.Permanent,
                $"management group '{group}' has no subscription the identity can see; grant Reader on the group (Microsoft.Management/managementGroups/descendants/read), or list subscriptions");
        }

        return subs;
    }

    private static (ArmEnvironment Environment, Uri Authority, Uri Graph) Cloud(AzureSourceOptions o)
    {
        var (env, authority, graph) = o.Cloud switch
        {
            "china" => (ArmEnvironment.AzureChina, AzureAuthorityHosts.AzureChina, new Uri("https://microsoftgraph.chinacloudapi.cn/")),
            "usgovernment" => (ArmEnvironment.AzureGovernment, AzureAuthorityHosts.AzureGovernment, new Uri("https://graph.microsoft.us/")),
            "germany" => (ArmEnvironment.AzureGermany, new Uri("https://login.microsoftonline.de/"), new Uri("https://graph.microsoft.de/")),
            "custom" => (new ArmEnvironment(o.ArmEndpoint!, o.ArmAudience!), AzureAuthorityHosts.AzurePublicCloud, new Uri("https://graph.microsoft.com/")),
            _ => (ArmEnvironment.AzurePublicCloud, AzureAuthorityHosts.AzurePublicCloud, new Uri("https://graph.microsoft.com/")),
        };
        return (env, o.AuthorityHost ?? authority, o.GraphEndpoint ?? graph);
    }

    private static TokenCredential Credential(AzureSourceOptions o, Uri authority)
    {
        // A configured authority host (sovereign, private or test) is not one Entra's instance discovery knows.
        var noDiscovery = o.AuthorityHost is not null;
        void Common(TokenCredentialOptions options)
        {
            options.AuthorityHost = authority;
            if (o.Transport is not null)
                options.Transport = new HttpClientTransport(new HttpClient(o.Transport, disposeHandler: false));
            options.Retry.MaxRetries = 1;
        }

        switch (o.Credential)
        {
            case AzureCredentialKind.ClientSecret:
            {
                var options = new ClientSecretCredentialOptions { DisableInstanceDiscovery = noDiscovery };
                Common(options);
                return new ClientSecretCredential(o.TenantId, o.ClientId, o.ClientSecret, options);
            }

            case AzureCredentialKind.ClientCertificate:
            {
                var options = new ClientCertificateCredentialOptions { DisableInstanceDiscovery = noDiscovery };
                Common(options);
                return new ClientCertificateCredential(o.TenantId, o.ClientId, o.CertificatePath, options);
            }

            case AzureCredentialKind.WorkloadIdentity:
            {
                var options = new WorkloadIdentityCredentialOptions { TenantId = o.TenantId, ClientId = o.ClientId, TokenFilePath = o.TokenFilePath, DisableInstanceDiscovery = noDiscovery };
                Common(options);
                return new WorkloadIdentityCredential(options);
            }

            case AzureCredentialKind.ManagedIdentity:
            {
                var id = o.ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(o.ClientId);
                var options = new ManagedIdentityCredentialOptions(id);
                Common(options);
                return new ManagedIdentityCredential(options);
            }

            default:
            {
                var options = new DefaultAzureCredentialOptions
                {
                    TenantId = o.TenantId,
                    ManagedIdentityClientId = o.ClientId,
                    DisableInstanceDiscovery = noDiscovery,
                    ExcludeInteractiveBrowserCredential = true,
                };
                Common(options);
                return new DefaultAzureCredential(options);
            }
        }
    }

    private static void Quiet(ClientOptions options)
    {
        // The shared stack retries and times each attempt: Azure.Core doing so too would send every retry twice.
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = Timeout.InfiniteTimeSpan;
        options.Diagnostics.IsLoggingEnabled = false;
        options.Diagnostics.IsDistributedTracingEnabled = false;
    }

    private sealed class GraphClientOptions : ClientOptions;

    /// <summary>Reads the ArmClient's pipeline (bearer token policy included) through the ArmResource base.</summary>
    private sealed class PipelineOf(ArmClient client) : ArmResource(client, new ResourceIdentifier("/"))
    {
        public HttpPipeline Value => Pipeline;
    }

    /// <summary>Masks every access token it hands out wherever it may appear in evidence (an echo in a body or header).</summary>
    private sealed class RedactingCredential(TokenCredential inner, Redactor redactor) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var token = inner.GetToken(requestContext, cancellationToken);
            redactor.AddSecret(token.Token);
            return token;
        }

        public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var token = await inner.GetTokenAsync(requestContext, cancellationToken).ConfigureAwait(false);
            redactor.AddSecret(token.Token);
            return token;
        }
    }

    /// <summary>Replay answers from recordings: no token is needed, and none is requested.</summary>
    private sealed class ReplayCredential : TokenCredential
    {
        // Masked like any token; long and odd enough never to mask a word of real evidence.
        private static readonly AccessToken Token = new("evidencebot-replay-sends-no-token", DateTimeOffset.MaxValue);

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => Token;

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(Token);
    }
}
