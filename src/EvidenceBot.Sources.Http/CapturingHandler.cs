using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// Where the exchange behind one fetch lands. The coalescing handler opens a slot for each fetch; the capturing
/// handler, further down the same async flow, fills it once per attempt. An AsyncLocal is the channel because the
/// resilience handler sends clones of the request, and an SDK above may rebuild it.
/// </summary>
internal sealed class ExchangeSlot
{
    private static readonly AsyncLocal<ExchangeSlot?> CurrentSlot = new();

    /// <summary>The last attempt's exchange (retries overwrite it).</summary>
    public HttpExchange? Exchange { get; set; }

    /// <summary>How many attempts reached the transport.</summary>
    public int Attempts { get; set; }

    public static ExchangeSlot? Current => CurrentSlot.Value;

    public static ExchangeSlot Open()
    {
        var slot = new ExchangeSlot();
        CurrentSlot.Value = slot;
        return slot;
    }
}

/// <summary>
/// Captures every exchange that passes through it as raw evidence, redacted before it is kept: buffers each answer
/// (the caller still reads it), joins a Link header split over several lines, and refuses a 2xx body labelled JSON that
/// does not parse. Inside a <see cref="SourceHttpStack"/> (its bottom, just above the transport) it records one exchange
/// per attempt for the coalescing handler above, which attaches it to every rule that asked; used on its own, it attaches
/// each exchange to the rule execution that made the request (<see cref="RuleContext.Current"/>) and to the sink.
/// </summary>
public sealed class CapturingHandler : DelegatingHandler
{
    private static readonly string[] KeptResponseHeaders =
    [
        "Content-Type", "ETag", "Last-Modified", "Link", "Date", "X-RateLimit-Limit", "X-RateLimit-Remaining",
        "X-RateLimit-Reset", "X-RateLimit-Resource", "Retry-After", "X-GitHub-Request-Id", "X-OAuth-Scopes",
        "X-Accepted-OAuth-Scopes", "X-GitHub-Api-Version-Selected", "x-ms-request-id", "x-ms-correlation-request-id",
        "x-ms-ratelimit-remaining-subscription-reads", "x-ms-ratelimit-remaining-tenant-reads",
        "x-ms-ratelimit-remaining-subscription-global-reads",
        "x-ms-user-quota-remaining", "x-ms-user-quota-resets-after",
        // The Hugging Face Hub names its faults in headers (the body may be empty or a login page).
        "X-Error-Code", "X-Error-Message", "WWW-Authenticate", "RateLimit", "RateLimit-Policy", "X-Request-Id",
    ];

    private static readonly string[] KeptRequestHeaders = ["Accept", "If-None-Match", "X-GitHub-Api-Version", "User-Agent", "Authorization"];

    private readonly string _source;
    private readonly string _service;
    private readonly Redactor _redactor;
    private readonly TimeProvider _time;
    private readonly IExchangeSink? _sink;
    private readonly Action<HttpExchange>? _observer;

    /// <summary>Creates the handler on its own (outside a <see cref="SourceHttpStack"/>).</summary>
    /// <param name="source">The source name recorded on each exchange, e.g. <c>github</c>.</param>
    /// <param name="redactor">Masks secrets before an exchange is kept.</param>
    /// <param name="time">Stamps each exchange.</param>
    /// <param name="sink">Also receives every exchange, when set.</param>
    /// <param name="inner">The handler it sends through, when set.</param>
    public CapturingHandler(string source, Redactor redactor, TimeProvider time, IExchangeSink? sink = null, HttpMessageHandler? inner = null)
    {
        _source = source;
        _service = source;
        _redactor = redactor;
        _time = time;
        _sink = sink;
        if (inner is not null)
            InnerHandler = inner;
    }

