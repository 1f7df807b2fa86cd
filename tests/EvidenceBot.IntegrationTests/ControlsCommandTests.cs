using System.Text.Json;
using EvidenceBot.Cli;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.IntegrationTests;

public sealed class ControlsCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eb-controls-cli-" + Guid.NewGuid().ToString("N"));

    public ControlsCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "rules"));
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

    private string RulesDir => Path.Combine(_dir, "rules");

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, new FakeTimeProvider(DateTimeOffset.Parse("2025-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture)));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private void WriteRule(string file, string id, params string[] controls)
    {
        var lines = new List<string> { "/* ---", $"id: {id}", $"title: {id} is a test rule", "controls:" };
        // "ID relation": the relation is the last word, an id may hold a space (a typo under test).
        lines.AddRange(controls.Select(c => $"  - {{ id: \"{c[..c.LastIndexOf(' ')]}\", relation: {c[(c.LastIndexOf(' ') + 1)..]} }}"));
        lines.Add("--- */");
        lines.Add("Check(\"thing\", true, \"fine\");");
        File.WriteAllText(Path.Combine(RulesDir, file), string.Join("\n", lines) + "\n");
    }

    private string WriteResults(string json)
    {
        var path = Path.Combine(_dir, "results.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonElement Framework(JsonElement root, string id) =>
        root.GetProperty("frameworks").EnumerateArray().Single(f => f.GetProperty("framework").GetString() == id);

    private static JsonElement Control(JsonElement framework, string id) =>
        framework.GetProperty("controls").EnumerateArray().Single(c => c.GetProperty("id").GetString() == id);

    [Fact]
    public async Task ControlsList_OneFrameworkAsJson_Lists93ControlsWithTitleAndTheme()
    {
        var (exit, stdout, _) = await Run("controls", "list", "--framework", "ISO27001:2022", "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        var framework = Assert.Single(doc.RootElement.GetProperty("frameworks").EnumerateArray());
        Assert.Equal("ISO27001:2022", framework.GetProperty("id").GetString());
        Assert.Equal(93, framework.GetProperty("controls").GetArrayLength());
        Assert.Equal(93, framework.GetProperty("count").GetInt32());
        var monitoring = framework.GetProperty("controls").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "ISO27001:2022/A.8.16");
        Assert.Equal("Monitoring activities", monitoring.GetProperty("title").GetString());
        Assert.Equal("Technological", monitoring.GetProperty("groupTitle").GetString());
    }

    [Fact]
    public async Task ControlsList_AllFrameworksAsJson_CountsTheAssessableUnits()
    {
        var (exit, stdout, _) = await Run("controls", "list", "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        var counts = doc.RootElement.GetProperty("frameworks").EnumerateArray()
            .ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("count").GetInt32());
        Assert.Equal(93, counts["ISO27001:2022"]);
        Assert.Equal(38, counts["ISO42001:2023"]);
        Assert.Equal(72, counts["NISTAIRMF:1.0"]);
        Assert.True(counts["EUAIA:2024"] >= 11);
    }

    [Fact]
    public async Task ControlsList_Table_ShowsIdsAndTitles()
    {
        var (exit, stdout, _) = await Run("controls", "list", "--framework", "ISO42001:2023");

        Assert.Equal(0, exit);
        Assert.Contains("ISO42001:2023/A.7.5", stdout, StringComparison.Ordinal);
        Assert.Contains("Data provenance", stdout, StringComparison.Ordinal);
        Assert.Contains("ISO42001:2023: 38 control(s)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsList_UnknownFramework_ExitsTwoAndNamesTheKnownOnes()
    {
        var (exit, stdout, stderr) = await Run("controls", "list", "--framework", "ISO27001:2013");

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("unknown framework 'ISO27001:2013'", stderr, StringComparison.Ordinal);
        Assert.Contains("ISO27001:2022", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsMap_Monitoring_ShowsTheAiMonitoringControlAsDerivedTarget()
    {
        var (exit, stdout, _) = await Run("controls", "map", "--from", "ISO27001:2022/A.8.16", "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("Monitoring activities", doc.RootElement.GetProperty("title").GetString());
        var related = Assert.Single(doc.RootElement.GetProperty("related").EnumerateArray());
        Assert.Equal("ISO42001:2023/A.6.2.6", related.GetProperty("id").GetString());
        Assert.Equal("supports", related.GetProperty("relation").GetString());
        Assert.Equal("outgoing", related.GetProperty("direction").GetString());
        Assert.True(related.GetProperty("evidenceFlows").GetBoolean());
        Assert.Equal("supports", related.GetProperty("derivedRelation").GetString());
        Assert.False(string.IsNullOrWhiteSpace(related.GetProperty("rationale").GetString()));
    }

    [Fact]
    public async Task ControlsMap_AiMonitoring_ShowsIncomingSupportsWithoutEvidenceFlowAndItsRegulatoryLinks()
    {
        var (exit, stdout, _) = await Run("controls", "map", "--from", "ISO42001:2023/A.6.2.6", "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        var related = doc.RootElement.GetProperty("related").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal("incoming", related["ISO27001:2022/A.8.16"].GetProperty("direction").GetString());
        Assert.False(related["ISO27001:2022/A.8.16"].GetProperty("evidenceFlows").GetBoolean());
        Assert.True(related["EUAIA:2024/Art.72"].GetProperty("evidenceFlows").GetBoolean());
        Assert.True(related["NISTAIRMF:1.0/MEASURE-2.4"].GetProperty("evidenceFlows").GetBoolean());
    }

    [Fact]
    public async Task ControlsMap_Table_ExplainsEachRelation()
    {
        var (exit, stdout, _) = await Run("controls", "map", "--from", "ISO27001:2022/A.5.9");

        Assert.Equal(0, exit);
        Assert.Contains("ISO42001:2023/A.4.2", stdout, StringComparison.Ordinal);
        Assert.Contains("ISO42001:2023/A.4.3", stdout, StringComparison.Ordinal);
        Assert.Contains("relation(s)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsMap_UnknownId_ExitsTwoWithTheClosestIds()
    {
        var (exit, _, stderr) = await Run("controls", "map", "--from", "ISO27001:2022/A.8.61");

        Assert.Equal(2, exit);
        Assert.Contains("unknown control id 'ISO27001:2022/A.8.61'", stderr, StringComparison.Ordinal);
        Assert.Contains("ISO27001:2022/A.8.16", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsMap_WithoutFrom_IsAUsageError()
    {
        var (exit, _, stderr) = await Run("controls", "map");

        Assert.Equal(2, exit);
        Assert.Contains("--from", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsCoverage_WithResults_CountsDirectDerivedManualAndLatestVerdict()
    {
        WriteRule("mon.csx", "MON-ALERTS", "ISO27001:2022/A.8.16 supports", "EUAIA:2024/Art.15(5) partial");
        WriteRule("inv.csx", "INV-MODELS", "ISO27001:2022/A.5.9 satisfies");
        var results = WriteResults("""
            { "runId": "r1", "rules": [
              { "id": "MON-ALERTS", "target": "org-a", "verdict": "pass" },
              { "id": "MON-ALERTS", "target": "org-b", "verdict": "fail" },
              { "id": "INV-MODELS", "target": "default", "verdict": "pass" } ] }
            """);

        var (exit, stdout, stderr) = await Run("controls", "coverage", "--rules", RulesDir, "--results", results, "--json");

        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("ruleCount").GetInt32());

        var iso27001 = Framework(doc.RootElement, "ISO27001:2022");
        Assert.Equal(93, iso27001.GetProperty("totals").GetProperty("controls").GetInt32());
        Assert.Equal(2, iso27001.GetProperty("totals").GetProperty("direct").GetInt32());
        Assert.Equal(91, iso27001.GetProperty("totals").GetProperty("manual").GetInt32());
        Assert.Equal("fail", Control(iso27001, "ISO27001:2022/A.8.16").GetProperty("verdict").GetString()); // worst target wins
        Assert.Equal("pass", Control(iso27001, "ISO27001:2022/A.5.9").GetProperty("verdict").GetString());

        // Every 27001 → 42001 link is 'supports' or 'partial': related evidence, shown apart, never coverage or a verdict.
        var iso42001 = Framework(doc.RootElement, "ISO42001:2023");
        var totals = iso42001.GetProperty("totals");
        Assert.Equal(0, totals.GetProperty("direct").GetInt32());
        Assert.Equal(0, totals.GetProperty("derivedOnly").GetInt32());
        Assert.Equal(38, totals.GetProperty("manual").GetInt32());
        var aiMonitoring = Control(iso42001, "ISO42001:2023/A.6.2.6");
        Assert.Equal("manual", aiMonitoring.GetProperty("status").GetString());
        Assert.Empty(aiMonitoring.GetProperty("derived").EnumerateArray());
        var related = Assert.Single(aiMonitoring.GetProperty("related").EnumerateArray());
        Assert.Equal("MON-ALERTS", related.GetProperty("rule").GetString());
        Assert.Equal("ISO27001:2022/A.8.16", related.GetProperty("via").GetString());
        Assert.Equal("supports", related.GetProperty("relation").GetString());
        Assert.False(aiMonitoring.TryGetProperty("verdict", out var v) && v.ValueKind != JsonValueKind.Null); // the failing target does not fail A.6.2.6
        Assert.Equal(0, iso42001.GetProperty("verdicts").GetProperty("fail").GetInt32());

        var euaia = Framework(doc.RootElement, "EUAIA:2024");
        var article = Control(euaia, "EUAIA:2024/Art.15");
        Assert.Equal("partial", Assert.Single(article.GetProperty("related").EnumerateArray()).GetProperty("relation").GetString());
        Assert.Equal("manual", article.GetProperty("status").GetString()); // a paragraph does not cover its article
        Assert.Equal("direct", Control(euaia, "EUAIA:2024/Art.15(5)").GetProperty("status").GetString());
    }

    [Fact]
    public async Task ControlsCoverage_BuiltInGitHubRulesAllFailing_NeitherCoverNorFailAiControlsThroughTheCrosswalk()
    {
        var github = Path.Combine(RepositoryRoot.Path, "rules", "github");
        var ids = Directory.GetFiles(github, "*.csx").Select(f => File.ReadLines(f).First(l => l.StartsWith("id: ", StringComparison.Ordinal))[4..]).ToList();
        var results = Path.Combine(_dir, "all-fail.json");
        File.WriteAllText(results, JsonSerializer.Serialize(new { runId = "r", rules = ids.Select(id => new { id, target = "orbital-labs", verdict = "fail" }) }));

        var (exit, stdout, stderr) = await Run("controls", "coverage", "--rules", github, "--results", results, "--framework", "ISO42001:2023", "--json");

        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var iso42001 = Framework(doc.RootElement, "ISO42001:2023");
        // "A.2.2 partial Art.17": evidence about Art.17 says nothing about the AI policy.
        var policy = Control(iso42001, "ISO42001:2023/A.2.2");
        Assert.Equal("manual", policy.GetProperty("status").GetString());
        Assert.DoesNotContain(policy.GetProperty("related").EnumerateArray(), e => e.GetProperty("rule").GetString() == "GH-BRANCH-PROTECTION");
        // "A.6.2.2 partial Art.15": GitHub rules failing Art.15 do not fail AI system requirements.
        var requirements = Control(iso42001, "ISO42001:2023/A.6.2.2");
        Assert.False(requirements.TryGetProperty("verdict", out var verdict) && verdict.GetString() == "fail");
        Assert.Empty(requirements.GetProperty("direct").EnumerateArray());
        Assert.Empty(requirements.GetProperty("derived").EnumerateArray());
    }

    [Fact]
    public async Task ControlsCoverage_OneFrameworkTable_PrintsTotalsLine()
    {
        WriteRule("mon.csx", "MON-ALERTS", "ISO27001:2022/A.8.16 supports");

        var (exit, stdout, _) = await Run("controls", "coverage", "--rules", RulesDir, "--framework", "ISO42001:2023");

        Assert.Equal(0, exit);
        Assert.Contains("MON-ALERTS (supports via ISO27001:2022/A.8.16)", stdout, StringComparison.Ordinal);
        Assert.Contains("ISO42001:2023: 38 control(s); 0 covered by automated evidence (0 direct, 0 through an equivalent control only; 0 of them partial only), 38 left to manual evidence", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsCoverage_RuleWithUnknownControl_ReportsItAndExitsTwo()
    {
        WriteRule("bad.csx", "BAD-IDS", "ISO27001:2022/A.8.32 supports", "ISO42001:2023/A.6.2.66 supports");

        var (exit, stdout, stderr) = await Run("controls", "coverage", "--rules", RulesDir, "--framework", "ISO27001:2022", "--json");

        Assert.Equal(2, exit);
        Assert.Contains("bad.csx(6,1): error EB0300: unknown control id 'ISO42001:2023/A.6.2.66'", stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(1, Framework(doc.RootElement, "ISO27001:2022").GetProperty("totals").GetProperty("direct").GetInt32());
    }

    [Theory]
    [InlineData("""{ "rules": [ { "id": "X", "verdict": "passed" } ] }""", "$.rules[0].verdict")]
    [InlineData("""{ "rules": [ { "verdict": "pass" } ] }""", "$.rules[0].id")]
    [InlineData("""{ "results": [] }""", "$.rules")]
    [InlineData("""{ "rules": [ """, "not valid JSON")]
    public async Task ControlsCoverage_BadResultsFile_ExitsTwoNamingTheField(string json, string expected)
    {
        WriteRule("mon.csx", "MON-ALERTS", "ISO27001:2022/A.8.16 supports");
        var results = WriteResults(json);

        var (exit, _, stderr) = await Run("controls", "coverage", "--rules", RulesDir, "--results", results);

        Assert.Equal(2, exit);
        Assert.Contains(results, stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlsCoverage_MissingRulesFolder_ExitsTwo()
    {
        var (exit, _, stderr) = await Run("controls", "coverage", "--rules", Path.Combine(_dir, "nope"));

        Assert.Equal(2, exit);
        Assert.Contains("EB0010", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Controls_CustomCatalogFolder_ReplacesTheBuiltInOne()
    {
        var controls = Path.Combine(_dir, "controls");
        Directory.CreateDirectory(controls);
        File.WriteAllText(Path.Combine(controls, "acme.json"), """
            { "framework": "ACME:1", "name": "Acme internal controls", "assessable": ["control"],
              "controls": [ { "id": "C-1", "title": "Reviewed changes", "kind": "control" }, { "id": "C-2", "title": "Backups", "kind": "control" } ] }
            """);
        WriteRule("chg.csx", "CHG", "ACME:1/C-1 satisfies");

        var list = await Run("controls", "list", "--controls", controls, "--json");
        var coverage = await Run("controls", "coverage", "--controls", controls, "--rules", RulesDir, "--json");

        Assert.Equal(0, list.Exit);
        using var listDoc = JsonDocument.Parse(list.Out);
        Assert.Equal("ACME:1", Assert.Single(listDoc.RootElement.GetProperty("frameworks").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(0, coverage.Exit);
        using var coverageDoc = JsonDocument.Parse(coverage.Out);
        var totals = Framework(coverageDoc.RootElement, "ACME:1").GetProperty("totals");
        Assert.Equal(1, totals.GetProperty("direct").GetInt32());
        Assert.Equal(1, totals.GetProperty("manual").GetInt32());
    }

    [Fact]
    public async Task Controls_BrokenCatalogFolder_ExitsTwoNamingFileAndPath()
    {
        var controls = Path.Combine(_dir, "controls");
        Directory.CreateDirectory(controls);
        File.WriteAllText(Path.Combine(controls, "acme.json"), """
            { "framework": "ACME:1", "name": "Acme", "assessable": ["control"], "controls": [ { "id": "C-1", "kind": "control" } ] }
            """);

        var (exit, _, stderr) = await Run("controls", "list", "--controls", controls);

        Assert.Equal(2, exit);
        Assert.Contains("acme.json", stderr, StringComparison.Ordinal);
        Assert.Contains("$.controls[0]", stderr, StringComparison.Ordinal);
        Assert.Contains("'title' is required", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesList_RuleWithUnknownControl_ExitsTwoWithLineAndSuggestions()
    {
        WriteRule("good.csx", "GOOD", "ISO27001:2022/A.8.16 supports");
        WriteRule("bad.csx", "BAD-IDS", "ISO27001:2022/A.8.32 supports", "NISTAIRMF:1.0/MEASURE 2.4 supports");

        var (exit, _, stderr) = await Run("rules", "list", "--rules", RulesDir, "--json");

        Assert.Equal(2, exit);
        Assert.Contains("bad.csx(6,1): error EB0300: unknown control id 'NISTAIRMF:1.0/MEASURE 2.4'", stderr, StringComparison.Ordinal);
        Assert.Contains("closest valid ids: NISTAIRMF:1.0/MEASURE-2.4, ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("good.csx", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesCheck_RuleWithUnknownControl_ExitsTwo()
    {
        WriteRule("bad.csx", "BAD-IDS", "ISO42001:2023/A.6.2.66 supports");

        var (exit, stdout, _) = await Run("rules", "check", "--rules", RulesDir, "--cache-dir", Path.Combine(_dir, "cache"));

        Assert.Equal(2, exit);
        Assert.Contains("bad.csx(5,1): error EB0300", stdout, StringComparison.Ordinal);
        Assert.Contains("ISO42001:2023/A.6.2.6,", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RuleWithUnknownControl_DoesNotRunAndIsRecordedAsError()
    {
        WriteRule("good.csx", "GOOD", "ISO27001:2022/A.8.16 supports");
        WriteRule("bad.csx", "BAD-IDS", "ISO27001:2022/A.8.99 supports");
        var outDir = Path.Combine(_dir, "out");

        var (exit, _, stderr) = await Run("run", "--rules", RulesDir, "--cache-dir", Path.Combine(_dir, "cache"), "--out", outDir);

        Assert.Equal(3, exit);
        Assert.Contains("error EB0300", stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json")));
        var rules = doc.RootElement.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal("pass", rules["GOOD"].GetProperty("verdict").GetString());
        Assert.Equal("error", rules["BAD-IDS"].GetProperty("verdict").GetString());
        Assert.Contains("EB0300", rules["BAD-IDS"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(rules["BAD-IDS"].GetProperty("findings").EnumerateArray());
    }
}
