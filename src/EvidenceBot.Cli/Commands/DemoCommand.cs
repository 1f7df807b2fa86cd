using System.CommandLine;
using EvidenceBot.Runs;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// <c>evidencebot demo</c>: runs every built-in rule against the recorded demo estate that ships with the tool, so an
/// installed tool shows what it does without the repository, credentials or network. The same as
/// <c>run --config share/examples/demo/evidencebot.json</c>, with the evidence written under the current folder.
/// </summary>
internal static class DemoCommand
{
    public static Command Build(CliContext cli)
    {
        var outDir = new Option<string?>("--out", "-o") { Description = "Output folder for the demo's evidence (default: ./evidence/demo)." };
        var cacheDir = CommonOptions.CacheDir();
        var reports = new Option<string[]>("--report") { Description = "Also write these reports: html, oscal, sarif, junit, soa (comma-separated).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("demo", "Run the built-in rules on the recorded demo estate (Orbital Labs) that ships with evidencebot: no credentials, no network. Exits 1: the demo fails controls on purpose.")
        {
            outDir, cacheDir, reports,
        };
        command.SetAction((parse, ct) => RulesCommands.GuardAsync(cli, async () =>
        {
            if (BuiltIn.DemoConfig is not { } configPath)
                throw new ConfigException($"{BuiltIn.Root}: this build of evidencebot carries no demo estate (share/examples/demo is missing); reinstall the tool or run from the repository");
            var cfg = CommonOptions.LoadConfig(configPath);
            var options = new RunOptions
            {
                RulesDirectory = CommonOptions.RulesDirectory(null, cfg),
                CacheDirectory = parse.GetValue(cacheDir) ?? RuleCache.DefaultDirectory(),
                OutDirectory = Path.GetFullPath(parse.GetValue(outDir) ?? Path.Combine("evidence", "demo")),
                Reports = RunCommand.ParseReports(parse.GetValue(reports)),
            };
            cli.Err.WriteLine($"Demo estate: {configPath}");
            var exit = await RunCommand.ExecuteAsync(cli, cfg, options, ct).ConfigureAwait(false);
            // The demo signs with the estate's own key; say where its public half is, so the next step is one paste away.
            var publicKey = Path.Combine(Path.GetDirectoryName(configPath)!, "keys", "public-key.pem");
            var latest = Path.Combine(options.OutDirectory, "latest");
            if (File.Exists(latest) && File.Exists(publicKey))
                cli.Out.WriteLine($"Verify it: evidencebot verify {Path.Combine(options.OutDirectory, File.ReadAllText(latest).Trim())} --key {publicKey}");
            return exit;
        }));
        return command;
    }
}
