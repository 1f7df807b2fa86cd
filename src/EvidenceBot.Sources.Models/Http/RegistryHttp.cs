using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Models.Http;

/// <summary>One answer of a registry: status, JSON body (null when it was not JSON), the error the registry named.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Json">The body when it is JSON, else null.</param>
/// <param name="ErrorCode">MLflow <c>error_code</c>, Hugging Face <c>X-Error-Code</c>, ARM <c>error.code</c>; null when none.</param>
/// <param name="Message">The registry's message, or the start of a non-JSON body.</param>
/// <param name="Exchanges">The captured exchanges this answer rests on (retries included).</param>
internal sealed record RegistryAnswer(int Status, JsonElement? Json, string? ErrorCode, string? Message, IReadOnlyList<HttpExchange> Exchanges)
{
    public bool Ok => Status is >= 200 and < 300 && Json is not null;
}

/// <summary>
/// GETs JSON from one registry over the session's handler chain: each distinct URL is fetched once per run and its
/// evidence attached to every rule that asks (coalescing); auth headers are added per request; what went wrong is
/// turned into a <see cref="SourceFaultException"/> reported to the calling rule, so it reads as <c>error</c>.
/// </summary>
internal sealed class RegistryHttp
{
    public const string SourceName = "models";

    // The capture handler hands each exchange to the sink; this flow-local list collects those of one fetch.
    private static readonly AsyncLocal<List<HttpExchange>?> Collecting = new();

    private readonly HttpClient _client;
    private readonly string _registry;
    private readonly Func<CancellationToken, ValueTask<AuthenticationHeaderValue?>> _auth;
    private readonly Func<HttpResponseMessage, JsonElement?, (string? Code, string? Message)> _readError;
    private readonly ConcurrentDictionary<string, Lazy<Task<RegistryAnswer>>> _answers = new(StringComparer.Ordinal);
    private int _asked;

    public RegistryHttp(HttpClient client, string registry, Func<CancellationToken, ValueTask<AuthenticationHeaderValue?>> auth,
        Func<HttpResponseMessage, JsonElement?, (string? Code, string? Message)> readError)
    {
        _client = client;
        _registry = registry;
        _auth = auth;
        _readError = readError;
    }

    /// <summary>Requests rules asked for (coalesced ones included).</summary>
    public int Asked => Volatile.Read(ref _asked);

    /// <summary>Distinct requests fetched.</summary>
    public int Fetched => _answers.Count;

    /// <summary>The sink to give the capture handler: it collects each fetch's exchanges and forwards them to <paramref name="next"/>.</summary>
    public static IExchangeSink Sink(IExchangeSink? next) => new CollectingSink(next);

    /// <summary>GET <paramref name="url"/>; a fault when the transport or handler gave up. Status errors are the caller's to judge.</summary>
    public async Task<RegistryAnswer> GetAsync(Uri url, string what, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _asked);
        var lazy = _answers.GetOrAdd(url.AbsoluteUri, key => new Lazy<Task<RegistryAnswer>>(() => FetchAsync(new Uri(key), what)));
        RegistryAnswer answer;
        try
        {
            // The shared fetch is not cancelled by one rule's time bound: another rule may be waiting for it.
            answer = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceFaultException ex)
        {
            // Report to this rule as well: the fault was first reported to the rule whose call started the fetch.
            RuleContext.Current?.ReportFault(ex.Message);
            throw;
        }

        foreach (var e in answer.Exchanges)
            RuleContext.Current?.AttachEvidence(e);
        return answer;
    }

    /// <summary>A fault for an answer the caller cannot use as data: says what was asked, what the registry answered and what to do.</summary>
    public SourceFaultException Fault(RegistryAnswer answer, string what)
    {
        var said = answer.ErrorCode is null ? answer.Message : $"{answer.ErrorCode}: {answer.Message}";
        var status = answer.Status;
        var (transient, advice) = status switch
        {
            401 => (false, "the registry wants credentials, or refused the ones configured; check models.registries[].auth / tokenEnv"),
            403 => (false, "the configured identity may not read this; grant it read permission on the registry"),
            404 => (false, "not found, or not visible to the configured identity"),
            429 => (true, "rate limited, still after the retries; run again later or lower models.concurrency"),
            >= 500 => (true, "the registry failed, still after the retries"),
            >= 200 and < 300 => (false, "the answer is not the JSON expected"),
            _ => (false, "the request was refused"),
        };
        return Report(transient, $"{what}: registry '{_registry}' answered {status}{(string.IsNullOrEmpty(said) ? "" : $" ({said})")}: {advice}");
    }

    /// <summary>A fault for a well-formed answer whose content does not fit the wire shape expected.</summary>
    public SourceFaultException Malformed(string what, string why) => Report(false, $"{what}: registry '{_registry}' sent a malformed answer: {why}");

    public static SourceFaultException Report(bool transient, string message, Exception? inner = null)
    {
        var fault = Create(transient, message, inner);
        RuleContext.Current?.ReportFault(fault.Message);
        return fault;
    }

    private static SourceFaultException Create(bool transient, string message, Exception? inner = null) =>
        new(SourceName, transient ? FaultKind.Transient : FaultKind.Permanent, message, inner);

    private async Task<RegistryAnswer> FetchAsync(Uri url, string what)
    {
        var collected = new List<HttpExchange>();
        Collecting.Value = collected;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Authorization = await _auth(CancellationToken.None).ConfigureAwait(false);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            JsonElement? json = null;
            try
            {
                // The document is kept for the run (its answer is shared), so its root needs no copy.
                if (bytes.Length > 0)
                    json = JsonDocument.Parse(bytes).RootElement;
            }
            catch (JsonException)
            {
                // Error pages from proxies and the basic-auth app are text: the message carries their start.
            }

            var (code, message) = (int)response.StatusCode is >= 200 and < 300 ? (null, null) : _readError(response, json);
            if (message is null && json is null && bytes.Length > 0 && (int)response.StatusCode >= 300)
                message = System.Text.Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 120)).ReplaceLineEndings(" ").Trim();
            return new RegistryAnswer((int)response.StatusCode, json, code, message, [.. collected]);
        }
        catch (RegistryAnswerException ex)
        {
            throw Create(ex.Transient, $"{what}: registry '{_registry}': {ex.Message}", ex);
        }
        catch (ReplayMissException ex)
        {
            throw Create(false, $"{what}: {ex.Message}; the replay folder has no recording of this request", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Create(true, $"{what}: could not reach registry '{_registry}' ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is not SourceFaultException and not OperationCanceledException)
        {
            // e.g. the credential could not mint a token
            throw Create(false, $"{what}: registry '{_registry}': {ex.GetType().Name}: {ex.Message}", ex);
        }
        finally
        {
            Collecting.Value = null;
        }
    }

    private sealed class CollectingSink(IExchangeSink? next) : IExchangeSink
    {
        public void Add(HttpExchange exchange)
        {
            var list = Collecting.Value;
            if (list is not null)
            {
                lock (list)
                    list.Add(exchange);
            }

            next?.Add(exchange);
        }
    }
}
