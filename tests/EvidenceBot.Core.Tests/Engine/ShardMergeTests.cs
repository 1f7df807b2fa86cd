using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Engine;

public class ShardMergeTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    private static RuleExecutionResult Execution(string rule, string target, params Finding[] findings) => new()
    {
        RuleId = rule,
        Title = rule,
        Target = target,
        Verdict = VerdictAggregator.Aggregate(findings, null, []),
        StartedAt = At,
        EndedAt = At.AddSeconds(1),
        Findings = findings,
        SourcePath = $"/rules/{rule}.csx",
        SourceSha256 = "aa",
    };

    private static RunResult Shard(int index, int count, params RuleExecutionResult[] executions) => new()
    {
        RunId = $"run-{index}",
        StartedAt = At.AddSeconds(index),
        EndedAt = At.AddSeconds(10 + index),
        EngineVersion = "0.1.0",
        Rules = executions,
        Shard = new RunShard(index, count, "rules-digest"),
    };

    private static Finding Pass(string resource) => new(resource, Verdict.Pass, "ok", JsonSerializer.SerializeToElement(new { ok = true }));

    private static Finding Fail(string resource) => new(resource, Verdict.Fail, "not ok");

    private static RunResult Merge(params RunResult[] shards) => ShardMerge.Merge(shards, "merged", []);

    [Fact]
    public void Merge_MissingShard_IsRefusedNamingIt()
    {
        var ex = Assert.Throws<ShardMergeException>(() => Merge(Shard(0, 3), Shard(2, 3)));

        Assert.Contains("shard 1/3 missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_SameShardTwice_IsRefused()
    {
        var ex = Assert.Throws<ShardMergeException>(() => Merge(Shard(0, 2), Shard(1, 2), Shard(1, 2) with { RunId = "again" }));

        Assert.Contains("shard 1/2 is given 2 times", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_ShardsOfDifferentCounts_AreRefused()
    {
        var ex = Assert.Throws<ShardMergeException>(() => Merge(Shard(0, 2), Shard(1, 3)));

        Assert.Contains("same N", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_ShardsThatRanOtherRules_AreRefused()
    {
        var other = Shard(1, 2) with { Shard = new RunShard(1, 2, "other-digest") };

        var ex = Assert.Throws<ShardMergeException>(() => Merge(Shard(0, 2), other));

        Assert.Contains("ran other rules", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_RunThatIsNoShard_IsRefused()
    {
        var ex = Assert.Throws<ShardMergeException>(() => Merge(Shard(0, 1) with { Shard = null }));

        Assert.Contains("not a shard", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_OrganisationSeenByEveryShard_KeepsItsFindingOnceAndUnitesTheRepositories()
    {
        var merged = Merge(
            Shard(0, 2, Execution("GH-1", "org", Pass("org"), Pass("org/a"))),
            Shard(1, 2, Execution("GH-1", "org", Pass("org"), Fail("org/b"))));

        var execution = Assert.Single(merged.Rules);
        Assert.Equal(["org", "org/a", "org/b"], execution.Findings.Select(f => f.Resource));
        Assert.Equal(Verdict.Fail, execution.Verdict);
        Assert.Equal(At, merged.StartedAt);
        Assert.Equal(At.AddSeconds(11), merged.EndedAt);
    }

    [Fact]
    public void Merge_FindingRecordedTwiceInOneShard_StaysTwice()
    {
        var merged = Merge(
            Shard(0, 2, Execution("GH-1", "org", Pass("org"), Pass("org"))),
            Shard(1, 2, Execution("GH-1", "org", Pass("org"))));

        Assert.Equal(2, Assert.Single(merged.Rules).Findings.Count);
    }

    [Fact]
    public void Merge_ErrorInOneShard_MakesTheExecutionAnErrorNeverAPass()
    {
        var broken = Execution("GH-1", "org") with { Verdict = Verdict.Error, Error = "source fault (transient): 503", Faults = ["github: 503"] };

        var merged = Merge(Shard(0, 2, Execution("GH-1", "org", Pass("org/a"))), Shard(1, 2, broken));

        var execution = Assert.Single(merged.Rules);
        Assert.Equal(Verdict.Error, execution.Verdict);
        Assert.Equal("source fault (transient): 503", execution.Error);
        Assert.Equal(["github: 503"], execution.Faults);
    }

    [Fact]
    public void Merge_TargetsOfDifferentShards_AreAllKeptInRuleThenTargetOrder()
    {
        var merged = Merge(
            Shard(0, 2, Execution("AZ-1", "sub-b", Pass("b"))),
            Shard(1, 2, Execution("AZ-1", "sub-a", Fail("a")), Execution("AA-0", "default", Pass("x"))));

        Assert.Equal(["AA-0 default", "AZ-1 sub-a", "AZ-1 sub-b"], merged.Rules.Select(r => $"{r.RuleId} {r.Target}"));
        Assert.Equal([Verdict.Pass, Verdict.Fail, Verdict.Pass], merged.Rules.Select(r => r.Verdict));
    }

    [Fact]
    public void Merge_SameExecutionWithOtherParameters_IsRefused()
    {
        var other = Execution("GH-1", "org", Pass("org/b")) with
        {
            Parameters = new Dictionary<string, JsonElement> { ["min"] = JsonSerializer.SerializeToElement(2) },
        };

        var ex = Assert.Throws<ShardMergeException>(() => Merge(Shard(0, 2, Execution("GH-1", "org", Pass("org/a"))), Shard(1, 2, other)));

        Assert.Contains("different parameters", ex.Message, StringComparison.Ordinal);
    }
}
