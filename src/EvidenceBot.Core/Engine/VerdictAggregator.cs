using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Engine;

/// <summary>Turns what a rule execution produced into one honest verdict.</summary>
public static class VerdictAggregator
{
    /// <summary>
    /// <c>error</c> if it threw, timed out, failed to load or a source faulted (even a caught fault);
    /// else <c>fail</c> if any finding failed; else <c>error</c> if any finding is an error;
    /// else <c>waived</c> if any failure was waived; else <c>pass</c> if at least one passed; else <c>not_applicable</c>.
    /// A rule that records nothing is not a pass, and nor is one whose failures were waived.
    /// </summary>
    public static Verdict Aggregate(IReadOnlyCollection<Finding> findings, string? error, IReadOnlyCollection<string> faults)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentNullException.ThrowIfNull(faults);
        if (error is not null || faults.Count > 0)
            return Verdict.Error;
        if (findings.Any(f => f.Status == Verdict.Fail))
            return Verdict.Fail;
        if (findings.Any(f => f.Status == Verdict.Error))
            return Verdict.Error;
        if (findings.Any(f => f.Status == Verdict.Waived))
            return Verdict.Waived;
        if (findings.Any(f => f.Status == Verdict.Pass))
            return Verdict.Pass;
        return Verdict.NotApplicable;
    }

    /// <summary>
    /// The process exit code for a set of verdicts: 0 pass / waived / n.a., 1 some fail, 3 some error. A waived rule
    /// does not fail the run: its failures were accepted by a signed waiver.
    /// </summary>
    public static int ExitCode(IEnumerable<Verdict> verdicts)
    {
        var list = verdicts.ToList();
        if (list.Contains(Verdict.Error))
            return ExitCodes.CouldNotCollect;
        if (list.Contains(Verdict.Fail))
            return ExitCodes.ControlsFailed;
        return ExitCodes.Ok;
    }
}

/// <summary>The CLI's exit codes, one meaning each.</summary>
public static class ExitCodes
{
    /// <summary>Every rule passed, did not apply, or failed only where a valid waiver accepts it.</summary>
    public const int Ok = 0;

    /// <summary>At least one control failed.</summary>
    public const int ControlsFailed = 1;

    /// <summary>Bad usage, bad configuration, or rules that could not be loaded.</summary>
    public const int UsageOrConfig = 2;

    /// <summary>Evidence could not be collected for at least one rule.</summary>
    public const int CouldNotCollect = 3;

    /// <summary>A bundle did not verify.</summary>
    public const int VerificationFailed = 4;
}
