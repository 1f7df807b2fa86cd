using System.Security.Cryptography;
using System.Text;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Scripting.Tests;

/// <summary>
/// A rule's recorded hash and bytes are the file's own, whatever its encoding: evidence copies those bytes, and a
/// hash of re-encoded text would not match them for a file saved with a byte-order mark.
/// </summary>
public class RuleSourceBytesTests
{
    private const string Rule = "/* ---\nid: ENC-1\ntitle: Encoded rule\n--- */\nPass(\"r\", \"ok é\");\n";

    public static TheoryData<string> Encodings => ["utf-8", "utf-8 with BOM", "utf-8 with BOM and CRLF", "utf-16 LE with BOM", "utf-16 BE with BOM"];

    private static byte[] Bytes(string encoding) => encoding switch
    {
        "utf-8" => Encoding.UTF8.GetBytes(Rule),
        "utf-8 with BOM" => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Rule)],
        "utf-8 with BOM and CRLF" => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Rule.Replace("\n", "\r\n", StringComparison.Ordinal))],
        "utf-16 LE with BOM" => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Rule)],
        "utf-16 BE with BOM" => [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(Rule)],
        _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Load_AnyEncoding_RecordsTheFilesOwnHashAndBytes_FromTheParserAndFromTheHeaderCache(string encoding)
    {
        using var t = new TempRules();
        var bytes = Bytes(encoding);
        var path = Path.Combine(t.Rules, "enc.csx");
        File.WriteAllBytes(path, bytes);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var cold = t.Load();
        var warm = t.Load();

        foreach (var set in new[] { cold, warm })
        {
            Assert.False(set.HasErrors, string.Join("\n", set.Diagnostics));
            var rule = Assert.Single(set.Rules);
            Assert.Equal("ENC-1", rule.Manifest.Id);
            Assert.NotNull(rule.Program);
            Assert.Equal(sha, rule.Manifest.SourceSha256);
            Assert.Equal(bytes, set.Sources[rule.Manifest.SourcePath]);
        }

        Assert.Equal(1, warm.Stats.CacheHits);
    }

    [Fact]
    public void Load_FileChangedAfterwards_SourcesKeepTheBytesThatWereLoaded()
    {
        using var t = new TempRules();
        var path = t.Rule("a.csx", "A-1", "Pass(\"r\", \"ok\");");
        var loaded = File.ReadAllBytes(path);

        var set = t.Load();
        File.WriteAllText(path, "/* ---\nid: A-1\ntitle: Edited\n--- */\nFail(\"r\", \"edited\");\n");

        Assert.Equal(loaded, set.Sources[Assert.Single(set.Rules).Manifest.SourcePath]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(loaded)), set.Rules[0].Manifest.SourceSha256);
    }

    [Fact]
    public void Load_HeaderThatCannotBeRead_KeepsTheFilesBytesForTheEvidence()
    {
        using var t = new TempRules();
        var path = t.Write("bad.csx", "Pass(\"r\", \"no header\");\n");

        var set = t.Load();

        Assert.Empty(set.Rules);
        Assert.Contains(set.Diagnostics, d => d.Code == "EB0001");
        Assert.Equal(File.ReadAllBytes(path), Assert.Single(set.Sources).Value);
    }
}

/// <summary>The files a rule <c>#load</c>s: read once, kept for the evidence, and part of the cache key, nested ones too.</summary>
public class LoadedSourcesTests
{
    [Fact]
    public void Load_RuleLoadingAFileThatLoadsAnother_ListsBothAndKeepsTheirBytes()
    {
        using var t = new TempRules();
        var helpers = t.Write("_shared/helpers.csx", "#load \"more.csx\"\nstatic bool Ok(int n) => More(n) > 1;\n");
        var more = t.Write("_shared/more.csx", "static int More(int n) => n + 1;\n");
        t.Rule("a.csx", "A-1", "#load \"_shared/helpers.csx\"\nCheck(\"a\", Ok(1), \"m\");");

        var set = t.Load();

        var rule = Assert.Single(set.Rules);
        Assert.NotNull(rule.Program);
        Assert.Equal([helpers, more], rule.LoadedSources);
        Assert.Equal(File.ReadAllBytes(helpers), set.Sources[helpers]);
        Assert.Equal(File.ReadAllBytes(more), set.Sources[more]);
    }

    [Fact]
    public void Load_RuleLoadingAFileOutsideTheRulesFolder_IsRefusedAndThatFileIsNeverRead()
    {
        using var t = new TempRules();
        var outside = Path.Combine(t.Root, "outside.csx");
        File.WriteAllText(outside, "static int Secret() => 42;\n");
        t.Rule("a.csx", "A-1", "#load \"../outside.csx\"\nPass(\"a\", \"b\");");

        var set = t.Load();

        Assert.Null(Assert.Single(set.Rules).Program);
        Assert.Contains(set.Diagnostics, d => d.Code == "EB0202");
        Assert.Empty(set.Rules[0].LoadedSources);
        Assert.DoesNotContain(set.Sources.Keys, k => k.EndsWith("outside.csx", StringComparison.Ordinal));
    }
}

