using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Runs.Waivers;

/// <summary>
/// Applies waivers to a run's results, after the engine ran and before results.json and statements are written. A
/// <c>fail</c> finding covered by an unexpired waiver becomes <c>waived</c>, carrying the waiver's digest; nothing else
/// changes (an error is never waivable, a pass stays a pass). The rule's verdict is aggregated again, so a rule whose
/// only failures are waived ends <c>waived</c>, never <c>pass</c>.
/// </summary>
public static class WaiverApplication
{
    /// <summary>Applies <paramref name="waivers"/> as of <paramref name="today"/> (UTC) and lists the expired ones on the result.</summary>
    public static RunResult Apply(RunResult result, WaiverSet waivers, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(waivers);
        var active = waivers.Active(today);
        var expired = waivers.Expired(today);
        var rules = result.Rules.Select(rule => ApplyTo(rule, active)).ToList();
        return result with
        {
            Rules = rules,
            ExpiredWaivers = expired.Count == 0 ? null : [.. expired.Select(w => new ExpiredWaiver(w.Waiver.Id, w.Waiver.RuleId, w.Digest, w.Waiver.Expires))],
        };
    }

    /// <summary>
    /// One rule execution with the waivers in force applied: each <c>fail</c> finding the first covering waiver accepts
    /// becomes <c>waived</c>, and the verdict is aggregated again.
    /// </summary>
    public static RuleExecutionResult ApplyTo(RuleExecutionResult rule, IReadOnlyList<SignedWaiver> active)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(active);
        var changed = false;
        var findings = rule.Findings.Select(f =>
        {
            if (f.Status != Verdict.Fail)
                return f;
            var waiver = active.FirstOrDefault(w => w.Waiver.Covers(rule.RuleId, f.Resource));
            if (waiver is null)
                return f;
            changed = true;
            return f with { Status = Verdict.Waived, Waiver = waiver.Reference };
        }).ToList();
        return changed
            ? rule with { Findings = findings, Verdict = VerdictAggregator.Aggregate(findings, rule.Error, rule.Faults) }
            : rule;
    }

    /// <summary>
    /// A progress observer that sees each execution as the run will record it, waivers applied: so the live display
    /// and the progress lines say <c>waived</c> where results.json will, not <c>fail</c>.
    /// </summary>
    public static IRunObserver? Showing(IRunObserver? progress, WaiverSet? waivers, DateOnly today) =>
        progress is null || waivers is null ? progress : new WaivedProgress(progress, waivers.Active(today));

    private sealed class WaivedProgress(IRunObserver inner, IReadOnlyList<SignedWaiver> active) : IRunObserver
    {
        public void Completed(RuleExecutionResult result) => inner.Completed(ApplyTo(result, active));
    }

    /// <summary>The day <paramref name="time"/> says it is, in UTC.</summary>
    public static DateOnly Today(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
    }
}
