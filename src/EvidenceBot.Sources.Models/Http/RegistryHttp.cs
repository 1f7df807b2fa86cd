using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Models.Http;

/// <summary>One answer of a registry: status, JSON body (null when it was not JSON), the error the registry named.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Json">The body when it is JSON, else null.</param>
/// <param name="ErrorCode">MLflow <c>error_code</c>, Hugging Face <c>X-Error-Code</c>, ARM <c>error.code</c>; null when none.</param>
/// <param name="Message">The registry's message, or the start of a non-JSON body.</param>
internal sealed record RegistryAnswer(int Status, JsonElement? Json, string? ErrorCode, string? Message)
{
    public bool Ok => Status is >= 200 and < 300 && Json is not null;
}

/// <summary>
/// GETs JSON from one registry over its <see cref="SourceHttpStack"/> (which coalesces each URL once per run and
/// attaches the evidence to every rule that asks, revalidates with ETags, retries and captures); adds the auth header
/// per request; turns what went wrong into a <see cref="SourceFaultException"/> reported to the calling rule, so it
/// reads as <c>error</c>: the stack's own failures, a 2xx answer that is not JSON (an HTML login page from a proxy),
/// and a rate limit longer than the stack may wait.
/// </summary>
internal sealed class RegistryHttp
{
    public const string SourceName = "models";

    private readonly HttpClient _client;
    private readonly SourceHttpStack _stack;
    private readonly string _registry;
    private readonly Func<CancellationToken, ValueTask<AuthenticationHeaderValue?>> _auth;
    private readonly Func<HttpResponseMessage, JsonElement?, (string? Code, string? Message)> _readError;

    public RegistryHttp(SourceHttpStack stack, HttpClient client, string registry, Func<CancellationToken, ValueTask<AuthenticationHeaderValue?>> auth,
        Func<HttpResponseMessage, JsonElement?, (string? Code, string? Message)> readError)
    {
        _stack = stack;
        _client = client;
        _registry = registry;
        _auth = auth;
        _readError = readError;
    }

    /// <summary>GET <paramref name="url"/>; a fault when the stack gave up or the answer is not JSON. Status errors are the caller's to judge.</summary>
    public async Task<RegistryAnswer> GetAsync(Uri url, string what, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Authorization = await _auth(cancellationToken).ConfigureAwait(false);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var media = response.Content.Headers.ContentType?.MediaType ?? "";
            var looksHtml = media.Contains("html", StringComparison.OrdinalIgnoreCase);
            JsonElement? json = null;
            try
            {
                // Parsed per caller: the stack memoises the bytes, and a document per answer is cheap beside the request.
                if (bytes.Length > 0 && !looksHtml)
                    json = JsonDocument.Parse(bytes).RootElement;
            }
            catch (JsonException)
            {
                // Error pages from proxies and the basic-auth app are text: the message carries their start.
            }

            if (status is >= 200 and < 300 && json is null)
            {
                var head = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 80)).ReplaceLineEndings(" ").Trim();
                throw Report(false,
                    $"{what}: registry '{_registry}': GET {url.GetLeftPart(UriPartial.Path)}: answered {status} with {(media.Length > 0 ? media : "no content type")}, not JSON ('{head}'): " +
                    (looksHtml ? "an HTML page, probably a login page from a proxy in front of the registry; check the URL and the credentials" : "the answer cannot be read"));
            }

            if (RateLimitBeyondWait(response, bytes) is { } asked)
            {
                var bound = _stack.Options.MaxRateLimitWait;
                throw Report(true,
                    $"{what}: registry '{_registry}': GET {url.GetLeftPart(UriPartial.Path)}: answered {status} and asks to retry after {asked.TotalSeconds:0} s, longer than the {bound.TotalSeconds:0} s allowed (models.maxRetryWait); run again later");
            }

            var (code, message) = status is >= 200 and < 300 ? (null, null) : _readError(response, json);
            if (message is null && json is null && bytes.Length > 0 && status >= 300)
                message = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 120)).ReplaceLineEndings(" ").Trim();
            return new RegistryAnswer(status, json, code, message);
        }
        catch (SourceFaultException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the rule's own time bound: the engine says so
        }
        catch (Exception ex) when (SourceFaults.Describe(ex, what, $"registry '{_registry}'") is { } described)
        {
            throw Report(described.Kind == FaultKind.Transient, described.Message, ex);
        }
        catch (Exception ex)
        {
            // e.g. the credential could not mint a token
            throw Report(false, $"{what}: registry '{_registry}': {ex.GetType().Name}: {ex.Message}", ex);
        }
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
        var fault = new SourceFaultException(SourceName, transient ? FaultKind.Transient : FaultKind.Permanent, message, inner);
        RuleContext.Current?.ReportFault(fault.Message);
        return fault;
    }

    /// <summary>The wait a rate-limit answer asked for when it is longer than the stack may wait (so it was not retried); else null.</summary>
    private TimeSpan? RateLimitBeyondWait(HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        if (status < 400)
            return null;
        var advice = _stack.Options.RateLimitAdvisor.Advise(status,
            name => response.Headers.TryGetValues(name, out var v) || response.Content.Headers.TryGetValues(name, out v) ? v.FirstOrDefault() : null,
            Encoding.UTF8.GetString(body), _stack.Options.TimeProvider.GetUtcNow());
        return advice is { } a && a.Wait > _stack.Options.MaxRateLimitWait ? a.Wait : null;
    }
}
