using System.Diagnostics;
using System.Text.Json;

namespace EvidenceBot.IntegrationTests;

/// <summary>Runs through the source module seam: only the sources a run's rules list are opened and loaded.</summary>
public sealed class SourceModuleRunTests
{
    private static string DemoGitHub() => Path.Combine(RepositoryRoot.Path, "examples", "demo", "github");

    private static string Config(CliRunner cli) => cli.Write("evidencebot.json", JsonSerializer.Serialize(new
    {
        github = new { replay = DemoGitHub(), organizations = new[] { "orbital-labs" } },
    }));

    [Fact]
    public async Task Process_WarmRunWithoutGitHubRules_NeverLoadsOctokit()
    {
        using var cli = new CliRunner();
        cli.Rule("plain.csx", "PLAIN-1", "Pass(\"res\", \"fine\");");
        var config = Config(cli);

        await RunProcess(cli, config); // cold: compiles
        var warm = await RunProcess(cli, config);

        Assert.Contains("timing: source assemblies loaded: none", warm, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_WarmRunWithAGitHubRule_LoadsItsContract()
    {
        using var cli = new CliRunner();
        cli.Rule("gh.csx", "GH-1", "var org = await GitHub.OrganizationAsync(); Pass(\"org\", org.GetProperty(\"login\").GetString()!);", "sources: [github]\n");
        var config = Config(cli);

        await RunProcess(cli, config);
        var warm = await RunProcess(cli, config);

        Assert.Contains("timing: source assemblies loaded: EvidenceBot.Rules.GitHub, Octokit", warm, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RuleWhoseSourceIsNotConfigured_IsSkippedWithTheReasonAndIsNoEvidence()
    {
        using var cli = new CliRunner();
        cli.Rule("plain.csx", "PLAIN-1", "Pass(\"res\", \"fine\");");
        cli.Rule("gh.csx", "GH-1", "Pass(\"res\", (await GitHub.OrganizationAsync()).ToString());", "sources: [github]\n");
        var config = cli.Write("evidencebot.json", "{}");

        var (exit, _, err) = await cli.RunRules("--config", config);

        Assert.Equal(0, exit);
        Assert.Contains("skipped GH-1", err, StringComparison.Ordinal);
        Assert.Contains("'github' not configured", err, StringComparison.Ordinal);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Out, "results.json")));
        var rules = results.RootElement.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(["PLAIN-1"], rules);
        var skipped = Assert.Single(results.RootElement.GetProperty("skipped").EnumerateArray());
        Assert.Equal("GH-1", skipped.GetProperty("id").GetString());
        Assert.Contains("not configured", skipped.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OnlyRulesWithUnconfiguredSources_IsAUsageErrorNotAnEmptyPass()
    {
        using var cli = new CliRunner();
        cli.Rule("gh.csx", "GH-1", "Pass(\"res\", \"x\");", "sources: [github]\n");
        var config = cli.Write("evidencebot.json", "{}");

        var (exit, _, err) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("nothing to run", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RuleListingAnUnknownSource_IsAnErrorExecutionNamingIt()
    {
        using var cli = new CliRunner();
        cli.Rule("typo.csx", "TYPO-1", "Pass(\"res\", \"x\");", "sources: [gitlab]\n");

        var (exit, _, err) = await cli.RunRules();

        Assert.Equal(3, exit);
        Assert.Contains("EB0014", err, StringComparison.Ordinal);
        Assert.Contains("'gitlab'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigSchema_CheckedInFile_IsTheComposedSchema()
    {
        using var cli = new CliRunner();
        var (exit, stdout, _) = await cli.Run("config", "schema");

        Assert.Equal(0, exit);
        var checkedIn = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "schemas", "config.schema.json"));
        // Regenerate with: evidencebot config schema > schemas/config.schema.json
        Assert.Equal(checkedIn, stdout);
    }

    [Fact]
    public async Task ComposedSchema_EveryModulesSection_LoadsWithItsDefinitionsAndReferences()
    {
        var schema = await NJsonSchema.JsonSchema.FromJsonAsync(EvidenceBot.Runs.ConfigLoader.ComposedSchema(EvidenceBot.Cli.Sources.SourceModules.All));

        foreach (var module in EvidenceBot.Cli.Sources.SourceModules.All)
            Assert.True(schema.Properties.ContainsKey(module.Name), module.Name);
    }

    private static async Task<string> RunProcess(CliRunner cli, string config)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "evidencebot.dll"), "run", "--config", config, "--rules", cli.Rules, "--cache-dir", cli.Cache, "--out", cli.Out })
            psi.ArgumentList.Add(a);
        psi.Environment["EVIDENCEBOT_TIMINGS"] = "1";
        psi.Environment["EVIDENCEBOT_JIT_PROFILE"] = Path.Combine(cli.Root, "jit");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"evidencebot exited {process.ExitCode}: {await stderr}{await stdout}");
        return await stderr;
    }
}
