using System.Collections.Concurrent;
using System.Net;
using System.Runtime.ExceptionServices;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;
using Octokit;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub.Http;

/// <summary>What the session sent and what it saved, for the bench, tests and the run log.</summary>
public sealed record GitHubRequestStats
{
    /// <summary>GETs rules asked for.</summary>
    public int Asked { get; init; }

    /// <summary>Distinct GETs fetched (each once, however many rules asked).</summary>
    public int Fetched { get; init; }

    /// <summary>Attempts that reached the transport, retries included.</summary>
    public int Sent { get; init; }

    /// <summary>Fetches answered 304 Not Modified and served from the ETag cache.</summary>
    public int Revalidated { get; init; }
}

/// <summary>
/// The top of the source's HTTP stack, above Octokit's ETag cache: within a run the same GET goes to the
/// network once, concurrent callers wait for the same fetch, later callers get the memoised answer. Every caller,
/// first or not, gets the exchange attached to its own rule execution (<see cref="RuleContext.Current"/>), so each
/// rule's evidence is complete. A 304 revalidation is recorded with the full cached body and says so.
/// </summary>
internal sealed class CoalescingHttpClient : IHttpClient
{
    /// <summary>The response header that marks an exchange answered from the ETag cache after a 304.</summary>
    public const string RevalidatedHeader = "X-EvidenceBot-Revalidated";

    private readonly IHttpClient _inner;
    private readonly Redactor _redactor;
    private readonly IExchangeSink? _sink;
    private readonly bool _coalesce;
    private readonly ConcurrentDictionary<string, Lazy<Task<Fetched>>> _memo = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private int _asked;
    private int _fetched;
    private int _sent;
    private int _revalidated;

    public CoalescingHttpClient(IHttpClient inner, Redactor redactor, IExchangeSink? sink, bool coalesce)
    {
        _inner = inner;
        _redactor = redactor;
        _sink = sink;
        _coalesce = coalesce;
    }

    public GitHubRequestStats Stats => new() { Asked = _asked, Fetched = _fetched, Sent = _sent, Revalidated = _revalidated };

    public async Task<IResponse> Send(IRequest request, CancellationToken cancellationToken, Func<object, object>? preprocessResponseBody = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method != HttpMethod.Get || preprocessResponseBody is not null)
            return await _inner.Send(request, cancellationToken, preprocessResponseBody).ConfigureAwait(false);

        Interlocked.Increment(ref _asked);
        Task<Fetched> fetch;
        if (_coalesce)
        {
            var key = Key(request);
            fetch = _memo.GetOrAdd(key, _ => new Lazy<Task<Fetched>>(() => FetchAsync(request, _lifetime.Token))).Value;
        }
        else
        {
            fetch = FetchAsync(request, cancellationToken);
        }

        // The shared fetch runs on the session's lifetime: one rule's timeout must not cancel it for the others.
        var fetched = await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (fetched.Exchange is not null)
            RuleContext.Current?.AttachEvidence(fetched.Exchange);
        if (fetched.Error is not null)
            fetched.Error.Throw();
        return fetched.Response!;
    }

    private async Task<Fetched> FetchAsync(IRequest request, CancellationToken cancellationToken)
    {
        await Task.Yield(); // run apart from the first caller, so its cancellation cannot reach the shared fetch
        var slot = ExchangeSlot.Open();
        Interlocked.Increment(ref _fetched);
        try
        {
            var response = await _inner.Send(request, cancellationToken).ConfigureAwait(false);
            var exchange = slot.Exchange;
            if (exchange is { Status: (int)HttpStatusCode.NotModified } && response.StatusCode != HttpStatusCode.NotModified)
            {
                Interlocked.Increment(ref _revalidated);
                exchange = Revalidated(exchange, response);
            }

            Record(slot, exchange);
            return new Fetched(response, exchange, null);
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
            _sink?.Add(exchange);
    }

    /// <summary>
    /// GitHub said 304: the answer the rule used is the cached 200. Evidence shows that body, the headers of
    /// both (cached Link and Content-Type, fresh Date and rate-limit headers) and a marker saying it was revalidated.
    /// </summary>
    private HttpExchange Revalidated(HttpExchange notModified, IResponse cached)
    {
        var headers = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in (string[])["Link", "ETag", "Last-Modified"])
        {
            var value = cached.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
            if (value is not null)
                headers[name] = _redactor.Text(value);
        }

        if (cached.ContentType is not null)
            headers["Content-Type"] = cached.ContentType;
        foreach (var (name, value) in notModified.ResponseHeaders)
            headers[name] = value;
        headers[RevalidatedHeader] = "304 Not Modified: unchanged since the ETag cached by an earlier run; body from the ETag cache";
        return notModified with
        {
            Status = (int)cached.StatusCode,
            Body = cached.Body is string text ? _redactor.Text(text) : null,
            ResponseHeaders = headers,
        };
    }

    /// <summary>Method, absolute URL, and the Accept header's media family (every JSON flavour of GitHub's API answers alike).</summary>
    internal static string Key(IRequest request)
    {
        var url = new Uri(request.BaseAddress, request.Endpoint).ToString();
        request.Headers.TryGetValue("Accept", out var accept);
        var family = accept is null || accept.Contains("json", StringComparison.OrdinalIgnoreCase) ? "json" : accept;
        return $"{request.Method.Method} {url} {family}";
    }

    public void SetRequestTimeout(TimeSpan timeout) => _inner.SetRequestTimeout(timeout);

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
        _inner.Dispose();
    }

    private sealed record Fetched(IResponse? Response, HttpExchange? Exchange, ExceptionDispatchInfo? Error);
}
