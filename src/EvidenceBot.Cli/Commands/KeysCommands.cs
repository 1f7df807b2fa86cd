using System.CommandLine;
using EvidenceBot.Core.Engine;
using EvidenceBot.Evidence.Signing;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot keys generate</c>.</summary>
internal static class KeysCommands
{
    public static Command Build(CliContext cli)
    {
        var keys = new Command("keys", "Manage the keys that sign evidence bundles.");
        keys.Subcommands.Add(Generate(cli));
        return keys;
    }

    private static Command Generate(CliContext cli)
    {
        var outDir = new Option<string>("--out", "-o") { Description = "Folder to write signing-key.pem (private) and public-key.pem into.", Required = true };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding a passphrase; the private key is then encrypted with it." };
        var force = new Option<bool>("--force") { Description = "Replace existing key files." };
        var command = new Command("generate", "Generate an ECDSA P-256 signing key: PKCS#8 PEM private key, SPKI PEM public key, key id = SHA-256 of the public key.")
        {
            outDir, passphraseEnv, force,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(outDir)!;
            string? passphrase = null;
            if (parse.GetValue(passphraseEnv) is { } variable)
            {
                passphrase = Environment.GetEnvironmentVariable(variable);
                if (string.IsNullOrEmpty(passphrase))
                {
                    cli.Error($"--passphrase-env {variable}: the environment variable is not set or empty; set it to the passphrase, or leave out --passphrase-env for an unencrypted key");
                    return ExitCodes.UsageOrConfig;
                }
            }

            GeneratedKeyFiles files;
            try
            {
                files = KeyGenerator.WriteFiles(dir, passphrase, parse.GetValue(force));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                cli.Error(ex.Message);
                return ExitCodes.UsageOrConfig;
            }

            cli.Out.WriteLine($"Private key: {files.PrivateKeyPath} ({(files.Encrypted ? $"encrypted with the passphrase in ${parse.GetValue(passphraseEnv)}" : "NOT encrypted: keep it secret, readable by you only")})");
            cli.Out.WriteLine($"Public key:  {files.PublicKeyPath} (give this to auditors)");
            cli.Out.WriteLine($"Key id:      {files.KeyId}");
            cli.Out.WriteLine($"Sign runs:   evidencebot run --key {files.PrivateKeyPath}{(files.Encrypted ? $" --passphrase-env {parse.GetValue(passphraseEnv)}" : "")}");
            cli.Out.WriteLine($"Verify:      evidencebot verify BUNDLE --key {files.PublicKeyPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
