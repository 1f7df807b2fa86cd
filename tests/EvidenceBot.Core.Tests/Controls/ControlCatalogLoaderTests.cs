using EvidenceBot.Core.Controls;

namespace EvidenceBot.Core.Tests.Controls;

public class ControlCatalogLoaderTests
{
    private const string GoodCatalog = """
        { "framework": "AAA:1", "name": "Framework A", "assessable": ["control"],
          "controls": [ { "id": "A1", "title": "Alpha one", "kind": "control" }, { "id": "A2", "title": "Alpha two", "kind": "control" } ] }
        """;

    private static ControlCatalogException LoadFails(TempCatalog temp) =>
        Assert.Throws<ControlCatalogException>(temp.Load);

    [Fact]
    public void Load_MissingTitle_NamesFileJsonPathAndLine()
    {
        using var temp = new TempCatalog().With("aaa.json", """
            {
              "framework": "AAA:1", "name": "Framework A", "assessable": ["control"],
              "controls": [
                { "id": "A1", "title": "Alpha one", "kind": "control" },
                { "id": "A2", "kind": "control" }
              ]
            }
            """);

        var error = Assert.Single(LoadFails(temp).Errors);

        Assert.EndsWith("aaa.json", error.File, StringComparison.Ordinal);
        Assert.StartsWith("$.controls[1]", error.JsonPath, StringComparison.Ordinal);
        Assert.Contains("'title' is required", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, error.Line);
    }

    [Fact]
    public void Load_BadFrameworkId_IsASchemaError()
    {
        using var temp = new TempCatalog().With("aaa.json", GoodCatalog.Replace("AAA:1", "aaa-1", StringComparison.Ordinal));

        var error = Assert.Single(LoadFails(temp).Errors);

        Assert.Equal("$.framework", error.JsonPath);
        Assert.Contains("expected form", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotJson_SaysWhereTheSyntaxBreaks()
    {
        using var temp = new TempCatalog().With("aaa.json", "{\n  \"framework\": \"AAA:1\",\n  \"name\": oops\n}");

        var error = Assert.Single(LoadFails(temp).Errors);

        Assert.Equal(3, error.Line);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateIdUnknownParentAndGroup_AreAllReported()
    {
        using var temp = new TempCatalog().With("aaa.json", """
            { "framework": "AAA:1", "name": "Framework A", "assessable": ["control"],
              "controls": [
                { "id": "A1", "title": "Alpha one", "kind": "control" },
                { "id": "A1", "title": "Alpha again", "kind": "control" },
                { "id": "A2", "title": "Alpha two", "kind": "control", "parent": "A9" },
                { "id": "A3", "title": "Alpha three", "kind": "control", "group": "G" } ] }
            """);

        var errors = LoadFails(temp).Errors;

        Assert.Equal(["$.controls[1].id", "$.controls[2].parent", "$.controls[3].group"], errors.Select(e => e.JsonPath));
        Assert.Contains("listed twice", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CrosswalkToUnknownControl_SuggestsTheClosest()
    {
        using var temp = new TempCatalog()
            .With("aaa.json", GoodCatalog)
            .With("bbb.json", GoodCatalog.Replace("AAA:1", "BBB:1", StringComparison.Ordinal).Replace("\"A", "\"B", StringComparison.Ordinal))
            .With("crosswalk.json", """
                { "relations": [
                  { "from": "AAA:1/A1", "to": "BBB:1/B1", "relation": "supports", "rationale": "A1 is part of B1." },
                  { "from": "AAA:1/A2", "to": "BBB:1/B3", "relation": "supports", "rationale": "A2 is part of B3." } ] }
                """);

        var error = Assert.Single(LoadFails(temp).Errors);

        Assert.EndsWith("crosswalk.json", error.File, StringComparison.Ordinal);
        Assert.Equal("$.relations[1].to", error.JsonPath);
        Assert.Contains("'BBB:1/B3' is not a control", error.Message, StringComparison.Ordinal);
        Assert.Contains("BBB:1/B1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CrosswalkInsideOneFrameworkOrWithABadRelation_IsRejected()
    {
        using var temp = new TempCatalog()
            .With("aaa.json", GoodCatalog)
            .With("crosswalk.json", """
                { "relations": [
                  { "from": "AAA:1/A1", "to": "AAA:1/A2", "relation": "supports", "rationale": "Same framework link." },
                  { "from": "AAA:1/A1", "to": "AAA:1/A2", "relation": "implies", "rationale": "Unknown relation kind." } ] }
                """);

        var errors = LoadFails(temp).Errors;

        Assert.Contains(errors, e => e.JsonPath == "$.relations[1].relation" && e.Message.Contains("equivalent", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_SameFrameworkTwice_IsRejected()
    {
        using var temp = new TempCatalog().With("a1.json", GoodCatalog).With("a2.json", GoodCatalog);

        var error = Assert.Single(LoadFails(temp).Errors);

        Assert.Equal("$.framework", error.JsonPath);
        Assert.Contains("already defined", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFolder_SaysSo()
    {
        var ex = Assert.Throws<ControlCatalogException>(() => ControlCatalog.LoadDirectory("/no/such/controls"));

        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SmallFixture_Loads()
    {
        using var temp = TempCatalog.Small();

        var catalog = temp.Load();

        Assert.Equal(8, catalog.All.Count);
        Assert.Equal(4, catalog.Crosswalk.Links.Count);
        Assert.Equal("Group G", catalog.Find("AAA:1/A1")!.GroupTitle);
    }
}
