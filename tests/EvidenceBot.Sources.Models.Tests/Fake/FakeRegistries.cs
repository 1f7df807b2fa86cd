using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace EvidenceBot.Sources.Models.Tests.Fake;

/// <summary>A scripted answer: status, headers, body.</summary>
public sealed record FakeAnswer(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null, string ContentType = "application/json");

public sealed class FakeMlflowModel
{
    public required string Name { get; init; }
    public Dictionary<string, string> Tags { get; } = [];
    public Dictionary<string, string> Aliases { get; } = [];
    public string? Description { get; set; }
}

public sealed class FakeMlflowVersion
{
    public required string Model { get; init; }
    public required string Version { get; init; }
    public string Stage { get; set; } = "None";
    public string? UserId { get; set; }
    public string? RunId { get; set; }
    public string Source { get; set; } = "s3://acme-models-prod/artifacts/x";
    public string Status { get; set; } = "READY";
    public Dictionary<string, string> Tags { get; } = [];
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }
    /// <summary>MLflow 3: the logged model this version registers.</summary>
    public string? ModelId { get; set; }
}

/// <summary>A metric point; <see cref="Value"/> is raw JSON (<c>0.1</c>, <c>"NaN"</c>).</summary>
public sealed record FakeMetric(string Key, string Value, DateTimeOffset At, long Step = 0);

public sealed record FakeDataset(string Name, string? Digest, string? Context = "training");

public sealed class FakeRun
{
    public required string RunId { get; init; }
    public string Status { get; set; } = "FINISHED";
    public string? User { get; set; }
    public string ArtifactUri { get; set; } = "s3://acme-models-prod/1/run/artifacts";
    public List<FakeMetric> Metrics { get; } = [];
    public List<FakeDataset> Datasets { get; } = [];
    public bool OmitInputs { get; set; }
}

public sealed class FakeHubModel
{
    public required string Id { get; init; }
    public required string Sha { get; init; }
    public string? License { get; set; } = "apache-2.0";
    public string? LicenseName { get; set; }
    public List<string> Datasets { get; } = ["imdb"];
    public bool ModelIndex { get; set; } = true;
    public bool Readme { get; set; } = true;
    public string Gated { get; set; } = "false";
    public bool Private { get; set; }
}

public sealed class FakeAmlVersion
{
    public required string Model { get; init; }
    public required string Version { get; init; }
    public string Stage { get; set; } = "Development";
    public string CreatedBy { get; set; } = "dana@example.com";
    public Dictionary<string, string> Properties { get; } = [];
    public string? JobName { get; set; }
}

/// <summary>
/// MLflow REST 2.0, the Hugging Face Hub API and the Azure ML ARM surface on one loopback server (WireMock.Net),
/// answering with the shapes of model-registries.md §6: proto2 JSON that omits empty lists (an empty search is <c>{}</c>),
/// int64 timestamps as numbers, <c>"NaN"</c> metric values as strings, MLflow error bodies, Hub <c>X-Error-Code</c>
/// headers, ARM <c>{"error":{…}}</c> and <c>nextLink</c> paging. Scripted answers override any path prefix.
/// </summary>
public sealed class FakeRegistries : IDisposable
{
    public const string Sub = "00000000-0000-0000-0000-000000000001";
    public const string Ws = "/subscriptions/" + Sub + "/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ml-prod";
    public const string SharedRegistry = "/subscriptions/" + Sub + "/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/registries/shared";

    private readonly WireMockServer _server;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<FakeAnswer>> _once = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeAnswer> _always = new(StringComparer.Ordinal);

    private FakeRegistries(TimeSpan latency)
    {
        _server = WireMockServer.Start(new WireMock.Settings.WireMockServerSettings { MaxRequestLogCount = 0 });
        _server.Given(Request.Create().UsingAnyMethod().WithPath("/*")).RespondWith(Response.Create().WithCallback(async request =>
        {
            var answer = Respond(request);
            if (latency > TimeSpan.Zero)
                await Task.Delay(latency);
            return answer;
        }));
    }

