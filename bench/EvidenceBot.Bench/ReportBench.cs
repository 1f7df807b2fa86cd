using System.Diagnostics;
using System.Globalization;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Reports;

namespace EvidenceBot.Bench;

/// <summary>
/// Issue 14: from the verify bench's bundle (N statements, default 10,000, and 2N raw files; one execution in seven
/// fails), time all five report formats against <c>verify</c> alone on the same bundle (target: reports ≤ 1× verify on
/// top of it), then run <c>evidencebot report</c> as its own process for its peak RSS (target ≤ 500 MB).
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- report [N]</c>.
/// </summary>
public static class ReportBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var work = Path.Combine(Path.GetTempPath(), "evidencebot-report-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            Console.WriteLine($"report bench: {n} statements, {Environment.ProcessorCount} core(s), .NET {Environment.Version}");
            var key = KeyGenerator.Generate();
            using var signer = LocalKeySigner.FromPem(key.PrivateKeyPem);
            var publicKey = EvidencePublicKey.FromPem(key.PublicKeyPem);
            var keyFile = Path.Combine(work, "public-key.pem");
            await File.WriteAllTextAsync(keyFile, key.PublicKeyPem);
            var (run, sources) = VerifyBench.BuildRun(Path.Combine(work, "rules"), n);
            run = run with
            {
                Rules = [.. run.Rules.Select((r, i) => i % 7 != 0 ? r : r with
                {
                    Verdict = Verdict.Fail,
                    Findings = [new Finding(r.Findings[0].Resource, Verdict.Fail, "0 approving reviews required", r.Findings[0].Observed)],
                })
                // Two raw files of its own per statement (the verify bench shares one per target): 2N raw files.
                .Select((r, i) => r with { Evidence = [.. r.Evidence.Select((e, j) => j == 0 ? e with { Url = e.Url + "?execution=" + i } : e)] })],
            };
            var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest { Run = run, RuleSources = sources, Signer = signer, OutputRoot = Path.Combine(work, "out") }, CancellationToken.None);
            run = null!;
            sources = null!;
            GC.Collect();

            // Warm both paths once, then best of 3 each, alternating, in this one process.
            var formats = ReportFormatList.Parse(["all"]);
            VerificationReport? verified = null;
            double Report(string outDir)
            {
                var clock = Stopwatch.StartNew();
                ReportWriter.Write(new ReportRequest { BundleFolder = written.BundlePath, BundleName = written.BundlePath, OutDirectory = outDir, Formats = formats, Verification = verified! });
                return clock.Elapsed.TotalSeconds;
            }

            double Verify()
            {
                var clock = Stopwatch.StartNew();
                verified = BundleVerifier.Verify(written.BundlePath, publicKey);
                return clock.Elapsed.TotalSeconds;
            }

            Verify();
            if (!verified!.Passed)
            {
                Console.Error.WriteLine("the bench bundle did not verify: " + string.Join("; ", verified.Failures.Take(5)));
                return 1;
            }

            Report(Path.Combine(work, "warm"));
            var verifyTimes = new List<double>();
            var reportTimes = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                verifyTimes.Add(Verify());
                reportTimes.Add(Report(Path.Combine(work, "r" + i)));
            }

            var perFormat = new[] { ReportFormats.Html, ReportFormats.Oscal, ReportFormats.Sarif, ReportFormats.JUnit, ReportFormats.Soa }.Select(f =>
            {
                var clock = Stopwatch.StartNew();
                ReportWriter.Write(new ReportRequest { BundleFolder = written.BundlePath, BundleName = written.BundlePath, OutDirectory = Path.Combine(work, "one"), Formats = f, Verification = verified! });
                return $"{f} {clock.Elapsed.TotalSeconds:0.000} s";
            }).ToList();
            var sizes = Directory.EnumerateFiles(Path.Combine(work, "r0")).ToDictionary(f => Path.GetFileName(f), f => new FileInfo(f).Length);

            // The command as an auditor runs it, in a fresh process: verify, then all five formats; its peak RSS.
            var cli = Path.Combine(AppContext.BaseDirectory, "evidencebot.dll");
            var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-f", "peak-rss-kb %M wall-s %e", "dotnet", cli, "report", written.BundlePath, "--key", keyFile, "--format", "all", "--out", Path.Combine(work, "cli") })
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stdout = await process.StandardOutput.ReadToEndAsync();
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"evidencebot report failed (exit {process.ExitCode}): {stdout}{stderr}");
                return 1;
            }

            var measured = stderr.Trim().Split('\n')[^1].Split(' ');
            var peakMb = long.Parse(measured[1], CultureInfo.InvariantCulture) / 1024.0;
            var verifyBest = verifyTimes.Min();
            var reportBest = reportTimes.Min();
            Console.WriteLine($"bundle: {written.StatementCount} statements, {written.RawFileCount} raw files");
            Console.WriteLine($"verify alone:                  {verifyBest:0.000} s (best of 3)");
            Console.WriteLine($"all five reports:              {reportBest:0.000} s (best of 3) = {reportBest / verifyBest:0.00}x verify  (target <= 1x: {(reportBest <= verifyBest ? "met" : "NOT met")})");
            Console.WriteLine($"  each alone (reading the statements every time): {string.Join(", ", perFormat)}");
            Console.WriteLine($"  sizes: {string.Join(", ", sizes.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value / 1024.0 / 1024.0:0.0} MB"))}");
            Console.WriteLine($"evidencebot report (process):  {measured[3]} s wall, peak RSS {peakMb:0} MB  (target <= 500 MB: {(peakMb <= 500 ? "met" : "NOT met")})");
            return 0;
        }
        finally
        {
            VerifyBench.TryDelete(work);
        }
    }
}
