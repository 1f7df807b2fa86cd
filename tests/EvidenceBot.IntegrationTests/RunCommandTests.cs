using System.Text.Json;

namespace EvidenceBot.IntegrationTests;

public class RunCommandTests
{
    [Fact]
    public async Task Run_AllPass_ExitsZeroAndWritesResults()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\", new { n = 1 });");
        cli.Rule("b.csx", "B-1", "NotApplicable(\"res-b\", \"no such thing here\");");

        var (exit, stdout, _) = await cli.RunRules();

        Assert.Equal(0, exit);
        Assert.Contains("2 rule execution(s): 1 pass, 0 fail, 0 error, 1 not applicable", stdout, StringComparison.Ordinal);
        // Redirected output (a log, a pipe) gets plain aligned columns, no box drawing.
        Assert.Matches(@"(?m)^Rule +Target +Verdict +Findings +ms +Note$", stdout);
        Assert.Matches(@"(?m)^A-1 +default +pass +1 pass / 0 fail +\d+$", stdout);
        Assert.DoesNotContain("│", stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Out, "results.json")));
        var root = doc.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("runId").GetString()));
        Assert.Equal("2026-11-28T12:00:00+00:00", root.GetProperty("startedAt").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("engineVersion").GetString()));
        var a = root.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("id").GetString() == "A-1");
        Assert.Equal("pass", a.GetProperty("verdict").GetString());
        Assert.True(a.TryGetProperty("durationMs", out _));
        var finding = a.GetProperty("findings")[0];
        Assert.Equal("res-a", finding.GetProperty("resource").GetString());
        Assert.Equal("pass", finding.GetProperty("status").GetString());
        Assert.Equal("fine", finding.GetProperty("message").GetString());
        Assert.Equal(1, finding.GetProperty("observed").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task Run_ResultsFileCannotBeWritten_ExitsThreeNamingItAndStillWritesTheBundle()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");");
        Directory.CreateDirectory(Path.Combine(cli.Out, "results.json", "in-the-way")); // a folder where the file goes

        var (exit, stdout, stderr) = await cli.RunRules();

        Assert.Equal(3, exit);
        Assert.Contains("results.json could not be written", stderr, StringComparison.Ordinal);
        Assert.Contains("pass --out a folder you can write to", stderr, StringComparison.Ordinal);
        Assert.Contains("Evidence bundle:", stdout, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(cli.Out, "2*"));
    }

    [Fact]
    public async Task Run_SomeFail_ExitsOne()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"fine\");");
        cli.Rule("b.csx", "B-1", "Fail(\"b\", \"not fine\");");

        var (exit, _, _) = await cli.RunRules();

        Assert.Equal(1, exit);
    }

    [Fact]
    public async Task Run_SomeError_ExitsThree()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Fail(\"a\", \"not fine\");");
        cli.Rule("b.csx", "B-1", "throw new Exception(\"source down\");");

        var (exit, stdout, _) = await cli.RunRules();

        Assert.Equal(3, exit);
        Assert.Contains("source down", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BrokenRule_OthersRunAndTheBrokenOneIsRecordedAsError()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"fine\");");
        cli.Rule("b.csx", "B-1", "Pass(\"a\" \"fine\");");
        cli.Write("rules/c.csx", "/* ---\nid: C-1\n--- */\nPass(\"a\", \"b\");");

        var (exit, _, stderr) = await cli.RunRules();

        Assert.Equal(3, exit);
        Assert.Contains("b.csx(5,10): error CS1003", stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Out, "results.json")));
        var verdicts = doc.RootElement.GetProperty("rules").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("verdict").GetString());
        Assert.Equal("pass", verdicts["A-1"]);
        Assert.Equal("error", verdicts["B-1"]);
        Assert.Equal("error", Assert.Single(verdicts, v => v.Key.StartsWith("file:", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public async Task Run_OnlyOneRule_RunsJustThatRule()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"fine\");");
        cli.Rule("b.csx", "B-1", "Fail(\"b\", \"not fine\");");

        var (exit, stdout, _) = await cli.RunRules("--rule", "A-1");

        Assert.Equal(0, exit);
        Assert.Contains("1 rule execution(s)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownRuleId_IsUsageErrorTwo()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"fine\");");

        var (exit, _, stderr) = await cli.RunRules("--rule", "NOPE");

        Assert.Equal(2, exit);
        Assert.Contains("NOPE", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingRulesFolder_IsUsageErrorTwo()
    {
        using var cli = new CliRunner();

        var (exit, _, stderr) = await cli.Run("run", "--rules", Path.Combine(cli.Root, "nope"), "--cache-dir", cli.Cache, "--out", cli.Out);

        Assert.Equal(2, exit);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownOption_IsUsageErrorTwo()
    {
        using var cli = new CliRunner();

        var (exit, _, stderr) = await cli.Run("run", "--frobnicate");

        Assert.Equal(2, exit);
        Assert.Contains("--frobnicate", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigOverridesParameterDefaults()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Check(\"a\", Param<int>(\"min\") <= 2, \"min is \" + Param<int>(\"min\"));", "parameters: { min: 1 }\n");
        var config = cli.Write("evidencebot.json", "{ \"rules\": \"rules\", \"parameters\": { \"A-1\": { \"min\": 5 } } }");

        var (exit, stdout, _) = await cli.Run("run", "--config", config, "--cache-dir", cli.Cache, "--out", cli.Out);

        Assert.Equal(1, exit);
        Assert.Contains("min is 5", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SecretQuotedByARule_IsMaskedInResultsStatementsAndSummary()
    {
        var variable = "EB_TEST_SECRET_" + Guid.NewGuid().ToString("N")[..8];
        const string secret = "s3cr3t-value-0042";
        Environment.SetEnvironmentVariable(variable, secret);
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", $$"""
            Log.Info("token {{secret}} in the log");
            Fail("repo-{{secret}}", "saw {{secret}}", new { token = "{{secret}}", list = new[] { "x {{secret}}" } });
            """);
        var config = cli.Write("evidencebot.json", $"{{ \"rules\": \"rules\", \"secrets\": [\"{variable}\"] }}");

        var (exit, stdout, stderr) = await cli.Run("run", "--config", config, "--cache-dir", cli.Cache, "--out", cli.Out);

        Assert.Equal(1, exit);
        var written = Directory.GetFiles(cli.Out, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".csx", StringComparison.Ordinal)) // the rule's own source is evidence as written
            .Select(File.ReadAllText).ToList();
        Assert.Contains(written, t => t.Contains("[REDACTED]", StringComparison.Ordinal));
        Assert.DoesNotContain(written, t => t.Contains(secret, StringComparison.Ordinal));
        var statements = Directory.GetFiles(cli.Out, "*.intoto.json", SearchOption.AllDirectories);
        Assert.NotEmpty(statements);
        Assert.DoesNotContain(secret, stdout + stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"rules\": \"rules\", \"parallel\": 99999999999999999999 }", "a value cannot be read")]
    [InlineData("{ \"rules\": \"rules\", \"parallel\": \"abc\", \"parallel\": 4 }", "Duplicate property 'parallel'")]
    [InlineData("{ \"rules\": \"rules\", \"ruleTimeout\": \"99999999999999999999s\" }", "too long a duration")]
    [InlineData("{ \"rules\": \"rules\", \"parameters\": { \"A-2\": { \"min\": 1 } } }", "$.parameters.A-2: no rule")]
    public async Task Run_ConfigThatCannotMeanWhatItSays_ExitsTwoNamingIt(string json, string expected)
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");", "parameters: { min: 1 }\n");
        var config = cli.Write("evidencebot.json", json);

        var (exit, _, stderr) = await cli.Run("run", "--config", config, "--cache-dir", cli.Cache, "--out", cli.Out);

        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Out, "results.json")));
    }

    [Theory]
    [InlineData("--parallel", "-5", "--parallel must be between 1 and 256")]
    [InlineData("--key", "", "--key: empty")]
    [InlineData("--out", "FILE", "cannot be used as the output folder")]
    [InlineData("--config", "FOLDER", "is a folder")]
    public async Task Run_OptionThatCannotBeUsed_ExitsTwoBeforeAnyRuleRuns(string option, string value, string expected)
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        var file = cli.Write("a-file", "not a folder");
        value = value switch { "FILE" => file, "FOLDER" => cli.Root, _ => value };
        string[] args = option == "--out" ? ["run", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--out", value] : [.. new[] { "run", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--out", cli.Out, option, value }];

        var (exit, stdout, stderr) = await cli.Run(args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("rule execution(s):", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigWithUnknownSetting_NamesTheJsonPathAndExitsTwo()
    {
        using var cli = new CliRunner();
        var config = cli.Write("evidencebot.json", "{\n  \"rules\": \"rules\",\n  \"paralel\": 4\n}");

        var (exit, _, stderr) = await cli.Run("run", "--config", config, "--cache-dir", cli.Cache);

        Assert.Equal(2, exit);
        Assert.Contains("evidencebot.json(3,", stderr, StringComparison.Ordinal);
        Assert.Contains("$.paralel", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigWithWrongType_NamesTheJsonPathAndExitsTwo()
    {
        using var cli = new CliRunner();
        var config = cli.Write("evidencebot.json", "{ \"parallel\": \"four\" }");

        var (exit, _, stderr) = await cli.Run("run", "--config", config, "--cache-dir", cli.Cache);

        Assert.Equal(2, exit);
        Assert.Contains("$.parallel", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "serve": { "gracePeriod": -5 } }""", "$.serve.gracePeriod: must be a string holding a duration such as \"30s\" (found -5)")]
    [InlineData("""{ "serve": { "port": 70000 } }""", "$.serve.port: must be at most 65535 (found 70000)")]
    [InlineData("""{ "serve": { "port": "x" } }""", "$.serve.port: must be a whole number (found \"x\")")]
    [InlineData("""{ "serve": { "jitter": "abc" } }""", "$.serve.jitter: must be a duration: a whole number and a unit (ms, s, m, h, d), e.g. 30s or 5m (found \"abc\")")]
    public async Task Run_ConfigValueOfTheWrongKind_SaysWhatIsAllowedAndWhatWasFound(string json, string expected)
    {
        using var cli = new CliRunner();
        var config = cli.Write("evidencebot.json", json);

        var (exit, _, stderr) = await cli.Run("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigNotJson_SaysWhereAndExitsTwo()
    {
        using var cli = new CliRunner();
        var config = cli.Write("evidencebot.json", "{ \"rules\": \"rules\", }x");

        var (exit, _, stderr) = await cli.Run("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("not valid JSON", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigParameterForUndeclaredName_IsRejected()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");", "parameters: { min: 1 }\n");
        var config = cli.Write("evidencebot.json", "{ \"rules\": \"rules\", \"parameters\": { \"A-1\": { \"minimum\": 5 } } }");

        var (exit, _, stderr) = await cli.Run("run", "--config", config, "--cache-dir", cli.Cache, "--out", cli.Out);

        Assert.Equal(2, exit);
        Assert.Contains("$.parameters.A-1.minimum", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RuleTimeoutOption_StopsARunawayRule()
    {
        using var cli = new CliRunner();
        cli.Rule("loop.csx", "LOOP-1", "while (true) { }");

        var (exit, stdout, _) = await cli.RunRules("--rule-timeout", "200ms");

        Assert.Equal(3, exit);
        Assert.Contains("timed out after 200ms", stdout, StringComparison.Ordinal);
    }
}
