using EvidenceBot.Cli.Commands;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.IntegrationTests;

public class EvidenceStepTests
{
    private static RuleExecutionResult Result(params ControlMapping[] controls) => new()
    {
        RuleId = "R",
        Title = "t",
        Target = "default",
        Verdict = Verdict.Pass,
        Controls = controls,
    };

    [Fact]
    public void ControlsWithCrosswalk_MonitoringControl_AlsoShowsUnder42001AsDerived()
    {
        var controls = EvidenceStep.ControlsWithCrosswalk(Result(new ControlMapping("ISO27001:2022/A.8.16", ControlRelation.Supports)), ControlAnswers.Open(null));

        var direct = Assert.Single(controls, c => !c.Derived);
        Assert.Equal("ISO27001:2022/A.8.16", direct.Id);
        var derived = Assert.Single(controls, c => c.Id == "ISO42001:2023/A.6.2.6");
        Assert.True(derived.Derived);
        Assert.Equal("ISO27001:2022/A.8.16", derived.Via);
        Assert.NotEqual("satisfies", derived.Relation);
    }

    [Fact]
    public void ControlsWithCrosswalk_NoControls_IsEmpty() =>
        Assert.Empty(EvidenceStep.ControlsWithCrosswalk(Result(), ControlAnswers.Open(null)));
}
