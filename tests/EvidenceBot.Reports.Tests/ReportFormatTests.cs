using System.Text.Json;
using System.Xml.Linq;
using NJsonSchema;

namespace EvidenceBot.Reports.Tests;

public sealed class ReportFormatTests
{
    private static readonly ReportFormats All = ReportFormats.Html | ReportFormats.Oscal | ReportFormats.Sarif | ReportFormats.JUnit | ReportFormats.Soa;

    [Fact]
    public async Task Oscal_VerifiedBundle_ValidatesAgainstNistAssessmentResultsSchema()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var outDir = dir.Sub("reports");

        ReportFixture.Report(bundle, outDir, ReportFormats.Oscal);

        var json = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.OscalFile));
        var schema = await JsonSchema.FromJsonAsync(NistSchema());
        var errors = schema.Validate(json);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind} {e}")));
        using var doc = JsonDocument.Parse(json);
        var ar = doc.RootElement.GetProperty("assessment-results");
        Assert.Equal("1.1.2", ar.GetProperty("metadata").GetProperty("oscal-version").GetString());
        var result = ar.GetProperty("results")[0];
        var findings = result.GetProperty("findings").EnumerateArray().ToDictionary(
            f => f.GetProperty("target").GetProperty("target-id").GetString()!,
            f => f.GetProperty("target").GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("satisfied", findings["iso27001-2022_a.8.32"]);
        Assert.Equal("not-satisfied", findings["iso27001-2022_a.5.15"]);
        Assert.Equal("not-satisfied", findings["iso27001-2022_a.8.16"]);
        // Art.15(5) is reached only through GH-FAIL's own 'partial' mapping, which is direct: it is a finding.
        Assert.Equal("not-satisfied", findings["euaia-2024_art.15.5"]);
        var observations = result.GetProperty("observations").EnumerateArray().ToList();
        Assert.All(observations, o => Assert.Equal("TEST", o.GetProperty("methods")[0].GetString()));
        // One observation per finding (4) and one for the execution that erred before any finding.
        Assert.Equal(5, observations.Count);
        var evidence = observations.SelectMany(o => o.TryGetProperty("relevant-evidence", out var e) ? e.EnumerateArray() : []).ToList();
        Assert.Contains(evidence, e => e.GetProperty("props").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "sha256" && p.GetProperty("value").GetString()!.Length == 64));
    }

    /// <summary>
    /// NIST's schema as NJsonSchema can resolve it: the file refers to definitions by their <c>$id</c> (<c>"#assembly_…"</c>),
    /// which NJsonSchema reads as file paths; each such reference is rewritten to its JSON pointer. Nothing else changes.
    /// </summary>
    private static string NistSchema()
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(ReportFixture.Data("oscal_assessment-results_schema.json")))!.AsObject();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, def) in root["definitions"]!.AsObject())
        {
            if (def is System.Text.Json.Nodes.JsonObject o && o["$id"] is { } id)
            {
                ids[id.GetValue<string>()] = "#/definitions/" + name;
                o.Remove("$id");
            }
        }

        void Rewrite(System.Text.Json.Nodes.JsonNode? node)
        {
            if (node is System.Text.Json.Nodes.JsonObject obj)
            {
                if (obj["$ref"] is { } r && ids.TryGetValue(r.GetValue<string>(), out var pointer))
                    obj["$ref"] = pointer;
                foreach (var (_, child) in obj.ToList())
                    Rewrite(child);
            }
            else if (node is System.Text.Json.Nodes.JsonArray arr)
            {
                foreach (var child in arr)
                    Rewrite(child);
            }
        }

        Rewrite(root);
        root.Remove("$id");
        return root.ToJsonString();
    }

    [Theory]
    [InlineData("ISO27001:2022/A.8.16", "iso27001-2022_a.8.16")]
    [InlineData("EUAIA:2024/Art.15(5)", "euaia-2024_art.15.5")]
    [InlineData("NISTAIRMF:1.0/MEASURE-2.4", "nistairmf-1.0_measure-2.4")]
    public void ControlId_OurId_BecomesAnOscalToken(string ours, string oscal) =>
        Assert.Equal(oscal, OscalReport.ControlId(ours));

    [Fact]
    public async Task Sarif_FailingAndErroringFindings_AreResultsWithStableFingerprints()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var first = dir.Sub("r1");
        var second = dir.Sub("r2");

        ReportFixture.Report(bundle, first, ReportFormats.Sarif);
        ReportFixture.Report(bundle, second, ReportFormats.Sarif);

        var text = await File.ReadAllTextAsync(Path.Combine(first, ReportWriter.SarifFile));
        Assert.Equal(text, await File.ReadAllTextAsync(Path.Combine(second, ReportWriter.SarifFile)));
        using var doc = JsonDocument.Parse(text);
        var run = doc.RootElement.GetProperty("runs")[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(["GH-ERROR", "GH-FAIL", "GH-NA", "GH-PASS"], rules.Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        var failRule = rules.Single(r => r.GetProperty("id").GetString() == "GH-FAIL");
        Assert.Equal("8.0", failRule.GetProperty("properties").GetProperty("security-severity").GetString());
        Assert.Contains("ISO27001:2022/A.5.15", failRule.GetProperty("properties").GetProperty("controls").EnumerateArray().Select(c => c.GetString()));
        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(2, results.Count);
        var fail = results.Single(r => r.GetProperty("ruleId").GetString() == "GH-FAIL");
        Assert.Equal("error", fail.GetProperty("level").GetString());
        Assert.Equal(ReportFixture.Hostile, fail.GetProperty("locations")[0].GetProperty("logicalLocations")[0].GetProperty("name").GetString());
        Assert.Equal(SarifReport.Fingerprint("GH-FAIL", "octo-org", ReportFixture.Hostile), fail.GetProperty("partialFingerprints").GetProperty(SarifReport.FingerprintKey).GetString());
        Assert.NotEqual(SarifReport.Fingerprint("GH-FAIL", "octo-org", "octo-org/web"), SarifReport.Fingerprint("GH-FAIL", "octo-org", ReportFixture.Hostile));
        var error = results.Single(r => r.GetProperty("ruleId").GetString() == "GH-ERROR");
        Assert.Equal("warning", error.GetProperty("level").GetString());
    }

    [Fact]
    public async Task Sarif_WaivedFinding_IsAResultSuppressedExternallyWithTheWaiver()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir, withWaived: true);
        var outDir = dir.Sub("reports");

        ReportFixture.Report(bundle, outDir, ReportFormats.Sarif);

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.SarifFile)));
        var result = doc.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == "GH-WAIVED");
        Assert.Equal("waived", result.GetProperty("properties").GetProperty("verdict").GetString());
        var suppression = Assert.Single(result.GetProperty("suppressions").EnumerateArray());
        Assert.Equal("external", suppression.GetProperty("kind").GetString());
        Assert.Equal("accepted", suppression.GetProperty("status").GetString());
        Assert.Contains("waiver W-7 approved by alice@example.com, until 2027-01-31", suppression.GetProperty("justification").GetString(), StringComparison.Ordinal);
        Assert.Equal(ReportFixture.Waiver.Digest, suppression.GetProperty("properties").GetProperty("digest").GetString());
    }

    [Fact]
    public async Task AllFormats_WaivedRule_ShowWaivedNeverPass()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir, withWaived: true);
        var outDir = dir.Sub("reports");

        ReportFixture.Report(bundle, outDir, All);

        var html = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.HtmlFile));
        Assert.Contains("⚑ waived", html, StringComparison.Ordinal);
        Assert.Contains("risk accepted by waiver <code>W-7</code>", html, StringComparison.Ordinal);
        var junit = XDocument.Load(Path.Combine(outDir, ReportWriter.JUnitFile));
        var waived = junit.Root!.Elements("testsuite").Single(s => (string)s.Attribute("name")! == "GH-WAIVED").Elements("testcase").Single(c => (string)c.Attribute("name")! == "octo-org/legacy");
        Assert.StartsWith("waived: failed, risk accepted by waiver W-7", (string)waived.Element("skipped")!.Attribute("message")!, StringComparison.Ordinal);
        using var oscal = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.OscalFile)));
        var result = oscal.RootElement.GetProperty("assessment-results").GetProperty("results")[0];
        var finding = result.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("target").GetProperty("target-id").GetString() == "iso27001-2022_a.8.8");
        Assert.Equal("not-satisfied", finding.GetProperty("target").GetProperty("status").GetProperty("state").GetString());
        var observation = result.GetProperty("observations").EnumerateArray().Single(o => o.GetProperty("props").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "waiver-id"));
        Assert.Contains(observation.GetProperty("props").EnumerateArray(), p => p.GetProperty("name").GetString() == "verdict" && p.GetProperty("value").GetString() == "waived");
        var schema = await JsonSchema.FromJsonAsync(NistSchema());
        Assert.Empty(schema.Validate(oscal.RootElement.GetRawText()));
        var (exit, stdout, stderr) = ReportFixture.Exec("xmllint", ["--noout", "--schema", ReportFixture.Data("junit-10.xsd"), Path.Combine(outDir, ReportWriter.JUnitFile)]);
        Assert.True(exit == 0, stdout + stderr);
    }

    [Fact]
    public async Task AllFormats_EvidenceOlderThanItsFreshness_IsStaleAndNeverCovers()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var fresh = dir.Sub("fresh");
        var old = dir.Sub("old");

        // Three days after the run nothing is stale (default freshness 7 d); ten days after, all but GH-FAIL's evidence
        // is (its rule allows 30 d).
        ReportFixture.Report(bundle, fresh, ReportFormats.Html);
        ReportFixture.Report(bundle, old, All, after: TimeSpan.FromDays(10), freshness: new Dictionary<string, TimeSpan> { ["rules/gh-fail.csx"] = TimeSpan.FromDays(30) });

        Assert.Contains("every execution's evidence is within its rule's freshness", await File.ReadAllTextAsync(Path.Combine(fresh, ReportWriter.HtmlFile)), StringComparison.Ordinal);
        var html = await File.ReadAllTextAsync(Path.Combine(old, ReportWriter.HtmlFile));
        Assert.Contains("◔ stale</span> 3 of 4 execution(s) older than their rule's freshness", html, StringComparison.Ordinal);
        Assert.Matches("This evidence is (9|10) d old; its rule's freshness is 7 d\\.", html);
        // A.8.32 had only GH-PASS's (now old) pass: stale, not pass. A.5.15's failure is fresh: still fail.
        Assert.Matches("id=\"ctl-iso27001-2022-a-8-32\" data-verdict=\"stale\"", html);
        Assert.Matches("id=\"ctl-iso27001-2022-a-5-15\" data-verdict=\"fail\"", html);

        using var oscal = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(old, ReportWriter.OscalFile)));
        var result = oscal.RootElement.GetProperty("assessment-results").GetProperty("results")[0];
        var status = result.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("target").GetProperty("target-id").GetString() == "iso27001-2022_a.8.32").GetProperty("target").GetProperty("status");
        Assert.Equal("not-satisfied", status.GetProperty("state").GetString());
        Assert.StartsWith("Stale:", status.GetProperty("remarks").GetString(), StringComparison.Ordinal);
        // One observation each for GH-PASS, GH-ERROR and GH-NA; none for GH-FAIL's two findings.
        Assert.Equal(3, result.GetProperty("observations").EnumerateArray().Count(o => o.GetProperty("props").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "stale")));
        var schema = await JsonSchema.FromJsonAsync(NistSchema());
        Assert.Empty(schema.Validate(oscal.RootElement.GetRawText()));

        var csv = await File.ReadAllLinesAsync(Path.Combine(old, "soa-iso27001-2022.csv"));
        var row = csv.Single(l => l.StartsWith("ISO27001:2022/A.8.32,", StringComparison.Ordinal));
        Assert.Contains(",GH-PASS,stale,", row, StringComparison.Ordinal);
        Assert.Contains("older than its rule's freshness", row, StringComparison.Ordinal);
        Assert.Contains(",GH-FAIL,fail,", csv.Single(l => l.StartsWith("ISO27001:2022/A.5.15,", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sarif_MicrosoftMultitoolValidate_ReportsNoError()
    {
        var root = ReportFixture.RepoRoot();
        var tool = Path.Combine(root, "tests", "sarif", "node_modules", ".bin", "sarif-multitool");
        Assert.True(File.Exists(tool), $"{tool} is missing: run ./test.sh (it runs 'npm ci --prefix tests/sarif' first), or that npm command yourself.");
        using var dir = new TempDir();
        // With a waived finding: its suppression must be valid SARIF too.
        var bundle = await ReportFixture.WriteBundleAsync(dir, withWaived: true);
        var outDir = dir.Sub("reports");
        ReportFixture.Report(bundle, outDir, ReportFormats.Sarif);
        var log = Path.Combine(dir.Path, "validation.sarif");

        var (exit, stdout, stderr) = ReportFixture.Exec(tool, ["validate", Path.Combine(outDir, ReportWriter.SarifFile), "--output", log]);

        Assert.True(exit == 0, stdout + stderr);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(log));
        var problems = doc.RootElement.GetProperty("runs")[0].TryGetProperty("results", out var r)
            ? r.EnumerateArray().Where(x => x.TryGetProperty("level", out var l) && l.GetString() == "error").Select(x => x.GetRawText()).ToList()
            : [];
        Assert.Empty(problems);
    }

    [Fact]
    public async Task JUnit_SuitePerRule_ValidatesAgainstJenkinsJUnitSchemaWithXmllint()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var outDir = dir.Sub("reports");
        ReportFixture.Report(bundle, outDir, ReportFormats.JUnit);
        var file = Path.Combine(outDir, ReportWriter.JUnitFile);

        var (exit, stdout, stderr) = ReportFixture.Exec("xmllint", ["--noout", "--schema", ReportFixture.Data("junit-10.xsd"), file]);

        Assert.True(exit == 0, stdout + stderr);
        var xml = XDocument.Load(file);
        var suites = xml.Root!.Elements("testsuite").ToDictionary(s => (string)s.Attribute("name")!);
        Assert.Equal(4, suites.Count);
        Assert.Single(suites["GH-FAIL"].Elements("testcase"), c => c.Element("failure") is not null);
        Assert.Equal(ReportFixture.Hostile, (string)suites["GH-FAIL"].Elements("testcase").First(c => c.Element("failure") is not null).Attribute("name")!);
        Assert.NotNull(suites["GH-ERROR"].Element("testcase")!.Element("error"));
        Assert.NotNull(suites["GH-NA"].Element("testcase")!.Element("skipped"));
        Assert.Null(suites["GH-PASS"].Element("testcase")!.Elements().FirstOrDefault(e => e.Name != "system-out"));
    }

    [Fact]
    public async Task Html_HostileStrings_AreEscapedAndDigestsShown()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var outDir = dir.Sub("reports");
        ReportFixture.Report(bundle, outDir, ReportFormats.Html);

        var html = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.HtmlFile));

        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>bold</b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Equal(1, html.Split("<script>").Length - 1);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        var manifest = await File.ReadAllTextAsync(Path.Combine(bundle, "manifest.json"));
        using var doc = JsonDocument.Parse(manifest);
        foreach (var f in doc.RootElement.GetProperty("predicate").GetProperty("files").EnumerateArray().Where(f => f.GetProperty("path").GetString()!.StartsWith("raw/", StringComparison.Ordinal)))
            Assert.Contains(f.GetProperty("sha256").GetString()!, html, StringComparison.Ordinal);
        Assert.DoesNotContain("UNVERIFIED", html, StringComparison.Ordinal);
        // Related evidence is apart: Art.15 as a whole is only related to GH-FAIL (from a part of it).
        Assert.Contains("Related evidence (not counted)", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Html_RawFileOverTheCap_IsLinkedByItsBundlePathNotEmbedded()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var outDir = dir.Sub("reports");
        ReportFixture.Report(bundle, outDir, ReportFormats.Html);

        var html = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.HtmlFile));

        Assert.DoesNotContain(new string('x', 1000), html, StringComparison.Ordinal);
        Assert.Contains("larger than the 256 KiB per-file cap", html, StringComparison.Ordinal);
        Assert.Matches("<a href=\"\\.\\./out/[^\"]+/raw/[0-9a-f]{64}\\.json\">", html);
    }

    [Fact]
    public async Task Html_TotalCapReached_LaterFilesAreLinked()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var outDir = dir.Sub("reports");
        ReportFixture.Report(bundle, outDir, ReportFormats.Html, embedTotalCap: 10);

        var html = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.HtmlFile));

        Assert.DoesNotContain("class=\"rawbody\"", html, StringComparison.Ordinal);
        Assert.Contains("past the 0 MiB page cap", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllFormats_TamperedBundleReportedAnyway_SayUnverifiedInTheirFirstLines()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var raw = Directory.EnumerateFiles(Path.Combine(bundle, "raw")).First();
        await File.AppendAllTextAsync(raw, " ");
        var outDir = dir.Sub("reports");

        var written = ReportFixture.Report(bundle, outDir, All);

        Assert.Equal(4, written.Count(f => !Path.GetFileName(f).StartsWith("soa-", StringComparison.Ordinal)));
        Assert.Contains(written, f => Path.GetFileName(f) == "soa-iso27001-2022.csv");
        foreach (var file in written)
        {
            var head = string.Join("\n", File.ReadLines(file).Take(8));
            Assert.True(head.Contains("UNVERIFIED", StringComparison.Ordinal), $"{Path.GetFileName(file)} does not say UNVERIFIED in its first lines:\n{head}");
        }

        var html = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.HtmlFile));
        Assert.Contains("class=\"unverified\"", html, StringComparison.Ordinal);
        Assert.Contains("@media print", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Soa_ApplicabilityFile_ExclusionAndManualPartAppear()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var soa = Path.Combine(dir.Path, "applicability.yaml");
        await File.WriteAllTextAsync(soa, """
            controls:
              ISO27001:2022/A.7.4:
                applicable: false
                justification: "No premises: the company is fully remote, so physical security monitoring does not apply"
              ISO27001:2022/A.5.1:
                applicable: true
                justification: Required by the ISMS scope
                manual: "Policy approved by the board, minutes BM-2026-01"
            """);
        var outDir = dir.Sub("reports");

        ReportFixture.Report(bundle, outDir, ReportFormats.Soa, soa);

        var csv = await File.ReadAllLinesAsync(Path.Combine(outDir, "soa-iso27001-2022.csv"));
        Assert.StartsWith("control,title,applicable,justification,automated_evidence_rules,latest_verdict,evidence_files,evidence_age", csv[0], StringComparison.Ordinal);
        Assert.Contains(csv, l => l.StartsWith("ISO27001:2022/A.7.4,", StringComparison.Ordinal) && l.Contains(",no,\"No premises", StringComparison.Ordinal));
        Assert.Contains(csv, l => l.StartsWith("ISO27001:2022/A.5.1,", StringComparison.Ordinal) && l.Contains("minutes BM-2026-01", StringComparison.Ordinal));
        var failing = csv.Single(l => l.StartsWith("ISO27001:2022/A.5.15,", StringComparison.Ordinal));
        Assert.Contains(",GH-FAIL,fail,statements/", failing, StringComparison.Ordinal);
        Assert.Contains(",2 d,", failing, StringComparison.Ordinal);
        var md = await File.ReadAllTextAsync(Path.Combine(outDir, "soa-iso27001-2022.md"));
        Assert.Contains("| ISO27001:2022/A.7.4 |", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Soa_ExcludedWithoutJustification_IsAnErrorNamingTheLine()
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var soa = Path.Combine(dir.Path, "applicability.yaml");
        await File.WriteAllTextAsync(soa, "controls:\n  ISO27001:2022/A.5.1:\n    applicable: true\n  ISO27001:2022/A.7.4:\n    applicable: false\n");

        var ex = Assert.Throws<ReportException>(() => ReportFixture.Report(bundle, dir.Sub("reports"), ReportFormats.Soa, soa));

        Assert.Contains("applicability.yaml:4:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("6.1.3 d", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("controls:\n  ISO27001:2022/A.5.1:\n    applicable: perhaps\n", 3, "applicable")]
    [InlineData("controls:\n  ISO27001:2022/A.5.1:\n    applicable: true\n    colour: red\n", 4, "colour")]
    [InlineData("controls:\n  ISO27001:2022/A.99.1:\n    applicable: true\n", 2, "A.99.1")]
    [InlineData("controls:\n  - [unclosed\n", 3, "not valid YAML")]
    public async Task Soa_BadApplicabilityFile_ErrorNamesTheLine(string yaml, int line, string words)
    {
        using var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var soa = Path.Combine(dir.Path, "applicability.yaml");
        await File.WriteAllTextAsync(soa, yaml);

        var ex = Assert.Throws<ReportException>(() => ReportFixture.Report(bundle, dir.Sub("reports"), ReportFormats.Soa, soa));

        Assert.True(ex.Message.Contains($"applicability.yaml:{line}:", StringComparison.Ordinal) && ex.Message.Contains(words, StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public async Task Verify_ArchiveWithCallback_HandsTheExtractedFolderOverBeforeDeletingIt()
    {
        using var dir = new TempDir();
        var archive = await ReportFixture.WriteBundleAsync(dir, archive: true);
        string? seen = null;
        var existed = false;

        var report = EvidenceBot.Evidence.Bundles.BundleVerifier.Verify(archive, ReportFixture.PublicKey, null, (folder, r) =>
        {
            seen = folder;
            existed = File.Exists(Path.Combine(folder, "manifest.json")) && r.Passed;
        });

        Assert.True(report.Passed);
        Assert.True(existed);
        Assert.False(Directory.Exists(seen));
    }

    [Fact]
    public async Task AllFormats_FromArchive_WrittenWithoutLinksIntoTheDeletedFolder()
    {
        using var dir = new TempDir();
        var archive = await ReportFixture.WriteBundleAsync(dir, archive: true);
        var outDir = dir.Sub("reports");

        var written = ReportFixture.Report(archive, outDir, All);

        Assert.Contains(written, f => Path.GetFileName(f) == "soa-iso27001-2022.md");
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.HtmlFile));
        Assert.Contains("in the bundle and compare its SHA-256", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownFormat_NamesIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => ReportFormatList.Parse(["html,pdf"]));
        Assert.Contains("'pdf'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ReportFormats.Html | ReportFormats.Sarif, ReportFormatList.Parse(["html", "sarif"]));
    }
}
