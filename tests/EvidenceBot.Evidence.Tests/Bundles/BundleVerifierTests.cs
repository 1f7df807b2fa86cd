using System.Security.Cryptography;
using System.Text.Json;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Evidence.Tests.Bundles;

/// <summary>Every kind of tampering must be rejected, and the report must say what failed and where.</summary>
public sealed class BundleVerifierTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly LocalKeySigner _signer = Fixtures.Signer();

    private async Task<string> Bundle(int rules = 3, string? runId = null, string output = "out", FakeTimeProvider? time = null) =>
        (await Fixtures.WriteAsync(_dir, _signer, rules, runId: runId, outputName: output, time: time)).BundlePath;

    private static VerificationReport Verify(string bundle, GeneratedKey? key = null, string? previous = null) =>
        BundleVerifier.Verify(bundle, Fixtures.PublicKey(key), previous);

    private static string FirstStatement(string bundle) =>
        Directory.GetFiles(Path.Combine(bundle, "statements")).Order(StringComparer.Ordinal).First();

    private static void FlipByte(string file, int? at = null)
    {
        var bytes = File.ReadAllBytes(file);
        var i = at ?? bytes.Length / 2;
        bytes[i] ^= 0x01;
        File.WriteAllBytes(file, bytes);
    }

    [Fact]
    public async Task Verify_UntouchedBundle_PassesEveryCheck()
    {
        var bundle = await Bundle();

        var report = Verify(bundle);

        Assert.True(report.Passed, string.Join("\n", report.Failures));
        Assert.Equal(3, report.Statements);
        Assert.Contains(report.Checks, c => c.Check == "statement.signature" && c.Passed);
        Assert.Contains(report.Checks, c => c.Check == "statement.schema" && c.Passed);
        Assert.Contains(report.Checks, c => c.Check == "manifest.signature" && c.Passed);
        Assert.Equal(report.Files, report.Checks.Count(c => c.Check == "file.digest" && c.Passed));
    }

    [Fact]
    public async Task Verify_FlippedByteInRawFile_IsRejectedNamingTheFile()
    {
        var bundle = await Bundle();
        var raw = Directory.GetFiles(Path.Combine(bundle, "raw")).First();
        FlipByte(raw);

        var report = Verify(bundle);

        Assert.False(report.Passed);
        var failure = Assert.Single(report.Failures);
        Assert.Equal("file.digest", failure.Check);
        Assert.Equal("raw/" + Path.GetFileName(raw), failure.File);
    }

    [Fact]
    public async Task Verify_FlippedByteInStatement_IsRejected()
    {
        var bundle = await Bundle();
        var statement = FirstStatement(bundle);
        // Flip a byte inside the base64 payload so the file still parses: the signature and the digest both fail.
        var text = File.ReadAllText(statement);
        var at = text.IndexOf("\"payload\":\"", StringComparison.Ordinal) + 40;
        var chars = text.ToCharArray();
        chars[at] = chars[at] == 'A' ? 'B' : 'A';
        File.WriteAllText(statement, new string(chars));

        var report = Verify(bundle);

        var name = "statements/" + Path.GetFileName(statement);
        Assert.Contains(report.Failures, f => f.Check == "file.digest" && f.File == name);
        Assert.Contains(report.Failures, f => f.File == name && f.Check is "statement.signature" or "statement.format");
    }

    [Fact]
    public async Task Verify_FlippedByteInManifest_IsRejected()
    {
        var bundle = await Bundle();
        var manifest = Path.Combine(bundle, "manifest.json");
        var text = File.ReadAllText(manifest).Replace("\"engineVersion\":\"0.1.0\"", "\"engineVersion\":\"0.1.1\"", StringComparison.Ordinal);
        File.WriteAllText(manifest, text);

        var report = Verify(bundle);

        Assert.Contains(report.Failures, f => f.Check == "manifest.signature" && f.File == "manifest.sigstore.json");
    }

    [Fact]
    public async Task Verify_FlippedByteInManifestSignature_IsRejected()
    {
        var bundle = await Bundle();
        var signature = Path.Combine(bundle, "manifest.sigstore.json");
        var envelope = JsonSerializer.Deserialize<SigstoreBundle>(File.ReadAllBytes(signature))!;
        var sig = Convert.FromBase64String(envelope.DsseEnvelope.Signatures[0].Sig);
        sig[^1] ^= 0x01;
        var tampered = envelope with { DsseEnvelope = envelope.DsseEnvelope with { Signatures = [envelope.DsseEnvelope.Signatures[0] with { Sig = Convert.ToBase64String(sig) }] } };
        File.WriteAllBytes(signature, tampered.ToJsonBytes());

        var report = Verify(bundle);

        Assert.Contains(report.Failures, f => f.Check == "manifest.signature" && f.Field == "dsseEnvelope.signatures[0].sig");
    }

    [Fact]
    public async Task Verify_DeletedFile_IsReportedMissing()
    {
        var bundle = await Bundle();
        var raw = Directory.GetFiles(Path.Combine(bundle, "raw")).First();
        File.Delete(raw);

        var report = Verify(bundle);

        Assert.Contains(report.Failures, f => f.Check == "file.missing" && f.File == "raw/" + Path.GetFileName(raw));
    }

    [Fact]
    public async Task Verify_DeletedManifestSignature_IsRejected()
    {
        var bundle = await Bundle();
        File.Delete(Path.Combine(bundle, "manifest.sigstore.json"));

        var report = Verify(bundle);

        Assert.Contains(report.Failures, f => f.Check == "manifest.signature");
    }

    [Fact]
    public async Task Verify_AddedFile_IsReportedExtra()
    {
        var bundle = await Bundle();
        File.WriteAllText(Path.Combine(bundle, "raw", "planted.json"), "{}");

        var report = Verify(bundle);

        var failure = Assert.Single(report.Failures);
        Assert.Equal("file.extra", failure.Check);
        Assert.Equal("raw/planted.json", failure.File);
    }

    [Fact]
    public async Task Verify_WrongKey_RejectsEverySignature()
    {
        var bundle = await Bundle();

        var report = Verify(bundle, Fixtures.Other);

        Assert.False(report.Passed);
        Assert.Equal(3, report.Failures.Count(f => f.Check == "statement.signature" && f.Field == "verificationMaterial.publicKey.hint"));
        Assert.Contains(report.Failures, f => f.Check == "manifest.signature");
        Assert.Contains(report.Failures, f => f.Check == "public-key");
    }

    [Fact]
    public async Task Verify_P1363SignatureOverTheRightBytes_IsRejectedAsNotDer()
    {
        var bundle = await Bundle();
        var statement = FirstStatement(bundle);
        var envelope = SigstoreBundle.Parse(File.ReadAllBytes(statement), statement);
        // A signature that is cryptographically valid but encoded r||s, as .NET's default would write it.
        using var key = ECDsa.Create();
        key.ImportFromPem(Fixtures.Key.PrivateKeyPem);
        var p1363 = key.SignData(envelope.DsseEnvelope.Pae(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var tampered = envelope with { DsseEnvelope = envelope.DsseEnvelope with { Signatures = [envelope.DsseEnvelope.Signatures[0] with { Sig = Convert.ToBase64String(p1363) }] } };
        File.WriteAllBytes(statement, tampered.ToJsonBytes());

        var report = Verify(bundle);

        var failure = Assert.Single(report.Failures, f => f.Check == "statement.signature");
        Assert.Contains("P1363", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_StatementSwappedInFromAnotherRun_IsRejected()
    {
        var time = new FakeTimeProvider(Fixtures.Start);
        var bundle = await Bundle(runId: "run-a", output: "a", time: time);
        var other = await Bundle(runId: "run-b", output: "b", time: time);
        var target = FirstStatement(bundle);
        File.Copy(FirstStatement(other), target, overwrite: true);

        var report = Verify(bundle);

        var name = "statements/" + Path.GetFileName(target);
        Assert.Contains(report.Failures, f => f.Check == "statement.run-id" && f.File == name && f.Detail.Contains("run-b", StringComparison.Ordinal));
        Assert.Contains(report.Failures, f => f.Check == "file.digest" && f.File == name);
    }

    [Fact]
    public async Task Verify_BrokenChainLink_IsRejected()
    {
        var bundle = await Bundle();

        var report = Verify(bundle, previous: new string('a', 64));

        var failure = Assert.Single(report.Failures);
        Assert.Equal("chain", failure.Check);
        Assert.Equal("predicate.previousManifestSha256", failure.Field);
    }

    [Fact]
    public async Task Verify_ChainSkippingARun_IsRejected()
    {
        var time = new FakeTimeProvider(Fixtures.Start);
        var first = await Bundle(time: time);
        time.Advance(TimeSpan.FromMinutes(5));
        _ = await Bundle(time: time);
        time.Advance(TimeSpan.FromMinutes(5));
        var third = await Bundle(time: time);

        var report = Verify(third, previous: first);

        Assert.Contains(report.Failures, f => f.Check == "chain");
    }

    [Fact]
    public async Task Verify_TamperedArchive_IsRejected()
    {
        var written = await Fixtures.WriteAsync(_dir, _signer, archive: true, outputName: "arch");
        var raw = Directory.GetFiles(Path.Combine(written.BundlePath, "raw")).First();
        FlipByte(raw);
        File.Delete(written.ArchivePath!);
        await EvidenceBundleWriter.WriteArchiveAsync(written.BundlePath, CancellationToken.None);

        var report = Verify(written.ArchivePath!);

        Assert.Contains(report.Failures, f => f.Check == "file.digest" && f.File == "raw/" + Path.GetFileName(raw));
    }

    [Fact]
    public async Task Verify_ResignedWithAnotherKey_IsRejectedByTheAuditorsKey()
    {
        // An attacker who edits a raw file and re-signs everything with their own key still fails against the auditor's key.
        using var attacker = Fixtures.Signer(Fixtures.Other);
        var bundle = (await Fixtures.WriteAsync(_dir, attacker, outputName: "attacker")).BundlePath;

        var report = Verify(bundle);

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, f => f.Check == "manifest.signature");
    }

    /// <summary>Rewrites the DSSE payload of a signed statement (the signature then fails, but the payload is still read).</summary>
    private static void EditPayload(string statement, Func<string, string> edit)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(statement))!;
        var envelope = node["dsseEnvelope"]!;
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)envelope["payload"]!));
        var edited = edit(payload);
        Assert.NotEqual(payload, edited);
        envelope["payload"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(edited));
        File.WriteAllText(statement, node.ToJsonString());
    }

    private static void EditJson(string file, Action<System.Text.Json.Nodes.JsonNode> edit)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(file))!;
        edit(node);
        File.WriteAllText(file, node.ToJsonString());
    }

    [Theory]
    [InlineData("results-runId-number", "results.json")]
    [InlineData("results-array", "results.json")]
    [InlineData("statement-sig-null", "statement")]
    [InlineData("statement-signatures-null-element", "statement")]
    [InlineData("manifest-sig-null", "manifest.sigstore.json")]
    [InlineData("manifest-signatures-null-element", "manifest.sigstore.json")]
    [InlineData("manifest-subject-name-null", "manifest.json")]
    [InlineData("manifest-files-null", "manifest.json")]
    [InlineData("manifest-files-element-null", "manifest.json")]
    [InlineData("manifest-files-path-null", "manifest.json")]
    [InlineData("statement-lone-surrogate", "statement")]
    [InlineData("statement-huge-number", "statement")]
    public async Task Verify_MalformedJson_IsAFailureNamingTheFileNotACrash(string tamper, string file)
    {
        var bundle = await Bundle(output: tamper);
        var statement = FirstStatement(bundle);
        var manifest = Path.Combine(bundle, "manifest.json");
        var manifestSig = Path.Combine(bundle, "manifest.sigstore.json");
        switch (tamper)
        {
            case "results-runId-number":
                EditJson(Path.Combine(bundle, "results.json"), n => n["runId"] = 5);
                break;
            case "results-array":
                File.WriteAllText(Path.Combine(bundle, "results.json"), "[1,2]");
                break;
            case "statement-sig-null" or "manifest-sig-null":
                EditJson(tamper.StartsWith("statement", StringComparison.Ordinal) ? statement : manifestSig, n => n["dsseEnvelope"]!["signatures"]![0]!["sig"] = null);
                break;
            case "statement-signatures-null-element" or "manifest-signatures-null-element":
                EditJson(tamper.StartsWith("statement", StringComparison.Ordinal) ? statement : manifestSig, n => n["dsseEnvelope"]!["signatures"] = new System.Text.Json.Nodes.JsonArray((System.Text.Json.Nodes.JsonNode?)null));
                break;
            case "manifest-subject-name-null":
                EditJson(manifest, n => n["subject"]![0]!["name"] = null);
                break;
            case "manifest-files-null":
                EditJson(manifest, n => n["predicate"]!["files"] = null);
                break;
            case "manifest-files-element-null":
                EditJson(manifest, n => n["predicate"]!["files"]![0] = null);
                break;
            case "manifest-files-path-null":
                EditJson(manifest, n => n["predicate"]!["files"]![0]!["path"] = null);
                break;
            case "statement-lone-surrogate":
                EditPayload(statement, p => System.Text.RegularExpressions.Regex.Replace(p, "\"runId\":\"[^\"]*\"", "\"runId\":\"\\ud800\""));
                break;
            case "statement-huge-number":
                EditPayload(statement, p => System.Text.RegularExpressions.Regex.Replace(p, "\"status\":\\d+", "\"status\":1" + new string('0', 40)));
                break;
        }

        var report = Verify(bundle);

        Assert.False(report.Passed);
        var expected = file == "statement" ? "statements/" + Path.GetFileName(statement) : file;
        Assert.Contains(report.Failures, f => f.File == expected && f.Check != "file.digest");
        Assert.DoesNotContain(report.Failures, f => f.Check == "bundle");
    }

    private static string FirstRaw(string bundle) =>
        Directory.GetFiles(Path.Combine(bundle, "raw")).Order(StringComparer.Ordinal).First();

    /// <summary>Verifies on another thread, so a verifier that blocks (e.g. opening a FIFO) fails the test instead of hanging it.</summary>
    private static async Task<VerificationReport> VerifyWithin(string bundle, int seconds = 60) =>
        await Task.Factory.StartNew(() => Verify(bundle), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .WaitAsync(TimeSpan.FromSeconds(seconds));

    [Fact]
    public async Task Verify_ListedFileReplacedByAFifo_IsRejectedWithoutBlocking()
    {
        if (OperatingSystem.IsWindows())
            return; // FIFOs are a Unix file type
        var bundle = await Bundle(output: "fifo");
        var raw = FirstRaw(bundle);
        File.Delete(raw);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", raw))
            await mkfifo.WaitForExitAsync();

        var report = await VerifyWithin(bundle);

        var failure = Assert.Single(report.Failures);
        Assert.Equal("file.type", failure.Check);
        Assert.Equal("raw/" + Path.GetFileName(raw), failure.File);
        Assert.Contains("FIFO", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ListedFileReplacedByASymlinkToDevZero_IsRejectedWithoutReadingIt()
    {
        if (OperatingSystem.IsWindows())
            return; // /dev/zero is a Unix device
        var bundle = await Bundle(output: "devzero");
        var raw = FirstRaw(bundle);
        File.Delete(raw);
        File.CreateSymbolicLink(raw, "/dev/zero");

        var report = await VerifyWithin(bundle);

        var failure = Assert.Single(report.Failures);
        Assert.Equal("file.type", failure.Check);
        Assert.Equal("raw/" + Path.GetFileName(raw), failure.File);
        Assert.Contains("symbolic link", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_FolderReplacedByASymlinkToAnIdenticalCopy_IsRejected()
    {
        // Every byte is what the manifest says, but read through a link that could point anywhere: not followed.
        var bundle = await Bundle(output: "dirlink");
        var raw = Path.Combine(bundle, "raw");
        var copy = _dir.Sub("raw-copy");
        foreach (var f in Directory.GetFiles(raw))
            File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        Directory.Delete(raw, recursive: true);
        Directory.CreateSymbolicLink(raw, copy);

        var report = await VerifyWithin(bundle);

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, f => f.Check == "file.type" && f.File == "raw");
        Assert.DoesNotContain(report.Checks, c => c.Check == "file.digest" && c.File.StartsWith("raw/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_ListedFileGrownToAHugeSparseFile_IsRejectedBySizeWithoutReadingIt()
    {
        var bundle = await Bundle(output: "sparse");
        var raw = FirstRaw(bundle);
        using (var file = new FileStream(raw, FileMode.Open, FileAccess.Write))
            file.SetLength(3L * 1024 * 1024 * 1024);

        var report = await VerifyWithin(bundle);

        var failure = Assert.Single(report.Failures);
        Assert.Equal("file.digest", failure.Check);
        Assert.Equal("raw/" + Path.GetFileName(raw), failure.File);
        Assert.Contains("size changed", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvePrevious_GarbageArchive_IsAnArgumentErrorNamingTheFile()
    {
        var garbage = Path.Combine(_dir.Path, "garbage.tar.gz");
        File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);

        var ex = Assert.Throws<ArgumentException>(() => BundleVerifier.ResolvePrevious(garbage));

        Assert.Contains(garbage, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolvePrevious_TruncatedArchive_IsRefusedNotHashedFromAPartialManifest()
    {
        var bundle = await Bundle(output: "trunc");
        var manifestOnly = _dir.Sub("trunc-manifest/" + Path.GetFileName(bundle));
        File.Copy(Path.Combine(bundle, "manifest.json"), Path.Combine(manifestOnly, "manifest.json"));
        var full = WriteGz(Path.Combine(_dir.Path, "full.tar.gz"), TarOf(manifestOnly));
        var bytes = File.ReadAllBytes(full);
        var truncated = Path.Combine(_dir.Path, "truncated.tar.gz");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length * 2 / 3)]);

        var ex = Assert.Throws<ArgumentException>(() => BundleVerifier.ResolvePrevious(truncated));

        Assert.Contains(truncated, ex.Message, StringComparison.Ordinal);
        Assert.Equal(EvidenceBundleWriter.Sha256Hex(File.ReadAllBytes(Path.Combine(bundle, "manifest.json"))), BundleVerifier.ResolvePrevious(full));
    }

    /// <summary>The bundle folder as an uncompressed tar, as <c>--archive</c> writes it (before gzip).</summary>
    private static byte[] TarOf(string bundle)
    {
        using var tar = new MemoryStream();
        System.Formats.Tar.TarFile.CreateFromDirectory(bundle, tar, includeBaseDirectory: true);
        return tar.ToArray();
    }

    private static string WriteGz(string path, byte[] tar)
    {
        using (var file = File.Create(path))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
            gzip.Write(tar);
        return path;
    }

    /// <summary>A ustar header for a regular file; <paramref name="checksum"/> null computes the right one.</summary>
    private static byte[] TarHeader(string name, int size, byte[]? checksum = null)
    {
        var h = new byte[512];
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
        System.Text.Encoding.ASCII.GetBytes("0000644\0").CopyTo(h, 100);
        System.Text.Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 108);
        System.Text.Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 116);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        System.Text.Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
        h[156] = (byte)'0';
        System.Text.Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(h, 257);
        if (checksum is not null)
        {
            checksum.CopyTo(h, 148);
            return h;
        }

        return Stamped(h);
    }

    /// <summary>Writes a header's checksum as tar does: the sum of its bytes, the checksum field counted as spaces.</summary>
    private static byte[] Stamped(byte[] h)
    {
        "        "u8.CopyTo(h.AsSpan(148));
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(h.Sum(b => (int)b), 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    /// <summary>The tar with its end-of-archive blocks cut off: it ends after the last entry's padded data.</summary>
    private static byte[] WithoutEnd(byte[] tar)
    {
        var end = Array.FindLastIndex(tar, b => b != 0) + 1;
        return tar[..((end + 511) / 512 * 512)];
    }

    [Theory]
    [InlineData("zero")]
    [InlineData("spaces")]
    public async Task Verify_ArchiveWithEntryBehindAZeroChecksumHeader_IsRejectedNamingTheOffset(string checksum)
    {
        // GNU tar skips a header whose checksum is wrong and unpacks the forged entry after it; TarReader took the
        // zero checksum for the end of the archive, so the forged entry was never examined and the bundle verified.
        var bundle = await Bundle(output: "zero-" + checksum);
        var top = Path.GetFileName(bundle);
        var forged = "{\"forged\":true}"u8.ToArray();
        var field = checksum == "zero" ? new byte[8] : "        "u8.ToArray();
        var tar = WithoutEnd(TarOf(bundle));
        var at = tar.Length;
        byte[] tampered =
        [
            .. tar,
            .. TarHeader(top + "/raw/skipped.json", 0, field),
            .. TarHeader(top + "/raw/forged.json", forged.Length), .. forged, .. new byte[512 - forged.Length],
            .. new byte[1024],
        ];
        var archive = WriteGz(Path.Combine(_dir.Path, $"zero-{checksum}.tar.gz"), tampered);

        var report = Verify(archive);

        Assert.False(report.Passed);
        var failure = Assert.Single(report.Failures);
        Assert.Equal("archive", failure.Check);
        Assert.Equal($"zero-{checksum}.tar.gz", failure.File);
        Assert.Contains($"offset {at}", failure.Detail, StringComparison.Ordinal);
        Assert.Contains("checksum", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ArchiveWithDataAfterTheEndOfArchiveBlocks_IsRejected()
    {
        var bundle = await Bundle(output: "appended");
        var forged = "{\"forged\":true}"u8.ToArray();
        var tar = TarOf(bundle);
        byte[] tampered = [.. tar, .. TarHeader(Path.GetFileName(bundle) + "/raw/forged.json", forged.Length), .. forged, .. new byte[512 - forged.Length], .. new byte[1024]];
        var archive = WriteGz(Path.Combine(_dir.Path, "appended.tar.gz"), tampered);

        var report = Verify(archive);

        var failure = Assert.Single(report.Failures);
        Assert.Equal("archive", failure.Check);
        Assert.Contains("after the end-of-archive block", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ArchiveRewrittenWithoutTampering_Passes()
    {
        var bundle = await Bundle(output: "rewritten");
        var archive = WriteGz(Path.Combine(_dir.Path, "rewritten.tar.gz"), TarOf(bundle));

        var report = Verify(archive);

        Assert.True(report.Passed, string.Join("\n", report.Failures));
    }

    [Fact]
    public async Task Verify_SmallArchiveDeclaringAHugeEntry_IsRejectedBeforeExtracting()
    {
        // A few KB of gzip that would unpack to 2 GiB: refused on the header's size, nothing is written to disk.
        var bundle = await Bundle(output: "bomb");
        var huge = TarHeader(Path.GetFileName(bundle) + "/raw/huge.json", 0);
        Array.Clear(huge, 124, 12);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(2L * 1024 * 1024 * 1024, 8).PadLeft(11, '0') + "\0").CopyTo(huge, 124);
        var archive = WriteGz(Path.Combine(_dir.Path, "bomb.tar.gz"), [.. WithoutEnd(TarOf(bundle)), .. Stamped(huge)]);

        var report = Verify(archive);

        var failure = Assert.Single(report.Failures);
        Assert.Equal("archive", failure.Check);
        Assert.Contains("would unpack to more than", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TarStructure_EntryPastTheSizeLimit_IsRejectedBeforeItIsRead()
    {
        var bundle = await Bundle(output: "limit");
        var tar = TarOf(bundle);

        var problem = TarStructure.Check(new MemoryStream(tar), maxBytes: tar.Length / 2, maxEntries: 1000, out _);

        Assert.NotNull(problem);
        Assert.Contains("more than", problem, StringComparison.Ordinal);
        Assert.Null(TarStructure.Check(new MemoryStream(tar), maxBytes: tar.Length, maxEntries: 1000, out var summary));
        Assert.Equal(tar.Length, summary.Bytes);
        Assert.Contains("more than 2 entries", TarStructure.Check(new MemoryStream(tar), tar.Length, maxEntries: 2, out _), StringComparison.Ordinal);
    }

    [Fact]
    public void TarStructure_Base256Size_IsParsed()
    {
        // GNU tar writes sizes of 8 GiB and more in base-256; a small one must read the same as its octal form.
        var data = new byte[700];
        var header = TarHeader("b/f", data.Length);
        Array.Clear(header, 124, 12);
        header[124] = 0x80;
        header[134] = (byte)(data.Length >> 8);
        header[135] = (byte)(data.Length & 0xff);
        byte[] tar = [.. Stamped(header), .. data, .. new byte[1024 - 700], .. new byte[1024]];

        Assert.Null(TarStructure.Check(new MemoryStream(tar), 1 << 20, 10, out var summary));
        Assert.Equal(1, summary.Entries);
    }

    [Fact]
    public void ExtractionLimit_IsAMultipleOfTheCompressedSizeBetweenFloorAndCeiling()
    {
        Assert.Equal(BundleVerifier.MaxExtractedBytesFloor, BundleVerifier.ExtractionLimit(1000));
        Assert.Equal(10L * 1024 * 1024 * BundleVerifier.MaxCompressionRatio, BundleVerifier.ExtractionLimit(10L * 1024 * 1024));
        Assert.Equal(BundleVerifier.MaxExtractedBytesCeiling, BundleVerifier.ExtractionLimit(1L << 40));
    }

    public void Dispose()
    {
        _signer.Dispose();
        _dir.Dispose();
    }
}
