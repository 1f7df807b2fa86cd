using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Http;
using EvidenceBot.Sources.Models.Http;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Models.Tests.Fake;

/// <summary>
/// The demo model estate of Orbital Labs: an MLflow registry, an Azure ML workspace and two Hugging Face models,
/// some governed and some not. <see cref="RecordAsync"/> runs every model rule against it on the fake and writes each
/// exchange as the replay folder <c>examples/demo/models</c>. Verdicts do not drift with time only as long as the
/// demo runs at <see cref="RecordedAt"/>: evaluation and drift windows are relative to the run's clock.
/// </summary>
internal static partial class DemoEstate
{
    public const string Mlflow = "orbital-mlflow";
    public const string Hub = "orbital-hub";
    public const string Aml = "orbital-aml";
    public const string SentimentSha = "5a1c3e7b9d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c";
    public const string ChatSha = "c0ffee0123456789abcdef0123456789abcdef01";

    public static readonly DateTimeOffset RecordedAt = TestSupport.Now;

    /// <summary>
    /// Parameters the demo configuration sets: the approved artifact stores, and windows of 1,500 days so the recording
    /// keeps its verdicts when the demo runs on today's clock (until about 2030); production defaults are 7, 30 and 180 days.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, object> Parameters = new Dictionary<string, object>
    {
        ["MODEL-ARTIFACT-ORIGIN"] = new { approvedLocations = new[] { "s3://orbital-models-prod/", "azureml://subscriptions/" + FakeRegistries.Sub + "/workspaces/ml-prod/" } },
        ["MODEL-DRIFT"] = new { windowDays = 1500 },
        ["MODEL-EVALUATION"] = new { maxAgeDays = 1500 },
        ["MODEL-STALE-PRODUCTION"] = new { maxAgeDays = 1500 },
    };

    /// <summary>The verdict of each rule on each registry.</summary>
    public static readonly IReadOnlyDictionary<(string Rule, string Target), Verdict> Expected = new Dictionary<(string, string), Verdict>
    {
        [("MODEL-INVENTORY", Mlflow)] = Verdict.Fail, // support-router is undocumented
        [("MODEL-INVENTORY", Aml)] = Verdict.Pass,
        [("MODEL-INVENTORY", Hub)] = Verdict.NotApplicable,
        [("MODEL-TRAINING-LINEAGE", Mlflow)] = Verdict.Pass,
        [("MODEL-TRAINING-LINEAGE", Aml)] = Verdict.Pass,
        [("MODEL-TRAINING-LINEAGE", Hub)] = Verdict.NotApplicable,
        [("MODEL-FOUR-EYES", Mlflow)] = Verdict.Fail, // fraud-detector is self-approved
        [("MODEL-FOUR-EYES", Aml)] = Verdict.Pass,
        [("MODEL-FOUR-EYES", Hub)] = Verdict.NotApplicable,
        [("MODEL-EVALUATION", Mlflow)] = Verdict.Pass,
        [("MODEL-EVALUATION", Aml)] = Verdict.NotApplicable,
        [("MODEL-EVALUATION", Hub)] = Verdict.NotApplicable,
        [("MODEL-DRIFT", Mlflow)] = Verdict.Fail, // churn-predictor drifts on tenure; pricing-engine has no drift data in the window
        [("MODEL-DRIFT", Aml)] = Verdict.NotApplicable,
        [("MODEL-DRIFT", Hub)] = Verdict.NotApplicable,
        [("MODEL-AML-MONITOR", Mlflow)] = Verdict.NotApplicable,
        [("MODEL-AML-MONITOR", Aml)] = Verdict.Fail, // churn-aml has only a disabled monitor
        [("MODEL-AML-MONITOR", Hub)] = Verdict.NotApplicable,
        [("MODEL-ARTIFACT-ORIGIN", Mlflow)] = Verdict.Pass,
        [("MODEL-ARTIFACT-ORIGIN", Aml)] = Verdict.Pass,
        [("MODEL-ARTIFACT-ORIGIN", Hub)] = Verdict.NotApplicable,
        [("MODEL-HF-THIRD-PARTY", Mlflow)] = Verdict.NotApplicable,
        [("MODEL-HF-THIRD-PARTY", Aml)] = Verdict.NotApplicable,
        [("MODEL-HF-THIRD-PARTY", Hub)] = Verdict.Fail, // chat-small: licence other, no datasets
        [("MODEL-FAIRNESS", Mlflow)] = Verdict.Pass,
        [("MODEL-FAIRNESS", Aml)] = Verdict.NotApplicable,
        [("MODEL-FAIRNESS", Hub)] = Verdict.NotApplicable,
        [("MODEL-STALE-PRODUCTION", Mlflow)] = Verdict.Pass,
        [("MODEL-STALE-PRODUCTION", Aml)] = Verdict.NotApplicable,
        [("MODEL-STALE-PRODUCTION", Hub)] = Verdict.NotApplicable,
    };

