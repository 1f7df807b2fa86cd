using System.CommandLine;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Engine;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot rules init-editor</c>: what VS Code's C# tooling needs for completion and errors in rules (see <see cref="EditorSetup"/>).</summary>
internal static class RulesInitEditorCommand
{
    public static Command Build(CliContext cli)
    {
        var rulesDir = CommonOptions.Rules();
        var config = CommonOptions.Config();
        var command = new Command("init-editor", "Write omnisharp.json and .evidencebot/editor/ (git-ignored) into the rules folder: completion, go-to-definition and errors for rules in VS Code.")
        {
            rulesDir, config,
        };
        command.SetAction(parse => RulesCommands.Guard(cli, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var folder = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg);
            if (!Directory.Exists(folder))
            {
                cli.Error($"{folder}: the rules folder does not exist; pass --rules DIR");
                return ExitCodes.UsageOrConfig;
            }

            var files = EditorSetup.Write(folder, SourceContracts.Of(SourceModules.All));
            foreach (var f in files.Written)
                cli.Out.WriteLine($"wrote {f}");
            cli.Out.WriteLine($"{files.References.Count} reference(s), {files.Imports.Count} import(s); open {folder} in VS Code (C# extension) and restart OmniSharp");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
