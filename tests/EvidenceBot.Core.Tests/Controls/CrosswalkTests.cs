using EvidenceBot.Core.Controls;

namespace EvidenceBot.Core.Tests.Controls;

public class CrosswalkTests
{
    private static readonly ControlCatalog Catalog = ControlCatalog.LoadDefault();

    private static bool Linked(string from, string to) =>
        Catalog.Crosswalk.Links.Any(l => l.From == from && l.To == to);

    [Fact]
    public void EveryEndpoint_ExistsInACatalog_AndLinksCrossFrameworks()
    {
        Assert.NotEmpty(Catalog.Crosswalk.Links);
        Assert.All(Catalog.Crosswalk.Links, l =>
        {
            Assert.NotNull(Catalog.Find(l.From));
            Assert.NotNull(Catalog.Find(l.To));
            Assert.NotEqual(Catalog.Find(l.From)!.Framework, Catalog.Find(l.To)!.Framework);
            Assert.False(string.IsNullOrWhiteSpace(l.Rationale));
            Assert.DoesNotContain('\n', l.Rationale);
        });
    }

    [Theory]
    [InlineData("ISO27001:2022/A.5.9", "ISO42001:2023/A.4.2")]
    [InlineData("ISO27001:2022/A.5.9", "ISO42001:2023/A.4.3")]
    [InlineData("ISO27001:2022/A.5.19", "ISO42001:2023/A.10.3")]
    [InlineData("ISO27001:2022/A.5.20", "ISO42001:2023/A.10.3")]
    [InlineData("ISO27001:2022/A.5.21", "ISO42001:2023/A.10.3")]
    [InlineData("ISO27001:2022/A.5.22", "ISO42001:2023/A.10.3")]
    [InlineData("ISO27001:2022/A.5.23", "ISO42001:2023/A.10.3")]
    [InlineData("ISO27001:2022/A.8.16", "ISO42001:2023/A.6.2.6")]
    [InlineData("ISO27001:2022/A.5.25", "ISO42001:2023/A.8.4")]
    [InlineData("ISO27001:2022/A.5.26", "ISO42001:2023/A.8.4")]
    [InlineData("ISO27001:2022/A.5.27", "ISO42001:2023/A.8.4")]
    public void IntegratedIsmsMappings_FromTheIssueArePresent(string from, string to) =>
        Assert.True(Linked(from, to), $"{from} -> {to} is missing");

    [Fact]
    public void Pii_MapsToDataGovernanceControls()
    {
        var targets = Catalog.Crosswalk.Links.Where(l => l.From == "ISO27001:2022/A.5.34").Select(l => l.To).ToList();

        Assert.NotEmpty(targets);
        Assert.All(targets, t => Assert.StartsWith("ISO42001:2023/A.7.", t, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Art.9")]
    [InlineData("Art.10")]
    [InlineData("Art.11")]
    [InlineData("Art.12")]
    [InlineData("Art.13")]
    [InlineData("Art.14")]
    [InlineData("Art.15")]
    [InlineData("Art.17")]
    public void Iso42001_LinksToEveryEuAiActArticle9To15And17(string article)
    {
        var article42001 = Catalog.Crosswalk.Links.Where(l => l.From.StartsWith("ISO42001:2023/", StringComparison.Ordinal))
            .Select(l => Catalog.Find(l.To)!)
            .Where(c => c.Framework == "EUAIA:2024")
            .Select(c => c.Kind == "paragraph" ? c.Parent! : c.Id);

        Assert.Contains("EUAIA:2024/" + article, article42001);
    }

    [Fact]
    public void Iso42001_LinksToNistGovern()
    {
        var govern = Catalog.Crosswalk.Links
            .Where(l => l.From.StartsWith("ISO42001:2023/", StringComparison.Ordinal) && l.To.StartsWith("NISTAIRMF:1.0/GOVERN-", StringComparison.Ordinal))
            .ToList();

        Assert.True(govern.Count >= 10, $"only {govern.Count} GOVERN links");
        Assert.Contains(govern, l => l.From == "ISO42001:2023/A.3.2" && l.To == "NISTAIRMF:1.0/GOVERN-2.1" && l.Relation == CrosswalkRelation.Equivalent);
    }

    [Fact]
    public void Related_ReadsSupportsAndPartialForwardOnly()
    {
        var fromMonitoring = Catalog.Crosswalk.Related("ISO27001:2022/A.8.16");
        var fromAiMonitoring = Catalog.Crosswalk.Related("ISO42001:2023/A.6.2.6");
        var fromAiProvenance = Catalog.Crosswalk.Related("ISO42001:2023/A.7.5");

        Assert.Contains(fromMonitoring, r => r.Id == "ISO42001:2023/A.6.2.6" && r.EvidenceFlows && r.Direction == CrosswalkDirection.Outgoing);
        Assert.Contains(fromAiMonitoring, r => r.Id == "ISO27001:2022/A.8.16" && !r.EvidenceFlows && r.Direction == CrosswalkDirection.Incoming);
        Assert.Contains(fromAiProvenance, r => r.Id == "ISO27001:2022/A.5.34" && r.Relation == CrosswalkRelation.Partial
            && r.EvidenceFlows == (r.Direction == CrosswalkDirection.Outgoing));
    }

    [Fact]
    public void Related_PartialWrittenToAnArticle_DoesNotFlowBackToThePart()
    {
        // "A.2.2 partial Art.17": the AI policy is one part of the quality management system.
        var fromArt17 = Catalog.Crosswalk.Related("EUAIA:2024/Art.17");
        var fromA22 = Catalog.Crosswalk.Related("ISO42001:2023/A.2.2");

        Assert.Contains(fromA22, r => r.Id == "EUAIA:2024/Art.17" && r.Relation == CrosswalkRelation.Partial && r.EvidenceFlows);
        Assert.DoesNotContain(fromArt17, r => r.Id == "ISO42001:2023/A.2.2" && r.EvidenceFlows);
    }
}
