/* ---
id: MODEL-DRIFT
title: Production models are watched for drift and none of their monitored features drifts
description: >
  Per production version (MLflow): the run named by the version's drift_run_id tag logs drift.<statistic>.<feature>
  metrics; every monitored feature (the monitored_features tag, else every feature the run logged) has a point in the
  last windowDays; the latest distance (e.g. PSI) is at or under its threshold and the latest p-value (e.g. KS) at or
  over its own. Thresholds: the registry's conventions, overridden by the thresholds parameter (statistic → value),
  overridden per model by a tag threshold.drift.<statistic>[.<feature>]. No drift evidence at all fails; a malformed
  value (NaN, a string) is an error. Uses the latest value runs/get returns: no series is needed.
severity: high
sources: [models]
controls:
  - { id: "ISO42001:2023/A.6.2.6", relation: satisfies }
  - { id: "NISTAIRMF:1.0/MEASURE-2.4", relation: satisfies }
  - { id: "NISTAIRMF:1.0/MANAGE-4.1", relation: supports }
  - { id: "EUAIA:2024/Art.72", relation: supports }
  - { id: "EUAIA:2024/Art.15", relation: partial }
parameters: { windowDays: 7, thresholds: {} }
timeout: 10m
freshness: 24h
--- */
var c = Models.Conventions;
var window = TimeSpan.FromDays(Param<int>("windowDays"));
var overrides = Param<Dictionary<string, double>>("thresholds");
if (Models.Kind != RegistryKind.MLflow)
{
    NotApplicable(Models.Registry, Models.Kind == RegistryKind.AzureMachineLearning
        ? "Azure ML drift is judged from its monitors by MODEL-AML-MONITOR"
        : "third-party Hugging Face models are not monitored in this registry");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    if (production.Count == 0)
    {
        var all = await Models.ModelsAsync(Ct);
        if (all.Count == 0)
            Fail(Models.Registry, "the registry holds no registered models: no drift evidence, and an empty registry is not evidence of compliance", new { models = 0 });
        else
            NotApplicable(Models.Registry, $"{all.Count} registered model(s), none in production: nothing to judge");
    }

    var runs = await Models.RunsAsync(production.Select(v => v.Field(c.DriftRunTag)), Ct);
    foreach (var v in production)
    {
        var runId = v.Field(c.DriftRunTag);
        var run = runId is null ? null : runs[runId];
        if (run is null)
        {
            Fail(v.Resource, runId is null ? $"no drift evidence: no drift run named by tag {c.DriftRunTag}" : $"no drift evidence: drift run {runId} does not exist",
                new { driftRun = runId });
            continue;
        }

        var logged = run.Metrics
            .Select(m => c.TryParseDrift(m.Key, out var s, out var f) ? (point: m, stat: s, feature: f) : default)
            .Where(x => x.point is not null)
            .ToList();
        var declared = c.MonitoredFeatures(v);
        var features = declared.Count > 0 ? declared : logged.Select(x => x.feature).Distinct().Order(StringComparer.Ordinal).ToList();
        if (features.Count == 0)
        {
            Fail(v.Resource, $"no drift evidence: run {run.RunId} logs no {c.DriftPrefix}<statistic>.<feature> metric", new { driftRun = run.RunId });
            continue;
        }

        var stale = new List<string>();
        var drifting = new List<string>();
        var malformed = new List<string>();
        var points = new List<object>();
        foreach (var feature in features)
        {
            var mine = logged.Where(x => x.feature == feature).ToList();
            var fresh = mine.Where(x => x.point.At is { } at && Now - at <= window).ToList();
            if (fresh.Count == 0)
            {
                var last = mine.Max(x => x.point.At);
                stale.Add(last is null ? $"{feature} (never)" : $"{feature} (last {last:yyyy-MM-dd})");
                continue;
            }

            foreach (var (point, stat, _) in fresh)
            {
                if (point.IsMalformed)
                {
                    malformed.Add($"{point.Key} = '{point.Text}'");
                    continue;
                }

                var fallback = overrides.TryGetValue(stat.Name, out var o) ? o : stat.DefaultThreshold;
                var threshold = c.Threshold(v, point.Key, fallback)!.Value;
                var drifts = stat.Drifts(point.Value!.Value, threshold);
                points.Add(new { metric = point.Key, value = point.Value, threshold, direction = stat.Direction.ToString(), at = point.At, drifts });
                if (drifts)
                    drifting.Add($"{point.Key} = {point.Value} ({(stat.Direction == DriftDirection.Distance ? ">" : "<")} {threshold})");
            }
        }

        var observed = new { driftRun = run.RunId, features, windowDays = window.TotalDays, stale, drifting, malformed, points };
        if (malformed.Count > 0)
            Error(v.Resource, $"malformed drift value(s): {string.Join(", ", malformed)}", observed);
        else if (stale.Count == features.Count)
            Fail(v.Resource, $"no drift evidence in the last {window.TotalDays} days: {string.Join(", ", stale)}", observed);
        else if (stale.Count > 0 || drifting.Count > 0)
            Fail(v.Resource, string.Join("; ", new[]
            {
                stale.Count > 0 ? $"no point in the last {window.TotalDays} days for {string.Join(", ", stale)}" : null,
                drifting.Count > 0 ? $"drift: {string.Join(", ", drifting)}" : null,
            }.Where(s => s is not null)), observed);
        else
            Pass(v.Resource, $"{features.Count} monitored feature(s) with fresh drift points in run {run.RunId}, none over threshold", observed);
    }
}
