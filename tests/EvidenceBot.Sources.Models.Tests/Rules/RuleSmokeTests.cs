using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Models.Tests.Fake;

namespace EvidenceBot.Sources.Models.Tests.Rules;

public sealed class RuleSetTests
{
    [Fact]
    public void Load_ModelRules_AllTenCompileAgainstTheContract()
    {
        Assert.Equal(10, RuleHarness.Rules.Count);
    }

    [Theory]
    [InlineData("MODEL-INVENTORY")]
    [InlineData("MODEL-TRAINING-LINEAGE")]
    [InlineData("MODEL-FOUR-EYES")]
    [InlineData("MODEL-EVALUATION")]
    [InlineData("MODEL-DRIFT")]
    [InlineData("MODEL-FAIRNESS")]
    [InlineData("MODEL-STALE-PRODUCTION")]
    public async Task Run_CompliantMlflowRegistry_Passes(string ruleId)
    {
        using var fake = FakeRegistries.Start().Compliant();

        var result = await RuleHarness.RunAsync(ruleId, fake, parameters: ruleId == "MODEL-ARTIFACT-ORIGIN" ? new { approvedLocations = new[] { "s3://acme-models-prod/" } } : null);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.NotEmpty(result.Evidence);
    }
}

public sealed class RuleCatalogTests
{
    [Fact]
    public void Validate_EveryModelRuleMapping_NamesAnAssessableControlOfTheCatalogs()
    {
        var catalog = EvidenceBot.Core.Controls.ControlCatalog.LoadDirectory(Path.Combine(RuleHarness.RepositoryRoot(), "rules", "controls"));

        var problems = RuleHarness.Rules.SelectMany(r => catalog.Validate(r.Manifest)).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.All(RuleHarness.Rules, r => Assert.Contains(r.Manifest.Controls, c => c.Id.StartsWith("ISO42001:2023/", StringComparison.Ordinal)));
    }
}
