using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Reports;

namespace EvidenceBot.Runs;

/// <summary>
/// <c>run --report</c>: the reports of the bundle a run has just written, in <c>OUT/reports/&lt;bundle&gt;/</c>. The bundle
/// is verified first with the public key it holds, as a self-check; an auditor verifies with the key they trust.
/// An unsigned bundle cannot verify, so its reports say UNVERIFIED.
/// </summary>
internal static class RunReports
{
    public static bool Write(BundleWriteResult written, ReportFormats formats, string outDirectory, TimeProvider time, TimeSpan defaultFreshness, IRunReporter report)
    {
        var target = Path.Combine(outDirectory, "reports", Path.GetFileName(written.BundlePath));
        var keyFile = Path.Combine(written.BundlePath, BundleLayout.PublicKey);
        try
        {
            IReadOnlyList<string> paths = [];
            if (written.Signed && File.Exists(keyFile))
            {
                BundleVerifier.Verify(written.BundlePath, EvidencePublicKey.FromPemFile(keyFile), null, (folder, verification) =>
                    paths = Reports(folder, written.BundlePath, target, formats, verification, time, defaultFreshness));
            }
            else
            {
                var unsigned = new VerificationReport
                {
                    Bundle = written.BundlePath,
                    KeyId = "none",
                    ManifestSha256 = written.ManifestSha256,
                    Checks = [new VerificationCheck("signature", ".", null, false, "the bundle is unsigned: nothing in it can be verified")],
                };
                paths = Reports(written.BundlePath, written.BundlePath, target, formats, unsigned, time, defaultFreshness);
            }

            report.Message($"Reports: {target} ({string.Join(", ", paths.Select(Path.GetFileName))})");
            return true;
        }
        catch (Exception ex) when (ex is ReportException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            report.Error($"--report: the reports could not be written to {target} ({ex.Message}); the bundle is complete, run 'evidencebot report' on it");
            return false;
        }
    }

    private static IReadOnlyList<string> Reports(string folder, string name, string target, ReportFormats formats, VerificationReport verification, TimeProvider time, TimeSpan defaultFreshness) =>
        ReportWriter.Write(new ReportRequest
        {
            Freshness = EvidenceBot.Ledger.BundleReader.RuleFreshness(folder),
            DefaultFreshness = defaultFreshness,
            BundleFolder = folder,
            BundleName = name,
            OutDirectory = target,
            Formats = formats,
            Verification = verification,
            Time = time,
        });
}
