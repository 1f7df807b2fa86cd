using System.Globalization;
using System.Text;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Service;

/// <summary>
/// The service's counters, rendered in the Prometheus text exposition format (version 0.0.4) for <c>/metrics</c>.
/// Response counts come from the evidence itself (the HTTP responses rules recorded); rate-limit counts from the sources'
/// HTTP stacks, which the run pipeline hands its host as <see cref="SourceUsage"/>.
/// </summary>
internal sealed class ServiceMetrics
{
    private readonly object _gate = new();
    private readonly SortedDictionary<string, long> _runs = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _verdicts = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _responses = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _notModified = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _sources = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _rateLimitWaits = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, double> _rateLimitWaitSeconds = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _rateLimitGiveUps = new(StringComparer.Ordinal);
    private readonly SortedDictionary<(string Source, string Kind), long> _rateLimitWaitsByKind = new();
    private double _durationSum;
    private long _durationCount;
    private long _skippedSlots;
    private long _reloads;
    private long _reloadFailures;
    private long _webhookFailures;
    private long _webhookSent;
    private double _lastRunEnd;

    /// <summary>
    /// A run ended: <paramref name="outcome"/> is <c>completed</c>, <c>failed</c> (no bundle) or <c>interrupted</c>;
    /// <paramref name="usage"/> is what its sources' traffic cost in rate limits (empty when its rules did not get to run).
    /// </summary>
    public void RunEnded(string outcome, TimeSpan duration, RunResult? result, DateTimeOffset at, IReadOnlyList<SourceUsage>? usage = null)
    {
        lock (_gate)
        {
            _runs[outcome] = _runs.GetValueOrDefault(outcome) + 1;
            _durationSum += duration.TotalSeconds;
            _durationCount++;
            _lastRunEnd = at.ToUnixTimeMilliseconds() / 1000.0;
            // The waits happened whether or not a bundle followed: they are counted for every outcome.
            foreach (var u in usage ?? [])
            {
                _sources.Add(u.Source);
                _rateLimitWaits[u.Source] = _rateLimitWaits.GetValueOrDefault(u.Source) + u.RateLimitWaits;
                _rateLimitWaitSeconds[u.Source] = _rateLimitWaitSeconds.GetValueOrDefault(u.Source) + u.RateLimitWaitSeconds;
                _rateLimitGiveUps[u.Source] = _rateLimitGiveUps.GetValueOrDefault(u.Source) + u.RateLimitGiveUps;
                foreach (var (kind, count) in u.WaitsByKind)
                    _rateLimitWaitsByKind[(u.Source, kind)] = _rateLimitWaitsByKind.GetValueOrDefault((u.Source, kind)) + count;
            }

            if (result is null)
                return;
            foreach (var rule in result.Rules)
            {
                var verdict = VerdictName(rule.Verdict);
                _verdicts[verdict] = _verdicts.GetValueOrDefault(verdict) + 1;
            }

            // A response several rules asked for (coalesced) is recorded for each of them: count it once.
            foreach (var exchange in result.Rules.SelectMany(r => r.Evidence).DistinctBy(x => (x.Source, x.Method, x.Url, x.At)))
            {
                _sources.Add(exchange.Source);
                _responses[exchange.Source] = _responses.GetValueOrDefault(exchange.Source) + 1;
                if (exchange.ResponseHeaders.ContainsKey("X-EvidenceBot-Revalidated"))
                    _notModified[exchange.Source] = _notModified.GetValueOrDefault(exchange.Source) + 1;
            }
        }
    }

    public void SlotsSkipped(int count)
    {
        lock (_gate)
            _skippedSlots += count;
    }

    public void Reloaded(bool failed)
    {
        lock (_gate)
        {
            if (failed)
                _reloadFailures++;
            else
                _reloads++;
        }
    }

    public void WebhookPosted(bool failed)
    {
        lock (_gate)
        {
            if (failed)
                _webhookFailures++;
            else
                _webhookSent++;
        }
    }

