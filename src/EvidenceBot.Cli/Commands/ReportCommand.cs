using System.CommandLine;
using EvidenceBot.Core.Engine;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Reports;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// <c>evidencebot report BUNDLE --key PUBLIC.pem --format html,oscal,sarif,junit,soa --out DIR</c>: verify the bundle,
/// then write the reports from it. A bundle that does not verify gets none (exit 4) unless <c>--unverified</c>.
/// </summary>
internal static class ReportCommand
{
    public static Command Build(CliContext cli)
    {
        var bundle = new Argument<string>("bundle") { Description = "A bundle folder, or its .tar.gz archive." };
        var key = new Option<string>("--key", "-k") { Description = "The signer's public key (SPKI PEM): the bundle is verified with it first, as 'verify' does.", Required = true };
        var format = new Option<string[]>("--format", "-f") { Description = $"Formats, comma-separated or repeated: {ReportFormatList.Names} (or all).", Required = true, AllowMultipleArgumentsPerToken = true };
        var outDir = new Option<string>("--out", "-o") { Description = "Folder the reports are written to (created when missing).", Required = true };
        var framework = new Option<string[]>("--framework") { Description = "Framework in scope, e.g. ISO27001:2022 (repeatable; default: every framework the evidence maps to).", AllowMultipleArgumentsPerToken = true };
        var unverified = new Option<bool>("--unverified") { Description = "Write the reports even when the bundle does not verify; every output then says UNVERIFIED." };
        var soa = new Option<string?>("--soa") { Description = "Applicability file (YAML, schemas/soa-applicability.schema.json) for the Statement of Applicability." };
        var previous = new Option<string?>("--previous") { Description = "Check the chain link as 'verify --previous' does." };
        var freshness = new Option<string?>("--freshness") { Description = "How old evidence may get when its rule's header sets no freshness (default 7d). Older evidence is shown as stale and not counted as covering its controls." };
        var command = new Command("report", "Verify a bundle, then write reports from it: HTML for auditors, OSCAL assessment results, SARIF for code scanning, JUnit XML for CI, and the Statement of Applicability. Exits 4 without reports when the bundle does not verify (unless --unverified).")
        {
            bundle, key, format, outDir, framework, unverified, soa, previous, freshness,
        };
        command.SetAction(parse => Run(cli, parse.GetValue(bundle)!, parse.GetValue(key)!, parse.GetValue(format) ?? [], parse.GetValue(outDir)!,
            parse.GetValue(framework) ?? [], parse.GetValue(unverified), parse.GetValue(soa), parse.GetValue(previous), parse.GetValue(freshness)));
        return command;
    }

    private static int Run(CliContext cli, string bundle, string keyPath, string[] format, string outDir, string[] frameworks, bool allowUnverified, string? soa, string? previous, string? freshnessText)
    {
        var defaultFreshness = EvidenceBot.Runs.LedgerLocation.BuiltInFreshness;
        if (freshnessText is not null)
        {
            try
            {
                defaultFreshness = EvidenceBot.Core.Rules.Duration.Parse(freshnessText);
            }
            catch (FormatException ex)
            {
                cli.Error("--freshness: " + ex.Message);
                return ExitCodes.UsageOrConfig;
            }
        }

        ReportFormats formats;
        try
        {
            formats = ReportFormatList.Parse(format);
        }
        catch (ArgumentException ex)
        {
            cli.Error("--format: " + ex.Message);
            return ExitCodes.UsageOrConfig;
        }

        if (!Directory.Exists(bundle) && !File.Exists(bundle))
        {
            cli.Error($"{bundle}: no such bundle folder or archive");
            return ExitCodes.UsageOrConfig;
        }

        if (soa is not null && !File.Exists(soa))
        {
            cli.Error($"--soa {soa}: no such file");
            return ExitCodes.UsageOrConfig;
        }

        if (VerifyCommand.ReadPublicKey(cli, keyPath) is not { } publicKey)
            return ExitCodes.UsageOrConfig;

        IReadOnlyList<string> written = [];
        string? problem = null;
        VerificationReport verification;
        try
        {
            verification = BundleVerifier.Verify(bundle, publicKey, previous, (folder, report) =>
            {
                if (!report.Passed && !allowUnverified)
                    return;
                try
                {
                    written = ReportWriter.Write(new ReportRequest
                    {
                        BundleFolder = folder,
                        BundleName = bundle,
                        OutDirectory = outDir,
                        Formats = formats,
                        Verification = report,
                        Frameworks = frameworks,
                        ApplicabilityFile = soa,
                        Time = cli.Time,
                        Freshness = EvidenceBot.Ledger.BundleReader.RuleFreshness(folder),
                        DefaultFreshness = defaultFreshness,
                    });
                }
                catch (ReportException ex)
                {
                    problem = ex.Message;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    problem = $"--out {outDir}: the reports could not be written ({ex.Message})";
                }
            });
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or DirectoryNotFoundException)
        {
            cli.Error(ex.Message);
            return ExitCodes.UsageOrConfig;
        }

        foreach (var failure in verification.Failures)
            cli.Out.WriteLine($"FAIL {failure.Check} {failure.File}{(failure.Field is null ? "" : $" [{failure.Field}]")}: {failure.Detail}");
        if (!verification.Passed && !allowUnverified)
        {
            cli.Out.WriteLine($"FAILED: {verification.Bundle}: {verification.Failures.Count} problem(s) in {verification.Checks.Count} check(s); no report written (give --unverified to write reports marked UNVERIFIED)");
            return ExitCodes.VerificationFailed;
        }

        if (problem is not null)
        {
            cli.Error(problem);
            return ExitCodes.UsageOrConfig;
        }

        cli.Out.WriteLine(verification.Passed
            ? $"OK: {bundle} verified with key {verification.KeyId}"
            : $"UNVERIFIED: {bundle} did not verify; the reports say so on every page");
        foreach (var path in written)
            cli.Out.WriteLine($"  wrote {path}");
        return verification.Passed ? ExitCodes.Ok : ExitCodes.VerificationFailed;
    }
}
