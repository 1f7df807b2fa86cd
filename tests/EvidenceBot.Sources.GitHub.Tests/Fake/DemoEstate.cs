using System.Text;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.Http;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.GitHub.Tests.Fake;

/// <summary>
/// The demo estate: a fictional organisation, Orbital Labs, with a dozen repositories, some compliant and some not.
/// <see cref="RecordAsync"/> runs every built-in GitHub rule against it on the fake GitHub, captures every exchange
/// and writes them as the replay folder <c>examples/demo/github</c>. Its verdicts do not drift with time:
/// compliant repositories have nothing that ages into a failure, failing ones are already past every limit.
/// </summary>
public static partial class DemoEstate
{
    public const string Organization = "orbital-labs";
    public const string Enterprise = "orbital";

    /// <summary>When the recording was made (fixed, so the files are reproducible).</summary>
    public static readonly DateTimeOffset RecordedAt = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    /// <summary>The verdict each rule gets on the estate.</summary>
    public static readonly IReadOnlyDictionary<string, Verdict> Expected = new Dictionary<string, Verdict>
    {
        ["GH-ORG-2FA"] = Verdict.Pass,
        ["GH-ORG-ADMINS"] = Verdict.Fail,
        ["GH-BRANCH-PROTECTION"] = Verdict.Fail,
        ["GH-SIGNED-COMMITS"] = Verdict.Fail,
        ["GH-SECRET-SCANNING"] = Verdict.Fail,
        ["GH-DEPENDABOT"] = Verdict.Fail,
        ["GH-CODE-SCANNING"] = Verdict.Fail,
        ["GH-ACTIONS-TOKEN"] = Verdict.Pass,
        ["GH-DEPLOY-KEYS"] = Verdict.Fail,
        ["GH-AUDIT-LOG"] = Verdict.Pass,
    };

    private const string StrictPullRequest = """{"required_approving_review_count":2,"require_code_owner_review":true,"dismiss_stale_reviews_on_push":true,"require_last_push_approval":true,"required_review_thread_resolution":true}""";

    public static FakeOrg Build(FakeGitHub fake)
    {
        var org = fake.AddOrg(Organization);
        org.Enterprise = Enterprise;
        org.AuditStreams.Add(true);
        org.Members.AddRange([new("ada", Admin: true), new("grace", Admin: true), new("linus", Admin: true), new("margaret"), new("ken"), new("barbara")]);
        org.OutsideCollaborators.AddRange([new("auditor-jane"), new("vendor-sam")]);
        var old = RecordedAt.AddDays(-400);

        FakeRepo Compliant(string name, params string[] topics)
        {
            var r = new FakeRepo { Name = name, Protection = new FakeProtection(Approvals: 2) };
            r.Topics.AddRange(topics);
            // Only low and medium alerts: no SLA applies, so the verdict never ages into a failure.
            r.DependabotAlerts!.Add(new FakeAlert(1, "medium", old));
            r.CodeScanningAlerts!.Add(new FakeAlert(2, "low", old));
            org.Repos.Add(r);
            return r;
        }

        Compliant("payments-api", "pci");
        Compliant("model-serving", "ai");
        Compliant("feature-store", "ai", "data");
        Compliant("sdk-python");

        // Protected by an organisation ruleset only (no classic protection): rulesets count as protection.
        var portal = Compliant("web-portal");
        portal.Protection = null;
        portal.Rulesets.Add(new FakeRuleset(101, "org-default-branch", [("pull_request", StrictPullRequest), ("non_fast_forward", null), ("deletion", null), ("required_signatures", null)], FromOrganization: true));

        // Unprotected default branch: no review, no signatures.
        Compliant("data-pipeline", "data").Protection = null;

        // A high Dependabot alert 60 days old (SLA 30).
        Compliant("ml-training", "ai").DependabotAlerts!.Add(new FakeAlert(7, "high", RecordedAt.AddDays(-60)));

        // Secret scanning and push protection off; no code scanning.
        var billing = Compliant("legacy-billing");
        billing.SecretScanning = false;
        billing.PushProtection = false;
        billing.SecretAlerts = null;
        billing.CodeScanningAlerts = null;

        // A ruleset that admins may bypass; a writable deploy key; an outside collaborator with admin.
        var docs = Compliant("docs-site");
        docs.Protection = null;
        docs.Rulesets.Add(new FakeRuleset(102, "docs-main", [("pull_request", StrictPullRequest), ("non_fast_forward", null), ("deletion", null), ("required_signatures", null)], BypassActors: 2));
        docs.DeployKeys.Add(new FakeDeployKey(5001, "netlify-deploy", ReadOnly: false, RecordedAt.AddDays(-20)));
        docs.OutsideAdmins.Add("vendor-sam");

        // A deploy key never rotated (600 days).
        Compliant("infra-terraform").DeployKeys.Add(new FakeDeployKey(5002, "atlantis", ReadOnly: true, RecordedAt.AddDays(-600)));

        // A critical code-scanning alert 40 days old and an open leaked secret 30 days old.
        var mobile = Compliant("mobile-app");
        mobile.CodeScanningAlerts!.Add(new FakeAlert(12, "critical", RecordedAt.AddDays(-40)));
        mobile.SecretAlerts!.Add(new FakeAlert(3, "", RecordedAt.AddDays(-30)));

        // Skipped by default: archived, and a fork.
        var archived = Compliant("experiments-2021");
        archived.Archived = true;
        archived.Protection = null;
        var fork = Compliant("forked-tokenizer");
        fork.Fork = true;
        fork.Protection = null;
        return org;
    }

