using System.Collections.Immutable;
using EvidenceBot.Core.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using DiagnosticSeverity = EvidenceBot.Core.Rules.DiagnosticSeverity;

namespace EvidenceBot.Scripting.Tests;

public class ApiDenyListTests
{
    private static RuleDiagnostic CompileExpectingDenial(string body, string? code = null)
    {
        using var t = new TempRules();
        t.Rule("deny.csx", "DENY-1", body);
        var set = t.Load();
        Assert.Null(Assert.Single(set.Rules).Program);
        var errors = set.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        return code is null ? errors[0] : Assert.Single(errors, e => e.Code == code);
    }

    [Theory]
    [InlineData("var s = System.IO.File.ReadAllText(\"/etc/passwd\");", "file system")]
    [InlineData("var s = global::System.IO.File.ReadAllText(\"/etc/passwd\");", "file system")]
    [InlineData("var e = Environment.GetEnvironmentVariable(\"GITHUB_TOKEN\");", "environment")]
    [InlineData("System.Diagnostics.Process.Start(\"sh\");", "processes")]
    [InlineData("var c = new System.Net.Http.HttpClient();", "network")]
    [InlineData("var s = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);", "network")]
    [InlineData("var t = Type.GetType(\"System.IO.File\");", "reflection")]
    [InlineData("var a = System.Reflection.Assembly.Load(\"x\");", "reflection")]
    [InlineData("var m = typeof(string).GetMethods();", "reflection")]
    [InlineData("Console.WriteLine(\"hi\");", "console")]
    [InlineData("System.Runtime.InteropServices.Marshal.AllocHGlobal(8);", "P/Invoke")]
    [InlineData("var o = Activator.CreateInstance(typeof(object));", "reflection")]
    public void Compile_DeniedApi_IsRefusedWithRuleAndLine(string body, string why)
    {
        var e = CompileExpectingDenial(body, "EB0200");

        Assert.Equal(5, e.Location.Line);
        Assert.Equal("DENY-1", e.RuleId);
        Assert.Contains(why, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Compile_AliasToDeniedType_IsRefused()
    {
        var e = CompileExpectingDenial("using F = System.IO.File;\nvar s = F.ReadAllText(\"/etc/passwd\");");
        Assert.Contains("System.IO.File", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_UsingStaticOfDeniedType_IsRefused()
    {
        var e = CompileExpectingDenial("using static System.IO.File;\nvar s = ReadAllText(\"/etc/passwd\");");
        Assert.Equal("EB0200", e.Code);
        Assert.Contains("System.IO.File", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_ExternMethod_IsRefused()
    {
        var e = CompileExpectingDenial("[System.Runtime.InteropServices.DllImport(\"libc\")] static extern int getpid();\nvar p = getpid();");
        Assert.Contains(e.Code, new[] { "EB0200", "EB0203" });
    }

    [Fact]
    public void Compile_ReferenceDirective_IsRefused()
    {
        var e = CompileExpectingDenial("#r \"System.IO.dll\"\nPass(\"a\", \"b\");", "EB0201");
        Assert.Contains("#r", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_LoadOutsideRulesFolder_IsRefused()
    {
        var e = CompileExpectingDenial("#load \"../../outside.csx\"\nPass(\"a\", \"b\");", "EB0202");
        Assert.Contains("outside the rules folder", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("#r \"System.Xml.XDocument\"\n", "EB0201")]
    [InlineData("#load \"../../outside.csx\"\n", "EB0202")] // from rules/_shared/ to the folder above rules/
    public void Compile_DirectiveInALoadedFile_IsRefusedNamingThatFileAndLine(string directive, string code)
    {
        using var t = new TempRules();
        File.WriteAllText(Path.Combine(t.Root, "outside.csx"), "static int Outside() => 1;\n");
        t.Write("_shared/inner.csx", "static int Inner() => 1;\n");
        t.Write("_shared/helpers.csx", "#load \"inner.csx\"\n" + directive + "static int Approvals() => 2;\n");
        t.Rule("uses.csx", "LOAD-2", "#load \"_shared/helpers.csx\"\nCheck(\"a\", Approvals() == 2, \"m\");");

        var set = t.Load();

        Assert.Null(Assert.Single(set.Rules).Program);
        var e = Assert.Single(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(code, e.Code);
        Assert.Equal("LOAD-2", e.RuleId);
        Assert.EndsWith(Path.Combine("_shared", "helpers.csx"), e.Location.File, StringComparison.Ordinal);
        Assert.Equal(2, e.Location.Line);
    }

    [Fact]
    public void Compile_LoadInsideRulesFolder_IsAllowed()
    {
        using var t = new TempRules();
        t.Write("_shared/helpers.csx", "static int Approvals() => 2;\n");
        t.Rule("uses.csx", "LOAD-1", "#load \"_shared/helpers.csx\"\nCheck(\"a\", Approvals() == 2, \"m\");");

        var set = t.Load();

        Assert.DoesNotContain(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.NotNull(Assert.Single(set.Rules).Program);
    }

    [Fact]
    public void Compile_EverydayApis_AreAllowed()
    {
        using var t = new TempRules();
        t.Rule("ok.csx", "ALLOW-1", """
            var names = new[] { "b", "a" }.OrderBy(x => x).ToList();
            var ok = Regex.IsMatch("main", "^ma") && typeof(string).Name == "String";
            var json = JsonSerializer.Serialize(new { names });
            var d = new Dictionary<string, int> { ["x"] = 1 };
            await Task.Delay(1, Ct);
            var nl = Environment.NewLine;
            var sb = new StringBuilder().Append($"{names.Count} {Now:O}");
            Check("x", ok, sb.ToString(), new { json });
            """);

        var set = t.Load();

        Assert.DoesNotContain(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void EmittedReferences_DeniedTypeInIL_IsRefused()
    {
        // The IL check does not depend on how the source spelled the type: compile plain C# that uses File.
        var tree = CSharpSyntaxTree.ParseText("public static class C { public static string M() => System.IO.File.ReadAllText(\"x\"); }");
        var refs = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Private.CoreLib.dll" or "System.Runtime.dll")
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("il", [tree], refs, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var pe = new MemoryStream();
        Assert.True(compilation.Emit(pe).Success);
        var diagnostics = new List<RuleDiagnostic>();
        var manifest = new RuleManifest { Id = "IL-1", Title = "t", SourcePath = "il.csx", SourceSha256 = "" };

        RoslynRuleCompiler.CheckEmittedReferences(manifest, pe.ToArray(), RuntimeOnly, ApiDenyList.Base, diagnostics);

        Assert.Contains(diagnostics, d => d.Code == "EB0204" && d.Message.Contains("System.IO.File", StringComparison.Ordinal));
    }

    [Fact]
    public void EmittedReferences_AssemblyRulesAreNotCompiledAgainst_IsRefused()
    {
        // However it got there, a reference to another assembly would bring code the deny list never saw.
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Private.CoreLib.dll" or "System.Runtime.dll")
            .Select(p => MetadataReference.CreateFromFile(p)).ToList();
        var library = CSharpCompilation.Create("Evil.Helpers", [CSharpSyntaxTree.ParseText("public static class Evil { public static int Run() => 1; }")], tpa,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var rule = CSharpCompilation.Create("il", [CSharpSyntaxTree.ParseText("public static class C { public static int M() => Evil.Run(); }")],
            [.. tpa, library.ToMetadataReference()], new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var pe = new MemoryStream();
        Assert.True(rule.Emit(pe).Success);
        var diagnostics = new List<RuleDiagnostic>();
        var manifest = new RuleManifest { Id = "IL-2", Title = "t", SourcePath = "il.csx", SourceSha256 = "" };

        RoslynRuleCompiler.CheckEmittedReferences(manifest, pe.ToArray(), RuntimeOnly, ApiDenyList.Base, diagnostics);

        var e = Assert.Single(diagnostics);
        Assert.Equal("EB0204", e.Code);
        Assert.Contains("'Evil.Helpers'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("System.IO.File", true)]
    [InlineData("System.IO.MemoryStream", false)]
    [InlineData("System.Net.HttpStatusCode", false)]
    [InlineData("System.Net.Http.HttpClient", true)]
    [InlineData("System.Reflection.Emit.ILGenerator", true)]
    [InlineData("System.Collections.Generic.List", false)]
    public void WhyTypeDenied_KnowsTheList(string type, bool denied) =>
        Assert.Equal(denied, ApiDenyList.Base.WhyTypeDenied(type) is not null);

    [Fact]
    public void With_ASourcesEntries_DeniesThemAndChangesTheFingerprint()
    {
        var contract = new EvidenceBot.Core.Sources.RuleContract
        {
            DeniedTypes = new Dictionary<string, string> { ["Vendor.Sdk.Client"] = "network access outside the sources" },
            DeniedNamespaces = new Dictionary<string, string> { ["Vendor.Sdk.Internal"] = "network access outside the sources" },
        };

        var withSource = ApiDenyList.Base.With([contract]);

        Assert.Null(ApiDenyList.Base.WhyTypeDenied("Vendor.Sdk.Client"));
        Assert.NotNull(withSource.WhyTypeDenied("Vendor.Sdk.Client"));
        Assert.NotNull(withSource.WhyTypeDenied("Vendor.Sdk.Internal.Pipe"));
        Assert.Null(withSource.WhyTypeDenied("Vendor.Sdk.Model"));
        // The cache key follows the list's content: a rule compiled under the old list is checked again.
        Assert.NotEqual(ApiDenyList.Base.Fingerprint, withSource.Fingerprint);
        Assert.Equal(withSource.Fingerprint, ApiDenyList.Base.With([contract]).Fingerprint);
    }

    private static HashSet<string> RuntimeOnly => new(StringComparer.Ordinal) { "System.Private.CoreLib", "System.Runtime" };
}
