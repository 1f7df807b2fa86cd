using System.Globalization;

namespace EvidenceBot.Bench;

/// <summary>
/// <c>--isolate process</c> against in-process: a warm `run` of N generated rules (cache filled first), each as a fresh
/// `evidencebot` process, the two modes interleaved round by round (which goes first alternates) so a load change on the
/// machine hits both. Prints each round's ratio and the ratio of the medians (target &lt;= 1.5x).
/// Usage (from the repository root): isolate [--cli PATH_TO_evidencebot.dll] [--rounds N] [--rules N].
/// </summary>
public static class IsolateBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cli = RulesBench.Arg(args, "--cli") ?? Path.Combine(AppContext.BaseDirectory, "evidencebot.dll");
        var rounds = int.Parse(RulesBench.Arg(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        var count = int.Parse(RulesBench.Arg(args, "--rules") ?? "100", CultureInfo.InvariantCulture);
        var root = Path.Combine(Directory.GetCurrentDirectory(), "bench", ".work", "isolate-" + Guid.NewGuid().ToString("N"));
        var rules = RulesBench.Generate(Path.Combine(root, "rules"), count);
        var cache = Path.Combine(root, "cache");
        Console.WriteLine($"evidencebot: {cli}");
        Console.WriteLine($"rules: {count}, rounds: {rounds}, cores: {Environment.ProcessorCount}");

        // Fill the cache, and run each mode once untimed: the first run after a build pays for the disk cache too.
        await RulesBench.Run(cli, rules, cache, root);
        await RulesBench.Run(cli, rules, cache, root, false, "--isolate", "process");

        var none = new List<double>();
        var process = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            if (i % 2 == 0)
            {
                none.Add((await RulesBench.Run(cli, rules, cache, root, false, "--isolate", "none")).Ms);
                process.Add((await RulesBench.Run(cli, rules, cache, root, false, "--isolate", "process")).Ms);
            }
            else
            {
                process.Add((await RulesBench.Run(cli, rules, cache, root, false, "--isolate", "process")).Ms);
                none.Add((await RulesBench.Run(cli, rules, cache, root, false, "--isolate", "none")).Ms);
            }

            Console.WriteLine($"round {i + 1}: in-process {none[i],6:0} ms, worker process {process[i],6:0} ms, ratio {process[i] / none[i]:0.00}x");
        }

        double n = RulesBench.Median(none), p = RulesBench.Median(process);
        var ratios = none.Zip(process, (a, b) => b / a).ToList();
        Console.WriteLine($"warm run, {count} rules, in-process:     {n,6:0} ms (median)");
        Console.WriteLine($"warm run, {count} rules, --isolate process: {p,6:0} ms (median)");
        Console.WriteLine($"ratio of medians: {p / n:0.00}x; median of round ratios: {RulesBench.Median(ratios):0.00}x (target <= 1.50x)");
        try
        {
            Directory.Delete(root, true);
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
