using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>
/// Verifies a bundle offline with the signer's public key: every signature (strict DER), every file digest and size,
/// no missing or extra files, each statement's predicate schema, run id and subjects, and the chain link.
/// </summary>
public static partial class BundleVerifier
{
    /// <summary>
    /// Verifies a bundle folder or its <c>.tar.gz</c>. Never throws for a bad bundle: every problem is a failed check.
    /// </summary>
    /// <param name="bundlePathOrTarGz">A bundle folder, or the archive <c>--archive</c> wrote.</param>
    /// <param name="publicKey">The key the auditor trusts.</param>
    /// <param name="previous">
    /// Optional chain link to check: the previous run's manifest SHA-256 (64 hex digits), or the previous bundle
    /// (folder or archive), whose <c>manifest.json</c> digest is then computed.
    /// </param>
    public static VerificationReport Verify(string bundlePathOrTarGz, EvidencePublicKey publicKey, string? previous = null) =>
        Verify(bundlePathOrTarGz, publicKey, previous, null);

    /// <summary>
    /// Verifies a bundle folder or its <c>.tar.gz</c>, then hands <paramref name="inspect"/> the bundle folder and the
    /// report (passed or not) before an extracted archive is deleted, so a reader such as <c>report</c> needs no second
    /// extraction. Not called when an archive could not be extracted (there is no folder).
    /// </summary>
    /// <param name="bundlePathOrTarGz">A bundle folder, or the archive <c>--archive</c> wrote.</param>
    /// <param name="publicKey">The key the auditor trusts.</param>
    /// <param name="previous">Optional chain link to check, as for <see cref="Verify(string, EvidencePublicKey, string?)"/>.</param>
    /// <param name="inspect">Called with the bundle folder and the report.</param>
    public static VerificationReport Verify(string bundlePathOrTarGz, EvidencePublicKey publicKey, string? previous, Action<string, VerificationReport>? inspect)
    {
        ArgumentNullException.ThrowIfNull(bundlePathOrTarGz);
        ArgumentNullException.ThrowIfNull(publicKey);
        string? expectedPrevious = null;
        if (previous is not null)
            expectedPrevious = ResolvePrevious(previous);

        if (IsArchive(bundlePathOrTarGz))
        {
            var temp = Path.Combine(Path.GetTempPath(), "evidencebot-verify-" + Guid.NewGuid().ToString("N"));
            try
            {
                var collector = new CheckCollector();
                var folder = Extract(bundlePathOrTarGz, temp, collector);
                if (folder is null)
                    return new VerificationReport { Bundle = bundlePathOrTarGz, KeyId = publicKey.KeyId, Checks = collector.Sorted() };
                var verified = VerifyFolder(folder, bundlePathOrTarGz, publicKey, expectedPrevious, collector);
                inspect?.Invoke(folder, verified);
                return verified;
            }
            finally
            {
                if (Directory.Exists(temp))
                    Directory.Delete(temp, recursive: true);
            }
        }

        if (!Directory.Exists(bundlePathOrTarGz))
            throw new DirectoryNotFoundException($"{bundlePathOrTarGz}: no such bundle folder or .tar.gz archive");
        var full = Path.GetFullPath(bundlePathOrTarGz);
        var report = VerifyFolder(full, bundlePathOrTarGz, publicKey, expectedPrevious, new CheckCollector());
        inspect?.Invoke(full, report);
        return report;
    }

    /// <summary>
    /// The previous-manifest digest a <c>--previous</c> argument stands for: the argument itself when it is 64 hex
    /// digits, else the SHA-256 of <c>manifest.json</c> in that bundle folder or archive.
    /// </summary>
    public static string ResolvePrevious(string previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var lower = previous.Trim().ToLowerInvariant();
        if (EvidenceBundleWriter.IsSha256Hex(lower))
            return lower;
        if (Directory.Exists(previous))
        {
            var manifest = Path.Combine(previous, BundleLayout.Manifest);
            if (!File.Exists(manifest))
                throw new FileNotFoundException($"{previous}: not a bundle (no {BundleLayout.Manifest})", manifest);
            if (FileKind.NotRegular(manifest) is { } kind)
                throw new ArgumentException($"--previous {previous}: its {BundleLayout.Manifest} is {kind}, not a regular file; give the previous bundle or its manifest SHA-256");
            var bytes = ReadBounded(manifest, MaxManifestBytes)
                ?? throw new ArgumentException($"--previous {previous}: its {BundleLayout.Manifest} is larger than {MaxManifestBytes} bytes: not a manifest this tool wrote");
            return EvidenceBundleWriter.Sha256Hex(bytes);
        }

        if (File.Exists(previous) && IsArchive(previous))
        {
            try
            {
                return PreviousManifestInArchive(previous);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or FormatException or UnauthorizedAccessException or NotSupportedException)
            {
                throw new ArgumentException($"--previous {previous}: not a readable .tar.gz ({ex.Message}); give the previous bundle's folder, an intact archive, or its manifest SHA-256", ex);
            }
        }

        throw new ArgumentException($"--previous '{previous}': expected a manifest SHA-256 (64 hex digits) or a previous bundle folder or .tar.gz");
    }

