using System.Text.Json;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Models.Http;

namespace EvidenceBot.Sources.Models;

/// <summary>
/// An MLflow registry over REST 2.0 (open-source tracking server or Databricks workspace): only GET endpoints, so
/// every answer is a replayable recording. Registered models and versions are each read with one paged search for the
/// whole registry (not one request per model); runs with <c>runs/get</c>, which already carries each metric's latest value.
/// </summary>
internal sealed class MlflowSource : IModelsSource
{
    private readonly RegistryOptions _options;
    private readonly RegistryHttp _http;
    private readonly Uri _api;

    public MlflowSource(RegistryOptions options, RegistryHttp http)
    {
        _options = options;
        _http = http;
        _api = new Uri(options.Url!.AbsoluteUri.TrimEnd('/') + "/api/2.0/mlflow/");
    }

    public string Registry => _options.Name;

    public RegistryKind Kind => RegistryKind.MLflow;

    public ModelConventions Conventions => _options.Conventions;

    // No cache of parsed lists here: every call walks the (coalesced) pages, so each asking rule gets their evidence.
    public Task<IReadOnlyList<RegisteredModel>> ModelsAsync(CancellationToken cancellationToken = default) => LoadModelsAsync(cancellationToken);

    public Task<IReadOnlyList<ModelVersion>> VersionsAsync(CancellationToken cancellationToken = default) => LoadVersionsAsync(cancellationToken);

    public async Task<IReadOnlyList<ModelVersion>> ProductionVersionsAsync(CancellationToken cancellationToken = default) =>
        [.. (await VersionsAsync(cancellationToken).ConfigureAwait(false)).Where(v => v.InProduction)];

    public async Task<ModelVersion?> VersionByAliasAsync(string model, string alias, CancellationToken cancellationToken = default)
    {
        var what = $"version of {model} with alias {alias}";
        var answer = await _http.GetAsync(Url($"registered-models/alias?name={Wire.Query(model)}&alias={Wire.Query(alias)}"), what, cancellationToken).ConfigureAwait(false);
        // OSS answers 400 INVALID_PARAMETER_VALUE "Registered model alias x not found."; Unity Catalog may answer 404.
        if (answer.Status is 400 or 404 && answer.Message?.Contains("alias", StringComparison.OrdinalIgnoreCase) == true)
            return null;
        if (!answer.Ok)
            throw _http.Fault(answer, what);
        var json = answer.Json!.Value.Prop("model_version") ?? throw _http.Malformed(what, "no model_version in the answer");
        var models = await ModelsAsync(cancellationToken).ConfigureAwait(false);
        return ToVersion(json, models.FirstOrDefault(m => m.Name == model));
    }