    public static void Build(FakeRegistries fake)
    {
        var now = RecordedAt;

        FakeMlflowVersion Model(string name, string risk, bool documented, string creator, string approver, string driftRun)
        {
            var m = new FakeMlflowModel { Name = name, Description = $"Orbital Labs {name.Replace('-', ' ')}" };
            if (documented)
            {
                m.Tags["owner"] = "ml-platform@orbital.example";
                m.Tags["intended_purpose"] = $"{name.Replace('-', ' ')} for Orbital Labs customers";
                m.Tags["risk_level"] = risk;
                m.Tags["model_card"] = $"https://wiki.orbital.example/models/{name}";
                if (risk == "high")
                    m.Tags["human_oversight"] = "An analyst reviews every adverse decision";
            }

            m.Aliases["champion"] = "2";
            fake.Models.Add(m);
            FakeMlflowVersion champion = null!;
            for (var i = 1; i <= 2; i++)
            {
                var runId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{name}/{i}")))[..32];
                var v = new FakeMlflowVersion
                {
                    Model = name, Version = i.ToString(CultureInfo.InvariantCulture), UserId = creator, RunId = runId, Source = $"runs:/{runId}/model",
                    Created = now.AddDays(-60 + (i * 20)), Updated = now.AddDays(-14),
                };
                fake.Versions.Add(v);
                var run = new FakeRun { RunId = runId, User = creator, ArtifactUri = $"s3://orbital-models-prod/7/{runId}/artifacts" };
                run.Datasets.Add(new FakeDataset($"{name}-train-2026-01", "e3b0c44298fc1c14"));
                run.Datasets.Add(new FakeDataset($"{name}-holdout-2026-01", "9f86d081884c7d65", "eval"));
                run.Metrics.Add(new FakeMetric("eval.accuracy", "0.89", now.AddDays(-12)));
                if (risk == "high")
                    run.Metrics.Add(new FakeMetric("eval.demographic_parity_difference", "0.04", now.AddDays(-12)));
                fake.Runs[runId] = run;
                champion = v;
            }

            champion.Tags["approved_by"] = approver;
            champion.Tags["approval_date"] = now.AddDays(-15).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            champion.Tags["promotion_date"] = now.AddDays(-14).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            champion.Tags["drift_run_id"] = driftRun;
            return champion;
        }

        FakeRun Drift(string runId, DateTimeOffset at, params (string Feature, string Psi, string Ks)[] features)
        {
            var run = new FakeRun { RunId = runId, User = "drift-monitor@orbital.example" };
            foreach (var (feature, psi, ks) in features)
            {
                run.Metrics.Add(new FakeMetric($"drift.psi.{feature}", psi, at, 52));
                run.Metrics.Add(new FakeMetric($"drift.ks_pvalue.{feature}", ks, at, 52));
            }

            fake.Runs[runId] = run;
            return run;
        }

        // Documented, approved by someone else, monitored, evaluated: passes every rule.
        Model("credit-scoring", "high", documented: true, "alice@orbital.example", "bob@orbital.example", "d41d8cd98f00b204e9800998ecf8427e")
            .Tags["monitored_features"] = "age,income,utilisation";
        Drift("d41d8cd98f00b204e9800998ecf8427e", now.AddDays(-1), ("age", "0.04", "0.52"), ("income", "0.07", "0.31"), ("utilisation", "0.11", "0.12"));

        // Drifting: PSI of tenure over the 0.2 threshold.
        Model("churn-predictor", "limited", documented: true, "carol@orbital.example", "bob@orbital.example", "6f1ed002ab5595859014ebf0951522d9")
            .Tags["monitored_features"] = "tenure,monthly_spend";
        Drift("6f1ed002ab5595859014ebf0951522d9", now.AddDays(-2), ("tenure", "0.34", "0.21"), ("monthly_spend", "0.06", "0.44"));

        // Undocumented: no owner, purpose, risk level or card.
        Model("support-router", "limited", documented: false, "dave@orbital.example", "erin@orbital.example", "1f3870be274f6c49b3e31a0c6728957f");
        Drift("1f3870be274f6c49b3e31a0c6728957f", now.AddDays(-1), ("ticket_length", "0.02", "0.77"));

        // Self-approved promotion.
        Model("fraud-detector", "high", documented: true, "mallory@orbital.example", "mallory@orbital.example", "c4ca4238a0b923820dcc509a6f75849b");
        Drift("c4ca4238a0b923820dcc509a6f75849b", now.AddDays(-1), ("amount", "0.05", "0.63"));

        // No drift data in the window: the monitoring run last wrote in 2020 and was never switched back on.
        Model("pricing-engine", "limited", documented: true, "frank@orbital.example", "alice@orbital.example", "c81e728d9d4c2f636f067f89cc14862c");
        Drift("c81e728d9d4c2f636f067f89cc14862c", now.AddDays(-2000), ("basket_size", "0.03", "0.58"));

        // Azure ML: credit-aml has an enabled monitor, churn-aml only a disabled one.
        foreach (var (name, monitored) in new[] { ("credit-aml", true), ("churn-aml", false) })
        {
            fake.AmlModels.Add((name, new Dictionary<string, string>
            {
                ["owner"] = "ml-platform@orbital.example", ["intended_purpose"] = $"{name} scoring", ["risk_level"] = "limited",
                ["model_card"] = $"https://wiki.orbital.example/models/{name}",
            }));
            var v = new FakeAmlVersion { Model = name, Version = "3", Stage = "Production", JobName = $"{name}-train-42", CreatedBy = "dana@orbital.example" };
            v.Properties["approved_by"] = "bob@orbital.example";
            v.Properties["approval_date"] = "2026-01-11";
            fake.AmlVersions.Add(v);
            fake.AmlJobs[v.JobName] = ("Completed", $"azureml:{name}-train:4");
            fake.Schedules.Add(FakeRegistries.Monitor($"{name}-monitor", $"azureml:{name}:3", enabled: monitored));
        }

        fake.Schedules.Add(FakeRegistries.JobSchedule("nightly-retrain"));

        // Hugging Face: one well-documented model, one with licence "other" and no datasets.
        fake.Hub.Add(new FakeHubModel { Id = "orbital-vendor/sentiment-base", Sha = SentimentSha });
        var chat = new FakeHubModel { Id = "someorg/chat-small", Sha = ChatSha, License = "other", LicenseName = "someorg-community-license", ModelIndex = false };
        chat.Datasets.Clear();
        fake.Hub.Add(chat);
    }

