using System.Text.Json;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Models.Http;

namespace EvidenceBot.Sources.Models;

/// <summary>
/// The third-party Hugging Face models an organisation uses, as listed in the configuration with their pinned
/// revisions: one <c>GET /api/models/{id}/revision/{rev}</c> per model, with repeated <c>expand=</c> keys for the
/// fields the rules read. Each pinned revision is a version in production.
/// </summary>
internal sealed class HuggingFaceSource : IModelsSource
{
    /// <summary>What the rules read; with <c>expand</c> the Hub answers only <c>_id</c>, <c>id</c> and these.</summary>
    internal static readonly string[] Expand =
        ["cardData", "createdAt", "evalResults", "gated", "lastModified", "model-index", "private", "sha", "siblings", "tags"];

    private readonly RegistryOptions _options;
    private readonly RegistryHttp _http;

    public HuggingFaceSource(RegistryOptions options, RegistryHttp http)
    {
        _options = options;
        _http = http;
    }

    public string Registry => _options.Name;

    public RegistryKind Kind => RegistryKind.HuggingFace;

    public ModelConventions Conventions => _options.Conventions;

    public async Task<IReadOnlyList<RegisteredModel>> ModelsAsync(CancellationToken cancellationToken = default) =>
        [.. (await VersionsAsync(cancellationToken).ConfigureAwait(false)).Select(v => new RegisteredModel
        {
            Registry = Registry,
            Name = v.Model,
            Description = null,
            CreatedAt = v.CreatedAt,
            UpdatedAt = v.UpdatedAt,
            Tags = v.Metadata,
            Raw = v.Raw,
        })];

