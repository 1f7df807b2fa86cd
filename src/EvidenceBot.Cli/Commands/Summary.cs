using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using Spectre.Console;

namespace EvidenceBot.Cli.Commands;

/// <summary>The summary table and totals line.</summary>
internal static class Summary
{
    public static string Word(Verdict v) => v switch
    {
        Verdict.Pass => "pass",
        Verdict.Fail => "fail",
        Verdict.Error => "error",
        _ => "not_applicable",
    };

    private static string Colored(Verdict v) => v switch
    {
        Verdict.Pass => "[green]pass[/]",
        Verdict.Fail => "[red]fail[/]",
        Verdict.Error => "[yellow]error[/]",
        _ => "[grey]not_applicable[/]",
    };

    public static void Write(CliContext cli, RunResult result)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumns("Rule", "Target", "Verdict", "Findings", "ms", "Note");
        foreach (var r in result.Rules.OrderBy(r => r.Verdict switch { Verdict.Error => 0, Verdict.Fail => 1, Verdict.Pass => 2, _ => 3 }).ThenBy(r => r.RuleId, StringComparer.Ordinal))
        {
            var counts = $"{r.Findings.Count(f => f.Status == Verdict.Pass)} pass / {r.Findings.Count(f => f.Status == Verdict.Fail)} fail";
            var note = r.Error ?? r.Findings.FirstOrDefault(f => f.Status == Verdict.Fail)?.Message ?? "";
            if (note.Length > 90)
                note = note[..87] + "...";
            table.AddRow(Markup.Escape(r.RuleId), Markup.Escape(r.Target), Colored(r.Verdict), counts, r.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(note));
        }

        cli.Console.Write(table);
        var t = result.Totals();
        cli.Console.WriteLine($"{result.Rules.Count} rule execution(s): {t[Verdict.Pass]} pass, {t[Verdict.Fail]} fail, {t[Verdict.Error]} error, {t[Verdict.NotApplicable]} not applicable");
    }
}
