using System.Text.Json;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Models.Http;

namespace EvidenceBot.Sources.Models;

/// <summary>
/// An Azure Machine Learning workspace through Azure Resource Manager (plain GETs with a pinned api-version and a
/// bearer token from an Azure.Identity credential): model containers and versions, the jobs that produced them,
/// monitor schedules, and the workspace itself. Lists follow <c>nextLink</c> verbatim (it may carry another api-version).
/// </summary>
internal sealed class AzureMlSource : IModelsSource
{
    private readonly RegistryOptions _options;
    private readonly RegistryHttp _http;
    private readonly string _workspace;

    public AzureMlSource(RegistryOptions options, RegistryHttp http)
    {
        _options = options;
        _http = http;
        // A workspace, or an Azure ML registry: models and versions have the same shape under both.
        _workspace = $"{options.Url!.AbsoluteUri.TrimEnd('/')}/subscriptions/{Wire.Query(options.SubscriptionId!)}/resourceGroups/{Wire.Query(options.ResourceGroup!)}" +
                     "/providers/Microsoft.MachineLearningServices/" +
                     (options.AzureRegistry is { } registry ? $"registries/{Wire.Query(registry)}" : $"workspaces/{Wire.Query(options.Workspace!)}");
    }

    public string Registry => _options.Name;

    public RegistryKind Kind => RegistryKind.AzureMachineLearning;

    public ModelConventions Conventions => _options.Conventions;

