using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests;

public class VerdictAggregatorTests
{
    private static Finding F(Verdict v) => new("r", v, "m");

    [Fact]
    public void Aggregate_NoFindings_IsNotApplicableNeverPass() =>
        Assert.Equal(Verdict.NotApplicable, VerdictAggregator.Aggregate([], null, []));

    [Fact]
    public void Aggregate_AnyFail_IsFail() =>
        Assert.Equal(Verdict.Fail, VerdictAggregator.Aggregate([F(Verdict.Pass), F(Verdict.Fail), F(Verdict.Pass)], null, []));

    [Fact]
    public void Aggregate_PassesOnly_IsPass() =>
        Assert.Equal(Verdict.Pass, VerdictAggregator.Aggregate([F(Verdict.Pass), F(Verdict.NotApplicable)], null, []));

    [Fact]
    public void Aggregate_ErrorWithPasses_IsErrorNotPass() =>
        Assert.Equal(Verdict.Error, VerdictAggregator.Aggregate([F(Verdict.Pass)], "boom", []));

    [Fact]
    public void Aggregate_CaughtSourceFaultWithPasses_IsErrorNotPass() =>
        Assert.Equal(Verdict.Error, VerdictAggregator.Aggregate([F(Verdict.Pass)], null, ["github: 403"]));

    [Fact]
    public void Aggregate_ErrorFindingWithPasses_IsErrorNotPass() =>
        Assert.Equal(Verdict.Error, VerdictAggregator.Aggregate([F(Verdict.Pass), F(Verdict.Error)], null, []));

    [Fact]
    public void Aggregate_ErrorFindingWithFail_IsFail() =>
        Assert.Equal(Verdict.Fail, VerdictAggregator.Aggregate([F(Verdict.Error), F(Verdict.Fail)], null, []));

    [Fact]
    public void Aggregate_OnlyFailuresWaivedWithPasses_IsWaivedNeverPass() =>
        Assert.Equal(Verdict.Waived, VerdictAggregator.Aggregate([F(Verdict.Pass), F(Verdict.Waived)], null, []));

    [Fact]
    public void Aggregate_WaivedAndUnwaivedFailure_IsFail() =>
        Assert.Equal(Verdict.Fail, VerdictAggregator.Aggregate([F(Verdict.Waived), F(Verdict.Fail)], null, []));

    [Fact]
    public void Aggregate_WaivedWithErrorFinding_IsError() =>
        Assert.Equal(Verdict.Error, VerdictAggregator.Aggregate([F(Verdict.Waived), F(Verdict.Error)], null, []));

    [Fact]
    public void Aggregate_WaivedButSourceFaulted_IsError() =>
        Assert.Equal(Verdict.Error, VerdictAggregator.Aggregate([F(Verdict.Waived)], null, ["github: 403"]));

    [Fact]
    public void ExitCode_WaivedAndPass_IsOkNotControlsFailed() =>
        Assert.Equal(ExitCodes.Ok, VerdictAggregator.ExitCode([Verdict.Pass, Verdict.Waived]));

    [Fact]
    public void ExitCode_WaivedAndFail_IsControlsFailed() =>
        Assert.Equal(ExitCodes.ControlsFailed, VerdictAggregator.ExitCode([Verdict.Waived, Verdict.Fail]));

    [Theory]
    [InlineData(new[] { Verdict.Pass, Verdict.NotApplicable }, 0)]
    [InlineData(new[] { Verdict.Pass, Verdict.Fail }, 1)]
    [InlineData(new[] { Verdict.Fail, Verdict.Error }, 3)]
    [InlineData(new Verdict[0], 0)]
    public void ExitCode_FollowsWorstVerdict(Verdict[] verdicts, int expected) =>
        Assert.Equal(expected, VerdictAggregator.ExitCode(verdicts));
}
