using EvidenceBot.Scripting;

namespace EvidenceBot.Service.Tests;

public sealed class ActiveRulesTests
{
    [Fact]
    public async Task Refresh_BrokenEdit_KeepsOldRuleAndReportsIt_GoodEditIsSwappedIn()
    {
        using var dir = new TempFolder();
        var source = dir.Combine("rules");
        TestRules.Write(source, "a.csx", TestRules.Quick("T-A", message: "version 1"));
        TestRules.Write(source, "b.csx", TestRules.Quick("T-B", message: "version 1"));
        var rules = new ActiveRules(source, dir.Combine("work"), new RuleLoadOptions { RulesDirectory = source, CacheDirectory = dir.Combine("cache") });
        rules.Initialize();

        TestRules.Write(source, "a.csx", TestRules.Quick("T-A", message: "version 2") + "\nthis does not compile;");
        TestRules.Write(source, "b.csx", TestRules.Quick("T-B", message: "version 2"));
        TestRules.Write(source, "c.csx", "/* --- not a header");
        var outcome = await rules.RefreshAsync(CancellationToken.None);

        Assert.Equal(["a.csx", "b.csx", "c.csx"], outcome.Changed);
        Assert.Equal(["a.csx", "c.csx"], outcome.Refused.Select(r => r.File));
        Assert.Contains("error CS", outcome.Refused[0].Why, StringComparison.Ordinal);
        Assert.Contains("version 1", File.ReadAllText(Path.Combine(rules.Directory, "a.csx")), StringComparison.Ordinal);
        Assert.Contains("version 2", File.ReadAllText(Path.Combine(rules.Directory, "b.csx")), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(rules.Directory, "c.csx")));
        Assert.Equal(["T-A", "T-B"], rules.Manifests().Select(m => m.Id).Order());
    }

    [Fact]
    public async Task Refresh_BrokenFileLeftAsItIs_IsReportedOnceThenAgainOnlyWhenItChanges()
    {
        using var dir = new TempFolder();
        var source = dir.Combine("rules");
        TestRules.Write(source, "a.csx", TestRules.Quick("T-A"));
        var rules = new ActiveRules(source, dir.Combine("work"), new RuleLoadOptions { RulesDirectory = source, CacheDirectory = dir.Combine("cache") });
        rules.Initialize();

        TestRules.Write(source, "broken.csx", "");  // being written: not taken yet
        var empty = await rules.RefreshAsync(CancellationToken.None);
        TestRules.Write(source, "broken.csx", TestRules.Quick("T-B") + "\nthis does not compile;");
        var first = await rules.RefreshAsync(CancellationToken.None);
        var again = await rules.RefreshAsync(CancellationToken.None);
        TestRules.Write(source, "broken.csx", TestRules.Quick("T-B"));
        var fixedUp = await rules.RefreshAsync(CancellationToken.None);

        Assert.Same(ReloadOutcome.None, empty);
        var refused = Assert.Single(first.Refused);
        Assert.Equal("broken.csx", refused.File);
        Assert.Contains(Path.Combine(source, "broken.csx"), refused.Why, StringComparison.Ordinal); // the operator's file, not the service's copy
        Assert.DoesNotContain(dir.Combine("work"), refused.Why, StringComparison.Ordinal);
        Assert.Same(ReloadOutcome.None, again);
        Assert.Empty(fixedUp.Refused);
        Assert.Equal(["T-A", "T-B"], rules.Manifests().Select(m => m.Id).Order());
    }

    [Fact]
    public async Task Refresh_RuleDeleted_LeavesTheCopy_NothingChanged_IsNoOutcome()
    {
        using var dir = new TempFolder();
        var source = dir.Combine("rules");
        TestRules.Write(source, "a.csx", TestRules.Quick("T-A"));
        TestRules.Write(source, "b.csx", TestRules.Quick("T-B"));
        var rules = new ActiveRules(source, dir.Combine("work"), new RuleLoadOptions { RulesDirectory = source, CacheDirectory = dir.Combine("cache") });
        rules.Initialize();

        var unchanged = await rules.RefreshAsync(CancellationToken.None);
        File.Delete(Path.Combine(source, "b.csx"));
        var deleted = await rules.RefreshAsync(CancellationToken.None);

        Assert.Same(ReloadOutcome.None, unchanged);
        Assert.Equal(["b.csx"], deleted.Changed);
        Assert.Empty(deleted.Refused);
        Assert.Equal(["T-A"], rules.Manifests().Select(m => m.Id));
    }
}
