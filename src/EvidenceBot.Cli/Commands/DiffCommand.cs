using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Ledger;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot diff [RUN_A [RUN_B]]</c>: what regressed and recovered between two runs; exit 1 on any regression.</summary>
internal static class DiffCommand
{
    public static Command Build(CliContext cli)
    {
        var where = new LedgerCommands.Where();
        var runA = new Argument<string?>("RUN_A") { Description = "The earlier run: a run id, bundle folder name, or unique prefix (default: the run before RUN_B).", Arity = ArgumentArity.ZeroOrOne };
        var runB = new Argument<string?>("RUN_B") { Description = "The later run (default: the last run).", Arity = ArgumentArity.ZeroOrOne };
        var json = CommonOptions.Json();
        var command = new Command("diff",
            "Controls and rule executions that regressed or recovered between two runs (default: the last two), with the findings that changed. " +
            "Exit 1 when anything regressed, so CI can gate on it.")
        {
            runA, runB, json,
        };
        where.AddTo(command);
        command.SetAction(parse => LedgerCommands.Guard(cli, () =>
        {
            var location = where.Resolve(parse);
            using var connection = LedgerSchema.OpenExisting(location.Path);
            var queries = new LedgerQueries(connection);
            var (a, b) = (parse.GetValue(runA), parse.GetValue(runB));
            var later = b is not null ? queries.FindRun(b, 0) : a is not null ? queries.FindRun(null, 0) : queries.FindRun(null, 0);
            var earlier = a is not null ? queries.FindRun(a, 0) : queries.FindRun(null, 1);
            var diff = queries.Diff(earlier.Seq, earlier.RunId, later.Seq, later.RunId);
            if (earlier.Seq > later.Seq)
                cli.Error($"note: run {earlier.RunId} is newer than run {later.RunId}: the changes read from the newer run back to the older one; give the earlier run first");
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    runA = diff.RunA,
                    runB = diff.RunB,
                    regressed = diff.HasRegression,
                    controlsCompared = diff.ControlsCompared,
                    notRunInB = diff.NotRunInB,
                    changes = diff.Changes.Select(c => new
                    {
                        kind = c.Kind,
                        subject = c.Subject,
                        before = c.Before,
                        after = c.After,
                        change = c.Regressed ? "regressed" : c.Recovered ? "recovered" : c.Before is null ? "added" : c.After is null ? "removed" : "changed",
                    }),
                }, JsonOutput.Options));
            }
            else
            {
                cli.Out.WriteLine($"From run {diff.RunA} to run {diff.RunB}:");
                if (!diff.ControlsCompared)
                    cli.Out.WriteLine($"Controls are not compared: run {diff.RunB} did not run {diff.NotRunInB} of run {diff.RunA}'s rule executions (a --rule run, a shard or a service slot), so its control statuses rest on fewer rules. The rule executions both ran are compared; 'evidencebot status' combines the newest evidence of every rule.");
                if (diff.Changes.Count == 0)
                {
                    cli.Out.WriteLine("No change in any control, rule execution or finding.");
                }
                else
                {
                    var table = new TextTable("Change", "Kind", "Subject", "Before", "After").Style(4, Summary.Color);
                    foreach (var c in diff.Changes.OrderBy(c => c.Regressed ? 0 : c.Recovered ? 1 : 2).ThenBy(c => Order(c.Kind)).ThenBy(c => c.Subject, StringComparer.Ordinal))
                        table.AddRow(c.Regressed ? "regressed" : c.Recovered ? "recovered" : c.Before is null ? "added" : c.After is null ? "removed" : "changed",
                            c.Kind, c.Subject, c.Before ?? "-", c.After ?? "-");
                    table.Write(cli);
                }

                var regressed = diff.Changes.Where(c => c.Kind != "finding" && c.Regressed).ToList();
                cli.Out.WriteLine($"{regressed.Count(c => c.Kind == "control")} control(s) and {regressed.Count(c => c.Kind == "rule")} rule execution(s) regressed; " +
                    $"{diff.Changes.Count(c => c.Kind == "control" && c.Recovered)} control(s) and {diff.Changes.Count(c => c.Kind == "rule" && c.Recovered)} rule execution(s) recovered; " +
                    $"{diff.Changes.Count(c => c.Kind == "finding")} finding(s) changed");
            }

            return diff.HasRegression ? ExitCodes.ControlsFailed : ExitCodes.Ok;
        }));
        return command;
    }

    private static int Order(string kind) => kind switch { "control" => 0, "rule" => 1, _ => 2 };
}
