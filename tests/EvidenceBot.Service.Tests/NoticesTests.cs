using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service.Tests;

public sealed class NoticesTests
{
    private static Func<string, IReadOnlyDictionary<string, Verdict>> Previous(string rule, string target, Verdict verdict) =>
        id => id == rule ? new Dictionary<string, Verdict> { [target] = verdict } : new Dictionary<string, Verdict>();

    [Fact]
    public void For_PassThenFail_IsARegression()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org", Verdict.Fail));

        var notice = Assert.Single(Notices.For(result, Previous("GH-BP", "org", Verdict.Pass)));

        Assert.Equal("regression", notice.Kind);
        Assert.Equal(Verdict.Pass, notice.Previous);
        Assert.Equal("0 approving reviews required", notice.Message);
    }

    [Fact]
    public void For_FailOnFirstRunOrFailAgain_IsNoNotice()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org", Verdict.Fail));

        Assert.Empty(Notices.For(result, _ => new Dictionary<string, Verdict>()));
        Assert.Empty(Notices.For(result, Previous("GH-BP", "org", Verdict.Fail)));
    }

    [Fact]
    public void For_ErrorAfterPass_IsANewErrorButARepeatedErrorIsNot()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org", Verdict.Error, "source fault (transient): 502"));

        var notice = Assert.Single(Notices.For(result, Previous("GH-BP", "org", Verdict.Pass)));
        Assert.Empty(Notices.For(result, Previous("GH-BP", "org", Verdict.Error)));

        Assert.Equal("new-error", notice.Kind);
        Assert.Equal("source fault (transient): 502", notice.Message);
    }

    [Fact]
    public void For_OtherTargetPassed_IsNoRegressionOfThisTarget()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org-b", Verdict.Fail));

        Assert.Empty(Notices.For(result, Previous("GH-BP", "org-a", Verdict.Pass)));
    }
}
