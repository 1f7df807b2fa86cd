using System.Text;
using System.Text.Json;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Models.Http;

/// <summary>How the registry handler retries and bounds requests.</summary>
internal sealed record RegistryHttpPolicy
{
    /// <summary>Retries after the first attempt for 429, 5xx, timeouts and connection failures.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First backoff for a 5xx or timeout without Retry-After; doubled each retry.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait a Retry-After may ask for; longer is a fault at once, not a stalled run.</summary>
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest one attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests in flight at once, over every registry of the session.</summary>
    public int Concurrency { get; init; } = 8;
}

/// <summary>A registry answer that is not usable as data: why, and whether asking later may help.</summary>
internal sealed class RegistryAnswerException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}

/// <summary>
/// The model source's own resilience and strictness, under the client and above <see cref="CapturingHandler"/>
/// (so every attempt, retried or not, is captured as evidence):
/// retries 429, 5xx, attempt timeouts and connection failures, waiting what <c>Retry-After</c> asks (bounded) or
/// an exponential backoff, on the injected clock; bounds requests in flight; and refuses a 2xx answer that is not
/// JSON (an HTML login page from an auth proxy answers 200) instead of letting it read as data.
/// A missing recording (<see cref="ReplayMissException"/>) is never retried.
/// Kept to one file until the shared HTTP stack replaces it.
/// </summary>
internal sealed class RegistryHttpHandler : DelegatingHandler
{
    private readonly RegistryHttpPolicy _policy;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private int _retries;
    private int _sent;

    public RegistryHttpHandler(RegistryHttpPolicy policy, TimeProvider time, SemaphoreSlim slots, HttpMessageHandler inner,
        Func<TimeSpan, CancellationToken, Task>? delay = null) : base(inner)
    {
        _policy = policy;
        _time = time;
        _slots = slots;
        _delay = delay ?? ((wait, ct) => Task.Delay(wait, time, ct));
    }

    /// <summary>Attempts retried so far.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Attempts sent so far (first attempts and retries).</summary>
    public int Sent => Volatile.Read(ref _sent);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var what = $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}";
        for (var attempt = 0; ; attempt++)
        {
            HttpResponseMessage? response = null;
            Exception? failure = null;
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Interlocked.Increment(ref _sent);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_policy.AttemptTimeout);
                try
                {
                    using var copy = Clone(request);
                    response = await base.SendAsync(copy, timeout.Token).ConfigureAwait(false);
                    response.RequestMessage = request;
                }
                catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    failure = new TimeoutException($"no answer within {_policy.AttemptTimeout.TotalSeconds:0.#} s", ex);
                }
                catch (HttpRequestException ex) when (ex is not ReplayMissException)
                {
                    failure = ex;
                }
            }
            finally
            {
                _slots.Release();
            }

            var status = response is null ? 0 : (int)response.StatusCode;
            var retryable = failure is not null || status == 429 || (status >= 500 && status != 501);
            if (!retryable)
            {
                if (status is >= 200 and < 300)
                    await RequireJsonAsync(response!, what, cancellationToken).ConfigureAwait(false);
                return response!;
            }

            var asked = response is null ? null : RetryAfter(response);
            if (asked > _policy.MaxRetryWait)
            {
                response!.Dispose();
                throw new RegistryAnswerException(
                    $"{what}: answered {status} and asks to retry after {asked.Value.TotalSeconds:0} s, longer than the {_policy.MaxRetryWait.TotalSeconds:0} s allowed (models.maxRetryWait); run again later",
                    transient: true);
            }

            if (attempt >= _policy.MaxRetries)
            {
                if (failure is not null)
                    throw new RegistryAnswerException($"{what}: {failure.Message}, still after {attempt} retr{(attempt == 1 ? "y" : "ies")}", transient: true, failure);
                return response!; // the client maps the final 429/5xx to a transient fault with the registry's message
            }

            response?.Dispose();
            Interlocked.Increment(ref _retries);
            var wait = asked ?? TimeSpan.FromTicks(Math.Min(_policy.MaxRetryWait.Ticks, _policy.RetryBaseDelay.Ticks * (1L << Math.Min(attempt, 20))));
            await _delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Retry-After in seconds or as an HTTP date; null when absent or unreadable.</summary>
    internal TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var value = response.Headers.RetryAfter;
        if (value?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (value?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static async Task RequireJsonAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var body = response.Content is null ? [] : await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var media = response.Content?.Headers.ContentType?.MediaType ?? "";
        var looksHtml = media.Contains("html", StringComparison.OrdinalIgnoreCase);
        if (!looksHtml)
        {
            try
            {
                // A reader pass, not a document: the client parses the body once, this only proves it can.
                var reader = new Utf8JsonReader(body);
                while (reader.Read())
                {
                }

                return;
            }
            catch (JsonException)
            {
                // fall through: not JSON
            }
        }

        var head = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 80)).ReplaceLineEndings(" ").Trim();
        throw new RegistryAnswerException(
            $"{what}: answered {(int)response.StatusCode} with {(media.Length > 0 ? media : "no content type")}, not JSON ('{head}'): " +
            (looksHtml ? "an HTML page, probably a login page from a proxy in front of the registry; check the URL and the credentials" : "the answer cannot be read"),
            transient: false);
    }

    private static HttpRequestMessage Clone(HttpRequestMessage request)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var h in request.Headers)
            clone.Headers.TryAddWithoutValidation(h.Key, h.Value);
        foreach (var o in request.Options)
            ((IDictionary<string, object?>)clone.Options)[o.Key] = o.Value;
        return clone;
    }
}
