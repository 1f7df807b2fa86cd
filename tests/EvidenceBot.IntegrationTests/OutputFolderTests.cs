using EvidenceBot.Evidence.Bundles;

namespace EvidenceBot.IntegrationTests;

/// <summary>What a run leaves in its output folder: the pointer to the newest bundle, the summary last, no leftovers.</summary>
public sealed class OutputFolderTests
{
    [Fact]
    public async Task Run_LeftoversOfAKilledRun_AreRemovedAndReported()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"r\", \"ok\");");
        Directory.CreateDirectory(Path.Combine(cli.Out, ".partial-20261128T120000Z-deadbeef", "statements"));
        File.WriteAllText(Path.Combine(cli.Out, "results.json.0123456789abcdef0123456789abcdef.tmp"), "{ half");
        File.WriteAllText(Path.Combine(cli.Out, "notes.txt"), "mine: left alone");

        var (exit, _, err) = await cli.RunRules();

        Assert.Equal(0, exit);
        Assert.Empty(Directory.GetDirectories(cli.Out, ".partial-*"));
        Assert.Empty(Directory.GetFiles(cli.Out, "*.tmp"));
        Assert.True(File.Exists(Path.Combine(cli.Out, "notes.txt")));
        Assert.Contains(".partial-20261128T120000Z-deadbeef: left by an earlier run that was killed", err, StringComparison.Ordinal);
        Assert.Contains("results.json.0123456789abcdef0123456789abcdef.tmp: left by an earlier run", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TwoRunsInTheSameSecond_LatestNamesTheSecond()
    {
        using var cli = new CliRunner(); // a fixed clock: both bundles are named for the same second
        cli.Rule("a.csx", "A-1", "Pass(\"r\", \"ok\");");

        await cli.RunRules();
        await cli.RunRules();

        var latest = File.ReadAllText(Path.Combine(cli.Out, BundleLayout.Latest)).TrimEnd('\n');
        Assert.Equal(2, Directory.GetDirectories(cli.Out, "2*").Length);
        Assert.Equal(EvidenceBundleWriter.ReadChainHead(cli.Out)!.Bundle, latest);
        Assert.True(Directory.Exists(Path.Combine(cli.Out, latest)));
    }
}