    /// <summary>
    /// Every configured model at its pinned revision. Models are read together; when any cannot be read (missing,
    /// private or gated without access, disabled), the call throws one fault naming each of them.
    /// </summary>
    public async Task<IReadOnlyList<ModelVersion>> VersionsAsync(CancellationToken cancellationToken = default)
    {
        var reads = _options.Models.Select(m => ReadAsync(m, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(reads).ConfigureAwait(false);
        }
        catch (Exception) when (reads.All(r => r.IsCompleted))
        {
            // Collected below, all of them, not only the first.
        }

        var faults = reads.Where(r => r.IsFaulted).Select(r => r.Exception!.InnerException!.Message).ToList();
        if (faults.Count > 0)
            throw RegistryHttp.Report(false, $"{faults.Count} of {reads.Count} Hugging Face model(s) could not be read: {string.Join("; ", faults)}");
        return [.. reads.Select(r => r.Result)];
    }

    public Task<IReadOnlyList<ModelVersion>> ProductionVersionsAsync(CancellationToken cancellationToken = default) => VersionsAsync(cancellationToken);

    public Task<ModelVersion?> VersionByAliasAsync(string model, string alias, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Hugging Face, which has no aliases; pinned revisions are its versions");

    public Task<SourceRun?> RunAsync(string runId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Hugging Face, which records no runs");

    public Task<IReadOnlyList<MetricPoint>> MetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Hugging Face, which records no metric histories");

    public Task<JsonElement?> LoggedModelAsync(string modelId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Hugging Face, which has no logged models");

    public Task<IReadOnlyList<ModelMonitor>> MonitorsAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Hugging Face, which has no model monitors");

    public Task<JsonElement> WorkspaceAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"registry '{Registry}' is Hugging Face, not an Azure ML workspace");

    internal Uri UrlOf(PinnedModel model)
    {
        var path = "api/models/" + string.Join('/', model.Id.Split('/').Select(Uri.EscapeDataString))
            + (model.Revision is null ? "" : "/revision/" + Uri.EscapeDataString(model.Revision));
        var query = string.Join('&', Expand.Select(e => "expand=" + Uri.EscapeDataString(e)));
        return new Uri(new Uri(_options.Url!.AbsoluteUri.TrimEnd('/') + "/"), path + "?" + query);
    }

    private async Task<ModelVersion> ReadAsync(PinnedModel model, CancellationToken cancellationToken)
    {
        var what = $"model {model.Id}" + (model.Revision is null ? "" : $" at {model.Revision}");
        var answer = await _http.GetAsync(UrlOf(model), what, cancellationToken).ConfigureAwait(false);
        if (!answer.Ok)
            throw HubFault(answer, what);
        var m = answer.Json!.Value;
        var card = m.Prop("cardData");
        var tags = m.Strings("tags").ToList();
        IEnumerable<string> Tagged(string prefix) => tags.Where(t => t.StartsWith(prefix, StringComparison.Ordinal)).Select(t => t[prefix.Length..]);

        var datasets = (card?.Strings("datasets") ?? []).Concat(Tagged("dataset:")).Distinct(StringComparer.Ordinal).ToList();
        var modelCard = new ModelCard
        {
            Present = m.Array("siblings").Any(s => string.Equals(s.Str("rfilename"), "README.md", StringComparison.OrdinalIgnoreCase)),
            License = card?.Strings("license").FirstOrDefault() ?? Tagged("license:").FirstOrDefault(),
            LicenseName = card?.Str("license_name"),
            LicenseLink = card?.Str("license_link"),
            Datasets = datasets,
            BaseModels = [.. (card?.Strings("base_model") ?? []).Concat(Tagged("base_model:").Where(t => !t.Contains(':', StringComparison.Ordinal))).Distinct(StringComparer.Ordinal)],
            Evaluations = Evaluations(m),
            Sha = m.Str("sha"),
            PinnedRevision = model.Revision,
            Gated = m.Prop("gated") is { } g ? Wire.Text(g) : null,
            Private = m.Bool("private"),
            LastModified = m.Iso("lastModified"),
        };
        var metadata = card is { ValueKind: JsonValueKind.Object } c
            ? c.EnumerateObject().Where(p => Wire.Text(p.Value) is not null).ToDictionary(p => p.Name, p => Wire.Text(p.Value)!, StringComparer.Ordinal)
            : [];
        return new ModelVersion
        {
            Registry = Registry,
            Model = model.Id,
            Version = model.Revision ?? modelCard.Sha ?? "(unpinned)",
            CreatedAt = m.Iso("createdAt"),
            UpdatedAt = modelCard.LastModified,
            Source = new Uri(_options.Url!, model.Id).AbsoluteUri,
            Tags = metadata,
            Metadata = metadata,
            Datasets = [.. datasets.Select(d => new DatasetInput(d, null, "training", "huggingface", null))],
            InProduction = true,
            ProductionReason = model.Revision is null ? "configured, not pinned" : "pinned revision",
            Card = modelCard,
            Raw = m,
        };
    }

    private static List<EvaluationResult> Evaluations(JsonElement m)
    {
        var results = new List<EvaluationResult>();
        var index = m.Prop("model-index") ?? m.Prop("cardData")?.Prop("model-index");
        foreach (var entry in index is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [])
        {
            foreach (var r in entry.Array("results"))
            {
                var task = r.Prop("task")?.Str("type");
                var dataset = r.Prop("dataset")?.Str("type") ?? r.Prop("dataset")?.Str("name");
                foreach (var metric in r.Array("metrics"))
                    results.Add(new EvaluationResult(task, dataset, metric.Str("type") ?? metric.Str("name") ?? "(unnamed)", Wire.MetricValue(metric.Prop("value")).Value));
            }
        }

        foreach (var item in m.Array("evalResults"))
        {
            var e = item.Prop("data") ?? item;
            var ds = e.Prop("dataset");
            results.Add(new EvaluationResult(ds?.Str("task_id"), ds?.Str("id"), ds?.Str("task_id") ?? "score", Wire.MetricValue(e.Prop("value")).Value));
        }

        return results;
    }

    private Exception HubFault(RegistryAnswer answer, string what)
    {
        var code = answer.ErrorCode;
        var why = (answer.Status, code) switch
        {
            (401, _) when answer.Message?.Contains("Invalid credentials", StringComparison.OrdinalIgnoreCase) == true =>
                "the token configured (tokenEnv) is invalid",
            (401, _) when _options.Token is null =>
                "the repository does not exist, or is private or gated and no token is configured (the Hub answers 401 to anonymous requests for either); set tokenEnv",
            (401, _) => "the repository does not exist or the token may not see it",
            (403, "GatedRepo") => "the model is gated and the token's user is not on its authorised list; request access on the Hub",
            (403, _) when answer.Message?.Contains("disabled", StringComparison.OrdinalIgnoreCase) == true => "the repository is disabled on the Hub",
            (404, "RevisionNotFound") => "the pinned revision does not exist; pin a commit that does",
            (404, _) => "the repository does not exist, or the token may not see it",
            (429, _) => "rate limited, still after the retries; run again later",
            _ => null,
        };
        if (why is null)
            return _http.Fault(answer, what);
        var said = code is null ? answer.Message : $"{code}: {answer.Message}";
        return RegistryHttp.Report(answer.Status == 429, $"{what}: the Hub answered {answer.Status}{(string.IsNullOrEmpty(said) ? "" : $" ({said})")}: {why}");
    }
}
