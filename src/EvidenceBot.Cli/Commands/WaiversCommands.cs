using System.CommandLine;
using EvidenceBot.Cli.Sources;
using System.Security.Cryptography;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Runs;
using EvidenceBot.Runs.Waivers;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot waivers sign | list | check</c>.</summary>
internal static class WaiversCommands
{
    public static Command Build(CliContext cli)
    {
        var waivers = new Command("waivers", "Signed waivers (accepted risk): sign them, list them, check them before a run.");
        waivers.Subcommands.Add(Sign(cli));
        waivers.Subcommands.Add(List(cli));
        waivers.Subcommands.Add(Check(cli));
        return waivers;
    }

    private static Option<string?> File() => new("--file", "-f") { Description = "waivers.yaml (default: the config's waivers.file, else ./waivers.yaml)." };

    private static Command Sign(CliContext cli)
    {
        var key = new Option<string>("--key") { Description = "The approver's PKCS#8 PEM private key ('evidencebot keys generate' makes one).", Required = true };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding the key's passphrase." };
        var ids = new Option<string[]>("--id") { Description = "Sign only this waiver (repeatable); default: every waiver in the file.", AllowMultipleArgumentsPerToken = false };
        var file = File();
        var config = CommonOptions.Config();
        var command = new Command("sign", "Sign waivers with the approver's key: writes waivers/<id>.dsse.json (DSSE, payloadType application/vnd.evidencebot.waiver+json) beside waivers.yaml.")
        {
            key, passphraseEnv, ids, file, config,
        };
        command.SetAction((parse, ct) => RulesCommands.GuardAsync(cli, async () =>
        {
            var path = WaiversFile(parse.GetValue(file), parse.GetValue(config));
            string? passphrase = null;
            if (parse.GetValue(passphraseEnv) is { } variable)
            {
                passphrase = Environment.GetEnvironmentVariable(variable);
                if (string.IsNullOrEmpty(passphrase))
                    throw new ConfigException($"--passphrase-env {variable}: the environment variable is not set or empty");
            }

            LocalKeySigner signer;
            try
            {
                signer = LocalKeySigner.FromPemFile(parse.GetValue(key)!, passphrase);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException)
            {
                throw new ConfigException(ex.Message);
            }

            using (signer)
            {
                try
                {
                    var written = await WaiverSigning.SignAsync(path, parse.GetValue(ids) ?? [], signer, ct).ConfigureAwait(false);
                    foreach (var w in written)
                        cli.Out.WriteLine($"signed {w.Id}: {w.EnvelopePath} (sha256 {w.Digest}, key {signer.PublicKey.KeyId})");
                    cli.Out.WriteLine($"{written.Count} waiver(s) signed. A run trusts them only if waivers.trustedKeys lists this public key for their approver.");
                }
                catch (WaiverException ex)
                {
                    cli.Error(ex.Message);
                    return ExitCodes.UsageOrConfig;
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var config = CommonOptions.Config();
        var expiring = new Option<string?>("--expiring") { Description = "Only waivers still in force that expire within this long, e.g. 30d." };
        var json = CommonOptions.Json();
        var command = new Command("list", "List the configuration's waivers, verified, with their state (in force, expiring, expired) and digest.")
        {
            config, expiring, json,
        };
        command.SetAction(parse => RulesCommands.Guard(cli, () =>
        {
            var set = LoadVerified(cli, parse.GetValue(config), out var exit);
            if (set is null)
                return exit;
            var today = WaiverApplication.Today(cli.Time);
            IReadOnlyList<SignedWaiver> shown = set.All;
            if (parse.GetValue(expiring) is { } within)
            {
                TimeSpan span;
                try
                {
                    span = Duration.Parse(within);
                }
                catch (FormatException ex)
                {
                    throw new ConfigException($"--expiring {within}: {ex.Message} (e.g. 30d)");
                }

                shown = set.Expiring(today, span);
            }

            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(shown.Select(s => new
                {
                    id = s.Waiver.Id,
                    rule = s.Waiver.RuleId,
                    resource = s.Waiver.Resource,
                    control = s.Waiver.Control,
                    approver = s.Waiver.Approver,
                    created = Waiver.Day(s.Waiver.Created),
                    expires = Waiver.Day(s.Waiver.Expires),
                    state = State(s.Waiver, today),
                    digest = s.Digest,
                    keyId = s.KeyId,
                    justification = s.Waiver.Justification,
                }), JsonOutput.Options));
                return ExitCodes.Ok;
            }

            var table = new TextTable("Id", "Rule", "Resource", "Control", "Approver", "Expires", "State", "Digest");
            foreach (var s in shown)
                table.AddRow(s.Waiver.Id, s.Waiver.RuleId, s.Waiver.Resource ?? "*", s.Waiver.Control, s.Waiver.Approver, Waiver.Day(s.Waiver.Expires), State(s.Waiver, today), s.Digest[..12]);
            table.Write(cli);
            cli.Out.WriteLine($"{shown.Count} waiver(s){(parse.GetValue(expiring) is { } w ? $" expiring within {w}" : "")}; {set.Expired(today).Count} expired in {set.File}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Check(CliContext cli)
    {
        var config = CommonOptions.Config();
        var rulesDir = CommonOptions.Rules();
        var command = new Command("check", "Check the configuration's waivers as a run would, without running: schema, signatures by trusted keys, rule ids and controls.")
        {
            config, rulesDir,
        };
        command.SetAction(parse => RulesCommands.Guard(cli, () =>
        {
            var set = LoadVerified(cli, parse.GetValue(config), out var exit);
            if (set is null)
                return exit;
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var rules = RuleSetLoader.Load(new RuleLoadOptions
            {
                Contracts = SourceContracts.Of(SourceModules.All),
                RulesDirectory = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg),
                Compile = false,
            });
            var problems = set.CheckAgainst(rules.Rules.Select(r => r.Manifest), allRulesLoaded: true);
            foreach (var p in problems)
                cli.Error(p);
            if (problems.Count > 0)
                return ExitCodes.UsageOrConfig;
            var today = WaiverApplication.Today(cli.Time);
            foreach (var e in set.Expired(today))
                cli.Out.WriteLine($"waiver {e.Waiver.Id} expired on {Waiver.Day(e.Waiver.Expires)}: a run will not apply it");
            cli.Out.WriteLine($"{set.All.Count} waiver(s) in {set.File}: signed by trusted keys, rules and controls match; {set.Active(today).Count} in force, {set.Expired(today).Count} expired");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static WaiverSet? LoadVerified(CliContext cli, string? configPath, out int exit)
    {
        var cfg = CommonOptions.LoadConfig(configPath ?? (System.IO.File.Exists("evidencebot.json") ? "evidencebot.json" : null));
        exit = ExitCodes.UsageOrConfig;
        if (cfg.Waivers is null)
        {
            cli.Error($"{configPath ?? "no --config given"}: the configuration has no 'waivers' section (file, trustedKeys); see docs/operators/waivers.md");
            return null;
        }

        try
        {
            return RunWaivers.Load(cfg);
        }
        catch (WaiverException ex)
        {
            cli.Error(ex.Message);
            return null;
        }
    }

    private static string WaiversFile(string? file, string? configPath)
    {
        if (file is not null)
            return file;
        if (configPath is not null && CommonOptions.LoadConfig(configPath) is { Waivers: { } w } cfg)
            return cfg.Resolve(w.File)!;
        return "waivers.yaml";
    }

    private static string State(Waiver w, DateOnly today) =>
        w.IsExpired(today) ? "expired"
        : w.Expires.DayNumber - today.DayNumber is var days && days <= 30 ? $"expires in {days} day(s)"
        : "in force";
}
