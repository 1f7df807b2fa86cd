using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Evidence.Tests.Interop;

/// <summary>
/// Our bundles checked by an independently written verifier: Sigstore's <c>@sigstore/verify</c> 3.x on Node,
/// offline, with the public key and thresholds of 0 (<c>tests/interop/verify-bundle.mjs</c>).
/// </summary>
public sealed class SigstoreInteropTests : IDisposable
{
    private readonly TempDir _dir = new();

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "EvidenceBot.sln")))
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
        return dir;
    }

    /// <summary>Runs the Node verifier; fails (never skips) when its packages are not installed.</summary>
    internal static async Task<(int Exit, string Output)> NodeVerifyAsync(string bundle, string publicKeyPem, bool json = false)
    {
        var root = RepoRoot();
        var modules = Path.Combine(root, "tests", "interop", "node_modules", "@sigstore", "verify");
        Assert.True(Directory.Exists(modules),
            $"{modules} is missing: the interop packages are not installed. Run ./test.sh (it runs 'npm ci --prefix tests/interop' first), or run that npm command yourself.");
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(Path.Combine("tests", "interop", "verify-bundle.mjs"));
        start.ArgumentList.Add(bundle);
        start.ArgumentList.Add(publicKeyPem);
        if (json)
            start.ArgumentList.Add("--json");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private async Task<(string Bundle, string Key)> SignedBundleAsync(int rules = 4)
    {
        using var signer = Fixtures.Signer();
        var written = await Fixtures.WriteAsync(_dir, signer, rules);
        return (written.BundlePath, Path.Combine(written.BundlePath, "public-key.pem"));
    }

    [Fact]
    public async Task SigstoreVerify_BundleFromTheWriter_VerifiesEveryStatementAndTheManifest()
    {
        var (bundle, key) = await SignedBundleAsync(4);

        var (exit, output) = await NodeVerifyAsync(bundle, key, json: true);

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.Equal(4, doc.RootElement.GetProperty("statements").GetInt32());
        Assert.True(doc.RootElement.GetProperty("manifest").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task SigstoreVerify_FlippedRawFile_FailsTheSubjectDigest()
    {
        var (bundle, key) = await SignedBundleAsync();
        var raw = Directory.GetFiles(Path.Combine(bundle, "raw")).First();
        var bytes = File.ReadAllBytes(raw);
        bytes[10] ^= 0x01;
        File.WriteAllBytes(raw, bytes);

        var (exit, output) = await NodeVerifyAsync(bundle, key);

        Assert.Equal(1, exit);
        Assert.Contains("subjects", output, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(raw), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigstoreVerify_TamperedStatementPayload_FailsTheSignature()
    {
        var (bundle, key) = await SignedBundleAsync();
        var statement = Directory.GetFiles(Path.Combine(bundle, "statements")).Order().First();
        var parsed = SigstoreBundle.Parse(File.ReadAllBytes(statement), statement);
        var payload = parsed.DsseEnvelope.PayloadBytes();
        var text = System.Text.Encoding.UTF8.GetString(payload).Replace("\"verdict\":\"pass\"", "\"verdict\":\"fail\"", StringComparison.Ordinal);
        var tampered = parsed with { DsseEnvelope = parsed.DsseEnvelope with { Payload = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)) } };
        File.WriteAllBytes(statement, tampered.ToJsonBytes());

        var (exit, output) = await NodeVerifyAsync(bundle, key);

        Assert.Equal(1, exit);
        Assert.Contains("signature", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigstoreVerify_WrongKey_Fails()
    {
        var (bundle, _) = await SignedBundleAsync();
        var other = Path.Combine(_dir.Path, "other.pem");
        File.WriteAllText(other, Fixtures.Other.PublicKeyPem);

        var (exit, output) = await NodeVerifyAsync(bundle, other);

        Assert.Equal(1, exit);
        Assert.Contains("key not found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigstoreVerify_P1363Signature_IsRejectedToo()
    {
        var (bundle, key) = await SignedBundleAsync();
        var statement = Directory.GetFiles(Path.Combine(bundle, "statements")).Order().First();
        var parsed = SigstoreBundle.Parse(File.ReadAllBytes(statement), statement);
        using var ec = ECDsa.Create();
        ec.ImportFromPem(Fixtures.Key.PrivateKeyPem);
        var p1363 = ec.SignData(parsed.DsseEnvelope.Pae(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var tampered = parsed with { DsseEnvelope = parsed.DsseEnvelope with { Signatures = [parsed.DsseEnvelope.Signatures[0] with { Sig = Convert.ToBase64String(p1363) }] } };
        File.WriteAllBytes(statement, tampered.ToJsonBytes());

        var (exit, output) = await NodeVerifyAsync(bundle, key);

        Assert.Equal(1, exit);
        Assert.Contains(Path.GetFileName(statement), output, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
