using EvidenceBot.Core.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EvidenceBot.Scripting;

/// <summary>
/// Warnings (never errors) on what makes a rule give different evidence for the same answers: the wall clock, unseeded
/// randomness, new GUIDs, timers, parallel loops, and findings reported while enumerating a dictionary or set (whose
/// order is not defined). Evidence is re-checked by replaying its recordings; a rule that depends on these cannot be.
/// </summary>
internal static class DeterminismCheck
{
    private static readonly string[] ReportingGlobals = ["Pass", "Fail", "Check", "Error", "NotApplicable"];

    public static IEnumerable<RuleDiagnostic> Analyze(RuleManifest manifest, SemanticModel model)
    {
        var root = model.SyntaxTree.GetRoot();
        var seen = new HashSet<(int, string)>(); // one warning per line and kind: `sw.Elapsed` after `new Stopwatch()` says nothing new
        foreach (var node in root.DescendantNodes())
        {
            var warning = node switch
            {
                ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax => Creation(model, (BaseObjectCreationExpressionSyntax)node),
                MemberAccessExpressionSyntax access => Member(model, access),
                IdentifierNameSyntax { IsVar: false } name when name.Parent is not MemberAccessExpressionSyntax => TypeUse(model, name),
                ForEachStatementSyntax loop => UnorderedLoop(model, loop),
                _ => null,
            };
            if (warning is { } w)
            {
                var span = node.GetLocation().GetMappedLineSpan();
                if (!seen.Add((span.StartLinePosition.Line, w.Code)))
                    continue;
                var file = span.Path is { Length: > 0 } p && !string.Equals(p, Path.GetFullPath(manifest.SourcePath), StringComparison.Ordinal) ? p : manifest.SourcePath;
                yield return new RuleDiagnostic(new SourceLocation(file, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1),
                    EvidenceBot.Core.Rules.DiagnosticSeverity.Warning, w.Code, w.Message, manifest.Id);
            }
        }
    }

    private static (string Code, string Message)? Creation(SemanticModel model, BaseObjectCreationExpressionSyntax creation) =>
        model.GetSymbolInfo(creation).Symbol is IMethodSymbol { ContainingType: var type, Parameters.Length: 0 } && Is(type, "System.Random")
            ? ("EB0301", "unseeded 'new Random()' gives different values every run: derive the value from the data, or seed it (new Random(42))")
            : null;

    private static (string Code, string Message)? Member(SemanticModel model, MemberAccessExpressionSyntax access)
    {
        var symbol = model.GetSymbolInfo(access).Symbol;
        if (symbol is null || symbol.ContainingType is not { } type)
            return null;
        return (Full(type), symbol.Name) switch
        {
            ("System.DateTime", "Now" or "UtcNow" or "Today") or ("System.DateTimeOffset", "Now" or "UtcNow") =>
                ("EB0303", $"'{type.Name}.{symbol.Name}' reads the machine's clock: use the 'Now' global, the engine's clock (a rule test sets it)"),
            ("System.Guid", "NewGuid") or ("System.Guid", "CreateVersion7") =>
                ("EB0302", "'Guid.NewGuid' is different every run: name things by the data they are about (the resource's id or name)"),
            ("System.Random", "Shared") => ("EB0301", "'Random.Shared' gives different values every run: derive the value from the data, or seed a Random"),
            ("System.Environment", "TickCount" or "TickCount64") => ("EB0304", $"'Environment.{symbol.Name}' differs every run: use the 'Now' global"),
            ("System.Diagnostics.Stopwatch", _) => ("EB0305", "'Stopwatch' timings differ every run: keep them out of findings (the engine records each rule's duration); for dates use 'Now'"),
            ("System.Threading.Tasks.Parallel", _) => ("EB0306", $"'Parallel.{symbol.Name}' reports in a different order every run: use a loop, or the source's ForEach…Async, which keeps the input order"),
            _ => null,
        };
    }

    private static (string Code, string Message)? TypeUse(SemanticModel model, IdentifierNameSyntax name) =>
        model.GetSymbolInfo(name).Symbol is INamedTypeSymbol type && Is(type, "System.Diagnostics.Stopwatch") && name.Parent is not QualifiedNameSyntax
            ? ("EB0305", "'Stopwatch' timings differ every run: keep them out of findings (the engine records each rule's duration); for dates use 'Now'")
            : null;

    private static (string Code, string Message)? UnorderedLoop(SemanticModel model, ForEachStatementSyntax loop)
    {
        if (model.GetTypeInfo(loop.Expression).Type is not INamedTypeSymbol type)
            return null;
        var definition = Full(type.OriginalDefinition);
        if (definition is not ("System.Collections.Generic.Dictionary" or "System.Collections.Generic.HashSet" or "System.Collections.Concurrent.ConcurrentDictionary"
            or "System.Collections.Concurrent.ConcurrentBag" or "System.Collections.Hashtable"))
            return null;
        var reports = loop.Statement.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
            .Any(i => i.Expression is IdentifierNameSyntax { Identifier.ValueText: var n } && ReportingGlobals.Contains(n));
        return reports
            ? ("EB0307", $"findings reported while enumerating a {type.Name}: its order is not defined, so the evidence differs between runs; enumerate it ordered (e.g. .OrderBy(kv => kv.Key, StringComparer.Ordinal))")
            : null;
    }

    private static bool Is(INamedTypeSymbol type, string fullName) => Full(type) == fullName;

    private static string Full(INamedTypeSymbol type) =>
        type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + type.Name : type.Name;
}
