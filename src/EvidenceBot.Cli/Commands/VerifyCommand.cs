using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Runs.Isolation;
using EvidenceBot.Store;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot verify BUNDLE --key PUBLIC.pem</c>: offline verification of an evidence bundle (a folder, an archive, or a blob URL).</summary>
internal static class VerifyCommand
{
    public static Command Build(CliContext cli)
    {
        var bundle = new Argument<string>("bundle") { Description = "A bundle folder, its .tar.gz archive, or its Azure Blob URL (https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX/BUNDLE, as 'run' printed it after uploading; a SAS token may follow)." };
        var key = new Option<string>("--key", "-k") { Description = "The signer's public key (SPKI PEM, e.g. public-key.pem from 'keys generate').", Required = true };
        var previous = new Option<string?>("--previous") { Description = "Check the chain link: the previous run's manifest SHA-256, or the previous bundle (folder or .tar.gz)." };
        var connectionStringEnv = new Option<string?>("--connection-string-env") { Description = "For a blob URL: an environment variable holding the storage account's connection string (else a SAS token in the URL, else DefaultAzureCredential)." };
        var json = CommonOptions.Json();
        var replay = new Option<bool>("--replay") { Description = "After every other check, re-derive each statement: recompile its rule from the bundle and run it on the statement's own raw evidence, clock, parameters and target; any difference fails (a bundle folder, not an archive)." };
        var cacheDir = CommonOptions.CacheDir();
        var isolate = new Option<string?>("--isolate") { Description = "With --replay, where the bundle's rules run: 'none' (this process, the default) or 'process' (a worker process killed if it hangs or grows past 2 GiB; a rule that ends the worker is a difference, the rest replay in a fresh one)." };
        isolate.AcceptOnlyFromAmong("none", "process");
        var waiverKey = new Option<string[]>("--waiver-key") { Description = "APPROVER=PUBLIC_KEY.pem (repeatable): every waiver in the bundle must be signed by a key you trust for the approver it names, not only by the key the run trusted and copied into the bundle." };
        var command = new Command("verify", "Verify a bundle offline: every signature, every digest, no missing or extra files, predicate schema, run ids, and the chain link; with --replay, that every verdict follows from the evidence. Exits 4 when anything fails.")
        {
            bundle, key, previous, connectionStringEnv, json, replay, cacheDir, isolate, waiverKey,
        };
        command.SetAction(async (parse, ct) =>
        {
            // Two JSON documents on one stdout would be read as neither: one report or the other, not both.
            if (parse.GetValue(json) && parse.GetValue(replay))
            {
                cli.Error("--json and --replay cannot be combined yet: run 'verify --json' for the verification report, then 'verify --replay' for the replay");
                return ExitCodes.UsageOrConfig;
            }

            if (parse.GetValue(isolate) is not null && !parse.GetValue(replay))
            {
                cli.Error("--isolate applies to --replay, which runs the bundle's rules: add --replay, or leave --isolate out");
                return ExitCodes.UsageOrConfig;
            }

            if (ReadApproverKeys(cli, parse.GetValue(waiverKey) ?? []) is not { } approvers)
                return ExitCodes.UsageOrConfig;
            var isolation = parse.GetValue(isolate) == "process" ? WorkerCommand.Launch(IsolationOptions.DefaultMemoryLimitBytes) : null;
            var target = parse.GetValue(bundle)!;
            // Replay re-derives verdicts only from a bundle whose signatures and digests all passed.
            Func<string, Task<int>> then = local => parse.GetValue(replay)
                ? ReplayCommand.RunAsync(cli, local, parse.GetValue(cacheDir), isolation, ct)
                : Task.FromResult(ExitCodes.Ok);
            if (BlobBundleDownloader.IsBlobUrl(target))
                return await RunOnBlobAsync(cli, target, parse.GetValue(connectionStringEnv), parse.GetValue(key)!, parse.GetValue(previous), parse.GetValue(json), approvers, then, ct).ConfigureAwait(false);
            var exit = Run(cli, target, parse.GetValue(key)!, parse.GetValue(previous), parse.GetValue(json), approvers);
            return exit != ExitCodes.Ok ? exit : await then(target).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The auditor's public key from <paramref name="keyPath"/> (<c>--key</c>), or null after printing why it cannot be used.</summary>
    internal static EvidencePublicKey? ReadPublicKey(CliContext cli, string keyPath, string option = "--key")
    {
        try
        {
            return EvidencePublicKey.FromPemFile(keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or FormatException)
        {
            cli.Error($"{option} {keyPath}: {ex.Message}");
            return null;
        }
    }

    /// <summary>The <c>--waiver-key APPROVER=PUBLIC_KEY.pem</c> values, or null after printing which one cannot be used.</summary>
    private static List<TrustedApproverKey>? ReadApproverKeys(CliContext cli, string[] values)
    {
        var keys = new List<TrustedApproverKey>();
        foreach (var value in values)
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == value.Length - 1)
            {
                cli.Error($"--waiver-key '{value}': give the approver and their public key as APPROVER=PUBLIC_KEY.pem, e.g. --waiver-key alice@example.com=keys/alice-public-key.pem");
                return null;
            }

            var path = value[(eq + 1)..];
            if (ReadPublicKey(cli, path, "--waiver-key") is not { } key)
                return null;
            keys.Add(new TrustedApproverKey(value[..eq], key, path));
        }

        return keys;
    }

    /// <summary>
    /// A stored bundle: downloaded to a temp folder (removed afterwards), then verified like a local one; the report
    /// names the URL without its SAS token.
    /// </summary>
    private static async Task<int> RunOnBlobAsync(CliContext cli, string url, string? connectionStringEnv, string keyPath, string? previous, bool json,
        IReadOnlyList<TrustedApproverKey> approvers, Func<string, Task<int>> then, CancellationToken ct)
    {
        string? connectionString = null;
        if (connectionStringEnv is not null && string.IsNullOrEmpty(connectionString = Environment.GetEnvironmentVariable(connectionStringEnv)))
        {
            cli.Error($"--connection-string-env {connectionStringEnv}: the environment variable is not set or empty");
            return ExitCodes.UsageOrConfig;
        }

        if (VerifyCommand.ReadPublicKey(cli, keyPath) is null)
            return ExitCodes.UsageOrConfig;
        var work = Directory.CreateTempSubdirectory("evidencebot-verify-").FullName;
        try
        {
            string local;
            try
            {
                local = await BlobBundleDownloader.DownloadAsync(url, connectionString, work, ct).ConfigureAwait(false);
            }
            catch (StoreUploadException ex)
            {
                cli.Error(ex.Message);
                return ExitCodes.UsageOrConfig;
            }

            var exit = Run(cli, local, keyPath, previous, json, approvers, shownAs: BlobBundleDownloader.Display(url));
            return exit != ExitCodes.Ok ? exit : await then(local).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder; the system cleans it up.
            }
        }
    }

    private static int Run(CliContext cli, string bundle, string keyPath, string? previous, bool json, IReadOnlyList<TrustedApproverKey> approvers, string? shownAs = null)
    {
        if (!Directory.Exists(bundle) && !File.Exists(bundle))
        {
            cli.Error($"{bundle}: no such bundle folder or archive");
            return ExitCodes.UsageOrConfig;
        }

        if (VerifyCommand.ReadPublicKey(cli, keyPath) is not { } publicKey)
            return ExitCodes.UsageOrConfig;

        VerificationReport report;
        try
        {
            IReadOnlyList<VerificationCheck> pinned = [];
            report = BundleVerifier.Verify(bundle, publicKey, previous, (folder, _) =>
            {
                if (approvers.Count > 0)
                    pinned = BundleVerifier.CheckWaiverApprovers(folder, approvers);
            });
            if (pinned.Count > 0)
                report = report with { Checks = [.. pinned.Where(c => !c.Passed), .. report.Checks, .. pinned.Where(c => c.Passed)] };
            if (shownAs is not null)
                report = report with { Bundle = shownAs };
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or DirectoryNotFoundException)
        {
            cli.Error(ex.Message);
            return ExitCodes.UsageOrConfig;
        }

        if (json)
        {
            cli.Out.WriteLine(JsonSerializer.Serialize(report, JsonOutput.Options));
        }
        else
        {
            foreach (var failure in report.Failures)
                cli.Out.WriteLine($"FAIL {failure.Check} {failure.File}{(failure.Field is null ? "" : $" [{failure.Field}]")}: {failure.Detail}");
            if (report.Passed)
            {
                cli.Out.WriteLine($"OK: {report.Bundle} verified with key {report.KeyId}");
                cli.Out.WriteLine($"  run {report.RunId}: {report.Statements} statement(s), {report.Files} file(s), {report.Checks.Count} check(s) passed");
                cli.Out.WriteLine($"  manifest sha256 {report.ManifestSha256} (pass it as --previous when verifying the next run)");
                cli.Out.WriteLine(previous is null
                    ? $"  chain: links to {report.PreviousManifestSha256 ?? "no previous run"} (not checked: give --previous to check it)"
                    : $"  chain: links to the previous manifest {report.PreviousManifestSha256}");

                // Whose key signed each accepted risk is the one thing verify cannot decide: show it.
                foreach (var waiver in report.Checks.Where(c => c.Check is "waiver.signature" or "waiver.approver"))
                    cli.Out.WriteLine($"  {waiver.File}: {waiver.Detail}");
            }
            else
            {
                cli.Out.WriteLine($"FAILED: {report.Bundle}: {report.Failures.Count} problem(s) in {report.Checks.Count} check(s); do not rely on this evidence");
            }
        }

        return report.Passed ? ExitCodes.Ok : ExitCodes.VerificationFailed;
    }
}
