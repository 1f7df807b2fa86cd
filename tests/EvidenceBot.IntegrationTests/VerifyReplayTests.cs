using System.Text.Json;
using System.Security.Cryptography;
using System.Text;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.IntegrationTests;

public class VerifyReplayTests
{
    private static string Demo(params string[] parts) => Path.Combine([RepositoryRoot.Path, "examples", "demo", .. parts]);

    private static async Task<string> DemoBundle(CliRunner cli)
    {
        var (exit, stdout, stderr) = await cli.Run("run", "--config", Demo("evidencebot.json"), "--out", cli.Out, "--rules", Path.Combine(RepositoryRoot.Path, "rules"));
        Assert.True(exit == 1, stdout + stderr); // the demo fails controls on purpose
        return Path.Combine(cli.Out, File.ReadAllText(Path.Combine(cli.Out, "latest")).Trim());
    }

    [Fact]
    public async Task VerifyReplay_DemoBundle_EveryStatementReplaysWithNoDifference()
    {
        using var cli = new CliRunner();
        var bundle = await DemoBundle(cli);

        var (exit, stdout, stderr) = await cli.Run("verify", bundle, "--key", Demo("keys", "public-key.pem"), "--replay");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("OK: replay: 58 statement(s) re-derived from the bundle's evidence, 0 differences", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyReplay_InsiderEditsEvidenceAndResignsWithTheSameKey_SignaturesPassReplayFailsWithExitFour()
    {
        using var cli = new CliRunner();
        var bundle = await DemoBundle(cli);
        // The organisation's answer now says two-factor authentication is not required, and every signature is redone.
        await Insider.EditRawAndResign(bundle, Demo("keys", "signing-key.pem"),
            e => e.Contains("\"url\": \"https://api.github.com/orgs/orbital-labs\"", StringComparison.Ordinal),
            e => e.Replace("two_factor_requirement_enabled\\u0022:true", "two_factor_requirement_enabled\\u0022:false", StringComparison.Ordinal));

        var plain = await cli.Run("verify", bundle, "--key", Demo("keys", "public-key.pem"));
        Assert.True(plain.Exit == 0, plain.Out + plain.Err); // the forgery is signed correctly: only replay can tell
        var (exit, stdout, _) = await cli.Run("verify", bundle, "--key", Demo("keys", "public-key.pem"), "--replay");

        Assert.Equal(4, exit);
        Assert.Contains("FAIL replay GH-ORG-2FA [orbital-labs]", stdout, StringComparison.Ordinal);
        Assert.Contains("verdict: attested pass, replayed fail", stdout, StringComparison.Ordinal);
        Assert.Contains("finding 1 (orbital-labs): status attested pass, replayed fail", stdout, StringComparison.Ordinal);
        Assert.Contains("FAILED: replay:", stdout, StringComparison.Ordinal);
        // Rules that read the same answer but not that field still follow from it.
        Assert.DoesNotContain("FAIL replay GH-ORG-ADMINS", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyReplay_InsiderRemovesARecordedAnswer_FailsAskedForNotInTheEvidence()
    {
        using var cli = new CliRunner();
        var bundle = await DemoBundle(cli);
        await Insider.DropEvidenceAndResign(bundle, Demo("keys", "signing-key.pem"), "GH-ORG-2FA",
            e => e.Contains("\"url\": \"https://api.github.com/orgs/orbital-labs\"", StringComparison.Ordinal));

        var (exit, stdout, _) = await cli.Run("verify", bundle, "--key", Demo("keys", "public-key.pem"), "--replay");

        Assert.Equal(4, exit);
        Assert.Contains("FAIL replay GH-ORG-2FA [orbital-labs]", stdout, StringComparison.Ordinal);
        Assert.Contains("asked for GET /orgs/orbital-labs, not in the evidence", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyReplay_IsolateProcess_TheSameDifferencesAsInThisProcess()
    {
        using var cli = new CliRunner();
        var bundle = await DemoBundle(cli);
        await Insider.EditRawAndResign(bundle, Demo("keys", "signing-key.pem"),
            e => e.Contains("\"url\": \"https://api.github.com/orgs/orbital-labs\"", StringComparison.Ordinal),
            e => e.Replace("two_factor_requirement_enabled\\u0022:true", "two_factor_requirement_enabled\\u0022:false", StringComparison.Ordinal));

        var none = await cli.Run("verify", bundle, "--key", Demo("keys", "public-key.pem"), "--replay", "--cache-dir", cli.Cache);
        var process = await cli.Run("verify", bundle, "--key", Demo("keys", "public-key.pem"), "--replay", "--cache-dir", cli.Cache, "--isolate", "process");

        Assert.Equal(4, none.Exit);
        Assert.True(process.Exit == 4, process.Out + process.Err);
        Assert.Contains("replay: the bundle's rules run in a worker process (--isolate process)", process.Out, StringComparison.Ordinal);
        static List<string> Report(string stdout) => [.. stdout.Split('\n').Where(l => l.StartsWith("FAIL replay ", StringComparison.Ordinal) || l.StartsWith("FAILED: replay", StringComparison.Ordinal))];
        Assert.Contains("FAIL replay GH-ORG-2FA [orbital-labs]", none.Out, StringComparison.Ordinal);
        Assert.Equal(Report(none.Out), Report(process.Out));
    }

    [Fact]
    public async Task VerifyReplay_IsolateProcess_ARuleThatEndsTheWorkerIsADifferenceAndTheOthersReplay()
    {
        using var cli = new CliRunner();
        // A cycle through a record's compiler-generated GetHashCode overflows the stack where no checkpoint guards it:
        // replayed in this process it would end verify itself; in a worker it ends only the worker.
        cli.Rule("crash.csx", "T-CRASH", """
            var a = new Node();
            var b = new Node { Next = a };
            a.Next = b;
            Pass("x", a.GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture));
            record Node { public Node? Next { get; set; } }
            """);
        cli.Rule("good.csx", "T-GOOD", "Pass(\"x\", \"fine\");");
        var run = await cli.RunRules("--isolate", "process", "--key", Demo("keys", "signing-key.pem"));
        Assert.True(run.Exit == 3, run.Out + run.Err); // T-CRASH is error: its worker died
        var bundle = Path.Combine(cli.Out, File.ReadAllText(Path.Combine(cli.Out, "latest")).Trim());

        var (exit, stdout, stderr) = await cli.Run("verify", bundle, "--key", Demo("keys", "public-key.pem"), "--replay", "--cache-dir", cli.Cache, "--isolate", "process");

        Assert.True(exit == 4, stdout + stderr);
        Assert.Contains("FAIL replay T-CRASH [default]", stdout, StringComparison.Ordinal);
        Assert.Contains("the rule's worker process ended before the replay finished: worker process ended with exit code", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL replay T-GOOD", stdout, StringComparison.Ordinal);
        Assert.Contains("FAILED: replay: 1 difference(s) in 1 of 2 statement(s)", stdout, StringComparison.Ordinal);
    }

    /// <summary>What an insider holding the signing key can do: change the evidence and sign everything again.</summary>
    private static class Insider
    {
        public static async Task EditRawAndResign(string bundle, string keyPath, Func<string, bool> which, Func<string, string> edit)
        {
            var (oldPath, text) = FindRaw(bundle, which);
            var edited = Encoding.UTF8.GetBytes(edit(text));
            Assert.NotEqual(text, Encoding.UTF8.GetString(edited));
            var oldSha = Path.GetFileNameWithoutExtension(oldPath);
            var newSha = Convert.ToHexStringLower(SHA256.HashData(edited));
            File.Delete(oldPath);
            File.WriteAllBytes(Path.Combine(bundle, "raw", newSha + ".json"), edited);
            await Resign(bundle, keyPath, payload => payload.Replace(oldSha, newSha, StringComparison.Ordinal));
        }

        public static async Task DropEvidenceAndResign(string bundle, string keyPath, string ruleId, Func<string, bool> which)
        {
            var (path, _) = FindRaw(bundle, which);
            var sha = Path.GetFileNameWithoutExtension(path);
            await Resign(bundle, keyPath, payload =>
            {
                if (!payload.Contains($"\"ruleId\":\"{ruleId}\"", StringComparison.Ordinal))
                    return payload;
                var statement = InTotoStatement.Deserialize<RuleExecutionPredicate>(Encoding.UTF8.GetBytes(payload), "statement");
                var dropped = statement with
                {
                    Subject = [.. statement.Subject.Where(s => !s.Name.Contains(sha, StringComparison.Ordinal))],
                    Predicate = statement.Predicate with { Evidence = [.. statement.Predicate.Evidence.Where(e => !e.Path.Contains(sha, StringComparison.Ordinal))] },
                };
                return Encoding.UTF8.GetString(InTotoStatement.Serialize(dropped));
            });
        }

        private static (string Path, string Text) FindRaw(string bundle, Func<string, bool> which)
        {
            var path = Directory.GetFiles(Path.Combine(bundle, "raw")).Single(f => which(File.ReadAllText(f)));
            return (path, File.ReadAllText(path));
        }

        private static async Task Resign(string bundle, string keyPath, Func<string, string> rewrite)
        {
            using var signer = LocalKeySigner.FromPemFile(keyPath);
            foreach (var file in Directory.GetFiles(Path.Combine(bundle, "statements")))
            {
                var payload = Encoding.UTF8.GetString(SigstoreBundle.Parse(File.ReadAllBytes(file), file).DsseEnvelope.PayloadBytes());
                var rewritten = rewrite(payload);
                if (rewritten == payload)
                    continue;
                var signed = await DsseSigning.SignAsync(signer, InTotoStatement.PayloadType, Encoding.UTF8.GetBytes(rewritten));
                File.WriteAllBytes(file, signed.ToJsonBytes());
            }

            var manifestPath = Path.Combine(bundle, BundleLayout.Manifest);
            var manifest = InTotoStatement.Deserialize<ManifestPredicate>(File.ReadAllBytes(manifestPath), "manifest");
            var files = Directory.GetFiles(bundle, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(bundle, f).Replace('\\', '/'))
                .Where(p => p is not BundleLayout.Manifest and not BundleLayout.ManifestSignature)
                .Order(StringComparer.Ordinal)
                .Select(p =>
                {
                    var bytes = File.ReadAllBytes(Path.Combine(bundle, p));
                    return new ManifestFile(p, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length);
                })
                .ToList();
            var forged = manifest with
            {
                Subject = [.. files.Select(f => InTotoSubject.Sha256(f.Path, f.Sha256))],
                Predicate = manifest.Predicate with { Files = files },
            };
            var manifestBytes = InTotoStatement.Serialize(forged);
            File.WriteAllBytes(manifestPath, manifestBytes);
            var manifestSigned = await DsseSigning.SignAsync(signer, InTotoStatement.PayloadType, manifestBytes);
            File.WriteAllBytes(Path.Combine(bundle, BundleLayout.ManifestSignature), manifestSigned.ToJsonBytes());
            // A thorough insider also moves the output folder's chain head to the forged manifest, so that verify's
            // chain-membership check passes and only replay is left to notice.
            var head = Path.Combine(Path.GetDirectoryName(bundle)!, "chain-head.json");
            if (File.Exists(head))
            {
                var oldSha = JsonDocument.Parse(File.ReadAllText(head)).RootElement.GetProperty("manifestSha256").GetString()!;
                File.WriteAllText(head, File.ReadAllText(head).Replace(oldSha, Convert.ToHexStringLower(SHA256.HashData(manifestBytes)), StringComparison.Ordinal));
            }
        }
    }
}

public class VerifyReplayUsageTests
{
    [Fact]
    public async Task Verify_JsonWithReplay_IsRefusedWithExitTwo()
    {
        using var cli = new CliRunner();

        var (exit, _, stderr) = await cli.Run("verify", cli.Root, "--key", "unused.pem", "--json", "--replay");

        Assert.Equal(2, exit);
        Assert.Contains("--json and --replay cannot be combined", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_IsolateWithoutReplay_IsRefusedWithExitTwo()
    {
        using var cli = new CliRunner();

        var (exit, _, stderr) = await cli.Run("verify", cli.Root, "--key", "unused.pem", "--isolate", "process");

        Assert.Equal(2, exit);
        Assert.Contains("--isolate applies to --replay", stderr, StringComparison.Ordinal);
    }
}
