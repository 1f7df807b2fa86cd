using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Evidence;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace EvidenceBot.Service;

/// <summary>The JSON posted to a webhook. <c>text</c> is what Slack and Teams incoming webhooks show.</summary>
internal sealed record WebhookMessage(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("notices")] IReadOnlyList<WebhookNotice> Notices);

/// <summary>One notice in a <see cref="WebhookMessage"/>.</summary>
internal sealed record WebhookNotice(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("rule")] string Rule,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("verdict")] string Verdict,
    [property: JsonPropertyName("previous")] string? Previous,
    [property: JsonPropertyName("message")] string Message);

/// <summary>
/// Posts a run's notices to every configured webhook: one JSON message per run, secrets masked (the configuration's
/// secrets and webhook addresses read from the environment), retried on network errors, 429 and 5xx answers with
/// exponential back-off. A webhook that still fails is logged (without its address) and counted; the run is not.
/// </summary>
internal sealed partial class WebhookNotifier(HttpClient http, IReadOnlyList<Webhook> hooks, Redactor redactor, TimeProvider time, ServiceMetrics metrics, ILogger log)
{
    /// <summary>Tries per webhook and message, the first included.</summary>
    public int Attempts { get; init; } = 4;

    /// <summary>The first retry's delay; each next one doubles.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Builds the message for <paramref name="notices"/> of run <paramref name="runId"/>, masked.</summary>
    public WebhookMessage Message(string runId, IReadOnlyList<Notice> notices)
    {
        var text = new StringBuilder();
        var counts = new[]
        {
            (Count: notices.Count(n => n.Kind == "regression"), Name: "regression(s)"),
            (Count: notices.Count(n => n.Kind == "new-error"), Name: "new error(s)"),
            (Count: notices.Count(n => n.Kind == "waiver-expiring"), Name: "waiver(s) expiring within 30 days"),
        };
        text.Append("EvidenceBot: ").AppendJoin(", ", counts.Where(c => c.Count > 0).Select(c => $"{c.Count} {c.Name}"));
        text.Append(" in run ").Append(runId);
        foreach (var n in notices)
        {
            text.Append('\n').Append("- ").Append(n.Kind switch { "regression" => "REGRESSION ", "waiver-expiring" => "WAIVER EXPIRING ", _ => "ERROR " })
                .Append(n.RuleId).Append(" on ").Append(n.Target).Append(": ").Append(n.Message);
        }

        return new WebhookMessage(redactor.Text(text.ToString()), runId,
            [.. notices.Select(n => new WebhookNotice(n.Kind, n.RuleId, redactor.Text(n.Target), ServiceMetrics.VerdictName(n.Verdict),
                n.Previous is { } p ? ServiceMetrics.VerdictName(p) : null, redactor.Text(n.Message)))]);
    }

    /// <summary>Posts the notices of one run to every webhook; returns how many webhooks took it.</summary>
    public async Task<int> NotifyAsync(string runId, IReadOnlyList<Notice> notices, CancellationToken ct)
    {
        if (notices.Count == 0 || hooks.Count == 0)
            return 0;
        var message = Message(runId, notices);
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Attempts - 1,
                Delay = FirstRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>(_ => !ct.IsCancellationRequested)
                    .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(10))
            .Build();

        var delivered = 0;
        foreach (var hook in hooks)
        {
            try
            {
                using var response = await pipeline.ExecuteAsync(
                    async token => await http.PostAsJsonAsync(hook.Url, message, token).ConfigureAwait(false), ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    delivered++;
                    metrics.WebhookPosted(failed: false);
                    continue;
                }

                LogFailed(log, hook.Where, $"answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !ct.IsCancellationRequested)
            {
                // The exception's message may quote the address, which can be a secret: say only what kind of failure.
                LogFailed(log, hook.Where, ex.GetType().Name + (ex is HttpRequestException { HttpRequestError: var e } ? $" ({e})" : ""));
            }

            metrics.WebhookPosted(failed: true);
        }

        return delivered;
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Error, Message = "webhook {Webhook} did not take the notification after retries: {Reason}")]
    private static partial void LogFailed(ILogger log, string webhook, string reason);
}
