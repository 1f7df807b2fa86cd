using System.Net;
using Polly;
using Polly.Retry;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// Retries what may succeed later (Polly.Core): 5xx (but 501), 429, attempt timeouts and connection failures with
/// exponential backoff; rate limits after the wait the source's <see cref="IRateLimitAdvisor"/> reads from the answer,
/// when that wait is within <see cref="SourceHttpOptions.MaxRateLimitWait"/>. Bounds concurrent attempts. Every wait and
/// every attempt timeout runs on the injected clock, so tests need not sleep, and no other timer (HttpClient's 100 s)
/// cuts the attempts short. A missing recording (<see cref="ReplayMissException"/>) is never retried. Rate-limit waits and
/// give-ups go to the stack's <see cref="SourceUsageTally"/>.
/// </summary>
internal sealed class ResilienceHandler : DelegatingHandler
{
    /// <summary>The rate-limit wait a retry is about to make, set before the wait and read when the next attempt starts.</summary>
    private static readonly ResiliencePropertyKey<PendingWait> Pending = new("EvidenceBot.RateLimitWait");

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly SemaphoreSlim _slots;
    private readonly SourceHttpOptions _options;
    private readonly TimeProvider _time;
    private readonly Action _retried;
    private readonly SourceUsageTally _usage;

    public ResilienceHandler(SourceHttpOptions options, SemaphoreSlim slots, Action retried, SourceUsageTally usage, HttpMessageHandler inner) : base(inner)
    {
        _options = options;
        _time = options.TimeProvider;
        _slots = slots;
        _retried = retried;
        _usage = usage;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _time };
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
                // Called just before the wait: the wait is counted only when the next attempt starts, i.e. once it was waited.
                OnRetry = async args =>
                {
                    if (args.Outcome.Result is { } r && args.RetryDelay > TimeSpan.Zero && await AdviceAsync(r).ConfigureAwait(false) is { } a
                        && args.Context.Properties.TryGetValue(Pending, out var pending))
                    {
                        pending.Start(a.Category, _time.GetTimestamp());
                    }
                },
            });
        }

        _pipeline = builder.Build();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var first = true;
        var pending = new PendingWait();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(Pending, pending);
        try
        {
            var response = await _pipeline.ExecuteAsync(async ctx =>
            {
                var token = ctx.CancellationToken;
                if (!first)
                {
                    _retried();
                    if (pending.Take() is { } waited)
                        _usage.Waited(waited.Category, _time.GetElapsedTime(waited.Started));
                }

                first = false;
                using var attempt = Clone(request, content);
                await _slots.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    return await AttemptAsync(request, attempt, token).ConfigureAwait(false);
                }
                finally
                {
                    _slots.Release();
                }
            }, context).ConfigureAwait(false);

            // The last answer is still a rate limit: the wait was longer than allowed, or no retry was left.
            if (await AdviceAsync(response).ConfigureAwait(false) is not null)
                _usage.GaveUp();
            return response;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<HttpResponseMessage> AttemptAsync(HttpRequestMessage request, HttpRequestMessage attempt, CancellationToken token)
    {
        var bounded = _options.AttemptTimeout > TimeSpan.Zero && _options.AttemptTimeout != Timeout.InfiniteTimeSpan;
        // The attempt's timer runs on the injected clock: a fake clock in tests, and the one bound besides the rule's own.
        using var timer = bounded ? new CancellationTokenSource(_options.AttemptTimeout, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timer.Token);
        try
        {
            var response = await base.SendAsync(attempt, linked.Token).ConfigureAwait(false);
            if (response.Content is not null)
                await response.Content.LoadIntoBufferAsync(linked.Token).ConfigureAwait(false);
            response.RequestMessage = request;
            return response;
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !token.IsCancellationRequested)
        {
            throw new AttemptTimeoutException($"no answer to {request.Method} {request.RequestUri?.AbsolutePath} within {RateLimitAdvice.Format(_options.AttemptTimeout)}");
        }
    }

    private async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Exception is not null)
        {
            return outcome.Exception is TimeoutException
                || (outcome.Exception is HttpRequestException && outcome.Exception is not ReplayMissException);
        }

        var response = outcome.Result!;
        var status = (int)response.StatusCode;
        if (await AdviceAsync(response).ConfigureAwait(false) is { } advice)
            return advice.Wait <= _options.MaxRateLimitWait;
        return status == 429 || (status >= 500 && status != (int)HttpStatusCode.NotImplemented);
    }

    private async ValueTask<RateLimitAdvice?> AdviceAsync(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status < 400)
            return null;
        // Buffered by the attempt: reading again is free.
        var body = response.Content is null ? null : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return _options.RateLimitAdvisor.Advise(status, name => Header(response, name), body, _time.GetUtcNow());
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || (response.Content?.Headers.TryGetValues(name, out values) ?? false)
            ? values!.FirstOrDefault()
            : null;

    internal static HttpRequestMessage Clone(HttpRequestMessage request, byte[]? content)
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

    /// <summary>One request's rate-limit wait in progress: which limit, and when the wait began on the stack's clock.</summary>
    private sealed class PendingWait
    {
        private (RateLimitCategory Category, long Started)? _wait;

        public void Start(RateLimitCategory category, long started) => _wait = (category, started);

        public (RateLimitCategory Category, long Started)? Take()
        {
            var wait = _wait;
            _wait = null;
            return wait;
        }
    }
}
