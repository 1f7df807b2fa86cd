using EvidenceBot.Core.Rules;

namespace EvidenceBot.Scripting.Tests;

public class RuleHeaderParserTests
{
    private static (RuleManifest? Manifest, List<RuleDiagnostic> Diagnostics) Parse(string text)
    {
        var diagnostics = new List<RuleDiagnostic>();
        return (RuleHeaderParser.Parse("rules/x.csx", text, diagnostics), diagnostics);
    }

    [Fact]
    public void Parse_FullHeader_ReadsEveryField()
    {
        var (m, d) = Parse("""
            /* ---
            id: GH-BRANCH-PROTECTION
            title: Default branch requires reviewed pull requests
            description: Long text
            severity: high
            sources: [github]
            controls:
              - { id: "ISO27001:2022/A.8.32", relation: supports }
              - { id: "ISO42001:2023/A.6.1.3", relation: partial }
            parameters: { minApprovals: 2, names: [a, b], strict: true }
            timeout: 30s
            schedule: "0 3 * * *"
            freshness: 24h
            --- */
            Pass("x", "y");
            """);

        Assert.Empty(d);
        Assert.NotNull(m);
        Assert.Equal("GH-BRANCH-PROTECTION", m.Id);
        Assert.Equal(Severity.High, m.Severity);
        Assert.Equal(["github"], m.Sources);
        Assert.Equal(new ControlMapping("ISO42001:2023/A.6.1.3", ControlRelation.Partial), m.Controls[1]);
        Assert.Equal(8, m.ControlLines["ISO27001:2022/A.8.32"]);
        Assert.Equal(2, m.Parameters["minApprovals"].GetInt32());
        Assert.True(m.Parameters["strict"].GetBoolean());
        Assert.Equal(2, m.Parameters["names"].GetArrayLength());
        Assert.Equal(TimeSpan.FromSeconds(30), m.Timeout);
        Assert.Equal(TimeSpan.FromHours(24), m.Freshness);
        Assert.Equal("0 3 * * *", m.Schedule);
        Assert.Equal(64, m.SourceSha256.Length);
    }

    [Fact]
    public void Parse_NoHeader_SaysHowToStartOne()
    {
        var (m, d) = Parse("Pass(\"x\", \"y\");");
        Assert.Null(m);
        var e = Assert.Single(d);
        Assert.Equal("EB0001", e.Code);
        Assert.Equal(1, e.Location.Line);
        Assert.Contains("/* ---", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnclosedHeader_PointsAtTheOpeningLine()
    {
        var (m, d) = Parse("\n/* ---\nid: A1\ntitle: Something\n");
        Assert.Null(m);
        var e = Assert.Single(d);
        Assert.Equal("EB0002", e.Code);
        Assert.Equal(2, e.Location.Line);
    }

    [Fact]
    public void Parse_InvalidYaml_NamesTheFileLine()
    {
        var (m, d) = Parse("/* ---\nid: A1\ntitle: Some title\ncontrols: [ { id: x\n--- */\n");
        Assert.Null(m);
        var e = Assert.Single(d);
        Assert.Equal("EB0004", e.Code);
        Assert.True(e.Location.Line >= 4, e.ToString());
        Assert.StartsWith("rules/x.csx(", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingId_SaysTheFieldIsRequired()
    {
        var (m, d) = Parse("/* ---\ntitle: Some title\n--- */\n");
        Assert.Null(m);
        var e = Assert.Single(d);
        Assert.Contains("'id'", e.Message, StringComparison.Ordinal);
        Assert.Contains("required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadSeverity_NamesFieldLineAndAllowedValues()
    {
        var (m, d) = Parse("/* ---\nid: A1\ntitle: Some title\nseverity: urgent\n--- */\n");
        Assert.Null(m);
        var e = Assert.Single(d);
        Assert.Equal(4, e.Location.Line);
        Assert.Contains("severity", e.Message, StringComparison.Ordinal);
        Assert.Contains("critical", e.Message, StringComparison.Ordinal);
        Assert.Contains("urgent", e.Message, StringComparison.Ordinal);
        Assert.Equal("A1", e.RuleId);
    }

    [Fact]
    public void Parse_BadRelationInSecondControl_PointsAtThatLine()
    {
        var (m, d) = Parse("""
            /* ---
            id: A1
            title: Some title
            controls:
              - { id: "ISO27001:2022/A.8.32", relation: supports }
              - id: "ISO27001:2022/A.8.16"
                relation: proves
            --- */
            """);
        Assert.Null(m);
        var e = Assert.Single(d);
        Assert.Equal(7, e.Location.Line);
        Assert.Contains("controls[1].relation", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownField_IsRejectedWithItsLine()
    {
        var (m, d) = Parse("/* ---\nid: A1\ntitle: Some title\nseverty: high\n--- */\n");
        Assert.Null(m);
        var e = Assert.Single(d);
        Assert.Equal(4, e.Location.Line);
        Assert.Contains("severty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadTimeout_IsRejected()
    {
        var (m, d) = Parse("/* ---\nid: A1\ntitle: Some title\ntimeout: soon\n--- */\n");
        Assert.Null(m);
        Assert.Contains(d, e => e.Message.Contains("timeout", StringComparison.Ordinal) && e.Location.Line == 4);
    }

    [Fact]
    public void Parse_ControlIdOfWrongForm_IsRejected()
    {
        var (m, d) = Parse("/* ---\nid: A1\ntitle: Some title\ncontrols:\n  - { id: \"A.8.16\", relation: supports }\n--- */\n");
        Assert.Null(m);
        Assert.Contains(d, e => e.Location.Line == 5 && e.Message.Contains("A.8.16", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("99999999999999999999s")]
    [InlineData("999999999h")]
    [InlineData("366d")]
    public void ParseDuration_LongerThanAYear_IsAFormatErrorNotAnOverflow(string text)
    {
        var e = Assert.Throws<FormatException>(() => RuleHeaderParser.ParseDuration(text));
        Assert.Contains("at most 365d", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    public void ParseDuration_Units(string text, int ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), RuleHeaderParser.ParseDuration(text));
}
