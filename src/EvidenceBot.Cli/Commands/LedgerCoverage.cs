using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Ledger;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// The latest verdicts <c>controls coverage --ledger</c> counts: each rule's newest verdict over its targets whose
/// evidence is still fresh (worst first: fail, error, pass, not applicable). A rule whose every newest verdict is older
/// than its freshness has no verdict: it is listed as stale, never counted as covering its controls.
/// </summary>
internal sealed record LedgerCoverage(Dictionary<string, Verdict> Verdicts, IReadOnlyList<RulePosture> Stale)
{
    public static LedgerCoverage Read(string ledgerPath, DateTimeOffset now, TimeSpan defaultFreshness)
    {
        using var connection = LedgerSchema.OpenExisting(ledgerPath);
        var rules = new LedgerQueries(connection).Rules(now, defaultFreshness);
        var verdicts = new Dictionary<string, Verdict>(StringComparer.Ordinal);
        foreach (var group in rules.Where(r => !r.Stale).GroupBy(r => r.RuleId, StringComparer.Ordinal))
        {
            var worst = LedgerControl.Combine(group.Select(r => r.Verdict));
            if (WireNames.TryParse<Verdict>(worst, out var v))
                verdicts[group.Key] = v;
        }

        return new LedgerCoverage(verdicts, [.. rules.Where(r => r.Stale && !verdicts.ContainsKey(r.RuleId))]);
    }

    /// <summary>True when the rule's only evidence in the ledger is stale.</summary>
    public bool IsStale(string ruleId) => Stale.Any(s => s.RuleId == ruleId);
}
