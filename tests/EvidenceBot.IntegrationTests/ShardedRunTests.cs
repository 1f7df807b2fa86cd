using System.Diagnostics;
using EvidenceBot.Core.Engine;

namespace EvidenceBot.IntegrationTests;

/// <summary>
/// The issue's scale-out check: the demo estate run as 4 shards in 4 processes, merged, against one unsharded run of
/// the same estate: identical verdicts and findings for every (rule, target), and the merged bundle verifies.
/// </summary>
public class ShardedRunTests
{
    private static readonly string Config = Path.Combine(RepositoryRoot.Path, "examples", "demo", "evidencebot.json");
    private static readonly string SigningKey = Path.Combine(RepositoryRoot.Path, "examples", "demo", "keys", "signing-key.pem");
    private static readonly string PublicKey = Path.Combine(RepositoryRoot.Path, "examples", "demo", "keys", "public-key.pem");

    [Fact]
    public async Task FourShardProcesses_Merged_GiveTheVerdictsAndFindingsOfOneUnshardedRun()
    {
        using var cli = new CliRunner();
        string Out(string name) => Path.Combine(cli.Root, name);
        string Latest(string root) => Path.Combine(root, File.ReadAllText(Path.Combine(root, "latest")).Trim());

        // The unsharded run first: it also fills the compile cache the four shards then share.
        var whole = await Evidencebot("run", "--config", Config, "--cache-dir", cli.Cache, "--out", Out("whole"));
        var shards = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            Evidencebot("run", "--config", Config, "--cache-dir", cli.Cache, "--out", Out($"shard-{i}"), "--shard", $"{i}/4")));
        var merge = await Evidencebot(["bundle", "merge", .. Enumerable.Range(0, 4).Select(i => Latest(Out($"shard-{i}"))), "--out", Out("merged"), "--key", SigningKey]);
        var verify = await Evidencebot("verify", Latest(Out("merged")), "--key", PublicKey);

        Assert.True(whole.Exit == 1, whole.Err);
        Assert.All(shards, s => Assert.True(s.Exit is 0 or 1, s.Err));
        Assert.True(merge.Exit == 1, merge.Err + merge.Out);
        Assert.True(verify.Exit == 0, verify.Out + verify.Err);
        var expected = Executions(Path.Combine(Out("whole"), "results.json"));
        var merged = Executions(Path.Combine(Out("merged"), "results.json"));
        Assert.Equal(58, expected.Count);
        Assert.Equal(expected, merged);

        // The work was split: no shard ran everything, and a GitHub organisation's repositories went to several shards.
        var perShard = Enumerable.Range(0, 4).Select(i => RunResultJson.Deserialize(File.ReadAllBytes(Path.Combine(Out($"shard-{i}"), "results.json")), "results.json")).ToList();
        Assert.All(perShard, s => Assert.True(s.Rules.Count < 58));
        Assert.True(perShard.Count(s => s.Rules.Any(r => r.RuleId == "GH-BRANCH-PROTECTION" && r.Findings.Count > 0)) >= 2);
        Assert.Equal(Enumerable.Range(0, 4), perShard.Select(s => s.Shard!.Index));
    }

    [Fact]
    public async Task Merge_WithAShardMissing_RefusesAndWritesNothing()
    {
        using var cli = new CliRunner();
        var shard = Path.Combine(cli.Root, "shard-0");
        await Evidencebot("run", "--config", Config, "--cache-dir", cli.Cache, "--out", shard, "--shard", "0/2", "--rule", "GH-ORG-2FA");

        // The shard's output folder stands for its latest bundle.
        var merge = await Evidencebot("bundle", "merge", shard, "--out", Path.Combine(cli.Root, "merged"), "--key", SigningKey);

        Assert.Equal(2, merge.Exit);
        Assert.Contains("merging its latest bundle", merge.Err, StringComparison.Ordinal);
        Assert.Contains("shard 1/2 missing", merge.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.Root, "merged")) && Directory.EnumerateDirectories(Path.Combine(cli.Root, "merged")).Any());
    }

    [Fact]
    public async Task Run_ShardThatOwnsNothing_StillWritesABundleAndTheMergeHoldsBoth()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");");
        await cli.Run("keys", "generate", "--out", Path.Combine(cli.Root, "keys"));
        var key = Path.Combine(cli.Root, "keys", "signing-key.pem");

        var runs = new List<(int Exit, string Out, string Err)>();
        for (var i = 0; i < 2; i++)
            runs.Add(await cli.Run("run", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--out", Path.Combine(cli.Root, $"s{i}"), "--shard", $"{i}/2", "--key", key));
        var merge = await cli.Run("bundle", "merge", Path.Combine(cli.Root, "s0"), Path.Combine(cli.Root, "s1"), "--out", Path.Combine(cli.Root, "merged"), "--key", key);
        var merged = RunResultJson.Deserialize(File.ReadAllBytes(Path.Combine(cli.Root, "merged", "results.json")), "results.json");
        var verify = await cli.Run("verify", Path.Combine(cli.Root, "merged", File.ReadAllText(Path.Combine(cli.Root, "merged", "latest")).Trim()),
            "--key", Path.Combine(cli.Root, "keys", "public-key.pem"));

        Assert.All(runs, r => Assert.True(r.Exit == 0, r.Err));
        var counts = Enumerable.Range(0, 2)
            .Select(i => RunResultJson.Deserialize(File.ReadAllBytes(Path.Combine(cli.Root, $"s{i}", "results.json")), "results.json").Rules.Count).ToList();
        Assert.Equal([0, 1], counts.Order());
        Assert.True(merge.Exit == 0, merge.Err);
        Assert.Equal("A-1", Assert.Single(merged.Rules).RuleId);
        Assert.Equal(2, merged.Shards!.Count);
        Assert.True(verify.Exit == 0, verify.Out);
    }

    [Fact]
    public async Task Run_ShardOutOfRange_IsAUsageErrorSayingShardsCountFromZero()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");");

        var (exit, _, err) = await cli.RunRules("--shard", "4/4");

        Assert.Equal(2, exit);
        Assert.Contains("--shard '4/4': the shard index must be 0 to 3", err, StringComparison.Ordinal);
    }

    /// <summary>Each (rule, target) with its verdict and its findings, sorted, as comparable lines.</summary>
    private static SortedDictionary<string, string> Executions(string resultsPath)
    {
        var run = RunResultJson.Deserialize(File.ReadAllBytes(resultsPath), resultsPath);
        return new SortedDictionary<string, string>(
            run.Rules.ToDictionary(
                r => $"{r.RuleId} @ {r.Target}",
                r => $"{r.Verdict}\n{string.Join("\n", r.Findings.Select(ShardMerge.Canonical).Order(StringComparer.Ordinal))}"),
            StringComparer.Ordinal);
    }

    private static async Task<(int Exit, string Out, string Err)> Evidencebot(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "evidencebot.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["EVIDENCEBOT_JIT_PROFILE"] = "off";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
