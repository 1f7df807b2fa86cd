using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.GitHub.Http;

/// <summary>
/// Where the exchange behind one fetch lands. The coalescing client opens a slot for each network fetch;
/// the recording handler, further down the same async flow, fills it. An AsyncLocal is the only channel:
/// Octokit's adapter rebuilds the request message, so nothing can ride on the request itself.
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

/// <summary>A 2xx answer that claims to be JSON but is not (truncated, malformed). Never retried, never cached.</summary>
internal sealed class MalformedResponseException(string url, string detail)
    : Exception($"GitHub's answer to GET {url} is not valid JSON ({detail}): the response was truncated or malformed")
{
    public string Url { get; } = url;
}

/// <summary>
/// A well-formed exchange whose answer is not what the endpoint returns (a 204 or 202 where GitHub documents a
/// 200 with JSON, a page that is not labelled JSON, an object where a list was expected, an unreadable Link
/// header, a 304 without a cached answer). Using it would turn missing data into an empty answer.
/// </summary>
internal sealed class UnusableAnswerException(string url, string detail, bool transient = false)
    : Exception($"GitHub's answer to GET {url} cannot be used: {detail}")
{
    public string Url { get; } = url;

    /// <summary>Asking again later may succeed (GitHub's 202: the answer is still being computed).</summary>
    public bool Transient { get; } = transient;
}

/// <summary>
/// Buffers each answer, records it as a redacted exchange in the current <see cref="ExchangeSlot"/>, and refuses
/// a malformed JSON body before Octokit or the ETag cache sees it.
/// </summary>
internal sealed class RecordingHandler : DelegatingHandler
{
    private readonly CapturingHandler _capture;
    private readonly Redactor _redactor;

    public RecordingHandler(Redactor redactor, TimeProvider time, HttpMessageHandler inner) : base(inner)
    {
        _redactor = redactor;
        // Reused for its redacting Capture(): attaching to a rule is the coalescing client's job, since one answer may serve many rules.
        _capture = new CapturingHandler("github", redactor, time);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await CapturingHandler.BufferAsync(response, cancellationToken).ConfigureAwait(false);

        // HTTP lets a list header such as Link come as several lines. Octokit keeps one value per header, so a Link split
        // by a proxy would lose its "next" and end the pagination early: join the lines into one value, as HTTP defines.
        if (response.Headers.TryGetValues("Link", out var links) && links.Skip(1).Any())
        {
            var joined = string.Join(", ", links);
            response.Headers.Remove("Link");
            response.Headers.TryAddWithoutValidation("Link", joined);
        }

        response.RequestMessage ??= request;
        var slot = ExchangeSlot.Current;
        if (slot is not null)
        {
            slot.Attempts++;
            slot.Exchange = _capture.Capture(request, response, body);
        }

        if (response.IsSuccessStatusCode && IsJson(response) && body.Length > 0)
        {
            try
            {
                using var _ = JsonDocument.Parse(body);
            }
            catch (JsonException ex)
            {
                var url = _redactor.Url(request.RequestUri?.ToString() ?? "");
                response.Dispose();
                throw new MalformedResponseException(url, ex.Message);
            }
        }

        return response;
    }

    private static bool IsJson(HttpResponseMessage response) =>
        response.Content?.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
}
