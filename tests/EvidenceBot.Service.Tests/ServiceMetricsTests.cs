using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Service.Tests;

public sealed class ServiceMetricsTests
{
    [Fact]
    public void Render_AfterRuns_CountsOutcomesVerdictsAndSourceResponsesInPrometheusText()
    {
        var metrics = new ServiceMetrics();
        var shared = Runs.Exchange("github", "https://api.github.com/orgs/o");
        var result = Runs.Result(
            Runs.Execution("A", "o", Verdict.Pass, null, shared, Runs.Exchange("github", "https://api.github.com/orgs/o/repos", revalidated: true)),
            Runs.Execution("B", "o", Verdict.Fail, null, shared),
            Runs.Execution("C", "o", Verdict.Error, "boom"));

        metrics.RunEnded("completed", TimeSpan.FromSeconds(2), result, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        metrics.RunEnded("interrupted", TimeSpan.FromSeconds(1), null, DateTimeOffset.FromUnixTimeSeconds(1_800_000_060));
        metrics.SlotsSkipped(3);
        var text = metrics.Render(running: 2);
        var lines = text.Split('\n');

        Assert.Contains("evidencebot_runs_total{outcome=\"completed\"} 1", lines);
        Assert.Contains("evidencebot_runs_total{outcome=\"interrupted\"} 1", lines);
        Assert.Contains("evidencebot_rule_executions_total{verdict=\"pass\"} 1", lines);
        Assert.Contains("evidencebot_rule_executions_total{verdict=\"error\"} 1", lines);
        Assert.Contains("evidencebot_run_duration_seconds_sum 3", lines);
        Assert.Contains("evidencebot_run_duration_seconds_count 2", lines);
        Assert.Contains("evidencebot_source_responses_total{source=\"github\"} 2", lines);
        Assert.Contains("evidencebot_source_not_modified_total{source=\"github\"} 1", lines);
        var none = new ServiceMetrics();
        none.RunEnded("completed", TimeSpan.FromSeconds(1), Runs.Result(Runs.Execution("A", "o", Verdict.Pass, null, Runs.Exchange("azure", "https://management.azure.com/x"))), DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        Assert.Contains("evidencebot_source_not_modified_total{source=\"azure\"} 0", none.Render(running: 0).Split('\n')); // a series from the first scrape
        Assert.Contains("evidencebot_skipped_slots_total 3", lines);
        Assert.Contains("evidencebot_rules_running 2", lines);
        Assert.Contains("evidencebot_last_run_end_timestamp_seconds 1800000060", lines);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RunsWithRateLimitWaits_CountsWaitsSecondsKindsAndGiveUpsPerSourceAndZeroForSourcesThatNeverWaited()
    {
        var metrics = new ServiceMetrics();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal) { ["primary"] = 1, ["secondary"] = 1 };
        var github = new SourceUsage { Source = "github", RateLimitWaits = 2, RateLimitWaitSeconds = 61.5, RateLimitGiveUps = 1, WaitsByKind = kinds };
        var azure = new SourceUsage { Source = "azure" };
        var models = Runs.Result(Runs.Execution("M", "registry", Verdict.Pass, null, Runs.Exchange("models", "https://mlflow.example/api")));

        metrics.RunEnded("completed", TimeSpan.FromSeconds(70), Runs.Result(), at, [github, azure]);
        // An interrupted run's waits happened all the same.
        metrics.RunEnded("interrupted", TimeSpan.FromSeconds(5), null, at, [github with { RateLimitGiveUps = 0 }]);
        metrics.RunEnded("completed", TimeSpan.FromSeconds(1), models, at);
        var lines = metrics.Render(0).Split('\n');

        Assert.Contains("# TYPE evidencebot_source_rate_limit_waits_total counter", lines);
        Assert.Contains("# TYPE evidencebot_source_rate_limit_wait_seconds_total counter", lines);
        Assert.Contains("# TYPE evidencebot_source_rate_limit_giveups_total counter", lines);
        Assert.Contains("evidencebot_source_rate_limit_waits_total{source=\"github\"} 4", lines);
        Assert.Contains("evidencebot_source_rate_limit_wait_seconds_total{source=\"github\"} 123", lines);
        Assert.Contains("evidencebot_source_rate_limit_waits_by_kind_total{source=\"github\",kind=\"primary\"} 2", lines);
        Assert.Contains("evidencebot_source_rate_limit_waits_by_kind_total{source=\"github\",kind=\"secondary\"} 2", lines);
        Assert.Contains("evidencebot_source_rate_limit_giveups_total{source=\"github\"} 1", lines);
        // Every source seen, whether from its usage or from its evidence, is present with 0 when it never waited.
        foreach (var source in new[] { "azure", "models" })
        {
            Assert.Contains($"evidencebot_source_rate_limit_waits_total{{source=\"{source}\"}} 0", lines);
            Assert.Contains($"evidencebot_source_rate_limit_wait_seconds_total{{source=\"{source}\"}} 0", lines);
            Assert.Contains($"evidencebot_source_rate_limit_giveups_total{{source=\"{source}\"}} 0", lines);
        }

        Assert.DoesNotContain(lines, l => l.StartsWith("evidencebot_source_rate_limit_waits_by_kind_total{source=\"azure\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_EveryFamily_HasHelpAndTypeBeforeItsSamples()
    {
        var text = new ServiceMetrics().Render(0);
        var lines = text.TrimEnd('\n').Split('\n');

        string? family = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
                family = line.Split(' ')[2];
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                Assert.Equal(family, line.Split(' ')[2]);
            else
                Assert.StartsWith(family!, line, StringComparison.Ordinal);
        }

        Assert.Contains("# TYPE evidencebot_runs_total counter", lines);
    }
}
