using System.Text.Json;

namespace EvidenceBot.Rules;

/// <summary>A registered model (MLflow registered model, Azure ML model container, Hugging Face repository).</summary>
public sealed record RegisteredModel
{
    /// <summary>The registry's configured name.</summary>
    public required string Registry { get; init; }

    /// <summary>The model's name (Hugging Face: the repository id, e.g. <c>org/model</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Description, or null when none was written.</summary>
    public string? Description { get; init; }

    /// <summary>When it was registered, or null when the registry does not say.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When it last changed, or null when the registry does not say.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Model-level tags (MLflow tags; Azure ML tags then properties; Hugging Face: scalar card fields).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Aliases, alias → version (MLflow). Empty for registries without aliases.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    /// <summary>The registry's JSON for this model, as sent.</summary>
    public JsonElement Raw { get; init; }
}

/// <summary>
/// One version of a registered model (MLflow model version, Azure ML model version, a pinned Hugging Face revision).
/// </summary>
public sealed record ModelVersion
{
    /// <summary>The registry's configured name.</summary>
    public required string Registry { get; init; }

    /// <summary>The registered model's name.</summary>
    public required string Model { get; init; }

    /// <summary>The version (MLflow and Azure ML: a number as text; Hugging Face: the pinned revision).</summary>
    public required string Version { get; init; }

    /// <summary><c>model/version</c>, the resource name findings use.</summary>
    public string Resource => $"{Model}/{Version}";

    /// <summary>Description, or null.</summary>
    public string? Description { get; init; }

    /// <summary>When the version was registered, or null when the registry does not say.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When the version last changed (any tag, alias or stage change), or null.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>
    /// Who registered it: MLflow <c>user_id</c> (often empty on open-source servers: then read the run's
    /// <c>mlflow.user</c>), Azure ML <c>systemData.createdBy</c>; null when the registry does not say.
    /// </summary>
    public string? CreatedBy { get; init; }

    /// <summary>MLflow <c>current_stage</c> (<c>"None"</c> when unset), Azure ML <c>stage</c>, or null.</summary>
    public string? Stage { get; init; }

    /// <summary>Aliases pointing at this version (MLflow).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Registration status: MLflow <c>READY</c>, <c>PENDING_REGISTRATION</c>, <c>FAILED_REGISTRATION</c>; Azure ML <c>provisioningState</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Artifact location: MLflow <c>source</c>, Azure ML <c>modelUri</c>, Hugging Face <c>{endpoint}/{id}</c>.</summary>
    public string? Source { get; init; }

    /// <summary>The producing run (MLflow <c>run_id</c>) or job (Azure ML <c>jobName</c>), or null.</summary>
    public string? RunId { get; init; }

    /// <summary>The MLflow 3 logged model id, or null.</summary>
    public string? ModelId { get; init; }

    /// <summary>Version-level tags only (MLflow version tags; Azure ML version tags and properties).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Where the conventions' inventory fields are read: the model's tags overlaid by the version's
    /// (Azure ML: tags then add-only properties; Hugging Face: scalar card fields).
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Datasets the registry lists on the version itself (Azure ML <c>datasets</c>, Hugging Face card <c>datasets</c>).</summary>
    public IReadOnlyList<DatasetInput> Datasets { get; init; } = [];

    /// <summary>In production per the registry's conventions.</summary>
    public bool InProduction { get; init; }

    /// <summary>Why it counts as in production (e.g. <c>alias champion</c>, <c>stage Production</c>, <c>pinned revision</c>), or null.</summary>
    public string? ProductionReason { get; init; }

    /// <summary>The Hugging Face model card and Hub metadata; null for other registries.</summary>
    public ModelCard? Card { get; init; }

    /// <summary>The registry's JSON for this version, as sent.</summary>
    public JsonElement Raw { get; init; }

    /// <summary>An inventory field from <see cref="Metadata"/>, or null when absent or blank.</summary>
    public string? Field(string name) =>
        Metadata.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}

/// <summary>A training or evaluation run (MLflow run, Azure ML job).</summary>
public sealed record SourceRun
{
    /// <summary>The run id (Azure ML: the job name).</summary>
    public required string RunId { get; init; }

    /// <summary>The run name, or null.</summary>
    public string? Name { get; init; }

