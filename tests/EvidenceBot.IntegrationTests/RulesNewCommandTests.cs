using System.Text.Json;
using System.Text.Json.Nodes;

namespace EvidenceBot.IntegrationTests;

public class RulesNewCommandTests
{
    [Theory]
    [InlineData("github", "github/gh-sample.csx")]
    [InlineData("azure", "azure/gh-sample.csx")]
    [InlineData("models", "models/gh-sample.csx")]
    [InlineData("none", "gh-sample.csx")]
    public async Task New_EachSource_WritesARuleThatCompilesAndPassesItsOwnTestCase(string source, string relative)
    {
        using var cli = new CliRunner();

        var (exit, stdout, stderr) = await cli.Run("rules", "new", "GH-SAMPLE", "--source", source, "--rules", cli.Rules);

        Assert.True(exit == 0, stdout + stderr);
        var rule = Path.Combine(cli.Rules, relative);
        Assert.True(File.Exists(rule), stdout);
        var caseFolder = Path.Combine(Path.ChangeExtension(rule, null) + ".tests", "pass");
        using var @case = JsonDocument.Parse(File.ReadAllText(Path.Combine(caseFolder, "case.json")));
        using var expect = JsonDocument.Parse(File.ReadAllText(Path.Combine(caseFolder, "expect.json")));
        Assert.Equal("2026-01-01T00:00:00Z", @case.RootElement.GetProperty("now").GetString());
        Assert.Equal(JsonValueKind.Object, @case.RootElement.GetProperty("parameters").ValueKind);
        Assert.True(Directory.Exists(Path.Combine(caseFolder, "exchanges")));

        var check = await cli.Run("rules", "check", "--rules", cli.Rules, "--cache-dir", cli.Cache);
        Assert.True(check.Exit == 0, check.Out + check.Err);
        Assert.Contains("1 ready, 0 error(s)", check.Out, StringComparison.Ordinal);

        // What the author runs next, with nothing else: the scaffold passes its own case.
        var test = await cli.Run("rules", "test", "--rules", cli.Rules, "--cache-dir", cli.Cache);
        Assert.True(test.Exit == 0, test.Out + test.Err);
        Assert.Contains("PASS GH-SAMPLE", test.Out, StringComparison.Ordinal);

        // The case's recordings answer the sample: run it over them with the case's target and compare with expect.json.
        var target = @case.RootElement.GetProperty("target").GetString()!;
        var exchanges = Path.Combine(caseFolder, "exchanges");
        var config = new JsonObject { ["rules"] = cli.Rules };
        switch (source)
        {
            case "github": config["github"] = new JsonObject { ["replay"] = exchanges, ["organizations"] = new JsonArray(target) }; break;
            case "azure": config["azure"] = new JsonObject { ["replay"] = exchanges, ["subscriptions"] = new JsonArray(target) }; break;
            case "models":
                config["models"] = new JsonObject
                {
                    ["replay"] = exchanges,
                    ["registries"] = new JsonArray(new JsonObject { ["name"] = target, ["kind"] = "mlflow", ["url"] = "https://mlflow.example" }),
                };
                break;
        }

        var configPath = cli.Write("evidencebot.json", config.ToJsonString());
        var run = await cli.Run("run", "--config", configPath, "--cache-dir", cli.Cache, "--out", cli.Out);
        Assert.True(run.Exit == 0, run.Out + run.Err);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Out, "results.json")));
        var result = results.RootElement.GetProperty("rules").EnumerateArray().Single();
        Assert.Equal(expect.RootElement.GetProperty("verdict").GetString(), result.GetProperty("verdict").GetString());
        var findings = result.GetProperty("findings").EnumerateArray().ToDictionary(f => f.GetProperty("resource").GetString()!, f => f.GetProperty("status").GetString());
        foreach (var expected in expect.RootElement.GetProperty("findings").EnumerateObject())
            Assert.Equal(expected.Value.GetString(), findings[expected.Name]);
    }

    [Fact]
    public async Task New_RuleAlreadyThere_RefusesAndKeepsTheFile()
    {
        using var cli = new CliRunner();
        var existing = cli.Write(Path.Combine("rules", "github", "gh-taken.csx"), "// mine");

        var (exit, _, stderr) = await cli.Run("rules", "new", "GH-TAKEN", "--source", "github", "--rules", cli.Rules);

        Assert.Equal(2, exit);
        Assert.Contains("already exists: nothing was written", stderr, StringComparison.Ordinal);
        Assert.Equal("// mine", File.ReadAllText(existing));
        Assert.False(Directory.Exists(Path.Combine(cli.Rules, "github", "gh-taken.tests")));
    }

    [Fact]
    public async Task New_IdAnotherRuleAlreadyHas_RefusesNamingThatRule()
    {
        using var cli = new CliRunner();
        var existing = cli.Rule("legacy.csx", "GH-TAKEN", "Pass(\"x\", \"ok\");");

        var (exit, _, stderr) = await cli.Run("rules", "new", "gh-taken", "--source", "github", "--rules", cli.Rules);

        Assert.Equal(2, exit);
        Assert.Contains($"rule id 'gh-taken' is already used by {existing}", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.Rules, "github")));
    }

    [Fact]
    public async Task New_BadId_ExitsTwoNamingThePattern()
    {
        using var cli = new CliRunner();

        var (exit, _, stderr) = await cli.Run("rules", "new", "1-bad id", "--source", "none", "--rules", cli.Rules);

        Assert.Equal(2, exit);
        Assert.Contains("is not a rule id: start with a letter, then 1 to 80 letters", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(cli.Rules));
    }
}

public class RulesCheckDeterminismTests
{
    [Fact]
    public async Task Check_RuleUsesClockRandomGuidStopwatchAndDictionaryOrder_WarnsWithLineAndAlternativeExitsZero()
    {
        using var cli = new CliRunner();
        cli.Rule("d.csx", "D-1", string.Join("\n",
            "var today = DateTime.UtcNow;",
            "var id = Guid.NewGuid();",
            "var roll = new Random().Next();",
            "var counts = new Dictionary<string, int> { [\"a\"] = 1 };",
            "foreach (var kv in counts) Pass(kv.Key, \"seen\");",
            "var sw = System.Diagnostics.Stopwatch.StartNew();",
            "Pass(\"x\", $\"{today} {id} {roll} {sw.ElapsedMilliseconds}\");"));
        cli.Rule("ok.csx", "OK-1", "Pass(\"y\", $\"checked at {Now:O}\"); var r = new Random(42);");

        var (exit, stdout, stderr) = await cli.Run("rules", "check", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.True(exit == 0, stdout + stderr);
        var file = Path.Combine(cli.Rules, "d.csx");
        // Line 5 is the first line after the four-line header.
        Assert.Contains($"{file}(5,13): warning EB0303: 'DateTime.UtcNow' reads the machine's clock: use the 'Now' global", stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}(6,10): warning EB0302:", stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}(7,12): warning EB0301:", stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}(9,1): warning EB0307:", stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}(10,10): warning EB0305:", stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}(11,34): warning EB0305:", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ok.csx", stdout, StringComparison.Ordinal);
        Assert.Contains("6 determinism warning(s)", stdout, StringComparison.Ordinal);
        Assert.Contains("2 ready, 0 error(s)", stdout, StringComparison.Ordinal);
    }
}
