using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Models.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Models.Tests;

public sealed class MlflowSourceTests
{
    private static ModelsSession Open(FakeRegistries fake, int maxRetries = 0, Func<RegistryOptions, RegistryOptions>? tweak = null) =>
        new(TestSupport.Options(fake, tweak, maxRetries), new FakeTimeProvider(TestSupport.Now));

    private static RuleContext Context()
    {
        var manifest = new RuleManifest { Id = "T", Title = "test", SourcePath = "t.csx", SourceSha256 = "00" };
        var context = new RuleContext(manifest, "mlflow", new Dictionary<string, System.Text.Json.JsonElement>(), new FakeTimeProvider(TestSupport.Now), CancellationToken.None);
        context.Enter();
        return context;
    }

    [Fact]
    public async Task VersionsAsync_SeveralPages_FollowsPageTokensToTheEnd()
    {
        using var fake = FakeRegistries.Start().Compliant();
        for (var i = 0; i < 7; i++)
            fake.Models.Add(new FakeMlflowModel { Name = $"m{i}" });
        fake.PageSize = 2;
        using var session = Open(fake);

        var models = await session.For("mlflow").ModelsAsync();
        var versions = await session.For("mlflow").VersionsAsync();

        Assert.Equal(8, models.Count);
        Assert.Equal(3, versions.Count);
        Assert.Equal(4, fake.Requests.Count(r => r.Contains("registered-models/search", StringComparison.Ordinal)));
        Assert.Contains(fake.Requests, r => r.Contains("page_token=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProductionVersionsAsync_AliasWinsOverStage_StageIsTheFallback()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Versions[0].Stage = "Production"; // the model has a champion alias: the stage is not read
        fake.Models.Add(new FakeMlflowModel { Name = "legacy" });
        fake.Versions.Add(new FakeMlflowVersion { Model = "legacy", Version = "4", Stage = "Production", Created = TestSupport.Now, Updated = TestSupport.Now });
        using var session = Open(fake);

        var production = await session.For("mlflow").ProductionVersionsAsync();

        Assert.Equal(["credit-scoring/3", "legacy/4"], production.Select(v => v.Resource));
        Assert.Equal("alias champion", production[0].ProductionReason);
        Assert.Equal("stage Production", production[1].ProductionReason);
        Assert.Equal("risk-ml@acme.example", production[0].Field("owner")); // model tags reach the version's metadata
    }

    [Fact]
    public async Task VersionByAliasAsync_MissingAliasAnswers400_IsNullNotAFault()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake);
        var context = Context();

        var champion = await session.For("mlflow").VersionByAliasAsync("credit-scoring", "champion");
        var missing = await session.For("mlflow").VersionByAliasAsync("credit-scoring", "challenger");

        Assert.Equal("3", champion!.Version);
        Assert.Null(missing);
        Assert.Empty(context.Faults);
        Assert.Contains(context.Evidence, e => e.Status == 400 && e.Body!.Contains("Registered model alias challenger not found.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VersionByAliasAsync_MissingModel_IsAFault()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake);
        var context = Context();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.For("mlflow").VersionByAliasAsync("nope", "champion"));

        Assert.Contains("RESOURCE_DOES_NOT_EXIST", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
    }

    [Fact]
    public async Task Search_429WithRetryAfter_WaitsWhatItAsksThenSucceeds()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Once("/api/2.0/mlflow/registered-models/search", new FakeAnswer(429, """{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}""",
            new Dictionary<string, string> { ["Retry-After"] = "7" }));
        var clock = new FakeTimeProvider(TestSupport.Now);
        using var session = new ModelsSession(TestSupport.Options(fake, maxRetries: 2), clock);
        var context = Context();

        var models = await TestSupport.WhileClockRuns(clock, () => session.For("mlflow").ModelsAsync());

        Assert.Single(models);
        Assert.True(clock.GetUtcNow() - TestSupport.Now >= TimeSpan.FromSeconds(7), "the retry waited less than the 7 s Retry-After asked");
        Assert.Equal(1, session.Stats.Retries);
        Assert.Equal(2, session.Stats.Sent); // the refused attempt was sent and captured; the evidence is the answer that counted
        Assert.Contains(context.Evidence, e => e.Status == 200);
    }

    [Fact]
    public async Task Search_RetryAfterLongerThanAllowed_FaultsAtOnce()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/2.0/mlflow/registered-models/search", new FakeAnswer(429, "{}", new Dictionary<string, string> { ["Retry-After"] = "3600" }));
        using var session = Open(fake, maxRetries: 3);
        _ = Context();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.For("mlflow").ModelsAsync());

        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Contains("retry after 3600 s", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, session.Stats.Retries);
    }

    [Fact]
    public async Task Search_403PlainText_IsPermanentFaultWithTheBody()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/2.0/mlflow/registered-models/search", new FakeAnswer(403, "Permission denied", ContentType: "text/plain"));
        using var session = Open(fake);
        _ = Context();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.For("mlflow").ModelsAsync());

        Assert.Equal(FaultKind.Permanent, ex.Kind);
        Assert.Contains("403 (Permission denied)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxResultsOverTheServerLimit_400IsAFault()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake, tweak: r => r with { PageSize = 1001 });
        _ = Context();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.For("mlflow").ModelsAsync());

        Assert.Contains("INVALID_PARAMETER_VALUE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricHistoryAsync_PagedWithNaN_KeepsEveryPointAndMarksTheMalformed()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.DriftRun().Metrics.Add(new FakeMetric("drift.psi.age", "\"NaN\"", TestSupport.Now.AddHours(-1), 32));
        fake.PageSize = 1;
        using var session = Open(fake);

        var history = await session.For("mlflow").MetricHistoryAsync("drift-credit", "drift.psi.age");

        Assert.Equal(3, history.Count);
        Assert.Equal([0.02, 0.05, null], history.Select(p => p.Value));
        Assert.True(history[2].IsMalformed);
        Assert.Equal("NaN", history[2].Text);
        Assert.Equal(3, fake.Requests.Count(r => r.Contains("metrics/get-history", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task MetricHistoryAsync_NoPoints_AnswersEmptyObjectAsEmptyList()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake);

        var history = await session.For("mlflow").MetricHistoryAsync("drift-credit", "drift.psi.postcode");

        Assert.Empty(history);
    }

    [Fact]
    public async Task RunAsync_RecordsDatasetsWithDigestsAndLatestMetrics()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake);

        var run = await session.For("mlflow").RunAsync("run-credit-3");

        Assert.True(run!.Finished);
        Assert.Equal("alice@acme.example", run.User);
        Assert.Contains(run.Datasets, d => d is { Name: "credit-train-2026q1", Digest: "8f14e45f", Context: "training" });
        Assert.Equal(0.91, run.Metric("eval.accuracy")!.Value);
    }

    [Fact]
    public async Task LoggedModelAsync_Mlflow2Answers404_IsFeatureAbsent()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake);
        var context = Context();

        var model = await session.For("mlflow").LoggedModelAsync("m-0123");

        Assert.Null(model);
        Assert.Empty(context.Faults);
    }

    [Fact]
    public async Task LoggedModelAsync_Mlflow3_ReturnsTheModel()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.LoggedModels = true;
        using var session = Open(fake);

        var model = await session.For("mlflow").LoggedModelAsync("m-0123");

        Assert.Equal("m-0123", model!.Value.GetProperty("info").GetProperty("model_id").GetString());
    }

    [Fact]
    public async Task SameSearchFromTwoRules_FetchedOnceAndEvidenceAttachedToBoth()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake);
        var first = Context();
        await session.For("mlflow").ModelsAsync();
        var second = Context();

        await session.For("mlflow").ModelsAsync();

        Assert.Equal(1, fake.Requests.Count(r => r.Contains("registered-models/search", StringComparison.Ordinal)));
        Assert.NotEmpty(first.Evidence);
        Assert.Equal(first.Evidence.Select(e => e.Digest()).Order(), second.Evidence.Select(e => e.Digest()).Order());
    }

    [Fact]
    public async Task BasicAuth_SentAndRedactedInEvidence()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = Open(fake, tweak: r => r.Kind == RegistryKind.MLflow ? r with { Username = "svc", Password = "s3cret-password" } : r);
        var context = Context();

        await session.For("mlflow").ModelsAsync();

        var e = Assert.Single(context.Evidence);
        Assert.Equal("[REDACTED]", e.RequestHeaders["Authorization"]);
        Assert.DoesNotContain("s3cret", System.Text.Encoding.UTF8.GetString(e.ToFileBytes()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonitorsAsync_OnMlflow_IsNotSupported()
    {
        using var fake = FakeRegistries.Start();
        using var session = Open(fake);

        await Assert.ThrowsAsync<NotSupportedException>(() => session.For("mlflow").MonitorsAsync());
    }
}

public sealed class AzureMlSourceTests
{
    [Fact]
    public async Task MonitorsAsync_KeepsCreateMonitorSchedulesOnly_ReadsSingularAndArrayThresholds()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Schedules.Add(FakeRegistries.Monitor("old-monitor", "azureml:credit-aml:1", enabled: false, threshold: null));
        using var session = new ModelsSession(TestSupport.Options(fake), new FakeTimeProvider(TestSupport.Now));

        var monitors = await session.For("aml").MonitorsAsync();

        Assert.Equal(["credit-monitor", "old-monitor"], monitors.Select(m => m.Name));
        var drift = monitors[0].Signals.Single(s => s.Name == "drift");
        Assert.Equal(0.1, drift.Thresholds.Single().Value);
        Assert.Equal(0.9, monitors[0].Signals.Single(s => s.Name == "fad").Thresholds.Single().Value);
        Assert.Null(monitors[1].Signals.Single(s => s.Name == "drift").Thresholds.Single().Value);
        Assert.False(monitors[1].Enabled);
        Assert.Equal(["ml-oncall@example.com"], monitors[0].AlertEmails);
    }

    [Fact]
    public async Task VersionsAsync_SendsTheCredentialsBearerToken()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = new ModelsSession(TestSupport.Options(fake), new FakeTimeProvider(TestSupport.Now));
        var context = new RuleContext(new RuleManifest { Id = "T", Title = "t", SourcePath = "t.csx", SourceSha256 = "00" }, "aml", new Dictionary<string, System.Text.Json.JsonElement>(), TimeProvider.System, default);
        context.Enter();

        var versions = await session.For("aml").VersionsAsync();

        Assert.Equal(2, versions.Count);
        Assert.Equal("dana@example.com", versions.Single(v => v.Version == "2").CreatedBy);
        Assert.All(context.Evidence, e => Assert.Equal("[REDACTED]", e.RequestHeaders["Authorization"]));
    }
}

