using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Cli.Commands;

/// <summary>The summary table and totals line.</summary>
internal static class Summary
{
    public static string Word(Verdict v) => WireNames.Of(v);

    /// <summary>The terminal colour of a verdict word.</summary>
    public static string? Color(string word) => word switch
    {
        "pass" => "green",
        "fail" => "red",
        "error" => "yellow",
        "not_applicable" or "manual" => "grey",
        _ => null,
    };

    public static void Write(CliContext cli, RunResult result)
    {
        var table = new TextTable("Rule", "Target", "Verdict", "Findings", "ms", "Note").Style(2, Color);
        foreach (var r in result.Rules.OrderBy(r => r.Verdict switch { Verdict.Error => 0, Verdict.Fail => 1, Verdict.Pass => 2, _ => 3 }).ThenBy(r => r.RuleId, StringComparer.Ordinal))
        {
            var counts = $"{r.Findings.Count(f => f.Status == Verdict.Pass)} pass / {r.Findings.Count(f => f.Status == Verdict.Fail)} fail";
            var note = r.Error ?? r.Findings.FirstOrDefault(f => f.Status == Verdict.Fail)?.Message ?? "";
            if (note.Length > 90)
                note = note[..87] + "...";
            table.AddRow(r.RuleId, r.Target, Word(r.Verdict), counts, r.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture), note);
        }

        table.Write(cli);
        var t = result.Totals();
        cli.Out.WriteLine($"{result.Rules.Count} rule execution(s): {t[Verdict.Pass]} pass, {t[Verdict.Fail]} fail, {t[Verdict.Error]} error, {t[Verdict.NotApplicable]} not applicable");
    }
}
