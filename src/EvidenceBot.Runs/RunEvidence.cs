using System.Security.Cryptography;
using Azure.Identity;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Runs;

/// <summary>The evidence half of a run: which key signs, and writing the bundle after the rules ran.</summary>
internal static class RunEvidence
{
    /// <summary>Environment variable naming the signing key file when neither <c>--key</c> nor the config does.</summary>
    public const string KeyEnvironmentVariable = "EVIDENCEBOT_SIGNING_KEY";

    /// <summary>
    /// The signer for this run, resolved before any rule runs so a bad key fails fast: <c>--key</c>, else
    /// <c>$EVIDENCEBOT_SIGNING_KEY</c>, else the config's <c>signing.key</c>, else <c>signing.keyVault.keyId</c>;
    /// null (unsigned) when none is given. Problems become <see cref="ConfigException"/> (exit 2).
    /// </summary>
    public static async Task<IEvidenceSigner?> CreateSignerAsync(IRunReporter cli, EvidenceBotConfig cfg, string? keyOption, string? passphraseEnvOption, CancellationToken ct)
    {
        if (keyOption is { Length: 0 })
            throw new ConfigException("--key: empty; give the path of a signing key (a PKCS#8 PEM from 'evidencebot keys generate')");
        var envKey = Environment.GetEnvironmentVariable(KeyEnvironmentVariable);
        var (keyFile, from) = keyOption is not null ? (Path.GetFullPath(keyOption), "--key")
            : !string.IsNullOrEmpty(envKey) ? (Path.GetFullPath(envKey), "$" + KeyEnvironmentVariable)
            : cfg.Signing?.Key is not null ? (cfg.Resolve(cfg.Signing.Key)!, "signing.key")
            : (null, null);
        var passphraseEnv = passphraseEnvOption ?? cfg.Signing?.PassphraseEnv;

        if (keyFile is not null)
        {
            string? passphrase = null;
            if (passphraseEnv is not null)
            {
                passphrase = Environment.GetEnvironmentVariable(passphraseEnv);
                if (string.IsNullOrEmpty(passphrase))
                    throw new ConfigException($"{(passphraseEnvOption is not null ? "--passphrase-env" : "signing.passphraseEnv")} {passphraseEnv}: the environment variable is not set or empty");
            }

            try
            {
                var signer = LocalKeySigner.FromPemFile(keyFile, passphrase);
                cli.Message($"Signing evidence with {keyFile} (from {from}), key id {signer.PublicKey.KeyId}");
                return signer;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new ConfigException($"{from}: {ex.Message}");
            }
        }

        if (cfg.Signing?.KeyVault?.KeyId is { } keyId)
            return await CreateKeyVaultSignerAsync(cli, keyId, ct).ConfigureAwait(false);

        cli.Message(UnsignedWarning);
        return null;
    }

    // A method of its own so that runs without Key Vault never load the Azure SDK.
    private static async Task<IEvidenceSigner> CreateKeyVaultSignerAsync(IRunReporter cli, string keyId, CancellationToken ct)
    {
        if (!Uri.TryCreate(keyId, UriKind.Absolute, out var uri))
            throw new ConfigException($"signing.keyVault.keyId: '{keyId}' is not a URL; expected https://VAULT.vault.azure.net/keys/NAME/VERSION");
        try
        {
            var signer = await KeyVaultSigner.CreateAsync(uri, new DefaultAzureCredential(), cancellationToken: ct).ConfigureAwait(false);
            cli.Message($"Signing evidence with Key Vault key {signer.KeyUri}, key id {signer.PublicKey.KeyId}");
            return signer;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or Azure.RequestFailedException or AuthenticationFailedException or CredentialUnavailableException)
        {
            throw new ConfigException($"signing.keyVault.keyId {keyId}: {ex.Message}");
        }
    }

    public const string UnsignedWarning =
        "WARNING: evidence will be UNSIGNED: no --key, $" + KeyEnvironmentVariable + ", signing.key or signing.keyVault.keyId. "
        + "Auditors cannot verify unsigned evidence; create a key with 'evidencebot keys generate --out keys' and pass --key keys/signing-key.pem.";

    /// <summary>
    /// Writes the run's bundle under <c>outputRoot</c>; prints nothing, so it can run beside the summary. Rule sources come
    /// from <c>ruleSources</c>, the files' bytes as the run read them (<c>RuleSet.Sources</c>): the bundle holds the source
    /// that ran, not whatever the file holds by the time the run ends.
    /// </summary>
    public static async Task<BundleOutcome> WriteBundleAsync(TimeProvider time, RunResult result, IReadOnlyDictionary<string, byte[]> ruleSources,
        IEvidenceSigner? signer, string outputRoot, bool archive, ControlAnswers controls, CancellationToken ct, byte[]? rootResults = null,
        IReadOnlyList<BundleWaiver>? waivers = null)
    {
        var sources = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in result.Rules.SelectMany(r => r.LoadedSources.Prepend(r.SourcePath)))
        {
            if (ruleSources.TryGetValue(path, out var bytes))
                sources[path] = bytes;
        }

        try
        {
            return new BundleOutcome(await EvidenceBundleWriter.WriteAsync(new BundleRequest
            {
                Run = result,
                ControlsFor = r => ControlsWithCrosswalk(r, controls),
                RuleSources = sources,
                Signer = signer,
                OutputRoot = outputRoot,
                Archive = archive,
                Time = time,
                RootResults = rootResults,
                Waivers = waivers ?? [],
            }, ct).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException or CryptographicException || IsAzureFailure(ex))
        {
            return new BundleOutcome(null, $"the evidence bundle could not be written: {ex.Message}");
        }
    }

    // Apart, so that the Azure SDK is loaded only to look at an exception, never to start a run.
    private static bool IsAzureFailure(Exception ex) => ex is Azure.RequestFailedException;

    /// <summary>
    /// A rule's direct control mappings plus every control related through the crosswalk, marked derived
    /// with the control it came through: evidence for 27001 A.8.16 also shows under 42001 A.6.2.6.
    /// </summary>
    internal static IReadOnlyList<PredicateControl> ControlsWithCrosswalk(RuleExecutionResult result, ControlAnswers controls)
    {
        if (result.Controls.Count == 0)
            return [];
        return [.. controls.Expand(result.Controls)
            .Select(m => new PredicateControl(m.Id, PredicateControl.RelationName(m.Relation), m.Derived, m.Via, m.Related))];
    }
}

/// <summary>What writing a bundle gave: the bundle, or why there is none.</summary>
/// <param name="Written">The bundle written; null when it could not be.</param>
/// <param name="Error">Why it could not be written; null when it was.</param>
internal sealed record BundleOutcome(BundleWriteResult? Written, string? Error);
