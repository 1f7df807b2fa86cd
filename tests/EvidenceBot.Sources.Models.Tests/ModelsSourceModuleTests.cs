using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Models.Tests;

public sealed class ModelsSourceModuleTests
{
    private static SourceSettings Settings(string json, Dictionary<string, string>? env = null) => new()
    {
        Section = JsonDocument.Parse(json).RootElement.Clone(),
        Path = "$.models",
        ResolvePath = p => Path.Combine(RulesRoot(), p),
        Environment = n => env?.GetValueOrDefault(n),
        Time = new FakeTimeProvider(TestSupport.Now),
        Redactor = new Redactor(),
    };

    private static string RulesRoot() => Rules.RuleHarness.RepositoryRoot();

    [Fact]
    public void Contract_NamesTheRuleAssemblyAndTheGlobalsClass()
    {
        var module = new ModelsSourceModule();

        Assert.Equal("models", module.Name);
        Assert.Equal(["EvidenceBot.Rules.Models"], module.Contract.Assemblies);
        Assert.Contains("EvidenceBot.Rules.ModelsRuleGlobals", module.Contract.Imports);
        Assert.Equal(typeof(IModelsSource).Assembly.GetName().Name, module.Contract.Assemblies[0]);
    }

    [Fact]
    public void ConfigSchema_IsTheEmbeddedDraft07Fragment()
    {
        using var schema = JsonDocument.Parse(new ModelsSourceModule().ConfigSchema);

        Assert.Equal("models", schema.RootElement.GetProperty("title").GetString());
        Assert.True(schema.RootElement.GetProperty("properties").TryGetProperty("registries", out _));
    }

    [Fact]
    public void Open_ThreeRegistries_TargetsAreTheirNames()
    {
        var json = """
        { "registries": [
          { "name": "prod", "kind": "mlflow", "url": "https://mlflow.example.com", "auth": { "type": "bearer", "tokenEnv": "DATABRICKS_TOKEN" },
            "conventions": { "productionAliases": ["prod"], "driftStatistics": [{ "name": "jsd", "direction": "distance", "defaultThreshold": 0.1 }] } },
          { "name": "hub", "kind": "huggingface", "models": [{ "id": "org/model", "revision": "3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345" }, "org/other"] },
          { "name": "aml", "kind": "azureml", "subscriptionId": "s", "resourceGroup": "rg", "workspace": "ws", "credential": { "type": "tokenEnv", "tokenEnv": "ARM_TOKEN" } } ] }
        """;

        using var session = new ModelsSourceModule().Open(Settings(json, new() { ["DATABRICKS_TOKEN"] = "dapi-123456789", ["ARM_TOKEN"] = "eyJ0eXAiOi" }));

        Assert.Equal(["prod", "hub", "aml"], session.Targets);
        var prod = (IModelsSource)session.ServicesFor("prod")[typeof(IModelsSource)];
        Assert.Equal(["prod"], prod.Conventions.ProductionAliases);
        Assert.Equal(DriftDirection.Distance, Assert.Single(prod.Conventions.DriftStatistics).Direction);
        Assert.Null(session.Summary());
    }

    [Theory]
    [InlineData("""{ "registries": [] }""", "$.models.registries: list at least one registry")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "sagemaker" }] }""", "$.models.registries[0].kind: 'sagemaker' is not a registry kind")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "mlflow" }] }""", "$.models.registries[0].url: required")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "mlflow", "url": "https://m", "auth": { "type": "basic", "usernameEnv": "U", "passwordEnv": "P" } }] }""", "$.models.registries[0].auth.usernameEnv: environment variable U is not set")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "huggingface", "models": [{ "id": "noslash" }] }] }""", "$.models.registries[0].models[0].id: required")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "azureml", "subscriptionId": "s", "resourceGroup": "rg" }] }""", "$.models.registries[0].workspace: required")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "mlflow", "url": "https://m", "conventions": { "ownerFeld": "o" } }] }""", "$.models.registries[0].conventions")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "mlflow", "url": "https://m" }, { "name": "X", "kind": "mlflow", "url": "https://n" }] }""", "$.models.registries[1].name: 'X' is used twice")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "mlflow", "url": "https://m", "pageSize": 5000 }] }""", "$.models.registries[0].pageSize: must be a whole number from 1 to 1000")]
    [InlineData("""{ "registries": [{ "name": "x", "kind": "mlflow", "url": "https://m" }], "colour": "red" }""", "$.models.colour: unknown setting")]
    public void Open_BadSection_ErrorNamesTheJsonPath(string json, string expected)
    {
        var ex = Assert.Throws<SourceConfigException>(() => new ModelsSourceModule().Open(Settings(json)));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }
}

public sealed class ModelsSchemaTests
{
    [Fact]
    public async Task ConfigSchema_AcceptsTheDemoSection_RejectsAnUnknownKind()
    {
        var schema = await NJsonSchema.JsonSchema.FromJsonAsync(new ModelsSourceModule().ConfigSchema);
        var demo = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Rules.RuleHarness.RepositoryRoot(), "tests", "EvidenceBot.Sources.Models.Tests", "demo-config.json")));

        var good = schema.Validate(demo.RootElement.GetProperty("models").GetRawText());
        var bad = schema.Validate("""{ "registries": [{ "name": "x", "kind": "sagemaker" }] }""");

        Assert.Empty(good);
        Assert.NotEmpty(bad);
    }
}
