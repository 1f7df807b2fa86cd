/* ---
id: MODEL-STALE-PRODUCTION
title: No production model version is older than maxAgeDays without a fresh evaluation
description: >
  Per production version (MLflow): a version registered more than maxAgeDays ago must have an evaluation metric
  (eval.*) logged within the last maxAgeDays; younger versions pass on their age. A version of unknown age is an error.
severity: medium
sources: [models]
controls:
  - { id: "ISO42001:2023/A.6.2.6", relation: supports }
  - { id: "NISTAIRMF:1.0/GOVERN-1.5", relation: supports }
  - { id: "NISTAIRMF:1.0/MEASURE-4.3", relation: supports }
  - { id: "EUAIA:2024/Art.72", relation: partial }
parameters: { maxAgeDays: 180 }
timeout: 10m
freshness: 24h
--- */
var c = Models.Conventions;
var maxAge = TimeSpan.FromDays(Param<int>("maxAgeDays"));
if (Models.Kind != RegistryKind.MLflow)
{
    NotApplicable(Models.Registry, $"registry kind {Models.Kind}: evaluation dates are read from MLflow runs only");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    if (production.Count == 0)
    {
        var all = await Models.ModelsAsync(Ct);
        if (all.Count == 0)
            Fail(Models.Registry, "the registry holds no registered models: an empty registry is not evidence of compliance", new { models = 0 });
        else
            NotApplicable(Models.Registry, $"{all.Count} registered model(s), none in production: nothing to judge");
    }

    var runs = await Models.RunsAsync(production.Where(v => v.CreatedAt is not null && Now - v.CreatedAt.Value > maxAge).Select(v => v.RunId), Ct);
    foreach (var v in production)
    {
        if (v.CreatedAt is null)
        {
            Error(v.Resource, "the registry gives no creation time: its age cannot be judged");
            continue;
        }

        var age = Now - v.CreatedAt.Value;
        if (age <= maxAge)
        {
            Pass(v.Resource, $"registered {Math.Floor(age.TotalDays)} day(s) ago, within {maxAge.TotalDays}", new { ageDays = Math.Floor(age.TotalDays) });
            continue;
        }

        var run = v.RunId is null ? null : runs[v.RunId];
        var latest = run is null ? null : c.Evaluations(run).Where(m => !m.IsMalformed).Max(m => m.At);
        var fresh = latest is not null && Now - latest.Value <= maxAge;
        Check(v.Resource, fresh,
            fresh ? $"registered {Math.Floor(age.TotalDays)} days ago, re-evaluated {latest:yyyy-MM-dd}"
                  : $"in production for {Math.Floor(age.TotalDays)} days with {(latest is null ? "no evaluation" : $"its last evaluation on {latest:yyyy-MM-dd}")}: older than {maxAge.TotalDays} days",
            new { ageDays = Math.Floor(age.TotalDays), latestEvaluation = latest, runId = v.RunId });
    }
}
