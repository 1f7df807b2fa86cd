using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Controls;

public class ControlCatalogValidateTests
{
    private static readonly ControlCatalog Catalog = ControlCatalog.LoadDefault();

    [Fact]
    public void Validate_KnownIds_ReportsNothing()
    {
        var rule = TempCatalog.Rule("GH-OK",
            ("ISO27001:2022/A.8.16", ControlRelation.Supports),
            ("ISO42001:2023/A.6.2.6", ControlRelation.Partial),
            ("EUAIA:2024/Art.15(5)", ControlRelation.Partial),
            ("NISTAIRMF:1.0/MEASURE-2.4", ControlRelation.Supports));

        Assert.Empty(Catalog.Validate(rule));
    }

    [Fact]
    public void Validate_UnknownId_IsOneErrorAtItsLineWithThreeSuggestions()
    {
        var rule = TempCatalog.Rule("GH-BAD",
            ("ISO27001:2022/A.8.16", ControlRelation.Supports),
            ("ISO27001:2022/A.8.61", ControlRelation.Supports));

        var diagnostic = Assert.Single(Catalog.Validate(rule));

        Assert.Equal("EB0300", diagnostic.Code);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("rules/GH-BAD.csx", diagnostic.Location.File);
        Assert.Equal(8, diagnostic.Location.Line);
        Assert.Equal("GH-BAD", diagnostic.RuleId);
        Assert.Contains("'ISO27001:2022/A.8.61'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("ISO27001:2022 has no control 'A.8.61'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("closest valid ids: ISO27001:2022/A.8.16, ", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("controls list --framework ISO27001:2022", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(3, Catalog.Suggest("ISO27001:2022/A.8.61").Count);
        Assert.Equal(3, diagnostic.Message.Split("closest valid ids: ")[1].Split(". ")[0].Split(", ").Length);
    }

    [Theory]
    [InlineData("NISTAIRMF:1.0/MEASURE 2.4", "NISTAIRMF:1.0/MEASURE-2.4")]
    [InlineData("EUAIA:2024/Art.15.5", "EUAIA:2024/Art.15(5)")]
    [InlineData("iso42001:2023/a.6.2.6", "ISO42001:2023/A.6.2.6")]
    [InlineData("ISO42001:2023/A.6.2.66", "ISO42001:2023/A.6.2.6")]
    [InlineData("ISO27001:2022/A.8.61", "ISO27001:2022/A.8.16")]
    [InlineData("ISO27001:2013/A.8.16", "ISO27001:2022/A.8.16")]
    public void Suggest_PutsTheIntendedIdFirst(string typo, string intended) =>
        Assert.Equal(intended, Catalog.Suggest(typo)[0]);

    [Fact]
    public void Validate_UnknownFramework_SaysWhichFrameworksExist()
    {
        var rule = TempCatalog.Rule("AZ-OLD", ("ISO27001:2013/A.12.4.1", ControlRelation.Supports));

        var diagnostic = Assert.Single(Catalog.Validate(rule));

        Assert.Contains("there is no framework 'ISO27001:2013'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("ISO27001:2022, ", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(7, diagnostic.Location.Line);
    }

    [Fact]
    public void Validate_TwoUnknownIds_AreTwoErrorsEachAtItsOwnLine()
    {
        var rule = TempCatalog.Rule("M",
            ("ISO42001:2023/A.4.9", ControlRelation.Supports),
            ("ISO42001:2023/A.4.2", ControlRelation.Supports),
            ("NISTAIRMF:1.0/GOVERN-7.1", ControlRelation.Partial));

        var diagnostics = Catalog.Validate(rule);

        Assert.Equal([7, 9], diagnostics.Select(d => d.Location.Line));
        Assert.All(diagnostics, d => Assert.Equal("EB0300", d.Code));
    }

    [Fact]
    public void Validate_IdWithoutLine_StillNamesTheFile()
    {
        var rule = new RuleManifest
        {
            Id = "NO-LINES",
            Title = "t",
            SourcePath = "rules/x.csx",
            SourceSha256 = "",
            Controls = [new ControlMapping("ISO27001:2022/A.9.1", ControlRelation.Supports)],
        };

        var diagnostic = Assert.Single(Catalog.Validate(rule));

        Assert.Equal("rules/x.csx", diagnostic.ToString().Split(':')[0]);
        Assert.Equal(0, diagnostic.Location.Line);
    }
}
