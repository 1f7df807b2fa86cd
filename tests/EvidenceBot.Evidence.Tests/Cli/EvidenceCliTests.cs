using System.Text.Json;
using EvidenceBot.Cli;
using EvidenceBot.Core.Engine;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Evidence.Tests.Cli;

/// <summary>The <c>keys</c>, <c>verify</c> and signing parts of <c>run</c>, in-process.</summary>
public sealed class EvidenceCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static async Task<(int Exit, string Out, string Err)> Cli(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, new FakeTimeProvider(Fixtures.Start), CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string Rules()
    {
        var rules = _dir.Sub("rules");
        File.WriteAllText(Path.Combine(rules, "policy.csx"), """
            /* ---
            id: EX-POLICY
            title: Password policy meets the minimum length
            severity: medium
            controls:
              - { id: "ISO27001:2022/A.5.17", relation: supports }
            parameters: { minLength: 14, policyLength: 16 }
            --- */
            Check("password-policy", Param<int>("policyLength") >= Param<int>("minLength"), "policy length", new { length = Param<int>("policyLength") });
            """);
        return rules;
    }

    /// <summary>Generates a key, runs <paramref name="rules"/> signed with it (the run must exit 0), and returns the bundle it printed.</summary>
    private async Task<(string Bundle, string Keys)> SignedRunAsync(string rules)
    {
        var keys = Path.Combine(_dir.Path, "keys");
        Assert.Equal(0, (await Cli("keys", "generate", "--out", keys)).Exit);
        var run = await Cli("run", "--rules", rules, "--out", Path.Combine(_dir.Path, "evidence"), "--cache-dir", Path.Combine(_dir.Path, "cache"), "--key", Path.Combine(keys, "signing-key.pem"));
        Assert.True(run.Exit == ExitCodes.Ok, run.Out + run.Err);
        return (run.Out.Split('\n').Single(l => l.StartsWith("Evidence bundle: ", StringComparison.Ordinal))["Evidence bundle: ".Length..].Split(" (")[0], keys);
    }

    [Fact]
    public async Task KeysGenerate_WithPassphraseEnv_WritesAnEncryptedKeyAndPrintsItsId()
    {
        var variable = "EB_TEST_PASS_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, "a long passphrase");
        var keys = Path.Combine(_dir.Path, "keys");

        var (exit, output, _) = await Cli("keys", "generate", "--out", keys, "--passphrase-env", variable);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(Path.Combine(keys, "signing-key.pem")), StringComparison.Ordinal);
        var keyId = EvidenceBot.Evidence.Signing.EvidencePublicKey.FromPemFile(Path.Combine(keys, "public-key.pem")).KeyId;
        Assert.Contains(keyId, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysGenerate_Force_ReplacesTheKeyFileRatherThanWritingThroughIt()
    {
        // Written through, an old key file readable by others (or a hard link to it) would hold the new key for a moment.
        var keys = Path.Combine(_dir.Path, "keys");
        Assert.Equal(0, (await Cli("keys", "generate", "--out", keys)).Exit);
        var old = File.ReadAllText(Path.Combine(keys, "signing-key.pem"));
        var link = Path.Combine(_dir.Path, "old-key-link.pem");
        using (var ln = System.Diagnostics.Process.Start("ln", [Path.Combine(keys, "signing-key.pem"), link]))
        {
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }

        var (exit, _, _) = await Cli("keys", "generate", "--out", keys, "--force");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(old, File.ReadAllText(link));
        Assert.NotEqual(old, File.ReadAllText(Path.Combine(keys, "signing-key.pem")));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(keys, "signing-key.pem")));
        Assert.Empty(Directory.GetFiles(keys, "*.tmp"));
    }

    [Fact]
    public async Task KeysGenerate_PassphraseEnvNotSet_IsAUsageError()
    {
        var (exit, _, err) = await Cli("keys", "generate", "--out", Path.Combine(_dir.Path, "keys"), "--passphrase-env", "EB_TEST_NOT_SET_ANYWHERE");

        Assert.Equal(ExitCodes.UsageOrConfig, exit);
        Assert.Contains("EB_TEST_NOT_SET_ANYWHERE", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "keys", "signing-key.pem")));
    }

    [Fact]
    public async Task Verify_GoodBundle_ExitsZeroAndTampered_ExitsFourNamingTheFile()
    {
        using var signer = Fixtures.Signer();
        var written = await Fixtures.WriteAsync(_dir, signer);
        var key = Path.Combine(written.BundlePath, "public-key.pem");
        var trusted = Path.Combine(_dir.Path, "trusted.pem");
        File.Copy(key, trusted);

        var good = await Cli("verify", written.BundlePath, "--key", trusted);
        var raw = Directory.GetFiles(Path.Combine(written.BundlePath, "raw")).First();
        File.AppendAllText(raw, " ");
        var bad = await Cli("verify", written.BundlePath, "--key", trusted);

        Assert.Equal(ExitCodes.Ok, good.Exit);
        Assert.Contains("OK:", good.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.VerificationFailed, bad.Exit);
        Assert.Contains($"FAIL file.digest raw/{Path.GetFileName(raw)}", bad.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_Json_PrintsTheReport()
    {
        using var signer = Fixtures.Signer();
        var written = await Fixtures.WriteAsync(_dir, signer);
        var other = Path.Combine(_dir.Path, "other.pem");
        File.WriteAllText(other, Fixtures.Other.PublicKeyPem);

        var (exit, output, _) = await Cli("verify", written.BundlePath, "--key", other, "--json");

        Assert.Equal(ExitCodes.VerificationFailed, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("passed").GetBoolean());
        Assert.Contains(doc.RootElement.GetProperty("checks").EnumerateArray(), c => !c.GetProperty("passed").GetBoolean() && c.GetProperty("check").GetString() == "statement.signature");
    }

    [Theory]
    [InlineData("missing-bundle", "key")]
    [InlineData("bundle", "missing-key")]
    [InlineData("bundle", "private-key")]
    public async Task Verify_BadArguments_AreUsageErrors(string bundleKind, string keyKind)
    {
        using var signer = Fixtures.Signer();
        var written = await Fixtures.WriteAsync(_dir, signer);
        var privateKey = Path.Combine(_dir.Path, "private.pem");
        File.WriteAllText(privateKey, Fixtures.Key.PrivateKeyPem);
        var bundle = bundleKind == "bundle" ? written.BundlePath : Path.Combine(_dir.Path, "nope");
        var key = keyKind switch { "key" => Path.Combine(written.BundlePath, "public-key.pem"), "private-key" => privateKey, _ => Path.Combine(_dir.Path, "none.pem") };

        var (exit, _, err) = await Cli("verify", bundle, "--key", key);

        Assert.Equal(ExitCodes.UsageOrConfig, exit);
        Assert.StartsWith("error:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_NullSignatureInTheBundle_ExitsFourNamingTheFieldNotAUsageError()
    {
        // An ArgumentNullException from the bundle's content used to surface as a usage error (exit 2).
        using var signer = Fixtures.Signer();
        var written = await Fixtures.WriteAsync(_dir, signer);
        var trusted = Path.Combine(_dir.Path, "trusted.pem");
        File.WriteAllText(trusted, Fixtures.Key.PublicKeyPem);
        var signature = Path.Combine(written.BundlePath, "manifest.sigstore.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(signature))!;
        node["dsseEnvelope"]!["signatures"]![0]!["sig"] = null;
        File.WriteAllText(signature, node.ToJsonString());

        var (exit, output, err) = await Cli("verify", written.BundlePath, "--key", trusted);

        Assert.True(exit == ExitCodes.VerificationFailed, output + err);
        Assert.Contains("FAIL manifest.signature manifest.sigstore.json", output, StringComparison.Ordinal);
        Assert.Contains("signatures[0].sig", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_PreviousIsNotAnArchive_IsAUsageErrorNamingIt()
    {
        using var signer = Fixtures.Signer();
        var written = await Fixtures.WriteAsync(_dir, signer);
        var previous = Path.Combine(_dir.Path, "previous.tar.gz");
        File.WriteAllText(previous, "this is not gzip, but long enough to be read as a deflate block header and fail");

        var (exit, _, err) = await Cli("verify", written.BundlePath, "--key", Path.Combine(written.BundlePath, "public-key.pem"), "--previous", previous);

        Assert.Equal(ExitCodes.UsageOrConfig, exit);
        Assert.Contains(previous, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WithoutKey_IsAUsageError()
    {
        var (exit, _, _) = await Cli("verify", _dir.Path);

        Assert.Equal(ExitCodes.UsageOrConfig, exit);
    }

    [Fact]
    public async Task Run_WithKey_WritesASignedBundleThatVerifiesAndChains()
    {
        var rules = Rules();
        var keys = Path.Combine(_dir.Path, "keys");
        Assert.Equal(0, (await Cli("keys", "generate", "--out", keys)).Exit);
        var output = Path.Combine(_dir.Path, "evidence");
        string[] run = ["run", "--rules", rules, "--out", output, "--cache-dir", Path.Combine(_dir.Path, "cache"), "--key", Path.Combine(keys, "signing-key.pem"), "--archive"];

        var first = await Cli(run);
        var second = await Cli(run);

        Assert.Equal(ExitCodes.Ok, first.Exit);
        Assert.Contains("Evidence bundle:", first.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("UNSIGNED", first.Out + first.Err, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetDirectories(output).Length);
        // Both runs share the fake clock, so take each bundle's path from what its run printed.
        var bundles = new[] { first.Out, second.Out }
            .Select(o => o.Split('\n').Single(l => l.StartsWith("Evidence bundle: ", StringComparison.Ordinal))["Evidence bundle: ".Length..].Split(" (")[0])
            .ToList();
        Assert.True(File.Exists(bundles[1] + ".tar.gz"));
        var verify = await Cli("verify", bundles[1] + ".tar.gz", "--key", Path.Combine(keys, "public-key.pem"), "--previous", bundles[0]);
        Assert.True(verify.Exit == ExitCodes.Ok, verify.Out + verify.Err);
        Assert.Contains("rules/policy.csx", string.Join("\n", Fixtures.Files(bundles[0])), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, second.Exit);
    }

    [Fact]
    public async Task Run_RuleSavedWithAByteOrderMark_WritesABundleThatVerifiesAndHoldsTheFileAsIs()
    {
        // Visual Studio saves new files with a UTF-8 byte-order mark; the bundle once refused them as "changed during the run".
        var rules = _dir.Sub("rules");
        byte[] source = [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes("/* ---\r\nid: BOM-1\r\ntitle: Saved with a BOM\r\n--- */\r\nPass(\"r\", \"ok\");\r\n")];
        File.WriteAllBytes(Path.Combine(rules, "bom.csx"), source);
        var (bundle, keys) = await SignedRunAsync(rules);

        Assert.Equal(source, File.ReadAllBytes(Path.Combine(bundle, "rules", "bom.csx")));
        var verify = await Cli("verify", bundle, "--key", Path.Combine(keys, "public-key.pem"));
        Assert.True(verify.Exit == ExitCodes.Ok, verify.Out + verify.Err);
    }

    [Fact]
    public async Task Run_RuleThatLoadsSharedFiles_BundleHoldsThemAsSubjectsOfItsStatementAndVerifies()
    {
        var rules = _dir.Sub("rules");
        Directory.CreateDirectory(Path.Combine(rules, "_shared"));
        File.WriteAllText(Path.Combine(rules, "_shared", "helpers.csx"), "#load \"more.csx\"\nstatic bool Long(int n) => More(n) >= 14;\n");
        File.WriteAllText(Path.Combine(rules, "_shared", "more.csx"), "static int More(int n) => n;\n");
        File.WriteAllText(Path.Combine(rules, "policy.csx"), "/* ---\nid: EX-LOAD\ntitle: Uses shared helpers\n--- */\n#load \"_shared/helpers.csx\"\nCheck(\"policy\", Long(16), \"long enough\");\n");
        var (bundle, keys) = await SignedRunAsync(rules);

        Assert.Equal(File.ReadAllBytes(Path.Combine(rules, "_shared", "more.csx")), File.ReadAllBytes(Path.Combine(bundle, "rules", "_shared", "more.csx")));
        var statement = Directory.GetFiles(Path.Combine(bundle, "statements")).Single();
        using var envelope = JsonDocument.Parse(File.ReadAllBytes(statement));
        var payload = Convert.FromBase64String(envelope.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!);
        using var inToto = JsonDocument.Parse(payload);
        var subjects = inToto.RootElement.GetProperty("subject").EnumerateArray().Select(x => x.GetProperty("name").GetString()).ToList();
        Assert.Equal(["rules/_shared/helpers.csx", "rules/_shared/more.csx", "rules/policy.csx"], subjects);
        var verify = await Cli("verify", bundle, "--key", Path.Combine(keys, "public-key.pem"));
        Assert.True(verify.Exit == ExitCodes.Ok, verify.Out + verify.Err);
    }

    [Fact]
    public async Task Run_WithoutKey_SaysClearlyThatEvidenceIsUnsigned()
    {
        var rules = Rules();

        var (exit, output, err) = await Cli("run", "--rules", rules, "--out", Path.Combine(_dir.Path, "evidence"), "--cache-dir", Path.Combine(_dir.Path, "cache"));

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("UNSIGNED", output, StringComparison.Ordinal);
        Assert.Contains("UNSIGNED", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EncryptedKeyWithoutPassphrase_FailsBeforeAnyRuleRuns()
    {
        var rules = Rules();
        var key = Path.Combine(_dir.Path, "encrypted.pem");
        File.WriteAllText(key, EvidenceBot.Evidence.Signing.KeyGenerator.Generate("secret passphrase").PrivateKeyPem);
        var output = Path.Combine(_dir.Path, "evidence");

        var (exit, _, err) = await Cli("run", "--rules", rules, "--out", output, "--cache-dir", Path.Combine(_dir.Path, "cache"), "--key", key);

        Assert.Equal(ExitCodes.UsageOrConfig, exit);
        Assert.Contains("encrypted", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "results.json")));
    }

    public void Dispose() => _dir.Dispose();
}