    /// <summary>The registries as the demo configures them (replay or a fake's URL).</summary>
    public static ModelsOptions Options(Uri url, IExchangeSink? sink, HttpMessageHandler? transport) => new()
    {
        Registries =
        [
            new RegistryOptions { Name = Mlflow, Kind = RegistryKind.MLflow, Url = url },
            new RegistryOptions
            {
                Name = Aml, Kind = RegistryKind.AzureMachineLearning, Url = url, SubscriptionId = FakeRegistries.Sub, ResourceGroup = "rg-ml", Workspace = "ml-prod",
            },
            new RegistryOptions
            {
                Name = Hub, Kind = RegistryKind.HuggingFace, Url = url,
                Models = [new PinnedModel("orbital-vendor/sentiment-base", SentimentSha), new PinnedModel("someorg/chat-small", ChatSha)],
            },
        ],
        Policy = new RegistryHttpPolicy { MaxRetries = 0 },
        Sink = sink,
        Transport = transport,
    };

    /// <summary>Runs every model rule on every registry; returns the results.</summary>
    public static async Task<IReadOnlyList<RuleExecutionResult>> RunAsync(ModelsSession session, DateTimeOffset? at = null)
    {
        var clock = new FakeTimeProvider(at ?? RecordedAt);
        var engine = new RuleEngine(new EngineOptions(), clock);
        var executions = new List<RuleExecution>();
        foreach (var rule in Rules.RuleHarness.Rules)
        {
            foreach (var target in session.Targets)
            {
                var p = new Dictionary<string, JsonElement>(rule.Manifest.Parameters);
                if (Parameters.TryGetValue(rule.Manifest.Id, out var extra))
                {
                    foreach (var e in JsonSerializer.SerializeToElement(extra).EnumerateObject())
                        p[e.Name] = e.Value.Clone();
                }

                executions.Add(new RuleExecution(rule, target, p, session.ServicesFor(target)));
            }
        }

        var results = new List<RuleExecutionResult>();
        foreach (var e in executions)
            results.Add(await engine.ExecuteAsync(e));
        return results;
    }

