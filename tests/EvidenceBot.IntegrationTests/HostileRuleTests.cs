using System.Text.Json;
using System.Text.RegularExpressions;

namespace EvidenceBot.IntegrationTests;

/// <summary>The hostile suite shares the process: it lowers the in-process memory limit and burns CPU until timeouts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileCollection
{
    public const string Name = "hostile rules";
}

/// <summary>
/// Every rule in <c>Hostile/</c> is tagged <c>refused</c> (must not compile), <c>error</c> (compiles, must end as error)
/// or <c>good</c> (must pass). All of them run in one run, with a FIFO named like a rule beside them: the run finishes,
/// the good rules pass, nothing hostile passes, and the bundle verifies — with the rules in this process and in a
/// worker process (<c>--isolate process</c>) alike.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed partial class HostileRuleTests
{
    private static string Fixtures => Path.Combine(RepositoryRoot.Path, "tests", "EvidenceBot.IntegrationTests", "Hostile");

    [Fact]
    public void Suite_HasTwentyOrMoreHostileRules()
    {
        var hostile = Expectations().Count(e => e.Value != "good");

        Assert.True(hostile >= 20, $"{hostile} hostile rules");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("process")]
    public async Task Run_HostileRulesBesideGoodOnes_EachRefusedOrErrorGoodOnesPassBundleVerifies(string isolate)
    {
        using var cli = new CliRunner();
        foreach (var file in Directory.GetFiles(Fixtures, "*.csx"))
            File.Copy(file, Path.Combine(cli.Rules, Path.GetFileName(file)));
        MakeFifo(Path.Combine(cli.Rules, "x.csx"));
        var keys = Path.Combine(cli.Root, "keys");
        Assert.Equal(0, (await cli.Run("keys", "generate", "--out", keys)).Exit);
        var limit = AppContext.GetData(MemoryLimitKey);
        AppContext.SetData(MemoryLimitKey, 1L << 30);
        (int Exit, string Out, string Err) run;
        try
        {
            run = await cli.RunRules("--key", Path.Combine(keys, "signing-key.pem"), "--isolate", isolate);
        }
        finally
        {
            AppContext.SetData(MemoryLimitKey, limit);
        }

        Assert.True(run.Exit == 3, run.Out + run.Err); // errors: evidence could not be collected for some rules; not a crash
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Out, "results.json")));
        var results = doc.RootElement.GetProperty("rules").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => (Verdict: r.GetProperty("verdict").GetString(), Error: r.TryGetProperty("error", out var e) ? e.GetString() : null));
        foreach (var (id, expected) in Expectations())
        {
            Assert.True(results.TryGetValue(id, out var got), $"{id} is missing from the results");
            switch (expected)
            {
                case "good":
                    Assert.True(got.Verdict == "pass", $"{id}: {got.Verdict} {got.Error}");
                    break;
                case "refused":
                    Assert.True(got.Verdict == "error", $"{id}: {got.Verdict}");
                    Assert.Contains("rule could not be loaded", got.Error, StringComparison.Ordinal);
                    break;
                default:
                    Assert.True(got.Verdict == "error", $"{id}: {got.Verdict}");
                    Assert.DoesNotContain("rule could not be loaded", got.Error, StringComparison.Ordinal);
                    break;
            }
        }

        Assert.Contains("stopped", results["H-MEMORY"].Error, StringComparison.Ordinal);
        Assert.Contains("100,000 findings", results["H-FINDINGS"].Error, StringComparison.Ordinal);
        Assert.Contains("104,857,600 characters", results["H-HUGE-MESSAGE"].Error, StringComparison.Ordinal);
        Assert.Contains("recursed too deeply", results["H-SWALLOW-STACK"].Error, StringComparison.Ordinal);
        Assert.Contains("timed out", results["H-LOOP"].Error, StringComparison.Ordinal);
        var fifo = results.Single(r => r.Key.StartsWith("file:", StringComparison.Ordinal) && r.Key.EndsWith("x.csx", StringComparison.Ordinal));
        Assert.Equal("error", fifo.Value.Verdict);
        Assert.Contains("not a regular file", fifo.Value.Error, StringComparison.Ordinal);

        var bundle = run.Out.Split('\n').Single(l => l.StartsWith("Evidence bundle: ", StringComparison.Ordinal))["Evidence bundle: ".Length..].Split(" (")[0];
        var verify = await cli.Run("verify", bundle, "--key", Path.Combine(keys, "public-key.pem"));
        Assert.True(verify.Exit == 0, verify.Out + verify.Err);
    }

    private const string MemoryLimitKey = "EvidenceBot.RuleMemoryLimitBytes";

    /// <summary>Rule id → refused | error | good, from each fixture's header.</summary>
    internal static Dictionary<string, string> Expectations() =>
        Directory.GetFiles(Fixtures, "*.csx").Select(File.ReadAllText).ToDictionary(
            text => IdLine().Match(text).Groups[1].Value,
            text => TagsLine().Match(text).Groups[1].Value);

    internal static void MakeFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [GeneratedRegex(@"(?m)^id: (\S+)")]
    private static partial Regex IdLine();

    [GeneratedRegex(@"(?m)^tags: \[(\w+)\]")]
    private static partial Regex TagsLine();
}
