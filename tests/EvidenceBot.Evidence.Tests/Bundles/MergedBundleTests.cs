using EvidenceBot.Core.Engine;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Evidence.Tests.Bundles;

/// <summary>A merged bundle verifies with every shard in it, and tampering with any shard or with the union is caught.</summary>
public sealed class MergedBundleTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly LocalKeySigner _signer = Fixtures.Signer();

    /// <summary>Writes <paramref name="count"/> shard bundles of 3 executions each (distinct targets), then merges them into <c>merged/</c>.</summary>
    private async Task<BundleWriteResult> MergeAsync(int count = 3, string output = "merged")
    {
        var shards = new List<(RunResult Run, BundleWriteResult Written)>();
        for (var i = 0; i < count; i++)
        {
            var (run, sources) = Fixtures.Run(_dir.Sub($"rules-{i}"), 3);
            run = run with
            {
                Rules = [.. run.Rules.Select(r => r with { Target = $"target-{i}" })],
                Shard = new RunShard(i, count, new string('c', 64)),
            };
            var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
            {
                Run = run,
                RuleSources = sources,
                Signer = _signer,
                OutputRoot = _dir.Sub($"shard-{i}"),
                Time = new FakeTimeProvider(Fixtures.Start.AddMinutes(1)),
            }, CancellationToken.None);
            shards.Add((RunResultJson.Deserialize(File.ReadAllBytes(Path.Combine(written.BundlePath, "results.json")), "results.json"), written));
        }

        var merged = ShardMerge.Merge([.. shards.Select(s => s.Run)], "merged-run",
            [.. shards.Select(s => new MergedShard(s.Run.Shard!.Index, count, s.Run.RunId, s.Written.ManifestSha256, $"shards/{s.Run.Shard.Index}"))]);
        return await MergedBundleWriter.WriteAsync(new MergedBundleRequest
        {
            Run = merged,
            ShardFolders = shards.ToDictionary(s => s.Run.Shard!.Index, s => s.Written.BundlePath),
            Coverage = "{}"u8.ToArray(),
            Signer = _signer,
            OutputRoot = Path.Combine(_dir.Path, output),
            Time = new FakeTimeProvider(Fixtures.Start.AddMinutes(2)),
        }, CancellationToken.None);
    }

    private static VerificationReport Verify(string bundle, string? previous = null) => BundleVerifier.Verify(bundle, Fixtures.PublicKey(), previous);

    [Fact]
    public async Task Verify_MergedBundle_ChecksItAndEveryShardInIt()
    {
        var written = await MergeAsync();

        var report = Verify(written.BundlePath);

        Assert.True(report.Passed, string.Join("\n", report.Failures));
        Assert.Equal(9, report.Statements);
        Assert.Contains(report.Checks, c => c.Check == "merge.results" && c.Passed);
        Assert.Contains(report.Checks, c => c.Check == "merge.shards" && c.Passed);
        foreach (var shard in new[] { "shards/0/", "shards/1/", "shards/2/" })
            Assert.Contains(report.Checks, c => c.Check == "statement.signature" && c.Passed && c.File.StartsWith(shard, StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(written.BundlePath, "coverage.json")));
    }

    [Fact]
    public async Task Verify_MergedBundleWithAShardFileChanged_FailsNamingTheShardAndFile()
    {
        var written = await MergeAsync();
        var raw = Directory.GetFiles(Path.Combine(written.BundlePath, "shards", "1", "raw")).Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(raw);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(raw, bytes);

        var report = Verify(written.BundlePath);

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "file.digest" && c.File == "shards/1/raw/" + Path.GetFileName(raw));
    }

    [Fact]
    public async Task Verify_MergedBundleWithAShardRemoved_Fails()
    {
        var written = await MergeAsync();
        Directory.Delete(Path.Combine(written.BundlePath, "shards", "2"), recursive: true);

        var report = Verify(written.BundlePath);

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.File == "shards/2/manifest.json" && c.Check == "file.missing");
        Assert.Contains(report.Failures, c => c.Check == "merge.shard" && c.File == "shards/2");
    }

    [Fact]
    public async Task Verify_MergedBundleWithAFileAddedToAShard_FailsAsExtra()
    {
        var written = await MergeAsync();
        File.WriteAllText(Path.Combine(written.BundlePath, "shards", "0", "statements", "99999-EXTRA.sigstore.json"), "{}");

        var report = Verify(written.BundlePath);

        Assert.Contains(report.Failures, c => c.Check == "file.extra" && c.File == "shards/0/statements/99999-EXTRA.sigstore.json");
    }

    [Fact]
    public async Task Verify_MergedBundleWithAnUndeclaredShardFolder_FailsAsExtra()
    {
        var written = await MergeAsync(count: 2);
        Directory.CreateDirectory(Path.Combine(written.BundlePath, "shards", "7"));
        File.WriteAllText(Path.Combine(written.BundlePath, "shards", "7", "results.json"), "{}");

        var report = Verify(written.BundlePath);

        Assert.Contains(report.Failures, c => c.Check == "file.extra" && c.File == "shards/7/results.json");
    }

    [Fact]
    public async Task Write_IntoAnOutputFolderWithAChain_LinksToItsHead()
    {
        var first = await Fixtures.WriteAsync(_dir, _signer, outputName: "merged");

        var merged = await MergeAsync(count: 2);

        Assert.Equal(first.ManifestSha256, merged.PreviousManifestSha256);
        Assert.True(Verify(merged.BundlePath, previous: first.BundlePath).Passed);
        Assert.Equal(merged.ManifestSha256, EvidenceBundleWriter.ReadChainHead(Path.Combine(_dir.Path, "merged"))!.ManifestSha256);
    }

    public void Dispose()
    {
        _signer.Dispose();
        _dir.Dispose();
    }
}
