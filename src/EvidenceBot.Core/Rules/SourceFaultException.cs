namespace EvidenceBot.Core.Rules;

/// <summary>Whether retrying later may help.</summary>
public enum FaultKind
{
    /// <summary>A timeout, a 5xx, a rate limit: may succeed later.</summary>
    Transient,

    /// <summary>Missing permission, not found, malformed data: will not fix itself.</summary>
    Permanent,
}

/// <summary>A source could not deliver what a rule asked for. The execution becomes <see cref="Verdict.Error"/>.</summary>
public sealed class SourceFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SourceFaultException(string source, FaultKind kind, string message, Exception? inner = null)
        : base($"{source}: {message}", inner)
    {
        Source = source;
        Kind = kind;
    }

    /// <summary>The source name, e.g. <c>github</c>.</summary>
    public new string Source { get; }

    /// <summary>Transient or permanent.</summary>
    public FaultKind Kind { get; }
}
