using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Sources.Azure.Tests;

public sealed class AzureSourceModuleTests
{
    private static ISourceSession Open(string json, Func<string, string?>? env = null) => new AzureSourceModule().Open(new SourceSettings
    {
        Section = JsonDocument.Parse(json).RootElement.Clone(),
        Path = "$.azure",
        ResolvePath = p => Path.GetFullPath(p),
        Environment = env ?? (_ => null),
        Time = TimeProvider.System,
        Redactor = new Redactor(),
    });

    [Fact]
    public void Contract_AzureModule_ListsItsAssemblyStaticImportAndProcessStartingCredentials()
    {
        var module = new AzureSourceModule();

        Assert.Equal("azure", module.Name);
        Assert.Equal(["EvidenceBot.Rules.Azure"], module.Contract.Assemblies);
        Assert.Equal(["EvidenceBot.Rules.AzureRuleGlobals"], module.Contract.Imports);
        Assert.Contains("Azure.Identity.AzureCliCredential", module.Contract.DeniedTypes.Keys);
        Assert.Contains("Azure.Identity.DefaultAzureCredential", module.Contract.DeniedTypes.Keys);
        Assert.Equal("EvidenceBot.Rules.Azure", typeof(EvidenceBot.Rules.IAzureSource).Assembly.GetName().Name);
        Assert.DoesNotContain(typeof(EvidenceBot.Rules.IAzureSource).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("Azure", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigSchema_Embedded_IsTheSchemaFile()
    {
        using var schema = JsonDocument.Parse(new AzureSourceModule().ConfigSchema);

        Assert.True(schema.RootElement.GetProperty("properties").TryGetProperty("managementGroup", out _));
    }

    [Theory]
    [InlineData("""{"subscriptions":["not-a-guid"]}""", "$.azure.subscriptions[0]: 'not-a-guid' is not a subscription id")]
    [InlineData("""{}""", "$.azure: names no target")]
    [InlineData("""{"subscriptions":["11111111-aaaa-4aaa-8aaa-111111111111"],"managementGroup":"mg"}""", "$.azure.managementGroup: and 'subscriptions' are both set")]
    [InlineData("""{"managementGroup":"mg","credential":{"type":"clientSecret","clientId":"c"},"tenantId":"t"}""", "$.azure.credential.clientSecretEnv: the environment variable AZURE_CLIENT_SECRET is not set")]
    [InlineData("""{"managementGroup":"mg","credential":{"type":"browser"}}""", "$.azure.credential.type: 'browser' is not a credential type")]
    [InlineData("""{"managementGroup":"mg","armEndpoint":"http://management.local/"}""", "$.azure.armEndpoint: 'http://management.local/' must be an absolute https URL")]
    [InlineData("""{"managementGroup":"mg","concurrency":0}""", "$.azure.concurrency: must be a whole number from 1 to 64")]
    [InlineData("""{"managementGroup":"mg","subscription":"x"}""", "$.azure.subscription: is not an Azure setting")]
    public void Open_BadSetting_ErrorStartsWithItsJsonPath(string json, string expected)
    {
        var ex = Assert.Throws<SourceConfigException>(() => Open(json));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ClientSecretFromEnvironment_OpensWithTheListedTargets()
    {
        using var session = Open("""{"subscriptions":["11111111-AAAA-4aaa-8aaa-111111111111"],"tenantId":"t","credential":{"type":"clientSecret","clientId":"c","clientSecretEnv":"MY_SECRET"}}""",
            name => name == "MY_SECRET" ? "from-env-secret-value" : null);

        Assert.Equal(["11111111-aaaa-4aaa-8aaa-111111111111"], session.Targets);
        Assert.Null(session.Summary());
    }
}