    public async Task<IReadOnlyList<RegisteredModel>> ModelsAsync(CancellationToken cancellationToken = default)
    {
        var items = await ListAsync("/models", "listViewType=ActiveOnly", "model containers", cancellationToken).ConfigureAwait(false);
        return [.. items.Select(m =>
        {
            var p = m.Prop("properties") ?? default;
            return new RegisteredModel
            {
                Registry = Registry,
                Name = m.Str("name") ?? throw _http.Malformed("model containers", "a container has no name"),
                Description = p.Str("description"),
                CreatedAt = m.Prop("systemData")?.Iso("createdAt"),
                UpdatedAt = m.Prop("systemData")?.Iso("lastModifiedAt"),
                Tags = Wire.Overlay(p.Scalars("tags"), p.Scalars("properties")),
                Raw = m,
            };
        }).OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    public async Task<IReadOnlyList<ModelVersion>> VersionsAsync(CancellationToken cancellationToken = default)
    {
        var models = await ModelsAsync(cancellationToken).ConfigureAwait(false);
        var lists = await Task.WhenAll(models.Select(async model =>
        {
            var items = await ListAsync($"/models/{Wire.Query(model.Name)}/versions", "listViewType=ActiveOnly", $"versions of {model.Name}", cancellationToken).ConfigureAwait(false);
            return items.Select(v => ToVersion(v, model));
        })).ConfigureAwait(false);
        return [.. lists.SelectMany(l => l)];
    }

    public async Task<IReadOnlyList<ModelVersion>> ProductionVersionsAsync(CancellationToken cancellationToken = default) =>
        [.. (await VersionsAsync(cancellationToken).ConfigureAwait(false)).Where(v => v.InProduction)];

    public Task<ModelVersion?> VersionByAliasAsync(string model, string alias, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Azure ML, which has no aliases; its versions carry a stage");

    public async Task<SourceRun?> RunAsync(string runId, CancellationToken cancellationToken = default)
    {
        RequireWorkspace("jobs");
        var what = $"job {runId}";
        var answer = await _http.GetAsync(new Uri($"{_workspace}/jobs/{Wire.Query(runId)}?api-version={_options.ApiVersion}"), what, cancellationToken).ConfigureAwait(false);
        if (answer.Status == 404)
            return null;
        if (!answer.Ok)
            throw _http.Fault(answer, what);
        var job = answer.Json!.Value;
        var p = job.Prop("properties") ?? default;
        var status = p.Str("status");
        var inputs = p.Prop("inputs") is { ValueKind: JsonValueKind.Object } o
            ? o.EnumerateObject().Where(i => i.Value.Str("uri") is not null)
                .Select(i => new DatasetInput(i.Name, null, "training", i.Value.Str("jobInputType"), i.Value.Str("uri"))).ToList()
            : [];
        return new SourceRun
        {
            RunId = job.Str("name") ?? runId,
            Name = p.Str("displayName"),
            ExperimentId = p.Str("experimentName"),
            Status = status,
            Finished = status == "Completed",
            User = job.Prop("systemData")?.Str("createdBy"),
            StartedAt = job.Prop("systemData")?.Iso("createdAt"),
            Tags = p.Scalars("tags"),
            Params = p.Scalars("properties"),
            Datasets = inputs,
            Raw = job,
        };
    }

    public Task<IReadOnlyList<MetricPoint>> MetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Azure ML: metric histories are read through its MLflow endpoint; configure it as an mlflow registry");

    public Task<JsonElement?> LoggedModelAsync(string modelId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Azure ML, which has no MLflow logged models over ARM");

    public async Task<IReadOnlyList<ModelMonitor>> MonitorsAsync(CancellationToken cancellationToken = default)
    {
        RequireWorkspace("monitors");
        var items = await ListAsync("/schedules", "listViewType=All", "schedules", cancellationToken).ConfigureAwait(false);
        var monitors = new List<ModelMonitor>();
        foreach (var s in items)
        {
            var p = s.Prop("properties") ?? default;
            var action = p.Prop("action") ?? default;
            if (action.Str("actionType") != "CreateMonitor")
                continue; // CreateJob and InvokeBatchEndpoint schedules are not monitors
            var definition = action.Prop("monitorDefinition") ?? default;
            var target = definition.Prop("monitoringTarget") ?? default;
            var signals = definition.Prop("signals") is { ValueKind: JsonValueKind.Object } sig
                ? sig.EnumerateObject().Select(x => new MonitorSignal(x.Name, x.Value.Str("signalType") ?? "(none)",
                    [.. x.Value.Array("metricThresholds").Append(x.Value.Prop("metricThreshold") ?? default)
                        .Where(t => t.ValueKind == JsonValueKind.Object)
                        .Select(t => new MonitorThreshold(t.Str("metric") ?? "(none)", t.Str("dataType"),
                            t.Prop("threshold")?.Prop("value") is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null))])).ToList()
                : [];
            monitors.Add(new ModelMonitor
            {
                Name = s.Str("name") ?? "(unnamed)",
                Enabled = p.Bool("isEnabled") ?? false,
                ModelId = target.Str("modelId"),
                DeploymentId = target.Str("deploymentId"),
                Signals = signals,
                AlertEmails = [.. (definition.Prop("alertNotificationSettings")?.Prop("emailNotificationSettings")?.Strings("emails") ?? [])],
                Raw = s,
            });
        }

        return monitors;
    }

    public async Task<JsonElement> WorkspaceAsync(CancellationToken cancellationToken = default)
    {
        RequireWorkspace("workspace settings");
        var what = $"workspace {_options.Workspace}";
        var answer = await _http.GetAsync(new Uri($"{_workspace}?api-version={_options.ApiVersion}"), what, cancellationToken).ConfigureAwait(false);
        return answer.Ok ? answer.Json!.Value : throw _http.Fault(answer, what);
    }

    private void RequireWorkspace(string what)
    {
        if (_options.AzureRegistry is not null)
            throw new NotSupportedException($"registry '{Registry}' is the Azure ML registry {_options.AzureRegistry}: {what} live in the workspaces that train and deploy its models; configure those workspaces");
    }

    private ModelVersion ToVersion(JsonElement v, RegisteredModel model)
    {
        var p = v.Prop("properties") ?? default;
        var tags = Wire.Overlay(p.Scalars("tags"), p.Scalars("properties"));
        var stage = p.Str("stage");
        var prod = string.Equals(stage, Conventions.ProductionStage, StringComparison.OrdinalIgnoreCase);
        var system = v.Prop("systemData");
        return new ModelVersion
        {
            Registry = Registry,
            Model = model.Name,
            Version = v.Str("name") ?? throw _http.Malformed($"versions of {model.Name}", "a version has no name"),
            Description = p.Str("description"),
            CreatedAt = system?.Iso("createdAt"),
            UpdatedAt = system?.Iso("lastModifiedAt"),
            CreatedBy = system?.Str("createdBy"),
            Stage = stage,
            Status = p.Str("provisioningState"),
            Source = p.Str("modelUri"),
            RunId = p.Str("jobName"),
            Tags = tags,
            Metadata = Wire.Overlay(model.Tags, tags),
            Datasets = [.. p.Array("datasets").Select(d => new DatasetInput(d.Str("name") ?? d.Str("id") ?? "(unnamed)", null, null, "azureml", d.Str("id")))],
            InProduction = prod,
            ProductionReason = prod ? $"stage {stage}" : null,
            Raw = v,
        };
    }

    private async Task<List<JsonElement>> ListAsync(string path, string query, string what, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        var next = new Uri($"{_workspace}{path}?api-version={_options.ApiVersion}&{query}");
        var authority = next.GetLeftPart(UriPartial.Authority);
        for (var pages = 0; ; pages++)
        {
            if (pages >= _options.MaxPages)
                throw _http.Malformed(what, $"more than {_options.MaxPages} pages");
            var answer = await _http.GetAsync(next, what, cancellationToken).ConfigureAwait(false);
            if (!answer.Ok)
                throw _http.Fault(answer, what);
            items.AddRange(answer.Json!.Value.Array("value"));
            if (answer.Json.Value.Str("nextLink") is not { Length: > 0 } link)
                return items;
            // Followed verbatim, but never to another host: the bearer token goes with it.
            if (!Uri.TryCreate(link, UriKind.Absolute, out var u) || !string.Equals(u.GetLeftPart(UriPartial.Authority), authority, StringComparison.OrdinalIgnoreCase))
                throw _http.Malformed(what, $"nextLink '{link}' points away from {authority}");
            next = u;
        }
    }
}
