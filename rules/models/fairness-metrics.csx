/* ---
id: MODEL-FAIRNESS
title: High-risk production models are evaluated for fairness or bias
description: >
  Per high-risk production version (MLflow): the source run logs at least one of fairnessMetrics, with a readable value.
  A malformed value (NaN, a string) is an error. Registries with no high-risk production version are not applicable.
severity: high
sources: [models]
controls:
  - { id: "NISTAIRMF:1.0/MEASURE-2.11", relation: supports }
  - { id: "ISO42001:2023/A.5.4", relation: partial }
  - { id: "ISO42001:2023/A.6.2.4", relation: supports }
  - { id: "EUAIA:2024/Art.10", relation: partial }
parameters: { fairnessMetrics: ["eval.demographic_parity_difference", "eval.equalized_odds_difference", "eval.disparate_impact_ratio"] }
timeout: 10m
freshness: 24h
--- */
var c = Models.Conventions;
var names = Param<string[]>("fairnessMetrics");
if (Models.Kind != RegistryKind.MLflow)
{
    NotApplicable(Models.Registry, Models.Kind == RegistryKind.HuggingFace
        ? "third-party Hugging Face models carry no risk level here"
        : "Azure ML evaluation metrics live in its MLflow tracking endpoint: configure that endpoint as an mlflow registry");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    var high = production.Where(c.IsHighRisk).ToList();
    if (production.Count == 0 && (await Models.ModelsAsync(Ct)).Count == 0)
        Fail(Models.Registry, "the registry holds no registered models: an empty registry is not evidence of compliance", new { models = 0 });
    else if (high.Count == 0)
        NotApplicable(Models.Registry, $"{production.Count} production version(s), none with {c.RiskLevelField} = {c.HighRisk}");

    var runs = await Models.RunsAsync(high.Select(v => v.RunId), Ct);
    foreach (var v in high)
    {
        var run = v.RunId is null ? null : runs[v.RunId];
        if (run is null)
        {
            Fail(v.Resource, "high risk with no source run: no fairness evaluation recorded", new { runId = v.RunId });
            continue;
        }

        var found = names.Select(run.Metric).Where(m => m is not null).ToList();
        var malformed = found.Where(m => m!.IsMalformed).ToList();
        if (malformed.Count > 0)
            Error(v.Resource, $"malformed fairness value(s): {string.Join(", ", malformed.Select(m => $"{m!.Key} = '{m.Text}'"))}", new { runId = run.RunId });
        else
            Check(v.Resource, found.Count > 0,
                found.Count > 0 ? $"high risk; fairness metric(s) in run {run.RunId}: {string.Join(", ", found.Select(m => $"{m!.Key} = {m.Value}"))}"
                                : $"high risk; run {run.RunId} logs none of {string.Join(", ", names)}",
                new { runId = run.RunId, fairness = found.Select(m => new { m!.Key, m.Value, m.At }).ToArray() });
    }
}
