using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EvidenceBot.IntegrationTests;

/// <summary>Waivers end to end through the CLI: sign, run, results.json, statements, verify, and every refusal.</summary>
public class WaiverRunTests
{
    private const string Control = "ISO27001:2022/A.8.32";
    private const string Controls = "controls:\n  - { id: \"ISO27001:2022/A.8.32\", relation: supports }\n";

    private static string Entry(string id = "W-1", string rule = "A-1", string? resource = "octo/legacy-*", string control = Control,
        string approver = "alice@example.com", string created = "2026-11-01", string expires = "2027-01-15") =>
        $"  - id: {id}\n    rule: {rule}\n" + (resource is null ? "" : $"    resource: \"{resource}\"\n") +
        $"    control: \"{control}\"\n    justification: Legacy repos are archived read-only; migration tracked in SEC-42.\n" +
        $"    approver: {approver}\n    created: {created}\n    expires: {expires}\n";

    /// <summary>Keys for alice (trusted) and, when asked, bob; a config trusting the given approvers' keys.</summary>
    private static async Task<string> Setup(CliRunner cli, string waivers, params (string Approver, string KeyDir)[] trusted)
    {
        foreach (var dir in new[] { "alice", "bob", "mallory" })
            Assert.Equal(0, (await cli.Run("keys", "generate", "--out", Path.Combine(cli.Root, "keys", dir))).Exit);
        cli.Write("waivers.yaml", "waivers:\n" + waivers);
        var keys = (trusted.Length == 0 ? [("alice@example.com", "alice")] : trusted)
            .Select(t => new { approver = t.Approver, key = $"keys/{t.KeyDir}/public-key.pem" });
        return cli.Write("evidencebot.json", JsonSerializer.Serialize(new { waivers = new { file = "waivers.yaml", trustedKeys = keys } }));
    }

    private static Task<(int Exit, string Out, string Err)> Sign(CliRunner cli, string who = "alice", params string[] extra) =>
        cli.Run(["waivers", "sign", "--file", Path.Combine(cli.Root, "waivers.yaml"), "--key", Path.Combine(cli.Root, "keys", who, "signing-key.pem"), .. extra]);

