using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.Models.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Models.Tests.Rules;

/// <summary>Runs a real rule from rules/models, compiled as the CLI compiles it, through the real engine, against the fake.</summary>
internal static class RuleHarness
{
    private static readonly Lazy<RuleSet> Set = new(() =>
    {
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of([new ModelsSourceModule()]),
            RulesDirectory = Path.Combine(RepositoryRoot(), "rules", "models"),
            CacheDirectory = Path.Combine(Path.GetTempPath(), "evidencebot-test-rule-cache-models"),
        });
        var errors = set.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        return set;
    });

    public static IReadOnlyList<LoadedRule> Rules => Set.Value.Rules;

    public static async Task<RuleExecutionResult> RunAsync(string ruleId, FakeRegistries fake, string registry = "mlflow", object? parameters = null,
        Func<RegistryOptions, RegistryOptions>? tweak = null)
    {
        var rule = Set.Value.Rules.Single(r => r.Manifest.Id == ruleId);
        var clock = new FakeTimeProvider(TestSupport.Now);
        using var session = new ModelsSession(TestSupport.Options(fake, tweak), clock);
        var effective = new Dictionary<string, JsonElement>(rule.Manifest.Parameters, StringComparer.Ordinal);
        if (parameters is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(parameters).EnumerateObject())
                effective[p.Name] = p.Value.Clone();
        }

        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = TimeSpan.FromSeconds(30) }, clock);
        return await engine.ExecuteAsync(new RuleExecution(rule, registry, effective, session.ServicesFor(registry)));
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
