using System.CommandLine;
using System.CommandLine.Invocation;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// <c>evidencebot --version</c>: the engine's version (one place: <c>Version</c> in Directory.Build.props, read back from
/// the assembly), the control catalogs built in, and the built-in rule pack, so a bug report or an auditor's question
/// ("which rules produced this?") has one answer.
/// </summary>
internal sealed class VersionAction(CliContext cli) : SynchronousCommandLineAction
{
    /// <summary>Puts this action on the root command's <c>--version</c> option.</summary>
    public static void Install(RootCommand root, CliContext cli)
    {
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
                version.Action = new VersionAction(cli);
        }
    }

    public override int Invoke(ParseResult parseResult)
    {
        cli.Out.WriteLine($"evidencebot {EngineInfo.Version}");
        cli.Out.WriteLine($"engine:   {EngineInfo.Version} (.NET {Environment.Version})");
        var catalog = ControlCatalog.LoadDefault();
        cli.Out.WriteLine($"catalogs: {string.Join(", ", catalog.Frameworks.Select(f => $"{f.Id} ({catalog.Controls(f.Id).Count} controls)"))}; crosswalk {catalog.Crosswalk.Links.Count} relations");
        cli.Out.WriteLine(BuiltIn.RulePack() is { } pack
            ? $"rules:    built-in pack {EngineInfo.Version}: {pack.Rules} rules, sha256:{pack.Digest} ({BuiltIn.RulesDirectory})"
            : "rules:    no built-in rules in this build");
        return 0;
    }
}
