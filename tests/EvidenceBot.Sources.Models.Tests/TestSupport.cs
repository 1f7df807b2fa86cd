using EvidenceBot.Core.Evidence;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Models.Http;
using EvidenceBot.Sources.Models.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Models.Tests;

internal static class TestSupport
{
    public static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    public const string HubSha = "3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345";

    /// <summary>Runs <paramref name="work"/> while moving a fake clock forward a second at a time, so retry waits on it pass without sleeping.</summary>
    public static async Task<T> WhileClockRuns<T>(FakeTimeProvider clock, Func<Task<T>> work)
    {
        var task = Task.Run(work);
        while (!task.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(task, Task.Delay(5));
        }

        return await task;
    }

    public static ModelsOptions Options(FakeRegistries fake, Func<RegistryOptions, RegistryOptions>? tweak = null, int maxRetries = 0)
    {
        tweak ??= r => r;
        return new ModelsOptions
        {
            Registries =
            [
                tweak(new RegistryOptions { Name = "mlflow", Kind = RegistryKind.MLflow, Url = fake.Url }),
                tweak(new RegistryOptions { Name = "hub", Kind = RegistryKind.HuggingFace, Url = fake.Url, Models = [new PinnedModel("acme-vendor/sentiment", HubSha)] }),
                tweak(new RegistryOptions
                {
                    Name = "aml", Kind = RegistryKind.AzureMachineLearning, Url = fake.Url, SubscriptionId = FakeRegistries.Sub, ResourceGroup = "rg-ml",
                    Workspace = "ml-prod", Credential = new StaticCredential("arm-token-abcdef"),
                }),
            ],
            // The attempt timeout runs on the tests' fake clock, which WhileClockRuns moves a second at a time: long enough never to cut a loopback answer.
            Policy = new RegistryHttpPolicy { MaxRetries = maxRetries, RetryBaseDelay = TimeSpan.FromMilliseconds(1), AttemptTimeout = TimeSpan.FromMinutes(10) },
            Redactor = new Redactor(["arm-token-abcdef"]),
        };
    }

    private sealed class StaticCredential(string token) : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, Now.AddHours(1));

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}

/// <summary>A governed estate: every rule passes; each test breaks one thing.</summary>
internal static class Estates
{
    public static FakeRegistries Compliant(this FakeRegistries fake)
    {
        var now = TestSupport.Now;
        var model = new FakeMlflowModel { Name = "credit-scoring", Description = "Retail credit default scoring" };
        model.Tags["owner"] = "risk-ml@acme.example";
        model.Tags["intended_purpose"] = "Score retail credit applications for default risk";
        model.Tags["risk_level"] = "high";
        model.Tags["model_card"] = "https://wiki.acme.example/models/credit-scoring";
        model.Tags["human_oversight"] = "Underwriter reviews every decline";
        model.Aliases["champion"] = "3";
        fake.Models.Add(model);
        for (var i = 1; i <= 3; i++)
        {
            var v = new FakeMlflowVersion
            {
                Model = "credit-scoring", Version = i.ToString(System.Globalization.CultureInfo.InvariantCulture), UserId = "alice@acme.example",
                RunId = $"run-credit-{i}", Source = $"runs:/run-credit-{i}/model", Created = now.AddDays(-90 + (i * 20)), Updated = now.AddDays(-19),
            };
            fake.Versions.Add(v);
            var run = new FakeRun { RunId = v.RunId, User = "alice@acme.example", ArtifactUri = $"s3://acme-models-prod/1/run-credit-{i}/artifacts" };
            run.Datasets.Add(new FakeDataset("credit-train-2026q1", "8f14e45f"));
            run.Datasets.Add(new FakeDataset("credit-holdout", "c9f0f895", "eval"));
            run.Metrics.Add(new FakeMetric("eval.accuracy", "0.91", now.AddDays(-10)));
            run.Metrics.Add(new FakeMetric("eval.demographic_parity_difference", "0.03", now.AddDays(-10)));
            fake.Runs[run.RunId] = run;
        }

        var champion = fake.Versions[2];
        champion.Created = now.AddDays(-30);
        champion.Tags["approved_by"] = "bob@acme.example";
        champion.Tags["approval_date"] = now.AddDays(-20).ToString("yyyy-MM-dd");
        champion.Tags["promotion_date"] = now.AddDays(-19).ToString("O");
        champion.Tags["drift_run_id"] = "drift-credit";
        champion.Tags["monitored_features"] = "age,income";
        var drift = new FakeRun { RunId = "drift-credit", User = "monitor-bot" };
        foreach (var (feature, psi, ks) in new[] { ("age", "0.05", "0.41"), ("income", "0.08", "0.33") })
        {
            drift.Metrics.Add(new FakeMetric($"drift.psi.{feature}", psi, now.AddDays(-1), 30));
            drift.Metrics.Add(new FakeMetric($"drift.ks_pvalue.{feature}", ks, now.AddDays(-1), 30));
            drift.Metrics.Add(new FakeMetric($"drift.psi.{feature}", "0.02", now.AddDays(-8), 23));
        }

        fake.Runs[drift.RunId] = drift;

        fake.Hub.Add(new FakeHubModel { Id = "acme-vendor/sentiment", Sha = TestSupport.HubSha });

        fake.AmlModels.Add(("credit-aml", new Dictionary<string, string> { ["owner"] = "risk-ml@acme.example" }));
        var aml = new FakeAmlVersion { Model = "credit-aml", Version = "2", Stage = "Production", JobName = "job-credit-2" };
        aml.Properties["approved_by"] = "bob@acme.example";
        aml.Properties["approval_date"] = "2026-01-11";
        fake.AmlVersions.Add(aml);
        fake.AmlVersions.Add(new FakeAmlVersion { Model = "credit-aml", Version = "1", Stage = "Archived" });
        fake.AmlModels.Add(("churn-aml", []));
        fake.Schedules.Add(FakeRegistries.Monitor("credit-monitor", "azureml:credit-aml:2"));
        fake.Schedules.Add(FakeRegistries.JobSchedule("nightly-retrain"));
        return fake;
    }

    public static FakeMlflowVersion Champion(this FakeRegistries fake) => fake.Versions.Single(v => v.Model == "credit-scoring" && v.Version == "3");

    public static FakeRun DriftRun(this FakeRegistries fake) => fake.Runs["drift-credit"];
}
