using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Controls;

/// <summary>Small hand-made catalogs in a temp folder, so expansion and coverage math is checked against known data.</summary>
internal sealed class TempCatalog : IDisposable
{
    public TempCatalog()
    {
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "eb-controls-" + Guid.NewGuid().ToString("N"));

    public TempCatalog With(string name, string json)
    {
        File.WriteAllText(Path.Combine(Dir, name), json);
        return this;
    }

    public ControlCatalog Load() => ControlCatalog.LoadDirectory(Dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// AAA:1 has A1..A4 (assessable "control"), BBB:1 has article X with paragraphs X(1), X(2) (assessable "article") and Y.
    /// Crosswalk: A1 supports X, A2 partial X(1), A3 equivalent Y, A4 supports Y.
    /// </summary>
    public static TempCatalog Small() => new TempCatalog()
        .With("aaa.json", """
            { "framework": "AAA:1", "name": "Framework A", "assessable": ["control"],
              "groups": [ { "id": "G", "title": "Group G" } ],
              "controls": [
                { "id": "A1", "title": "Alpha one", "kind": "control", "group": "G" },
                { "id": "A2", "title": "Alpha two", "kind": "control", "group": "G" },
                { "id": "A3", "title": "Alpha three", "kind": "control" },
                { "id": "A4", "title": "Alpha four", "kind": "control" } ] }
            """)
        .With("bbb.json", """
            { "framework": "BBB:1", "name": "Framework B", "assessable": ["article"],
              "controls": [
                { "id": "X", "title": "Article X", "kind": "article" },
                { "id": "X(1)", "title": "Paragraph X one", "kind": "paragraph", "parent": "X" },
                { "id": "X(2)", "title": "Paragraph X two", "kind": "paragraph", "parent": "X" },
                { "id": "Y", "title": "Article Y", "kind": "article" } ] }
            """)
        .With("crosswalk.json", """
            { "relations": [
                { "from": "AAA:1/A1", "to": "BBB:1/X", "relation": "supports", "rationale": "A1 is part of what shows X." },
                { "from": "AAA:1/A2", "to": "BBB:1/X(1)", "relation": "partial", "rationale": "A2 and X(1) overlap in part." },
                { "from": "AAA:1/A3", "to": "BBB:1/Y", "relation": "equivalent", "rationale": "A3 and Y ask the same thing." },
                { "from": "AAA:1/A4", "to": "BBB:1/Y", "relation": "supports", "rationale": "A4 is part of what shows Y." } ] }
            """);

    public static RuleManifest Rule(string id, params (string Control, ControlRelation Relation)[] controls) => new()
    {
        Id = id,
        Title = id + " title",
        SourcePath = $"rules/{id}.csx",
        SourceSha256 = "",
        Controls = [.. controls.Select(c => new ControlMapping(c.Control, c.Relation))],
        ControlLines = controls.Select((c, i) => (c.Control, Line: 7 + i)).GroupBy(x => x.Control).ToDictionary(g => g.Key, g => g.First().Line),
    };
}

internal static class RepoPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string ControlsDir => Path.Combine(Root, "rules", "controls");
}
