using System.CommandLine;
using EvidenceBot.Runs;
using EvidenceBot.Cli.Sources;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot config schema</c> and <c>evidencebot sources</c>.</summary>
internal static class ConfigCommands
{
    public static Command Build(CliContext cli)
    {
        var config = new Command("config", "The configuration file.");
        var schema = new Command("schema", "Print the configuration's JSON Schema: the settings every run has, with each source module's section composed in (schemas/config.schema.json is this output).");
        schema.SetAction(_ =>
        {
            cli.Out.Write(ConfigLoader.ComposedSchema(SourceModules.All));
            return 0;
        });
        config.Subcommands.Add(schema);
        return config;
    }

    public static Command Sources(CliContext cli)
    {
        var command = new Command("sources", "List the source modules rules can name in their header's 'sources', with their configuration section and rule contract.");
        command.SetAction(_ =>
        {
            var table = new TextTable("Source", "Section", "Rules see", "Contract assemblies");
            foreach (var m in SourceModules.All)
            {
                var globals = string.Join(", ", m.Contract.Imports.Where(i => i.EndsWith("RuleGlobals", StringComparison.Ordinal)).Select(i => i[(i.LastIndexOf('.') + 1)..].Replace("RuleGlobals", "", StringComparison.Ordinal)));
                table.AddRow(m.Name, "$." + m.Name, globals, string.Join(", ", m.Contract.Assemblies));
            }

            table.Write(cli);
            return 0;
        });
        return command;
    }
}
