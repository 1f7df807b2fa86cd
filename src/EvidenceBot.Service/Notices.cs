using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service;

/// <summary>Something a person should hear about: a regression or a new error of one rule execution, or a waiver about to expire.</summary>
/// <param name="Kind">
/// <c>regression</c> (pass or waived → fail), <c>new-error</c> (error, where the last run had none) or
/// <c>waiver-expiring</c> (a signed waiver stops applying within 30 days; target is its resource glob, or <c>*</c>).
/// </param>
/// <param name="RuleId">The rule.</param>
/// <param name="Target">The target it ran against.</param>
/// <param name="Verdict">The verdict now.</param>
/// <param name="Previous">The verdict of the rule's last run on that target in this service, if any.</param>
/// <param name="Message">The first failing finding's message, or the error.</param>
internal sealed record Notice(string Kind, string RuleId, string Target, Verdict Verdict, Verdict? Previous, string Message);

/// <summary>Compares a run with the previous verdicts of its rules in this service.</summary>
internal static class Notices
{
    /// <summary>
    /// A regression is a (rule, target) whose verdict went from pass to fail; a new error is an error where the last
    /// run of that rule and target was not one (or there was none). A fail on a first run is not a regression: there
    /// was nothing to regress from.
    /// </summary>
    public static IReadOnlyList<Notice> For(RunResult result, Func<string, IReadOnlyDictionary<string, Verdict>> previous)
    {
        var notices = new List<Notice>();
        foreach (var rule in result.Rules)
        {
            Verdict? before = previous(rule.RuleId).TryGetValue(rule.Target, out var v) ? v : null;
            // Waived → fail is a regression too: the waiver expired or was withdrawn and the failure counts again.
            if (rule.Verdict == Verdict.Fail && before is Verdict.Pass or Verdict.Waived)
            {
                var failed = rule.Findings.FirstOrDefault(f => f.Status == Verdict.Fail)?.Message;
                notices.Add(new Notice("regression", rule.RuleId, rule.Target, rule.Verdict, before, failed ?? rule.Title));
            }
            else if (rule.Verdict == Verdict.Error && before != Verdict.Error)
            {
                notices.Add(new Notice("new-error", rule.RuleId, rule.Target, rule.Verdict, before, rule.Error ?? "error"));
            }
        }

        return notices;
    }

    /// <summary>How far ahead a waiver's end is announced.</summary>
    public static readonly TimeSpan WaiverNotice = TimeSpan.FromDays(30);

    /// <summary>
    /// The configuration's signed waivers that end within <see cref="WaiverNotice"/> and were not yet announced today by
    /// this service (<paramref name="announced"/> remembers id and day, so a service running every minute says it once a
    /// day, not once a run). None without a <c>waivers</c> section. The run itself already refused invalid waivers.
    /// </summary>
    public static IReadOnlyList<Notice> ExpiringWaivers(EvidenceBot.Runs.EvidenceBotConfig config, TimeProvider time, ISet<string> announced)
    {
        EvidenceBot.Runs.Waivers.WaiverSet? waivers;
        try
        {
            waivers = EvidenceBot.Runs.Waivers.RunWaivers.Load(config);
        }
        catch (EvidenceBot.Runs.Waivers.WaiverException)
        {
            return [];
        }

        if (waivers is null)
            return [];
        var today = EvidenceBot.Runs.Waivers.WaiverApplication.Today(time);
        return [.. waivers.Expiring(today, WaiverNotice)
            .Where(w => announced.Add($"{w.Waiver.Id} {EvidenceBot.Runs.Waivers.Waiver.Day(today)}"))
            .Select(w => new Notice("waiver-expiring", w.Waiver.RuleId, w.Waiver.Resource ?? "*", Verdict.Waived, null,
                $"waiver {w.Waiver.Id} ({w.Waiver.Control}, approved by {w.Waiver.Approver}) expires on {EvidenceBot.Runs.Waivers.Waiver.Day(w.Waiver.Expires)}: renew it or fix the finding"))];
    }
}