    /// <summary>
    /// The SHA-256 of <c>manifest.json</c> in a bundle archive. The whole archive's structure is checked first, so a
    /// truncated or tampered archive is refused rather than a partial manifest hashed.
    /// </summary>
    private static string PreviousManifestInArchive(string previous)
    {
        using var file = File.OpenRead(previous);
        if (CheckArchiveStructure(file, out _) is { } problem)
            throw new InvalidDataException(problem);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            var parts = entry.Name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == BundleLayout.Manifest && entry.DataStream is not null
                && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                if (entry.Length > MaxManifestBytes)
                    throw new InvalidDataException($"its {BundleLayout.Manifest} is larger than {MaxManifestBytes} bytes");
                using var buffer = new MemoryStream();
                entry.DataStream.CopyTo(buffer);
                if (buffer.Length != entry.Length)
                    throw new InvalidDataException($"its {BundleLayout.Manifest} holds {buffer.Length} of {entry.Length} bytes (truncated)");
                return EvidenceBundleWriter.Sha256Hex(buffer.ToArray());
            }
        }

        throw new FileNotFoundException($"{previous}: the archive holds no {BundleLayout.Manifest}", previous);
    }

    private static bool IsArchive(string path) =>
        path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    private static VerificationReport VerifyFolder(string folder, string shownAs, EvidencePublicKey key, string? expectedPrevious, CheckCollector c, bool asShard = false)
    {
        try
        {
            return VerifyFolderChecked(folder, shownAs, key, expectedPrevious, c, asShard);
        }
        catch (Exception ex)
        {
            // Last line of defence: whatever a hostile bundle provokes is a failed check, never a crash or a pass.
            c.Fail("bundle", ".", $"verification stopped on {ex.GetType().Name}: {ex.Message}; the bundle cannot be trusted");
            return Report(shownAs, key, c, null, null, null, 0, 0);
        }
    }

    private static VerificationReport VerifyFolderChecked(string folder, string shownAs, EvidencePublicKey key, string? expectedPrevious, CheckCollector c, bool asShard)
    {
        const string Bundle = ".";
        if (Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)).StartsWith(BundleLayout.PartialPrefix, StringComparison.Ordinal))
            c.Fail("complete", Bundle, $"the folder name starts with '{BundleLayout.PartialPrefix}': a bundle whose write never finished (the run was killed or failed)");

        // Only regular files are read: a link or FIFO in their place is a failure of its own, and is never followed.
        var (regular, irregular) = ListBundle(folder);
        foreach (var (path, kind) in irregular.OrderBy(p => p.Key, StringComparer.Ordinal))
            c.Fail("file.type", path, $"{kind}: only regular files belong in a bundle, so it is neither followed nor read");

        var manifestPath = Path.Combine(folder, BundleLayout.Manifest);
        if (!regular.Contains(BundleLayout.Manifest))
        {
            if (!irregular.ContainsKey(BundleLayout.Manifest))
                c.Fail("file.missing", BundleLayout.Manifest, "no manifest: not a bundle, or an incomplete one");
            return Report(shownAs, key, c, null, null, null, 0, 0);
        }

        if (ReadBounded(manifestPath, MaxManifestBytes) is not { } manifestBytes)
        {
            c.Fail("manifest.format", BundleLayout.Manifest, $"larger than {MaxManifestBytes} bytes: not a manifest this tool wrote");
            return Report(shownAs, key, c, null, null, null, 0, 0);
        }

        var manifestSha = EvidenceBundleWriter.Sha256Hex(manifestBytes);

        // The manifest's signature, over exactly the bytes of manifest.json.
        var signaturePath = Path.Combine(folder, BundleLayout.ManifestSignature);
        var signatureBytes = regular.Contains(BundleLayout.ManifestSignature) ? ReadBounded(signaturePath, MaxManifestBytes * 2) : null;
        if (signatureBytes is not null)
        {
            var payload = VerifyEnvelope(signatureBytes, BundleLayout.ManifestSignature, key, c, "manifest.signature");
            if (payload is not null)
            {
                c.Expect(payload.AsSpan().SequenceEqual(manifestBytes), "manifest.signature", BundleLayout.ManifestSignature,
                    "the signed payload is exactly manifest.json", "the signed payload differs from manifest.json: manifest.json was changed after signing", "dsseEnvelope.payload");
            }
        }
        else if (regular.Contains(BundleLayout.ManifestSignature))
        {
            c.Fail("manifest.signature", BundleLayout.ManifestSignature, $"larger than {MaxManifestBytes * 2} bytes: not a signature this tool wrote");
        }
        else if (!irregular.ContainsKey(BundleLayout.ManifestSignature))
        {
            c.Fail("manifest.signature", BundleLayout.ManifestSignature, "missing: the manifest is not signed, so nothing in the bundle can be trusted");
        }

        InTotoStatement<ManifestPredicate> manifest;
        try
        {
            manifest = InTotoStatement.Deserialize<ManifestPredicate>(manifestBytes, BundleLayout.Manifest);
            if (manifest.Predicate is null || manifest.Subject is null || string.IsNullOrEmpty(manifest.Predicate.RunId))
                throw new InvalidDataException("predicate.runId / subject missing");
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or ArgumentException or FormatException)
        {
            c.Fail("manifest.format", BundleLayout.Manifest, ex.Message);
            return Report(shownAs, key, c, null, manifestSha, null, 0, 0);
        }

        var m = manifest.Predicate;
        if (m.Files is null)
        {
            c.Fail("manifest.format", BundleLayout.Manifest, "predicate.files is missing or null: the manifest lists no files", "predicate.files");
            return Report(shownAs, key, c, m.RunId, manifestSha, m.PreviousManifestSha256, 0, 0);
        }

        c.Expect(manifest.Type == InTotoStatement.StatementType, "manifest.format", BundleLayout.Manifest, "in-toto Statement v1",
            $"_type is '{manifest.Type}', expected '{InTotoStatement.StatementType}'", "_type");
        c.Expect(manifest.PredicateType == InTotoStatement.ManifestPredicateType, "manifest.format", BundleLayout.Manifest, "manifest predicate v1",
            $"predicateType is '{manifest.PredicateType}', expected '{InTotoStatement.ManifestPredicateType}'", "predicateType");
        if (!m.Signed)
            c.Fail("manifest.signed", BundleLayout.Manifest, "the bundle is UNSIGNED (written without a key): its content cannot be trusted", "predicate.signed");
        else
            c.Expect(m.KeyId == key.KeyId, "manifest.signed", BundleLayout.Manifest, $"signed with key {key.KeyId}",
                $"the manifest names key {m.KeyId}, but the key given is {key.KeyId}", "predicate.keyId");

        // The subjects and the file table must say the same thing.
        var listed = new Dictionary<string, ManifestFile>(StringComparer.Ordinal);
        for (var i = 0; i < m.Files.Count; i++)
        {
            var f = m.Files[i];
            if (f is null || f.Path is null || f.Sha256 is null)
            {
                c.Fail("manifest.format", BundleLayout.Manifest, "a file entry needs a string path and sha256 and a numeric size",
                    f is null ? $"predicate.files[{i}]" : f.Path is null ? $"predicate.files[{i}].path" : $"predicate.files[{i}].sha256");
                continue;
            }

            if (!IsSafeRelative(f.Path) || f.Path is BundleLayout.Manifest or BundleLayout.ManifestSignature)
                c.Fail("manifest.format", BundleLayout.Manifest, $"'{f.Path}' is not a valid bundle file path", "predicate.files");
            else if (!listed.TryAdd(f.Path, f))
                c.Fail("manifest.format", BundleLayout.Manifest, $"'{f.Path}' is listed twice", "predicate.files");
        }

        for (var i = 0; i < manifest.Subject.Count; i++)
        {
            if (manifest.Subject[i]?.Name is null || manifest.Subject[i].Sha256Hex is null)
                c.Fail("manifest.format", BundleLayout.Manifest, "a subject needs a string name and a sha256 digest", $"subject[{i}]");
        }

        var subjectsAgree = manifest.Subject.Count == listed.Count
            && manifest.Subject.All(s => s?.Name is not null && listed.TryGetValue(s.Name, out var f) && f.Sha256 == s.Sha256Hex);
        c.Expect(subjectsAgree, "manifest.format", BundleLayout.Manifest, "subjects match the file table",
            "the subjects and predicate.files disagree", "subject");

        if (m.Shards is not null && asShard)
        {
            c.Fail("merge.shards", BundleLayout.Manifest, "a shard of a merged bundle is itself a merged bundle: merge shard runs only", "predicate.shards");
            return Report(shownAs, key, c, m.RunId, manifestSha, m.PreviousManifestSha256, 0, listed.Count);
        }

        // Every file present, none extra, each with its digest and size. In a merged bundle, each shard's folder is
        // checked by verifying that shard, whose own signed manifest lists its files.
        var shardPrefixes = MergedShardFolders(m);
        var present = regular
            .Where(p => p is not BundleLayout.Manifest and not BundleLayout.ManifestSignature)
            .Where(p => listed.ContainsKey(p) || !shardPrefixes.Any(prefix => p.StartsWith(prefix, StringComparison.Ordinal)))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var extra in present.Where(p => !listed.ContainsKey(p)).Order(StringComparer.Ordinal))
            c.Fail("file.extra", extra, "a file the manifest does not list: added after signing");
        foreach (var missing in listed.Keys.Where(p => !present.Contains(p) && !irregular.ContainsKey(p)).Order(StringComparer.Ordinal))
            c.Fail("file.missing", missing, "listed in the manifest but absent: deleted after signing");

        // Statements and waivers are read whole, once, and checked from those bytes; raw evidence is hashed as a stream.
        var documents = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        Parallel.ForEach(listed.Values.Where(f => present.Contains(f.Path)), f =>
        {
            try
            {
                CheckFile(folder, f, documents, c);
            }
            catch (Exception ex)
            {
                c.Fail("file.digest", f.Path, $"could not be read ({ex.GetType().Name}: {ex.Message}): treated as failed");
            }
        });

        // The bundle's own copy of the public key must be the key the auditor trusts.
        if (present.Contains(BundleLayout.PublicKey))
        {
            try
            {
                var pem = ReadBounded(Path.Combine(folder, BundleLayout.PublicKey), MaxDocumentBytes)
                    ?? throw new InvalidDataException($"larger than {MaxDocumentBytes} bytes: not a public key");
                using var reader = new StreamReader(new MemoryStream(pem));
                var inBundle = EvidencePublicKey.FromPem(reader.ReadToEnd(), BundleLayout.PublicKey);
                c.Expect(inBundle.KeyId == key.KeyId, "public-key", BundleLayout.PublicKey, "the bundle's public key is the key given",
                    $"the bundle carries key {inBundle.KeyId}, but the key given is {key.KeyId}");
            }
            catch (Exception ex)
            {
                c.Fail("public-key", BundleLayout.PublicKey, ex.Message);
            }
        }

        var statementFiles = listed.Keys.Where(p => p.StartsWith(BundleLayout.Statements + "/", StringComparison.Ordinal)).ToList();
        var shardStatements = 0;
        if (m.Shards is not null)
            shardStatements = CheckMerged(folder, m, listed, present, key, c);
        else
            CheckResults(folder, present, m.RunId, statementFiles.Count, c);

        var waivers = CheckWaivers(listed, documents, c);
        Parallel.ForEach(statementFiles, path =>
        {
            if (!documents.TryGetValue(path, out var bytes))
                return; // reported as missing
            try
            {
                VerifyStatement(path, bytes, m.RunId, listed, waivers, key, c);
            }
            catch (Exception ex)
            {
                c.Fail("statement.format", path, $"could not be checked ({ex.GetType().Name}: {ex.Message}): treated as failed");
            }
        });

        if (expectedPrevious is not null)
        {
            c.Expect(m.PreviousManifestSha256 == expectedPrevious, "chain", BundleLayout.Manifest,
                $"links to the previous manifest {expectedPrevious}",
                m.PreviousManifestSha256 is null
                    ? $"the manifest links to no previous run, expected {expectedPrevious}: the chain is broken"
                    : $"the manifest links to {m.PreviousManifestSha256}, expected {expectedPrevious}: the chain is broken",
                "predicate.previousManifestSha256");
        }

        ChainMembership.Add(shownAs, manifestSha, c);
        return Report(shownAs, key, c, m.RunId, manifestSha, m.PreviousManifestSha256, statementFiles.Count + shardStatements, listed.Count);
    }

    /// <summary>The largest manifest read (its signature may be twice that: it holds the manifest in base64).</summary>
    internal const long MaxManifestBytes = 256L * 1024 * 1024;

    /// <summary>The largest statement, run summary or public key read into memory; raw evidence is hashed as a stream, whatever its size.</summary>
    internal const long MaxDocumentBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The bundle's files, relative with '/' separators: the regular ones, and the rest (links, FIFOs, devices) with
    /// what they are. Folders are walked, but a link to a folder is not followed.
    /// </summary>
    private static (HashSet<string> Regular, Dictionary<string, string> Irregular) ListBundle(string folder)
    {
        var regular = new HashSet<string>(StringComparer.Ordinal);
        var irregular = new Dictionary<string, string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false, MatchType = MatchType.Simple };
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.TryPop(out var dir))
        {
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", options))
            {
                var relative = Path.GetRelativePath(folder, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
                var kind = FileKind.NotRegular(entry.FullName);
                if (kind is null)
                    regular.Add(relative);
                else if (kind == "a folder" && entry is DirectoryInfo && entry.LinkTarget is null)
                    pending.Push(entry.FullName);
                else
                    irregular[relative] = kind;
            }
        }

        return (regular, irregular);
    }

    /// <summary>Checks one listed file's size, then its digest (as a stream); keeps a statement's bytes for its own checks.</summary>
    private static void CheckFile(string folder, ManifestFile f, ConcurrentDictionary<string, byte[]> documents, CheckCollector c)
    {
        // One open file for its size and its bytes: the length is the open file's, so what is hashed is what was measured.
        using var stream = OpenRead(Path.Combine(folder, f.Path));
        var length = stream.Length;
        var isStatement = f.Path.StartsWith(BundleLayout.Statements + "/", StringComparison.Ordinal);
        var isWaiver = f.Path.StartsWith(BundleLayout.Waivers + "/", StringComparison.Ordinal);
        byte[]? bytes = null;
        if (isStatement || isWaiver)
        {
            // Read even when the size differs, so a statement swapped in from another run is named as such.
            bytes = length <= MaxDocumentBytes ? ReadBounded(stream, MaxDocumentBytes) : null;
            if (bytes is null)
                c.Fail(isStatement ? "statement.format" : "waiver.format", f.Path, $"larger than {MaxDocumentBytes} bytes ({length}): not a file this tool wrote; not read");
            else
                documents[f.Path] = bytes;
        }

        if (length != f.Size)
        {
            // Compared before reading, so a huge or endless file is never read.
            c.Fail("file.digest", f.Path, $"size changed after signing: {length} bytes, manifest says {f.Size} bytes");
            return;
        }

        var sha = bytes is not null ? EvidenceBundleWriter.Sha256Hex(bytes) : Sha256Of(stream, f.Size);
        if (sha != f.Sha256)
            c.Fail("file.digest", f.Path, sha is null
                ? $"its length changed while it was read (manifest says {f.Size} bytes)"
                : $"content changed after signing: SHA-256 {sha} ({length} bytes), manifest says {f.Sha256} ({f.Size} bytes)");
        else
            c.Pass("file.digest", f.Path, "SHA-256 and size match the manifest");
    }

    /// <summary>The SHA-256 (lowercase hex) of an open file, read from where it stands; null when it does not hold exactly <paramref name="length"/> bytes.</summary>
    private static string? Sha256Of(FileStream stream, long length)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        // Pooled, and no bigger than the file needs: a bundle holds thousands of files of a few kilobytes each.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Clamp(length + 1, 1, 128 * 1024));
        try
        {
            long total = 0;
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                total += n;
                if (total > length)
                    return null;
                hash.AppendData(buffer, 0, n);
            }

            return total == length ? Convert.ToHexStringLower(hash.GetHashAndReset()) : null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A file's bytes, or null when it holds more than <paramref name="max"/> (checked before and while reading).</summary>
    private static byte[]? ReadBounded(string path, long max)
    {
        using var stream = OpenRead(path);
        return ReadBounded(stream, max);
    }

    private static FileStream OpenRead(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);

    /// <summary>What an open file holds, or null when it holds more than <paramref name="max"/> (checked before and while reading).</summary>
    private static byte[]? ReadBounded(FileStream stream, long max)
    {
        var length = stream.Length;
        if (length > max)
            return null;
        // Read what the file says it holds, then make sure nothing follows (a file growing while it is read).
        var bytes = new byte[length];
        var read = 0;
        int n;
        while (read < bytes.Length && (n = stream.Read(bytes, read, bytes.Length - read)) > 0)
            read += n;
        if (read < bytes.Length)
            return bytes[..read];
        var next = stream.ReadByte();
        if (next < 0)
            return bytes;
        using var grown = new MemoryStream();
        grown.Write(bytes);
        grown.WriteByte((byte)next);
        var chunk = new byte[81920];
        while ((n = stream.Read(chunk)) > 0)
        {
            if (grown.Length + n > max)
                return null;
            grown.Write(chunk, 0, n);
        }

        return grown.Length > max ? null : grown.ToArray();
    }

    private static void CheckResults(string folder, HashSet<string> present, string runId, int statements, CheckCollector c)
    {
        if (!present.Contains(BundleLayout.Results))
        {
            c.Fail("results", BundleLayout.Results, "the run summary is missing");
            return;
        }

        try
        {
            var bytes = ReadBounded(Path.Combine(folder, BundleLayout.Results), MaxDocumentBytes);
            if (bytes is null)
            {
                c.Fail("results", BundleLayout.Results, $"larger than {MaxDocumentBytes} bytes: not a run summary this tool wrote");
                return;
            }

            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                c.Fail("results", BundleLayout.Results, $"the run summary is a JSON {doc.RootElement.ValueKind}, expected an object");
                return;
            }

            var id = String(doc.RootElement, "runId");
            c.Expect(id == runId, "results", BundleLayout.Results, "run id matches the manifest",
                id is null ? $"runId is missing or not a string, expected '{runId}'" : $"run id '{id}' differs from the manifest's '{runId}'", "runId");
            var count = doc.RootElement.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Array ? rules.GetArrayLength() : -1;
            c.Expect(count == statements, "results", BundleLayout.Results, $"{count} rule execution(s), one statement each",
                $"{count} rule execution(s) in the summary but {statements} statement(s) in the manifest", "rules");
        }
        catch (JsonException ex)
        {
            c.Fail("results", BundleLayout.Results, "not JSON: " + ex.Message);
        }
        catch (Exception ex)
        {
            c.Fail("results", BundleLayout.Results, $"could not be checked ({ex.GetType().Name}: {ex.Message}): treated as failed");
        }
    }

    private static void VerifyStatement(string path, byte[] bytes, string runId, Dictionary<string, ManifestFile> listed,
        IReadOnlyDictionary<string, BundledWaiver> waivers, EvidencePublicKey key, CheckCollector c)
    {
        byte[]? payload;
        if (path.EndsWith(BundleLayout.SignedSuffix, StringComparison.Ordinal))
        {
            payload = VerifyEnvelope(bytes, path, key, c, "statement.signature");
        }
        else
        {
            c.Fail("statement.signature", path, "the statement is not signed");
            payload = bytes;
        }

        if (payload is null)
            return;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(payload);
        }
        catch (JsonException ex)
        {
            c.Fail("statement.format", path, "the payload is not JSON: " + ex.Message, "dsseEnvelope.payload");
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                c.Fail("statement.format", path, "the payload is not a JSON object", "dsseEnvelope.payload");
                return;
            }

            var type = String(root, "_type");
            var predicateType = String(root, "predicateType");
            var formatOk = c.Expect(type == InTotoStatement.StatementType, "statement.format", path, "in-toto Statement v1",
                $"_type is '{type}', expected '{InTotoStatement.StatementType}'", "_type");
            formatOk &= c.Expect(predicateType == InTotoStatement.RuleExecutionPredicateType, "statement.format", path, "rule-execution predicate v1",
                $"predicateType is '{predicateType}', expected '{InTotoStatement.RuleExecutionPredicateType}'", "predicateType");
            if (!root.TryGetProperty("predicate", out var predicate) || predicate.ValueKind != JsonValueKind.Object)
            {
                c.Fail("statement.schema", path, "no predicate object", "predicate");
                return;
            }

            IReadOnlyList<string> schemaErrors;
            try
            {
                schemaErrors = PredicateSchema.Validate(predicate);
            }
            catch (Exception ex)
            {
                // NJsonSchema throws on some values (e.g. a number too large for its types): that predicate is not valid.
                schemaErrors = [$"the schema validator could not read the predicate ({ex.GetType().Name}: {ex.Message})"];
            }

            if (schemaErrors.Count == 0)
                c.Pass("statement.schema", path, "predicate matches schemas/evidence-predicate.schema.json");
            foreach (var e in schemaErrors)
                c.Fail("statement.schema", path, "predicate does not match schemas/evidence-predicate.schema.json: " + e, "predicate");

            var statementRun = String(predicate, "runId");
            c.Expect(statementRun == runId, "statement.run-id", path, "run id matches the manifest",
                $"the statement belongs to run '{statementRun}', the bundle to run '{runId}': swapped in from another run", "predicate.runId");

            CheckSubjects(path, root, predicate, listed, c);
            CheckWaivedFindings(path, predicate, waivers, c);
            _ = formatOk;
        }
    }

    /// <summary>A signed waiver as the bundle holds it, after its signature was checked.</summary>
    /// <param name="Digest">Lowercase hex SHA-256 of the signed payload: what a waived finding cites.</param>
    /// <param name="Waiver">What the approver signed; null when the envelope is not a signed waiver.</param>
    /// <param name="Verified">True when a signature verified with a key the bundle holds.</param>
    private sealed record BundledWaiver(string Digest, WaiverPayload? Waiver, bool Verified);

    /// <summary>
    /// Checks every file under <c>waivers/</c>: each <c>&lt;id&gt;.dsse.json</c> must be a DSSE envelope of a waiver
    /// whose id is its file name, signed by a key the bundle holds as <c>waivers/keys/&lt;keyid&gt;.pem</c>; nothing else
    /// belongs there. The run copied that key in; whether it is the approver's, only <c>--waiver-key</c> (or the auditor)
    /// can tell, so the check names it. Returns the waivers by id, for the statements that cite them.
    /// </summary>
    private static Dictionary<string, BundledWaiver> CheckWaivers(Dictionary<string, ManifestFile> listed, ConcurrentDictionary<string, byte[]> documents, CheckCollector c)
    {
        var found = new Dictionary<string, BundledWaiver>(StringComparer.Ordinal);
        const string Prefix = BundleLayout.Waivers + "/";
        const string KeyPrefix = Prefix + "keys/";
        foreach (var path in listed.Keys.Where(p => p.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (path.StartsWith(KeyPrefix, StringComparison.Ordinal))
            {
                var name = path[KeyPrefix.Length..];
                if (!name.EndsWith(".pem", StringComparison.Ordinal) || !IsKeyId(name[..^".pem".Length]))
                    c.Fail("waiver.format", path, "not a waiver key: waivers/keys/ holds <keyid>.pem only (64 lowercase hex digits)");
                continue;
            }

            if (!path.EndsWith(BundleLayout.WaiverSuffix, StringComparison.Ordinal) || path.IndexOf('/', Prefix.Length) >= 0)
            {
                c.Fail("waiver.format", path, $"not a waiver envelope: waivers hold <id>{BundleLayout.WaiverSuffix} and keys/<keyid>.pem only");
                continue;
            }

            if (!documents.TryGetValue(path, out var bytes))
                continue; // reported as missing or too large
            var id = path[Prefix.Length..^BundleLayout.WaiverSuffix.Length];
            var read = WaiverEnvelopes.Read(bytes, id);
            if (read.Problem is { } unreadable)
            {
                c.Fail("waiver.format", path, unreadable, read.Field);
                found[id] = new BundledWaiver("", null, false);
                continue;
            }

            var (envelope, w) = (read.Envelope!, read.Waiver!);
            var pae = Dsse.Pae(envelope.PayloadType, read.Payload);
            var reasons = new List<string>();
            string? verifiedBy = null;
            foreach (var s in envelope.Signatures)
            {
                // Key ids are lowercase hex, and the run names key files by them: an envelope may spell one in capitals.
                var keyId = s.KeyId.ToLowerInvariant();
                if (!IsKeyId(keyId) || !documents.TryGetValue(BundleWaiver.KeyPath(keyId), out var pem))
                {
                    reasons.Add($"signed by key {s.KeyId}, but the bundle holds no {BundleWaiver.KeyPath(keyId)}");
                    continue;
                }

                try
                {
                    var key = EvidencePublicKey.FromPem(System.Text.Encoding.ASCII.GetString(pem), BundleWaiver.KeyPath(keyId));
                    if (key.KeyId != keyId)
                        reasons.Add($"{BundleWaiver.KeyPath(keyId)} holds key {key.KeyId}, not {keyId}");
                    else if (TryBase64(s.Sig) is not { } sig)
                        reasons.Add($"the signature by {keyId} is not base64");
                    else if (key.Verify(pae, sig, out var problem))
                        verifiedBy = key.KeyId;
                    else
                        reasons.Add($"the signature by {keyId} does not verify: {problem}");
                }
                catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    reasons.Add($"{BundleWaiver.KeyPath(keyId)}: {ex.Message}");
                }

                if (verifiedBy is not null)
                    break;
            }

            if (verifiedBy is not null)
                c.Pass("waiver.signature", path, $"waiver {id} ({w.Rule}, until {WaiverDay(w.Expires)}) names approver '{w.Approver}' and is signed by key {verifiedBy}, which the run copied in with it: only --waiver-key ties that key to the approver");
            else
                c.Fail("waiver.signature", path, reasons.Count == 0 ? "the envelope has no signature" : string.Join("; ", reasons), "signatures");
            found[id] = new BundledWaiver(read.Digest, w, verifiedBy is not null);
        }

        return found;
    }

    private static bool IsKeyId(string text) => text.Length == 64 && text.All(ch => ch is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static string WaiverDay(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>verify --waiver-key</c>: every waiver a bundle holds (a merged bundle's shards' too) must be signed by a key
    /// the auditor trusts for the approver it names, independently of the keys the run copied into the bundle. Run on a
    /// folder that <see cref="Verify(string, EvidencePublicKey, string?, Action{string, VerificationReport}?)"/>
    /// checked; returns one <c>waiver.approver</c> check per waiver, and a failed check, never an exception, when the
    /// folder cannot be read.
    /// </summary>
    /// <param name="bundleFolder">The verified bundle folder.</param>
    /// <param name="keys">The approvers' public keys the auditor trusts.</param>
    public static IReadOnlyList<VerificationCheck> CheckWaiverApprovers(string bundleFolder, IReadOnlyList<TrustedApproverKey> keys)
    {
        ArgumentNullException.ThrowIfNull(bundleFolder);
        ArgumentNullException.ThrowIfNull(keys);
        var c = new CheckCollector();
        try
        {
            CheckWaiverApprovers(bundleFolder, keys, c);
        }
        catch (Exception ex)
        {
            c.Fail("waiver.approver", ".", $"the waivers could not be checked ({ex.GetType().Name}: {ex.Message}): treated as failed");
        }

        return c.Sorted();
    }

    private static void CheckWaiverApprovers(string bundleFolder, IReadOnlyList<TrustedApproverKey> keys, CheckCollector c)
    {
        var folders = new List<string> { BundleLayout.Waivers };
        var shards = Path.Combine(bundleFolder, "shards");
        if (Directory.Exists(shards))
            folders.AddRange(Directory.GetDirectories(shards).Order(StringComparer.Ordinal).Select(d => $"shards/{Path.GetFileName(d)}/{BundleLayout.Waivers}"));
        foreach (var folder in folders.Where(f => Directory.Exists(Path.Combine(bundleFolder, f))))
        {
            foreach (var file in Directory.GetFiles(Path.Combine(bundleFolder, folder), "*" + BundleLayout.WaiverSuffix).Order(StringComparer.Ordinal))
            {
                var path = $"{folder}/{Path.GetFileName(file)}";
                var id = Path.GetFileName(file)[..^BundleLayout.WaiverSuffix.Length];
                var bytes = FileKind.NotRegular(file) is null ? ReadBounded(file, MaxDocumentBytes) : null;
                var read = bytes is null ? new WaiverEnvelopeRead(null, null, null, "not a regular file of at most 64 MiB") : WaiverEnvelopes.Read(bytes, id);
                if (read.Problem is { } problem)
                {
                    c.Fail("waiver.approver", path, problem, read.Field);
                    continue;
                }

                var approver = read.Waiver!.Approver;
                var theirs = keys.Where(k => string.Equals(k.Approver, approver, StringComparison.Ordinal)).ToList();
                if (theirs.Count == 0)
                {
                    c.Fail("waiver.approver", path, $"waiver {id} names approver '{approver}', for whom no --waiver-key was given: its acceptance is not confirmed");
                    continue;
                }

                var pae = Dsse.Pae(read.Envelope!.PayloadType, read.Payload);
                var by = theirs.FirstOrDefault(k => read.Envelope.Signatures.Any(s =>
                    string.Equals(s.KeyId, k.Key.KeyId, StringComparison.OrdinalIgnoreCase) && TryBase64(s.Sig) is { } sig && k.Key.Verify(pae, sig, out _)));
                if (by is not null)
                    c.Pass("waiver.approver", path, $"waiver {id} is signed by the key you trust for '{approver}' ({by.Path}, key {by.Key.KeyId})");
                else
                    c.Fail("waiver.approver", path, $"waiver {id} is not signed by the key(s) you trust for '{approver}' ({string.Join(", ", theirs.Select(k => k.Key.KeyId))}); it was signed by key {string.Join(", ", read.Envelope.Signatures.Select(s => s.KeyId))}");
            }
        }
    }

    private static byte[]? TryBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// A waived finding must name its waiver and a waiver may sit only on a waived finding; a rule verdict with waived
    /// findings is never <c>pass</c>, and a <c>waived</c> verdict needs at least one waived finding and no failure left.
    /// Each waiver a finding cites must be in the bundle, signed, with the digest, approver and expiry the finding
    /// names, for this rule and a resource it covers. Checked only where waivers appear, so a statement without them
    /// reads as before.
    /// </summary>
    private static void CheckWaivedFindings(string path, JsonElement predicate, IReadOnlyDictionary<string, BundledWaiver> waivers, CheckCollector c)
    {
        if (!predicate.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array)
            return;
        var verdict = String(predicate, "verdict");
        var ruleId = String(predicate, "ruleId");
        var started = DateTimeOffset.TryParse(String(predicate, "startedAt"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? DateOnly.FromDateTime(at.UtcDateTime) : (DateOnly?)null;
        int waived = 0, failed = 0, i = 0;
        var problems = new List<(string Field, string Why)>();
        var cited = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in findings.EnumerateArray())
        {
            var field = $"predicate.findings[{i++}]";
            if (f.ValueKind != JsonValueKind.Object)
                continue;
            var status = String(f, "status");
            var hasWaiver = f.TryGetProperty("waiver", out var w) && w.ValueKind == JsonValueKind.Object;
            if (status == "waived")
            {
                waived++;
                if (!hasWaiver)
                    problems.Add((field, "the finding is waived but names no waiver"));
                else if (CitedWaiverProblem(w, String(f, "resource"), ruleId, started, waivers, cited) is { } problem)
                    problems.Add((field + ".waiver", problem));
            }
            else if (hasWaiver)
            {
                problems.Add((field, $"the finding carries a waiver but its status is '{status}', not waived"));
            }

            if (status == "fail")
                failed++;
        }

        if (waived == 0 && verdict != "waived" && problems.Count == 0)
            return;
        if (verdict == "pass" && waived > 0)
            problems.Add(("predicate.verdict", $"the verdict is pass but {waived} finding(s) are waived failures: a waiver never makes a pass"));
        if (verdict == "waived" && (waived == 0 || failed > 0))
            problems.Add(("predicate.verdict", waived == 0 ? "the verdict is waived but no finding is" : $"the verdict is waived but {failed} finding(s) still fail"));
        if (problems.Count == 0)
            c.Pass("statement.waivers", path, $"{waived} waived finding(s), each citing a signed waiver in the bundle ({string.Join(", ", cited)}); verdict '{verdict}'");
        foreach (var (field, why) in problems)
            c.Fail("statement.waivers", path, why, field);
    }

    /// <summary>Why a waived finding's <c>waiver</c> does not match a signed waiver in the bundle; null when it does.</summary>
    private static string? CitedWaiverProblem(JsonElement reference, string? resource, string? ruleId, DateOnly? started, IReadOnlyDictionary<string, BundledWaiver> waivers, SortedSet<string> cited)
    {
        var id = String(reference, "id");
        if (id is null)
            return "the waiver names no id";
        cited.Add(id);
        if (!waivers.TryGetValue(id, out var signed))
            return $"cites waiver '{id}', but the bundle holds no {BundleWaiver.EnvelopePath(id)}: its signature cannot be checked";
        if (signed.Waiver is not { } w)
            return $"cites waiver '{id}', but {BundleWaiver.EnvelopePath(id)} is not a signed waiver (see waiver.format)";
        if (!signed.Verified)
            return $"cites waiver '{id}', whose envelope in the bundle does not verify (see waiver.signature)";
        if (String(reference, "digest") != signed.Digest)
            return $"cites waiver '{id}' with digest {String(reference, "digest")}, but the signed waiver's digest is {signed.Digest}";
        if (String(reference, "approver") != w.Approver)
            return $"names approver '{String(reference, "approver")}', but waiver '{id}' was signed for '{w.Approver}'";
        if (String(reference, "expires") != WaiverDay(w.Expires))
            return $"says waiver '{id}' expires {String(reference, "expires")}, but the signed waiver says {WaiverDay(w.Expires)}";
        if (!string.Equals(w.Rule, ruleId, StringComparison.OrdinalIgnoreCase))
            return $"waiver '{id}' accepts failures of rule '{w.Rule}', not of '{ruleId}'";
        if (w.Resource is not null && (resource is null || !ResourceGlob.Matches(w.Resource, resource)))
            return $"waiver '{id}' covers resources '{w.Resource}', not '{resource}'";
        if (started is not { } day)
            return "the statement's startedAt is not a date and time, so whether the waiver was in force when the rule ran cannot be told";
        if (day > w.Expires)
            return $"waiver '{id}' expired on {WaiverDay(w.Expires)}, before the rule ran on {WaiverDay(day)}: an expired waiver no longer applies";
        return null;
    }

    private static void CheckSubjects(string path, JsonElement root, JsonElement predicate, Dictionary<string, ManifestFile> listed, CheckCollector c)
    {
        if (!root.TryGetProperty("subject", out var subjects) || subjects.ValueKind != JsonValueKind.Array || subjects.GetArrayLength() == 0)
        {
            c.Fail("statement.subjects", path, "no subjects", "subject");
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var ok = true;
        var i = 0;
        foreach (var s in subjects.EnumerateArray())
        {
            var field = $"subject[{i++}]";
            var name = s.ValueKind == JsonValueKind.Object ? String(s, "name") : null;
            var sha = s.ValueKind == JsonValueKind.Object && s.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.Object ? String(d, "sha256") : null;
            if (name is null || sha is null)
            {
                c.Fail("statement.subjects", path, "a subject needs a name and a sha256 digest", field);
                ok = false;
                continue;
            }

            names.Add(name);
            if (!listed.TryGetValue(name, out var file))
            {
                c.Fail("statement.subjects", path, $"subject '{name}' is not a file of this bundle", field);
                ok = false;
            }
            else if (file.Sha256 != sha)
            {
                c.Fail("statement.subjects", path, $"subject '{name}' has SHA-256 {sha}, the bundle's file has {file.Sha256}", field);
                ok = false;
            }
            else if (name.StartsWith(BundleLayout.Raw + "/", StringComparison.Ordinal) && name != $"{BundleLayout.Raw}/{sha}.json")
            {
                c.Fail("statement.subjects", path, $"raw evidence '{name}' is not stored under its own digest", field);
                ok = false;
            }
        }

        if (predicate.TryGetProperty("evidence", out var evidence) && evidence.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in evidence.EnumerateArray())
            {
                var p = e.ValueKind == JsonValueKind.Object ? String(e, "path") : null;
                if (p is null || !names.Contains(p))
                {
                    c.Fail("statement.subjects", path, $"evidence '{p}' is not a subject of the statement", "predicate.evidence");
                    ok = false;
                }
            }
        }

        if (predicate.TryGetProperty("ruleSource", out var source) && (source.ValueKind != JsonValueKind.Object || String(source, "path") is not { Length: > 0 }))
        {
            c.Fail("statement.subjects", path, "predicate.ruleSource needs an object with a string path", "predicate.ruleSource");
            ok = false;
        }
        else if (predicate.TryGetProperty("ruleSource", out source) && String(source, "path") is { Length: > 0 } sourcePath)
        {
            var sourceSha = String(source, "sha256");
            if (!listed.TryGetValue(sourcePath, out var file) || file.Sha256 != sourceSha || !names.Contains(sourcePath))
            {
                c.Fail("statement.subjects", path, $"rule source '{sourcePath}' (SHA-256 {sourceSha}) is not a matching subject and bundle file", "predicate.ruleSource");
                ok = false;
            }
        }

        if (ok)
            c.Pass("statement.subjects", path, $"{names.Count} subject(s) match the bundle's files");
    }

    /// <summary>Checks a Sigstore bundle's DSSE signature with <paramref name="key"/>; returns the payload (even when the signature fails, so later checks still run), or null when unreadable.</summary>
    private static byte[]? VerifyEnvelope(byte[] bytes, string path, EvidencePublicKey key, CheckCollector c, string check)
    {
        SigstoreBundle bundle;
        byte[] payload;
        byte[] signature;
        try
        {
            bundle = SigstoreBundle.Parse(bytes, path);
            payload = bundle.DsseEnvelope.PayloadBytes();
            signature = Convert.FromBase64String(bundle.DsseEnvelope.Signatures[0].Sig);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or ArgumentException)
        {
            c.Fail(check, path, ex.Message);
            return null;
        }

        var envelope = bundle.DsseEnvelope;
        if (envelope.PayloadType != InTotoStatement.PayloadType)
            c.Fail(check, path, $"payloadType is '{envelope.PayloadType}', expected '{InTotoStatement.PayloadType}'", "dsseEnvelope.payloadType");
        var hint = bundle.VerificationMaterial.PublicKey.Hint;
        if (hint != key.KeyId)
        {
            c.Fail(check, path, $"signed with key {hint}, not with the key given ({key.KeyId})", "verificationMaterial.publicKey.hint");
            return payload;
        }

        var keyid = envelope.Signatures[0].KeyId;
        if (!string.IsNullOrEmpty(keyid) && keyid != hint)
            c.Fail(check, path, $"signature keyid {keyid} differs from the bundle's key hint {hint}", "dsseEnvelope.signatures[0].keyid");

        if (key.Verify(Dsse.Pae(envelope.PayloadType, payload), signature, out var problem))
            c.Pass(check, path, "ECDSA P-256 DER signature over the DSSE PAE verifies");
        else
            c.Fail(check, path, problem ?? "signature does not verify", "dsseEnvelope.signatures[0].sig");
        return payload;
    }

    /// <summary>The property's string value; null when absent, not a string, or not valid UTF-16 (a lone surrogate).</summary>
    private static string? String(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String)
            return null;
        try
        {
            return v.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static bool IsSafeRelative(string path) =>
        path.Length > 0 && !path.StartsWith('/') && !path.Contains('\\', StringComparison.Ordinal)
        && path.Split('/').All(seg => seg.Length > 0 && seg != "." && seg != "..");

    /// <summary>Most entries an archive may hold: far beyond any bundle, short of exhausting the disk's inodes.</summary>
    internal const int MaxArchiveEntries = 1_000_000;

    /// <summary>Most bytes an archive may unpack to, whatever its compressed size.</summary>
    internal const long MaxExtractedBytesCeiling = 4L * 1024 * 1024 * 1024;

    /// <summary>Bytes every archive may unpack to, however well it compresses.</summary>
    internal const long MaxExtractedBytesFloor = 256L * 1024 * 1024;

    /// <summary>
    /// How many times its compressed size an archive may unpack to. Bundles are JSON and PEM text in 512-byte tar
    /// blocks, which gzip shrinks some 5-30 times; 100 leaves room for that and stops a small archive that would fill the disk.
    /// </summary>
    internal const int MaxCompressionRatio = 100;

    /// <summary>The most an archive of <paramref name="compressedBytes"/> may unpack to (tar headers and padding included).</summary>
    internal static long ExtractionLimit(long compressedBytes) =>
        Math.Clamp(Math.Min(compressedBytes, long.MaxValue / MaxCompressionRatio) * MaxCompressionRatio, MaxExtractedBytesFloor, MaxExtractedBytesCeiling);

    /// <summary>
    /// Checks the archive's tar structure on its own (see <see cref="TarStructure"/>); returns the problem, or null and
    /// the number of entries a tar reader must yield. <paramref name="file"/> is left at its start.
    /// </summary>
    private static string? CheckArchiveStructure(FileStream file, out int entries)
    {
        var limit = ExtractionLimit(file.Length);
        string? problem;
        TarStructure.Summary summary;
        using (var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true))
            problem = TarStructure.Check(gzip, limit, MaxArchiveEntries, out summary);
        file.Position = 0;
        entries = summary.Entries;
        return problem is null ? null : $"not a well-formed tar archive (offsets count bytes of the decompressed tar): {problem}";
    }

    private static string? Extract(string archive, string destination, CheckCollector c)
    {
        if (!File.Exists(archive))
            throw new FileNotFoundException($"{archive}: no such archive", archive);
        Directory.CreateDirectory(destination);
        var shown = Path.GetFileName(archive);
        var tops = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(archive);
            // TarReader alone is not enough: it stops at a header whose checksum reads zero and checks no checksum,
            // so entries GNU tar would unpack could go unverified. Check the structure first, then extract.
            if (CheckArchiveStructure(file, out var expectedEntries) is { } problem)
            {
                c.Fail("archive", shown, problem);
                return null;
            }

            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            var entries = 0;
            while (tar.GetNextEntry() is { } entry)
            {
                entries++;
                var name = entry.Name.Replace('\\', '/').TrimEnd('/');
                if (!IsSafeRelative(name))
                {
                    c.Fail("archive", name, "unsafe path in the archive (absolute or with '..')");
                    return null;
                }

                tops.Add(name.Split('/')[0]);
                var target = Path.Combine(destination, name.Replace('/', Path.DirectorySeparatorChar));
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        entry.ExtractToFile(target, overwrite: false);
                        break;
                    default:
                        c.Fail("archive", name, $"archive entry of type {entry.EntryType}: only files and folders belong in a bundle");
                        return null;
                }
            }

            if (entries != expectedEntries)
            {
                c.Fail("archive", shown, $"the tar reader found {entries} entries but the archive holds {expectedEntries}: entries would go unverified");
                return null;
            }
        }
        catch (Exception ex)
        {
            // Whatever a hostile archive provokes is a failed check, never a crash.
            c.Fail("archive", shown, "not a readable .tar.gz: " + ex.Message);
            return null;
        }

        if (tops.Count != 1)
        {
            c.Fail("archive", shown, $"expected one bundle folder at the top of the archive, found {tops.Count}");
            return null;
        }

        return Path.Combine(destination, tops.Single());
    }

    private static VerificationReport Report(string shownAs, EvidencePublicKey key, CheckCollector c, string? runId, string? manifestSha, string? previous, int statements, int files) => new()
    {
        Bundle = shownAs,
        KeyId = key.KeyId,
        RunId = runId,
        ManifestSha256 = manifestSha,
        PreviousManifestSha256 = previous,
        Statements = statements,
        Files = files,
        Checks = c.Sorted(),
    };
}
