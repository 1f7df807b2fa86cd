using EvidenceBot.Cli;
using EvidenceBot.Cli.Commands;

namespace EvidenceBot.IntegrationTests;

public class TextTableTests
{
    [Fact]
    public void ToPlainText_AlignsColumnsTwoSpacesApart_WithoutTrailingSpaces()
    {
        var table = new TextTable("Rule", "Verdict", "Note");
        table.AddRow("GH-BRANCH-PROTECTION", "fail", "main is not protected");
        table.AddRow("A-1", "pass", "");

        var text = table.ToPlainText();

        Assert.Equal(
            "Rule                  Verdict  Note\n" +
            "GH-BRANCH-PROTECTION  fail     main is not protected\n" +
            "A-1                   pass\n",
            text);
    }

    [Fact]
    public void ToPlainText_MultiLineCell_ContinuesOnItsOwnColumn()
    {
        var table = new TextTable("Id", "Controls", "Severity") { Title = "Rules" };
        table.AddRow("R-1", "ISO27001:2022/A.8.16\nISO42001:2023/A.6.2.6", "high");

        var lines = table.ToPlainText().Split('\n');

        Assert.Equal("Rules", lines[0]);
        Assert.Equal("Id   Controls               Severity", lines[1]);
        Assert.Equal("R-1  ISO27001:2022/A.8.16   high", lines[2]);
        Assert.Equal("     ISO42001:2023/A.6.2.6", lines[3]);
    }

    [Fact]
    public void Write_Redirected_WritesPlainTextWithoutBoxDrawingOrEscapes()
    {
        using var stdout = new StringWriter();
        var cli = new CliContext(stdout, TextWriter.Null, TimeProvider.System, interactive: false);
        new TextTable("Rule", "Verdict").Style(1, Summary.Color).AddRow("A-1", "fail").Write(cli);

        Assert.Equal("Rule  Verdict\nA-1   fail\n", stdout.ToString());
    }

    [Fact]
    public void Write_Terminal_DrawsASpectreTableWithEscapedCells()
    {
        using var stdout = new StringWriter();
        var cli = new CliContext(stdout, TextWriter.Null, TimeProvider.System, interactive: true);
        new TextTable("Rule", "Note").AddRow("A-1", "[not markup]").Write(cli);

        var text = stdout.ToString();
        Assert.Contains("╭", text, StringComparison.Ordinal);
        Assert.Contains("[not markup]", text, StringComparison.Ordinal);
    }
}