    internal CapturingHandler(string source, string service, Redactor redactor, TimeProvider time, HttpMessageHandler inner, Action<HttpExchange>? observer = null) : base(inner)
    {
        _observer = observer;
        _source = source;
        _service = service;
        _redactor = redactor;
        _time = time;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A POST's body is part of the evidence (a Resource Graph query says what was asked) and what a replay matches on.
        // Read before sending; the resilience handler above sends a buffered copy, so it can be read again.
        string? requestBody = null;
        if (request.Content is not null)
        {
            var sent = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (sent.Length > 0)
                requestBody = _redactor.Text(Encoding.UTF8.GetString(sent));
        }

        // The evidence names the URL the source asked for, even if a transport below rewrote it (a test's loopback).
        var asked = request.RequestUri;
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        request.RequestUri = asked;
        var body = await BufferAsync(response, cancellationToken).ConfigureAwait(false);

        // HTTP lets a list header such as Link come as several lines. Octokit keeps one value per header, so a Link split
        // by a proxy would lose its "next" and end the pagination early: join the lines into one value, as HTTP defines.
        if (response.Headers.TryGetValues("Link", out var links) && links.Skip(1).Any())
        {
            var joined = string.Join(", ", links);
            response.Headers.Remove("Link");
            response.Headers.TryAddWithoutValidation("Link", joined);
        }

        response.RequestMessage ??= request;
        var exchange = Capture(request, response, body) with { RequestBody = requestBody };
        _observer?.Invoke(exchange);
        if (ExchangeSlot.Current is { } slot)
        {
            // In a stack: the coalescing handler attaches the fetch's exchange to every rule that asked.
            slot.Attempts++;
            slot.Exchange = exchange;
        }
        else
        {
            RuleContext.Current?.AttachEvidence(exchange);
            _sink?.Add(exchange);
        }

        if (response.IsSuccessStatusCode && IsJson(response.Content?.Headers.ContentType) && body.Length > 0)
        {
            try
            {
                using var _ = JsonDocument.Parse(body);
            }
            catch (JsonException ex)
            {
                var url = _redactor.Url(request.RequestUri?.ToString() ?? "");
                response.Dispose();
                throw new MalformedResponseException(url, ex.Message, _service);
            }
        }

        return response;
    }

    /// <summary>Reads a response body once and puts it back as a buffered copy, so the caller can still read it.</summary>
    public static async Task<byte[]> BufferAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Content is null)
            return [];
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var buffered = new ByteArrayContent(body);
        foreach (var h in response.Content.Headers)
            buffered.Headers.TryAddWithoutValidation(h.Key, h.Value);
        response.Content = buffered;
        return body;
    }

    /// <summary>Builds the redacted exchange record.</summary>
    public HttpExchange Capture(HttpRequestMessage request, HttpResponseMessage response, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        var requestHeaders = Pick(request.Headers, request.Content?.Headers, KeptRequestHeaders);
        var responseHeaders = Pick(response.Headers, response.Content?.Headers, KeptResponseHeaders);
        var text = IsText(response.Content?.Headers.ContentType, body) ? Encoding.UTF8.GetString(body) : null;
        return new HttpExchange
        {
            Source = _source,
            Method = request.Method.Method,
            Url = _redactor.Url(request.RequestUri?.ToString() ?? ""),
            Status = (int)response.StatusCode,
            RequestHeaders = requestHeaders,
            ResponseHeaders = responseHeaders,
            Body = text is null ? null : _redactor.Text(text),
            BodyBase64 = text is null && body.Length > 0 ? Convert.ToBase64String(body) : null,
            At = _time.GetUtcNow(),
        };
    }

    private SortedDictionary<string, string> Pick(HttpHeaders headers, HttpContentHeaders? content, string[] kept)
    {
        var result = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in kept)
        {
            if (headers.TryGetValues(name, out var values) || (content is not null && content.TryGetValues(name, out values)))
                result[name] = _redactor.Header(name, string.Join(", ", values));
        }

        return result;
    }

    internal static bool IsJson(MediaTypeHeaderValue? type) =>
        type?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;

    private static bool IsText(MediaTypeHeaderValue? type, byte[] body)
    {
        var media = type?.MediaType ?? "";
        if (media.Contains("json", StringComparison.OrdinalIgnoreCase) || media.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || media.Contains("xml", StringComparison.OrdinalIgnoreCase))
            return true;
        if (media.Length > 0)
            return false;
        // No content type: keep it as text when it decodes cleanly.
        try
        {
            _ = new UTF8Encoding(false, true).GetString(body);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
