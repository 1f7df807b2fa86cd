using EvidenceBot.Core.Controls;

namespace EvidenceBot.Core.Tests.Controls;

public class ControlCatalogTests
{
    private static readonly ControlCatalog Catalog = ControlCatalog.LoadDefault();

    private static IEnumerable<string> Range(string prefix, int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i => $"{prefix}{i}");

    private static HashSet<string> Ids(string framework, string? kind = null) =>
        Catalog.Controls(framework).Where(c => kind is null || c.Kind == kind).Select(c => c.LocalId).ToHashSet();

    [Fact]
    public void LoadDefault_HasTheFourFrameworks()
    {
        Assert.Equal(["EUAIA:2024", "ISO27001:2022", "ISO42001:2023", "NISTAIRMF:1.0"], Catalog.Frameworks.Select(f => f.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Iso27001_HasExactlyThe93AnnexAControls()
    {
        var expected = Range("A.5.", 1, 37).Concat(Range("A.6.", 1, 8)).Concat(Range("A.7.", 1, 14)).Concat(Range("A.8.", 1, 34)).ToHashSet();

        var ids = Ids("ISO27001:2022");

        Assert.Equal(93, ids.Count);
        Assert.Equal(expected, ids);
        Assert.All(Catalog.Controls("ISO27001:2022"), c => Assert.True(c.Assessable));
    }

    [Theory]
    [InlineData("A.5.9", "Inventory of information and other associated assets", "Organizational")]
    [InlineData("A.5.34", "Privacy and protection of PII", "Organizational")]
    [InlineData("A.6.8", "Information security event reporting", "People")]
    [InlineData("A.7.14", "Secure disposal or re-use of equipment", "Physical")]
    [InlineData("A.8.16", "Monitoring activities", "Technological")]
    [InlineData("A.8.32", "Change management", "Technological")]
    public void Iso27001_ControlsCarryShortTitleAndTheme(string id, string title, string theme)
    {
        var control = Catalog.Find("ISO27001:2022/" + id);

        Assert.NotNull(control);
        Assert.Equal(title, control.Title);
        Assert.Equal(theme, control.GroupTitle);
    }

    [Fact]
    public void Iso27001_ThemesHoldTheExpectedCounts()
    {
        var byTheme = Catalog.Controls("ISO27001:2022").GroupBy(c => c.GroupTitle!).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(new Dictionary<string, int> { ["Organizational"] = 37, ["People"] = 8, ["Physical"] = 14, ["Technological"] = 34 }, byTheme);
    }

    [Fact]
    public void Iso42001_HasExactlyThe38AnnexAControls()
    {
        string[] expected =
        [
            "A.2.2", "A.2.3", "A.2.4", "A.3.2", "A.3.3", "A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6",
            "A.5.2", "A.5.3", "A.5.4", "A.5.5", "A.6.1.2", "A.6.1.3", "A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5",
            "A.6.2.6", "A.6.2.7", "A.6.2.8", "A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6", "A.8.2", "A.8.3",
            "A.8.4", "A.8.5", "A.9.2", "A.9.3", "A.9.4", "A.10.2", "A.10.3", "A.10.4",
        ];

        var ids = Ids("ISO42001:2023");

        Assert.Equal(38, ids.Count);
        Assert.Equal(expected.ToHashSet(), ids);
    }

    [Fact]
    public void Iso42001_ControlsSitInTheirObjectiveGroup()
    {
        var controls = Catalog.Controls("ISO42001:2023");

        Assert.Equal(["A.10", "A.2", "A.3", "A.4", "A.5", "A.6", "A.7", "A.8", "A.9"], controls.Select(c => c.Group!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(controls, c => Assert.StartsWith(c.Group + ".", c.LocalId, StringComparison.Ordinal));
        Assert.Equal("AI system operation and monitoring", Catalog.Find("ISO42001:2023/A.6.2.6")!.Title);
        Assert.Equal("Data provenance", Catalog.Find("ISO42001:2023/A.7.5")!.Title);
        Assert.Equal("Resource documentation", Catalog.Find("ISO42001:2023/A.4.2")!.Title);
        Assert.Equal("Third-party and customer relationships", Catalog.Find("ISO42001:2023/A.10.3")!.GroupTitle);
    }

    [Fact]
    public void NistAiRmf_HasFourFunctions19CategoriesAnd72Subcategories()
    {
        var expectedCategories = new Dictionary<string, int> { ["GOVERN"] = 6, ["MAP"] = 5, ["MEASURE"] = 4, ["MANAGE"] = 4 };
        var subcategoriesPerCategory = new Dictionary<string, int>
        {
            ["GOVERN-1"] = 7, ["GOVERN-2"] = 3, ["GOVERN-3"] = 2, ["GOVERN-4"] = 3, ["GOVERN-5"] = 2, ["GOVERN-6"] = 2,
            ["MAP-1"] = 6, ["MAP-2"] = 3, ["MAP-3"] = 5, ["MAP-4"] = 2, ["MAP-5"] = 2,
            ["MEASURE-1"] = 3, ["MEASURE-2"] = 13, ["MEASURE-3"] = 3, ["MEASURE-4"] = 3,
            ["MANAGE-1"] = 4, ["MANAGE-2"] = 4, ["MANAGE-3"] = 2, ["MANAGE-4"] = 3,
        };
        var expectedSubcategories = subcategoriesPerCategory.SelectMany(kv => Range(kv.Key + ".", 1, kv.Value)).ToHashSet();

        Assert.Equal(expectedCategories.Keys.ToHashSet(), Ids("NISTAIRMF:1.0", "function"));
        Assert.Equal(subcategoriesPerCategory.Keys.ToHashSet(), Ids("NISTAIRMF:1.0", "category"));
        Assert.Equal(72, Ids("NISTAIRMF:1.0", "subcategory").Count);
        Assert.Equal(expectedSubcategories, Ids("NISTAIRMF:1.0", "subcategory"));
    }

    [Fact]
    public void NistAiRmf_ParentsFormFunctionCategorySubcategory()
    {
        var subcategory = Catalog.Find("NISTAIRMF:1.0/MEASURE-2.4")!;
        var category = Catalog.Find(subcategory.Parent!)!;
        var function = Catalog.Find(category.Parent!)!;

        Assert.Equal("NISTAIRMF:1.0/MEASURE-2", category.Id);
        Assert.Equal("NISTAIRMF:1.0/MEASURE", function.Id);
        Assert.Null(function.Parent);
        Assert.True(subcategory.Assessable);
        Assert.False(category.Assessable);
        Assert.Equal(72, Catalog.Controls("NISTAIRMF:1.0").Count(c => c.Assessable));
    }

    [Theory]
    [InlineData("Art.9", 10)]
    [InlineData("Art.10", 6)]
    [InlineData("Art.11", 3)]
    [InlineData("Art.12", 3)]
    [InlineData("Art.13", 3)]
    [InlineData("Art.14", 5)]
    [InlineData("Art.15", 5)]
    [InlineData("Art.17", 4)]
    [InlineData("Art.26", 12)]
    [InlineData("Art.72", 4)]
    [InlineData("Art.73", 11)]
    public void EuAiAct_ArticleHasItsRealParagraphs(string article, int paragraphs)
    {
        var children = Catalog.Controls("EUAIA:2024").Where(c => c.Parent == "EUAIA:2024/" + article).Select(c => c.LocalId).ToList();

        Assert.Equal("article", Catalog.Find("EUAIA:2024/" + article)!.Kind);
        Assert.Equal(Range(article + "(", 1, paragraphs).Select(p => p + ")"), children);
        Assert.All(children, p => Assert.Equal("paragraph", Catalog.Find("EUAIA:2024/" + p)!.Kind));
    }

    [Fact]
    public void EuAiAct_ParagraphIsAddressableAndArticlesAreTheAssessableUnit()
    {
        var paragraph = Catalog.Find("EUAIA:2024/Art.15(5)");

        Assert.NotNull(paragraph);
        Assert.Equal("EUAIA:2024/Art.15", paragraph.Parent);
        Assert.False(paragraph.Assessable);
        Assert.True(Catalog.Find("EUAIA:2024/Art.15")!.Assessable);
        Assert.Equal("Accuracy, robustness and cybersecurity", Catalog.Find("EUAIA:2024/Art.15")!.Title);
        Assert.Null(Catalog.Find("EUAIA:2024/Art.15(6)"));
    }

    [Fact]
    public void LoadDirectory_OfTheRepositoryCatalogs_MatchesTheEmbeddedCopy()
    {
        var fromDisk = ControlCatalog.LoadDirectory(RepoPaths.ControlsDir);

        Assert.Equal(Catalog.All.Select(c => (c.Id, c.Title, c.Kind, c.Parent)), fromDisk.All.Select(c => (c.Id, c.Title, c.Kind, c.Parent)));
        Assert.Equal(Catalog.Crosswalk.Links, fromDisk.Crosswalk.Links);
    }

    [Fact]
    public void Titles_AreShortNamesNotStandardText()
    {
        Assert.All(Catalog.All, c =>
        {
            Assert.InRange(c.Title.Length, 2, 120);
            Assert.DoesNotContain("shall", c.Title, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void Controls_OfUnknownFramework_NamesTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Catalog.Controls("ISO27001:2013"));

        Assert.Contains("ISO27001:2022", ex.Message, StringComparison.Ordinal);
    }
}
