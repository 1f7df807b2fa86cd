using System.Globalization;
using System.Text;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service;

/// <summary>
/// The service's counters, rendered in the Prometheus text exposition format (version 0.0.4) for <c>/metrics</c>.
/// Source counts come from the evidence itself (the HTTP responses rules recorded), the one count the run pipeline
/// hands back to its host.
/// </summary>
internal sealed class ServiceMetrics
{
    private readonly object _gate = new();
    private readonly SortedDictionary<string, long> _runs = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _verdicts = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _responses = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _notModified = new(StringComparer.Ordinal);
    private double _durationSum;
    private long _durationCount;
    private long _skippedSlots;
    private long _reloads;
    private long _reloadFailures;
    private long _webhookFailures;
    private long _webhookSent;
    private double _lastRunEnd;

    /// <summary>A run ended: <paramref name="outcome"/> is <c>completed</c>, <c>failed</c> (no bundle) or <c>interrupted</c>.</summary>
    public void RunEnded(string outcome, TimeSpan duration, RunResult? result, DateTimeOffset at)
    {
        lock (_gate)
        {
            _runs[outcome] = _runs.GetValueOrDefault(outcome) + 1;
            _durationSum += duration.TotalSeconds;
            _durationCount++;
            _lastRunEnd = at.ToUnixTimeMilliseconds() / 1000.0;
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
            Family(sb, "evidencebot_source_not_modified_total", "counter", "Of those, answered 304 Not Modified and served from the ETag cache.",
                _notModified.Select(r => ($"source=\"{Escape(r.Key)}\"", (double)r.Value)));
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
