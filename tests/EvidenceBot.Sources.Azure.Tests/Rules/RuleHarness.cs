using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.Azure.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Azure.Tests.Rules;

/// <summary>
/// Runs a real rule from rules/azure, compiled as the CLI compiles it (against the Azure module's rule contract), through the real engine, against the fake.
/// </summary>
internal static class RuleHarness
{
    private static readonly Lazy<RuleSet> Set = new(() =>
    {
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of([new AzureSourceModule()]),
            RulesDirectory = Path.Combine(RepositoryRoot(), "rules", "azure"),
            CacheDirectory = Path.Combine(Path.GetTempPath(), "evidencebot-azure-test-rule-cache"),
        });
        var errors = set.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        return set;
    });

    public static IReadOnlyList<LoadedRule> Rules => Set.Value.Rules;

    /// <summary>Parameters every compliant estate needs: Alice is the allow-listed owner.</summary>
    public static object Allowed => new { allowedPrincipals = new[] { Estate.Alice } };

    public static async Task<RuleExecutionResult> RunAsync(string ruleId, FakeArm fake, object? parameters = null,
        Func<AzureSourceOptions, AzureSourceOptions>? tweak = null, string subscription = Estate.SubA)
    {
        var rule = Set.Value.Rules.Single(r => r.Manifest.Id == ruleId);
        var clock = new FakeTimeProvider(TestSupport.Now);
        var options = TestSupport.Options(fake) with { MaxRetries = 0 };
        using var session = TestSupport.Open(tweak is null ? options : tweak(options));
        var effective = new Dictionary<string, JsonElement>(rule.Manifest.Parameters, StringComparer.Ordinal);
        if (parameters is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(parameters).EnumerateObject())
                effective[p.Name] = p.Value.Clone();
        }

        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = TimeSpan.FromSeconds(30) }, clock);
        return await engine.ExecuteAsync(new RuleExecution(rule, subscription, effective, session.ServicesFor(subscription)));
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Describe(RuleExecutionResult r) =>
        $"{r.Verdict}: {r.Error} | {string.Join(" | ", r.Findings.Select(f => $"{f.Status} {f.Resource}: {f.Message}"))}";
}