    /// <summary>The experiment id (Azure ML: experiment name), or null.</summary>
    public string? ExperimentId { get; init; }

    /// <summary>Status as the registry says it: MLflow <c>FINISHED</c>, <c>RUNNING</c>, <c>FAILED</c>, <c>KILLED</c>; Azure ML <c>Completed</c>, <c>Failed</c>…</summary>
    public string? Status { get; init; }

    /// <summary>True when the run ended successfully (MLflow <c>FINISHED</c>, Azure ML <c>Completed</c>).</summary>
    public bool Finished { get; init; }

    /// <summary>Who ran it: MLflow tag <c>mlflow.user</c> (else <c>user_id</c>), Azure ML <c>systemData.createdBy</c>; or null.</summary>
    public string? User { get; init; }

    /// <summary>Start time, or null.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>End time, or null.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The latest value of every metric, as the registry reports it with the run (no series).</summary>
    public IReadOnlyList<MetricPoint> Metrics { get; init; } = [];

    /// <summary>Parameters.</summary>
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    /// <summary>Tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Dataset inputs with their digests (MLflow <c>inputs.dataset_inputs</c>; Azure ML job inputs).</summary>
    public IReadOnlyList<DatasetInput> Datasets { get; init; } = [];

    /// <summary>The registry's JSON for this run, as sent.</summary>
    public JsonElement Raw { get; init; }

    /// <summary>The latest point of metric <paramref name="key"/>, or null when the run never logged it.</summary>
    public MetricPoint? Metric(string key) => Metrics.FirstOrDefault(m => string.Equals(m.Key, key, StringComparison.Ordinal));
}

/// <summary>One logged value of a metric.</summary>
/// <param name="Key">Metric name, e.g. <c>eval.accuracy</c>, <c>drift.psi.age</c>.</param>
/// <param name="Value">The value; null when the registry sent something that is not a finite number (<c>"NaN"</c>, <c>"Infinity"</c>, a string).</param>
/// <param name="Text">The value exactly as sent, for messages about malformed values.</param>
/// <param name="At">When it was logged, or null when the registry sent no timestamp.</param>
/// <param name="Step">The step, 0 when absent.</param>
public sealed record MetricPoint(string Key, double? Value, string Text, DateTimeOffset? At, long Step)
{
    /// <summary>True when <see cref="Value"/> could not be read as a finite number: evidence that cannot be judged.</summary>
    public bool IsMalformed => Value is null;
}

/// <summary>A dataset a run consumed or a version lists.</summary>
/// <param name="Name">Dataset name (Hugging Face: the Hub dataset id).</param>
/// <param name="Digest">Content digest, or null when the registry records none.</param>
/// <param name="Context">MLflow tag <c>mlflow.data.context</c> (<c>training</c>, <c>eval</c>…), or null.</param>
/// <param name="SourceType">MLflow <c>source_type</c> (e.g. <c>delta_table</c>, <c>http</c>), or null.</param>
/// <param name="Source">Where it lives (MLflow <c>source</c> JSON, Azure ML asset id), or null.</param>
public sealed record DatasetInput(string Name, string? Digest, string? Context, string? SourceType, string? Source);

/// <summary>A Hugging Face model's card and Hub metadata at the pinned revision.</summary>
public sealed record ModelCard
{
    /// <summary>True when the repository has a <c>README.md</c> (the card).</summary>
    public bool Present { get; init; }

    /// <summary><c>cardData.license</c> (or the <c>license:</c> tag), e.g. <c>apache-2.0</c>, <c>other</c>; null when none is declared.</summary>
    public string? License { get; init; }

    /// <summary><c>cardData.license_name</c> for <c>other</c> licences, or null.</summary>
    public string? LicenseName { get; init; }

    /// <summary><c>cardData.license_link</c>, or null.</summary>
    public string? LicenseLink { get; init; }

    /// <summary>Training datasets: <c>cardData.datasets</c> (string or list) and <c>dataset:</c> tags.</summary>
    public IReadOnlyList<string> Datasets { get; init; } = [];

    /// <summary>Base models: <c>cardData.base_model</c> (string or list) and <c>base_model:</c> tags.</summary>
    public IReadOnlyList<string> BaseModels { get; init; } = [];

    /// <summary>Evaluation results from <c>model-index</c> and <c>evalResults</c>.</summary>
    public IReadOnlyList<EvaluationResult> Evaluations { get; init; } = [];

