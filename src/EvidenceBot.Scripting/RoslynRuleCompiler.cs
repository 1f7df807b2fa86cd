using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using CoreSeverity = EvidenceBot.Core.Rules.DiagnosticSeverity;
using RoslynSeverity = Microsoft.CodeAnalysis.DiagnosticSeverity;

namespace EvidenceBot.Scripting;

/// <summary>The outcome of compiling one rule: an assembly image or diagnostics.</summary>
internal sealed record CompileOutput(byte[]? Image, IReadOnlyList<RuleDiagnostic> Diagnostics);

/// <summary>
/// Compiles a rule script to an assembly image with Roslyn scripting. Kept apart from the cache so a warm
/// start, which only loads cached images, never loads Roslyn at all.
/// </summary>
internal sealed class RoslynRuleCompiler
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> RuntimeReferences = new(ResolveRuntimeReferences);
    private static readonly ConcurrentDictionary<string, MetadataReference> ContractReferences = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Lazy<Compiled>> ByContract = new(StringComparer.Ordinal);

    /// <summary>The emitted name of every rule before renaming; same length as every real name.</summary>
    internal const string PlaceholderName = "evidencebot.rule.0000000000000000";

    private readonly string _rulesRoot;
    private readonly IReadOnlyDictionary<string, RuleContract> _contracts;

    public RoslynRuleCompiler(string rulesRoot, IReadOnlyDictionary<string, RuleContract>? contracts = null)
    {
        _rulesRoot = RulesFolder.Normalize(rulesRoot);
        _contracts = contracts ?? new Dictionary<string, RuleContract>();
    }

    /// <summary>
    /// What every rule with the same contract shares: its references, the assembly names they allow, and one empty
    /// script compilation that rules without <c>#load</c> derive from (sharing its bound reference symbols halves the
    /// cost of every script after the first).
    /// </summary>
    private sealed record Compiled(RuleReferences References, ImmutableArray<MetadataReference> MetadataReferences, HashSet<string> AllowedAssemblies, Compilation Empty);

    private static Compiled For(RuleReferences references) => ByContract.GetOrAdd(references.Key, _ => new Lazy<Compiled>(() =>
    {
        var metadata = RuntimeReferences.Value.AddRange(references.AssemblyPaths.Select(p => ContractReferences.GetOrAdd(p, f => MetadataReference.CreateFromFile(f))));
        var allowed = metadata.OfType<PortableExecutableReference>().Select(r => AssemblyName.GetAssemblyName(r.FilePath!).Name!).ToHashSet(StringComparer.Ordinal);
        var empty = CSharpScript.Create<object>("", BaseOptions(metadata, references), typeof(RuleGlobals)).GetCompilation().WithAssemblyName(PlaceholderName);
        return new Compiled(references, metadata, allowed, empty);
    })).Value;

    /// <param name="manifest">The rule's header.</param>
    /// <param name="text">The rule's text, as read for its cache key.</param>
    /// <param name="assemblyName">The emitted assembly's name.</param>
    /// <param name="loadedFiles">Files the rule <c>#load</c>s, by full path, with the bytes read for its cache key and its
    /// evidence: the compiler uses these rather than reading the files again, so what is compiled, cached under that key
    /// and kept as evidence is one and the same.</param>
    public CompileOutput Compile(RuleManifest manifest, string text, string assemblyName, IReadOnlyDictionary<string, byte[]>? loadedFiles = null)
    {
        var diagnostics = new List<RuleDiagnostic>();
        var path = manifest.SourcePath;
        var contract = For(RuleReferences.For(manifest.Sources, _contracts));
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script);
        var tree = CSharpSyntaxTree.ParseText(text, parseOptions, path);

        if (!CheckDirectives(manifest, tree, diagnostics))
            return new CompileOutput(null, diagnostics);

        Compilation compilation;
        if (((CompilationUnitSyntax)tree.GetRoot()).GetLoadDirectives().Count == 0)
        {
            // Derive from one shared empty script compilation: derived compilations share its bound reference
            // symbols, which halves the cost of every script after the first. The shared compilation has a
            // fixed placeholder name (a new name would drop the sharing); the image is renamed after emit.
            var shared = contract.Empty;
            var plain = shared.ReplaceSyntaxTree(shared.SyntaxTrees.Single(), tree);
            compilation = plain.ReplaceSyntaxTree(tree, CheckpointInjector.Rewrite(tree, plain.GetSemanticModel(tree)));
        }
        else
        {
            // #load needs a resolver rooted at the rule's own folder: compile on its own. The script's path is given
            // in full: Roslyn resolves a #load against a relative one and the resolver's folder both, doubling it.
            var full = Path.GetFullPath(path);
            var options = BaseOptions(contract.MetadataReferences, contract.References)
                .WithFilePath(full)
                .WithSourceResolver(new ReadSourceResolver(new SourceFileResolver([], Path.GetDirectoryName(full)), loadedFiles ?? new Dictionary<string, byte[]>(), _rulesRoot));
            compilation = CSharpScript.Create<object>(text, options, typeof(RuleGlobals)).GetCompilation();
            // A loaded file is held to the rule's own limits: no #r, no #load from outside the rules folder.
            foreach (var loaded in compilation.SyntaxTrees.Where(t => !string.Equals(t.FilePath, full, StringComparison.Ordinal)))
                CheckDirectives(manifest, loaded, diagnostics);
            if (diagnostics.Count > 0)
                return new CompileOutput(null, diagnostics);
            // Loaded files were given their checkpoints as the resolver read them (ReadSourceResolver); the rule's own
            // tree gets them here, against the model of the compilation as written.
            var plain = compilation;
            var main = plain.SyntaxTrees.Single(t => string.Equals(t.FilePath, full, StringComparison.Ordinal));
            compilation = compilation.ReplaceSyntaxTree(main, CheckpointInjector.Rewrite(main, plain.GetSemanticModel(main)));
            compilation = compilation.WithAssemblyName(PlaceholderName);
        }

        // Emit binds every method body once and reports every diagnostic; asking GetDiagnostics first would bind twice.
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        foreach (var d in result.Diagnostics)
        {
            if (d.Severity == RoslynSeverity.Error || (d.Severity == RoslynSeverity.Warning && d.WarningLevel <= 1))
                diagnostics.Add(ToDiagnostic(manifest, d));
        }

        if (!result.Success || diagnostics.Any(d => d.Severity == CoreSeverity.Error))
            return new CompileOutput(null, diagnostics);

        var deny = contract.References.DenyList;
        foreach (var t in compilation.SyntaxTrees)
            CheckDeniedApis(manifest, deny, compilation.GetSemanticModel(t), diagnostics);
        if (diagnostics.Any(d => d.Severity == CoreSeverity.Error))
            return new CompileOutput(null, diagnostics);

        var image = Rename(pe.ToArray(), assemblyName);
        CheckEmittedReferences(manifest, image, contract.AllowedAssemblies, deny, diagnostics);
        return new CompileOutput(diagnostics.Any(d => d.Severity == CoreSeverity.Error) ? null : image, diagnostics);
    }

    /// <summary>
    /// Determinism warnings for one rule (see <see cref="DeterminismCheck"/>), from its own text bound against its
    /// sources' references. Costs a bind, not an emit; <c>rules check</c> asks, a run does not.
    /// </summary>
    public IReadOnlyList<RuleDiagnostic> DeterminismWarnings(RuleManifest manifest, string text)
    {
        var contract = For(RuleReferences.For(manifest.Sources, _contracts));
        var tree = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script), manifest.SourcePath);
        var compilation = contract.Empty.ReplaceSyntaxTree(contract.Empty.SyntaxTrees.Single(), tree);
        return [.. DeterminismCheck.Analyze(manifest, compilation.GetSemanticModel(tree))];
    }

    private static ScriptOptions BaseOptions(ImmutableArray<MetadataReference> references, RuleReferences contract) =>
        // One set of resolved references shared by every compilation of a contract: re-resolving them per script triples the cost.
        ScriptOptions.Default
            .WithReferences(references)
            .WithImports(contract.Imports)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithSearchPaths())
            .WithOptimizationLevel(OptimizationLevel.Debug)
            .WithAllowUnsafe(false)
            .WithEmitDebugInformation(false)
            .WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>Gives an emitted image its own assembly name (same length as the placeholder) so many load side by side.</summary>
    internal static byte[] Rename(byte[] image, string assemblyName)
    {
        var from = System.Text.Encoding.UTF8.GetBytes(PlaceholderName);
        var to = System.Text.Encoding.UTF8.GetBytes(assemblyName);
        if (from.Length != to.Length)
            throw new ArgumentException($"assembly name must be {from.Length} bytes", nameof(assemblyName));
        var span = image.AsSpan();
        // Scan forward from each replacement, so a name that contains the placeholder cannot be found again.
        for (var at = span.IndexOf(from); at >= 0;)
        {
            to.CopyTo(span[at..]);
            var next = span[(at + from.Length)..].IndexOf(from);
            at = next < 0 ? -1 : at + from.Length + next;
        }

        return image;
    }

    /// <summary>Refuses <c>#r</c>, and <c>#load</c> from outside the rules folder, in the rule or in a file it loads.</summary>
    /// <returns>True when nothing was refused, in this file or before it.</returns>
    private bool CheckDirectives(RuleManifest manifest, SyntaxTree tree, List<RuleDiagnostic> diagnostics)
    {
        var root = (CompilationUnitSyntax)tree.GetRoot();
        var folder = Path.GetDirectoryName(Path.GetFullPath(tree.FilePath is { Length: > 0 } file ? file : manifest.SourcePath))!;
        foreach (var r in root.GetReferenceDirectives())
        {
            diagnostics.Add(Deny(manifest, r.GetLocation(), "EB0201",
                $"'#r {r.File.ValueText}' is not allowed: rules cannot load assemblies; use the sources the engine provides"));
        }

        foreach (var l in root.GetLoadDirectives())
        {
            if (!RulesFolder.Contains(_rulesRoot, Path.Combine(folder, l.File.ValueText)))
            {
                diagnostics.Add(Deny(manifest, l.GetLocation(), "EB0202",
                    $"'#load {l.File.ValueText}' points outside the rules folder ({_rulesRoot}); only shared scripts inside it may be loaded"));
            }
        }

        return diagnostics.Count == 0;
    }

    /// <summary>The <c>#load</c> files a rule pulls in, resolved, for the cache key.</summary>
    public static IReadOnlyList<string> LoadedFiles(string path, string text)
    {
        var tree = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(kind: SourceCodeKind.Script), path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return [.. ((CompilationUnitSyntax)tree.GetRoot()).GetLoadDirectives().Select(l => Path.GetFullPath(Path.Combine(dir, l.File.ValueText)))];
    }

    private static void CheckDeniedApis(RuleManifest manifest, ApiDenyList deny, SemanticModel model, List<RuleDiagnostic> diagnostics)
    {
        var root = model.SyntaxTree.GetRoot();
        var denied = new SortedDictionary<int, (ISymbol Symbol, SyntaxNode Node, string Why)>();
        foreach (var node in root.DescendantNodes())
        {
            switch (node)
            {
                case MethodDeclarationSyntax m when m.Modifiers.Any(SyntaxKind.ExternKeyword):
                case LocalFunctionStatementSyntax lf when lf.Modifiers.Any(SyntaxKind.ExternKeyword):
                    diagnostics.Add(Deny(manifest, node.GetLocation(), "EB0203", "'extern' methods are not allowed: rules cannot call native code"));
                    continue;
                case DestructorDeclarationSyntax:
                    diagnostics.Add(Deny(manifest, node.GetLocation(), "EB0205",
                        "finalizers are not allowed: they run on the runtime's finalizer thread, outside the rule's time bound, and an exception there ends the whole run"));
                    continue;
                case MethodDeclarationSyntax m when m.Modifiers.Any(SyntaxKind.AsyncKeyword) && m.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword }:
                case LocalFunctionStatementSyntax lf2 when lf2.Modifiers.Any(SyntaxKind.AsyncKeyword) && lf2.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword }:
                    diagnostics.Add(Deny(manifest, node.GetLocation(), "EB0206", AsyncVoid));
                    continue;
                case AnonymousFunctionExpressionSyntax f when f.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword)
                        && model.GetTypeInfo(f).ConvertedType is INamedTypeSymbol { DelegateInvokeMethod.ReturnsVoid: true }:
                    diagnostics.Add(Deny(manifest, node.GetLocation(), "EB0206", AsyncVoid));
                    continue;
                case SimpleNameSyntax or ImplicitObjectCreationExpressionSyntax or ElementAccessExpressionSyntax:
                    break;
                default:
                    continue;
            }

            var info = model.GetSymbolInfo(node);
            var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
            if (symbol is null)
                continue;
            // `Environment.NewLine`: a type used only to reach a member is judged by that member.
            if (symbol is ITypeSymbol && IsReceiverOfMemberAccess(node))
                continue;
            var why = WhyDenied(deny, symbol);
            if (why is null)
                continue;
            // One diagnostic per line: `File.ReadAllText` names the member, not also the type.
            var line = node.GetLocation().GetMappedLineSpan().StartLinePosition.Line;
            if (!denied.TryGetValue(line, out var existing) || (existing.Symbol is ITypeSymbol && symbol is not ITypeSymbol))
                denied[line] = (symbol, node, why);
        }

        foreach (var (_, (symbol, node, why)) in denied.OrderBy(d => d.Key))
            diagnostics.Add(Deny(manifest, node.GetLocation(), "EB0200", $"'{symbol.ToDisplayString()}' is not allowed in a rule: {why}"));
    }

    private const string AsyncVoid = "'async void' is not allowed: nothing awaits it, so it outlives the rule's time bound and an exception in it ends the whole run; return a Task and await it";

    private static bool IsReceiverOfMemberAccess(SyntaxNode node)
    {
        var expression = node.Parent is MemberAccessExpressionSyntax inner && inner.Name == node ? inner : node;
        return expression.Parent is MemberAccessExpressionSyntax outer && outer.Expression == expression;
    }

    private static string? WhyDenied(ApiDenyList deny, ISymbol symbol)
    {
        switch (symbol)
        {
            case INamedTypeSymbol type:
                return WhyDenied(deny, type);
            case IMethodSymbol method:
                return (method.ContainingType is { } ct ? deny.WhyMemberDenied(TypeName(ct), method.Name) : null)
                    ?? WhyDenied(deny, method.ReturnType);
            case IPropertySymbol property:
                return (property.ContainingType is { } pt ? deny.WhyMemberDenied(TypeName(pt), property.Name) : null)
                    ?? WhyDenied(deny, property.Type);
            case IFieldSymbol field:
                return field.ContainingType is { } ft ? deny.WhyMemberDenied(TypeName(ft), field.Name) : null;
            case IEventSymbol ev:
                return ev.ContainingType is { } et ? deny.WhyMemberDenied(TypeName(et), ev.Name) : null;
            case INamespaceSymbol:
                return null;
            default:
                return null;
        }
    }

    private static string? WhyDenied(ApiDenyList deny, ITypeSymbol type) => type switch
    {
        INamedTypeSymbol named => deny.WhyTypeDenied(TypeName(named)) ?? named.TypeArguments.Select(t => WhyDenied(deny, t)).FirstOrDefault(w => w is not null),
        IArrayTypeSymbol array => WhyDenied(deny, array.ElementType),
        IPointerTypeSymbol => "pointers",
        IFunctionPointerTypeSymbol => "function pointers",
        _ => null,
    };

    private static string TypeName(INamedTypeSymbol type)
    {
        var name = type.Name;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            name = outer.Name + "." + name;
        var ns = type.ContainingNamespace?.IsGlobalNamespace == false ? type.ContainingNamespace.ToDisplayString() + "." : "";
        return ns + name;
    }

    /// <summary>Walks the emitted image's type and member references: what the compiler actually bound to.</summary>
    internal static void CheckEmittedReferences(RuleManifest manifest, byte[] image, HashSet<string> allowedAssemblies, ApiDenyList deny, List<RuleDiagnostic> diagnostics)
    {
        using var pe = new PEReader(ImmutableArray.Create(image));
        var md = pe.GetMetadataReader();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        // Only the assemblies every rule is compiled against: whatever added another (a #r that slipped through)
        // would bring code the deny list never saw.
        foreach (var h in md.AssemblyReferences)
        {
            var name = md.GetString(md.GetAssemblyReference(h).Name);
            if (!allowedAssemblies.Contains(name) && seen.Add(name))
                diagnostics.Add(new RuleDiagnostic(new SourceLocation(manifest.SourcePath, 1, 1), CoreSeverity.Error, "EB0204",
                    $"the compiled rule references the assembly '{name}', which is not allowed in a rule: rules may use only the .NET libraries and the sources the engine provides", manifest.Id));
        }

        // A type referenced only to reach an allowed member (Environment.NewLine) is judged by its members below.
        var parents = md.MemberReferences.Select(m => md.GetMemberReference(m).Parent)
            .Where(p => p.Kind == HandleKind.TypeReference).Select(p => (TypeReferenceHandle)p).ToHashSet();
        foreach (var h in md.TypeReferences)
        {
            if (parents.Contains(h))
                continue;
            var name = TypeRefName(md, h);
            var why = deny.WhyTypeDenied(name);
            if (why is not null && seen.Add(name))
                diagnostics.Add(new RuleDiagnostic(new SourceLocation(manifest.SourcePath, 1, 1), CoreSeverity.Error, "EB0204",
                    $"the compiled rule references '{name}', which is not allowed in a rule: {why}", manifest.Id));
        }

        foreach (var h in md.MemberReferences)
        {
            var member = md.GetMemberReference(h);
            var parent = member.Parent.Kind == HandleKind.TypeReference ? TypeRefName(md, (TypeReferenceHandle)member.Parent)
                : member.Parent.Kind == HandleKind.TypeSpecification ? TypeSpecName(md, (TypeSpecificationHandle)member.Parent)
                : null;
            if (parent is null)
                continue;
            var name = md.GetString(member.Name);
            var why = deny.WhyMemberDenied(parent, name);
            if (why is not null && seen.Add(parent + "." + name))
                diagnostics.Add(new RuleDiagnostic(new SourceLocation(manifest.SourcePath, 1, 1), CoreSeverity.Error, "EB0204",
                    $"the compiled rule references '{parent}.{name}', which is not allowed in a rule: {why}", manifest.Id));
        }
    }

    private static string TypeRefName(MetadataReader md, TypeReferenceHandle h)
    {
        var t = md.GetTypeReference(h);
        var name = StripArity(md.GetString(t.Name));
        if (t.ResolutionScope.Kind == HandleKind.TypeReference)
            return TypeRefName(md, (TypeReferenceHandle)t.ResolutionScope) + "." + name;
        var ns = md.GetString(t.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static string? TypeSpecName(MetadataReader md, TypeSpecificationHandle h)
    {
        // A generic instantiation: the first type token in the signature is the generic type itself.
        var blob = md.GetBlobReader(md.GetTypeSpecification(h).Signature);
        if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance)
            return null;
        blob.ReadSignatureTypeCode();
        var handle = blob.ReadTypeHandle();
        return handle.Kind == HandleKind.TypeReference ? TypeRefName(md, (TypeReferenceHandle)handle) : null;
    }

    private static string StripArity(string name)
    {
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    private static RuleDiagnostic Deny(RuleManifest manifest, Location location, string code, string message)
    {
        var span = location.GetMappedLineSpan();
        return new RuleDiagnostic(new SourceLocation(Shown(manifest, span.Path), span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1),
            CoreSeverity.Error, code, message, manifest.Id);
    }

    /// <summary>A diagnostic's file as the user named it: the rule's own path as shown, a loaded file's in full.</summary>
    private static string Shown(RuleManifest manifest, string? path) =>
        path is not { Length: > 0 } || string.Equals(path, Path.GetFullPath(manifest.SourcePath), StringComparison.Ordinal) ? manifest.SourcePath : path;

    private static RuleDiagnostic ToDiagnostic(RuleManifest manifest, Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        var file = Shown(manifest, span.Path);
        return new RuleDiagnostic(
            new SourceLocation(file, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1),
            d.Severity == RoslynSeverity.Error ? CoreSeverity.Error : CoreSeverity.Warning,
            d.Id, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), manifest.Id);
    }

    private static ImmutableArray<MetadataReference> ResolveRuntimeReferences()
    {
        // The runtime's own assemblies (what the rule will run against); each contract adds its own.
        var tpa = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator);
        string[] wanted =
        [
            "System.Private.CoreLib", "System.Runtime", "netstandard", "System.Collections", "System.Collections.Concurrent",
            "System.Linq", "System.Text.Json", "System.Text.RegularExpressions", "System.Threading", "System.Threading.Tasks",
            "System.Memory", "System.Runtime.Extensions", "System.ComponentModel.Primitives", "System.ObjectModel",
            "System.Text.Encoding.Extensions", "System.Net.Primitives", "System.Runtime.Serialization.Primitives",
            // Referenced only so that a rule naming them gets the deny-list's reason, not "type not found".
            "System.Console", "System.Net.Http", "System.Net.Sockets", "System.Diagnostics.Process", "System.Net.Requests",
            "System.Net.WebClient",
        ];
        var refs = new List<MetadataReference>();
        foreach (var name in wanted)
        {
            var file = tpa.FirstOrDefault(p => string.Equals(Path.GetFileNameWithoutExtension(p), name, StringComparison.OrdinalIgnoreCase));
            if (file is not null)
                refs.Add(MetadataReference.CreateFromFile(file));
        }

        return [.. refs];
    }
}

