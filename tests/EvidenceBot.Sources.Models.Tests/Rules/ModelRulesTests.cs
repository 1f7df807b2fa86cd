using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Models.Tests.Fake;

namespace EvidenceBot.Sources.Models.Tests.Rules;

public sealed class InventoryRuleTests
{
    [Fact]
    public async Task Run_HighRiskVersionWithoutOversight_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Models[0].Tags.Remove("human_oversight");

        var result = await RuleHarness.RunAsync("MODEL-INVENTORY", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "credit-scoring/3" && f.Message.Contains("high risk without human_oversight", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_UndocumentedVersionAndUnknownRiskLevel_FailsNamingTheFields()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Models[0].Tags.Remove("owner");
        fake.Models[0].Tags["risk_level"] = "spicy";

        var result = await RuleHarness.RunAsync("MODEL-INVENTORY", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var finding = Assert.Single(result.Findings);
        Assert.Contains("missing owner", finding.Message, StringComparison.Ordinal);
        Assert.Contains("'spicy' is not one of", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EmptyRegistryAnswersEmptyObject_FailsOutLoudNeverPasses()
    {
        using var fake = FakeRegistries.Start(); // no models: both searches answer {}

        var result = await RuleHarness.RunAsync("MODEL-INVENTORY", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("no registered models", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
        Assert.Contains(result.Evidence, e => e.Body == "{}");
    }

    [Fact]
    public async Task Run_SearchAnswersPlainText401_IsErrorNamingTheAuth()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/2.0/mlflow/registered-models/search", new FakeAnswer(401, "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.",
            new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"mlflow\"" }, "text/plain"));

        var result = await RuleHarness.RunAsync("MODEL-INVENTORY", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("answered 401 (You are not authenticated", result.Error, StringComparison.Ordinal);
        Assert.Contains("auth", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ProxyAnswersHtmlLoginPage_IsErrorNotData()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/2.0/mlflow/", new FakeAnswer(200, "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action=\"/oauth2/start\"></form></body></html>", ContentType: "text/html; charset=utf-8"));

        var result = await RuleHarness.RunAsync("MODEL-INVENTORY", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("login page", result.Error, StringComparison.Ordinal);
        Assert.Contains(result.Evidence, e => e.Body!.Contains("Sign in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_AzureMlVersionWithProperties_IsJudgedFromProperties()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-INVENTORY", fake, registry: "aml");

        Assert.Equal(Verdict.Fail, result.Verdict); // credit-aml/2 carries owner but not purpose, risk or card
        Assert.Contains(result.Findings, f => f.Resource == "credit-aml/2" && f.Message.Contains("missing intended_purpose, risk_level, model_card", StringComparison.Ordinal));
        Assert.Contains(result.Evidence, e => e.Url.Contains("$skip=1", StringComparison.Ordinal) && e.Url.Contains("2025-07-01-preview", StringComparison.Ordinal));
    }
}

public sealed class LineageRuleTests
{
    [Fact]
    public async Task Run_TrainingDatasetWithoutDigest_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Runs["run-credit-3"].Datasets[0] = new FakeDataset("credit-train-2026q1", null);

        var result = await RuleHarness.RunAsync("MODEL-TRAINING-LINEAGE", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("without a digest: credit-train-2026q1", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RunWithoutInputs_FailsNoTrainingDataset()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Runs["run-credit-3"].OmitInputs = true;

        var result = await RuleHarness.RunAsync("MODEL-TRAINING-LINEAGE", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("records no training dataset", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SourceRunDeleted_FailsLineageBroken()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Runs.Remove("run-credit-3");

        var result = await RuleHarness.RunAsync("MODEL-TRAINING-LINEAGE", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("does not exist", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RunsGetFails_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/2.0/mlflow/runs/get", FakeRegistries.MlflowError(500, "INTERNAL_ERROR", "database is locked"));

        var result = await RuleHarness.RunAsync("MODEL-TRAINING-LINEAGE", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("INTERNAL_ERROR: database is locked", result.Error, StringComparison.Ordinal);
    }
}

public sealed class FourEyesRuleTests
{
    [Fact]
    public async Task Run_SelfApproved_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Tags["approved_by"] = "Alice@acme.example";

        var result = await RuleHarness.RunAsync("MODEL-FOUR-EYES", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("self-approved", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoApproval_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Tags.Remove("approved_by");

        var result = await RuleHarness.RunAsync("MODEL-FOUR-EYES", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("no approval recorded", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ApprovedAfterPromotion_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Tags["approval_date"] = TestSupport.Now.AddDays(-2).ToString("yyyy-MM-dd");

        var result = await RuleHarness.RunAsync("MODEL-FOUR-EYES", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("after the promotion", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CreatorFromRunTagWhenVersionHasNoUser_SelfApprovalStillCaught()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().UserId = null; // OSS often leaves user_id empty: mlflow.user on the run names the creator
        fake.Champion().Tags["approved_by"] = "alice@acme.example";

        var result = await RuleHarness.RunAsync("MODEL-FOUR-EYES", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Evidence, e => e.Url.Contains("runs/get", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_NoCreatorAnywhere_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().UserId = null;
        fake.Runs["run-credit-3"].User = null;

        var result = await RuleHarness.RunAsync("MODEL-FOUR-EYES", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("names no creator", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AzureMlApprovedBySomeoneElse_Passes()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-FOUR-EYES", fake, registry: "aml");

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }
}

public sealed class EvaluationRuleTests
{
    [Fact]
    public async Task Run_BelowMinimum_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-EVALUATION", fake, parameters: new { minimums = new Dictionary<string, double> { ["eval.accuracy"] = 0.95 } });

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("eval.accuracy = 0.91 < 0.95", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ThresholdTagOnModelOverridesParameter_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Models[0].Tags["threshold.eval.accuracy"] = "0.93";

        var result = await RuleHarness.RunAsync("MODEL-EVALUATION", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("< 0.93", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EvaluationOlderThanWindow_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-EVALUATION", fake, parameters: new { maxAgeDays = 5 });

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("10 days old", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NaNEvaluation_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Runs["run-credit-3"].Metrics.Add(new FakeMetric("eval.f1", "\"NaN\"", TestSupport.Now.AddDays(-1)));

        var result = await RuleHarness.RunAsync("MODEL-EVALUATION", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("eval.f1 = 'NaN'", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }
}

public sealed class DriftRuleTests
{
    [Fact]
    public async Task Run_PsiOverThresholdForOneFeature_FailsNamingIt()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.DriftRun().Metrics.Add(new FakeMetric("drift.psi.income", "0.31", TestSupport.Now.AddHours(-2), 31));

        var result = await RuleHarness.RunAsync("MODEL-DRIFT", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var message = Assert.Single(result.Findings).Message;
        Assert.Contains("drift.psi.income = 0.31 (> 0.2)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("age", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KsPValueUnderItsThreshold_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.DriftRun().Metrics.Add(new FakeMetric("drift.ks_pvalue.age", "0.01", TestSupport.Now.AddHours(-2), 31));

        var result = await RuleHarness.RunAsync("MODEL-DRIFT", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("drift.ks_pvalue.age = 0.01 (< 0.05)", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MetricsOnlyOutsideTheWindow_FailsNoDriftEvidence()
    {
        using var fake = FakeRegistries.Start().Compliant();
        var run = fake.DriftRun();
        var old = run.Metrics.Select(m => m with { At = TestSupport.Now.AddDays(-12) }).ToList();
        run.Metrics.Clear();
        run.Metrics.AddRange(old);

        var result = await RuleHarness.RunAsync("MODEL-DRIFT", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("no drift evidence in the last 7 days", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MonitoredFeatureNeverLogged_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Tags["monitored_features"] = "age,income,postcode";

        var result = await RuleHarness.RunAsync("MODEL-DRIFT", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("postcode (never)", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoDriftRunTag_FailsNoDriftEvidenceNeverPasses()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Tags.Remove("drift_run_id");

        var result = await RuleHarness.RunAsync("MODEL-DRIFT", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.StartsWith("no drift evidence", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NaNDriftValue_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.DriftRun().Metrics.Add(new FakeMetric("drift.psi.age", "\"NaN\"", TestSupport.Now.AddHours(-1), 31));

        var result = await RuleHarness.RunAsync("MODEL-DRIFT", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("drift.psi.age = 'NaN'", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StringDriftValue_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.DriftRun().Metrics.Add(new FakeMetric("drift.psi.age", "\"low\"", TestSupport.Now.AddHours(-1), 31));

        var result = await RuleHarness.RunAsync("MODEL-DRIFT", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
    }
}

public sealed class AzureMonitorRuleTests
{
    [Fact]
    public async Task Run_EnabledMonitorWithDriftThresholdsAndAlerts_Passes()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-AML-MONITOR", fake, registry: "aml");

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_OnlyDisabledMonitor_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Schedules.Clear();
        fake.Schedules.Add(FakeRegistries.Monitor("credit-monitor", "azureml:credit-aml:2", enabled: false));
        fake.Schedules.Add(FakeRegistries.JobSchedule("nightly-retrain"));

        var result = await RuleHarness.RunAsync("MODEL-AML-MONITOR", fake, registry: "aml");

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("only disabled monitor(s)", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MonitorWithoutAlertsOrThresholds_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Schedules.Clear();
        fake.Schedules.Add(FakeRegistries.Monitor("credit-monitor", "azureml:credit-aml:2", alerts: false));

        var result = await RuleHarness.RunAsync("MODEL-AML-MONITOR", fake, registry: "aml");

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("alert recipients", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SchedulesForbidden_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always(FakeRegistries.Ws + "/schedules", new FakeAnswer(403, """{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/schedules/read'."}}"""));

        var result = await RuleHarness.RunAsync("MODEL-AML-MONITOR", fake, registry: "aml");

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("AuthorizationFailed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MlflowRegistry_IsNotApplicable()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-AML-MONITOR", fake);

        Assert.Equal(Verdict.NotApplicable, result.Verdict);
    }
}

public sealed class ArtifactOriginRuleTests
{
    private static readonly object Approved = new { approvedLocations = new[] { "s3://acme-models-prod/" } };

    [Fact]
    public async Task Run_RunsSourceResolvedToApprovedStore_Passes()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-ARTIFACT-ORIGIN", fake, parameters: Approved);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_UnapprovedLocationAndUnfinishedRun_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Source = "s3://scratch-bucket/tmp/model";
        fake.Runs["run-credit-3"].Status = "FAILED";

        var result = await RuleHarness.RunAsync("MODEL-ARTIFACT-ORIGIN", fake, parameters: Approved);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var message = Assert.Single(result.Findings).Message;
        Assert.Contains("not under an approved location", message, StringComparison.Ordinal);
        Assert.Contains("FAILED, not finished", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoApprovedLocationsConfigured_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-ARTIFACT-ORIGIN", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
    }
}

public sealed class HuggingFaceRuleTests
{
    [Fact]
    public async Task Run_AllowedLicenceDatasetsEvalsCardPinned_Passes()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-HF-THIRD-PARTY", fake, registry: "hub");

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Contains(result.Evidence, e => e.Url.Contains("/revision/" + TestSupport.HubSha, StringComparison.Ordinal) && e.Url.Contains("expand=cardData&expand=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_LicenceOtherAndNoDatasets_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Hub[0].License = "other";
        fake.Hub[0].LicenseName = "acme-research-only";
        fake.Hub[0].Datasets.Clear();

        var result = await RuleHarness.RunAsync("MODEL-HF-THIRD-PARTY", fake, registry: "hub");

        Assert.Equal(Verdict.Fail, result.Verdict);
        var message = Assert.Single(result.Findings).Message;
        Assert.Contains("licence 'other' (acme-research-only) is not allowed", message, StringComparison.Ordinal);
        Assert.Contains("no training datasets listed", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RevisionNotPinned_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync("MODEL-HF-THIRD-PARTY", fake, registry: "hub",
            tweak: r => r.Kind == EvidenceBot.Rules.RegistryKind.HuggingFace ? r with { Models = [new PinnedModel("acme-vendor/sentiment", null)] } : r);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("revision not pinned", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GatedModelWithReadableMetadata_IsJudged()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Hub[0].Gated = "manual";

        var result = await RuleHarness.RunAsync("MODEL-HF-THIRD-PARTY", fake, registry: "hub");

        Assert.Equal(Verdict.Pass, result.Verdict);
    }

    [Fact]
    public async Task Run_PrivateModelWithoutToken_IsError401()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Hub[0].Private = true;

        var result = await RuleHarness.RunAsync("MODEL-HF-THIRD-PARTY", fake, registry: "hub");

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("401 (RepoNotFound", result.Error, StringComparison.Ordinal);
        Assert.Contains("no token is configured", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GatedRepoRefused_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/models/acme-vendor", FakeRegistries.HubError(403, "GatedRepo", "Access to model acme-vendor/sentiment is restricted and you are not in the authorized list."));

        var result = await RuleHarness.RunAsync("MODEL-HF-THIRD-PARTY", fake, registry: "hub");

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("gated", result.Error, StringComparison.Ordinal);
    }
}

public sealed class FairnessRuleTests
{
    [Fact]
    public async Task Run_HighRiskWithoutFairnessMetric_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Runs["run-credit-3"].Metrics.RemoveAll(m => m.Key.Contains("parity", StringComparison.Ordinal));

        var result = await RuleHarness.RunAsync("MODEL-FAIRNESS", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_NoHighRiskVersion_IsNotApplicable()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Models[0].Tags["risk_level"] = "limited";

        var result = await RuleHarness.RunAsync("MODEL-FAIRNESS", fake);

        Assert.Equal(Verdict.NotApplicable, result.Verdict);
    }

    [Fact]
    public async Task Run_NaNFairnessValue_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Runs["run-credit-3"].Metrics.Add(new FakeMetric("eval.demographic_parity_difference", "\"NaN\"", TestSupport.Now, 5));

        var result = await RuleHarness.RunAsync("MODEL-FAIRNESS", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
    }
}

public sealed class StaleProductionRuleTests
{
    [Fact]
    public async Task Run_OldVersionWithOldEvaluation_Fails()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Created = TestSupport.Now.AddDays(-400);
        var run = fake.Runs["run-credit-3"];
        var old = run.Metrics.Select(m => m with { At = TestSupport.Now.AddDays(-300) }).ToList();
        run.Metrics.Clear();
        run.Metrics.AddRange(old);

        var result = await RuleHarness.RunAsync("MODEL-STALE-PRODUCTION", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("in production for 400 days", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OldVersionReEvaluated_Passes()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().Created = TestSupport.Now.AddDays(-400);

        var result = await RuleHarness.RunAsync("MODEL-STALE-PRODUCTION", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_VersionSearchRateLimitedBeyondRetries_IsError()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/2.0/mlflow/model-versions/search", new FakeAnswer(429, """{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"Too many requests"}""",
            new Dictionary<string, string> { ["Retry-After"] = "1" }));

        var result = await RuleHarness.RunAsync("MODEL-STALE-PRODUCTION", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("429", result.Error, StringComparison.Ordinal);
    }
}

public sealed class LoggedModelLineageTests
{
    [Fact]
    public async Task Run_Mlflow3VersionWithOnlyAModelId_TracedThroughTheLoggedModel()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.LoggedModels = true;
        fake.Champion().ModelId = "m-7c1e";

        var result = await RuleHarness.RunAsync("MODEL-TRAINING-LINEAGE", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Contains(result.Evidence, e => e.Url.Contains("logged-models/m-7c1e", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_ModelIdOnAServerWithoutLoggedModels_FailsNoSourceRun()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Champion().ModelId = "m-7c1e"; // the server answers 404: feature absent, nothing to trace through

        var result = await RuleHarness.RunAsync("MODEL-TRAINING-LINEAGE", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("no source run recorded", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }
}
