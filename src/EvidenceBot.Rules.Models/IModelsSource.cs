using System.Text.Json;

namespace EvidenceBot.Rules;

/// <summary>
/// What a rule sees of one model registry (the execution's target): an MLflow tracking server or Databricks
/// workspace, an Azure Machine Learning workspace, or the Hugging Face models an organisation pinned in its
/// configuration. Answers are normalised records; each keeps the registry's JSON (<c>Raw</c>) for what the
/// contract lacks. Every answer is attached to the calling rule as raw evidence. When the registry cannot deliver
/// (a fault that outlasted the retries, a missing permission, a login page instead of JSON, a malformed answer),
/// the call throws <c>SourceFaultException</c> and the rule's verdict is <c>error</c>, even if the rule catches it.
/// An empty registry is an empty list: rules must say so, never count it as compliance.
/// </summary>
public interface IModelsSource
{
    /// <summary>The registry's configured name (the target).</summary>
    string Registry { get; }

    /// <summary>What kind of registry this is; some members only apply to one kind.</summary>
    RegistryKind Kind { get; }

    /// <summary>The governance conventions configured for this registry (field names, aliases, metric patterns).</summary>
    ModelConventions Conventions { get; }

    /// <summary>
    /// Every registered model. MLflow: <c>GET registered-models/search</c>, all pages (<c>page_token</c>); an empty
    /// registry answers <c>{}</c>, which is an empty list. Azure ML: <c>GET …/workspaces/{ws}/models</c>, following
    /// <c>nextLink</c>. Hugging Face: one model per configured model id (<c>GET /api/models/{id}/revision/{rev}</c>).
    /// </summary>
    Task<IReadOnlyList<RegisteredModel>> ModelsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Every version of every model. MLflow: <c>GET model-versions/search</c> without a filter, all pages, one
    /// request per page for the whole registry. Azure ML: <c>GET …/models/{name}/versions</c> per model. Hugging Face:
    /// the pinned revision of each configured model.
    /// </summary>
    Task<IReadOnlyList<ModelVersion>> VersionsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The versions in production per <see cref="Conventions"/>: a configured alias, else the production stage
    /// (<c>current_stage</c> in MLflow, <c>stage</c> in Azure ML); every pinned Hugging Face revision. Derived from
    /// <see cref="VersionsAsync"/> with no further request.
    /// </summary>
    Task<IReadOnlyList<ModelVersion>> ProductionVersionsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The version an alias points at (MLflow <c>GET registered-models/alias</c>). Null when the alias is not set:
    /// MLflow answers 400 <c>INVALID_PARAMETER_VALUE</c> "Registered model alias … not found", which is data.
    /// Throws <see cref="NotSupportedException"/> for registries without aliases.
    /// </summary>
    Task<ModelVersion?> VersionByAliasAsync(string model, string alias, CancellationToken cancellationToken = default);

    /// <summary>
    /// The run (MLflow <c>GET runs/get</c>) or job (Azure ML <c>GET …/jobs/{name}</c>) that produced a version: status,
    /// user, latest value of every metric (with its timestamp), params, tags and training-dataset inputs with digests.
    /// Null when the registry says it does not exist (404 <c>RESOURCE_DOES_NOT_EXIST</c>): the lineage is broken.
    /// Throws <see cref="NotSupportedException"/> for Hugging Face.
    /// </summary>
    Task<SourceRun?> RunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Several runs at once: each distinct id is read as by <see cref="RunAsync"/>, all sent together (the source bounds
    /// how many are in flight), so a rule over many versions waits for one round of answers, not one per version.
    /// The value is null for a run that does not exist. Ids that are null or blank are skipped.
    /// </summary>
    async Task<IReadOnlyDictionary<string, SourceRun?>> RunsAsync(IEnumerable<string?> runIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var ids = runIds.Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => id!).Distinct(StringComparer.Ordinal).ToList();
        var runs = await Task.WhenAll(ids.Select(id => RunAsync(id, cancellationToken))).ConfigureAwait(false);
        return ids.Zip(runs).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
    }

    /// <summary>
    /// Every logged point of one metric (MLflow <c>GET metrics/get-history</c>, all pages), oldest first. Only for
    /// rules that need a series: <see cref="SourceRun.Metrics"/> already holds each metric's latest value.
    /// A malformed value (<c>"NaN"</c>, a string) is kept with <see cref="MetricPoint.Value"/> null.
    /// </summary>
    Task<IReadOnlyList<MetricPoint>> MetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// An MLflow 3 logged model (<c>GET logged-models/{id}</c>) as JSON. Null when the server has no logged models
    /// (a plain 404 from MLflow 2.x: the feature is absent) or the model does not exist.
    /// </summary>
    Task<JsonElement?> LoggedModelAsync(string modelId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Azure ML model monitors: the workspace's schedules whose action is <c>CreateMonitor</c>
    /// (<c>GET …/workspaces/{ws}/schedules?listViewType=All</c>), enabled and disabled; other schedules
    /// (<c>CreateJob</c>, <c>InvokeBatchEndpoint</c>) are left out. Throws <see cref="NotSupportedException"/> for
    /// other registries: MLflow and Hugging Face have no monitors.
    /// </summary>
    Task<IReadOnlyList<ModelMonitor>> MonitorsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The Azure ML workspace itself (<c>GET …/workspaces/{ws}</c>), as JSON: network, encryption and other settings.
    /// Throws <see cref="NotSupportedException"/> for other registries.
    /// </summary>
    Task<JsonElement> WorkspaceAsync(CancellationToken cancellationToken = default);
}

/// <summary>The kinds of model registry.</summary>
public enum RegistryKind
{
    /// <summary>MLflow REST 2.0: open-source tracking server or a Databricks workspace registry.</summary>
    MLflow,

    /// <summary>An Azure Machine Learning workspace, through Azure Resource Manager.</summary>
    AzureMachineLearning,

    /// <summary>Third-party models on the Hugging Face Hub (or a mirror), pinned in the configuration.</summary>
    HuggingFace,
}
