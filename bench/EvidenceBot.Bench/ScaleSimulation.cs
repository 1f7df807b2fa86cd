using System.Globalization;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Bench;

/// <summary>
/// A discrete-event simulation, on a virtual clock (nothing sleeps), of a sharded GitHub run: R repositories of one
/// organisation split over S shards by the same stable hash as <c>run --shard</c>, each shard a process with C requests in
/// flight, each request L long, tokens of B requests per hour (GitHub's primary limit: a window that resets one hour after
/// its first request), shard s using token s mod T. Prints requests, wall time and rate-limit waits.
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- scale-sim [--repos 50000] [--shards 20] [--tokens 20]
/// [--per-repo 8.3] [--per-org 10] [--latency-ms 50] [--concurrency 8] [--budget 5000]</c>.
/// </summary>
public static class ScaleSimulation
{
    /// <summary>The model's inputs.</summary>
    public sealed record Model
    {
        public int Repositories { get; init; } = 50_000;
        public int Shards { get; init; } = 20;
        public int Tokens { get; init; } = 20;
        /// <summary>Requests per repository for the whole rule set (the <c>github</c> bench measures it: 10 rules).</summary>
        public double PerRepository { get; init; } = 8.3;
        /// <summary>Organisation-level requests every shard makes again (its own list of repositories, org settings).</summary>
        public int PerOrganisation { get; init; } = 10;
        public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(50);
        public int Concurrency { get; init; } = 8;
        public int BudgetPerHour { get; init; } = 5000;
    }

    /// <summary>What the simulation measured.</summary>
    public sealed record Outcome(long Requests, TimeSpan Wall, int RateLimitWaits, TimeSpan LongestWait, TimeSpan WaitedTotal, int SmallestShard, int LargestShard, TimeSpan IdealWall);

    public static int Run(string[] args)
    {
        var model = new Model
        {
            Repositories = Int(args, "--repos", 50_000),
            Shards = Int(args, "--shards", 20),
            Tokens = Int(args, "--tokens", 20),
            PerRepository = double.Parse(Arg(args, "--per-repo") ?? "8.3", CultureInfo.InvariantCulture),
            PerOrganisation = Int(args, "--per-org", 10),
            Latency = TimeSpan.FromMilliseconds(Int(args, "--latency-ms", 50)),
            Concurrency = Int(args, "--concurrency", 8),
            BudgetPerHour = Int(args, "--budget", 5000),
        };
        Console.WriteLine($"scale simulation: {model.Repositories:N0} repositories x 10 rules, {model.Shards} shards x {model.Concurrency} in flight, "
            + $"{model.Tokens} tokens x {model.BudgetPerHour:N0}/h, {model.Latency.TotalMilliseconds:0} ms per request, {model.PerOrganisation} org-level requests per shard");
        foreach (var perRepo in new[] { model.PerRepository, 3.0 }.Distinct())
        {
            var m = model with { PerRepository = perRepo };
            var o = Simulate(m);
            Console.WriteLine($"{perRepo,4:0.0} requests/repository: {o.Requests,9:N0} requests; wall {Hours(o.Wall)} (without rate limits {Hours(o.IdealWall)}); "
                + $"{o.RateLimitWaits} rate-limit waits (longest {Hours(o.LongestWait)}, {Hours(o.WaitedTotal)} token-hours idle); shards hold {o.SmallestShard:N0} to {o.LargestShard:N0} repositories");
        }

        return 0;
    }

    /// <summary>Runs the model. Deterministic: the same model gives the same outcome.</summary>
    public static Outcome Simulate(Model m)
    {
        ArgumentNullException.ThrowIfNull(m);
        // Repositories per shard by the run's own hash, so the simulated partition is the real one.
        var repos = new int[m.Shards];
        for (var i = 0; i < m.Repositories; i++)
            repos[ShardFilter.Of($"big-org/repo-{i:D6}", m.Shards)]++;
        var left = repos.Select(r => (long)Math.Round(r * m.PerRepository) + m.PerOrganisation).ToArray();
        var total = left.Sum();

        var remaining = Enumerable.Repeat(m.BudgetPerHour, m.Tokens).ToArray();
        var windowEnds = new TimeSpan?[m.Tokens];
        var exhaustedAt = new TimeSpan?[m.Tokens];
        var hour = TimeSpan.FromHours(1);
        var waits = 0;
        TimeSpan longest = TimeSpan.Zero, waited = TimeSpan.Zero, wall = TimeSpan.Zero;

        // One event per free request slot: (when it is free, which shard). Every shard starts with all its slots free.
        var slots = new PriorityQueue<int, TimeSpan>();
        for (var s = 0; s < m.Shards; s++)
        {
            for (var c = 0; c < m.Concurrency; c++)
                slots.Enqueue(s, TimeSpan.Zero);
        }

        while (slots.TryDequeue(out var shard, out var now))
        {
            if (left[shard] == 0)
                continue; // this slot has nothing more to do
            var token = shard % m.Tokens;
            if (windowEnds[token] is { } end && now >= end)
            {
                remaining[token] = m.BudgetPerHour;
                windowEnds[token] = null;
                if (exhaustedAt[token] is { } since)
                {
                    var wait = end - since;
                    waited += wait;
                    longest = wait > longest ? wait : longest;
                    exhaustedAt[token] = null;
                }
            }

            if (remaining[token] == 0)
            {
                // The token is spent: this slot waits for its window to reset (one wait per exhaustion, however many slots wait).
                if (exhaustedAt[token] is null)
                {
                    exhaustedAt[token] = now;
                    waits++;
                }

                slots.Enqueue(shard, windowEnds[token]!.Value);
                continue;
            }

            windowEnds[token] ??= now + hour;
            remaining[token]--;
            left[shard]--;
            var done = now + m.Latency;
            wall = done > wall ? done : wall;
            slots.Enqueue(shard, done);
        }

        var ideal = TimeSpan.FromTicks(repos.Max(r => (long)((Math.Round(r * m.PerRepository) + m.PerOrganisation) * m.Latency.Ticks / m.Concurrency)));
        return new Outcome(total, wall, waits, longest, waited, repos.Min(), repos.Max(), ideal);
    }

    private static string Hours(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes:D2} min {t.Seconds:D2} s" : t.TotalMinutes >= 1 ? $"{t.Minutes} min {t.Seconds:D2} s" : $"{t.TotalSeconds:0.0} s";

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Int(string[] args, string name, int fallback) =>
        Arg(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
