using System.Collections.Concurrent;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// The top of the stack: within a run the same GET (or read-only POST) goes to the network once; concurrent callers
/// wait for the same fetch, later callers get the memoised answer, each as its own response. Every caller, first or
/// not, gets the exchange attached to its own rule execution (<see cref="RuleContext.Current"/>), so each rule's
/// evidence is complete. A 304 revalidation is recorded with the full cached body and says so. Faults are memoised
/// too: a request that failed once in a run fails alike for every rule that asks.
/// </summary>
internal sealed class CoalescingHandler : DelegatingHandler
{
    private readonly SourceHttpOptions _options;
    private readonly ConcurrentDictionary<string, Lazy<Task<Fetched>>> _memo = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private int _asked;
    private int _fetched;
    private int _sent;
    private int _revalidated;

    public CoalescingHandler(SourceHttpOptions options, HttpMessageHandler inner) : base(inner) => _options = options;

    public SourceRequestStats Stats => new() { Asked = _asked, Fetched = _fetched, Sent = _sent, Revalidated = _revalidated };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var coalescible = request.Method == HttpMethod.Get || (request.Method == HttpMethod.Post && _options.ReadOnlyPost?.Invoke(request) == true);
        Interlocked.Increment(ref _asked);
        Task<Fetched> fetch;
        if (coalescible && _options.CoalesceRequests)
        {
            // The shared fetch runs on the stack's lifetime: one rule's timeout must not cancel it for the others.
            // It sends its own copy: the first caller's message may be disposed while others still wait for the answer.
            fetch = _memo.GetOrAdd(Key(request, content), _ => new Lazy<Task<Fetched>>(() => FetchAsync(ResilienceHandler.Clone(request, content), _lifetime.Token))).Value;
        }
        else
        {
            fetch = FetchAsync(request, cancellationToken);
        }

        var fetched = await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (fetched.Exchange is not null)
            RuleContext.Current?.AttachEvidence(fetched.Exchange);
        fetched.Error?.Throw();
        return fetched.Answer!.ToResponse(request);
    }

    private async Task<Fetched> FetchAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Yield(); // run apart from the first caller, so its cancellation cannot reach the shared fetch
        var slot = ExchangeSlot.Open();
        Interlocked.Increment(ref _fetched);
        try
        {
            using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var answer = await Answer.ReadAsync(response, cancellationToken).ConfigureAwait(false);
            var exchange = slot.Exchange;
            if (exchange is { Status: (int)HttpStatusCode.NotModified } && response.StatusCode != HttpStatusCode.NotModified)
            {
                Interlocked.Increment(ref _revalidated);
                exchange = Revalidated(exchange, response, answer.Body);
            }

            Record(slot, exchange);
            return new Fetched(answer, exchange, null);
        }
        catch (Exception ex)
        {
            Record(slot, slot.Exchange);
            return new Fetched(null, slot.Exchange, ExceptionDispatchInfo.Capture(ex));
        }
    }

    private void Record(ExchangeSlot slot, HttpExchange? exchange)
    {
        Interlocked.Add(ref _sent, slot.Attempts);
        if (exchange is not null)
            _options.Sink?.Add(exchange);
    }

    /// <summary>
    /// The service said 304: the answer the rule used is the cached 200. Evidence shows that body, the headers of both
    /// (cached Link and Content-Type, fresh Date and rate-limit headers) and a marker saying it was revalidated.
    /// </summary>
    private HttpExchange Revalidated(HttpExchange notModified, HttpResponseMessage cached, byte[] body)
    {
        var redactor = _options.Redactor;
        var headers = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in (string[])["Link", "ETag", "Last-Modified"])
        {
            if (cached.Headers.TryGetValues(name, out var values) || (cached.Content?.Headers.TryGetValues(name, out values) ?? false))
                headers[name] = redactor.Text(string.Join(", ", values!));
        }

        if (cached.Content?.Headers.ContentType is { } type)
            headers["Content-Type"] = type.ToString();
        foreach (var (name, value) in notModified.ResponseHeaders)
            headers[name] = value;
        headers[SourceHttpStack.RevalidatedHeader] = SourceHttpStack.RevalidatedNote;
        return notModified with
        {
            Status = (int)cached.StatusCode,
            Body = redactor.Text(System.Text.Encoding.UTF8.GetString(body)),
            ResponseHeaders = headers,
        };
    }

    /// <summary>Method, absolute URL, the Accept header's media family (every JSON flavour answers alike) and, for a POST, its body's digest.</summary>
    internal static string Key(HttpRequestMessage request, byte[]? content)
    {
        var accept = request.Headers.TryGetValues("Accept", out var values) ? string.Join(", ", values) : null;
        var family = accept is null || accept.Contains("json", StringComparison.OrdinalIgnoreCase) ? "json" : accept;
        var body = content is { Length: > 0 } ? " " + Convert.ToHexStringLower(SHA256.HashData(content)) : "";
        return $"{request.Method.Method} {request.RequestUri?.AbsoluteUri} {family}{body}";
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _lifetime.Cancel();
            _lifetime.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed record Fetched(Answer? Answer, HttpExchange? Exchange, ExceptionDispatchInfo? Error);

    /// <summary>A buffered answer that can become a fresh response for each caller.</summary>
    private sealed record Answer(HttpStatusCode Status, Version Version, string? Reason, KeyValuePair<string, string[]>[] Headers, KeyValuePair<string, string[]>[] ContentHeaders, byte[] Body)
    {
        public static async Task<Answer> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var body = response.Content is null ? [] : await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return new Answer(response.StatusCode, response.Version, response.ReasonPhrase,
                [.. response.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToArray()))],
                [.. ((IEnumerable<KeyValuePair<string, IEnumerable<string>>>?)response.Content?.Headers ?? []).Select(h => KeyValuePair.Create(h.Key, h.Value.ToArray()))],
                body);
        }

        public HttpResponseMessage ToResponse(HttpRequestMessage request)
        {
            var response = new HttpResponseMessage(Status) { Version = Version, ReasonPhrase = Reason, RequestMessage = request, Content = new ByteArrayContent(Body) };
            foreach (var (name, values) in Headers)
                response.Headers.TryAddWithoutValidation(name, values);
            foreach (var (name, values) in ContentHeaders)
                response.Content.Headers.TryAddWithoutValidation(name, values);
            return response;
        }
    }
}
