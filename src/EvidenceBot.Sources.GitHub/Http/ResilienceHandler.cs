using System.Net;
using EvidenceBot.Sources.Http;
using Polly;
using Polly.Retry;

namespace EvidenceBot.Sources.GitHub.Http;

/// <summary>No answer within the attempt timeout.</summary>
internal sealed class AttemptTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// Retries what may succeed later (Polly): 5xx, timeouts and connection failures with exponential backoff;
/// rate limits (403 primary or secondary, 429) after the wait GitHub asks for, when that wait is within the
/// bound. Bounds concurrent attempts. Uses the injected clock for every wait, so tests need not sleep.
/// A missing recording (<see cref="ReplayMissException"/>) is never retried.
/// </summary>
internal sealed class ResilienceHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly SemaphoreSlim _slots;
    private readonly GitHubSourceOptions _options;
    private readonly TimeProvider _time;

    public ResilienceHandler(GitHubSourceOptions options, TimeProvider time, SemaphoreSlim slots, HttpMessageHandler inner) : base(inner)
    {
        _options = options;
        _time = time;
        _slots = slots;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : options.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = args => ShouldRetryAsync(args.Outcome),
                DelayGenerator = async args => args.Outcome.Result is { } r && await AdviceAsync(r).ConfigureAwait(false) is { } a ? a.Wait : null,
            });
        }

        _pipeline = builder.Build();
    }

    /// <summary>How many attempts were retried, for the bench and tests.</summary>
    public int Retries => _retries;

    private int _retries;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var first = true;
        return await _pipeline.ExecuteAsync(async token =>
        {
            if (!first)
                Interlocked.Increment(ref _retries);
            first = false;
            using var attempt = Clone(request, content);
            await _slots.WaitAsync(token).ConfigureAwait(false);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(_options.AttemptTimeout);
                try
                {
                    var response = await base.SendAsync(attempt, timeout.Token).ConfigureAwait(false);
                    if (response.Content is not null)
                        await response.Content.LoadIntoBufferAsync(token).ConfigureAwait(false);
                    response.RequestMessage = request;
                    return response;
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    throw new AttemptTimeoutException($"no answer to {request.Method} {request.RequestUri?.AbsolutePath} within {RateLimitAdvice.Format(_options.AttemptTimeout)}");
                }
            }
            finally
            {
                _slots.Release();
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Exception is not null)
            return outcome.Exception is TimeoutException || (outcome.Exception is HttpRequestException && outcome.Exception is not ReplayMissException);
        var response = outcome.Result!;
        var status = (int)response.StatusCode;
        if (await AdviceAsync(response).ConfigureAwait(false) is { } advice)
            return advice.Wait <= _options.MaxRateLimitWait;
        return status >= 500 && status != (int)HttpStatusCode.NotImplemented;
    }

    private async ValueTask<RateLimitAdvice?> AdviceAsync(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is not (403 or 429))
            return null;
        // Buffered by the attempt: reading again is free.
        var body = response.Content is null ? null : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return RateLimitAdvice.From(status, name => Header(response, name), body, _time.GetUtcNow());
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static HttpRequestMessage Clone(HttpRequestMessage request, byte[]? content)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var h in request.Headers)
            clone.Headers.TryAddWithoutValidation(h.Key, h.Value);
        if (content is not null)
        {
            clone.Content = new ByteArrayContent(content);
            foreach (var h in request.Content!.Headers)
                clone.Content.Headers.TryAddWithoutValidation(h.Key, h.Value);
        }

        foreach (var o in request.Options)
            ((IDictionary<string, object?>)clone.Options)[o.Key] = o.Value;
        return clone;
    }
}
