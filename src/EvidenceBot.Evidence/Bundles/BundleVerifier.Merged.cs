using EvidenceBot.Core.Engine;
using EvidenceBot.Evidence.Signing;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>The checks of a merged bundle (<c>bundle merge</c>): the shard set, each shard verified, and the union.</summary>
public static partial class BundleVerifier
{
    /// <summary>The folders (with a trailing '/') of the shards a merged manifest declares at their only valid place; none otherwise.</summary>
    private static List<string> MergedShardFolders(ManifestPredicate m) =>
        m.Shards is null ? [] : [.. m.Shards.Where(s => s is not null && s.Bundle == ShardFolder(s.Index)).Select(s => s.Bundle + "/")];

    private static string ShardFolder(int index) => $"{BundleLayout.Shards}/{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Checks a merged bundle: every shard 0..N-1 exactly once at <c>shards/&lt;index&gt;</c>; each shard verified as a
    /// bundle of its own with the same key (its checks are reported under its folder), its manifest the one the merged
    /// manifest lists; <c>results.json</c> exactly the union <see cref="ShardMerge"/> makes of the shards' results; and a
    /// <c>coverage.json</c>. Returns the statements the shards hold.
    /// </summary>
    private static int CheckMerged(string folder, ManifestPredicate m, Dictionary<string, ManifestFile> listed, HashSet<string> present, EvidencePublicKey key, CheckCollector c)
    {
        const string Manifest = BundleLayout.Manifest;
        var shards = m.Shards!;
        if (shards.Count == 0 || shards.Any(s => s is null || s.RunId is null || s.ManifestSha256 is null || s.Bundle is null))
        {
            c.Fail("merge.shards", Manifest, "a merged manifest must list its shards, each with index, count, runId, manifestSha256 and bundle", "predicate.shards");
            return 0;
        }

        var count = shards[0].Count;
        var indices = shards.Select(s => s.Index).ToList();
        var complete = shards.All(s => s.Count == count) && indices.Order().SequenceEqual(Enumerable.Range(0, Math.Max(count, 0)));
        c.Expect(complete, "merge.shards", Manifest, $"every shard 0 to {count - 1} of {count}, once each",
            $"the shards listed ({string.Join(", ", shards.Select(s => $"{s.Index}/{s.Count}"))}) are not every shard 0 to {count - 1} of {count} exactly once: part of the estate is missing or counted twice",
            "predicate.shards");
        foreach (var s in shards.Where(s => s.Bundle != ShardFolder(s.Index)))
            c.Fail("merge.shards", Manifest, $"shard {s.Index} is at '{s.Bundle}'; a merged bundle keeps shard I at {ShardFolder(s.Index)}", "predicate.shards");
        c.Expect(listed.ContainsKey(BundleLayout.Coverage), "merge.coverage", BundleLayout.Coverage, "the merged coverage is listed in the manifest",
            "the merged bundle has no coverage.json in its manifest");

        var statements = 0;
        var shardResults = new List<RunResult>();
        foreach (var shard in shards.Where(s => s.Bundle == ShardFolder(s.Index)).OrderBy(s => s.Index))
        {
            var shardManifest = $"{shard.Bundle}/{Manifest}";
            c.Expect(listed.TryGetValue(shardManifest, out var file) && file.Sha256 == shard.ManifestSha256, "merge.shard", shardManifest,
                "the shard's manifest is the one the merged manifest names", $"the merged manifest does not list {shardManifest} with SHA-256 {shard.ManifestSha256}");
            c.Expect(listed.ContainsKey($"{shard.Bundle}/{BundleLayout.ManifestSignature}"), "merge.shard", $"{shard.Bundle}/{BundleLayout.ManifestSignature}",
                "the shard's manifest signature is listed", "the merged manifest does not list the shard's manifest signature");
            var shardFolder = Path.Combine(folder, shard.Bundle.Replace('/', Path.DirectorySeparatorChar));
            if (!Directory.Exists(shardFolder))
            {
                c.Fail("merge.shard", shard.Bundle, "the shard's bundle folder is missing");
                continue;
            }

            // Each shard is a bundle of its own: verified whole, with the same key, and reported under its folder.
            var report = VerifyFolder(shardFolder, shard.Bundle, key, null, new CheckCollector(), asShard: true);
            foreach (var check in report.Checks)
                c.Add(check with { File = check.File == "." ? shard.Bundle : $"{shard.Bundle}/{check.File}" });
            statements += report.Statements;
            c.Expect(report.RunId == shard.RunId, "merge.shard", shardManifest, $"shard {shard.Index} is run {shard.RunId}",
                $"the shard's manifest is run '{report.RunId}', the merged manifest says '{shard.RunId}'");
            try
            {
                var bytes = ReadBounded(Path.Combine(shardFolder, BundleLayout.Results), MaxDocumentBytes)
                    ?? throw new InvalidDataException($"larger than {MaxDocumentBytes} bytes");
                var result = RunResultJson.Deserialize(bytes, $"{shard.Bundle}/{BundleLayout.Results}");
                c.Expect(result.Shard is { } s && s.Index == shard.Index && s.Count == shard.Count, "merge.shard", $"{shard.Bundle}/{BundleLayout.Results}",
                    $"the shard's results say shard {shard.Index}/{shard.Count}",
                    $"the shard's results say {(result.Shard is { } r ? $"shard {r.Index}/{r.Count}" : "no shard")}, the merged manifest {shard.Index}/{shard.Count}", "shard");
                shardResults.Add(result);
            }
            catch (Exception ex)
            {
                c.Fail("merge.shard", $"{shard.Bundle}/{BundleLayout.Results}", $"could not be read ({ex.Message})");
            }
        }

        CheckMergedResults(folder, m, present, shardResults, c);
        return statements;
    }

    /// <summary><c>results.json</c> must be exactly what merging the shards' results gives, byte for byte.</summary>
    private static void CheckMergedResults(string folder, ManifestPredicate m, HashSet<string> present, List<RunResult> shardResults, CheckCollector c)
    {
        const string Results = BundleLayout.Results;
        if (!present.Contains(Results))
        {
            c.Fail("results", Results, "the merged run summary is missing");
            return;
        }

        try
        {
            var bytes = ReadBounded(Path.Combine(folder, Results), MaxDocumentBytes) ?? throw new InvalidDataException($"larger than {MaxDocumentBytes} bytes");
            var merged = RunResultJson.Deserialize(bytes, Results);
            c.Expect(merged.RunId == m.RunId, "results", Results, "run id matches the manifest", $"run id '{merged.RunId}' differs from the manifest's '{m.RunId}'", "runId");
            var sameShards = merged.Shards is not null && merged.Shards.SequenceEqual(m.Shards!);
            c.Expect(sameShards, "results", Results, "lists the manifest's shards", "its 'shards' differ from the manifest's", "shards");
            if (!sameShards || shardResults.Count != m.Shards!.Count)
                return;
            var expected = RunResultJson.Serialize(ShardMerge.Merge(shardResults, m.RunId, merged.Shards!));
            c.Expect(expected.AsSpan().SequenceEqual(bytes), "merge.results", Results, $"the union of the {shardResults.Count} shards' results ({merged.Rules.Count} execution(s))",
                "differs from the union of the shards' results: a verdict, finding or execution was changed, added or dropped in the merge");
        }
        catch (ShardMergeException ex)
        {
            c.Fail("merge.results", Results, "the shards do not merge: " + ex.Message);
        }
        catch (Exception ex)
        {
            c.Fail("results", Results, $"could not be checked ({ex.GetType().Name}: {ex.Message}): treated as failed");
        }
    }
}