    /// <summary>The counters in Prometheus text format; <paramref name="running"/> is the number of rules running now.</summary>
    public string Render(int running)
    {
        var sb = new StringBuilder();
        lock (_gate)
        {
            Family(sb, "evidencebot_runs_total", "counter", "Scheduled runs by outcome: completed (bundle committed), failed (no bundle), interrupted (stopped by shutdown, no bundle).",
                _runs.Select(r => ($"outcome=\"{r.Key}\"", (double)r.Value)));
            Family(sb, "evidencebot_rule_executions_total", "counter", "Rule executions (rule x target) by verdict.",
                _verdicts.Select(v => ($"verdict=\"{v.Key}\"", (double)v.Value)));
            Family(sb, "evidencebot_run_duration_seconds", "summary", "How long scheduled runs took, from start to bundle.",
                [("sum", _durationSum), ("count", _durationCount)]);
            Family(sb, "evidencebot_source_responses_total", "counter", "Distinct HTTP responses recorded as evidence, by source.",
                _responses.Select(r => ($"source=\"{Escape(r.Key)}\"", (double)r.Value)));
            // Present for every source that answered (0 when none was a 304), so a rate() over them starts from zero.
            Family(sb, "evidencebot_source_not_modified_total", "counter", "Of those, answered 304 Not Modified and served from the ETag cache.",
                _responses.Keys.Union(_notModified.Keys).Order(StringComparer.Ordinal).Select(k => ($"source=\"{Escape(k)}\"", (double)_notModified.GetValueOrDefault(k))));
            // Present for every source seen (0 when it never waited), so a rate() over them starts from zero.
            Family(sb, "evidencebot_source_rate_limit_waits_total", "counter", "Rate-limit waits the HTTP stack made before sending again, by source (counted once waited).",
                _sources.Select(s => ($"source=\"{Escape(s)}\"", (double)_rateLimitWaits.GetValueOrDefault(s))));
            Family(sb, "evidencebot_source_rate_limit_wait_seconds_total", "counter", "Time spent in those waits, in seconds, by source.",
                _sources.Select(s => ($"source=\"{Escape(s)}\"", _rateLimitWaitSeconds.GetValueOrDefault(s))));
            Family(sb, "evidencebot_source_rate_limit_waits_by_kind_total", "counter", "Rate-limit waits by source and limit: primary, secondary, retry_after, token_pool_exhausted (kinds that happened).",
                _rateLimitWaitsByKind.Select(k => ($"source=\"{Escape(k.Key.Source)}\",kind=\"{Escape(k.Key.Kind)}\"", (double)k.Value)));
            Family(sb, "evidencebot_source_rate_limit_giveups_total", "counter", "Requests that ended on a rate-limit answer without waiting (the wait was longer than the allowed maxRateLimitWait, or no retry was left), by source.",
                _sources.Select(s => ($"source=\"{Escape(s)}\"", (double)_rateLimitGiveUps.GetValueOrDefault(s))));
            Family(sb, "evidencebot_skipped_slots_total", "counter", "Schedule slots not run because the service was down or the rule was still running; each rule ran once for its newest slot.",
                [("", _skippedSlots)]);
            Family(sb, "evidencebot_rule_reloads_total", "counter", "Rules-folder changes by result: swapped in, or refused (a rule did not compile; the old one keeps running).",
                [("result=\"swapped\"", _reloads), ("result=\"refused\"", _reloadFailures)]);
            Family(sb, "evidencebot_webhook_posts_total", "counter", "Webhook notifications by result (after retries).",
                [("result=\"sent\"", _webhookSent), ("result=\"failed\"", _webhookFailures)]);
            Family(sb, "evidencebot_rules_running", "gauge", "Rules running now.", [("", running)]);
            Family(sb, "evidencebot_last_run_end_timestamp_seconds", "gauge", "When the last run ended (Unix time); 0 before the first.", [("", _lastRunEnd)]);
        }

        return sb.ToString();
    }

    private static void Family(StringBuilder sb, string name, string type, string help, IEnumerable<(string Labels, double Value)> samples)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value) in samples)
        {
            // A summary's samples are name_sum and name_count; other families carry labels.
            if (type == "summary")
                sb.Append(name).Append('_').Append(labels);
            else
                sb.Append(name).Append(labels.Length > 0 ? "{" + labels + "}" : "");
            sb.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>The verdict as results.json writes it.</summary>
    public static string VerdictName(Verdict verdict) => verdict switch
    {
        Verdict.Pass => "pass",
        Verdict.Fail => "fail",
        Verdict.Error => "error",
        Verdict.NotApplicable => "not_applicable",
        _ => verdict.ToString().ToLowerInvariant(),
    };
}
