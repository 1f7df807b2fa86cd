using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Controls;

public sealed class ControlAnswersTests : IDisposable
{
    private static readonly ControlCatalog Catalog = ControlCatalog.LoadDefault();
    private readonly string _dir = Directory.CreateTempSubdirectory("evidencebot-answers-").FullName;
    private int _loads;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Validate_KnownList_IsAnsweredByTheNextRunWithoutTheCatalogs()
    {
        var rule = Manifest(("ISO27001:2022/A.8.16", ControlRelation.Supports), ("ISO27001:2022/A.8.15", ControlRelation.Satisfies));
        var first = ControlAnswers.Open(_dir, Counted);
        Assert.True(first.IsEmpty);

        Assert.Empty(first.Validate(rule));
        first.Save();

        Assert.Equal(1, _loads);
        var next = ControlAnswers.Open(_dir, () => throw new InvalidOperationException("the catalogs were loaded"));
        Assert.False(next.IsEmpty);
        Assert.Empty(next.Validate(rule));
        // Round-tripped through the file, every field of every mapping is what the catalogs give, derived ones included.
        var expected = Catalog.Expand(rule.Controls);
        Assert.Contains(expected, m => m.Derived && m.Via is not null && m.Rationale is not null);
        Assert.Equal(expected, next.Expand(rule.Controls));
    }

    [Fact]
    public void Validate_UnknownId_IsAskedOfTheCatalogsEveryTime()
    {
        var rule = Manifest(("ISO27001:2022/A.8.99", ControlRelation.Supports));
        var first = ControlAnswers.Open(_dir, Counted);

        var diagnostics = first.Validate(rule);
        first.Save();
        var again = ControlAnswers.Open(_dir, Counted).Validate(rule);

        Assert.Equal(ControlCatalog.UnknownControlCode, Assert.Single(diagnostics).Code);
        Assert.Equal(diagnostics, again);
        Assert.Equal(2, _loads);
        Assert.False(File.Exists(Path.Combine(_dir, ControlAnswers.FileName)), "nothing was learnt, so nothing was written");
    }

    [Fact]
    public void Validate_ListSpelledToLookLikeAKnownOne_StillGetsItsOwnAnswer()
    {
        var known = Manifest(("ISO27001:2022/A.8.16", ControlRelation.Supports), ("ISO27001:2022/A.8.15", ControlRelation.Supports));
        var lookalike = Manifest(("ISO27001:2022/A.8.16 supports\nISO27001:2022/A.8.15", ControlRelation.Supports));
        var answers = ControlAnswers.Open(_dir, Counted);
        Assert.Empty(answers.Validate(known));

        var diagnostics = answers.Validate(lookalike);

        Assert.Equal(ControlCatalog.UnknownControlCode, Assert.Single(diagnostics).Code);
    }

    [Fact]
    public void Expand_IsWhatTheCatalogsGive_AndUnknownIdsAreNotRemembered()
    {
        var answers = ControlAnswers.Open(_dir, Counted);
        ControlMapping[] known = [new("EUAIA:2024/Art.12", ControlRelation.Satisfies)];
        ControlMapping[] unknown = [new("NOPE:1/X", ControlRelation.Satisfies)];

        Assert.Equal(Catalog.Expand(known), answers.Expand(known));
        Assert.Equal(Catalog.Expand(unknown), answers.Expand(unknown));
        answers.Save();

        var next = ControlAnswers.Open(_dir, Counted);
        Assert.Equal(Catalog.Expand(known), next.Expand(known));
        Assert.Equal(2, _loads); // the first run's two questions; the next run asked nothing of the catalogs
        Assert.Equal(Catalog.Expand(unknown), next.Expand(unknown));
        Assert.Equal(3, _loads);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[{\"direct\":[],\"expanded\":[]},{\"direct\":[{\"id\":\"ISO27001:2022/A.8.16\",\"relation\":\"sometimes\"}],\"expanded\":[]}]")]
    [InlineData("{\"direct\":[]}")]
    [InlineData("[{\"direct\":[{\"id\":null,\"relation\":\"supports\"}],\"expanded\":[]}]")]
    public void Open_DamagedFile_IsNoAnswersAtAll(string content)
    {
        File.WriteAllText(Path.Combine(_dir, ControlAnswers.FileName), content);
        var rule = Manifest(("ISO27001:2022/A.8.16", ControlRelation.Supports));

        var answers = ControlAnswers.Open(_dir, Counted);

        Assert.True(answers.IsEmpty);
        Assert.Empty(answers.Validate(rule));
        Assert.Equal(1, _loads);
        answers.Save();
        Assert.False(ControlAnswers.Open(_dir).IsEmpty); // replaced by what this run learnt
    }

    [Fact]
    public void Save_FolderThatCannotBeWritten_IsOnlyAMiss()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "not a folder");
        var answers = ControlAnswers.Open(file, Counted);
        Assert.Empty(answers.Validate(Manifest(("ISO27001:2022/A.8.16", ControlRelation.Supports))));

        answers.Save();

        Assert.Equal("not a folder", File.ReadAllText(file));
        Assert.True(ControlAnswers.Open(file).IsEmpty);
    }

    [Fact]
    public void Validate_RuleWithoutControls_NeverLoadsTheCatalogs()
    {
        var answers = ControlAnswers.Open(_dir, Counted);

        Assert.Empty(answers.Validate(Manifest()));
        Assert.Empty(answers.Expand([]));

        Assert.Equal(0, _loads);
    }

    private ControlCatalog Counted()
    {
        _loads++;
        return Catalog;
    }

    private static RuleManifest Manifest(params (string Id, ControlRelation Relation)[] controls) => new()
    {
        Id = "R-1",
        Title = "t",
        SourcePath = "rules/r.csx",
        SourceSha256 = "00",
        Controls = [.. controls.Select(c => new ControlMapping(c.Id, c.Relation))],
        ControlLines = controls.Select((c, i) => (c.Id, Line: i + 5)).DistinctBy(c => c.Id).ToDictionary(c => c.Id, c => c.Line),
    };
}
