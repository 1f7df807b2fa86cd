namespace EvidenceBot.Core.Rules;

/// <summary>
/// What one rule execution may record. Past a limit the execution is stopped and ends as <see cref="Verdict.Error"/>
/// naming the limit: everything a rule records is held in memory until the bundle is written, so an unbounded rule
/// would take every other rule's evidence down with it.
/// </summary>
public static class RuleLimits
{
    /// <summary>Findings per execution.</summary>
    public const int MaxFindings = 100_000;

    /// <summary>Characters in one finding message or log line.</summary>
    public const int MaxMessageLength = 64 * 1024;

    /// <summary>Characters in one finding's resource name.</summary>
    public const int MaxResourceLength = 4 * 1024;

    /// <summary>Log lines per execution.</summary>
    public const int MaxLogLines = 10_000;
}

/// <summary>A rule went past one of <see cref="RuleLimits"/>; the engine stopped it.</summary>
public sealed class RuleLimitExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RuleLimitExceededException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public RuleLimitExceededException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public RuleLimitExceededException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
