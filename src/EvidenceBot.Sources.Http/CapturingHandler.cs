using System.Net.Http.Headers;
using System.Text;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// Captures every HTTP exchange that passes through it as raw evidence, redacted before it is kept,
/// and attaches it to the rule execution that made the request (<see cref="RuleContext.Current"/>).
/// Bodies are buffered so the caller still reads them.
/// </summary>
public sealed class CapturingHandler : DelegatingHandler
{
    private static readonly string[] KeptResponseHeaders =
    [
        "Content-Type", "ETag", "Last-Modified", "Link", "Date", "X-RateLimit-Limit", "X-RateLimit-Remaining",
        "X-RateLimit-Reset", "X-RateLimit-Resource", "Retry-After", "X-GitHub-Request-Id", "X-OAuth-Scopes",
        "X-Accepted-OAuth-Scopes", "X-GitHub-Api-Version-Selected", "x-ms-request-id", "x-ms-correlation-request-id",
    ];

    private static readonly string[] KeptRequestHeaders = ["Accept", "If-None-Match", "X-GitHub-Api-Version", "User-Agent", "Authorization"];

    private readonly string _source;
    private readonly Redactor _redactor;
    private readonly TimeProvider _time;
    private readonly IExchangeSink? _sink;

    /// <summary>Creates the handler.</summary>
    public CapturingHandler(string source, Redactor redactor, TimeProvider time, IExchangeSink? sink = null, HttpMessageHandler? inner = null)
    {
        _source = source;
        _redactor = redactor;
        _time = time;
        _sink = sink;
        if (inner is not null)
            InnerHandler = inner;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await BufferAsync(response, cancellationToken).ConfigureAwait(false);
        var exchange = Capture(request, response, body);
        RuleContext.Current?.AttachEvidence(exchange);
        _sink?.Add(exchange);
        response.RequestMessage ??= request;
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
