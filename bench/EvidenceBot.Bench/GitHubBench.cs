using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.GitHub;
using EvidenceBot.Sources.GitHub.Tests.Fake;

namespace EvidenceBot.Bench;

/// <summary>
/// Every GitHub rule on a fake organisation (200 repositories by default) whose every answer takes 50 ms.
/// Measures, on the organisation path: requests per repository on a first run, the share answered 304 (or, for GraphQL,
/// identical to the first run) on a second run with the ETag cache, GraphQL points, requests sent against distinct
/// resources needed and wall time against the ideal <c>requests × latency / concurrency</c>; then the per-repository path
/// for comparison (same verdicts and findings required), and the rules without coalescing, sequentially.
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- github [repos] [concurrency]</c>
/// (<c>EB_BENCH_SKIP_NAIVE=1</c> skips the sequential run); <c>... -- github record-demo</c> re-records examples/demo/github.
/// </summary>
public static class GitHubBench
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Root();
        var rulesDir = Path.Combine(root, "rules", "github");
        var cacheDir = Path.Combine(Path.GetTempPath(), "evidencebot-bench-rule-cache");
        if (args.Length > 0 && args[0] == "record-demo")
        {
            var outDir = args.Length > 1 ? args[1] : Path.Combine(root, "examples", "demo", "github");
            var n = await DemoEstate.RecordAsync(rulesDir, outDir, cacheDir);
            Console.WriteLine($"recorded {n} exchange(s) into {outDir}");
            return 0;
        }

        var repoCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        var set = RuleSetLoader.Load(new RuleLoadOptions { Contracts = SourceContracts.Of([new GitHubSourceModule()]), RulesDirectory = rulesDir, CacheDirectory = cacheDir });
        var rules = set.Rules.Where(r => r.Program is not null && r.Manifest.Sources.Contains("github")).ToList();
        Console.WriteLine($"{rules.Count} GitHub rules, {repoCount} repositories, {Latency.TotalMilliseconds:0} ms per answer, concurrency {concurrency}");

        using var fake = FakeGitHub.Start(Latency);
        Build(fake, repoCount);
        fake.CacheAnswers = true;
        using var etag = new TempFolder();

        // Warm-up on the same fake (JIT, connection pool, the fake's answer cache), without an ETag cache, not measured.
        var warm = await Measure(fake, rules, new Setup(concurrency, null, Coalesce: true, RuleParallelism: rules.Count));
        Console.WriteLine($"  (warm-up run above: {warm.WallMs:0} ms, not counted)");

        var first = await Measure(fake, rules, new Setup(concurrency, etag.Path, Coalesce: true, RuleParallelism: rules.Count));
        var second = await Measure(fake, rules, new Setup(concurrency, etag.Path, Coalesce: true, RuleParallelism: rules.Count));
        var perRepo = await Measure(fake, rules, new Setup(concurrency, null, Coalesce: true, RuleParallelism: rules.Count, Path: GitHubApiPath.Repo));
        var skipNaive = Environment.GetEnvironmentVariable("EB_BENCH_SKIP_NAIVE") == "1";
        var naive = skipNaive ? perRepo : await Measure(fake, rules, new Setup(1, null, Coalesce: false, RuleParallelism: 1, Path: GitHubApiPath.Repo));

        var ideal = first.Sent * Latency.TotalMilliseconds / concurrency;
        var perRepository = (double)first.Sent / repoCount;
        var answeredAgain = second.NotModified + second.UnchangedGraphQL;
        Console.WriteLine();
        Console.WriteLine("| measure | value | target |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine($"| run 1 (organisation path): requests / repositories | {first.Sent} / {repoCount} = {perRepository:0.00} | ≤ 3 |");
        Console.WriteLine($"| run 1: GraphQL queries, rate-limit points | {first.GraphQLQueries} queries, {first.GraphQLPoints} points | |");
        Console.WriteLine($"| run 2: answered 304, or GraphQL identical to run 1 / requests | ({second.NotModified} + {second.UnchangedGraphQL}) / {second.Sent} = {100.0 * answeredAgain / Math.Max(1, second.Sent):0.0}% | ≥ 90% |");
        Console.WriteLine($"| run 2: answered 304 alone | {second.NotModified} / {second.Sent} = {100.0 * second.NotModified / Math.Max(1, second.Sent):0.0}% | |");
        Console.WriteLine($"| requests sent / distinct resources needed (run 1) | {first.Sent} / {first.Distinct} = {(double)first.Sent / first.Distinct:0.000} | 1.000 |");
        Console.WriteLine($"| requests asked by rules (run 1) | {first.Asked} | |");
        Console.WriteLine($"| wall time run 1 / ideal ({first.Sent} × {Latency.TotalMilliseconds:0} ms / {concurrency}) | {first.WallMs:0} ms / {ideal:0} ms = {first.WallMs / ideal:0.00}× | |");
        Console.WriteLine($"| run 2 wall time | {second.WallMs:0} ms | |");
        Console.WriteLine($"| per-repository path (GHES before 3.11): requests / repositories | {perRepo.Sent} / {repoCount} = {(double)perRepo.Sent / repoCount:0.00} | |");
        Console.WriteLine($"| per-repository path wall time | {perRepo.WallMs:0} ms | |");
        if (!skipNaive)
        {
            Console.WriteLine($"| naive (per repository, no coalescing, sequential) requests | {naive.Sent} | |");
            Console.WriteLine($"| naive wall time / run 1 wall time | {naive.WallMs:0} ms / {first.WallMs:0} ms = {naive.WallMs / first.WallMs:0.0}× | |");
        }

        Console.WriteLine($"| verdicts run 1 / run 2 / per-repository{(skipNaive ? "" : " / naive")} | {first.Verdicts} / {second.Verdicts} / {perRepo.Verdicts}{(skipNaive ? "" : " / " + naive.Verdicts)} | equal |");
        Console.WriteLine($"| findings digest run 1 / per-repository path | {first.Findings[..12]} / {perRepo.Findings[..12]} | equal |");
        var ok = perRepository <= 3 && answeredAgain >= 0.9 * second.Sent && first.Sent == first.Distinct
            && first.Verdicts == second.Verdicts && first.Verdicts == perRepo.Verdicts && first.Verdicts == naive.Verdicts && first.Findings == perRepo.Findings;
        Console.WriteLine(ok ? "all targets met" : "some target missed");
        return ok ? 0 : 1;
    }

    private sealed record Setup(int Concurrency, string? EtagDirectory, bool Coalesce, int RuleParallelism, GitHubApiPath Path = GitHubApiPath.Org);

    private sealed record Measurement(int Asked, int Sent, int Distinct, int NotModified, int UnchangedGraphQL, int GraphQLQueries, int GraphQLPoints, double WallMs, string Verdicts, string Findings);

    private static async Task<Measurement> Measure(FakeGitHub fake, List<LoadedRule> rules, Setup setup)
    {
        fake.ResetLog();
        var options = new GitHubSourceOptions
        {
            BaseUrl = fake.BaseUrl,
            Token = "ghp_benchTokenValue000000000000000000",
            Organizations = ["bench-org"],
            Concurrency = setup.Concurrency,
            EtagCacheDirectory = setup.EtagDirectory,
            CoalesceRequests = setup.Coalesce,
            Path = setup.Path,
        };
        using var session = new GitHubSession(options, TimeProvider.System);
        var services = new Dictionary<Type, object> { [typeof(IGitHubSource)] = session.For("bench-org") };
        var executions = rules.Select(r => new RuleExecution(r, "bench-org", new Dictionary<string, JsonElement>(r.Manifest.Parameters), services)).ToList();
        var engine = new RuleEngine(new EngineOptions { MaxParallelism = setup.RuleParallelism, DefaultRuleTimeout = TimeSpan.FromMinutes(10) }, TimeProvider.System);
        var clock = Stopwatch.StartNew();
        var samples = new List<int>();
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                samples.Add(session.InFlight);
                await Task.Delay(10);
            }
        });
        var result = await engine.RunAsync(executions, "bench");
        clock.Stop();
        await stop.CancelAsync();
        await sampler;
        var quarter = Math.Max(1, samples.Count / 4);
        Console.WriteLine($"  in flight: mean {samples.DefaultIfEmpty().Average():0.0} of {setup.Concurrency}; by quarter {string.Join(" / ", samples.Chunk(quarter).Select(c => c.Average().ToString("0.0", CultureInfo.InvariantCulture)))}");
        var requests = fake.Requests;
        var verdicts = string.Join(",", result.Rules.OrderBy(r => r.RuleId, StringComparer.Ordinal).Select(r => r.Verdict.ToString()[0]));
        foreach (var r in result.Rules.Where(r => r.Verdict == Verdict.Error))
            Console.Error.WriteLine($"  {r.RuleId}: {r.Error}");
        var findings = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            result.Rules.OrderBy(r => r.RuleId, StringComparer.Ordinal).SelectMany(r => r.Findings.OrderBy(f => f.Resource, StringComparer.Ordinal).ThenBy(f => f.Message, StringComparer.Ordinal)
                .Select(f => $"{r.RuleId} {f.Resource} {f.Status} {f.Message} {(f.Observed is { } o ? JsonSerializer.Serialize(o) : "")}"))))));
        Console.WriteLine($"  {setup.Path} path, {(setup.Coalesce ? "coalesced" : "naive")}{(setup.EtagDirectory is null ? "" : " + ETag cache")}: {requests.Count} requests, {fake.NotModified} answered 304, "
            + $"{fake.UnchangedPosts} GraphQL answers as before, {session.Usage.GraphQLPoints} GraphQL points, {clock.Elapsed.TotalMilliseconds:0} ms, verdicts {verdicts}");
        return new Measurement(session.Stats.Asked, requests.Count, requests.Distinct(StringComparer.Ordinal).Count(), fake.NotModified, fake.UnchangedPosts,
            session.Usage.GraphQLQueries, session.Usage.GraphQLPoints, clock.Elapsed.TotalMilliseconds, verdicts, findings);
    }

    private static void Build(FakeGitHub fake, int repos)
    {
        var org = fake.AddOrg("bench-org");
        org.Members.AddRange([new("owner-1", Admin: true), new("owner-2", Admin: true), new("dev-1"), new("dev-2")]);
        org.AuditEvents.Add(("repo.create", DateTimeOffset.UtcNow.AddHours(-1)));
        const string pr = """{"required_approving_review_count":2,"require_code_owner_review":true,"dismiss_stale_reviews_on_push":true}""";
        for (var i = 0; i < repos; i++)
        {
            var r = new FakeRepo { Name = $"service-{i:D3}" };
            if (i % 4 == 0)
                r.Rulesets.Add(new FakeRuleset(1000 + i, "default-branch", [("pull_request", pr), ("non_fast_forward", null), ("deletion", null)]));
            else if (i % 4 != 3)
                r.Protection = new FakeProtection();
            if (i % 10 == 0)
                r.DependabotAlerts!.Add(new FakeAlert(1, "high", DateTimeOffset.UtcNow.AddDays(-90)));
            if (i % 7 == 0)
                r.DeployKeys.Add(new FakeDeployKey(i, "ci", true, DateTimeOffset.UtcNow.AddDays(-5)));
            org.Repos.Add(r);
        }
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                return dir.FullName;
        }

        return Directory.GetCurrentDirectory();
    }

    private sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "evidencebot-bench-etag-" + Guid.NewGuid().ToString("N")[..8]);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
