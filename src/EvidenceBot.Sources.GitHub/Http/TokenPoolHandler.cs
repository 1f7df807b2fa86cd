using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace EvidenceBot.Sources.GitHub.Http;

/// <summary>
/// Spreads requests over several tokens, just above the transport (so each attempt, retries included, picks again):
/// every request goes out with the token that has the most rate limit left (<c>X-RateLimit-Remaining</c> of its last
/// answer; a token not yet used counts as full). A token whose answer says its limit is spent (remaining 0) rests until
/// its <c>X-RateLimit-Reset</c>; a request refused for that is sent again at once with another token. Only when every
/// token rests does the refusal go up, where the resilience handler waits for the reset within
/// <c>github.maxRateLimitWait</c> or gives up as an error.
/// </summary>
internal sealed class TokenPoolHandler : DelegatingHandler
{
    private readonly TokenState[] _tokens;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    public TokenPoolHandler(IReadOnlyList<string> tokens, TimeProvider time, HttpMessageHandler inner) : base(inner)
    {
        if (tokens.Count == 0)
            throw new ArgumentException("a token pool needs at least one token", nameof(tokens));
        _tokens = [.. tokens.Select((t, i) => new TokenState(t, i))];
        _time = time;
    }

    /// <summary>Requests sent with each token, in the configured order (for tests and the bench).</summary>
    public IReadOnlyList<int> SentPerToken
    {
        get
        {
            lock (_gate)
                return [.. _tokens.Select(t => t.Sent)];
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var tried = new HashSet<TokenState>();
        HttpResponseMessage? refused = null;
        while (Pick(tried, first: refused is null) is { } token)
        {
            tried.Add(token);
            // The evidence shows which header went (the redactor masks it); each send is a fresh copy of the request.
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
            using var attempt = Copy(request, content);
            refused?.Dispose();
            var response = await base.SendAsync(attempt, cancellationToken).ConfigureAwait(false);
            response.RequestMessage = request;
            if (!Observe(token, response))
                return response;
            refused = response;
        }

        return refused!;
    }

    /// <summary>
    /// The token with the most left among those not resting and not tried yet; on the first try, when every token rests,
    /// the one that wakes first (its refusal then tells the layer above how long to wait).
    /// </summary>
    private TokenState? Pick(HashSet<TokenState> tried, bool first)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var awake = _tokens.Where(t => !tried.Contains(t) && (t.RestingUntil is null || t.RestingUntil <= now)).ToList();
            var chosen = awake.Count > 0
                ? awake.OrderByDescending(t => t.Remaining ?? int.MaxValue).ThenBy(t => t.Sent).ThenBy(t => t.Index).First()
                : first ? _tokens.OrderBy(t => t.RestingUntil).First() : null;
            if (chosen is not null)
            {
                chosen.Sent++;
                // Count the request against the token now, so concurrent requests spread instead of all picking the same one.
                if (chosen.Remaining is { } left)
                    chosen.Remaining = left - 1;
            }

            return chosen;
        }
    }

    /// <summary>Reads the token's rate-limit headers; true when the answer refused the request because the token's limit is spent.</summary>
    private bool Observe(TokenState token, HttpResponseMessage response)
    {
        var remaining = Header(response, "X-RateLimit-Remaining") is { } r && int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : (int?)null;
        var reset = Header(response, "X-RateLimit-Reset") is { } s && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch) : (DateTimeOffset?)null;
        lock (_gate)
        {
            if (remaining is not null)
                token.Remaining = remaining;
            if (remaining == 0)
                token.RestingUntil = reset ?? _time.GetUtcNow().AddMinutes(1);
        }

        return remaining == 0 && response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static HttpRequestMessage Copy(HttpRequestMessage request, byte[]? content)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var h in request.Headers)
            copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
        if (content is not null)
        {
            copy.Content = new ByteArrayContent(content);
            foreach (var h in request.Content!.Headers)
                copy.Content.Headers.TryAddWithoutValidation(h.Key, h.Value);
        }

        return copy;
    }

    private sealed class TokenState(string token, int index)
    {
        public string Token { get; } = token;
        public int Index { get; } = index;
        public int? Remaining { get; set; }
        public DateTimeOffset? RestingUntil { get; set; }
        public int Sent { get; set; }
    }
}