    /// <summary>Records the estate into <paramref name="outDirectory"/>; returns how many exchanges were written.</summary>
    public static async Task<int> RecordAsync(string outDirectory)
    {
        using var fake = FakeRegistries.Start();
        Build(fake);
        var sink = new FileSink();
        using (var session = new ModelsSession(Options(fake.Url, sink, null), new FakeTimeProvider(RecordedAt)))
        {
            foreach (var r in await RunAsync(session))
            {
                if (Expected[(r.RuleId, r.Target)] != r.Verdict)
                    throw new InvalidOperationException($"{r.RuleId} on {r.Target}: {r.Verdict}, expected {Expected[(r.RuleId, r.Target)]}: {r.Error}");
            }
        }

        if (Directory.Exists(outDirectory))
            Directory.Delete(outDirectory, recursive: true);
        Directory.CreateDirectory(outDirectory);
        var origin = fake.Url.GetLeftPart(UriPartial.Authority);
        foreach (var (name, exchange) in sink.Unique())
        {
            var path = new Uri(exchange.Url).AbsolutePath;
            // The recording reads as the registries': their hosts, not the loopback port it was made on.
            var host = path.StartsWith("/api/2.0/mlflow", StringComparison.Ordinal) ? "https://mlflow.orbital.example"
                : path.StartsWith("/api/models", StringComparison.Ordinal) ? "https://huggingface.co" : "https://management.azure.com";
            var e = exchange with
            {
                Url = exchange.Url.Replace(origin, host, StringComparison.Ordinal),
                ResponseHeaders = exchange.ResponseHeaders.ToDictionary(h => h.Key,
                    h => h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase) ? RecordedAt.ToString("r", CultureInfo.InvariantCulture) : h.Value.Replace(origin, "https://management.azure.com", StringComparison.Ordinal)),
                Body = exchange.Body?.Replace(origin, "https://management.azure.com", StringComparison.Ordinal),
                At = RecordedAt,
            };
            await File.WriteAllBytesAsync(Path.Combine(outDirectory, name), e.ToFileBytes());
        }

        return sink.Unique().Count;
    }

    private sealed partial class FileSink : IExchangeSink
    {
        private readonly Dictionary<string, HttpExchange> _byName = new(StringComparer.Ordinal);

        public void Add(HttpExchange exchange)
        {
            var key = ReplayHandler.Key(exchange.Method, new Uri(exchange.Url));
            var name = Unsafe().Replace(key.Replace("GET /", "", StringComparison.Ordinal).Replace(FakeRegistries.Ws.TrimStart('/'), "arm/ml-prod", StringComparison.Ordinal), "_").Trim('_');
            if (name.Length > 150)
                name = name[..110] + "_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16];
            lock (_byName)
                _byName[name + ".json"] = exchange;
        }

        public IReadOnlyList<(string Name, HttpExchange Exchange)> Unique()
        {
            lock (_byName)
                return [.. _byName.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value))];
        }

        [GeneratedRegex("[^A-Za-z0-9._=-]+")]
        private static partial Regex Unsafe();
    }
}
