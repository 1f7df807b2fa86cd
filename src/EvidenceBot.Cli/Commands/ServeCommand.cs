using System.CommandLine;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Engine;
using EvidenceBot.Runs;
using EvidenceBot.Scripting;
using EvidenceBot.Service;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// <c>evidencebot serve</c>: run rules on their schedules until stopped (the configuration's <c>serve</c> section).
/// The service assembly and its hosting packages load only when this command runs.
/// </summary>
internal static class ServeCommand
{
    public static Command Build(CliContext cli)
    {
        var config = CommonOptions.Config();
        var rulesDir = CommonOptions.Rules();
        var cacheDir = CommonOptions.CacheDir();
        var outDir = new Option<string?>("--out", "-o") { Description = "Output folder for bundles and schedule-state.json (default: the config's 'out', else ./evidence)." };
        var key = new Option<string?>("--key") { Description = "PKCS#8 PEM private key that signs each run's bundle (else $EVIDENCEBOT_SIGNING_KEY, else the config's signing section)." };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding the signing key's passphrase." };
        var port = new Option<int?>("--port") { Description = "Port for /healthz and /metrics (default: the config's serve.port, else 9464; 0 picks a free port and logs it)." };
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0 or > 65535)
                r.AddError("--port must be between 0 and 65535");
        });
        var command = new Command("serve", "Run rules on their schedules until stopped (SIGTERM); serve /healthz and /metrics.")
        {
            config, rulesDir, cacheDir, outDir, key, passphraseEnv, port,
        };
        command.SetAction((parse, ct) => RulesCommands.GuardAsync(cli, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var options = new RunOptions
            {
                RulesDirectory = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg),
                CacheDirectory = parse.GetValue(cacheDir) ?? RuleCache.DefaultDirectory(),
                OutDirectory = parse.GetValue(outDir) ?? cfg.Resolve(cfg.Out) ?? Path.GetFullPath("evidence"),
                Parallel = cfg.Parallel ?? Environment.ProcessorCount,
                RuleTimeout = cfg.RuleTimeout is { } t ? Timeout(t) : TimeSpan.FromSeconds(60),
                SigningKey = parse.GetValue(key),
                PassphraseEnv = parse.GetValue(passphraseEnv),
            };
            return ExecuteAsync(cli, cfg, options, parse.GetValue(port), ct);
        }));
        return command;
    }

    private static TimeSpan Timeout(string text)
    {
        try
        {
            return RuleHeaderParser.ParseDuration(text);
        }
        catch (FormatException ex)
        {
            throw new ConfigException("ruleTimeout: " + ex.Message);
        }
    }

    private static async Task<int> ExecuteAsync(CliContext cli, EvidenceBotConfig cfg, RunOptions options, int? port, CancellationToken ct)
    {
        try
        {
            return await ServeHost.RunAsync(cfg, options, SourceModules.All, cli.Time, jsonLogs: !cli.Interactive, ct, port).ConfigureAwait(false);
        }
        catch (ScheduleException ex)
        {
            cli.Error(ex.Message);
            return ExitCodes.UsageOrConfig;
        }
    }
}
