using System.Diagnostics;
using System.Globalization;

namespace EvidenceBot.Bench;

/// <summary>
/// Issue 2: cold `run` with 100 generated rules (empty cache), warm `run` (cache filled) and a one-rule cold
/// `run`, each as a fresh `evidencebot` process, plus the warm run's peak RSS. Prints medians and ratios.
/// Usage (from the repository root): rules [--cli PATH_TO_evidencebot.dll] [--repeat N] [--rules N].
/// </summary>
public static class RulesBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cli = Arg(args, "--cli") ?? Path.Combine(AppContext.BaseDirectory, "evidencebot.dll");
        var repeat = int.Parse(Arg(args, "--repeat") ?? "3", CultureInfo.InvariantCulture);
        var count = int.Parse(Arg(args, "--rules") ?? "100", CultureInfo.InvariantCulture);
        // Under the working folder, not /tmp: on these machines /tmp costs ~1 ms per created file, which would
        // measure the disk, not EvidenceBot.
        var root = Path.Combine(Directory.GetCurrentDirectory(), "bench", ".work", "rules-" + Guid.NewGuid().ToString("N"));
        var many = Generate(Path.Combine(root, "many"), count);
        var one = Generate(Path.Combine(root, "one"), 1);

        Console.WriteLine($"evidencebot: {cli}");
        Console.WriteLine($"rules: {count}, repeats: {repeat} (median reported), cores: {Environment.ProcessorCount}");

        var cold1 = new List<double>();
        var coldN = new List<double>();
        var warmN = new List<double>();
        var warmRss = new List<long>();
        for (var i = 0; i < repeat; i++)
        {
            cold1.Add((await Run(cli, one, Path.Combine(root, $"cache-one-{i}"), root)).Ms);
            var cache = Path.Combine(root, $"cache-many-{i}");
            coldN.Add((await Run(cli, many, cache, root)).Ms);
            warmN.Add((await Run(cli, many, cache, root)).Ms);
            // Peak RSS from a warm run of its own: polling /proc while timing would add the poller's work to the time.
            warmRss.Add((await Run(cli, many, cache, root, measureRss: true)).PeakRssKb);
        }

        double c1 = Median(cold1), cN = Median(coldN), wN = Median(warmN);
        var rss = Median(warmRss.Select(x => (double)x).ToList()) / 1024.0;
        Console.WriteLine($"cold run, 1 rule:        {c1,8:0} ms");
        Console.WriteLine($"cold run, {count} rules:    {cN,8:0} ms   ratio to 1-rule cold: {cN / c1:0.00}x (target <= 2.00x)");
        Console.WriteLine($"warm run, {count} rules:    {wN,8:0} ms   share of cold: {100 * wN / cN:0.0}% (target <= 10%)");
        Console.WriteLine($"warm run peak RSS:       {rss,8:0.0} MB (target <= 150 MB)");
        // Every run, in the order taken: the medians hide how much this machine's speed moves within one bench.
        Console.WriteLine($"each run (ms): cold 1 rule {Each(cold1)}; cold {count} rules {Each(coldN)}; warm {count} rules {Each(warmN)}");
        try
        {
            Directory.Delete(root, true);
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static string Each(List<double> runs) => string.Join(" ", runs.Select(r => r.ToString("0", CultureInfo.InvariantCulture)));

    internal static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    internal static string Generate(string dir, int count)
    {
        Directory.CreateDirectory(dir);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllText(Path.Combine(dir, $"rule{i:000}.csx"), $$"""
                /* ---
                id: BENCH-{{i:000}}
                title: Generated bench rule {{i}}
                severity: medium
                controls:
                  - { id: "ISO27001:2022/A.8.{{i % 34 + 1}}", relation: supports }
                parameters: { threshold: {{i % 7}}, names: [alpha, beta, gamma] }
                --- */
                var threshold = Param<int>("threshold");
                var names = Param<string[]>("names");
                foreach (var (name, index) in names.Select((n, k) => (n, k)))
                {
                    var score = name.Length * (index + 1) + {{i}} % 5;
                    Check($"{name}-{{i}}", score >= threshold, $"score {score} vs threshold {threshold}", new { score, threshold });
                }
                """);
        }

        return dir;
    }

    internal static async Task<(double Ms, long PeakRssKb)> Run(string cli, string rules, string cache, string root, bool measureRss = false, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { cli, "run", "--rules", rules, "--cache-dir", cache, "--out", Path.Combine(root, "out") }.Concat(extra))
            psi.ArgumentList.Add(a);
        // The previous run's files still being written back to disk would otherwise be timed as part of this run.
        Sync();
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        long peak = 0;
        while (measureRss && !p.HasExited)
        {
            peak = Math.Max(peak, ReadHwmKb(p.Id));
            await Task.Delay(5);
        }

        await p.WaitForExitAsync();
        var ms = clock.Elapsed.TotalMilliseconds;
        if (p.ExitCode is not (0 or 1))
            throw new InvalidOperationException($"evidencebot exited {p.ExitCode}: {await stderr}{await stdout}");
        return (ms, peak);
    }

    private static void Sync()
    {
        if (OperatingSystem.IsWindows())
            return;
        using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false })!;
        sync.WaitForExit();
    }

    private static long ReadHwmKb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