/// <summary>
/// Resolves <c>#load</c> as the file resolver does, but serves the bytes the loader already read, and opens nothing
/// outside the rules folder: a nested <c>#load</c> is refused only after Roslyn has resolved it, and must not be read
/// first (a FIFO there would hang the load).
/// </summary>
internal sealed class ReadSourceResolver(SourceFileResolver files, IReadOnlyDictionary<string, byte[]> read, string rulesRoot) : SourceReferenceResolver
{
    private readonly SourceFileResolver _files = files;
    private readonly IReadOnlyDictionary<string, byte[]> _read = read;
    private readonly string _rulesRoot = rulesRoot;

    public override string? NormalizePath(string path, string? baseFilePath) => _files.NormalizePath(path, baseFilePath);

    public override string? ResolveReference(string path, string? baseFilePath) => _files.ResolveReference(path, baseFilePath);

    public override Stream OpenRead(string resolvedPath)
    {
        var full = Path.GetFullPath(resolvedPath);
        if (!_read.TryGetValue(full, out var bytes))
        {
            if (!RulesFolder.Contains(_rulesRoot, full))
                throw new IOException($"it is outside the rules folder ({_rulesRoot}) and was not read");
            using var file = _files.OpenRead(resolvedPath);
            using var copy = new MemoryStream();
            file.CopyTo(copy);
            bytes = copy.ToArray();
        }

        // A loaded file gets the same checkpoints as the rule (time bound, recursion guard), on the same lines. Its
        // expression-bodied lambdas keep their form: there is no model of it to ask what they return.
        var tree = CSharpSyntaxTree.ParseText(RuleSetLoader.Decode(bytes), new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script), full);
        return new MemoryStream(System.Text.Encoding.UTF8.GetBytes(CheckpointInjector.Rewrite(tree).GetText().ToString()), writable: false);
    }

    public override bool Equals(object? other) =>
        other is ReadSourceResolver r && r._files.Equals(_files) && ReferenceEquals(r._read, _read) && r._rulesRoot == _rulesRoot;

    public override int GetHashCode() => HashCode.Combine(_files, _read, _rulesRoot);
}
