using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Bench;

/// <summary>
/// Issue 4: verify a bundle of N (default 10,000) statements with our verifier and with <c>@sigstore/verify</c>
/// in one Node process, print statements/s and the ratio (target ≥ 5×); and signing throughput.
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- verify [N]</c>.
/// </summary>
public static class VerifyBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var keep = args.Contains("--keep");
        var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        var n = numbers.Count > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 10_000;
        var root = RepoRoot();
        var work = Path.Combine(Path.GetTempPath(), "evidencebot-verify-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            Console.WriteLine($"verify bench: {n} statements, {Environment.ProcessorCount} core(s), .NET {Environment.Version}");
            var key = KeyGenerator.Generate();
            using var signer = LocalKeySigner.FromPem(key.PrivateKeyPem);
            var publicKey = EvidencePublicKey.FromPem(key.PublicKeyPem);
            var keyFile = Path.Combine(work, "public-key.pem");
            await File.WriteAllTextAsync(keyFile, key.PublicKeyPem);

            // Signing throughput: one signature per statement-sized PAE, on one thread, then on all cores.
            var pae = Dsse.Pae(InTotoStatement.PayloadType, new byte[1500]);
            for (var i = 0; i < 200; i++)
                await signer.SignAsync(pae);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
                await signer.SignAsync(pae);
            var signOne = n / clock.Elapsed.TotalSeconds;
            clock.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(0, n), async (_, _) => await signer.SignAsync(pae));
            var signAll = n / clock.Elapsed.TotalSeconds;

            var (run, sources) = BuildRun(Path.Combine(work, "rules"), n);
            clock.Restart();
            var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
            {
                Run = run,
                RuleSources = sources,
                Signer = signer,
                OutputRoot = Path.Combine(work, "out"),
            }, CancellationToken.None);
            var writeSeconds = clock.Elapsed.TotalSeconds;

            // Ours: the whole verify (manifest, every file digest, every signature, schema, subjects), warm.
            var warm = BundleVerifier.Verify(written.BundlePath, publicKey);
            if (!warm.Passed)
            {
                Console.Error.WriteLine("our verifier rejected the bench bundle: " + string.Join("; ", warm.Failures.Take(5)));
                return 1;
            }

            var ours = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                clock.Restart();
                var report = BundleVerifier.Verify(written.BundlePath, publicKey);
                ours.Add(clock.Elapsed.TotalSeconds);
                if (!report.Passed)
                    return 1;
            }

            var oursBest = ours.Min();
            var node = await NodeAsync(root, written.BundlePath, keyFile, keysMap: false);
            var nodeMap = await NodeAsync(root, written.BundlePath, keyFile, keysMap: true);
            if (node is null || nodeMap is null)
                return 1;
            var (nodeMs, nodeWall) = node.Value;

            var oursRate = n / oursBest;
            var nodeRate = n / (nodeMs / 1000);
            Console.WriteLine($"signing (1 thread):            {signOne,10:N0} signatures/s");
            Console.WriteLine($"signing (all cores):           {signAll,10:N0} signatures/s");
            Console.WriteLine($"bundle write, signed:          {n / writeSeconds,10:N0} statements/s ({writeSeconds:0.00} s for {n}, {written.RawFileCount} raw files)");
            Console.WriteLine($"evidencebot verify:            {oursRate,10:N0} statements/s ({oursBest:0.000} s best of 3, whole bundle: {warm.Files} files, {warm.Checks.Count} checks)");
            Console.WriteLine($"@sigstore/verify (one node):   {nodeRate,10:N0} statements/s ({nodeMs / 1000:0.000} s in-process for the statements alone, key parsed once; {nodeWall:0.00} s with node start-up)");
            var mapRate = n / (nodeMap.Value.StatementsMs / 1000);
            Console.WriteLine($"  with the documented keys map:{mapRate,10:N0} statements/s (the key is re-parsed for every verification)");
            var ratio = oursRate / nodeRate;
            Console.WriteLine($"ratio:                         {ratio,10:0.0}x vs the faster node set-up ({oursRate / mapRate:0.0}x vs the keys map)  (target >= 5x: {(ratio >= 5 ? "met" : "NOT met")})");
            return 0;
        }
        finally
        {
            if (keep)
                Console.WriteLine($"kept: {work} (bundle under out/, public key public-key.pem)");
            else
                TryDelete(work);
        }
    }

    private static async Task<(double StatementsMs, double WallSeconds)?> NodeAsync(string root, string bundle, string key, bool keysMap)
    {
        var modules = Path.Combine(root, "tests", "interop", "node_modules", "@sigstore", "verify");
        if (!Directory.Exists(modules))
        {
            Console.Error.WriteLine($"{modules} is missing: run 'npm ci --prefix tests/interop' (./test.sh does) first");
            return null;
        }

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        start.ArgumentList.Add(Path.Combine(root, "tests", "interop", "verify-bundle.mjs"));
        start.ArgumentList.Add(bundle);
        start.ArgumentList.Add(key);
        start.ArgumentList.Add("--json");
        if (keysMap)
            start.ArgumentList.Add("--keys-map");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var wall = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"@sigstore/verify rejected the bench bundle (exit {process.ExitCode}): {stdout}{stderr}");
            return null;
        }

        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        return (doc.RootElement.GetProperty("statementsMs").GetDouble(), wall);
    }

    /// <summary>50 rules × N/50 targets, each execution with one exchange of its own and one shared per target, like a real estate.</summary>
    internal static (RunResult Run, Dictionary<string, byte[]> Sources) BuildRun(string rulesDir, int n)
    {
        Directory.CreateDirectory(rulesDir);
        var start = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var sources = new Dictionary<string, byte[]>();
        var ruleFiles = Enumerable.Range(0, 50).Select(i =>
        {
            var path = Path.Combine(rulesDir, $"rule-{i:D2}.csx");
            var bytes = Encoding.UTF8.GetBytes($"/* ---\nid: BENCH-{i:D2}\ntitle: Bench rule {i}\n--- */\nCheck(\"x\", true, \"ok\");\n");
            File.WriteAllBytes(path, bytes);
            sources[path] = bytes;
            return (Id: $"BENCH-{i:D2}", Path: path, Sha: Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }).ToList();

        var rules = new List<RuleExecutionResult>(n);
        for (var i = 0; i < n; i++)
        {
            var rule = ruleFiles[i % ruleFiles.Count];
            var target = $"org-{i / ruleFiles.Count:D4}";
            HttpExchange Exchange(string url, string body) => new()
            {
                Source = "github",
                Method = "GET",
                Url = url,
                Status = 200,
                ResponseHeaders = new SortedDictionary<string, string> { ["Content-Type"] = "application/json" },
                Body = body,
                At = start,
            };
            rules.Add(new RuleExecutionResult
            {
                RuleId = rule.Id,
                Title = "Bench rule",
                Severity = Severity.Medium,
                Target = target,
                Verdict = Verdict.Pass,
                StartedAt = start,
                EndedAt = start.AddMilliseconds(20),
                Parameters = new Dictionary<string, JsonElement> { ["minApprovals"] = JsonSerializer.SerializeToElement(1) },
                Controls = [new ControlMapping("ISO27001:2022/A.8.32", ControlRelation.Supports), new ControlMapping("ISO42001:2023/A.6.2.6", ControlRelation.Partial)],
                Findings = [new Finding($"{target}/repo", Verdict.Pass, "2 approving reviews required", JsonSerializer.SerializeToElement(new { approvals = 2 }))],
                Evidence =
                [
                    Exchange($"https://api.github.com/orgs/{target}", $"{{\"login\":\"{target}\",\"two_factor_requirement_enabled\":true}}"),
                    Exchange($"https://api.github.com/repos/{target}/repo/branches/main/protection?rule={rule.Id}", $"{{\"required_pull_request_reviews\":{{\"required_approving_review_count\":2}},\"n\":{i}}}"),
                ],
                SourcePath = rule.Path,
                SourceSha256 = rule.Sha,
            });
        }

        return (new RunResult { RunId = Guid.NewGuid().ToString("N"), StartedAt = start, EndedAt = start.AddMinutes(3), EngineVersion = EngineInfo.Version, Rules = rules }, sources);
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string RepoRoot()
    {
        var dir = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(dir, "EvidenceBot.sln")))
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("run the bench from inside the repository");
        return dir;
    }
}
