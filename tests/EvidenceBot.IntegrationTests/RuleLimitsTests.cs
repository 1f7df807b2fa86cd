using System.Text.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.IntegrationTests;

public class RuleLimitsTests
{
    private static RuleContext Context() => new(
        new RuleManifest { Id = "L-1", Title = "limits", SourcePath = "l.csx", SourceSha256 = "" },
        "default", new Dictionary<string, JsonElement>(), TimeProvider.System, CancellationToken.None);

    [Fact]
    public void Report_OneFindingPastTheLimit_StopsTheRuleAndKeepsWhatCameBefore()
    {
        var context = Context();
        for (var i = 0; i < RuleLimits.MaxFindings; i++)
            context.Report(new Finding("r" + i, Verdict.Pass, "ok"));

        var ex = Assert.Throws<RuleLimitExceededException>(() => context.Report(new Finding("one-too-many", Verdict.Pass, "ok")));

        Assert.Contains("more than 100,000 findings", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RuleLimits.MaxFindings, context.Findings.Count);
        Assert.StartsWith("stopped: the rule reported more than", context.StoppedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_MessageOverTheLimit_StopsTheRuleWithoutKeepingIt()
    {
        var context = Context();

        Assert.Throws<RuleLimitExceededException>(() => context.Report(new Finding("r", Verdict.Fail, new string('x', RuleLimits.MaxMessageLength + 1))));

        Assert.Empty(context.Findings);
        Assert.Contains("65,537 characters; the limit is 65,536", context.StoppedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_RuleCatchesTheLimitAndCarriesOn_StaysStoppedWithTheFirstReason()
    {
        var context = Context();
        try
        {
            context.Report(new Finding(new string('r', RuleLimits.MaxResourceLength + 1), Verdict.Pass, "ok"));
        }
        catch (RuleLimitExceededException)
        {
        }

        Assert.Throws<RuleLimitExceededException>(() => context.Report(new Finding("r", Verdict.Pass, new string('x', RuleLimits.MaxMessageLength + 1))));

        Assert.Contains("resource is 4,097 characters", context.StoppedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteLog_PastTheLineLimit_StopsTheRule()
    {
        var context = Context();
        for (var i = 0; i < RuleLimits.MaxLogLines; i++)
            context.WriteLog("line");

        Assert.Throws<RuleLimitExceededException>(() => context.WriteLog("one more"));

        Assert.Equal(RuleLimits.MaxLogLines, context.Log.Count);
        Assert.Contains("logged more than 10,000 lines", context.StoppedBecause, StringComparison.Ordinal);
    }
}
