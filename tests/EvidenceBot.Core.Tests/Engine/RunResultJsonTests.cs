using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Engine;

public class RunResultJsonTests
{
    // What results.json is defined as: the serializer's output with the web defaults, indented, nulls left out.
    private static readonly JsonSerializerOptions Reference = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [Fact]
    public void Serialize_IsByteForByteWhatTheSerializerWrites()
    {
        var run = Sample();

        var written = RunResultJson.Serialize(run);

        Assert.Equal(JsonSerializer.Serialize(run, Reference), Encoding.UTF8.GetString(written));
    }

    [Fact]
    public void Serialize_EmptyRun_IsByteForByteWhatTheSerializerWrites()
    {
        var run = new RunResult { RunId = "r", EngineVersion = "0.1.0" };

        Assert.Equal(JsonSerializer.Serialize(run, Reference), Encoding.UTF8.GetString(RunResultJson.Serialize(run)));
    }

    [Fact]
    public void Serialize_ShardAndMergedRuns_AreByteForByteWhatTheSerializerWrites()
    {
        var shard = Sample() with { Shard = new RunShard(1, 4, new string('a', 64)) };
        var merged = Sample() with { Shards = [new MergedShard(0, 1, "r0", new string('b', 64), "shards/0")] };

        Assert.Equal(JsonSerializer.Serialize(shard, Reference), Encoding.UTF8.GetString(RunResultJson.Serialize(shard)));
        Assert.Equal(JsonSerializer.Serialize(merged, Reference), Encoding.UTF8.GetString(RunResultJson.Serialize(merged)));
    }

    [Fact]
    public void Deserialize_WhatSerializeWrote_WritesTheSameBytesAgain()
    {
        var bytes = RunResultJson.Serialize(Sample() with { Shard = new RunShard(1, 4, new string('a', 64)) });

        var read = RunResultJson.Deserialize(bytes, "results.json");

        Assert.Equal(bytes, RunResultJson.Serialize(read));
        Assert.Equal(new RunShard(1, 4, new string('a', 64)), read.Shard);
    }

    [Fact]
    public void Deserialize_NotARunSummary_NamesTheFile()
    {
        var ex = Assert.Throws<InvalidDataException>(() => RunResultJson.Deserialize("""{"runId": 5}"""u8, "shards/0/results.json"));

        Assert.Contains("shards/0/results.json", ex.Message, StringComparison.Ordinal);
    }

    private static RunResult Sample()
    {
        using var observed = JsonDocument.Parse("""{"n":1,"list":[true,null,"<a & b>"],"nested":{"x":1.5e3}}""");
        using var parameters = JsonDocument.Parse("""{"min":2,"names":["a","é"],"none":null}""");
        var at = new DateTimeOffset(2026, 11, 28, 12, 0, 0, 123, TimeSpan.Zero);
        return new RunResult
        {
            RunId = "0123456789abcdef",
            StartedAt = at,
            EndedAt = at.AddSeconds(3),
            EngineVersion = "0.1.0",
            Skipped = [new SkippedRule("AZ-1", "rules/azure/a.csx", "source 'azure' not configured for this run")],
            ExpiredWaivers = [new ExpiredWaiver("W-0", "GH-1", new string('b', 64), new DateOnly(2026, 11, 1))],
            Rules =
            [
                new RuleExecutionResult
                {
                    RuleId = "GH-1",
                    Title = "Branch \"main\" is protected — ünïcode",
                    Severity = Severity.High,
                    Target = "octo-org",
                    Verdict = Verdict.Fail,
                    StartedAt = at,
                    EndedAt = at.AddMilliseconds(7),
                    DurationMs = 7,
                    Parameters = parameters.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
                    Controls = [new ControlMapping("ISO27001:2022/A.8.16", ControlRelation.Satisfies), new ControlMapping("ISO42001:2023/A.6.2.6", ControlRelation.Partial)],
                    Findings =
                    [
                        new Finding("repo-a", Verdict.Pass, "fine", observed.RootElement.Clone()),
                        new Finding("repo-b\n", Verdict.Fail, "not protected: 'main'"),
                        new Finding("repo-c", Verdict.Waived, "not protected", null, new WaiverReference("W-1", new string('a', 64), "alice@example.com", new DateOnly(2027, 1, 15))),
                    ],
                    Faults = ["github: 403 forbidden"],
                    Log = ["line 1", "line\t2"],
                    SourcePath = "rules/github/branch.csx",
                    SourceSha256 = "ab12",
                },
                new RuleExecutionResult
                {
                    RuleId = "GH-2",
                    Title = "Errors",
                    Target = "default",
                    Verdict = Verdict.Error,
                    Error = "timed out after 60s",
                },
            ],
        };
    }
}
