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
