using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Runs;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot rules list|check</c>.</summary>
internal static class RulesCommands
{
    public static Command Build(CliContext cli)
    {
        var rules = new Command("rules", "List, check and test rules.");
        rules.Subcommands.Add(List(cli));
        rules.Subcommands.Add(Check(cli));
        rules.Subcommands.Add(RulesNewCommand.Build(cli));
        rules.Subcommands.Add(RulesInitEditorCommand.Build(cli));
        rules.Subcommands.Add(RuleTestCommands.Test(cli));
        return rules;
    }

    private static Command List(CliContext cli)
    {
        var rulesDir = CommonOptions.Rules();
        var config = CommonOptions.Config();
        var json = CommonOptions.Json();
        var command = new Command("list", "List rules: id, title, severity, sources, controls. Reads headers only; nothing is compiled.")
        {
            rulesDir, config, json,
        };
        command.SetAction(parse => Guard(cli, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var set = RuleSetLoader.Load(new RuleLoadOptions { Contracts = SourceContracts.Of(SourceModules.All), RulesDirectory = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg), Compile = false });
            set = ControlsCommands.CheckControls(set);
            CommonOptions.PrintDiagnostics(cli, set.Diagnostics);
            var manifests = set.Rules.Select(r => r.Manifest).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(manifests.Select(m => new
                {
                    id = m.Id,
                    title = m.Title,
                    severity = m.Severity,
                    sources = m.Sources,
                    controls = m.Controls.Select(c => new { id = c.Id, relation = c.Relation }),
                    parameters = m.Parameters,
                    file = m.SourcePath,
                }), JsonOutput.Options));
            }
            else
            {
                var table = new TextTable("Id", "Title", "Severity", "Sources", "Controls");
                foreach (var m in manifests)
                {
                    table.AddRow(m.Id, m.Title, WireNames.Of(m.Severity),
                        string.Join(", ", m.Sources), string.Join("\n", m.Controls.Select(c => $"{c.Id} ({WireNames.Of(c.Relation)})")));
                }

                table.Write(cli);
                cli.Out.WriteLine($"{manifests.Count} rule(s)");
            }

            return set.HasErrors ? ExitCodes.UsageOrConfig : ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Check(CliContext cli)
    {
        var rulesDir = CommonOptions.Rules();
        var config = CommonOptions.Config();
        var cacheDir = CommonOptions.CacheDir();
        var command = new Command("check", "Parse and compile every rule; print every diagnostic as file(line,col): error CODE: message. Exits 2 on any error.")
        {
            rulesDir, config, cacheDir,
        };
        command.SetAction(parse => Guard(cli, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var options = new RuleLoadOptions
            {
                Contracts = SourceContracts.Of(SourceModules.All),
                RulesDirectory = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg),
                CacheDirectory = parse.GetValue(cacheDir) ?? RuleCache.DefaultDirectory(),
            };
            var set = RuleSetLoader.Load(options);
            set = ControlsCommands.CheckControls(set);
            foreach (var d in set.Diagnostics)
                cli.Out.WriteLine(d.ToString());
            var determinism = RuleSetLoader.DeterminismWarnings(set, options);
            foreach (var d in determinism)
                cli.Out.WriteLine(d.ToString());
            if (determinism.Count > 0)
                cli.Out.WriteLine($"{determinism.Count} determinism warning(s): the same recorded answers could give different evidence; see docs/rule-authors/authoring.md");
            var errors = set.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
            var broken = set.Rules.Count(r => r.Program is null);
            cli.Out.WriteLine($"{set.Rules.Count} rule(s) read, {set.Rules.Count - broken} ready, {errors} error(s) ({set.Stats.CacheHits} from cache, {set.Stats.Compiled} compiled, {set.Stats.ElapsedMs} ms)");
            return errors > 0 ? ExitCodes.UsageOrConfig : ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Turns configuration errors into exit code 2 with a clear message.</summary>
    public static int Guard(CliContext cli, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ConfigException ex)
        {
            cli.Error(ex.Message);
            return ExitCodes.UsageOrConfig;
        }
    }

    public static async Task<int> GuardAsync(CliContext cli, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ConfigException ex)
        {
            cli.Error(ex.Message);
            return ExitCodes.UsageOrConfig;
        }
    }
}

/// <summary>JSON settings for everything the CLI writes.</summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