    public async Task<SourceRun?> RunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var what = $"run {runId}";
        var answer = await _http.GetAsync(Url($"runs/get?run_id={Wire.Query(runId)}"), what, cancellationToken).ConfigureAwait(false);
        if (answer.Status == 404)
            return null;
        if (!answer.Ok)
            throw _http.Fault(answer, what);
        var run = answer.Json!.Value.Prop("run") ?? throw _http.Malformed(what, "no run in the answer");
        var info = run.Prop("info") ?? throw _http.Malformed(what, "the run has no info");
        var data = run.Prop("data");
        var tags = data?.KeyValues("tags") ?? [];
        var status = info.Str("status");
        return new SourceRun
        {
            RunId = info.Str("run_id") ?? info.Str("run_uuid") ?? runId,
            Name = info.Str("run_name"),
            ExperimentId = info.Str("experiment_id"),
            Status = status,
            Finished = status == "FINISHED",
            User = tags.GetValueOrDefault("mlflow.user") is { Length: > 0 } u ? u : info.Str("user_id"),
            StartedAt = info.Millis("start_time"),
            EndedAt = info.Millis("end_time"),
            Metrics = data is { } d ? [.. d.Array("metrics").Select(ToPoint)] : [],
            Params = data?.KeyValues("params") ?? [],
            Tags = tags,
            Datasets = run.Prop("inputs") is { } inputs
                ? [.. inputs.Array("dataset_inputs").Select(i =>
                {
                    var ds = i.Prop("dataset") ?? default;
                    return new DatasetInput(ds.Str("name") ?? "(unnamed)", ds.Str("digest"), i.KeyValues("tags").GetValueOrDefault("mlflow.data.context"),
                        ds.Str("source_type"), ds.Str("source"));
                })]
                : [],
            Raw = run,
        };
    }

    public async Task<IReadOnlyList<MetricPoint>> MetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default)
    {
        var what = $"history of metric {metricKey} in run {runId}";
        var points = new List<MetricPoint>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = $"metrics/get-history?run_id={Wire.Query(runId)}&metric_key={Wire.Query(metricKey)}" + (token is null ? "" : $"&page_token={Wire.Query(token)}");
            var answer = await _http.GetAsync(Url(url), what, cancellationToken).ConfigureAwait(false);
            if (!answer.Ok)
                throw _http.Fault(answer, what);
            points.AddRange(answer.Json!.Value.Array("metrics").Select(ToPoint));
            token = answer.Json.Value.Str("next_page_token") is { Length: > 0 } t ? t : null;
            if (++pages > _options.MaxPages)
                throw _http.Malformed(what, $"more than {_options.MaxPages} pages; raise models.registries[].maxPages if this is real");
        }
        while (token is not null);
        return [.. points.OrderBy(p => p.At).ThenBy(p => p.Step)];
    }

    public async Task<JsonElement?> LoggedModelAsync(string modelId, CancellationToken cancellationToken = default)
    {
        var what = $"logged model {modelId}";
        var answer = await _http.GetAsync(Url($"logged-models/{Wire.Query(modelId)}"), what, cancellationToken).ConfigureAwait(false);
        if (answer.Status == 404)
            return null; // MLflow 2.x has no logged models: a plain 404 means the feature is absent
        if (!answer.Ok)
            throw _http.Fault(answer, what);
        return answer.Json!.Value.Prop("model") ?? answer.Json;
    }

    public Task<IReadOnlyList<ModelMonitor>> MonitorsAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is MLflow, which has no model monitors; check Kind before asking");

    public Task<JsonElement> WorkspaceAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is MLflow, not an Azure ML workspace; check Kind before asking");

    private Uri Url(string relative) => new(_api, relative);

    /// <summary>
    /// The last parse of each search, kept with the answers it came from: every rule still walks the (coalesced) pages
    /// and gets their evidence, but the same pages are turned into records once.
    /// </summary>
    private readonly Dictionary<string, (object[] Inputs, object Parsed)> _parsed = new(StringComparer.Ordinal);

    private T Parsed<T>(string key, object[] inputs, Func<T> parse) where T : class
    {
        lock (_parsed)
        {
            if (_parsed.TryGetValue(key, out var hit) && hit.Inputs.SequenceEqual(inputs, ReferenceEqualityComparer.Instance))
                return (T)hit.Parsed;
        }

        var parsed = parse();
        lock (_parsed)
            _parsed[key] = (inputs, parsed);
        return parsed;
    }

    private async Task<(List<JsonElement> Items, RegistryAnswer[] Pages)> SearchAsync(string path, string key, int pageSize, string what, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        var answers = new List<RegistryAnswer>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = $"{path}?max_results={pageSize}" + (token is null ? "" : $"&page_token={Wire.Query(token)}");
            var answer = await _http.GetAsync(Url(url), what, cancellationToken).ConfigureAwait(false);
            if (!answer.Ok)
                throw _http.Fault(answer, what);
            // An empty search answers {}: proto2 JSON omits empty lists.
            answers.Add(answer);
            items.AddRange(answer.Json!.Value.Array(key));
            token = answer.Json.Value.Str("next_page_token") is { Length: > 0 } t ? t : null;
            if (++pages > _options.MaxPages)
                throw _http.Malformed(what, $"more than {_options.MaxPages} pages; raise models.registries[].maxPages if this is real");
        }
        while (token is not null);
        return (items, [.. answers]);
    }

    private async Task<IReadOnlyList<RegisteredModel>> LoadModelsAsync(CancellationToken cancellationToken)
    {
        var (items, pages) = await SearchAsync("registered-models/search", "registered_models", _options.PageSize, "registered models", cancellationToken).ConfigureAwait(false);
        return Parsed<IReadOnlyList<RegisteredModel>>("models", [.. pages], () => [.. items.Select(m => new RegisteredModel
        {
            Registry = Registry,
            Name = m.Str("name") ?? throw _http.Malformed("registered models", "a registered model has no name"),
            Description = m.Str("description"),
            CreatedAt = m.Millis("creation_timestamp"),
            UpdatedAt = m.Millis("last_updated_timestamp"),
            Tags = m.KeyValues("tags"),
            Aliases = m.Array("aliases").Where(a => a.Str("alias") is not null).GroupBy(a => a.Str("alias")!)
                .ToDictionary(g => g.Key, g => g.Last().Str("version") ?? "", StringComparer.Ordinal),
            Raw = m,
        }).OrderBy(m => m.Name, StringComparer.Ordinal)]);
    }

    private async Task<IReadOnlyList<ModelVersion>> LoadVersionsAsync(CancellationToken cancellationToken)
    {
        var modelsTask = ModelsAsync(cancellationToken);
        var (items, pages) = await SearchAsync("model-versions/search", "model_versions", _options.VersionPageSize, "model versions", cancellationToken).ConfigureAwait(false);
        var modelList = await modelsTask.ConfigureAwait(false);
        // The versions' records depend on the models' (tags, aliases): keyed by both.
        return Parsed<IReadOnlyList<ModelVersion>>("versions", [.. pages, modelList], () =>
        {
            var models = modelList.GroupBy(m => m.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
            return [.. items.Select(v => ToVersion(v, models.GetValueOrDefault(v.Str("name") ?? "")))
                .OrderBy(v => v.Model, StringComparer.Ordinal).ThenBy(v => v.Version.Length).ThenBy(v => v.Version, StringComparer.Ordinal)];
        });
    }

    private ModelVersion ToVersion(JsonElement v, RegisteredModel? model)
    {
        var name = v.Str("name") ?? throw _http.Malformed("model versions", "a model version has no name");
        var version = v.Str("version") ?? throw _http.Malformed("model versions", $"a version of {name} has no version number");
        var tags = v.KeyValues("tags");
        // Aliases may come on the version (2.x and later) or only on the model: take both.
        var aliases = v.Strings("aliases")
            .Concat(model?.Aliases.Where(a => a.Value == version).Select(a => a.Key) ?? [])
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var conventions = Conventions;
        var prodAlias = aliases.FirstOrDefault(a => conventions.ProductionAliases.Contains(a, StringComparer.OrdinalIgnoreCase));
        var modelHasProdAlias = model?.Aliases.Keys.Any(a => conventions.ProductionAliases.Contains(a, StringComparer.OrdinalIgnoreCase)) == true || prodAlias is not null;
        var stage = v.Str("current_stage");
        var byStage = !modelHasProdAlias && string.Equals(stage, conventions.ProductionStage, StringComparison.OrdinalIgnoreCase);
        return new ModelVersion
        {
            Registry = Registry,
            Model = name,
            Version = version,
            Description = v.Str("description"),
            CreatedAt = v.Millis("creation_timestamp"),
            UpdatedAt = v.Millis("last_updated_timestamp"),
            CreatedBy = v.Str("user_id") is { Length: > 0 } u ? u : null,
            Stage = stage,
            Aliases = aliases,
            Status = v.Str("status"),
            Source = v.Str("source"),
            RunId = v.Str("run_id") is { Length: > 0 } r ? r : null,
            ModelId = v.Str("model_id"),
            Tags = tags,
            Metadata = Wire.Overlay(model?.Tags ?? new Dictionary<string, string>(), tags),
            InProduction = prodAlias is not null || byStage,
            ProductionReason = prodAlias is not null ? $"alias {prodAlias}" : byStage ? $"stage {stage}" : null,
            Raw = v,
        };
    }

    private static MetricPoint ToPoint(JsonElement m)
    {
        var (value, text) = Wire.MetricValue(m.Prop("value"));
        return new MetricPoint(m.Str("key") ?? "", value, text, m.Millis("timestamp"),
            m.Prop("step") is { ValueKind: JsonValueKind.Number } s && s.TryGetInt64(out var step) ? step : 0);
    }
}
