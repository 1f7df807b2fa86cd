/* ---
id: MODEL-EVALUATION
title: Production models have a recent evaluation that meets the declared thresholds
description: >
  Per production version (MLflow): the source run logs evaluation metrics (eval.<metric>), the latest of them is younger
  than maxAgeDays, and each declared metric meets its threshold: minimums (higher is better) and maximums (lower is
  better) are rule parameters, overridden per model by a tag threshold.<metric key>. A declared metric that was never
  logged fails; a malformed value (NaN, a string) is an error.
severity: high
sources: [models]
controls:
  - { id: "ISO42001:2023/A.6.2.4", relation: satisfies }
  - { id: "NISTAIRMF:1.0/MEASURE-2.5", relation: supports }
  - { id: "NISTAIRMF:1.0/MEASURE-2.3", relation: supports }
  - { id: "EUAIA:2024/Art.15", relation: supports }
  - { id: "EUAIA:2024/Art.9", relation: partial }
parameters: { maxAgeDays: 30, minimums: { "eval.accuracy": 0.8 }, maximums: {} }
timeout: 10m
freshness: 24h
--- */
var c = Models.Conventions;
var maxAge = TimeSpan.FromDays(Param<int>("maxAgeDays"));
var minimums = Param<Dictionary<string, double>>("minimums");
var maximums = Param<Dictionary<string, double>>("maximums");
if (Models.Kind != RegistryKind.MLflow)
{
    NotApplicable(Models.Registry, Models.Kind == RegistryKind.HuggingFace
        ? "third-party Hugging Face models are judged by MODEL-HF-THIRD-PARTY"
        : "Azure ML evaluation metrics live in its MLflow tracking endpoint: configure that endpoint as an mlflow registry");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    if (production.Count == 0)
    {
        var all = await Models.ModelsAsync(Ct);
        if (all.Count == 0)
            Fail(Models.Registry, "the registry holds no registered models: no evaluation to show, and an empty registry is not evidence of compliance", new { models = 0 });
        else
            NotApplicable(Models.Registry, $"{all.Count} registered model(s), none in production: nothing to judge");
    }

    var runs = await Models.RunsAsync(production.Select(v => v.RunId), Ct);
    foreach (var v in production)
    {
        var run = v.RunId is null ? null : runs[v.RunId];
        if (run is null)
        {
            Fail(v.Resource, v.RunId is null ? "no source run: no evaluation recorded" : $"source run {v.RunId} does not exist: no evaluation recorded", new { runId = v.RunId });
            continue;
        }

        var evals = c.Evaluations(run);
        if (evals.Count == 0)
        {
            Fail(v.Resource, $"run {run.RunId} logs no evaluation metric ({c.EvaluationPrefix}*)", new { runId = run.RunId });
            continue;
        }

        var malformed = evals.Where(m => m.IsMalformed).ToList();
        if (malformed.Count > 0)
        {
            Error(v.Resource, $"malformed evaluation value(s): {string.Join(", ", malformed.Select(m => $"{m.Key} = '{m.Text}'"))}", new { runId = run.RunId, malformed = malformed.Select(m => new { m.Key, m.Text }).ToArray() });
            continue;
        }

        var latest = evals.Max(m => m.At);
        var problems = new List<string>();
        if (latest is null || Now - latest.Value > maxAge)
            problems.Add(latest is null ? "evaluation has no timestamp" : $"latest evaluation is {Math.Floor((Now - latest.Value).TotalDays)} days old (limit {maxAge.TotalDays})");
        var results = new List<object>();
        foreach (var (key, min, higherIsBetter) in minimums.Select(p => (p.Key, p.Value, true)).Concat(maximums.Select(p => (p.Key, p.Value, false))))
        {
            var threshold = c.Threshold(v, key, min)!.Value;
            var point = run.Metric(key);
            if (point is null)
            {
                problems.Add($"{key} not logged");
                continue;
            }

            var ok = higherIsBetter ? point.Value >= threshold : point.Value <= threshold;
            results.Add(new { metric = key, value = point.Value, threshold, rule = higherIsBetter ? ">=" : "<=", ok });
            if (!ok)
                problems.Add($"{key} = {point.Value} {(higherIsBetter ? "<" : ">")} {threshold}");
        }

        Check(v.Resource, problems.Count == 0,
            problems.Count == 0 ? $"evaluated {Math.Floor((Now - latest!.Value).TotalDays)} day(s) ago in run {run.RunId}; {results.Count} declared threshold(s) met"
                                : string.Join("; ", problems),
            new { runId = run.RunId, latestEvaluation = latest, results });
    }
}
