using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service;

/// <summary>Something a person should hear about: a regression or a new error of one rule execution.</summary>
/// <param name="Kind"><c>regression</c> (pass → fail) or <c>new-error</c> (error, where the last run had none).</param>
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
            if (rule.Verdict == Verdict.Fail && before == Verdict.Pass)
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
}