    private static JsonElement Results(CliRunner cli) => JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Out, "results.json"))).RootElement;

    private static string Envelope(CliRunner cli, string id = "W-1") => Path.Combine(cli.Root, "waivers", id + ".dsse.json");

    private static void TwoFailures(CliRunner cli) =>
        cli.Rule("a.csx", "A-1", "Fail(\"octo/legacy-app\", \"no branch protection\"); Pass(\"octo/api\", \"protected\");", Controls);

    [Fact]
    public async Task Run_FailureCoveredBySignedWaiver_IsWaivedWithDigestAndExitsZero()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());
        var signed = await Sign(cli);
        Assert.Equal(0, signed.Exit);

        var (exit, stdout, stderr) = await cli.RunRules("--config", config);

        Assert.True(exit == 0, stdout + stderr);
        var rule = Results(cli).GetProperty("rules")[0];
        Assert.Equal("waived", rule.GetProperty("verdict").GetString());
        var waived = rule.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("resource").GetString() == "octo/legacy-app");
        Assert.Equal("waived", waived.GetProperty("status").GetString());
        var payload = Convert.FromBase64String(JsonDocument.Parse(File.ReadAllText(Envelope(cli))).RootElement.GetProperty("payload").GetString()!);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), waived.GetProperty("waiver").GetProperty("digest").GetString());
        Assert.Equal("alice@example.com", waived.GetProperty("waiver").GetProperty("approver").GetString());
        Assert.Equal("2027-01-15", waived.GetProperty("waiver").GetProperty("expires").GetString());
        Assert.Contains("1 waived", stdout, StringComparison.Ordinal);
        Assert.Contains("0 pass", stdout, StringComparison.Ordinal);
        // The progress line says what results.json says, not the verdict before the waiver applied.
        var progress = Assert.Single(stderr.Split('\n'), l => l.StartsWith("[1/1] A-1 ", StringComparison.Ordinal));
        Assert.Contains(": waived in ", progress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WaivedFinding_StatementRecordsWaiverAndVerifyPasses()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());
        await Sign(cli);
        var runKey = Path.Combine(cli.Root, "keys", "mallory");

        var (exit, stdout, stderr) = await cli.RunRules("--config", config, "--key", Path.Combine(runKey, "signing-key.pem"));

        Assert.True(exit == 0, stdout + stderr);
        var bundle = Assert.Single(Directory.GetDirectories(cli.Out, "2*"));
        var statement = Directory.GetFiles(Path.Combine(bundle, "statements")).Single();
        var envelope = JsonDocument.Parse(File.ReadAllText(statement)).RootElement.GetProperty("dsseEnvelope");
        var predicate = JsonDocument.Parse(Convert.FromBase64String(envelope.GetProperty("payload").GetString()!)).RootElement.GetProperty("predicate");
        Assert.Equal("waived", predicate.GetProperty("verdict").GetString());
        var finding = predicate.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("status").GetString() == "waived");
        Assert.Equal("W-1", finding.GetProperty("waiver").GetProperty("id").GetString());
        // The approver's envelope and key travel with the bundle, so an auditor checks the signature offline.
        Assert.Equal(File.ReadAllBytes(Envelope(cli)), File.ReadAllBytes(Path.Combine(bundle, "waivers", "W-1.dsse.json")));
        var alice = EvidenceBot.Evidence.Signing.EvidencePublicKey.FromPemFile(Path.Combine(cli.Root, "keys", "alice", "public-key.pem")).KeyId;
        Assert.True(File.Exists(Path.Combine(bundle, "waivers", "keys", alice + ".pem")));
        var verify = await cli.Run("verify", bundle, "--key", Path.Combine(runKey, "public-key.pem"));
        Assert.True(verify.Exit == 0, verify.Out + verify.Err);
        Assert.Contains($"  waivers/W-1.dsse.json: waiver W-1 (A-1, until 2027-01-15) names approver 'alice@example.com' and is signed by key {alice}", verify.Out, StringComparison.Ordinal);
        var checks = JsonDocument.Parse((await cli.Run("verify", bundle, "--key", Path.Combine(runKey, "public-key.pem"), "--json")).Out).RootElement;
        string Detail(string check) => Assert.Single(checks.GetProperty("checks").EnumerateArray(), c => c.GetProperty("check").GetString() == check).GetProperty("detail").GetString()!;
        Assert.Contains("(W-1)", Detail("statement.waivers"), StringComparison.Ordinal);
        Assert.Contains($"names approver 'alice@example.com' and is signed by key {alice}, which the run copied in with it", Detail("waiver.signature"), StringComparison.Ordinal);

        // An envelope taken out of the bundle is caught.
        File.Delete(Path.Combine(bundle, "waivers", "W-1.dsse.json"));
        var broken = await cli.Run("verify", bundle, "--key", Path.Combine(runKey, "public-key.pem"));
        Assert.Equal(4, broken.Exit);
        Assert.Contains("waivers/W-1.dsse.json", broken.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WaiverKey_ConfirmsTheApproversKeyAndRefusesAnother()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());
        await Sign(cli);
        var runKey = Path.Combine(cli.Root, "keys", "mallory");
        Assert.Equal(0, (await cli.RunRules("--config", config, "--key", Path.Combine(runKey, "signing-key.pem"))).Exit);
        var bundle = Assert.Single(Directory.GetDirectories(cli.Out, "2*"));
        string[] Verify(string waiverKey) => ["verify", bundle, "--key", Path.Combine(runKey, "public-key.pem"), "--waiver-key", waiverKey];

        var alice = await cli.Run(Verify("alice@example.com=" + Path.Combine(cli.Root, "keys", "alice", "public-key.pem")));
        var bobAsAlice = await cli.Run(Verify("alice@example.com=" + Path.Combine(cli.Root, "keys", "bob", "public-key.pem")));
        var noApprover = await cli.Run(Verify(Path.Combine(cli.Root, "keys", "alice", "public-key.pem")));

        Assert.True(alice.Exit == 0, alice.Out + alice.Err);
        Assert.Contains("waivers/W-1.dsse.json: waiver W-1 is signed by the key you trust for 'alice@example.com'", alice.Out, StringComparison.Ordinal);
        Assert.Equal(4, bobAsAlice.Exit);
        Assert.Contains("FAIL waiver.approver waivers/W-1.dsse.json: waiver W-1 is not signed by the key(s) you trust for 'alice@example.com'", bobAsAlice.Out, StringComparison.Ordinal);
        Assert.Equal(2, noApprover.Exit);
        Assert.Contains("APPROVER=PUBLIC_KEY.pem", noApprover.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WaiverEditedAfterSigning_RefusesToStart()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());
        await Sign(cli);
        cli.Write("waivers.yaml", "waivers:\n" + Entry(expires: "2030-01-01")); // a longer waiver nobody signed

        var (exit, stdout, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("waivers.yaml(2): waiver W-1", stderr, StringComparison.Ordinal);
        Assert.Contains("edited after signing", stderr, StringComparison.Ordinal);
        Assert.Contains("the run did not start", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Out, "results.json")), stdout);
    }

    [Fact]
    public async Task Run_WaiverSignedByUntrustedKey_RefusesToStart()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());
        await Sign(cli, "mallory");

        var (exit, _, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("not in waivers.trustedKeys", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WaiverSignedByAnotherApproversTrustedKey_RefusesToStart()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry(), ("alice@example.com", "alice"), ("bob@example.com", "bob"));
        await Sign(cli, "bob");

        var (exit, _, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("signed by the key of 'bob@example.com'", stderr, StringComparison.Ordinal);
        Assert.Contains("only the approver's own key counts", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WaiverWithBadSignature_RefusesToStart()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());
        await Sign(cli);
        var path = Envelope(cli);
        var envelope = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        var sig = Convert.FromBase64String((string)envelope["signatures"]![0]!["sig"]!);
        sig[^1] ^= 0x01; // still DER, no longer the signature
        envelope["signatures"]![0]!["sig"] = Convert.ToBase64String(sig);
        File.WriteAllText(path, envelope.ToJsonString());

        var (exit, _, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("bad signature", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WaiverWithoutEnvelope_RefusesToStartSayingHowToSign()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());

        var (exit, _, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("not signed", stderr, StringComparison.Ordinal);
        Assert.Contains("evidencebot waivers sign", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WaiverMissingJustification_RefusedNamingLineAndField()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, "  - id: W-1\n    rule: A-1\n    control: \"ISO27001:2022/A.8.32\"\n    approver: alice@example.com\n    created: 2026-11-01\n    expires: 2027-01-15\n");

        var (exit, _, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("waivers.yaml(2): waivers[0]: 'justification' is required", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WaiverForControlTheRuleDoesNotMap_RefusedNamingTheLine()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry(control: "ISO27001:2022/A.5.1"));
        await Sign(cli);

        var (exit, _, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("waivers.yaml(5): waiver W-1: control 'ISO27001:2022/A.5.1' is not one rule A-1 maps to", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ExpiredWaiver_IsNotAppliedAndIsReported()
    {
        using var cli = new CliRunner(); // the runner's clock says 2026-11-28
        TwoFailures(cli);
        var config = await Setup(cli, Entry(created: "2026-10-01", expires: "2026-11-27"));
        await Sign(cli);

        var (exit, stdout, stderr) = await cli.RunRules("--config", config);

        Assert.Equal(1, exit);
        Assert.Contains("waiver W-1 expired on 2026-11-27", stdout + stderr, StringComparison.Ordinal);
        var results = Results(cli);
        Assert.Equal("fail", results.GetProperty("rules")[0].GetProperty("verdict").GetString());
        Assert.Equal("W-1", Assert.Single(results.GetProperty("expiredWaivers").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Run_WaiverOnItsLastDay_StillApplies()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry(created: "2026-10-01", expires: "2026-11-28"));
        await Sign(cli);

        var (exit, _, _) = await cli.RunRules("--config", config);

        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Run_ErrorFindingUnderAWaiver_StaysErrorNeverWaived()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Error(\"octo/legacy-app\", \"could not read protection\");", Controls);
        var config = await Setup(cli, Entry());
        await Sign(cli);

        var (exit, _, _) = await cli.RunRules("--config", config);

        Assert.Equal(3, exit);
        var rule = Results(cli).GetProperty("rules")[0];
        Assert.Equal("error", rule.GetProperty("verdict").GetString());
        Assert.Equal("error", rule.GetProperty("findings")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Run_OneFailureWaivedOneNot_RuleStillFails()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Fail(\"octo/legacy-app\", \"no protection\"); Fail(\"octo/api\", \"no protection\");", Controls);
        var config = await Setup(cli, Entry());
        await Sign(cli);

        var (exit, _, _) = await cli.RunRules("--config", config);

        Assert.Equal(1, exit);
        var rule = Results(cli).GetProperty("rules")[0];
        Assert.Equal("fail", rule.GetProperty("verdict").GetString());
        Assert.Equal(["waived", "fail"], rule.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task WaiversList_Expiring30d_ListsOnlyThoseInForceAndDueWithin30Days()
    {
        using var cli = new CliRunner(); // 2026-11-28
        var config = await Setup(cli,
            Entry(id: "SOON", expires: "2026-12-20") + Entry(id: "LATER", expires: "2027-06-30") + Entry(id: "GONE", created: "2026-01-01", expires: "2026-11-01"));
        await Sign(cli);

        var (exit, stdout, stderr) = await cli.Run("waivers", "list", "--config", config, "--expiring", "30d", "--json");

        Assert.True(exit == 0, stderr);
        var listed = JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(w => w.GetProperty("id").GetString()).ToList();
        Assert.Equal(["SOON"], listed);
    }

    [Fact]
    public async Task Status_WaivedControlAndWaiverEndingWithin30Days_ShowsWaivedNeverPassAndListsTheWaiver()
    {
        using var cli = new CliRunner(); // 2026-11-28
        TwoFailures(cli);
        var config = await Setup(cli, Entry(expires: "2026-12-20") + Entry(id: "W-2", resource: "octo/other", expires: "2027-06-30"));
        await Sign(cli);
        var run = await cli.RunRules("--config", config);
        Assert.True(run.Exit == 0, run.Out + run.Err);

        var (exit, stdout, stderr) = await cli.Run("status", "--config", config, "--out", cli.Out);
        var json = await cli.Run("status", "--config", config, "--out", cli.Out, "--json");

        Assert.True(exit == 0, stderr);
        Assert.Contains("waiver W-1 (A-1 octo/legacy-*, " + Control + ", approved by alice@example.com) expires on 2026-12-20", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("waiver W-2", stdout, StringComparison.Ordinal);
        Assert.Contains("1 waiver(s) expire within 30 days", stdout, StringComparison.Ordinal);
        var doc = JsonDocument.Parse(json.Out).RootElement;
        var control = doc.GetProperty("frameworks").EnumerateArray().SelectMany(f => f.GetProperty("controls").EnumerateArray())
            .Single(c => c.GetProperty("id").GetString() == Control);
        Assert.Equal("waived", control.GetProperty("status").GetString());
        Assert.Equal(["W-1"], doc.GetProperty("expiringWaivers").EnumerateArray().Select(w => w.GetProperty("id").GetString()).ToList());
    }

    [Fact]
    public async Task WaiversCheck_AllSignedAndMatching_ExitsZero_EditedExitsTwo()
    {
        using var cli = new CliRunner();
        TwoFailures(cli);
        var config = await Setup(cli, Entry());
        cli.Write("evidencebot.json", File.ReadAllText(config).Replace("{\"waivers\"", "{\"rules\":\"rules\",\"waivers\"", StringComparison.Ordinal));
        await Sign(cli);

        var ok = await cli.Run("waivers", "check", "--config", config);
        cli.Write("waivers.yaml", "waivers:\n" + Entry(resource: "*"));
        var edited = await cli.Run("waivers", "check", "--config", config);

        Assert.True(ok.Exit == 0, ok.Err);
        Assert.Contains("1 waiver(s)", ok.Out, StringComparison.Ordinal);
        Assert.Equal(2, edited.Exit);
        Assert.Contains("edited after signing", edited.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaiversSign_UnknownId_ExitsTwoListingTheIds()
    {
        using var cli = new CliRunner();
        await Setup(cli, Entry());

        var (exit, _, stderr) = await Sign(cli, "alice", "--id", "W-9");

        Assert.Equal(2, exit);
        Assert.Contains("no waiver with id W-9", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Envelope(cli)));
    }

    [Fact]
    public async Task WaiversSign_WritesDsseEnvelopeOfTheWaiverPayloadType()
    {
        using var cli = new CliRunner();
        await Setup(cli, Entry());

        await Sign(cli);

        var envelope = JsonDocument.Parse(File.ReadAllText(Envelope(cli))).RootElement;
        Assert.Equal("application/vnd.evidencebot.waiver+json", envelope.GetProperty("payloadType").GetString());
        var payload = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(envelope.GetProperty("payload").GetString()!))).RootElement;
        Assert.Equal("octo/legacy-*", payload.GetProperty("resource").GetString());
    }

    [Fact]
    public async Task Run_DemoEstateWithSignedWaiver_StatementShowsItAndVerifyPasses()
    {
        using var cli = new CliRunner();
        var demo = Path.Combine(RepositoryRoot.Path, "examples", "demo");
        await Setup(cli, Entry(rule: "GH-DEPENDABOT", resource: "orbital-labs/ml-training", control: "ISO27001:2022/A.8.8"));
        await Sign(cli);
        var config = cli.Write("evidencebot.json", JsonSerializer.Serialize(new
        {
            github = new { replay = Path.Combine(demo, "github"), organizations = new[] { "orbital-labs" } },
            waivers = new { file = "waivers.yaml", trustedKeys = new[] { new { approver = "alice@example.com", key = "keys/alice/public-key.pem" } } },
        }));

        var (exit, stdout, stderr) = await cli.Run("run", "--rules", Path.Combine(RepositoryRoot.Path, "rules"), "--cache-dir", cli.Cache, "--out", cli.Out,
            "--config", config, "--rule", "GH-DEPENDABOT", "--key", Path.Combine(demo, "keys", "signing-key.pem"));

        Assert.True(exit == 0, stdout + stderr);
        var bundle = Assert.Single(Directory.GetDirectories(cli.Out, "2*"));
        var statement = Assert.Single(Directory.GetFiles(Path.Combine(bundle, "statements")));
        var envelope = JsonDocument.Parse(File.ReadAllText(statement)).RootElement.GetProperty("dsseEnvelope");
        var predicate = JsonDocument.Parse(Convert.FromBase64String(envelope.GetProperty("payload").GetString()!)).RootElement.GetProperty("predicate");
        Assert.Equal("waived", predicate.GetProperty("verdict").GetString());
        var waived = Assert.Single(predicate.GetProperty("findings").EnumerateArray(), f => f.GetProperty("status").GetString() == "waived");
        Assert.Equal("orbital-labs/ml-training", waived.GetProperty("resource").GetString());
        Assert.Equal("W-1", waived.GetProperty("waiver").GetProperty("id").GetString());
        Assert.DoesNotContain(predicate.GetProperty("findings").EnumerateArray(), f => f.GetProperty("status").GetString() == "fail");
        var verify = await cli.Run("verify", bundle, "--key", Path.Combine(demo, "keys", "public-key.pem"));
        Assert.True(verify.Exit == 0, verify.Out + verify.Err);

        // The waived verdict follows from the recorded evidence and the waiver the bundle holds.
        var replay = await cli.Run("verify", bundle, "--key", Path.Combine(demo, "keys", "public-key.pem"), "--replay", "--cache-dir", cli.Cache);
        Assert.True(replay.Exit == 0, replay.Out + replay.Err);
        Assert.Contains("OK: replay: 1 statement(s) re-derived from the bundle's evidence, 0 differences", replay.Out, StringComparison.Ordinal);
    }
}
