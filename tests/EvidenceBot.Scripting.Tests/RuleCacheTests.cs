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

    [Theory]
    [InlineData("_shared/h.csx", "#load \"n.csx\"\nstatic int M() => N() + 1;\n")] // loaded by the rule
    [InlineData("_shared/n.csx", "static int N() => 2;\n")] // loaded by the file the rule loads
    public void Load_EditOfALoadedSharedFile_RecompilesTheRuleThatLoadsIt(string edited, string text)
    {
        using var t = new TempRules();
        t.Write("_shared/h.csx", "#load \"n.csx\"\nstatic int M() => N();\n");
        t.Write("_shared/n.csx", "static int N() => 1;\n");
        t.Rule("a.csx", "A-1", "#load \"_shared/h.csx\"\nCheck(\"a\", M() == 1, \"m\");");
        t.Load();

        t.Write(edited, text);
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
    public void Load_BrokenRuleCopiedElsewhere_CachedErrorsNameTheCopy()
    {
        using var t = new TempRules();
        var original = t.Rule(Path.Combine("a", "bad.csx"), "BAD-1", "var x = ;");
        Assert.Contains(t.Load().Diagnostics, d => d.Location.File.EndsWith(Path.Combine("a", "bad.csx"), StringComparison.Ordinal));
        Directory.Move(Path.Combine(t.Rules, "a"), Path.Combine(t.Rules, "b"));

        var copied = t.Load();

        Assert.Equal(0, copied.Stats.Compiled); // the same text: a cache hit
        var error = Assert.Single(copied.Diagnostics, d => d.Code.StartsWith("CS", StringComparison.Ordinal));
        Assert.EndsWith(Path.Combine("b", "bad.csx"), error.Location.File, StringComparison.Ordinal);
        Assert.False(File.Exists(original));
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

public class HeaderCacheTests
{
    [Fact]
    public void Load_SecondStart_ReadsTheSameManifestFromTheHeaderCache()
    {
        using var t = new TempRules();
        t.Write("a.csx", """
            /* ---
            id: FULL-1
            title: Every header field
            description: text
            severity: critical
            sources: [github]
            controls:
              - { id: "ISO27001:2022/A.8.16", relation: partial }
            parameters: { n: 2, names: [a, b], on: true, nested: { x: 1 } }
            timeout: 1500ms
            schedule: "0 * * * *"
            freshness: 2d
            --- */
            Pass("a", "b");
            """);

        var fresh = Assert.Single(t.Load().Rules).Manifest;
        var cached = Assert.Single(t.Load().Rules).Manifest;

        Assert.Equal(fresh.Id, cached.Id);
        Assert.Equal(fresh.Title, cached.Title);
        Assert.Equal(fresh.Description, cached.Description);
        Assert.Equal(fresh.Severity, cached.Severity);
        Assert.Equal(fresh.Sources, cached.Sources);
        Assert.Equal(fresh.Controls, cached.Controls);
        Assert.Equal(fresh.ControlLines, cached.ControlLines);
        Assert.Equal(fresh.Parameters.Keys, cached.Parameters.Keys);
        Assert.All(fresh.Parameters, p => Assert.Equal(p.Value.GetRawText(), cached.Parameters[p.Key].GetRawText()));
        Assert.Equal(fresh.Timeout, cached.Timeout);
        Assert.Equal(fresh.Freshness, cached.Freshness);
        Assert.Equal(fresh.Schedule, cached.Schedule);
        Assert.Equal(fresh.SourceSha256, cached.SourceSha256);
        Assert.Equal(fresh.SourcePath, cached.SourcePath);
    }

    [Fact]
    public void Load_BadHeaderSecondStart_ReportsTheSameErrorFromTheCache()
    {
        using var t = new TempRules();
        t.Write("bad.csx", "/* ---\nid: B-1\ntitle: Bad\nseverity: urgent\n--- */\n");

        var first = t.Load().Diagnostics.Select(d => d.ToString()).ToList();
        var second = t.Load().Diagnostics.Select(d => d.ToString()).ToList();

        Assert.NotEmpty(first);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Load_DamagedHeaderCacheEntry_IsParsedAgain()
    {
        using var t = new TempRules();
        t.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        t.Load();
        foreach (var f in Directory.GetFiles(t.Cache, "*.header.json"))
            File.WriteAllText(f, "{ \"manifest\": 42 }");

        var again = t.Load();

        Assert.Equal("A-1", Assert.Single(again.Rules).Manifest.Id);
        Assert.Empty(again.Diagnostics);
    }
}
