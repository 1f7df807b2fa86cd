using System.Text.Json;

namespace EvidenceBot.IntegrationTests;

public class RulesCommandTests
{
    [Fact]
    public async Task List_Json_ListsEveryRuleWithItsControls()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");", "severity: high\nsources: [github]\ncontrols:\n  - { id: \"ISO27001:2022/A.8.16\", relation: supports }\n");
        cli.Rule("b.csx", "B-1", "Pass(\"a\", \"b\");");

        var (exit, stdout, _) = await cli.Run("rules", "list", "--rules", cli.Rules, "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        var a = doc.RootElement[0];
        Assert.Equal("A-1", a.GetProperty("id").GetString());
        Assert.Equal("high", a.GetProperty("severity").GetString());
        Assert.Equal("github", a.GetProperty("sources")[0].GetString());
        Assert.Equal("ISO27001:2022/A.8.16", a.GetProperty("controls")[0].GetProperty("id").GetString());
        Assert.Equal(2, doc.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task List_Table_ShowsIdsAndTitles()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");

        var (exit, stdout, _) = await cli.Run("rules", "list", "--rules", cli.Rules);

        Assert.Equal(0, exit);
        Assert.Contains("A-1", stdout, StringComparison.Ordinal);
        Assert.Contains("Test rule A-1", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AllGood_ExitsZero()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");

        var (exit, stdout, _) = await cli.Run("rules", "check", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(0, exit);
        Assert.Contains("1 rule(s) read, 1 ready, 0 error(s)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CompileErrorAndDeniedApi_PrintsEachAndExitsTwo()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "var x = ;");
        cli.Rule("b.csx", "B-1", "var t = System.IO.File.ReadAllText(\"x\");");

        var (exit, stdout, _) = await cli.Run("rules", "check", "--rules", cli.Rules, "--cache-dir", cli.Cache);

        Assert.Equal(2, exit);
        Assert.Matches(@"a\.csx\(5,9\): error CS1525: .*\[A-1\]", stdout);
        Assert.Matches(@"b\.csx\(5,\d+\): error EB0200: 'System\.IO\.File\.ReadAllText\(string\)' is not allowed in a rule: the file system \[B-1\]", stdout);
    }
}
