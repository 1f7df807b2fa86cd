using System.Reflection;
using EvidenceBot.Cli.Commands;
using EvidenceBot.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EvidenceBot.IntegrationTests;

public class RulesInitEditorCommandTests
{
    [Theory]
    [InlineData("github")]
    [InlineData("azure")]
    [InlineData("models")]
    [InlineData("none")]
    public async Task InitEditor_SampleRule_CompilesWithExactlyTheReferencesAndImportsTheFilesList(string source)
    {
        using var cli = new CliRunner();

        var (exit, stdout, stderr) = await cli.Run("rules", "init-editor", "--rules", cli.Rules);

        Assert.True(exit == 0, stdout + stderr);
        var rsp = File.ReadAllLines(Path.Combine(cli.Rules, ".evidencebot", "editor", "rules.rsp"));
        var references = rsp.Where(l => l.StartsWith("/r:", StringComparison.Ordinal)).Select(l => l[3..].Trim('"')).ToList();
        var imports = rsp.Where(l => l.StartsWith("/u:", StringComparison.Ordinal)).Select(l => l[3..]).ToList();
        Assert.Contains(references, r => r.EndsWith("EvidenceBot.Rules.dll", StringComparison.Ordinal));
        Assert.All(references, r => Assert.True(File.Exists(r), r));
        Assert.Contains("\"rspFilePath\": \".evidencebot/editor/rules.rsp\"", File.ReadAllText(Path.Combine(cli.Rules, "omnisharp.json")), StringComparison.Ordinal);
        var ignored = File.ReadAllLines(Path.Combine(cli.Rules, ".gitignore"));
        Assert.Contains(".evidencebot/", ignored);
        Assert.Contains("omnisharp.json", ignored);

        // What OmniSharp builds from them: a script compilation with the .NET runtime plus exactly those references and imports.
        var rule = RuleTemplates.For("SAMPLE-1", source).Rule;
        var runtime = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll");
        var compilation = CSharpCompilation.CreateScriptCompilation("sample",
            CSharpSyntaxTree.ParseText(rule, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script)),
            [.. runtime.Select(p => MetadataReference.CreateFromFile(p)), .. references.Select(p => MetadataReference.CreateFromFile(p))],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, usings: imports));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void EditorGlobals_EveryPublicMemberOfRuleGlobals_IsOffered()
    {
        using var cli = new CliRunner();
        EvidenceBot.Scripting.EditorSetup.Write(cli.Rules, EvidenceBot.Scripting.SourceContracts.Of(EvidenceBot.Cli.Sources.SourceModules.All));
        var editorGlobals = Assembly.LoadFile(Path.Combine(cli.Rules, ".evidencebot", "editor", "EvidenceBot.EditorGlobals.dll"))
            .GetType("EvidenceBot.Editor.RuleGlobalsForEditor")!;

        var wanted = typeof(RuleGlobals).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m is PropertyInfo || m is MethodInfo { IsSpecialName: false }).Select(m => m.Name).Distinct();
        var offered = editorGlobals.GetMembers(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name).ToHashSet();

        Assert.All(wanted, name => Assert.Contains(name, offered));
    }

    [Fact]
    public async Task InitEditor_RunTwice_KeepsOneGitignoreEntryAndTheAuthorsLines()
    {
        using var cli = new CliRunner();
        cli.Write(Path.Combine("rules", ".gitignore"), "scratch/");

        await cli.Run("rules", "init-editor", "--rules", cli.Rules);
        var (exit, _, _) = await cli.Run("rules", "init-editor", "--rules", cli.Rules);

        Assert.Equal(0, exit);
        var lines = File.ReadAllLines(Path.Combine(cli.Rules, ".gitignore"));
        Assert.Equal("scratch/", lines[0]);
        Assert.Single(lines, ".evidencebot/");
        Assert.Single(lines, "omnisharp.json");
    }
}
