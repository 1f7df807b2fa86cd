using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Ledger;
using EvidenceBot.Runs;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot history [--control ID | --rule ID] [--since 30d] [--json]</c>: a timeline of verdicts from the ledger.</summary>
internal static class HistoryCommand
{
    public static Command Build(CliContext cli)
    {
        var where = new LedgerCommands.Where();
        var control = new Option<string?>("--control") { Description = "One control's status run by run, e.g. ISO27001:2022/A.8.32." };
        var rule = new Option<string?>("--rule") { Description = "One rule's verdict per target, run by run." };
        var since = new Option<string?>("--since") { Description = "Only runs that ended within this long, e.g. 30d, 12h (at most 365d)." };
        var json = CommonOptions.Json();
        var command = new Command("history", "A timeline of verdicts from the ledger: per run, per control (--control) or per rule (--rule). Text collapses repeats; --json lists every run.")
        {
            control, rule, since, json,
        };
        where.AddTo(command);
        command.SetAction(parse => LedgerCommands.Guard(cli, () =>
        {
            if (parse.GetValue(control) is not null && parse.GetValue(rule) is not null)
                throw new ConfigException("--control and --rule: give one of them (a control's status already combines its rules)");
            var sinceText = Since(parse.GetValue(since), cli.Time);
            var location = where.Resolve(parse);
            using var connection = LedgerSchema.OpenExisting(location.Path);
            var queries = new LedgerQueries(connection);
            var (kind, subject, entries) = parse.GetValue(control) is { } c ? ("control", c, queries.ControlHistory(c, sinceText))
                : parse.GetValue(rule) is { } r ? ("rule", r, queries.RuleHistory(r, sinceText))
                : ("runs", null, queries.RunHistory(sinceText));
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    kind,
                    subject,
                    since = sinceText,
                    entries = entries.Select(e => new { seq = e.Seq, runId = e.RunId, endedAt = e.At, subject = e.Subject, status = e.Status }),
                }, JsonOutput.Options));
                return ExitCodes.Ok;
            }

            if (entries.Count == 0)
            {
                cli.Out.WriteLine(subject is null ? "No runs in the ledger" + (sinceText is null ? "" : " since " + sinceText)
                    : $"No {kind} '{subject}' in the ledger{(sinceText is null ? "" : " since " + sinceText)}; 'evidencebot status' lists the controls, 'rules list' the rules");
                return ExitCodes.Ok;
            }

            if (kind == "runs")
            {
                var table = new TextTable("Ended", "Run", "Verdicts");
                foreach (var e in entries)
                    table.AddRow(Short(e.At), e.RunId, e.Status);
                table.Write(cli);
                return ExitCodes.Ok;
            }

            // Compact: consecutive runs with the same status for the same subject are one line.
            var spans = new TextTable(kind == "control" ? "Control" : "Target", "From", "To", "Status", "Runs").Style(3, Summary.Color);
            foreach (var group in entries.GroupBy(e => e.Subject, StringComparer.Ordinal))
            {
                TimelineEntry? first = null, last = null;
                var n = 0;
                foreach (var e in group.Append(null))
                {
                    if (first is not null && (e is null || e.Status != first.Status))
                    {
                        spans.AddRow(first.Subject, Short(first.At), Short(last!.At), first.Status, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        first = null;
                    }

                    if (e is null)
                        break;
                    if (first is null)
                    {
                        first = e;
                        n = 0;
                    }

                    last = e;
                    n++;
                }
            }

            spans.Write(cli);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The earliest end time to show, as the ledger's sortable text; null for all.</summary>
    internal static string? Since(string? option, TimeProvider time)
    {
        if (option is null)
            return null;
        try
        {
            return LedgerRun.Time(time.GetUtcNow() - Duration.Parse(option));
        }
        catch (FormatException ex)
        {
            throw new ConfigException("--since: " + ex.Message);
        }
    }

    internal static string Short(string at) => at.Length >= 19 ? at[..10] + " " + at[11..19] + "Z" : at;
}
