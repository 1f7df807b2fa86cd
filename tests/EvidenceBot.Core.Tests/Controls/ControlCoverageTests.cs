using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Controls;

public sealed class ControlCoverageTests : IDisposable
{
    private readonly TempCatalog _temp = TempCatalog.Small();
    private readonly ControlCatalog _catalog;

    public ControlCoverageTests()
    {
        _catalog = _temp.Load();
    }

    public void Dispose() => _temp.Dispose();

    private static readonly RuleManifest[] Rules =
    [
        TempCatalog.Rule("R1", ("AAA:1/A1", ControlRelation.Satisfies)),
        TempCatalog.Rule("R2", ("AAA:1/A2", ControlRelation.Supports), ("BBB:1/X(2)", ControlRelation.Supports)),
        TempCatalog.Rule("R3", ("BBB:1/Y", ControlRelation.Partial)),
    ];

    [Fact]
    public void Compute_CountsDirectDerivedAndManual()
    {
        var report = ControlCoverage.Compute(_catalog, "BBB:1", Rules, null);

        // Assessable: articles X and Y. Y: direct (R3). X: only related evidence (A1 supports X; X(2) is part of X): manual.
        Assert.Equal(new CoverageTotals(Controls: 2, Direct: 1, DerivedOnly: 0, PartialOnly: 1), report.Totals);
        Assert.Equal(1, report.Totals.Automated);
        Assert.Equal(1, report.Totals.Manual);
        Assert.Null(report.Verdicts);
        Assert.Equal(["BBB:1/X", "BBB:1/X(1)", "BBB:1/X(2)", "BBB:1/Y"], report.Rows.Select(r => r.Control.Id));
    }

    [Fact]
    public void Compute_ListsRelatedEvidenceApartFromDirectAndEquivalent()
    {
        var report = ControlCoverage.Compute(_catalog, "BBB:1", Rules, null);
        var x = report.Rows.Single(r => r.Control.Id == "BBB:1/X");
        var x1 = report.Rows.Single(r => r.Control.Id == "BBB:1/X(1)");
        var x2 = report.Rows.Single(r => r.Control.Id == "BBB:1/X(2)");

        Assert.Empty(x.Direct);
        Assert.Empty(x.Derived);
        Assert.Equal([("R1", ControlRelation.Supports, "AAA:1/A1"), ("R2", ControlRelation.Partial, "BBB:1/X(2)")],
            x.Related.Select(e => (e.RuleId, e.Relation, e.Via!)));
        Assert.Equal(CoverageStatus.Manual, x.Status);
        Assert.Null(x.Strongest);
        Assert.Equal([("R2", ControlRelation.Partial)], x1.Related.Select(e => (e.RuleId, e.Relation)));
        Assert.Equal(["R2"], x2.Direct.Select(e => e.RuleId));
        Assert.Equal(CoverageStatus.Direct, x2.Status);
    }

    [Fact]
    public void Compute_RelatedEvidence_NeverDecidesTheVerdict()
    {
        // R1 reaches X only through 'A1 supports X'; V1 maps to X itself.
        RuleManifest[] rules = [Rules[0], TempCatalog.Rule("V1", ("BBB:1/X", ControlRelation.Satisfies))];
        var verdicts = new Dictionary<string, Verdict> { ["R1"] = Verdict.Fail, ["V1"] = Verdict.Pass };

        var x = ControlCoverage.Compute(_catalog, "BBB:1", rules, verdicts).Rows.Single(r => r.Control.Id == "BBB:1/X");

        Assert.Equal(Verdict.Pass, x.Verdict);
        Assert.Equal(Verdict.Fail, Assert.Single(x.Related).Verdict); // shown, with its own verdict, apart
    }

    [Fact]
    public void Compute_ControlWithoutRules_IsLeftToManualEvidence()
    {
        var report = ControlCoverage.Compute(_catalog, "AAA:1", [Rules[0]], null);

        Assert.Equal(new CoverageTotals(4, 1, 0, 0), report.Totals);
        Assert.Equal(3, report.Totals.Manual);
        Assert.Equal(CoverageStatus.Manual, report.Rows.Single(r => r.Control.Id == "AAA:1/A4").Status);
    }

    [Fact]
    public void Compute_EquivalentLinkBackwards_CoversTheOtherSide()
    {
        var report = ControlCoverage.Compute(_catalog, "AAA:1", Rules, null);

        var a3 = report.Rows.Single(r => r.Control.Id == "AAA:1/A3");
        Assert.Equal([("R3", ControlRelation.Partial, "BBB:1/Y")], a3.Derived.Select(e => (e.RuleId, e.Relation, e.Via!)));
        // A1, A2 direct; A3 derived (equivalent read backwards from Y); A4 manual (supports is not read backwards).
        Assert.Equal(new CoverageTotals(4, 2, 1, 1), report.Totals);
    }

