using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Models.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Models.Tests;

public sealed class RegistryHttpTests
{
    [Fact]
    public async Task Get_503ThenOk_RetriedAfterBackoffWithoutSleeping()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Once("/api/2.0/mlflow/registered-models/search", FakeRegistries.MlflowError(503, "TEMPORARILY_UNAVAILABLE", "try later"));
        var clock = new FakeTimeProvider(TestSupport.Now);
        using var session = new ModelsSession(TestSupport.Options(fake, maxRetries: 2), clock);

        var models = await TestSupport.WhileClockRuns(clock, () => session.For("mlflow").ModelsAsync());

        Assert.Single(models);
        Assert.Equal(1, session.Stats.Retries);
        Assert.Equal(2, fake.Requests.Count(r => r.Contains("registered-models/search", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Get_RegistryUnreachable_TransientFaultAfterRetries()
    {
        var options = TestSupport.Options(FakeRegistries.Start(), maxRetries: 1) with
        {
            Registries = [new RegistryOptions { Name = "gone", Kind = RegistryKind.MLflow, Url = new Uri("http://127.0.0.1:9/") }],
        };
        var clock = new FakeTimeProvider(TestSupport.Now);
        using var session = new ModelsSession(options, clock);

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => TestSupport.WhileClockRuns(clock, () => session.For("gone").ModelsAsync()));

        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Equal(1, session.Stats.Retries);
    }

    [Fact]
    public async Task Auth_MlflowBearerAndAzureToken_SentOnTheWire()
    {
        using var fake = FakeRegistries.Start().Compliant();
        using var session = new ModelsSession(TestSupport.Options(fake, r => r.Kind == RegistryKind.MLflow ? r with { Token = "dapi-0123456789" } : r),
            new FakeTimeProvider(TestSupport.Now));

        await session.For("mlflow").ModelsAsync();
        await session.For("aml").ModelsAsync();

        Assert.Equal("Bearer dapi-0123456789", fake.Authorizations[0]);
        Assert.Equal("Bearer arm-token-abcdef", fake.Authorizations[^1]);
    }

    [Fact]
    public async Task Open_TokenEnvCredential_SendsTheTokenToArm()
    {
        using var fake = FakeRegistries.Start().Compliant();
        var json = $$"""{ "registries": [{ "name": "aml", "kind": "azureml", "armEndpoint": "{{fake.Url.AbsoluteUri.TrimEnd('/')}}", "subscriptionId": "{{FakeRegistries.Sub}}", "resourceGroup": "rg-ml", "workspace": "ml-prod", "credential": { "type": "tokenEnv", "tokenEnv": "ARM_TOKEN" } }] }""";
        var settings = new SourceSettings
        {
            Section = JsonDocument.Parse(json).RootElement.Clone(), Path = "$.models", ResolvePath = p => p,
            Environment = n => n == "ARM_TOKEN" ? "eyJhbGciOiJub25lIn0.e30." : null, Time = new FakeTimeProvider(TestSupport.Now), Redactor = new Redactor(),
        };
        using var session = new ModelsSourceModule().Open(settings);
        var source = (IModelsSource)session.ServicesFor("aml")[typeof(IModelsSource)];

        var versions = await source.ProductionVersionsAsync();

        Assert.Equal("credit-aml/2", Assert.Single(versions).Resource);
        Assert.All(fake.Authorizations, a => Assert.Equal("Bearer eyJhbGciOiJub25lIn0.e30.", a));
        Assert.Contains("models:", session.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EtagCache_SecondRunOverTheSameRegistry_Answered304FromTheCache()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.HubEtags = true;
        var cache = Path.Combine(Path.GetTempPath(), "eb-models-etag-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = TestSupport.Options(fake) with { EtagCacheDirectory = cache };
            IReadOnlyList<ModelVersion> first;
            using (var run1 = new ModelsSession(options, new FakeTimeProvider(TestSupport.Now)))
            {
                first = await run1.For("hub").ProductionVersionsAsync();
                Assert.Equal(0, run1.Stats.Revalidated);
            }

            using var run2 = new ModelsSession(options, new FakeTimeProvider(TestSupport.Now));
            var manifest = new RuleManifest { Id = "T", Title = "test", SourcePath = "t.csx", SourceSha256 = "00" };
            var context = new RuleContext(manifest, "hub", new Dictionary<string, JsonElement>(), new FakeTimeProvider(TestSupport.Now), CancellationToken.None);
            context.Enter();
            var second = await run2.For("hub").ProductionVersionsAsync();

            Assert.True(fake.NotModified > 0, "the registry answered no 304");
            Assert.Equal(fake.NotModified, run2.Stats.Revalidated);
            Assert.Equal(first.Select(v => v.Resource), second.Select(v => v.Resource));
            Assert.Contains(context.Evidence, e => e.RequestHeaders.ContainsKey("If-None-Match"));
        }
        finally
        {
            if (Directory.Exists(cache))
                Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task Capture_HubFault_KeepsTheHeadersThatNameIt()
    {
        using var fake = FakeRegistries.Start().Compliant();
        fake.Always("/api/models/acme-vendor", new FakeAnswer(403, """{"error":"restricted"}""", new Dictionary<string, string>
        {
            ["X-Error-Code"] = "GatedRepo", ["X-Error-Message"] = "Access to model acme-vendor/sentiment is restricted", ["X-Request-Id"] = "Root=1-abc",
            ["WWW-Authenticate"] = "Bearer realm=\"hf\"", ["RateLimit"] = "\"api\";r=499;t=120", ["RateLimit-Policy"] = "\"fixed window\";\"api\";q=500;w=300",
        }));
        using var session = new ModelsSession(TestSupport.Options(fake), new FakeTimeProvider(TestSupport.Now));
        var manifest = new RuleManifest { Id = "T", Title = "test", SourcePath = "t.csx", SourceSha256 = "00" };
        var context = new RuleContext(manifest, "hub", new Dictionary<string, JsonElement>(), new FakeTimeProvider(TestSupport.Now), CancellationToken.None);
        context.Enter();

        await Assert.ThrowsAsync<SourceFaultException>(() => session.For("hub").ProductionVersionsAsync());

        var headers = new Dictionary<string, string>(Assert.Single(context.Evidence, e => e.Status == 403).ResponseHeaders, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("GatedRepo", headers["X-Error-Code"]);
        foreach (var name in new[] { "X-Error-Message", "X-Request-Id", "WWW-Authenticate", "RateLimit", "RateLimit-Policy" })
            Assert.True(headers.ContainsKey(name), name + " was not kept");
    }

    [Fact]
    public void Millis_Int64AsNumberOrString_BothRead()
    {
        using var doc = JsonDocument.Parse("""{"a":1740000000000,"b":"1740000000000","c":"soon"}""");

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1740000000000), doc.RootElement.Millis("a"));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1740000000000), doc.RootElement.Millis("b"));
        Assert.Null(doc.RootElement.Millis("c"));
    }

    [Theory]
    [InlineData("0.25", 0.25)]
    [InlineData("\"NaN\"", null)]
    [InlineData("\"Infinity\"", null)]
    [InlineData("\"0.25\"", null)]
    [InlineData("null", null)]
    public void MetricValue_OnlyFiniteNumbersAreValues(string json, double? expected)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.Equal(expected, Wire.MetricValue(doc.RootElement).Value);
    }
}