    public static FakeRegistries Start(TimeSpan latency = default) => new(latency);

    public Uri Url => new(_server.Url!.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));

    public List<FakeMlflowModel> Models { get; } = [];
    public List<FakeMlflowVersion> Versions { get; } = [];
    public Dictionary<string, FakeRun> Runs { get; } = [];
    public List<FakeHubModel> Hub { get; } = [];
    public List<(string Name, Dictionary<string, string> Tags)> AmlModels { get; } = [];
    public List<FakeAmlVersion> AmlVersions { get; } = [];
    public List<JsonObject> Schedules { get; } = [];
    /// <summary>Azure ML jobs by name: status and the training input's asset id.</summary>
    public Dictionary<string, (string Status, string Input)> AmlJobs { get; } = [];

    /// <summary>Largest page the fake serves, whatever max_results asks (forces paging in tests).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>When set, the Hub wants <c>Authorization: Bearer VALUE</c> for private models.</summary>
    public string? HubToken { get; set; }

    /// <summary>When false, the MLflow server has no logged models (2.x): a plain-text 404.</summary>
    public bool LoggedModels { get; set; }

    /// <summary>When set, Hub model answers carry a strong ETag and a matching If-None-Match gets 304 Not Modified.</summary>
    public bool HubEtags { get; set; }

    /// <summary>How many requests were answered 304 Not Modified.</summary>
    public int NotModified => _notModified;

    private int _notModified;

    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Each request with the <see cref="System.Diagnostics.Stopwatch"/> timestamp it arrived at (for the bench).</summary>
    public IReadOnlyList<(string Request, long At)> Timeline => [.. _timeline];

    private readonly ConcurrentQueue<(string, long)> _timeline = new();

    /// <summary>The Authorization header of each request, in arrival order ("" when none).</summary>
    public IReadOnlyList<string> Authorizations => [.. _authorizations];

    private readonly ConcurrentQueue<string> _authorizations = new();

    public void Once(string prefix, params FakeAnswer[] answers)
    {
        var q = _once.GetOrAdd(prefix, _ => new ConcurrentQueue<FakeAnswer>());
        foreach (var a in answers)
            q.Enqueue(a);
    }

    public void Always(string prefix, FakeAnswer answer) => _always[prefix] = answer;

    public static FakeAnswer MlflowError(int status, string code, string message) =>
        new(status, new JsonObject { ["error_code"] = code, ["message"] = message }.ToJsonString());

    public void Dispose() => _server.Dispose();

    private ResponseMessage Respond(IRequestMessage request)
    {
        var target = request.Path + (string.IsNullOrEmpty(request.RawQuery) ? "" : "?" + request.RawQuery.TrimStart('?'));
        _requests.Enqueue($"{request.Method} {target}");
        _timeline.Enqueue(($"{request.Method} {target}", System.Diagnostics.Stopwatch.GetTimestamp()));
        _authorizations.Enqueue(request.Headers?.FirstOrDefault(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault() ?? "");
        foreach (var (prefix, q) in _once)
        {
            if (target.StartsWith(prefix, StringComparison.Ordinal) && q.TryDequeue(out var scripted))
                return ToMessage(scripted);
        }

        foreach (var (prefix, answer) in _always)
        {
            if (target.StartsWith(prefix, StringComparison.Ordinal))
                return ToMessage(answer);
        }

        var query = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in (request.RawQuery ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0].Replace('+', ' '));
            (query.TryGetValue(key, out var list) ? list : query[key] = []).Add(kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : "");
        }

        string? Q(string name) => query.TryGetValue(name, out var v) ? v[0] : null;
        var path = request.Path;
        if (path.StartsWith("/api/2.0/mlflow/", StringComparison.Ordinal))
            return ToMessage(Mlflow(path["/api/2.0/mlflow/".Length..], Q));
        if (path.StartsWith("/api/models/", StringComparison.Ordinal))
            return ToMessage(HubEtags ? Revalidate(HubModel(path["/api/models/".Length..], request), request) : HubModel(path["/api/models/".Length..], request));
        if (path.StartsWith(Ws, StringComparison.Ordinal))
            return ToMessage(Arm(path[Ws.Length..], Q));
        if (path.StartsWith(SharedRegistry, StringComparison.Ordinal) && path[SharedRegistry.Length..].StartsWith("/models", StringComparison.Ordinal))
            return ToMessage(Arm(path[SharedRegistry.Length..], Q));
        return ToMessage(new FakeAnswer(404, "Not Found", ContentType: "text/plain"));
    }

    // Per-search indexes, so a registry of thousands of versions answers in linear time.
    [ThreadStatic]
    private static ILookup<string, FakeMlflowVersion>? _byModel;
    [ThreadStatic]
    private static Dictionary<string, FakeMlflowModel>? _models;

    private FakeAnswer Mlflow(string rpc, Func<string, string?> q)
    {
        _byModel = Versions.ToLookup(v => v.Model);
        _models = Models.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Last());
        switch (rpc)
        {
            case "registered-models/search":
                return Page(Models.OrderBy(m => m.Name, StringComparer.Ordinal).Select(ModelJson).ToList(), "registered_models", q, 1000);
            case "model-versions/search":
                return Page(Versions.OrderBy(v => v.Model, StringComparer.Ordinal).ThenBy(v => int.Parse(v.Version, CultureInfo.InvariantCulture)).Select(VersionJson).ToList(), "model_versions", q, 200000);
            case "registered-models/alias":
            {
                var model = Models.FirstOrDefault(m => m.Name == q("name"));
                if (model is null)
                    return MlflowError(404, "RESOURCE_DOES_NOT_EXIST", $"Registered Model with name={q("name")} not found");
                if (!model.Aliases.TryGetValue(q("alias") ?? "", out var version))
                    return MlflowError(400, "INVALID_PARAMETER_VALUE", $"Registered model alias {q("alias")} not found.");
                return new FakeAnswer(200, new JsonObject { ["model_version"] = VersionJson(Versions.Single(v => v.Model == model.Name && v.Version == version)) }.ToJsonString());
            }

            case "runs/get":
                return Runs.TryGetValue(q("run_id") ?? "", out var run)
                    ? new FakeAnswer(200, new JsonObject { ["run"] = RunJson(run) }.ToJsonString())
                    : MlflowError(404, "RESOURCE_DOES_NOT_EXIST", $"Run with id={q("run_id")} not found");
            case "metrics/get-history":
            {
                if (!Runs.TryGetValue(q("run_id") ?? "", out var r))
                    return MlflowError(404, "RESOURCE_DOES_NOT_EXIST", $"Run with id={q("run_id")} not found");
                var points = r.Metrics.Where(m => m.Key == q("metric_key")).OrderBy(m => m.At).Select(MetricJson).ToList();
                return Page(points, "metrics", q, int.MaxValue);
            }

            default:
                if (rpc.StartsWith("logged-models/", StringComparison.Ordinal))
                {
                    return LoggedModels
                        ? new FakeAnswer(200, new JsonObject { ["model"] = new JsonObject { ["info"] = new JsonObject
                        {
                            ["model_id"] = rpc[14..], ["status"] = "LOGGED_MODEL_READY",
                            ["source_run_id"] = Versions.FirstOrDefault(v => v.ModelId == rpc[14..])?.RunId ?? "",
                        } } }.ToJsonString())
                        : new FakeAnswer(404, "<!doctype html><title>404 Not Found</title>", ContentType: "text/html");
                }

                return MlflowError(404, "ENDPOINT_NOT_FOUND", "No API found for " + rpc);
        }
    }

    private FakeAnswer Page(List<JsonObject> items, string key, Func<string, string?> q, int max)
    {
        var asked = int.TryParse(q("max_results"), CultureInfo.InvariantCulture, out var m) ? m : int.MaxValue;
        if (asked > max && q("max_results") is not null)
            return MlflowError(400, "INVALID_PARAMETER_VALUE", $"Invalid value for request parameter max_results. It must be at most {max}, but got value {asked}");
        var size = Math.Min(asked, PageSize);
        var offset = q("page_token") is { } t ? int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(t)), CultureInfo.InvariantCulture) : 0;
        var body = new JsonObject();
        var page = items.Skip(offset).Take(size).ToList();
        if (page.Count > 0)
            body[key] = new JsonArray([.. page]);
        if (offset + size < items.Count)
            body["next_page_token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + size).ToString(CultureInfo.InvariantCulture)));
        return new FakeAnswer(200, body.ToJsonString());
    }

    private static JsonArray Tags(Dictionary<string, string> tags) => new([.. tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]);

    private JsonObject ModelJson(FakeMlflowModel m)
    {
        var o = new JsonObject { ["name"] = m.Name, ["creation_timestamp"] = 1735689600000, ["last_updated_timestamp"] = 1740000000000 };
        if (m.Description is not null)
            o["description"] = m.Description;
        var latest = (_byModel ?? Versions.ToLookup(v => v.Model))[m.Name].GroupBy(v => v.Stage).Select(g => (JsonNode)VersionJson(g.Last())).ToArray();
        if (latest.Length > 0)
            o["latest_versions"] = new JsonArray(latest);
        if (m.Tags.Count > 0)
            o["tags"] = Tags(m.Tags);
        if (m.Aliases.Count > 0)
            o["aliases"] = new JsonArray([.. m.Aliases.Select(a => (JsonNode)new JsonObject { ["alias"] = a.Key, ["version"] = a.Value })]);
        return o;
    }

    private JsonObject VersionJson(FakeMlflowVersion v)
    {
        var o = new JsonObject
        {
            ["name"] = v.Model, ["version"] = v.Version, ["creation_timestamp"] = v.Created.ToUnixTimeMilliseconds(),
            ["last_updated_timestamp"] = v.Updated.ToUnixTimeMilliseconds(), ["current_stage"] = v.Stage, ["source"] = v.Source, ["status"] = v.Status,
        };
        if (v.UserId is not null)
            o["user_id"] = v.UserId;
        if (v.RunId is not null && v.ModelId is null)
            o["run_id"] = v.RunId;
        if (v.ModelId is not null)
            o["model_id"] = v.ModelId;
        if (v.Tags.Count > 0)
            o["tags"] = Tags(v.Tags);
        var aliases = (_models?.GetValueOrDefault(v.Model) ?? Models.FirstOrDefault(m => m.Name == v.Model))?.Aliases.Where(a => a.Value == v.Version).Select(a => (JsonNode)JsonValue.Create(a.Key)!).ToArray() ?? [];
        if (aliases.Length > 0)
            o["aliases"] = new JsonArray(aliases);
        return o;
    }

    private static JsonObject MetricJson(FakeMetric m) => new()
    {
        ["key"] = m.Key, ["value"] = JsonNode.Parse(m.Value), ["timestamp"] = m.At.ToUnixTimeMilliseconds(), ["step"] = m.Step,
    };

    private static JsonObject RunJson(FakeRun r)
    {
        var tags = new Dictionary<string, string>();
        if (r.User is not null)
            tags["mlflow.user"] = r.User;
        var latest = r.Metrics.GroupBy(m => m.Key).Select(g => (JsonNode)MetricJson(g.OrderBy(m => m.Step).ThenBy(m => m.At).Last())).ToArray();
        var data = new JsonObject();
        if (latest.Length > 0)
            data["metrics"] = new JsonArray(latest);
        if (tags.Count > 0)
            data["tags"] = Tags(tags);
        var run = new JsonObject
        {
            ["info"] = new JsonObject
            {
                ["run_id"] = r.RunId, ["run_uuid"] = r.RunId, ["experiment_id"] = "1", ["status"] = r.Status,
                ["start_time"] = 1735689600000, ["end_time"] = 1735693200000, ["artifact_uri"] = r.ArtifactUri, ["lifecycle_stage"] = "active",
            },
            ["data"] = data,
        };
        if (!r.OmitInputs && r.Datasets.Count > 0)
        {
            run["inputs"] = new JsonObject
            {
                ["dataset_inputs"] = new JsonArray([.. r.Datasets.Select(d =>
                {
                    var ds = new JsonObject { ["name"] = d.Name, ["source_type"] = "s3", ["source"] = "{\"uri\":\"s3://acme-data/" + d.Name + "\"}" };
                    if (d.Digest is not null)
                        ds["digest"] = d.Digest;
                    var input = new JsonObject { ["dataset"] = ds };
                    if (d.Context is not null)
                        input["tags"] = Tags(new() { ["mlflow.data.context"] = d.Context });
                    return (JsonNode)input;
                })]),
            };
        }

        return run;
    }

    private FakeAnswer HubModel(string rest, IRequestMessage request)
    {
        var parts = rest.Split("/revision/", 2);
        var id = Uri.UnescapeDataString(parts[0]);
        var revision = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
        var auth = request.Headers?.FirstOrDefault(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        var m = Hub.FirstOrDefault(h => h.Id == id);
        if (m is null || (m.Private && auth != "Bearer " + HubToken))
        {
            return auth is null
                ? HubError(401, "RepoNotFound", "Repository not found")
                : HubError(404, "RepoNotFound", "Repository not found");
        }

        if (revision is not null && revision != m.Sha && revision != "main")
            return HubError(404, "RevisionNotFound", $"Invalid rev id: {revision}");
        var card = new JsonObject();
        if (m.License is not null)
            card["license"] = m.License;
        if (m.LicenseName is not null)
        {
            card["license_name"] = m.LicenseName;
            card["license_link"] = "LICENSE";
        }

        if (m.Datasets.Count == 1)
            card["datasets"] = m.Datasets[0];
        else if (m.Datasets.Count > 1)
            card["datasets"] = new JsonArray([.. m.Datasets.Select(d => (JsonNode)JsonValue.Create(d)!)]);
        var tags = new JsonArray(["transformers", "pytorch", .. m.Datasets.Select(d => (JsonNode)JsonValue.Create("dataset:" + d)!)]);
        if (m.License is not null)
            tags.Add("license:" + m.License);
        var body = new JsonObject
        {
            ["_id"] = "6500000000000000000000aa", ["id"] = m.Id, ["sha"] = m.Sha, ["private"] = m.Private,
            ["gated"] = m.Gated == "false" ? false : m.Gated, ["lastModified"] = "2025-11-04T10:12:31.000Z", ["createdAt"] = "2024-02-01T08:00:00.000Z",
            ["tags"] = tags,
            ["siblings"] = new JsonArray([.. (m.Readme ? new[] { "README.md", "config.json" } : ["config.json"]).Select(f => (JsonNode)new JsonObject { ["rfilename"] = f })]),
        };
        if (m.Readme)
            body["cardData"] = card;
        if (m.ModelIndex)
        {
            body["model-index"] = JsonNode.Parse("""[{"name":"m","results":[{"task":{"type":"text-classification"},"dataset":{"type":"imdb","name":"IMDB"},"metrics":[{"type":"accuracy","value":0.93}]}]}]""");
        }

        return new FakeAnswer(200, body.ToJsonString());
    }

    public static FakeAnswer HubError(int status, string code, string message) =>
        new(status, new JsonObject { ["error"] = message }.ToJsonString(), new Dictionary<string, string> { ["X-Error-Code"] = code, ["X-Error-Message"] = message });

    private FakeAnswer Arm(string rest, Func<string, string?> q)
    {
        static string Sys(string by) => new JsonObject
        {
            ["createdAt"] = "2026-01-10T09:00:00.0000000+00:00", ["createdBy"] = by, ["createdByType"] = "User",
            ["lastModifiedAt"] = "2026-01-12T09:00:00.0000000+00:00", ["lastModifiedBy"] = by, ["lastModifiedByType"] = "User",
        }.ToJsonString();
        if (rest == "")
            return new FakeAnswer(200, """{"id":"WS","name":"ml-prod","type":"Microsoft.MachineLearningServices/workspaces","properties":{"publicNetworkAccess":"Disabled"}}""".Replace("WS", Ws, StringComparison.Ordinal));
        if (rest == "/models")
        {
            var items = AmlModels.Select(m => (JsonNode)new JsonObject
            {
                ["id"] = $"{Ws}/models/{m.Name}", ["name"] = m.Name, ["type"] = "Microsoft.MachineLearningServices/workspaces/models",
                ["properties"] = new JsonObject { ["tags"] = new JsonObject([.. m.Tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))]), ["isArchived"] = false },
                ["systemData"] = JsonNode.Parse(Sys("dana@example.com")),
            }).ToList();
            // One page per container, so nextLink is exercised (with another api-version, followed verbatim).
            var skip = int.TryParse(q("$skip"), CultureInfo.InvariantCulture, out var s) ? s : 0;
            var body = new JsonObject { ["value"] = new JsonArray([.. items.Skip(skip).Take(1).Select(i => i!.DeepClone())]) };
            if (skip + 1 < items.Count)
                body["nextLink"] = $"{Url.AbsoluteUri.TrimEnd('/')}{Ws}/models?api-version=2025-07-01-preview&listViewType=ActiveOnly&$skip={skip + 1}";
            return new FakeAnswer(200, body.ToJsonString());
        }

        if (rest.StartsWith("/models/", StringComparison.Ordinal) && rest.EndsWith("/versions", StringComparison.Ordinal))
        {
            var name = Uri.UnescapeDataString(rest[8..^9]);
            var items = AmlVersions.Where(v => v.Model == name).Select(v => (JsonNode)new JsonObject
            {
                ["id"] = $"{Ws}/models/{name}/versions/{v.Version}", ["name"] = v.Version,
                ["properties"] = new JsonObject
                {
                    ["stage"] = v.Stage, ["modelType"] = "mlflow_model", ["modelUri"] = $"azureml://subscriptions/{Sub}/workspaces/ml-prod/datastores/workspaceblobstore/paths/{name}/{v.Version}",
                    ["jobName"] = v.JobName, ["tags"] = new JsonObject(),
                    ["properties"] = new JsonObject([.. v.Properties.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))]),
                    ["flavors"] = JsonNode.Parse("""{"mlflow":{"data":{}}}"""), ["isArchived"] = false, ["provisioningState"] = "Succeeded",
                },
                ["systemData"] = JsonNode.Parse(Sys(v.CreatedBy)),
            }).ToList();
            return new FakeAnswer(200, new JsonObject { ["value"] = new JsonArray([.. items]) }.ToJsonString());
        }

        if (rest.StartsWith("/jobs/", StringComparison.Ordinal) && AmlJobs.TryGetValue(Uri.UnescapeDataString(rest[6..]), out var job))
        {
            return new FakeAnswer(200, new JsonObject
            {
                ["id"] = $"{Ws}{rest}", ["name"] = Uri.UnescapeDataString(rest[6..]), ["type"] = "Microsoft.MachineLearningServices/workspaces/jobs",
                ["properties"] = new JsonObject
                {
                    ["jobType"] = "Command", ["experimentName"] = "credit", ["status"] = job.Status,
                    ["inputs"] = new JsonObject { ["training_data"] = new JsonObject { ["jobInputType"] = "mltable", ["uri"] = job.Input } },
                },
                ["systemData"] = JsonNode.Parse(Sys("dana@example.com")),
            }.ToJsonString());
        }

        if (rest == "/schedules")
            return new FakeAnswer(200, new JsonObject { ["value"] = new JsonArray([.. Schedules.Select(s => s.DeepClone())]) }.ToJsonString());
        return new FakeAnswer(404, """{"error":{"code":"ResourceNotFound","message":"The Resource was not found."}}""");
    }

    /// <summary>A CreateMonitor schedule as §2.4 of the research note composes it.</summary>
    public static JsonObject Monitor(string name, string modelAssetId, bool enabled = true, bool alerts = true, double? threshold = 0.1, bool driftSignal = true)
    {
        var signals = new JsonObject
        {
            ["quality"] = JsonNode.Parse("""{"signalType":"DataQuality","metricThresholds":[{"dataType":"Numerical","metric":"NullValueRate","threshold":{"value":0.01}}]}"""),
        };
        if (driftSignal)
        {
            var thresholdJson = threshold is null ? "null" : "{\"value\":" + threshold.Value.ToString(CultureInfo.InvariantCulture) + "}";
            signals["drift"] = JsonNode.Parse("""{"signalType":"DataDrift","notificationTypes":["AmlNotification"],"features":{"filterType":"TopNByAttribution","top":10},"metricThresholds":[{"dataType":"Numerical","metric":"JensenShannonDistance","threshold":THRESHOLD}],"productionData":{"inputDataType":"Rolling","uri":"azureml:credit-inputs:1","windowSize":"P7D"},"referenceData":{"inputDataType":"Fixed","uri":"azureml:credit-reference:1","dataContext":"training"}}""".Replace("THRESHOLD", thresholdJson, StringComparison.Ordinal));
            signals["fad"] = JsonNode.Parse("""{"signalType":"FeatureAttributionDrift","metricThreshold":{"metric":"NormalizedDiscountedCumulativeGain","threshold":{"value":0.9}},"productionData":[{"inputDataType":"Rolling","uri":"azureml:credit-inputs:1"}]}""");
        }

        var definition = new JsonObject
        {
            ["computeConfiguration"] = JsonNode.Parse("""{"computeType":"ServerlessSpark","instanceType":"standard_e4s_v3","runtimeVersion":"3.3"}"""),
            ["monitoringTarget"] = new JsonObject { ["taskType"] = "Classification", ["modelId"] = modelAssetId },
            ["signals"] = signals,
        };
        if (alerts)
            definition["alertNotificationSettings"] = JsonNode.Parse("""{"emailNotificationSettings":{"emails":["ml-oncall@example.com"]}}""");
        return new JsonObject
        {
            ["id"] = $"{Ws}/schedules/{name}", ["name"] = name, ["type"] = "Microsoft.MachineLearningServices/workspaces/schedules",
            ["properties"] = new JsonObject
            {
                ["displayName"] = name, ["isEnabled"] = enabled, ["provisioningState"] = "Succeeded",
                ["trigger"] = JsonNode.Parse("""{"triggerType":"Recurrence","frequency":"Day","interval":1,"schedule":{"hours":[3],"minutes":[15]},"timeZone":"UTC"}"""),
                ["action"] = new JsonObject { ["actionType"] = "CreateMonitor", ["monitorDefinition"] = definition },
            },
        };
    }

    public static JsonObject JobSchedule(string name) => new()
    {
        ["id"] = $"{Ws}/schedules/{name}", ["name"] = name,
        ["properties"] = new JsonObject { ["isEnabled"] = true, ["action"] = new JsonObject { ["actionType"] = "CreateJob", ["jobDefinition"] = new JsonObject { ["jobType"] = "Command" } } },
    };

    /// <summary>A 200 with an ETag (a digest of its body); 304 without a body when the request's If-None-Match names it.</summary>
    private FakeAnswer Revalidate(FakeAnswer answer, IRequestMessage request)
    {
        if (answer.Status != 200 || answer.Body is null)
            return answer;
        var etag = "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(answer.Body)))[..16] + "\"";
        var asked = request.Headers?.FirstOrDefault(h => string.Equals(h.Key, "If-None-Match", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        if (asked == etag)
        {
            Interlocked.Increment(ref _notModified);
            return new FakeAnswer(304, Headers: new Dictionary<string, string> { ["ETag"] = etag });
        }

        var headers = new Dictionary<string, string>(answer.Headers ?? new Dictionary<string, string>()) { ["ETag"] = etag };
        return answer with { Headers = headers };
    }

    private static ResponseMessage ToMessage(FakeAnswer answer)
    {
        var headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in answer.Headers ?? new Dictionary<string, string>())
            headers[k] = new(v);
        var message = new ResponseMessage { StatusCode = answer.Status, Headers = headers };
        if (answer.Body is not null)
        {
            headers["Content-Type"] = new(answer.ContentType);
            message.BodyData = new BodyData { BodyAsString = answer.Body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 };
        }

        return message;
    }
}
