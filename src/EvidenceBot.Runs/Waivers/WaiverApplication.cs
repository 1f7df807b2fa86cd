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
        var rules = result.Rules.Select(rule =>
        {
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
        }).ToList();
        return result with
        {
            Rules = rules,
            ExpiredWaivers = expired.Count == 0 ? null : [.. expired.Select(w => new ExpiredWaiver(w.Waiver.Id, w.Waiver.RuleId, w.Digest, w.Waiver.Expires))],
        };
    }

    /// <summary>The day <paramref name="time"/> says it is, in UTC.</summary>
    public static DateOnly Today(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
    }
}
