using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.Models;
using EvidenceBot.Sources.Models.Http;
using EvidenceBot.Sources.Models.Tests.Fake;

namespace EvidenceBot.Bench;

/// <summary>
/// Issue 13: every model rule on a fake MLflow registry of 1,000 registered models × 5 versions, 200 in production
/// (alias champion), each with a source run and a drift run of 20 monitored features, every answer taking 50 ms.
/// Reports requests sent against distinct resources needed, wall time against the ideal, and which calls dominate.
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- models [concurrency]</c>.
/// </summary>
public static class ModelsBench
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(50);
    private const int ModelCount = 1000;
    private const int VersionsPerModel = 5;
    private const int InProduction = 200;
    private const int Features = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var concurrency = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var root = Root();
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of([new ModelsSourceModule()]),
            RulesDirectory = Path.Combine(root, "rules", "models"),
            CacheDirectory = Path.Combine(Path.GetTempPath(), "evidencebot-bench-rule-cache-models"),
        });
        var rules = set.Rules.Where(r => r.Program is not null).ToList();
        foreach (var d in set.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
            Console.Error.WriteLine(d);
        Console.WriteLine($"{rules.Count} model rules; {ModelCount} models × {VersionsPerModel} versions, {InProduction} in production, {Features} monitored features; {Latency.TotalMilliseconds:0} ms per answer; concurrency {concurrency}");

        using var fake = FakeRegistries.Start(Latency);
        var now = DateTimeOffset.UtcNow;
        Build(fake, now);

        var warm = await Measure(fake, rules, concurrency, now);
        Console.WriteLine($"  (warm-up run: {warm.WallMs:0} ms, not counted)");
        var run = await Measure(fake, rules, concurrency, now);

        var ideal = run.Sent * Latency.TotalMilliseconds / concurrency;
        // The searches must answer before any run can be asked for: one round trip the slots cannot hide.
        var criticalPath = Latency.TotalMilliseconds + ((run.Sent - 2) * Latency.TotalMilliseconds / concurrency);
        Console.WriteLine();
        Console.WriteLine("| measure | value | target |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine($"| requests sent / distinct resources needed | {run.Sent} / {run.Distinct} = {(double)run.Sent / run.Distinct:0.000} | 1.000 |");
        Console.WriteLine($"| requests rules asked (before coalescing) | {run.Asked} | |");
        Console.WriteLine($"| wall time / ideal ({run.Sent} × {Latency.TotalMilliseconds:0} ms / {concurrency}) | {run.WallMs:0} ms / {ideal:0} ms = {run.WallMs / ideal:0.00}× | ≤ 1.30× |");
        Console.WriteLine($"| wall time / critical path (searches, then runs) | {run.WallMs:0} ms / {criticalPath:0} ms = {run.WallMs / criticalPath:0.00}× | |");
        var runIdeal = (run.Sent - 2) * Latency.TotalMilliseconds / concurrency;
        Console.WriteLine($"| start → first runs/get (rule compile-free start, both searches, parse) | {run.SearchPhaseMs:0} ms | ideal {Latency.TotalMilliseconds:0} ms |");
        Console.WriteLine($"| first → last runs/get answered | {run.RunPhaseMs:0} ms / {runIdeal:0} ms = {run.RunPhaseMs / runIdeal:0.00}× | |");
        Console.WriteLine($"| last answer → verdicts (rule CPU) | {run.WallMs - run.SearchPhaseMs - run.RunPhaseMs:0} ms | |");
        foreach (var (endpoint, count) in run.ByEndpoint)
            Console.WriteLine($"| requests to {endpoint} | {count} | |");
        Console.WriteLine($"| verdicts (mlflow target) | {run.Verdicts} | |");
        var ok = run.Sent == run.Distinct && run.WallMs <= 1.3 * ideal;
        Console.WriteLine(ok ? "all targets met" : "some target missed");
        return ok ? 0 : 1;
    }

    private sealed record Measurement(int Asked, int Sent, int Distinct, double WallMs, string Verdicts, IReadOnlyList<(string, int)> ByEndpoint,
        double SearchPhaseMs = 0, double RunPhaseMs = 0);

    private static async Task<Measurement> Measure(FakeRegistries fake, List<LoadedRule> rules, int concurrency, DateTimeOffset now)
    {
        var before = fake.Requests.Count;
        var options = new ModelsOptions
        {
            Registries = [new RegistryOptions { Name = "bench", Kind = RegistryKind.MLflow, Url = fake.Url }],
            Policy = new RegistryHttpPolicy { Concurrency = concurrency, MaxRetries = 0 },
        };
        using var session = new ModelsSession(options, TimeProvider.System);
        var executions = rules.Select(r =>
        {
            var p = new Dictionary<string, JsonElement>(r.Manifest.Parameters);
            if (r.Manifest.Id == "MODEL-ARTIFACT-ORIGIN")
                p["approvedLocations"] = JsonSerializer.SerializeToElement(new[] { "s3://bench-models/" });
            return new RuleExecution(r, "bench", p, session.ServicesFor("bench"));
        }).ToList();
        if (Environment.GetEnvironmentVariable("EB_BENCH_PROBE") == "1")
        {
            var probe = Stopwatch.StartNew();
            var production = await session.For("bench").ProductionVersionsAsync();
            Console.WriteLine($"  probe: searches + parse {probe.ElapsedMilliseconds} ms ({production.Count} in production)");
            probe.Restart();
            await session.For("bench").ProductionVersionsAsync();
            Console.WriteLine($"  probe: parse again (coalesced) {probe.ElapsedMilliseconds} ms");
            probe.Restart();
            await session.For("bench").RunsAsync(production.Select(v => v.RunId).Concat(production.Select(v => v.Field("drift_run_id"))));
            Console.WriteLine($"  probe: 400 runs/get at once {probe.ElapsedMilliseconds} ms");
        }

        var engine = new RuleEngine(new EngineOptions { MaxParallelism = rules.Count, DefaultRuleTimeout = TimeSpan.FromMinutes(10) }, TimeProvider.System);
        var timelineBefore = fake.Timeline.Count;
        var started = Stopwatch.GetTimestamp();
        var clock = Stopwatch.StartNew();
        var result = await engine.RunAsync(executions, "bench");
        clock.Stop();
        var timeline = fake.Timeline.Skip(timelineBefore).ToList();
        var runTimes = timeline.Where(t => t.Request.Contains("runs/get", StringComparison.Ordinal)).Select(t => t.At).ToList();
        var firstRun = runTimes.Count > 0 ? Stopwatch.GetElapsedTime(started, runTimes.Min()).TotalMilliseconds : 0;
        var lastRun = runTimes.Count > 0 ? Stopwatch.GetElapsedTime(started, runTimes.Max()).TotalMilliseconds + Latency.TotalMilliseconds : 0;
        foreach (var r in result.Rules.Where(r => r.Verdict == Verdict.Error))
            Console.Error.WriteLine($"  {r.RuleId}: {r.Error} {string.Join(" | ", r.Findings.Where(f => f.Status == Verdict.Error).Take(2).Select(f => f.Message))}");
        var requests = fake.Requests.Skip(before).ToList();
        var byEndpoint = requests.Select(r => r.Split('?')[0].Replace("GET /api/2.0/mlflow/", "", StringComparison.Ordinal))
            .GroupBy(e => e).OrderByDescending(g => g.Count()).Select(g => (g.Key, g.Count())).ToList();
        var verdicts = string.Join(" ", result.Rules.OrderBy(r => r.RuleId, StringComparer.Ordinal).Select(r => $"{r.RuleId[6..]}={r.Verdict}"));
        Console.WriteLine($"  {requests.Count} requests, {clock.Elapsed.TotalMilliseconds:0} ms");
        return new Measurement(session.Stats.Asked, requests.Count, requests.Distinct(StringComparer.Ordinal).Count(), clock.Elapsed.TotalMilliseconds, verdicts, byEndpoint,
            firstRun, lastRun - firstRun);
    }

    private static void Build(FakeRegistries fake, DateTimeOffset now)
    {
        fake.PageSize = 10000; // the OSS server's default page of model versions
        for (var m = 0; m < ModelCount; m++)
        {
            var name = $"model-{m:D4}";
            var model = new FakeMlflowModel { Name = name };
            var production = m % (ModelCount / InProduction) == 0;
            if (production)
            {
                model.Aliases["champion"] = VersionsPerModel.ToString(CultureInfo.InvariantCulture);
                model.Tags["owner"] = "team@bench.example";
                model.Tags["intended_purpose"] = "bench";
                model.Tags["risk_level"] = m % 3 == 0 ? "high" : "limited";
                model.Tags["model_card"] = "https://wiki.bench.example/" + name;
                model.Tags["human_oversight"] = "review";
            }

            fake.Models.Add(model);
            for (var v = 1; v <= VersionsPerModel; v++)
            {
                var runId = $"run-{m:D4}-{v}";
                var version = new FakeMlflowVersion
                {
                    Model = name, Version = v.ToString(CultureInfo.InvariantCulture), UserId = "alice@bench.example", RunId = runId,
                    Source = $"runs:/{runId}/model", Created = now.AddDays(-50 + v), Updated = now.AddDays(-10),
                };
                fake.Versions.Add(version);
                if (!production || v != VersionsPerModel)
                    continue;
                version.Tags["approved_by"] = "bob@bench.example";
                version.Tags["approval_date"] = now.AddDays(-11).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                version.Tags["drift_run_id"] = "drift-" + name;
                var run = new FakeRun { RunId = runId, User = "alice@bench.example", ArtifactUri = $"s3://bench-models/{runId}/artifacts" };
                run.Datasets.Add(new FakeDataset("train", "abc123"));
                run.Metrics.Add(new FakeMetric("eval.accuracy", "0.9", now.AddDays(-3)));
                run.Metrics.Add(new FakeMetric("eval.demographic_parity_difference", "0.02", now.AddDays(-3)));
                fake.Runs[runId] = run;
                var drift = new FakeRun { RunId = "drift-" + name };
                for (var f = 0; f < Features; f++)
                {
                    drift.Metrics.Add(new FakeMetric($"drift.psi.f{f:D2}", "0.05", now.AddDays(-1)));
                    drift.Metrics.Add(new FakeMetric($"drift.ks_pvalue.f{f:D2}", "0.5", now.AddDays(-1)));
                }

                fake.Runs[drift.RunId] = drift;
            }
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
}
