using System.Diagnostics;

namespace EvidenceBot.IntegrationTests;

/// <summary>
/// The tool as a user installs it: <c>dotnet pack</c> the CLI, <c>dotnet tool install</c> it into a temporary tool path
/// from that folder alone, then run it from a folder that is not the repository. What it needs (rules, catalogs, schemas,
/// the demo estate) must travel in the package.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eb-tool-").FullName;

    [Fact]
    public async Task PackedTool_InstalledIntoToolPath_RunsRulesListControlsListDemoAndVerifyOutsideTheRepository()
    {
        var packages = Path.Combine(_dir, "nupkg");
        var tools = Path.Combine(_dir, "tools");
        var work = Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;
        // Only the folder just packed is a source: the test must not pass because some feed has an evidencebot.
        var nugetConfig = Path.Combine(_dir, "nuget.config");
        await File.WriteAllTextAsync(nugetConfig,
            $"<?xml version=\"1.0\" encoding=\"utf-8\"?><configuration><packageSources><clear /><add key=\"local\" value=\"{packages}\" /></packageSources></configuration>");

        var pack = await Run("dotnet", RepositoryRoot.Path, "pack", Path.Combine(RepositoryRoot.Path, "src", "EvidenceBot.Cli"), "-c", "Release", "--no-build", "-o", packages);
        Assert.True(pack.Exit == 0, "dotnet pack failed:\n" + pack.Out + pack.Err);
        var install = await Run("dotnet", _dir, "tool", "install", "evidencebot", "--tool-path", tools, "--configfile", nugetConfig);
        Assert.True(install.Exit == 0, "dotnet tool install failed:\n" + install.Out + install.Err);
        var exe = Path.Combine(tools, OperatingSystem.IsWindows() ? "evidencebot.exe" : "evidencebot");

        var version = await Run(exe, work, "--version");
        Assert.Equal(0, version.Exit);
        Assert.Matches(@"^evidencebot \d+\.\d+\.\d+", version.Out);
        Assert.Contains("ISO27001:2022 (93 controls)", version.Out);
        Assert.Contains("ISO42001:2023 (38 controls)", version.Out);
        Assert.Matches(@"rules: +built-in pack \d+\.\d+\.\d+: 29 rules, sha256:[0-9a-f]{64}", version.Out);

        var rules = await Run(exe, work, "rules", "list");
        Assert.Equal(0, rules.Exit);
        Assert.Contains("GH-ORG-2FA", rules.Out);
        Assert.Contains("AZ-PRIVILEGED-ROLES", rules.Out);
        Assert.Contains("MODEL-DRIFT", rules.Out);

        // The built-in rules' recorded test cases travel too (an empty exchanges/ folder keeps its .gitkeep).
        var ruleTests = await Run(exe, work, "rules", "test", "--cache-dir", Path.Combine(_dir, "cache"));
        Assert.True(ruleTests.Exit == 0, "rules test failed:\n" + ruleTests.Out + ruleTests.Err);
        Assert.Matches(@"\d+ case\(s\) of 29 rule\(s\): \d+ passed, 0 failed", ruleTests.Out);

        var controls = await Run(exe, work, "controls", "list", "--framework", "ISO42001:2023");
        Assert.Equal(0, controls.Exit);
        Assert.Contains("ISO42001:2023/A.6.2.6", controls.Out);

        var demo = await Run(exe, work, "demo", "--cache-dir", Path.Combine(_dir, "cache"));
        Assert.True(demo.Exit == 1, "the demo fails controls on purpose and exits 1:\n" + demo.Out + demo.Err);
        Assert.Contains("58 rule execution(s): 21 pass, 21 fail, 0 error, 16 not applicable", demo.Out);
        var hint = demo.Out.Split('\n').Single(l => l.StartsWith("Verify it: evidencebot verify ", StringComparison.Ordinal)).Trim();
        var verifyArgs = hint["Verify it: evidencebot ".Length..].Split(' ');
        Assert.StartsWith(Path.Combine(work, "evidence", "demo"), verifyArgs[1], StringComparison.Ordinal);

        var verify = await Run(exe, work, verifyArgs);
        Assert.True(verify.Exit == 0, "verify failed:\n" + verify.Out + verify.Err);
        Assert.Matches(@"^OK: .* verified with key [0-9a-f]{64}", verify.Out);
        Assert.Matches(@"\d+ statement\(s\), \d+ file\(s\), \d+ check\(s\) passed", verify.Out);
    }

    private static async Task<(int Exit, string Out, string Err)> Run(string file, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["EVIDENCEBOT_JIT_PROFILE"] = "off";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
