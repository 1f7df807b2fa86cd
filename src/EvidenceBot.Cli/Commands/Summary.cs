using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Cli.Commands;

/// <summary>The summary table and totals line.</summary>
internal static class Summary
{
    /// <summary>The terminal colour of a verdict word.</summary>
    public static string? Color(string word) => word switch
    {
        "pass" => "green",
        "fail" => "red",
        "error" => "yellow",
        "waived" => "blue",
        "not_applicable" or "manual" => "grey",
        _ => null,
    };

    private static int Rank(Verdict v) => v switch
    {
        Verdict.Error => 0,
        Verdict.Fail => 1,
        Verdict.Waived => 2,
        Verdict.Pass => 3,
        _ => 4,
    };

    public static void Write(CliContext cli, RunResult result)
    {
        var table = new TextTable("Rule", "Target", "Verdict", "Findings", "ms", "Note").Style(2, Color);
        // Errors first, then failures, passes and the rest; by rule id and target within each.
        var rows = result.Rules.ToArray();
        Array.Sort(rows, static (a, b) => Rank(a.Verdict) != Rank(b.Verdict) ? Rank(a.Verdict).CompareTo(Rank(b.Verdict))
            : string.CompareOrdinal(a.RuleId, b.RuleId) is var byId and not 0 ? byId
            : string.CompareOrdinal(a.Target, b.Target));
        foreach (var r in rows)
        {
            int pass = 0, fail = 0, waived = 0;
            string? firstFailure = null;
            foreach (var f in r.Findings)
            {
                if (f.Status == Verdict.Pass)
                    pass++;
                else if (f.Status == Verdict.Fail && fail++ == 0)
                    firstFailure = f.Message;
                else if (f.Status == Verdict.Waived && waived++ == 0 && fail == 0)
                    firstFailure = $"waived by {f.Waiver?.Id} until {f.Waiver?.Expires:yyyy-MM-dd}: {f.Message}";
            }

            var note = r.Error ?? firstFailure ?? "";
            if (note.Length > 90)
                note = note[..87] + "...";
            table.AddRow(r.RuleId, r.Target, WireNames.Of(r.Verdict), waived > 0 ? $"{pass} pass / {fail} fail / {waived} waived" : $"{pass} pass / {fail} fail", r.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture), note);
        }

        table.Write(cli);
        var t = result.Totals();
        cli.Out.WriteLine($"{result.Rules.Count} rule execution(s): {t[Verdict.Pass]} pass, {t[Verdict.Fail]} fail, {t[Verdict.Error]} error, {t[Verdict.NotApplicable]} not applicable"
            + (t[Verdict.Waived] > 0 ? $", {t[Verdict.Waived]} waived (failures accepted by a signed waiver, not passes)" : ""));
    }
}
