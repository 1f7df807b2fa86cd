/* ---
id: MODEL-TRAINING-LINEAGE
title: Production models trace back to a source run that records its training datasets with digests
description: >
  Per production version: the producing run exists (MLflow runs/get, Azure ML job), and it records at least one
  training dataset, each with a content digest (MLflow dataset inputs with mlflow.data.context = training; inputs
  without any context tag count as training). An MLflow 3 version registered from a logged model without a run_id is
  traced through the logged model's source_run_id. Azure ML versions list dataset assets instead; a versioned asset id
  stands in for a digest.
severity: high
sources: [models]
controls:
  - { id: "ISO42001:2023/A.7.5", relation: satisfies }
  - { id: "ISO42001:2023/A.7.2", relation: supports }
  - { id: "ISO42001:2023/A.6.2.3", relation: supports }
  - { id: "EUAIA:2024/Art.10", relation: partial }
  - { id: "EUAIA:2024/Art.11", relation: partial }
timeout: 10m
freshness: 24h
--- */
var c = Models.Conventions;
if (Models.Kind == RegistryKind.HuggingFace)
{
    NotApplicable(Models.Registry, "third-party Hugging Face models are judged by MODEL-HF-THIRD-PARTY");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    if (production.Count == 0)
    {
        var all = await Models.ModelsAsync(Ct);
        if (all.Count == 0)
            Fail(Models.Registry, "the registry holds no registered models: nothing traces to training data, and an empty registry is not evidence of compliance", new { models = 0 });
        else
            NotApplicable(Models.Registry, $"{all.Count} registered model(s), none in production: nothing to judge");
    }

    // MLflow 3: a version may name only its logged model, which names the run (a 404 means the server has none).
    var viaLoggedModel = new Dictionary<string, string>();
    foreach (var v in production.Where(v => v.RunId is null && v.ModelId is not null && Models.Kind == RegistryKind.MLflow))
    {
        if (await Models.LoggedModelAsync(v.ModelId!, Ct) is { } logged
            && logged.TryGetProperty("info", out var info) && info.TryGetProperty("source_run_id", out var source) && source.GetString() is { Length: > 0 } id)
            viaLoggedModel[v.Resource] = id;
    }

    var runs = await Models.RunsAsync(production.Select(v => v.RunId ?? viaLoggedModel.GetValueOrDefault(v.Resource)), Ct);
    foreach (var v in production)
    {
        var runId = v.RunId ?? viaLoggedModel.GetValueOrDefault(v.Resource);
        if (runId is null)
        {
            Fail(v.Resource, "no source run recorded: the version was registered without a run, so its training data cannot be traced", new { runId = (string)null! });
            continue;
        }

        var run = runs[runId];
        if (run is null)
        {
            Fail(v.Resource, $"source run {runId} does not exist (deleted, or in another workspace): lineage is broken", new { runId, exists = false });
            continue;
        }

        var inputs = run.Datasets.Concat(v.Datasets).ToList();
        var training = inputs.Any(d => d.Context is not null)
            ? inputs.Where(d => string.Equals(d.Context, "training", StringComparison.OrdinalIgnoreCase)).ToList()
            : inputs;
        bool Pinned(DatasetInput d) => d.Digest is { Length: > 0 } || Regex.IsMatch(d.Source ?? "", @"(:\d+$)|(/versions/[^/]+$)");
        var undigested = training.Where(d => !Pinned(d)).Select(d => d.Name).ToList();
        var ok = training.Count > 0 && undigested.Count == 0;
        Check(v.Resource, ok,
            training.Count == 0 ? $"run {run.RunId} records no training dataset"
            : undigested.Count > 0 ? $"run {run.RunId}: training dataset(s) without a digest: {string.Join(", ", undigested)}"
            : $"run {run.RunId} records {training.Count} training dataset(s) with digests: {string.Join(", ", training.Select(d => $"{d.Name}@{d.Digest ?? d.Source}"))}",
            new { runId = run.RunId, runStatus = run.Status, training = training.Select(d => new { d.Name, d.Digest, d.Context, d.Source }).ToArray() });
    }
}