    private static readonly RuleManifest[] Direct =
    [
        TempCatalog.Rule("R1", ("BBB:1/X", ControlRelation.Satisfies)),
        TempCatalog.Rule("R2", ("BBB:1/X", ControlRelation.Supports)),
        TempCatalog.Rule("R3", ("BBB:1/Y", ControlRelation.Partial)),
    ];

    [Fact]
    public void Compute_LatestVerdict_IsTheWorstAndNeverAPassForMissingResults()
    {
        var verdicts = new Dictionary<string, Verdict> { ["R1"] = Verdict.Pass, ["R2"] = Verdict.Fail };

        var report = ControlCoverage.Compute(_catalog, "BBB:1", Direct, verdicts);

        var x = report.Rows.Single(r => r.Control.Id == "BBB:1/X");
        var y = report.Rows.Single(r => r.Control.Id == "BBB:1/Y");
        Assert.Equal(Verdict.Fail, x.Verdict);                 // R1 pass, R2 fail
        Assert.Null(y.Verdict);                                 // R3 has no result: not a pass
        Assert.Null(y.Evidence.Single().Verdict);
        Assert.Equal(new CoverageVerdictTotals(Pass: 0, Fail: 1, Error: 0, NotApplicable: 0, NoResult: 1), report.Verdicts);
    }

    [Theory]
    [InlineData(Verdict.Pass, Verdict.Pass, Verdict.Pass)]
    [InlineData(Verdict.Pass, Verdict.Error, Verdict.Error)]
    [InlineData(Verdict.Error, Verdict.Fail, Verdict.Fail)]
    [InlineData(Verdict.NotApplicable, Verdict.NotApplicable, Verdict.NotApplicable)]
    [InlineData(Verdict.NotApplicable, Verdict.Pass, Verdict.Pass)]
    [InlineData(Verdict.Pass, Verdict.Waived, Verdict.Waived)]
    [InlineData(Verdict.Waived, Verdict.Fail, Verdict.Fail)]
    [InlineData(Verdict.Waived, Verdict.Error, Verdict.Error)]
    public void Compute_VerdictOfAControl_CombinesItsRules(Verdict r1, Verdict r2, Verdict expected)
    {
        var verdicts = new Dictionary<string, Verdict> { ["R1"] = r1, ["R2"] = r2 };

        var report = ControlCoverage.Compute(_catalog, "BBB:1", Direct, verdicts);

        Assert.Equal(expected, report.Rows.Single(r => r.Control.Id == "BBB:1/X").Verdict);
    }

    [Fact]
    public void Compute_WaivedRule_CountsTheControlAsWaivedNeverPass()
    {
        var verdicts = new Dictionary<string, Verdict> { ["R1"] = Verdict.Pass, ["R2"] = Verdict.Waived, ["R3"] = Verdict.Pass };

        var report = ControlCoverage.Compute(_catalog, "BBB:1", Direct, verdicts);

        Assert.Equal(Verdict.Waived, report.Rows.Single(r => r.Control.Id == "BBB:1/X").Verdict);
        Assert.Equal(1, report.Verdicts!.Waived);
        Assert.Equal(1, report.Verdicts.Pass); // Y, through R3 alone
    }

    [Fact]
    public void Compute_OnTheShippedCatalog_CountsAll93AndRelates42001()
    {
        var catalog = ControlCatalog.LoadDefault();
        var rules = new[] { TempCatalog.Rule("MON", ("ISO27001:2022/A.8.16", ControlRelation.Supports)) };

        var iso27001 = ControlCoverage.Compute(catalog, "ISO27001:2022", rules, null);
        var iso42001 = ControlCoverage.Compute(catalog, "ISO42001:2023", rules, null);
        var nist = ControlCoverage.Compute(catalog, "NISTAIRMF:1.0", rules, null);

        Assert.Equal(new CoverageTotals(93, 1, 0, 0), iso27001.Totals);
        Assert.Equal(92, iso27001.Totals.Manual);
        // A.8.16 supports 42001 A.6.2.6: related evidence there, not coverage.
        Assert.Equal(new CoverageTotals(38, 0, 0, 0), iso42001.Totals);
        Assert.Contains(iso42001.Rows.Single(r => r.Control.Id == "ISO42001:2023/A.6.2.6").Related, e => e.RuleId == "MON");
        Assert.Equal(72, nist.Totals.Controls);
    }

    [Fact]
    public void Compute_UnknownFramework_Throws() =>
        Assert.Throws<ArgumentException>(() => ControlCoverage.Compute(_catalog, "CCC:1", Rules, null));
}
