using EvidenceBot.Cli;
using EvidenceBot.Core.Engine;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Reports.Tests;

public sealed class ReportCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, new FakeTimeProvider(ReportFixture.Start.AddDays(1)));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Report_VerifiedArchive_WritesEveryFormat()
    {
        using var dir = new TempDir();
        var archive = await ReportFixture.WriteBundleAsync(dir, archive: true);
        var outDir = Path.Combine(dir.Path, "reports");

        var (exit, stdout, stderr) = await CliAsync("report", archive, "--key", Path.Combine(dir.Path, "public-key.pem"), "--format", "html,oscal,sarif,junit,soa", "--out", outDir, "--framework", "ISO27001:2022");

        Assert.True(exit == ExitCodes.Ok, stdout + stderr);
        Assert.Contains("OK:", stdout, StringComparison.Ordinal);
        Assert.Equal(["assessment-results.oscal.json", "junit.xml", "report.html", "report.sarif", "soa-iso27001-2022.csv", "soa-iso27001-2022.md"],
            Directory.EnumerateFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Report_Freshness_ReadsEachRulesHeaderFromTheBundleAndCountsOlderEvidenceAsStale()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var outDir = Path.Combine(dir.Path, "reports");

        // A day after the run: past the 12 h default, within gh-fail.csx's own 'freshness: 30d'.
        var (exit, stdout, stderr) = await CliAsync("report", bundle, "--key", Path.Combine(dir.Path, "public-key.pem"), "--format", "html", "--out", outDir, "--freshness", "12h");

        Assert.True(exit == ExitCodes.Ok, stdout + stderr);
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.HtmlFile));
        Assert.Contains("3 of 4 execution(s) older than their rule's freshness", html, StringComparison.Ordinal);
        Assert.Contains("id=\"ctl-iso27001-2022-a-5-15\" data-verdict=\"fail\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"ctl-iso27001-2022-a-8-32\" data-verdict=\"stale\"", html, StringComparison.Ordinal);

        var (badExit, _, badErr) = await CliAsync("report", bundle, "--key", Path.Combine(dir.Path, "public-key.pem"), "--format", "html", "--out", outDir, "--freshness", "soon");
        Assert.Equal(ExitCodes.UsageOrConfig, badExit);
        Assert.Contains("--freshness:", badErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_TamperedBundle_Exits4WithTheFailuresAndWritesNothing()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        await File.AppendAllTextAsync(Directory.EnumerateFiles(Path.Combine(bundle, "raw")).First(), " ");
        var outDir = Path.Combine(dir.Path, "reports");

        var (exit, stdout, _) = await CliAsync("report", bundle, "--key", Path.Combine(dir.Path, "public-key.pem"), "--format", "all", "--out", outDir);

        Assert.Equal(ExitCodes.VerificationFailed, exit);
        Assert.Contains("FAIL file.digest", stdout, StringComparison.Ordinal);
        Assert.Contains("no report written", stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFiles(outDir).Any());
    }

    [Fact]
    public async Task Report_TamperedBundleWithUnverified_WritesReportsMarkedUnverifiedAndStillExits4()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        await File.AppendAllTextAsync(Directory.EnumerateFiles(Path.Combine(bundle, "raw")).First(), " ");
        var outDir = Path.Combine(dir.Path, "reports");

        var (exit, stdout, _) = await CliAsync("report", bundle, "--key", Path.Combine(dir.Path, "public-key.pem"), "--format", "html,junit", "--out", outDir, "--unverified");

        Assert.Equal(ExitCodes.VerificationFailed, exit);
        Assert.Contains("UNVERIFIED", stdout, StringComparison.Ordinal);
        Assert.Contains("UNVERIFIED", await File.ReadAllTextAsync(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_UnknownFormatOrFramework_IsAUsageError()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var key = Path.Combine(dir.Path, "public-key.pem");

        var (exit, _, stderr) = await CliAsync("report", bundle, "--key", key, "--format", "pdf", "--out", Path.Combine(dir.Path, "r"));
        var (exit2, _, stderr2) = await CliAsync("report", bundle, "--key", key, "--format", "html", "--out", Path.Combine(dir.Path, "r"), "--framework", "SOC2:2017");

        Assert.Equal(ExitCodes.UsageOrConfig, exit);
        Assert.Contains("'pdf'", stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageOrConfig, exit2);
        Assert.Contains("SOC2:2017", stderr2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithReport_WritesTheReportsBesideTheBundle()
    {
        using var dir = new TempDir();
        var rules = dir.Sub("rules");
        await File.WriteAllTextAsync(Path.Combine(rules, "policy.csx"), """
            /* ---
            id: EX-POLICY
            title: Password policy meets the minimum length
            severity: medium
            controls:
              - { id: "ISO27001:2022/A.5.17", relation: supports }
            --- */
            Check("password-policy", true, "policy length", new { length = 16 });
            """);
        var keys = Path.Combine(dir.Path, "keys");
        Assert.Equal(0, (await CliAsync("keys", "generate", "--out", keys)).Exit);
        var evidence = Path.Combine(dir.Path, "evidence");

        var (exit, stdout, stderr) = await CliAsync("run", "--rules", rules, "--out", evidence, "--cache-dir", Path.Combine(dir.Path, "cache"), "--key", Path.Combine(keys, "signing-key.pem"), "--report", "html,sarif");

        Assert.True(exit == ExitCodes.Ok, stdout + stderr);
        var reports = Directory.EnumerateDirectories(Path.Combine(evidence, "reports")).Single();
        Assert.Equal(["report.html", "report.sarif"], Directory.EnumerateFiles(reports).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("EX-POLICY", await File.ReadAllTextAsync(Path.Combine(reports, "report.html")), StringComparison.Ordinal);
        Assert.DoesNotContain("UNVERIFIED", await File.ReadAllTextAsync(Path.Combine(reports, "report.html")), StringComparison.Ordinal);
        Assert.Contains("Reports: ", stderr, StringComparison.Ordinal);
    }
}