    /// <summary>
    /// Records the estate: runs every rule in <paramref name="rulesDirectory"/> on the fake twice, on the organisation path
    /// and on the per-repository path (so a replay answers either), checks both give the expected verdicts, and writes each
    /// exchange once.
    /// </summary>
    public static async Task<int> RecordAsync(string rulesDirectory, string outDirectory, string cacheDirectory)
    {
        using var fake = FakeGitHub.Start();
        var clock = new FakeTimeProvider(RecordedAt);
        fake.Now = clock.GetUtcNow;
        Build(fake);
        var sink = new FileSink();
        foreach (var path in new[] { GitHubApiPath.Org, GitHubApiPath.Repo })
        {
            var result = await RunAsync(fake, clock, path, rulesDirectory, cacheDirectory, sink);
            foreach (var r in result.Rules)
            {
                if (!Expected.TryGetValue(r.RuleId, out var want) || want != r.Verdict)
                    throw new InvalidOperationException($"{r.RuleId}: {r.Verdict} on the demo estate ({path} path), expected {(Expected.TryGetValue(r.RuleId, out var w) ? w : "(no expectation)")}: {r.Error}");
            }
        }

        if (Directory.Exists(outDirectory))
            Directory.Delete(outDirectory, recursive: true);
        Directory.CreateDirectory(outDirectory);
        var origin = fake.BaseUrl.GetLeftPart(UriPartial.Authority);
        foreach (var (name, exchange) in sink.Unique())
        {
            // The recording reads as GitHub's: api.github.com, not the loopback port it was made on.
            var e = exchange with
            {
                Url = exchange.Url.Replace(origin, "https://api.github.com", StringComparison.Ordinal),
                ResponseHeaders = exchange.ResponseHeaders.ToDictionary(h => h.Key,
                    h => h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase) ? RecordedAt.ToString("r", System.Globalization.CultureInfo.InvariantCulture) : h.Value.Replace(origin, "https://api.github.com", StringComparison.Ordinal)),
                RequestHeaders = exchange.RequestHeaders.Where(h => !h.Key.Equals("User-Agent", StringComparison.OrdinalIgnoreCase)).ToDictionary(h => h.Key, h => h.Value),
                At = RecordedAt,
            };
            await File.WriteAllBytesAsync(Path.Combine(outDirectory, name), e.ToFileBytes());
        }

        return sink.Unique().Count;
    }

    /// <summary>Every built-in GitHub rule on the estate the fake serves, on one path; the GitHub session's counters come back too.</summary>
    public static async Task<RunResult> RunAsync(FakeGitHub fake, TimeProvider clock, GitHubApiPath path, string rulesDirectory, string cacheDirectory,
        IExchangeSink? sink = null, Action<GitHubSession>? inspect = null)
    {
        var options = new GitHubSourceOptions
        {
            BaseUrl = fake.BaseUrl,
            Token = "ghp_demoRecordingTokenNeverStored000000",
            Organizations = [Organization],
            Sink = sink,
            MaxRetries = 0,
            Path = path,
        };
        using var session = new GitHubSession(options, clock);
        var set = RuleSetLoader.Load(new RuleLoadOptions { Contracts = SourceContracts.Of([new GitHubSourceModule()]), RulesDirectory = rulesDirectory, CacheDirectory = cacheDirectory });
        var engine = new RuleEngine(new EngineOptions(), clock);
        var services = new Dictionary<Type, object> { [typeof(IGitHubSource)] = session.For(Organization) };
        var executions = set.Rules.Where(r => r.Manifest.Sources.Contains("github"))
            .Select(r =>
            {
                var p = new Dictionary<string, System.Text.Json.JsonElement>(r.Manifest.Parameters);
                if (r.Manifest.Id == "GH-AUDIT-LOG")
                    p["enterprise"] = System.Text.Json.JsonSerializer.SerializeToElement(Enterprise);
                return new RuleExecution(r, Organization, p, services);
            }).ToList();
        var result = await engine.RunAsync(executions, "demo-" + path.ToString().ToLowerInvariant());
        inspect?.Invoke(session);
        return result;
    }

    private sealed partial class FileSink : IExchangeSink
    {
        private readonly Dictionary<string, HttpExchange> _byName = new(StringComparer.Ordinal);

        public void Add(HttpExchange exchange)
        {
            var key = ReplayHandler.Key(exchange.Method, new Uri(exchange.Url));
            // POSTs to one URL (GraphQL pages) differ by body: name them apart by its digest.
            if (exchange.Method != "GET")
                key += "_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(ReplayHandler.CanonicalBody(exchange.RequestBody))))[..12];
            var name = Unsafe().Replace(key.Replace("GET /", "", StringComparison.Ordinal), "_").Trim('_');
            lock (_byName)
                _byName[(name.Length > 150 ? name[..150] : name) + ".json"] = exchange;
        }

        public IReadOnlyList<(string Name, HttpExchange Exchange)> Unique()
        {
            lock (_byName)
                return [.. _byName.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value))];
        }

        [GeneratedRegex("[^A-Za-z0-9._=-]+")]
        private static partial Regex Unsafe();
    }
}
