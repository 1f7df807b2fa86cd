using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Controls;

public sealed class ControlCatalogExpandTests : IDisposable
{
    private readonly TempCatalog _temp = TempCatalog.Small();
    private readonly ControlCatalog _catalog;

    public ControlCatalogExpandTests()
    {
        _catalog = _temp.Load();
    }

    public void Dispose() => _temp.Dispose();

    private IReadOnlyList<MappedControl> Expand(params (string Id, ControlRelation Relation)[] direct) =>
        _catalog.Expand([.. direct.Select(d => new ControlMapping(d.Id, d.Relation))]);

    [Theory]
    [InlineData(ControlRelation.Satisfies, "AAA:1/A1", "BBB:1/X", ControlRelation.Supports)]   // satisfies + supports link
    [InlineData(ControlRelation.Supports, "AAA:1/A1", "BBB:1/X", ControlRelation.Supports)]    // supports + supports link
    [InlineData(ControlRelation.Partial, "AAA:1/A1", "BBB:1/X", ControlRelation.Partial)]      // partial + supports link
    [InlineData(ControlRelation.Supports, "AAA:1/A2", "BBB:1/X(1)", ControlRelation.Partial)]  // supports + partial link
    [InlineData(ControlRelation.Satisfies, "AAA:1/A2", "BBB:1/X(1)", ControlRelation.Partial)] // satisfies + partial link
    [InlineData(ControlRelation.Satisfies, "AAA:1/A3", "BBB:1/Y", ControlRelation.Satisfies)]  // satisfies + equivalent link
    [InlineData(ControlRelation.Partial, "AAA:1/A3", "BBB:1/Y", ControlRelation.Partial)]      // partial + equivalent link
    public void Expand_DerivedRelation_IsNeverStrongerThanEitherLink(ControlRelation direct, string from, string to, ControlRelation expected)
    {
        var mapped = Expand((from, direct));

        var derived = Assert.Single(mapped, m => m.Id == to);
        Assert.True(derived.Derived);
        Assert.Equal(from, derived.Via);
        Assert.Equal(expected, derived.Relation);
        Assert.False(string.IsNullOrEmpty(derived.Rationale));
    }

    [Fact]
    public void Expand_KeepsDirectMappingsFirstAndUnmarked()
    {
        var mapped = Expand(("AAA:1/A1", ControlRelation.Satisfies));

        Assert.Equal(new MappedControl("AAA:1/A1", ControlRelation.Satisfies, false, null, null), mapped[0]);
    }

    [Fact]
    public void Expand_SupportsIsNotReadBackwards()
    {
        var mapped = Expand(("BBB:1/X", ControlRelation.Satisfies));

        Assert.Equal(["BBB:1/X"], mapped.Select(m => m.Id));
    }

    [Fact]
    public void Expand_OnlyEquivalentIsReadBackwards()
    {
        var fromParagraph = Expand(("BBB:1/X(1)", ControlRelation.Satisfies));
        var fromY = Expand(("BBB:1/Y", ControlRelation.Supports));

        // A2 partial X(1): A2 is a part of X(1), so evidence about X(1) says nothing about A2.
        Assert.DoesNotContain(fromParagraph, m => m.Id == "AAA:1/A2");
        Assert.Contains(fromY, m => m.Id == "AAA:1/A3" && m.Relation == ControlRelation.Supports && m.Counts);
        Assert.DoesNotContain(fromY, m => m.Id == "AAA:1/A4"); // A4 supports Y: not read backwards
    }

    [Fact]
    public void Expand_PartialAndSupportsForward_AreRelatedEvidenceThatDoesNotCount()
    {
        var fromA2 = Expand(("AAA:1/A2", ControlRelation.Satisfies));
        var fromA1 = Expand(("AAA:1/A1", ControlRelation.Satisfies));
        var fromA3 = Expand(("AAA:1/A3", ControlRelation.Satisfies));

        var partial = Assert.Single(fromA2, m => m.Id == "BBB:1/X(1)");
        Assert.True(partial.Related);
        Assert.False(partial.Counts);
        var supports = Assert.Single(fromA1, m => m.Id == "BBB:1/X");
        Assert.True(supports.Related);
        var equivalent = Assert.Single(fromA3, m => m.Id == "BBB:1/Y");
        Assert.False(equivalent.Related);
        Assert.True(equivalent.Counts);
    }

    [Fact]
    public void Expand_PartOfTheStructure_IsRelatedEvidence()
    {
        var article = Assert.Single(Expand(("BBB:1/X(2)", ControlRelation.Satisfies)), m => m.Id == "BBB:1/X");

        Assert.True(article.Related);
    }

    [Fact]
    public void Expand_ParagraphRollsUpToItsArticleAsPartial()
    {
        var mapped = Expand(("BBB:1/X(2)", ControlRelation.Satisfies));

        var article = Assert.Single(mapped, m => m.Id == "BBB:1/X");
        Assert.Equal(ControlRelation.Partial, article.Relation);
        Assert.Equal("BBB:1/X(2)", article.Via);
        Assert.Equal("X(2) is part of X", article.Rationale);
    }

    [Fact]
    public void Expand_DirectMappingWinsOverDerived()
    {
        var mapped = Expand(("AAA:1/A1", ControlRelation.Satisfies), ("BBB:1/X", ControlRelation.Partial));

        var x = Assert.Single(mapped, m => m.Id == "BBB:1/X");
        Assert.False(x.Derived);
        Assert.Equal(ControlRelation.Partial, x.Relation);
    }

    [Fact]
    public void Expand_SeveralPaths_KeepTheStrongestDerivedRelation()
    {
        // Y is reached from A3 (equivalent: satisfies) and from A4 (supports).
        var mapped = Expand(("AAA:1/A4", ControlRelation.Satisfies), ("AAA:1/A3", ControlRelation.Satisfies));

        var y = Assert.Single(mapped, m => m.Id == "BBB:1/Y");
        Assert.Equal(ControlRelation.Satisfies, y.Relation);
        Assert.Equal("AAA:1/A3", y.Via);
    }

    [Fact]
    public void Expand_TakesOnlyOneCrosswalkHop()
    {
        // A2 -> X(1) (crosswalk) must not continue X(1) -> X (structure) -> A1 (crosswalk backwards is not allowed anyway) or any further link.
        var mapped = Expand(("AAA:1/A2", ControlRelation.Satisfies));

        Assert.Equal(["AAA:1/A2", "BBB:1/X(1)"], mapped.Select(m => m.Id));
    }

    [Fact]
    public void Expand_UnknownIds_PassThroughWithNothingDerived()
    {
        var mapped = Expand(("ZZZ:1/Q", ControlRelation.Supports));

        Assert.Equal(["ZZZ:1/Q"], mapped.Select(m => m.Id));
    }

    [Fact]
    public void Expand_OnTheShippedCatalog_ShowsMonitoringEvidenceUnderAiMonitoring()
    {
        var catalog = ControlCatalog.LoadDefault();

        var mapped = catalog.Expand([new ControlMapping("ISO27001:2022/A.8.16", ControlRelation.Supports)]);

        Assert.Contains(mapped, m => m.Id == "ISO42001:2023/A.6.2.6" && m.Derived && m.Relation == ControlRelation.Supports && m.Via == "ISO27001:2022/A.8.16");
        Assert.DoesNotContain(mapped, m => m.Id == "EUAIA:2024/Art.72"); // that is two hops away
    }
}
