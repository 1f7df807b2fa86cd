using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;

namespace EvidenceBot.Evidence.Tests.Bundles;

/// <summary>
/// A Sigstore bundle file must be exactly what EvidenceBot wrote: the signed payload cannot change, but without this
/// unsigned text (a note, a fake log entry) could ride along in a bundle that "verifies".
/// </summary>
public sealed class BundleFormStrictnessTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly LocalKeySigner _signer = Fixtures.Signer();

    public void Dispose()
    {
        _signer.Dispose();
        _dir.Dispose();
    }

    public static TheoryData<string> Edits() => ["reordered", "pretty-printed", "unknown field", "fake tlog entry", "high-s twin"];

    [Theory]
    [MemberData(nameof(Edits))]
    public async Task Verify_ManifestOrStatementBundleEdited_IsRejected(string edit)
    {
        foreach (var target in new[] { "manifest", "statement" })
        {
            var bundle = (await Fixtures.WriteAsync(_dir, _signer, 2, outputName: $"{target}-{edit.Replace(' ', '-')}")).BundlePath;
            var file = target == "manifest" ? Path.Combine(bundle, "manifest.sigstore.json")
                : Directory.GetFiles(Path.Combine(bundle, "statements")).Order(StringComparer.Ordinal).First();
            Edit(file, edit);

            var report = BundleVerifier.Verify(bundle, Fixtures.PublicKey());

            Assert.False(report.Passed, $"{target} {edit}");
            Assert.Contains(report.Failures, f => f.File.EndsWith(Path.GetFileName(file), StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Sign_ManySignatures_AreAllLowS()
    {
        for (var i = 0; i < 64; i++)
        {
            var der = await _signer.SignAsync(BitConverter.GetBytes(i));
            Assert.True(EcdsaSignatureEncoding.IsLowS(der), $"signature {i} is high-s");
        }
    }

    private static void Edit(string file, string edit)
    {
        var node = JsonNode.Parse(File.ReadAllBytes(file))!.AsObject();
        switch (edit)
        {
            case "reordered":
                var first = node.First();
                node.Remove(first.Key);
                node[first.Key] = first.Value;
                File.WriteAllText(file, node.ToJsonString());
                break;
            case "pretty-printed":
                File.WriteAllText(file, node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                break;
            case "unknown field":
                node["x-auditor-note"] = "looks fine to me";
                File.WriteAllText(file, node.ToJsonString());
                break;
            case "fake tlog entry":
                node["verificationMaterial"]!["tlogEntries"] = new JsonArray(new JsonObject { ["logIndex"] = "1" });
                File.WriteAllText(file, node.ToJsonString());
                break;
            case "high-s twin":
                var sig = node["dsseEnvelope"]!["signatures"]![0]!;
                var p1363 = EcdsaSignatureEncoding.DerToP1363(Convert.FromBase64String(sig["sig"]!.GetValue<string>()));
                sig["sig"] = Convert.ToBase64String(EcdsaSignatureEncoding.P1363ToDer(HighS(p1363)));
                File.WriteAllText(file, node.ToJsonString());
                break;
        }
    }

    // (r, n - s): the other signature that verifies for the same bytes and key.
    private static byte[] HighS(byte[] p1363)
    {
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        var s = new System.Numerics.BigInteger(p1363.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var twin = (n - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = p1363.ToArray();
        Array.Clear(result, 32, 32);
        twin.CopyTo(result.AsSpan(64 - twin.Length));
        return result;
    }
}

/// <summary>The output folder's results.json is written after the bundle is committed, under the writer's lock.</summary>
public sealed class RootResultsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Write_RootResults_AppearOnlyAfterTheBundleIsCommitted()
    {
        var root = _dir.Sub("out-root-results");
        var (run, sources) = Fixtures.Run(_dir.Sub("rules-root"), 2, null);
        bool? existedBeforeCommit = null;

        var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run,
            RuleSources = sources,
            OutputRoot = root,
            RootResults = "{\"runId\":\"x\"}"u8.ToArray(),
            BeforeCommit = _ =>
            {
                existedBeforeCommit = File.Exists(Path.Combine(root, "results.json"));
                return Task.CompletedTask;
            },
        }, CancellationToken.None);

        Assert.False(existedBeforeCommit);
        Assert.Equal(Path.Combine(root, "results.json"), written.RootResultsPath);
        Assert.Equal("{\"runId\":\"x\"}", File.ReadAllText(written.RootResultsPath!));
    }

    [Fact]
    public async Task Write_CommitFails_LeavesNoRootResults()
    {
        var root = _dir.Sub("out-commit-fails");
        var (run, sources) = Fixtures.Run(_dir.Sub("rules-fail"), 1, null);

        await Assert.ThrowsAsync<IOException>(() => EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run,
            RuleSources = sources,
            OutputRoot = root,
            RootResults = "{}"u8.ToArray(),
            BeforeCommit = _ => throw new IOException("killed before the rename"),
        }, CancellationToken.None));

        Assert.False(File.Exists(Path.Combine(root, "results.json")));
    }
}
