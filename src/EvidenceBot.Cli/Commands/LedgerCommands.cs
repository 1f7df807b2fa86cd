using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Ledger;
using EvidenceBot.Runs;
using Microsoft.Data.Sqlite;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot ledger rebuild|verify</c>, and the options every ledger command shares.</summary>
internal static class LedgerCommands
{
    public static Command Build(CliContext cli)
    {
        var ledger = new Command("ledger", "The run ledger: an index of the output folder's bundles (the bundles stay the evidence).");
        ledger.Subcommands.Add(Rebuild(cli));
        ledger.Subcommands.Add(Verify(cli));
        return ledger;
    }

    /// <summary>The options that say which ledger: <c>--out</c>, <c>--ledger</c>, <c>--config</c>.</summary>
    internal sealed class Where
    {
        public Option<string?> Out { get; } = new("--out", "-o") { Description = "The output folder holding the bundles (default: the config's 'out', else ./evidence)." };

        public Option<string?> Ledger { get; } = new("--ledger") { Description = "The ledger file (default: the config's ledger.path, else ledger.db in the output folder)." };

        public Option<string?> Config { get; } = CommonOptions.Config();

        public void AddTo(Command command)
        {
            command.Options.Add(Out);
            command.Options.Add(Ledger);
            command.Options.Add(Config);
        }

        public LedgerLocation Resolve(ParseResult parse) =>
            LedgerLocation.Resolve(CommonOptions.LoadConfig(parse.GetValue(Config)), parse.GetValue(Out), parse.GetValue(Ledger));
    }

    /// <summary>Runs a ledger command: a ledger problem or a bad option is exit 2 with a message naming the file and what to do.</summary>
    public static int Guard(CliContext cli, Func<int> action)
    {
        try
        {
            return RulesCommands.Guard(cli, action);
        }
        catch (LedgerException ex)
        {
            cli.Error(ex.Message);
            return ExitCodes.UsageOrConfig;
        }
        catch (SqliteException ex)
        {
            cli.Error($"the ledger could not be read ({ex.Message}); if it is damaged, 'evidencebot ledger rebuild' builds it again from the bundles");
            return ExitCodes.UsageOrConfig;
        }
    }

    private static Command Rebuild(CliContext cli)
    {
        var where = new Where();
        var command = new Command("rebuild", "Rebuild the ledger from the output folder's bundles, in chain order; the old ledger is replaced only when the new one is complete.");
        where.AddTo(command);
        command.SetAction(parse => Guard(cli, () =>
        {
            var location = where.Resolve(parse);
            if (!Directory.Exists(location.OutDirectory))
                throw new LedgerException($"--out {location.OutDirectory}: no such folder; give the output folder that holds the bundles");
            var result = RunLedger.Rebuild(location.Path, location.OutDirectory);
            foreach (var problem in result.Problems)
                cli.Err.WriteLine("left out: " + problem);
            cli.Out.WriteLine($"Rebuilt {location.Path}: {result.Appended.Count} run(s) from {location.OutDirectory}" +
                (result.Problems.Count > 0 ? $"; {result.Problems.Count} bundle(s) could not be read and are not in it" : ""));
            return result.Problems.Count > 0 ? ExitCodes.VerificationFailed : ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Verify(CliContext cli)
    {
        var where = new Where();
        var json = CommonOptions.Json();
        var command = new Command("verify", "Check the ledger against the bundles: row hash chain, each row against its bundle's digests and content, the runs' chain links, and that every bundle is indexed.");
        where.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parse => Guard(cli, () =>
        {
            var location = where.Resolve(parse);
            var report = LedgerVerifier.Verify(location.Path, location.OutDirectory);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    ledger = location.Path,
                    @out = location.OutDirectory,
                    ok = report.Ok,
                    runs = report.Runs,
                    checks = report.Checks,
                    problems = report.Problems.Select(p => new { kind = p.Kind, bundle = p.Bundle, message = p.Message }),
                }, JsonOutput.Options));
            }
            else
            {
                foreach (var p in report.Problems)
                    cli.Out.WriteLine($"FAIL {p.Kind} {p.Message}");
                cli.Out.WriteLine(report.Ok
                    ? $"OK: {location.Path}: {report.Runs} run(s), {report.Checks} check(s), every row matches its bundle and the chain is whole"
                    : $"FAILED: {location.Path}: {report.Problems.Count} problem(s) in {report.Checks} check(s)");
            }

            return report.Ok ? ExitCodes.Ok : ExitCodes.VerificationFailed;
        }));
        return command;
    }
}
