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
/// RegistryHttp (auth; per-registry fault mapping; HTML login page and over-long Retry-After as faults)
///   └ HttpClient from SourceHttpStack.CreateClient()
///     └ SourceHttpStack: coalescing └ origin guard (the registry's URL) └ ETag cache └ resilience └ capture └ transport
/// </code>
/// One stack per registry, not one per run: each registry's credentials may only go to its own origin, so the
/// origin guard allows that one origin; its counters name that registry's traffic.
/// </summary>
internal sealed class ModelsSession : ISourceSession
{
    private readonly List<(SourceHttpStack Stack, HttpClient Client)> _stacks = [];
    private readonly Dictionary<string, IModelsSource> _sources = new(StringComparer.OrdinalIgnoreCase);

    public ModelsSession(ModelsOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        foreach (var registry in options.Registries)
        {
            foreach (var secret in new[] { registry.Password, registry.Token })
            {
                if (secret is not null)
                    options.Redactor.AddSecret(secret);
            }

            var stack = SourceHttpStack.Create(new SourceHttpOptions
            {
                SourceName = RegistryHttp.SourceName,
                ServiceName = $"registry '{registry.Name}'",
                MaxRateLimitWaitSetting = "models.maxRetryWait",
                Redactor = options.Redactor,
                TimeProvider = time,
                Sink = options.Sink,
                EtagCacheDirectory = options.EtagCacheDirectory,
                Concurrency = options.Policy.Concurrency,
                MaxRetries = options.Policy.MaxRetries,
                RetryBaseDelay = options.Policy.RetryBaseDelay,
                AttemptTimeout = options.Policy.AttemptTimeout,
                MaxRateLimitWait = options.Policy.MaxRetryWait,
                Transport = options.Transport,
                // Retry-After on 429 and 503: what MLflow, Databricks, the Hub and ARM send when they throttle.
                RateLimitAdvisor = RetryAfterAdvisor.Instance,
                AllowedOrigins = registry.Url is null ? [] : [registry.Url],
            });
            var client = stack.CreateClient();
            var http = new RegistryHttp(stack, client, registry.Name, Auth(registry), ReadError(registry.Kind));
            _stacks.Add((stack, client));
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

    /// <summary>Requests rules asked for, distinct requests fetched, attempts sent on the wire, retries, answers revalidated by a 304.</summary>
    public (int Asked, int Fetched, int Sent, int Retries, int Revalidated) Stats =>
        (_stacks.Sum(s => s.Stack.Stats.Asked), _stacks.Sum(s => s.Stack.Stats.Fetched), _stacks.Sum(s => s.Stack.Stats.Sent),
            _stacks.Sum(s => s.Stack.Retries), _stacks.Sum(s => s.Stack.Stats.Revalidated));

    /// <summary>The source for one registry.</summary>
    public IModelsSource For(string registry) =>
        _sources.TryGetValue(registry, out var source) ? source
            : throw new ArgumentException($"'{registry}' is not a configured registry; configured: {string.Join(", ", Targets)}", nameof(registry));

    public IReadOnlyDictionary<Type, object> ServicesFor(string target) => new Dictionary<Type, object> { [typeof(IModelsSource)] = For(target) };

    public string? Summary()
    {
        var (asked, fetched, sent, retries, revalidated) = Stats;
        return asked == 0 ? null
            : $"models: {Targets.Count} registr{(Targets.Count == 1 ? "y" : "ies")}, {asked} request(s) asked, {fetched} distinct, {sent} sent, {retries} retried, {revalidated} answered 304 from the ETag cache";
    }

    /// <summary>Rate-limit waits and give-ups of every registry's stack, added up under the source's name.</summary>
    public SourceUsage? Usage() => _stacks.Count == 0 ? null : _stacks.Skip(1).Aggregate(_stacks[0].Stack.Usage, (sum, s) => sum.Add(s.Stack.Usage));

    public void Dispose()
    {
        foreach (var (stack, client) in _stacks)
        {
            client.Dispose();
            stack.Dispose();
        }
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
}
