using EvidenceBot.Runs;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.IntegrationTests;

public class RunEvidenceTests
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
        var controls = RunEvidence.ControlsWithCrosswalk(Result(new ControlMapping("ISO27001:2022/A.8.16", ControlRelation.Supports)), ControlAnswers.Open(null));

        var direct = Assert.Single(controls, c => !c.Derived);
        Assert.Equal("ISO27001:2022/A.8.16", direct.Id);
        var derived = Assert.Single(controls, c => c.Id == "ISO42001:2023/A.6.2.6");
        Assert.True(derived.Derived);
        Assert.Equal("ISO27001:2022/A.8.16", derived.Via);
        Assert.NotEqual("satisfies", derived.Relation);
    }

    [Fact]
    public void ControlsWithCrosswalk_NoControls_IsEmpty() =>
        Assert.Empty(RunEvidence.ControlsWithCrosswalk(Result(), ControlAnswers.Open(null)));

    [Fact]
    public async Task WriteBundle_RuleFileChangedDuringTheRun_HoldsTheSourceThatRan()
    {
        using var cli = new CliRunner();
        var path = cli.Rule("a.csx", "A-1", "Pass(\"r\", \"ok\");");
        var ran = File.ReadAllBytes(path);
        var set = RuleSetLoader.Load(new RuleLoadOptions { RulesDirectory = cli.Rules, CacheDirectory = cli.Cache, Compile = false });
        var manifest = Assert.Single(set.Rules).Manifest;
        var result = new RunResult
        {
            RunId = "run-1",
            EngineVersion = "test",
            Rules = [Result() with { RuleId = "A-1", SourcePath = manifest.SourcePath, SourceSha256 = manifest.SourceSha256 }],
        };
        File.WriteAllText(path, "/* ---\nid: A-1\ntitle: Edited meanwhile\n--- */\nFail(\"r\", \"edited\");\n");

        var outcome = await RunEvidence.WriteBundleAsync(new FakeTimeProvider(cli.Time.GetUtcNow()), result, set.Sources, null, cli.Out, false, ControlAnswers.Open(null), CancellationToken.None);

        Assert.Null(outcome.Error);
        Assert.Equal(ran, File.ReadAllBytes(Path.Combine(outcome.Written!.BundlePath, "rules", "a.csx")));
    }
}