    /// <summary>The commit the revision resolved to (<c>sha</c>), or null.</summary>
    public string? Sha { get; init; }

    /// <summary>The revision the configuration pins (a 40-hex commit, a branch or a tag), or null when none is pinned.</summary>
    public string? PinnedRevision { get; init; }

    /// <summary>True when <see cref="PinnedRevision"/> is a full commit id: a branch or tag can move under you.</summary>
    public bool PinnedToCommit => PinnedRevision is { Length: 40 } r && r.All(Uri.IsHexDigit);

    /// <summary><c>gated</c>: <c>false</c>, <c>auto</c> or <c>manual</c>; null when not sent.</summary>
    public string? Gated { get; init; }

    /// <summary><c>private</c>, or null when not sent.</summary>
    public bool? Private { get; init; }

    /// <summary><c>lastModified</c>, or null.</summary>
    public DateTimeOffset? LastModified { get; init; }
}

/// <summary>One evaluation result from a Hugging Face card.</summary>
/// <param name="Task">Task type, or null.</param>
/// <param name="Dataset">Dataset id or name, or null.</param>
/// <param name="Metric">Metric type (e.g. <c>accuracy</c>).</param>
/// <param name="Value">The value, or null when it is not a number.</param>
public sealed record EvaluationResult(string? Task, string? Dataset, string Metric, double? Value);

/// <summary>An Azure ML model monitor: a schedule whose action is <c>CreateMonitor</c>.</summary>
public sealed record ModelMonitor
{
    /// <summary>The schedule's name.</summary>
    public required string Name { get; init; }

    /// <summary><c>properties.isEnabled</c>.</summary>
    public bool Enabled { get; init; }

    /// <summary><c>monitoringTarget.modelId</c> (an asset id such as <c>azureml:credit:3</c> or an ARM id), or null.</summary>
    public string? ModelId { get; init; }

    /// <summary><c>monitoringTarget.deploymentId</c>, or null.</summary>
    public string? DeploymentId { get; init; }

    /// <summary>The monitor's signals, by name.</summary>
    public IReadOnlyList<MonitorSignal> Signals { get; init; } = [];

    /// <summary>Alert e-mail recipients (<c>alertNotificationSettings.emailNotificationSettings.emails</c>).</summary>
    public IReadOnlyList<string> AlertEmails { get; init; } = [];

    /// <summary>The schedule's JSON, as sent.</summary>
    public JsonElement Raw { get; init; }

    /// <summary>
    /// True when the monitor's target is <paramref name="version"/>: an asset id <c>azureml:name:version</c>, or an
    /// id ending in <c>/models/name/versions/version</c> (ARM or registry asset id).
    /// </summary>
    public bool Watches(ModelVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return ModelId is { } id
            && (string.Equals(id, $"azureml:{version.Model}:{version.Version}", StringComparison.OrdinalIgnoreCase)
                || id.EndsWith($"/models/{version.Model}/versions/{version.Version}", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>One signal of a monitor.</summary>
/// <param name="Name">The signal's key in <c>signals</c>.</param>
/// <param name="SignalType"><c>DataDrift</c>, <c>PredictionDrift</c>, <c>FeatureAttributionDrift</c>, <c>DataQuality</c>, <c>Custom</c>…</param>
/// <param name="Thresholds">Its metric thresholds (<c>metricThresholds[]</c>, or the singular <c>metricThreshold</c>).</param>
public sealed record MonitorSignal(string Name, string SignalType, IReadOnlyList<MonitorThreshold> Thresholds)
{
    /// <summary>True for the drift signals: data, prediction and feature-attribution drift.</summary>
    public bool IsDrift => SignalType is "DataDrift" or "PredictionDrift" or "FeatureAttributionDrift";
}

/// <summary>One metric threshold of a signal.</summary>
/// <param name="Metric">E.g. <c>JensenShannonDistance</c>, <c>PopulationStabilityIndex</c>.</param>
/// <param name="DataType"><c>Numerical</c>, <c>Categorical</c>, or null.</param>
/// <param name="Value"><c>threshold.value</c>; null when the threshold is null (the service default applies).</param>
public sealed record MonitorThreshold(string Metric, string? DataType, double? Value);
