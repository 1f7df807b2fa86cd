using System.Diagnostics;
using System.Globalization;
using EvidenceBot.Cli;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Ledger;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Bench;

/// <summary>
/// "Continuous evidence": a ledger holding a year of hourly runs × 200 rule executions (1.75 M execution rows, one
/// finding each, 50 controls per run). Times <c>history --control</c>, <c>status</c> (the query alone and the whole
/// command in-process) and appending one real signed 200-statement bundle as a run does (30 runs; median, mean and max);
/// prints the database size.
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- ledger [runs] [executions]</c>.
/// </summary>
public static class LedgerBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 24 * 365;
        var perRun = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var work = Path.Combine(Path.GetTempPath(), "evidencebot-ledger-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var outDir = Path.Combine(work, "out");
        Directory.CreateDirectory(outDir);
        var ledger = Path.Combine(outDir, RunLedger.DefaultFileName);
        try
        {
            Console.WriteLine($"ledger bench: {runs} runs × {perRun} executions = {runs * (long)perRun:N0} execution rows, {Environment.ProcessorCount} core(s), .NET {Environment.Version}");
            var start = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero);
            var clock = Stopwatch.StartNew();
            string lastManifest;
            using (var connection = LedgerSchema.Open(ledger))
            using (var store = new LedgerStore(connection))
            using (var tx = connection.BeginTransaction(deferred: false))
            {
                // Generating a year at once, not a run's append: a large page cache keeps the index inserts in memory.
                using (var pragma = connection.CreateCommand())
                {
                    pragma.Transaction = tx;
                    pragma.CommandText = "PRAGMA cache_size = -262144";
                    pragma.ExecuteNonQuery();
                }

                LedgerTail? tail = null;
                for (var r = 0; r < runs; r++)
                    tail = store.Append(SyntheticRun(r, perRun, start.AddHours(r), tail?.ManifestSha256), tail, tx);
                tx.Commit();
                lastManifest = tail!.ManifestSha256;
            }

            Console.WriteLine($"generate: {clock.Elapsed.TotalSeconds:0.0} s (one transaction, prepared statements)");
            using (var connection = LedgerSchema.Open(ledger)) // move the log into the file before measuring its size
                LedgerSchema.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
            Console.WriteLine($"database size: {new FileInfo(ledger).Length / 1048576.0:0.0} MiB ({new FileInfo(ledger).Length:N0} bytes)");

            var now = start.AddHours(runs);
            var time = new FakeTimeProvider(now);
            using (var connection = LedgerSchema.OpenExisting(ledger))
            {
                var q = new LedgerQueries(connection);
                Report("history --control (query, whole year)", () => q.ControlHistory("ISO27001:2022/A.8.7", null).Count);
                Report("status (query)", () => q.Controls(now, TimeSpan.FromDays(7)).Count);
                Report("controls coverage --ledger (latest rules query)", () => q.Rules(now, TimeSpan.FromDays(7)).Count);
            }

            Report("history --control (whole command, in-process)", () => Cli(time, "history", "--control", "ISO27001:2022/A.8.7", "--out", outDir));
            Report("history --rule --since 30d (whole command)", () => Cli(time, "history", "--rule", "BENCH-007", "--since", "30d", "--out", outDir));
            Report("status (whole command, in-process)", () => Cli(time, "status", "--out", outDir));
            Report("diff, last two runs (whole command)", () => Cli(time, "diff", "--out", outDir));

            // Appending: real signed bundles of perRun statements, chained to the synthetic year, appended as a run does.
            var key = KeyGenerator.Generate();
            using var signer = LocalKeySigner.FromPem(key.PrivateKeyPem);
            await File.WriteAllBytesAsync(Path.Combine(outDir, BundleLayout.ChainHead),
                System.Text.Encoding.UTF8.GetBytes($"{{\"manifestSha256\":\"{lastManifest}\",\"bundle\":\"synthetic\",\"runId\":\"synthetic\",\"previousManifestSha256\":null}}"));
            var appendTimes = new List<double>();
            var readTimes = new List<double>();
            var appendCpu = new List<double>();
            for (var i = 0; i < 30; i++)
            {
                var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
                {
                    Run = RealRun(perRun, now.AddMinutes(i)),
                    Signer = signer,
                    OutputRoot = outDir,
                    Time = new FakeTimeProvider(now.AddMinutes(i)),
                }, CancellationToken.None);
                clock.Restart();
                BundleReader.Read(outDir, Path.GetFileName(written.BundlePath));
                readTimes.Add(clock.Elapsed.TotalMilliseconds);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                clock.Restart();
                var result = RunLedger.CatchUp(ledger, outDir, Path.GetFileName(written.BundlePath), written.Files);
                appendTimes.Add(clock.Elapsed.TotalMilliseconds);
                appendCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
                if (result.Appended.Count != 1 || result.Problems.Count > 0)
                    throw new InvalidOperationException($"append {i}: {result.Appended.Count} appended, {string.Join("; ", result.Problems)}");
            }

            var steady = appendTimes.Skip(2).ToList();
            Console.WriteLine($"{"append one run (" + perRun + " statements, signed bundle)",-52} median {Median(steady):0.0} ms wall, mean {steady.Average():0.0} ms, max {steady.Max():0.0} ms  (first {appendTimes[0]:0.0} ms)");
            Console.WriteLine($"{"  (the mean includes emptying the log into the file, every few runs)",-52}");
            Console.WriteLine($"{"  CPU time of the append (all threads)",-52} median {Median(appendCpu.Skip(2)):0.0} ms, mean {appendCpu.Skip(2).Average():0.0} ms");
            Console.WriteLine($"{"  reading the bundle back from disk instead",-52} median {Median(readTimes.Skip(2)):0.0} ms (catch-up and rebuild read it; a run hands the ledger what it wrote)");
            Console.WriteLine($"{"  all appends (ms)",-52} {string.Join(" ", appendTimes.Select(t => t.ToString("0.0", CultureInfo.InvariantCulture)))}");
            var wal = new FileInfo(ledger + "-wal");
            Console.WriteLine($"database size after: {new FileInfo(ledger).Length / 1048576.0:0.0} MiB, and {(wal.Exists ? wal.Length : 0) / 1048576.0:0.0} MiB of write-ahead log");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    private static readonly string[] Verdicts = ["pass", "pass", "pass", "fail", "not_applicable", "pass", "error", "pass"];

    private static string ControlOf(int i) => $"ISO27001:2022/A.8.{i % 50}";

    private static LedgerRun SyntheticRun(int r, int perRun, DateTimeOffset at, string? previous)
    {
        var executions = new List<LedgerExecution>(perRun);
        for (var i = 0; i < perRun; i++)
        {
            // Mostly steady, with a verdict that changes now and then, as real estates do.
            var verdict = Verdicts[(i + (r / 24 % 3 == 0 && i % 17 == 0 ? 3 : 0)) % Verdicts.Length];
            executions.Add(new LedgerExecution(i, $"BENCH-{i % 40:000}", $"target-{i / 40}", verdict, i % 2 == 0 ? 86400 : null)
            {
                Findings = [new LedgerFinding($"org/repo-{i}", verdict)],
                Controls = [ControlOf(i)],
            });
        }

        var controls = executions.GroupBy(e => ControlOf(e.Index)).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new LedgerControl(g.Key, LedgerControl.Combine(g.Select(e => e.Verdict)), g.Min(e => e.FreshnessSeconds))).ToList();
        return new LedgerRun
        {
            RunId = $"{r:x32}",
            Bundle = $"{at.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{r:x32}",
            StartedAt = LedgerRun.Time(at),
            EndedAt = LedgerRun.Time(at.AddMinutes(2)),
            CreatedAt = LedgerRun.Time(at.AddMinutes(2)),
            EngineVersion = "0.1.0",
            Signed = true,
            KeyId = new string('a', 64),
            ManifestSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(r))),
            PreviousSha256 = previous,
            Executions = executions,
            Controls = controls,
        };
    }

    private static RunResult RealRun(int perRun, DateTimeOffset at) => new()
    {
        RunId = Guid.NewGuid().ToString("N"),
        StartedAt = at,
        EndedAt = at.AddSeconds(30),
        EngineVersion = EngineInfo.Version,
        Rules = [.. Enumerable.Range(0, perRun).Select(i => new RuleExecutionResult
        {
            RuleId = $"BENCH-{i % 40:000}",
            Title = "bench rule",
            Target = $"target-{i / 40}",
            Verdict = i % 5 == 0 ? Verdict.Fail : Verdict.Pass,
            StartedAt = at,
            EndedAt = at.AddMilliseconds(20),
            Controls = [new ControlMapping(ControlOf(i), ControlRelation.Satisfies)],
            Findings = [new Finding($"org/repo-{i}", i % 5 == 0 ? Verdict.Fail : Verdict.Pass, "bench finding")],
        })],
    };

    private static int Cli(TimeProvider time, params string[] args)
    {
        var exit = CliApp.RunAsync(args, TextWriter.Null, TextWriter.Null, time).GetAwaiter().GetResult();
        if (exit is not (0 or 1))
            throw new InvalidOperationException($"{string.Join(' ', args)} exited {exit}");
        return exit;
    }

    private static void Report(string what, Func<int> action)
    {
        action(); // warm: JIT, page cache
        var times = new List<double>();
        var cpu = new List<double>();
        var result = 0;
        for (var i = 0; i < 7; i++)
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            result = action();
            times.Add(clock.Elapsed.TotalMilliseconds);
            cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds);
        }

        // On a shared, loaded machine wall time includes waiting for a core; CPU time is the work itself.
        Console.WriteLine($"{what,-52} median {Median(times):0.0} ms wall, {Median(cpu):0.0} ms CPU  (wall min {times.Min():0.0}, max {times.Max():0.0}; result {result})");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
