using System.Text.RegularExpressions;
using EvidenceBot.Core.Engine;
using EvidenceBot.Store.Tests;

namespace EvidenceBot.IntegrationTests;

/// <summary><c>run</c> with <c>store.azureBlob</c> and <c>verify URL</c>, end to end through the command line, against Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed partial class StoreRunTests(AzuriteFixture azurite)
{
    private const string PassingRule = "Check(\"thing\", true, \"ok\");";

    private static async Task<CliRunner> RunnerWithKeysAsync()
    {
        var cli = new CliRunner();
        cli.Rule("a.csx", "STORE-A", PassingRule, "sources: []\n");
        var (exit, _, err) = await cli.Run("keys", "generate", "--out", Path.Combine(cli.Root, "keys"));
        Assert.True(exit == 0, err);
        return cli;
    }

    private static string Config(CliRunner cli, string container, string variable) => cli.Write("evidencebot.json", $$"""
        { "rules": "rules", "secrets": ["{{variable}}"],
          "store": { "azureBlob": { "container": "{{container}}", "prefix": "it", "connectionStringEnv": "{{variable}}", "retries": 0 } } }
        """);

    private static Task<(int Exit, string Out, string Err)> RunAsync(CliRunner cli, string config) =>
        cli.Run("run", "--config", config, "--cache-dir", cli.Cache, "--out", cli.Out, "--key", Path.Combine(cli.Root, "keys", "signing-key.pem"));

    [Fact]
    public async Task Run_StoreConfigured_UploadsBundleAndVerifyAcceptsItsUrl()
    {
        using var cli = await RunnerWithKeysAsync();
        var container = await azurite.NewContainerAsync();
        var variable = "EB_IT_STORE_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, azurite.ConnectionString);
        try
        {
            var (exit, _, err) = await RunAsync(cli, Config(cli, container.Name, variable));

            Assert.True(exit == ExitCodes.Ok, err);
            var url = Assert.Single(Uploaded().Matches(err)).Groups[1].Value;
            Assert.StartsWith($"{azurite.BlobEndpoint}/{container.Name}/it/", url, StringComparison.Ordinal);

            var (verifyExit, verifyOut, verifyErr) = await cli.Run("verify", url, "--key", Path.Combine(cli.Root, "keys", "public-key.pem"), "--connection-string-env", variable);

            Assert.True(verifyExit == ExitCodes.Ok, verifyOut + verifyErr);
            Assert.Contains($"OK: {url} verified", verifyOut, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Run_StoreUnreachable_ExitsThreeKeepsBundleAndNextRunUploadsBoth()
    {
        using var cli = await RunnerWithKeysAsync();
        var container = await azurite.NewContainerAsync();
        var variable = "EB_IT_STORE_" + Guid.NewGuid().ToString("N");
        var port = new Uri(azurite.BlobEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Environment.SetEnvironmentVariable(variable, azurite.ConnectionString.Replace(":" + port + "/", ":" + AzuriteFixture.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) + "/", StringComparison.Ordinal));
        try
        {
            var config = Config(cli, container.Name, variable);
            var (exit, _, err) = await RunAsync(cli, config);

            Assert.True(exit == ExitCodes.CouldNotCollect, err);
            Assert.Contains("was not uploaded to", err, StringComparison.Ordinal);
            Assert.Contains("the local bundle is kept and the next run uploads it", err, StringComparison.Ordinal);
            var first = File.ReadAllText(Path.Combine(cli.Out, "latest")).Trim();
            Assert.True(File.Exists(Path.Combine(cli.Out, first, "manifest.json")));

            Environment.SetEnvironmentVariable(variable, azurite.ConnectionString);
            (exit, _, err) = await RunAsync(cli, config);

            Assert.True(exit == ExitCodes.Ok, err);
            var uploaded = Uploaded().Matches(err).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(2, uploaded.Count);
            Assert.Contains(uploaded, u => u.EndsWith("/" + first, StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Run_StoreVariableUnset_ExitsTwoNamingItBeforeAnyRuleRuns()
    {
        using var cli = await RunnerWithKeysAsync();
        var variable = "EB_IT_STORE_UNSET_" + Guid.NewGuid().ToString("N");

        var (exit, _, err) = await RunAsync(cli, Config(cli, "evidence", variable));

        Assert.True(exit == ExitCodes.UsageOrConfig, err);
        Assert.Contains($"store.azureBlob.connectionStringEnv {variable}: the environment variable is not set", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cli.Out) && Directory.EnumerateDirectories(cli.Out).Any());
    }

    [GeneratedRegex(@"store: uploaded \S+ to (\S+) \(")]
    private static partial Regex Uploaded();
}
