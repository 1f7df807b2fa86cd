using System.Text;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.IO;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>What goes into a merged bundle (<c>bundle merge</c>).</summary>
public sealed record MergedBundleRequest
{
    /// <summary>The merged run: the union of the shards' executions, with <see cref="RunResult.Shards"/> set.</summary>
    public required RunResult Run { get; init; }

    /// <summary>Each shard's verified bundle folder, keyed by shard index; copied to <c>shards/&lt;index&gt;/</c>.</summary>
    public required IReadOnlyDictionary<int, string> ShardFolders { get; init; }

    /// <summary>The bytes of <c>coverage.json</c>.</summary>
    public required byte[] Coverage { get; init; }

    /// <summary>The key that signs the merged manifest.</summary>
    public required IEvidenceSigner Signer { get; init; }

    /// <summary>The output root: the merged bundle joins its chain (<c>chain-head.json</c>).</summary>
    public required string OutputRoot { get; init; }

    /// <summary>Also write <c>&lt;bundle&gt;.tar.gz</c>.</summary>
    public bool Archive { get; init; }

    /// <summary>The clock for the manifest's <c>createdAt</c>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// Writes the bundle of a merged run: the shard bundles as they were signed, under <c>shards/&lt;index&gt;/</c>; one
/// <c>results.json</c> (the union) and one <c>coverage.json</c>; the public key; and a signed manifest listing those
/// files and each shard's <c>manifest.json</c> and signature by digest (each shard's own signed manifest covers the rest
/// of its files), chained to the output root's previous bundle like any run's.
/// </summary>
public static class MergedBundleWriter
{
    /// <summary>Writes the merged bundle; throws on any failure, leaving no complete-looking folder.</summary>
    public static async Task<BundleWriteResult> WriteAsync(MergedBundleRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var run = request.Run;
        var shards = run.Shards ?? throw new ArgumentException("the merged run lists no shards", nameof(request));
        using var pending = await EvidenceBundleWriter.PendingBundle.BeginAsync(request.OutputRoot, run.RunId, request.Time, ct).ConfigureAwait(false);
        var temp = pending.Temp;
        try
        {
            var files = new List<ManifestFile>();
            void Put(string relative, byte[] bytes)
            {
                FileBytes.Write(Path.Combine(temp, relative.Replace('/', Path.DirectorySeparatorChar)), bytes);
                files.Add(new ManifestFile(relative, EvidenceBundleWriter.Sha256Hex(bytes), bytes.Length));
            }

            var statements = 0;
            var raw = 0;
            foreach (var shard in shards)
            {
                var from = request.ShardFolders[shard.Index];
                var to = Path.Combine(temp, shard.Bundle.Replace('/', Path.DirectorySeparatorChar));
                CopyRegularFiles(from, to, ct);
                foreach (var name in new[] { BundleLayout.Manifest, BundleLayout.ManifestSignature })
                {
                    var bytes = await File.ReadAllBytesAsync(Path.Combine(to, name), ct).ConfigureAwait(false);
                    files.Add(new ManifestFile($"{shard.Bundle}/{name}", EvidenceBundleWriter.Sha256Hex(bytes), bytes.Length));
                }

                if (EvidenceBundleWriter.Sha256Hex(await File.ReadAllBytesAsync(Path.Combine(to, BundleLayout.Manifest), ct).ConfigureAwait(false)) != shard.ManifestSha256)
                    throw new InvalidDataException($"{from}: its manifest.json changed while it was merged; merge again");
                statements += Directory.Exists(Path.Combine(to, BundleLayout.Statements)) ? Directory.GetFiles(Path.Combine(to, BundleLayout.Statements)).Length : 0;
                raw += Directory.Exists(Path.Combine(to, BundleLayout.Raw)) ? Directory.GetFiles(Path.Combine(to, BundleLayout.Raw)).Length : 0;
            }

            var results = RunResultJson.Serialize(run);
            Put(BundleLayout.Results, results);
            Put(BundleLayout.Coverage, request.Coverage);
            Put(BundleLayout.PublicKey, Encoding.ASCII.GetBytes(request.Signer.PublicKey.ToPem()));

            var listed = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
            var manifest = new InTotoStatement<ManifestPredicate>
            {
                Subject = [.. listed.Select(f => InTotoSubject.Sha256(f.Path, f.Sha256))],
                PredicateType = InTotoStatement.ManifestPredicateType,
                Predicate = new ManifestPredicate
                {
                    RunId = run.RunId,
                    EngineVersion = run.EngineVersion,
                    CreatedAt = pending.CreatedAt,
                    Signed = true,
                    KeyId = request.Signer.PublicKey.KeyId,
                    PreviousManifestSha256 = pending.Previous,
                    Files = listed,
                    Shards = shards,
                },
            };
            return await pending.CommitAsync(InTotoStatement.Serialize(manifest), request.Signer, request.Archive, results, null, statements, raw, ct)
                .ConfigureAwait(false);
        }
        catch
        {
            EvidenceBundleWriter.TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Copies a bundle folder's regular files, keeping its layout, and nothing else: a link, FIFO or device is neither
    /// followed nor copied (so what is verified afterwards is the copy, and a link cannot smuggle a file in).
    /// </summary>
    public static void CopyRegularFiles(string from, string to, CancellationToken ct = default)
    {
        Directory.CreateDirectory(to);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos("*", options))
        {
            ct.ThrowIfCancellationRequested();
            var kind = FileKind.NotRegular(entry.FullName);
            var target = Path.Combine(to, entry.Name);
            if (kind is null)
                File.Copy(entry.FullName, target);
            else if (kind == "a folder" && entry is DirectoryInfo && entry.LinkTarget is null)
                CopyRegularFiles(entry.FullName, target, ct);
        }
    }
}
