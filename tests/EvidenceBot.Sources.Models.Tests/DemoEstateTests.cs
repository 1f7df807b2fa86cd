using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;
using EvidenceBot.Sources.Models.Tests.Fake;
using EvidenceBot.Sources.Models.Tests.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Models.Tests;

public sealed class DemoEstateTests
{
    private static string Root => RuleHarness.RepositoryRoot();

    private static string Folder => Path.Combine(Root, "examples", "demo", "models");

    /// <summary>Rewrites examples/demo/models from the demo estate: run with EVIDENCEBOT_RECORD_DEMO=1.</summary>
    [Fact]
    public async Task Record_WhenAsked_WritesTheReplayFolder()
    {
        if (Environment.GetEnvironmentVariable("EVIDENCEBOT_RECORD_DEMO") != "1")
            return;

        var written = await DemoEstate.RecordAsync(Folder);

        Assert.InRange(written, 20, 500);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3 * 365)] // the demo runs on today's clock: its verdicts must hold for years after the recording
    public async Task Demo_ReplayedThroughTheModule_GivesTheExpectedVerdictsWithNoReplayMiss(int daysLater)
    {
        var configFile = Path.Combine(Root, "tests", "EvidenceBot.Sources.Models.Tests", "demo-config.json");
        var config = await File.ReadAllTextAsync(configFile);
        var section = JsonDocument.Parse(config).RootElement.GetProperty("models").Clone();
        var settings = new SourceSettings
        {
            Section = section, Path = "$.models", ResolvePath = p => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(configFile)!, p)),
            Environment = _ => null, Time = new FakeTimeProvider(DemoEstate.RecordedAt), Redactor = new Redactor(),
        };
        using var session = (ModelsSession)new ModelsSourceModule().Open(settings);

        var results = await DemoEstate.RunAsync(session, DemoEstate.RecordedAt.AddDays(daysLater));

        Assert.Equal(DemoEstate.Expected.Count, results.Count);
        Assert.All(results, r => Assert.True(DemoEstate.Expected[(r.RuleId, r.Target)] == r.Verdict, $"{r.RuleId} on {r.Target}: {RuleHarness.Describe(r)}"));
        Assert.DoesNotContain(results, r => (r.Error ?? "").Contains("no recorded exchange", StringComparison.Ordinal));
        Assert.Contains(results, r => r.RuleId == "MODEL-DRIFT" && r.Findings.Any(f => f.Resource == "churn-predictor/2" && f.Message.Contains("drift.psi.tenure = 0.34", StringComparison.Ordinal)));
        Assert.Contains(results, r => r.RuleId == "MODEL-DRIFT" && r.Findings.Any(f => f.Resource == "pricing-engine/2" && f.Message.StartsWith("no drift evidence in the last 1500 days", StringComparison.Ordinal)));
        Assert.Contains(results, r => r.RuleId == "MODEL-FOUR-EYES" && r.Findings.Any(f => f.Resource == "fraud-detector/2" && f.Message.StartsWith("self-approved", StringComparison.Ordinal)));
        Assert.Contains(results, r => r.RuleId == "MODEL-INVENTORY" && r.Findings.Any(f => f.Resource == "support-router/2" && f.Status == EvidenceBot.Core.Rules.Verdict.Fail));
        Assert.Contains(results, r => r.RuleId == "MODEL-HF-THIRD-PARTY" && r.Findings.Any(f => f.Resource == "someorg/chat-small" && f.Message.Contains("licence 'other'", StringComparison.Ordinal)));
    }

    [Fact]
    public void DemoRecording_HoldsNoLoopbackAddressOrCredential()
    {
        var files = Directory.GetFiles(Folder, "*.json").ToList();

        Assert.InRange(files.Count, 20, 500);
        Assert.All(files, f =>
        {
            var text = File.ReadAllText(f);
            Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Bearer ", text, StringComparison.Ordinal);
        });
    }
}
