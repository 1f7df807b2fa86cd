using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.Azure;
using EvidenceBot.Sources.Azure.Tests.Fake;
using EvidenceBot.Sources.Http;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Bench;

/// <summary>
/// Issue 12: every Azure rule on a fake tenant of 20 subscriptions × 500 resources whose every answer takes 50 ms.
/// Measures requests sent against distinct requests needed, wall time against the ideal
/// <c>requests × latency / concurrency</c>, Resource Graph against per-subscription listing, and how much of a
/// second run's answers were unchanged (304 or the same body).
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- azure [subscriptions] [resources] [concurrency]</c>;
/// <c>... -- azure record-demo</c> re-records examples/demo/azure.
/// </summary>
public static class AzureBench
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(50);
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Root();
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of([new AzureSourceModule()]),
            RulesDirectory = Path.Combine(root, "rules", "azure"),
            CacheDirectory = Path.Combine(Path.GetTempPath(), "evidencebot-bench-azure-rule-cache"),
        });
        if (set.HasErrors)
        {
            Console.Error.WriteLine(string.Join(Environment.NewLine, set.Diagnostics));
            return 1;
        }

        var rules = set.Rules.Where(r => r.Program is not null).ToList();
        if (args.Length > 0 && args[0] == "record-demo")
            return await RecordDemoAsync(rules, args.Length > 1 ? args[1] : Path.Combine(root, "examples", "demo", "azure"));

        var subs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var perSub = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;
        var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        Console.WriteLine($"{rules.Count} Azure rules, {subs} subscriptions × {perSub} resources, {Latency.TotalMilliseconds:0} ms per answer, concurrency {concurrency}");

        using var fake = FakeArm.Start(Latency);
        Build(fake, subs, perSub);
        fake.PageSize = 1000;

        // Warm-up on the same fake (JIT, connection pool), not measured.
        var warm = await Measure(fake, rules, concurrency, resourceGraph: true, previous: null);
        Console.WriteLine($"  (warm-up run above: {warm.WallMs:0} ms, not counted)");
        var graph = await Measure(fake, rules, concurrency, resourceGraph: true, previous: null);
        var second = await Measure(fake, rules, concurrency, resourceGraph: true, previous: graph.Bodies);
        var listing = await Measure(fake, rules, concurrency, resourceGraph: false, previous: null);

        Console.WriteLine();
        Console.WriteLine("| measure | Resource Graph | per-subscription listing | target |");
        Console.WriteLine("| --- | --- | --- | --- |");
        Console.WriteLine($"| requests sent | {graph.Sent} | {listing.Sent} | |");
        Console.WriteLine($"| distinct requests needed | {graph.Distinct} | {listing.Distinct} | sent = needed |");
        Console.WriteLine($"| of which resource enumeration | {graph.Enumeration} | {listing.Enumeration} | |");
        Console.WriteLine($"| wall time | {graph.WallMs:0} ms | {listing.WallMs:0} ms | |");
        Console.WriteLine($"| ideal (sent × 50 ms / {concurrency}) | {graph.IdealMs(concurrency):0} ms | {listing.IdealMs(concurrency):0} ms | |");
        Console.WriteLine($"| wall / ideal | {graph.WallMs / graph.IdealMs(concurrency):0.00}× | {listing.WallMs / listing.IdealMs(concurrency):0.00}× | ≤ 1.3× |");
        Console.WriteLine($"| verdicts | {graph.Verdicts} | {listing.Verdicts} | same |");
        Console.WriteLine();
        Console.WriteLine($"second run (Resource Graph): {second.Sent} sent, {second.NotModified} answered 304, {second.Unchanged} of {second.Sent} unchanged bodies ({100.0 * second.Unchanged / Math.Max(1, second.Sent):0.0}%), {second.WallMs:0} ms");
        Console.WriteLine($"Octokit loaded in this process after Azure rules only: {AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Octokit")}");
        return 0;
    }

    private sealed record Run(int Sent, int Distinct, int Enumeration, double WallMs, int NotModified, int Unchanged, string Verdicts, Dictionary<string, string> Bodies)
    {
        public double IdealMs(int concurrency) => Sent * Latency.TotalMilliseconds / concurrency;
    }

    private sealed class Sink : IExchangeSink
    {
        public ConcurrentBag<HttpExchange> All { get; } = [];

        public void Add(HttpExchange exchange) => All.Add(exchange);
    }

    private static async Task<Run> Measure(FakeArm fake, IReadOnlyList<LoadedRule> rules, int concurrency, bool resourceGraph, Dictionary<string, string>? previous)
    {
        var sink = new Sink();
        var before = fake.Requests.Count;
        var clock = new FakeTimeProvider(Now);
        var options = Options(fake) with { Concurrency = concurrency, UseResourceGraph = resourceGraph };
        using var session = AzureSourceModule.Open(options, new Redactor(), clock, sink);
        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = TimeSpan.FromMinutes(10) }, clock);
        var executions = session.Targets.SelectMany(t => rules.Select(r =>
            new RuleExecution(r, t, Parameters(r), session.ServicesFor(t)))).ToList();
        var sw = Stopwatch.StartNew();
        var results = await Task.WhenAll(executions.Select(e => engine.ExecuteAsync(e)));
        sw.Stop();
        var verdicts = string.Join(", ", results.GroupBy(r => r.Verdict).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        var keys = sink.All.Select(e => ReplayHandler.Key(e.Method, new Uri(e.Url), e.RequestBody)).ToList();
        var bodies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in sink.All)
            bodies[ReplayHandler.Key(e.Method, new Uri(e.Url), e.RequestBody)] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e.Body ?? "")));
        var unchanged = previous is null ? 0 : bodies.Count(b => previous.TryGetValue(b.Key, out var old) && old == b.Value);
        var enumeration = keys.Count(k => k.Contains("Microsoft.ResourceGraph", StringComparison.Ordinal) || EnumerationList(k));
        var errors = results.Where(r => r.Verdict == Verdict.Error).Select(r => r.Error).Distinct().Take(3).ToList();
        foreach (var e in errors)
            Console.WriteLine($"  error: {e}");
        Console.WriteLine($"  {(resourceGraph ? "Resource Graph" : "listing")}: {fake.Requests.Count - before} requests at the fake, {sw.Elapsed.TotalMilliseconds:0} ms; {verdicts}");
        return new Run(session.Traffic.RequestsSent, keys.Distinct().Count(), enumeration, sw.Elapsed.TotalMilliseconds, session.Traffic.NotModified, unchanged, verdicts, bodies);
    }

    /// <summary>The header's defaults, with the estate's allow-listed owner (Alice) for the privileged-roles rule.</summary>
    private static Dictionary<string, JsonElement> Parameters(LoadedRule rule)
    {
        var parameters = new Dictionary<string, JsonElement>(rule.Manifest.Parameters, StringComparer.Ordinal);
        if (rule.Manifest.Id == "AZ-PRIVILEGED-ROLES")
            parameters["allowedPrincipals"] = JsonSerializer.SerializeToElement(new[] { Estate.Alice });
        return parameters;
    }

    private static bool EnumerationList(string key)
    {
        // GET /subscriptions/{id}/providers/{ns}/{type}?api-version=… : a per-subscription resource list.
        var path = key.Split(' ')[1].Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        return path.Length == 5 && path[0] == "subscriptions" && path[2] == "providers" && path[3] != "Microsoft.Authorization" && path[3] != "Microsoft.Security";
    }

    private static AzureSourceOptions Options(FakeArm fake) => new()
    {
        Subscriptions = [.. fake.Subscriptions.Select(s => s.Id)],
        TenantId = FakeArm.TenantId,
        Cloud = "custom",
        ArmEndpoint = new Uri($"https://{FakeArm.ArmHost}/"),
        ArmAudience = $"https://{FakeArm.ArmHost}/",
        GraphEndpoint = new Uri("https://graph.fake.test/"),
        AuthorityHost = new Uri("https://login.fake.test/"),
        Credential = AzureCredentialKind.ClientSecret,
        ClientId = "c0ffee00-0000-0000-0000-000000000001",
        ClientSecret = "bench-client-secret-value",
        Transport = new LoopbackRewrite(fake.BaseUrl),
    };

    /// <summary>Per subscription: the compliant estate, then vaults, storage accounts and workspaces up to <paramref name="perSub"/> resources.</summary>
    private static void Build(FakeArm fake, int subs, int perSub)
    {
        for (var i = 0; i < subs; i++)
        {
            var id = $"{i:x8}-0000-4000-8000-{i:x12}";
            var s = Estate.Compliant(fake, id);
            for (var n = s.Resources.Count; n < perSub; n++)
            {
                var kind = n % 5;
                var name = $"r{n:0000}";
                var resource = kind switch
                {
                    0 or 1 => Estate.Vault(id, "rg-bulk", "kv" + name),
                    2 or 3 => Estate.Storage(id, "rg-bulk", "st" + name),
                    _ => Estate.Workspace(id, "rg-bulk", "mlw" + name),
                };
                s.Resources.Add(resource);
                var rid = (string)resource["id"]!;
                if (kind is 2 or 3)
                    s.DiagnosticSettings[rid + "/blobServices/default"] = [Estate.Diagnostic(rid + "/blobServices/default", "to-law", ["StorageRead", "StorageWrite", "StorageDelete"])];
                else
                    s.DiagnosticSettings[rid] = [Estate.Diagnostic(rid, "to-law", ["+allLogs"])];
                if (kind == 4)
                    s.Computes[rid] = [Estate.Compute(rid, "cpu")];
            }
        }
    }

    private static async Task<int> RecordDemoAsync(IReadOnlyList<LoadedRule> rules, string outDir)
    {
        using var fake = FakeArm.Start();
        DemoEstate.Build(fake);
        var sink = new Sink();
        var clock = new FakeTimeProvider(Now);
        using (var session = AzureSourceModule.Open(Options(fake), new Redactor(), clock, sink))
        {
            var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = TimeSpan.FromMinutes(1) }, clock);
            foreach (var target in session.Targets)
            {
                foreach (var rule in rules)
                {
                    var result = await engine.ExecuteAsync(new RuleExecution(rule, target, Parameters(rule), session.ServicesFor(target)));
                    Console.WriteLine($"  {target} {rule.Manifest.Id}: {result.Verdict}");
                }
            }
        }

        if (Directory.Exists(outDir))
        {
            foreach (var f in Directory.EnumerateFiles(outDir, "*.json"))
                File.Delete(f);
        }

        Directory.CreateDirectory(outDir);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in sink.All.OrderBy(e => e.Url, StringComparer.Ordinal))
        {
            // The demo reads as the public cloud: the fake's hosts become ARM's and Graph's.
            var real = e with
            {
                Url = Public(e.Url),
                Body = e.Body is null ? null : Public(e.Body),
                At = Now,
                ResponseHeaders = e.ResponseHeaders.Where(h => h.Key is not ("Date" or "x-ms-request-id")).ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase),
            };
            var name = FileName(real);
            if (written.Add(name))
                await File.WriteAllBytesAsync(Path.Combine(outDir, name), real.ToFileBytes());
        }

        Console.WriteLine($"recorded {written.Count} exchange(s) into {outDir}");
        return 0;
    }

    private static string Public(string text) => text
        .Replace("https://" + FakeArm.ArmHost, "https://management.azure.com", StringComparison.Ordinal)
        .Replace("https://graph.fake.test", "https://graph.microsoft.com", StringComparison.Ordinal);

    private static string FileName(HttpExchange e)
    {
        var uri = new Uri(e.Url);
        var host = uri.Host.StartsWith("graph", StringComparison.Ordinal) ? "graph_" : "";
        var query = string.Join('_', uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        var name = host + uri.AbsolutePath.Trim('/').Replace('/', '_') + (query.Length > 0 ? "_" + query : "");
        name = Uri.UnescapeDataString(name).Replace('$', '_').Replace(',', '-').Replace('?', '_');
        if (e.RequestBody is not null)
            name += "_" + e.Method.ToLowerInvariant() + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ReplayHandler.CanonicalBody(e.RequestBody))))[..10];
        else if (e.Method != "GET")
            name += "_" + e.Method.ToLowerInvariant();
        if (name.Length > 200)
            name = name[..150] + "_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..12];
        return name + ".json";
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("EvidenceBot.sln not found");
    }
}
