using EvidenceBot.Cli.Sources;
using System.CommandLine;
using EvidenceBot.Runs;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string?> Rules() => new("--rules") { Description = "Rules folder (default: the config's 'rules', else ./rules, else the built-in rules)." };

    public static Option<string?> Config() => new("--config", "-c") { Description = "Configuration file (JSON, see schemas/config.schema.json)." };

    public static Option<string?> CacheDir() => new("--cache-dir") { Description = "Compiled-rule cache folder (default: the user's cache directory)." };

    public static Option<bool> Json() => new("--json") { Description = "Write JSON instead of a table." };

    public static EvidenceBotConfig LoadConfig(string? path) => path is null ? new EvidenceBotConfig() : ConfigLoader.Load(path, SourceModules.All);

    /// <summary>
    /// <c>--rules</c>, else the config's <c>rules</c>, else <c>./rules</c> when it exists, else the rules built into the tool
    /// (so an installed tool's <c>rules list</c> shows what it ships).
    /// </summary>
    public static string RulesDirectory(string? option, EvidenceBotConfig config) =>
        option ?? config.Resolve(config.Rules)
        ?? (Directory.Exists("rules") || BuiltIn.RulesDirectory is null ? Path.GetFullPath("rules") : BuiltIn.RulesDirectory);

    public static void PrintDiagnostics(CliContext cli, IEnumerable<RuleDiagnostic> diagnostics)
    {
        foreach (var d in diagnostics)
            cli.Err.WriteLine(d.ToString());
    }
}
