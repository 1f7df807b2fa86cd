using System.Diagnostics;
using System.Globalization;
using System.Text;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;

namespace EvidenceBot.Bench;

/// <summary>
/// What the injected rule checkpoints (time bound, stack guard, memory look) cost on the warm run of issue 16: the same N
/// generated rules compiled twice, with checkpoints (as every run compiles them) and without (a bench-only compiler
/// switch, keyed apart in the cache), then loaded from their warm caches and run by the engine in this process, the
/// two interleaved round by round (which goes first alternates). The CLI's own warm run is timed too, so the difference
/// can be read against what a user waits for.
/// Usage (from the repository root): checkpoints [--cli PATH_TO_evidencebot.dll] [--rounds N] [--rules N].
/// </summary>
public static class CheckpointBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cli = RulesBench.Arg(args, "--cli") ?? Path.Combine(AppContext.BaseDirectory, "evidencebot.dll");
        var rounds = int.Parse(RulesBench.Arg(args, "--rounds") ?? "21", CultureInfo.InvariantCulture);
        var count = int.Parse(RulesBench.Arg(args, "--rules") ?? "100", CultureInfo.InvariantCulture);
        var root = Path.Combine(Directory.GetCurrentDirectory(), "bench", ".work", "checkpoints-" + Guid.NewGuid().ToString("N"));
        var rules = RulesBench.Generate(Path.Combine(root, "rules"), count);
        string withCache = Path.Combine(root, "cache-with"), withoutCache = Path.Combine(root, "cache-without");
        Console.WriteLine($"rules: {count}, rounds: {rounds}, cores: {Environment.ProcessorCount}");

        try
        {
            // Compile both ways (cold, untimed), then one untimed warm run each so the JIT has seen both.
            await WarmRunAsync(rules, withCache, off: false, expectWarm: false);
            await WarmRunAsync(rules, withoutCache, off: true, expectWarm: false);
            Console.WriteLine($"checkpoint calls in the compiled rules: with {Mentions(withCache)} assemblies naming RuleCheckpoint, without {Mentions(withoutCache)}");
            await WarmRunAsync(rules, withCache, off: false);
            await WarmRunAsync(rules, withoutCache, off: true);

            var with = new List<(double Load, double Run)>();
            var without = new List<(double Load, double Run)>();
            for (var i = 0; i < rounds; i++)
            {
                if (i % 2 == 0)
                {
                    with.Add(await WarmRunAsync(rules, withCache, off: false));
                    without.Add(await WarmRunAsync(rules, withoutCache, off: true));
                }
                else
                {
                    without.Add(await WarmRunAsync(rules, withoutCache, off: true));
                    with.Add(await WarmRunAsync(rules, withCache, off: false));
                }

                Console.WriteLine($"round {i + 1,2}: with checkpoints load {with[i].Load,6:0.00} + run {with[i].Run,6:0.00} ms; without load {without[i].Load,6:0.00} + run {without[i].Run,6:0.00} ms");
            }

            var withTotal = RulesBench.Median([.. with.Select(w => w.Load + w.Run)]);
            var withoutTotal = RulesBench.Median([.. without.Select(w => w.Load + w.Run)]);
            var withRun = RulesBench.Median([.. with.Select(w => w.Run)]);
            var withoutRun = RulesBench.Median([.. without.Select(w => w.Run)]);
            var ratios = with.Zip(without, (a, b) => (a.Load + a.Run) / (b.Load + b.Run)).ToList();
            Console.WriteLine($"engine run of {count} rules (median): with checkpoints {withRun:0.00} ms, without {withoutRun:0.00} ms, ratio {withRun / withoutRun:0.000}x");
            Console.WriteLine($"load from warm cache + run (median): with {withTotal:0.00} ms, without {withoutTotal:0.00} ms, ratio of medians {withTotal / withoutTotal:0.000}x, median of round ratios {RulesBench.Median(ratios):0.000}x");

            // What a user waits for: the CLI's warm run, as shipped (with checkpoints).
            await RulesBench.Run(cli, rules, withCache, root);
            var cliRuns = new List<double>();
            for (var i = 0; i < 5; i++)
                cliRuns.Add((await RulesBench.Run(cli, rules, withCache, root)).Ms);
            var cliWarm = RulesBench.Median(cliRuns);
            Console.WriteLine($"CLI warm run of {count} rules (median of 5): {cliWarm:0} ms; the checkpoints' share of it: {withTotal - withoutTotal:0.00} ms = {100 * (withTotal - withoutTotal) / cliWarm:0.00}%");
        }
        finally
        {
            CheckpointInjector.OffForBenchmark = false;
            try
            {
                Directory.Delete(root, true);
            }
            catch (IOException)
            {
            }
        }

        return 0;
    }

    /// <summary>Loads the rules from <paramref name="cache"/> and runs every one once; returns the two phases' times.</summary>
    private static async Task<(double Load, double Run)> WarmRunAsync(string rules, string cache, bool off, bool expectWarm = true)
    {
        CheckpointInjector.OffForBenchmark = off;
        var clock = Stopwatch.StartNew();
        var set = RuleSetLoader.Load(new RuleLoadOptions { RulesDirectory = rules, CacheDirectory = cache });
        var load = clock.Elapsed.TotalMilliseconds;
        if (set.HasErrors)
            throw new InvalidOperationException(string.Join("\n", set.Diagnostics.Select(d => d.Message)));
        if (expectWarm && set.Stats.Compiled != 0)
            throw new InvalidOperationException($"{set.Stats.Compiled} rule(s) compiled on a warm run: the cache is not warm");
        var engine = new RuleEngine(new EngineOptions(), TimeProvider.System);
        var executions = set.Rules.Select(r => new RuleExecution(r, "bench", r.Manifest.Parameters)).ToList();
        clock.Restart();
        var result = await engine.RunAsync(executions, "bench");
        var run = clock.Elapsed.TotalMilliseconds;
        if (result.Rules.FirstOrDefault(r => r.Verdict == Verdict.Error) is { } error)
            throw new InvalidOperationException($"{error.RuleId} ended in error: {error.Error}");
        return (load, run);
    }

    /// <summary>How many compiled rule images in <paramref name="cache"/> reference <c>RuleCheckpoint</c>: all of them with checkpoints, none without.</summary>
    private static int Mentions(string cache)
    {
        var name = Encoding.UTF8.GetBytes("RuleCheckpoint");
        return Directory.EnumerateFiles(cache, "*.dll", SearchOption.AllDirectories).Count(f => File.ReadAllBytes(f).AsSpan().IndexOf(name) >= 0);
    }
}