public sealed class HuggingFaceSourceTests
{
    [Fact]
    public async Task VersionsAsync_ReadsCardLicenceDatasetsEvaluationsAndPin()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Hub[0].Datasets.Add("sst2");
        using var session = new ModelsSession(TestSupport.Options(fake), new FakeTimeProvider(TestSupport.Now));

        var v = Assert.Single(await session.For("hub").VersionsAsync());

        Assert.Equal("apache-2.0", v.Card!.License);
        Assert.Equal(["imdb", "sst2"], v.Card.Datasets);
        Assert.Equal("accuracy", Assert.Single(v.Card.Evaluations).Metric);
        Assert.True(v.Card.Present);
        Assert.True(v.Card.PinnedToCommit);
        Assert.Equal(TestSupport.HubSha, v.Card.Sha);
    }

    [Fact]
    public async Task VersionsAsync_RevisionNotFound_FaultNamesThePin()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = new ModelsSession(TestSupport.Options(fake, r => r.Kind == RegistryKind.HuggingFace ? r with { Models = [new PinnedModel("acme-vendor/sentiment", new string('a', 40))] } : r),
            new FakeTimeProvider(TestSupport.Now));

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.For("hub").VersionsAsync());

        Assert.Contains("RevisionNotFound", ex.Message, StringComparison.Ordinal);
        Assert.Contains("pinned revision does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VersionsAsync_PrivateModelWithToken_IsRead()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Hub[0].Private = true;
        fake.HubToken = "hf_abcdefghijklmnop";
        using var session = new ModelsSession(TestSupport.Options(fake, r => r.Kind == RegistryKind.HuggingFace ? r with { Token = "hf_abcdefghijklmnop" } : r),
            new FakeTimeProvider(TestSupport.Now));

        var v = Assert.Single(await session.For("hub").VersionsAsync());

        Assert.True(v.Card!.Private);
    }
}

public sealed class AzureMlRegistryTests
{
    [Fact]
    public async Task AzureMlRegistry_ModelsAndVersionsRead_MonitorsNotSupported()
    {
        using var fake = FakeRegistries.Start().Compliant();
        var options = TestSupport.Options(fake, r => r.Kind == RegistryKind.AzureMachineLearning ? r with { Workspace = null, AzureRegistry = "shared" } : r);
        using var session = new ModelsSession(options, new FakeTimeProvider(TestSupport.Now));

        var versions = await session.For("aml").ProductionVersionsAsync();

        Assert.Equal("credit-aml/2", Assert.Single(versions).Resource);
        Assert.Contains(fake.Requests, r => r.Contains("/registries/shared/models", StringComparison.Ordinal));
        await Assert.ThrowsAsync<NotSupportedException>(() => session.For("aml").MonitorsAsync());
    }
}