/// <summary>The compiler takes a loaded file's bytes from the loader: what is compiled is what was hashed and kept.</summary>
public class CompilerReadsOnceTests
{
    [Fact]
    public void Compile_LoadedFileChangedOnDiskAfterItWasRead_CompilesTheBytesThatWereRead()
    {
        using var t = new TempRules();
        var helpers = t.Write("_shared/helpers.csx", "static int N() => ;\n"); // on disk now: does not compile
        var path = t.Rule("a.csx", "A-1", "#load \"_shared/helpers.csx\"\nCheck(\"a\", N() == 2, \"m\");");
        var manifest = new RuleManifest { Id = "A-1", Title = "t", SourcePath = path, SourceSha256 = "" };
        var read = new Dictionary<string, byte[]> { [Path.GetFullPath(helpers)] = "static int N() => 2;\n"u8.ToArray() };

        var fromRead = new RoslynRuleCompiler(t.Rules).Compile(manifest, File.ReadAllText(path), "evidencebot.rule.00000000000000aa", read);
        var fromDisk = new RoslynRuleCompiler(t.Rules).Compile(manifest, File.ReadAllText(path), "evidencebot.rule.00000000000000bb");

        Assert.NotNull(fromRead.Image);
        Assert.Null(fromDisk.Image);
        Assert.Contains(fromDisk.Diagnostics, d => d.Code == "CS1525" && d.Location.File.EndsWith("helpers.csx", StringComparison.Ordinal));
    }
}

/// <summary>How a rule's path and the rules folder are spelled does not change what <c>#load</c> may reach.</summary>
public class LoadPathTests
{
    [Fact]
    public void Compile_RuleNamedByARelativePath_ResolvesItsLoadsAndReportsThatPath()
    {
        // The CLI shows rule paths relative to the working folder (`rules/x.csx`); Roslyn once doubled them for #load.
        // So the rules folder is below the working folder here, as it is when someone runs `--rules rules`.
        var relativeRoot = "eb-rel-" + Guid.NewGuid().ToString("N");
        var rules = Path.Combine(relativeRoot, "rules");
        Directory.CreateDirectory(Path.Combine(rules, "_shared"));
        try
        {
            File.WriteAllText(Path.Combine(rules, "_shared", "helpers.csx"), "static int N() => 2;\n");
            var relative = Path.Combine(rules, "a.csx");
            File.WriteAllText(relative, "/* ---\nid: A-1\ntitle: t\n--- */\n#load \"_shared/helpers.csx\"\nCheck(\"a\", N() == 2, \"m\");\nint broken = \"text\";\n");
            var manifest = new RuleManifest { Id = "A-1", Title = "t", SourcePath = relative, SourceSha256 = "" };

            var output = new RoslynRuleCompiler(rules).Compile(manifest, File.ReadAllText(relative), "evidencebot.rule.00000000000000cc");

            var error = Assert.Single(output.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
            Assert.Equal("CS0029", error.Code); // the rule's own error, not "could not find _shared/helpers.csx"
            Assert.Equal(relative, error.Location.File);
            Assert.Equal(7, error.Location.Line);
        }
        finally
        {
            Directory.Delete(relativeRoot, recursive: true);
        }
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    public void Load_RulesFolderWithOrWithoutATrailingSeparator_LoadsSharedFiles(string trailing)
    {
        using var t = new TempRules();
        t.Write("_shared/helpers.csx", "static int N() => 2;\n");
        t.Rule("a.csx", "A-1", "#load \"_shared/helpers.csx\"\nCheck(\"a\", N() == 2, \"m\");");

        var set = RuleSetLoader.Load(new RuleLoadOptions { RulesDirectory = t.Rules + trailing.Replace('/', Path.DirectorySeparatorChar), CacheDirectory = t.Cache });

        Assert.False(set.HasErrors, string.Join("\n", set.Diagnostics));
        Assert.Single(Assert.Single(set.Rules).LoadedSources);
    }

    [Fact]
    public void Load_FolderWhoseNameStartsWithTwoDots_IsInsideTheRulesFolder()
    {
        using var t = new TempRules();
        var helpers = t.Write("..lib/helpers.csx", "static int N() => 2;\n");
        t.Rule("a.csx", "A-1", "#load \"..lib/helpers.csx\"\nCheck(\"a\", N() == 2, \"m\");");
        t.Load();

        t.Write("..lib/helpers.csx", "static int N() => 3;\n");
        var after = t.Load();

        Assert.Equal(1, after.Stats.Compiled); // the edit is part of the cache key
        Assert.Equal([helpers], Assert.Single(after.Rules).LoadedSources);
    }

    [Fact]
    public void Resolver_FileOutsideTheRulesFolderNotReadByTheLoader_IsNeverOpened()
    {
        // A nested #load is refused after Roslyn resolves it; the resolver must not have opened it (a FIFO would hang).
        using var t = new TempRules();
        var outside = Path.Combine(t.Root, "outside.csx");
        File.WriteAllText(outside, "static int Outside() => 1;\n");
        var resolver = new ReadSourceResolver(new Microsoft.CodeAnalysis.SourceFileResolver([], t.Rules), new Dictionary<string, byte[]>(), t.Rules);

        var e = Assert.Throws<IOException>(() => resolver.OpenRead(outside));

        Assert.Contains("outside the rules folder", e.Message, StringComparison.Ordinal);
    }
}
