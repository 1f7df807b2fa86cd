using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;

namespace EvidenceBot.IntegrationTests;

public class RuleTestCommandTests
{
    private const string Case = """{ "target": "default", "now": "2026-06-01T00:00:00Z" }""";

    [Fact]
    public async Task RulesTest_BuiltInRules_EveryCasePassesAndEveryRuleHasPassAndFailCases()
    {
        using var cli = new CliRunner();
        var junit = Path.Combine(cli.Root, "rule-tests.xml");

        var (exit, stdout, stderr) = await cli.Run("rules", "test", "--rules", Path.Combine(RepositoryRoot.Path, "rules"), "--junit", junit);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains(" 0 failed; 0 rule(s) without cases", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL ", stdout, StringComparison.Ordinal);
        var ruleFiles = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "rules"), "*.csx", SearchOption.AllDirectories);
        Assert.Equal(29, ruleFiles.Length);
        foreach (var rule in ruleFiles)
        {
            var verdicts = Directory.GetFiles(Path.ChangeExtension(rule, null) + ".tests", "expect.json", SearchOption.AllDirectories)
                .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("verdict").GetString())
                .ToList();
            Assert.True(verdicts.Contains("pass") && verdicts.Contains("fail"), $"{rule}: needs a pass case and a fail case, has {string.Join(", ", verdicts)}");
        }

        Assert.False(File.ReadAllBytes(junit).AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), "the JUnit file starts with a byte-order mark");
        var doc = XDocument.Load(junit);
        Assert.Equal("0", doc.Root!.Attribute("failures")!.Value);
        Assert.Equal(29, doc.Root.Elements("testsuite").Count());
        var (lint, _, lintErr) = Exec("xmllint", "--noout", "--schema", Path.Combine(RepositoryRoot.Path, "tests", "EvidenceBot.Reports.Tests", "Data", "junit-10.xsd"), junit);
        Assert.True(lint == 0, lintErr);
    }

    [Fact]
    public async Task RulesTest_FindingsDiffer_PrintsEachDifferenceAndExitsOne()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"kept\", \"fine\");\nFail(\"extra\", \"bad thing\");");
        WriteCase(cli, "a", "wrong", Case, """
            { "verdict": "pass", "findings": { "kept": { "status": "pass", "message": "^great$" }, "missing": "pass" } }
            """);

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL A-1 wrong", stdout, StringComparison.Ordinal);
        Assert.Contains("verdict: expected pass, got fail", stdout, StringComparison.Ordinal);
        Assert.Contains("+ extra: fail, not expected: \"bad thing\"", stdout, StringComparison.Ordinal);
        Assert.Contains("- missing: expected pass, no finding", stdout, StringComparison.Ordinal);
        Assert.Contains("~ kept: message \"fine\" does not match /^great$/", stdout, StringComparison.Ordinal);
        Assert.Contains("1 case(s) of 1 rule(s): 0 passed, 1 failed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_CaseNow_IsTheClockTheRuleSees()
    {
        using var cli = new CliRunner();
        cli.Rule("clock.csx", "CLOCK-1", "Check(\"clock\", Now == new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), Now.ToString(\"O\", System.Globalization.CultureInfo.InvariantCulture));");
        WriteCase(cli, "clock", "fixed", Case, """{ "verdict": "pass", "findings": { "clock": { "status": "pass", "message": "^2026-06-01T00:00:00\\.0000000\\+00:00$" } } }""");

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.True(exit == 0, stdout);
        Assert.Contains("PASS CLOCK-1 fixed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_CaseFileInvalid_FailsNamingFileLineAndField()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        WriteCase(cli, "a", "bad", """{ "target": "default", "now": "yesterday", "colour": 1 }""", """{ "verdict": "maybe" }""");

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL A-1 bad", stdout, StringComparison.Ordinal);
        Assert.Matches(@"case\.json\(1,\d+\): \$\.now: must be a date-time", stdout);
        Assert.Matches(@"case\.json\(1,\d+\): \$\.colour: is not a known field", stdout);
    }

    [Fact]
    public async Task RulesTest_ParameterNotDeclared_FailsNamingTheCaseField()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");", "parameters: { limit: 3 }\n");
        WriteCase(cli, "a", "typo", """{ "target": "default", "now": "2026-06-01T00:00:00Z", "parameters": { "limt": 4 } }""", """{ "verdict": "pass" }""");

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(1, exit);
        Assert.Contains("case.json: $.parameters.limt: rule A-1 declares no parameter 'limt'", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_RequestNotRecorded_FailsWithAskedForNotInEvidence()
    {
        using var cli = new CliRunner();
        var builtIn = Path.Combine(RepositoryRoot.Path, "rules", "github");
        File.Copy(Path.Combine(builtIn, "org-2fa.csx"), Path.Combine(cli.Rules, "org-2fa.csx"));
        CopyFolder(Path.Combine(builtIn, "org-2fa.tests", "passes-2fa-required"), Path.Combine(cli.Rules, "org-2fa.tests", "passes-2fa-required"));
        var exchanges = Path.Combine(cli.Rules, "org-2fa.tests", "passes-2fa-required", "exchanges");
        File.Delete(Directory.GetFiles(exchanges, "get_orgs_orbital-labs-*.json").Single());

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(1, exit);
        Assert.Contains("verdict: expected pass, got error", stdout, StringComparison.Ordinal);
        Assert.Contains("asked for GET /orgs/orbital-labs, not in exchanges/", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_ExpectFileInvalid_QuotesTheValueAndCountsLinesFromOne()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        cli.Rule("b.csx", "B-1", "Pass(\"a\", \"b\");");
        WriteCase(cli, "a", "verdict", Case, """{ "verdict": "passed" }""");
        WriteCase(cli, "b", "json", Case, """{ "verdict": "pass" } }""");

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(1, exit);
        Assert.Contains("$.verdict: is not one of pass, fail, error, not_applicable (found \"passed\")", stdout, StringComparison.Ordinal);
        Assert.Matches(@"expect\.json\(1,23\): not valid JSON: [^\n]*$", stdout.Split('\n').Single(l => l.Contains("not valid JSON", StringComparison.Ordinal)).TrimEnd());
        Assert.DoesNotContain("LineNumber", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_CasesOfARuleWhoseHeaderIsBroken_SayToFixTheHeader()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");", "severity: urgent\n");
        WriteCase(cli, "a", "ok", Case, """{ "verdict": "pass" }""");

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.NotEqual(0, exit);
        Assert.Contains("a.csx is beside this folder but its header could not be read: fix it", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("rename the folder", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_CaseFolderWithoutRule_Fails()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        WriteCase(cli, "a", "ok", Case, """{ "verdict": "pass", "findings": { "a": "pass" } }""");
        WriteCase(cli, "renamed", "left-behind", Case, """{ "verdict": "pass" }""");

        var (exit, stdout, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(1, exit);
        Assert.Contains("PASS A-1 ok", stdout, StringComparison.Ordinal);
        Assert.Contains("no rule renamed.csx beside this folder", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesTest_NoCases_ExitsTwo()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");

        var (exit, stdout, stderr) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(2, exit);
        Assert.Contains("NO CASES A-1", stdout, StringComparison.Ordinal);
        Assert.Contains("no test cases in", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_DemoRule_WritesARedactedCaseThatPassesItsOwnTest()
    {
        using var cli = new CliRunner();
        File.Copy(Path.Combine(RepositoryRoot.Path, "rules", "github", "org-admins.csx"), Path.Combine(cli.Rules, "org-admins.csx"));
        var config = cli.Write("evidencebot.json", JsonSerializer.Serialize(new
        {
            rules = cli.Rules,
            github = new
            {
                replay = Path.Combine(RepositoryRoot.Path, "examples", "demo", "github"),
                tokenEnv = "EB_TEST_UNUSED_TOKEN",
                organizations = new[] { "orbital-labs" },
                include = new[] { "orbital-labs/docs-site" },
            },
        }));

        var (exit, stdout, stderr) = await cli.Run("record", "--config", config, "--rule", "GH-ORG-ADMINS", "--case", "docs-site-admin", "--cache-dir", cli.Cache);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("recorded GH-ORG-ADMINS against orbital-labs: fail", stdout, StringComparison.Ordinal);
        var folder = Path.Combine(cli.Rules, "org-admins.tests", "docs-site-admin");
        using var caseJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "case.json")));
        var github = caseJson.RootElement.GetProperty("sources").GetProperty("github");
        Assert.False(github.TryGetProperty("replay", out _));
        Assert.False(github.TryGetProperty("tokenEnv", out _));
        Assert.Equal("orbital-labs/docs-site", github.GetProperty("include")[0].GetString());
        using var expect = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expect.json")));
        Assert.Equal("fail", expect.RootElement.GetProperty("findings").GetProperty("orbital-labs/docs-site").GetString());
        var exchanges = Directory.GetFiles(Path.Combine(folder, "exchanges"));
        Assert.NotEmpty(exchanges);
        Assert.All(exchanges, f => Assert.DoesNotContain("\"Authorization\"", File.ReadAllText(f), StringComparison.OrdinalIgnoreCase));

        var again = await cli.Run("record", "--config", config, "--rule", "GH-ORG-ADMINS", "--case", "docs-site-admin", "--cache-dir", cli.Cache);
        Assert.Equal(2, again.Exit);
        Assert.Contains("already exists; pass --force", again.Err, StringComparison.Ordinal);

        var (testExit, testOut, _) = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);
        Assert.True(testExit == 0, testOut);
        Assert.Contains("PASS GH-ORG-ADMINS docs-site-admin", testOut, StringComparison.Ordinal);
    }

    private static void WriteCase(CliRunner cli, string rule, string name, string caseJson, string expectJson)
    {
        var folder = Path.Combine("rules", rule + ".tests", name);
        cli.Write(Path.Combine(folder, "case.json"), caseJson);
        cli.Write(Path.Combine(folder, "expect.json"), expectJson);
        Directory.CreateDirectory(Path.Combine(cli.Root, folder, "exchanges"));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static (int Exit, string Out, string Err) Exec(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
