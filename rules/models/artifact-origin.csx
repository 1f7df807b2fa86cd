/* ---
id: MODEL-ARTIFACT-ORIGIN
title: Production models come from approved artifact locations and were registered from a finished run
description: >
  Per production version: its artifact location (MLflow source, resolved through the run's artifact_uri for runs:/
  sources; Azure ML modelUri) starts with one of approvedLocations, and the producing run (Azure ML job) finished
  successfully. An empty approvedLocations list is an error: nothing can be judged approved.
severity: high
sources: [models]
controls:
  - { id: "ISO42001:2023/A.6.2.5", relation: supports }
  - { id: "ISO27001:2022/A.8.32", relation: supports }
  - { id: "EUAIA:2024/Art.15", relation: partial }
parameters: { approvedLocations: [] }
timeout: 10m
freshness: 24h
--- */
var approved = Param<string[]>("approvedLocations");
if (Models.Kind == RegistryKind.HuggingFace)
{
    NotApplicable(Models.Registry, "third-party Hugging Face models are pinned by revision, judged by MODEL-HF-THIRD-PARTY");
}
else if (approved.Length == 0)
{
    Error(Models.Registry, "parameter approvedLocations is empty: configure the artifact location prefixes production models may come from");
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

    var runs = await Models.RunsAsync(production.Select(v => v.RunId), Ct);
    foreach (var v in production)
    {
        var run = v.RunId is null ? null : runs[v.RunId];
        var location = v.Source ?? "";
        // runs:/<id>/path and models:/ point into the run's artifact store: judge where that store is.
        if ((location.StartsWith("runs:/", StringComparison.Ordinal) || location.StartsWith("models:/", StringComparison.Ordinal))
            && run?.Raw.TryGetProperty("info", out var info) == true && info.TryGetProperty("artifact_uri", out var uri) && uri.GetString() is { } artifactUri)
            location = artifactUri;
        var fromApproved = approved.Any(p => location.StartsWith(p, StringComparison.Ordinal));
        var problems = new List<string>();
        if (!fromApproved)
            problems.Add($"artifact location '{location}' is not under an approved location");
        if (v.RunId is null)
            problems.Add("registered without a run");
        else if (run is null)
            problems.Add($"run {v.RunId} does not exist");
        else if (!run.Finished)
            problems.Add($"run {run.RunId} is {run.Status}, not finished");
        Check(v.Resource, problems.Count == 0,
            problems.Count == 0 ? $"from {location}, registered from finished run {run!.RunId}" : string.Join("; ", problems),
            new { source = v.Source, location, approved, runId = v.RunId, runStatus = run?.Status });
    }
}
