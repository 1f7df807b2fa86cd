using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Core;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Http;
using EvidenceBot.Sources.Models.Http;

namespace EvidenceBot.Sources.Models;

/// <summary>
/// One run's connection to the configured registries. Per registry:
/// <code>
/// RegistryHttp (coalescing: each URL once per run, evidence attached to every asking rule; auth; fault mapping)
///   └ HttpClient
///     └ RegistryHttpHandler (retries honouring Retry-After, bounded concurrency, strict JSON)
///       └ CapturingHandler (redacted exchange attached to the calling rule)
///         └ transport (network, or a ReplayHandler)
/// </code>
/// </summary>
internal sealed class ModelsSession : ISourceSession
{
    private readonly SemaphoreSlim _slots;
    private readonly HttpMessageHandler _transport;
    private readonly bool _ownsTransport;
    private readonly List<(HttpClient Client, RegistryHttpHandler Handler, RegistryHttp Http)> _stacks = [];
    private readonly Dictionary<string, IModelsSource> _sources = new(StringComparer.OrdinalIgnoreCase);

    public ModelsSession(ModelsOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _slots = new SemaphoreSlim(options.Policy.Concurrency);
        _ownsTransport = options.Transport is null;
        _transport = options.Transport ?? new SocketsHttpHandler
        {
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = options.Policy.Concurrency,
        };
        foreach (var registry in options.Registries)
        {
            foreach (var secret in new[] { registry.Password, registry.Token })
            {
                if (secret is not null)
                    options.Redactor.AddSecret(secret);
            }

            var capture = new CapturingHandler(RegistryHttp.SourceName, options.Redactor, time, RegistryHttp.Sink(options.Sink), new Borrowed(_transport));
            var handler = new RegistryHttpHandler(options.Policy, time, _slots, capture, options.Delay);
            // Retries and waits are bounded by the policy and the rule's time bound, not by HttpClient's 100 s.
            var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            var http = new RegistryHttp(client, registry.Name, Auth(registry), ReadError(registry.Kind));
            _stacks.Add((client, handler, http));
            _sources[registry.Name] = registry.Kind switch
            {
                RegistryKind.MLflow => new MlflowSource(registry, http),
                RegistryKind.HuggingFace => new HuggingFaceSource(registry, http),
                _ => new AzureMlSource(registry, http),
            };
        }

        Targets = [.. options.Registries.Select(r => r.Name)];
    }

    public IReadOnlyList<string> Targets { get; }

    /// <summary>Requests rules asked for, distinct requests fetched, attempts sent on the wire, retries.</summary>
    public (int Asked, int Fetched, int Sent, int Retries) Stats =>
        (_stacks.Sum(s => s.Http.Asked), _stacks.Sum(s => s.Http.Fetched), _stacks.Sum(s => s.Handler.Sent), _stacks.Sum(s => s.Handler.Retries));

    /// <summary>The source for one registry.</summary>
    public IModelsSource For(string registry) =>
        _sources.TryGetValue(registry, out var source) ? source
            : throw new ArgumentException($"'{registry}' is not a configured registry; configured: {string.Join(", ", Targets)}", nameof(registry));

    public IReadOnlyDictionary<Type, object> ServicesFor(string target) => new Dictionary<Type, object> { [typeof(IModelsSource)] = For(target) };

    public string? Summary()
    {
        var (asked, fetched, sent, retries) = Stats;
        return asked == 0 ? null
            : $"models: {Targets.Count} registr{(Targets.Count == 1 ? "y" : "ies")}, {asked} request(s) asked, {fetched} distinct, {sent} sent, {retries} retried";
    }

    public void Dispose()
    {
        foreach (var (client, _, _) in _stacks)
            client.Dispose();
        if (_ownsTransport)
            _transport.Dispose();
        _slots.Dispose();
    }

    private static Func<CancellationToken, ValueTask<AuthenticationHeaderValue?>> Auth(RegistryOptions r)
    {
        if (r.Credential is { } credential)
        {
            var context = new TokenRequestContext([r.Scope]);
            return async ct => new AuthenticationHeaderValue("Bearer", (await credential.GetTokenAsync(context, ct).ConfigureAwait(false)).Token);
        }

        AuthenticationHeaderValue? header = r.Username is not null
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{r.Username}:{r.Password}")))
            : r.Token is not null ? new AuthenticationHeaderValue("Bearer", r.Token) : null;
        return _ => ValueTask.FromResult(header);
    }

    /// <summary>Where each registry names its error: MLflow <c>error_code</c>, Hugging Face <c>X-Error-Code</c>, ARM <c>error.code</c>.</summary>
    private static Func<HttpResponseMessage, JsonElement?, (string?, string?)> ReadError(RegistryKind kind) => (response, json) =>
    {
        var body = json ?? default;
        switch (kind)
        {
            case RegistryKind.HuggingFace:
                var code = response.Headers.TryGetValues("X-Error-Code", out var c) ? c.FirstOrDefault() : null;
                var message = response.Headers.TryGetValues("X-Error-Message", out var m) ? m.FirstOrDefault() : null;
                return (code, message ?? body.Str("error") ?? body.Str("message"));
            case RegistryKind.AzureMachineLearning:
                var error = body.Prop("error");
                return (error?.Str("code"), error?.Str("message"));
            default:
                // error_code may be a name or, from proxies and Databricks, a number such as "401".
                return (body.Str("error_code"), body.Str("message"));
        }
    };

    /// <summary>A transport several chains share and none disposes.</summary>
    private sealed class Borrowed(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
        }
    }
}
