namespace EvidenceBot.Scripting.Tests;

public class RuleCacheTests
{
    [Fact]
    public void Load_SecondStart_HitsTheCacheForEveryRule()
    {
        using var t = new TempRules();
        t.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        t.Rule("b.csx", "B-1", "Fail(\"a\", \"b\");");

        var first = t.Load();
        var second = t.Load();

        Assert.Equal(2, first.Stats.Compiled);
        Assert.Equal(0, second.Stats.Compiled);
        Assert.Equal(2, second.Stats.CacheHits);
        Assert.All(second.Rules, r => Assert.NotNull(r.Program));
    }

    [Fact]
    public void Load_AfterAnEdit_RecompilesOnlyTheEditedRule()
    {
        using var t = new TempRules();
        t.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        t.Rule("b.csx", "B-1", "Fail(\"a\", \"b\");");
        t.Load();

        t.Rule("b.csx", "B-1", "Fail(\"a\", \"changed\");");
        var after = t.Load();

        Assert.Equal(1, after.Stats.Compiled);
        Assert.Equal(1, after.Stats.CacheHits);
    }

    [Fact]
    public void Load_EditOfALoadedSharedFile_RecompilesTheRuleThatLoadsIt()
    {
        using var t = new TempRules();
        t.Write("_shared/h.csx", "static int N() => 1;\n");
        t.Rule("a.csx", "A-1", "#load \"_shared/h.csx\"\nCheck(\"a\", N() == 1, \"m\");");
        t.Load();

        t.Write("_shared/h.csx", "static int N() => 2;\n");
        var after = t.Load();

        Assert.Equal(1, after.Stats.Compiled);
    }

    [Fact]
    public void Load_BrokenRuleSecondTime_ComesFromTheCacheWithTheSameDiagnostics()
    {
        using var t = new TempRules();
        t.Rule("bad.csx", "BAD-1", "var x = ;");
        var first = t.Load();

        var second = t.Load();

        Assert.Equal(0, second.Stats.Compiled);
        Assert.Equal(first.Diagnostics.Select(d => d.ToString()), second.Diagnostics.Select(d => d.ToString()));
    }

    [Fact]
    public void Load_CorruptCacheEntry_IsCompiledAgain()
    {
        using var t = new TempRules();
        t.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        t.Load();
        foreach (var dll in Directory.GetFiles(t.Cache, "*.dll"))
            File.WriteAllText(dll, "not an assembly");

        var after = t.Load();

        Assert.Equal(1, after.Stats.Compiled);
        Assert.NotNull(Assert.Single(after.Rules).Program);
    }

    [Fact]
    public void Load_CacheWrites_LeaveNoTemporaryFiles()
    {
        using var t = new TempRules();
        t.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");

        t.Load();

        Assert.Empty(Directory.GetFiles(t.Cache, "*.tmp"));
        Assert.Single(Directory.GetFiles(t.Cache, "*.dll"));
    }
}
