namespace EvidenceBot.Core.Rules;

/// <summary>
/// Something that can run a rule's logic. Core does not know how rules are written:
/// the scripting layer turns <c>.csx</c> files into programs.
/// </summary>
public interface IRuleProgram
{
    /// <summary>Runs the rule once, reporting findings through <paramref name="context"/>.</summary>
    Task ExecuteAsync(RuleContext context);
}

/// <summary>A rule that was read and, when it could be, prepared to run.</summary>
/// <param name="Manifest">The rule's header.</param>
/// <param name="Program">The runnable rule; null when it could not be prepared.</param>
/// <param name="LoadErrors">Why it could not be prepared; empty when <paramref name="Program"/> is set.</param>
public sealed record LoadedRule(RuleManifest Manifest, IRuleProgram? Program, IReadOnlyList<RuleDiagnostic> LoadErrors)
{
    /// <summary>A rule ready to run.</summary>
    public static LoadedRule Ready(RuleManifest manifest, IRuleProgram program) => new(manifest, program, []);

    /// <summary>
    /// The files the rule <c>#load</c>s, directly or through another loaded file, named as <see cref="RuleManifest.SourcePath"/>
    /// names the rule: part of the code that runs, so evidence keeps them beside the rule.
    /// </summary>
    public IReadOnlyList<string> LoadedSources { get; init; } = [];
}

/// <summary>How bad a diagnostic is.</summary>
public enum DiagnosticSeverity
{
    /// <summary>Worth knowing; does not stop the rule.</summary>
    Warning,

    /// <summary>The rule cannot run.</summary>
    Error,
}

/// <summary>A problem found while reading or compiling a rule, pointing at its file and line.</summary>
/// <param name="Location">File, line and column.</param>
/// <param name="Severity">Error or warning.</param>
/// <param name="Code">A stable code: <c>CSxxxx</c> from the compiler, <c>EBxxxx</c> from EvidenceBot.</param>
/// <param name="Message">What is wrong and what to do.</param>
/// <param name="RuleId">The rule's id when it is known.</param>
public sealed record RuleDiagnostic(SourceLocation Location, DiagnosticSeverity Severity, string Code, string Message, string? RuleId = null)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var rule = RuleId is null ? "" : $" [{RuleId}]";
        return $"{Location}: {(Severity == DiagnosticSeverity.Error ? "error" : "warning")} {Code}: {Message}{rule}";
    }
}

/// <summary>Thrown when rules cannot be loaded; carries every diagnostic found.</summary>
public sealed class RuleLoadException : Exception
{
    /// <summary>Creates the exception from the diagnostics found.</summary>
    public RuleLoadException(IReadOnlyList<RuleDiagnostic> diagnostics)
        : base(string.Join(Environment.NewLine, diagnostics))
    {
        Diagnostics = diagnostics;
    }

    /// <summary>Every diagnostic found.</summary>
    public IReadOnlyList<RuleDiagnostic> Diagnostics { get; }
}
