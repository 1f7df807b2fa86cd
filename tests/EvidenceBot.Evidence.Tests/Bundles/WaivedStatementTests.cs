using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Evidence.Tests.Bundles;

/// <summary>What <c>verify</c> checks about waived findings in a signed statement.</summary>
public class WaivedStatementTests
{
    private static readonly (BundleWaiver Envelope, WaiverReference Reference) Signed = Sign(new WaiverPayload());

    private static WaiverReference Waiver => Signed.Reference;

    /// <summary>What a waiver's approver signs (the fields of <c>waivers.yaml</c>, compact JSON).</summary>
    private sealed record WaiverPayload(string Id = "W-1", string Rule = "R-0", string? Resource = null, string Expires = "2027-01-31")
    {
        public byte[] Bytes() => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?>
        {
            ["id"] = Id, ["rule"] = Rule, ["resource"] = Resource, ["control"] = "ISO27001:2022/A.8.9",
            ["justification"] = "legacy repository, archived in Q1", ["approver"] = "alice@example.com", ["created"] = "2026-01-15", ["expires"] = Expires,
        }.Where(p => p.Value is not null).ToDictionary());
    }

    /// <summary>A waiver signed by the approver's key (not the run's), as a run copies it into the bundle, and what a finding cites.</summary>
    private static (BundleWaiver, WaiverReference) Sign(WaiverPayload waiver) =>
        (SignRaw(waiver.Id, waiver.Bytes()), new WaiverReference(waiver.Id, Convert.ToHexStringLower(SHA256.HashData(waiver.Bytes())), "alice@example.com",
            DateOnly.Parse(waiver.Expires, System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Any payload, signed by the approver's key as a waiver envelope.</summary>
    private static BundleWaiver SignRaw(string id, byte[] payload, Func<DsseEnvelope, DsseEnvelope>? edit = null)
    {
        using var approver = Fixtures.Signer(Fixtures.Other);
        var envelope = DsseSigning.SignAsync(approver, BundleWaiver.PayloadType, payload).GetAwaiter().GetResult().DsseEnvelope;
        return new BundleWaiver(id, JsonSerializer.SerializeToUtf8Bytes((edit ?? (e => e))(envelope)), approver.PublicKey.KeyId, approver.PublicKey.ToPem());
    }

    private static Task<VerificationReport> WriteAndVerify(TempDir dir, Verdict verdict, params Finding[] findings) =>
        WriteAndVerify(dir, [Signed.Envelope], verdict, findings);

    private static async Task<VerificationReport> WriteAndVerify(TempDir dir, IReadOnlyList<BundleWaiver> waivers, Verdict verdict, params Finding[] findings) =>
        BundleVerifier.Verify(await WriteAsync(dir, waivers, verdict, findings), Fixtures.PublicKey(), null);

    /// <summary>A signed one-rule bundle with these findings and waivers; returns its folder.</summary>
    private static async Task<string> WriteAsync(TempDir dir, IReadOnlyList<BundleWaiver> waivers, Verdict verdict, params Finding[] findings)
    {
        var (run, sources) = Fixtures.Run(dir.Sub("rules"), rules: 1);
        using var signer = Fixtures.Signer();
        var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run with { Rules = [run.Rules[0] with { Verdict = verdict, Findings = findings }] },
            RuleSources = sources,
            Signer = signer,
            Waivers = waivers,
            OutputRoot = dir.Sub("out"),
            Time = new FakeTimeProvider(Fixtures.Start.AddMinutes(1)),
        }, CancellationToken.None);
        return written.BundlePath;
    }

    [Fact]
    public async Task Verify_WaivedFindingNamingItsWaiver_Passes()
    {
        using var dir = new TempDir();

        var report = await WriteAndVerify(dir, Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "no protection", null, Waiver), new Finding("octo-org/api", Verdict.Pass, "ok"));

        Assert.True(report.Passed, string.Join("\n", report.Failures));
        Assert.Contains(report.Checks, c => c.Check == "statement.waivers" && c.Passed && c.Detail.Contains("(W-1)", StringComparison.Ordinal));
        var signature = Assert.Single(report.Checks, c => c.Check == "waiver.signature");
        Assert.True(signature.Passed);
        Assert.Equal("waivers/W-1.dsse.json", signature.File);
        Assert.Contains($"names approver 'alice@example.com' and is signed by key {Fixtures.PublicKey(Fixtures.Other).KeyId}", signature.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_EnvelopeNamingItsKeyIdInCapitals_StillFindsTheKeyTheRunCopiedIn()
    {
        using var dir = new TempDir();
        var shouting = SignRaw("W-1", new WaiverPayload().Bytes(), e => e with { Signatures = [e.Signatures[0] with { KeyId = e.Signatures[0].KeyId.ToUpperInvariant() }] });

        var report = await WriteAndVerify(dir, [shouting], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, Waiver));

        Assert.True(report.Passed, string.Join("\n", report.Failures));
    }

    [Theory]
    [InlineData("""{"id":"W-1","rule":"R-0","resource":42,"control":"C","justification":"j","approver":"alice@example.com","created":"2026-01-15","expires":"2027-01-31"}""", "payload.resource")]
    [InlineData("""{"id":"W-1","rule":"R-0","control":"C","justification":"j","approver":"alice@example.com","created":"2026-01-15","expires":"2026-02-30"}""", "payload.expires")]
    [InlineData("""{"id":"W-1","rule":"R-0","control":"C","approver":"alice@example.com","created":"2026-01-15","expires":"2027-01-31"}""", "payload.justification")]
    public async Task Verify_SignedPayloadThatIsNotAWaiver_IsRejectedNamingTheField(string payload, string field)
    {
        using var dir = new TempDir();
        var bytes = Encoding.UTF8.GetBytes(payload);
        var reference = Waiver with { Digest = Convert.ToHexStringLower(SHA256.HashData(bytes)) };

        var report = await WriteAndVerify(dir, [SignRaw("W-1", bytes)], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, reference));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "waiver.format" && c.File == "waivers/W-1.dsse.json" && c.Detail.Contains(field, StringComparison.Ordinal));
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("waivers/W-1.dsse.json is not a signed waiver", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_AFileUnderWaiversKeysThatIsNotAKey_IsRejected()
    {
        using var dir = new TempDir();
        var decoy = Signed.Envelope with { Id = "W-2", KeyId = "decoy" };

        var report = await WriteAndVerify(dir, [Signed.Envelope, decoy], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, Waiver));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "waiver.format" && c.File == "waivers/keys/decoy.pem");
    }

    [Fact]
    public async Task Write_CitedWaiver_IsInTheBundleWithItsApproversKey()
    {
        using var dir = new TempDir();

        var bundle = await WriteAsync(dir, [Signed.Envelope], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, Waiver));

        Assert.Equal(Signed.Envelope.Envelope, File.ReadAllBytes(Path.Combine(bundle, "waivers", "W-1.dsse.json")));
        var key = File.ReadAllText(Path.Combine(bundle, "waivers", "keys", Fixtures.PublicKey(Fixtures.Other).KeyId + ".pem"));
        Assert.Equal(Fixtures.PublicKey(Fixtures.Other).KeyId, EvidenceBot.Evidence.Signing.EvidencePublicKey.FromPem(key).KeyId);
        var manifest = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(bundle, BundleLayout.Manifest)));
        Assert.Contains("\"waivers/W-1.dsse.json\"", manifest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckWaiverApprovers_KeyTheAuditorTrustsForTheApprover_PassesAnyOtherFails()
    {
        using var dir = new TempDir();
        var bundle = await WriteAsync(dir, [Signed.Envelope], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, Waiver));
        var alice = new TrustedApproverKey("alice@example.com", Fixtures.PublicKey(Fixtures.Other), "alice.pem");

        var trusted = Assert.Single(BundleVerifier.CheckWaiverApprovers(bundle, [alice]));
        var otherKey = Assert.Single(BundleVerifier.CheckWaiverApprovers(bundle, [alice with { Key = Fixtures.PublicKey() }]));
        var otherApprover = Assert.Single(BundleVerifier.CheckWaiverApprovers(bundle, [alice with { Approver = "bob@example.com" }]));

        Assert.True(trusted.Passed, trusted.Detail);
        Assert.Equal(("waiver.approver", "waivers/W-1.dsse.json"), (trusted.Check, trusted.File));
        Assert.Contains("signed by the key you trust for 'alice@example.com' (alice.pem", trusted.Detail, StringComparison.Ordinal);
        Assert.False(otherKey.Passed);
        Assert.Contains("is not signed by the key(s) you trust for 'alice@example.com'", otherKey.Detail, StringComparison.Ordinal);
        Assert.False(otherApprover.Passed);
        Assert.Contains("no --waiver-key was given", otherApprover.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WaivedFindingWhoseEnvelopeIsNotInTheBundle_IsRejected()
    {
        using var dir = new TempDir();

        var report = await WriteAndVerify(dir, [], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "no protection", null, Waiver));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("holds no waivers/W-1.dsse.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_WaivedFindingCitingAnotherDigest_IsRejected()
    {
        using var dir = new TempDir();

        var report = await WriteAndVerify(dir, Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, Waiver with { Digest = new string('e', 64) }));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("but the signed waiver's digest is " + Waiver.Digest, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_WaiverEnvelopeWhosePayloadWasChangedAfterSigning_IsRejected()
    {
        using var dir = new TempDir();
        // The payload now says 2099; the signature is over the 2027 payload.
        var longer = new WaiverPayload(Expires: "2099-12-31").Bytes();
        var envelope = JsonSerializer.Deserialize<DsseEnvelope>(Signed.Envelope.Envelope)!;
        var forged = Signed.Envelope with { Envelope = JsonSerializer.SerializeToUtf8Bytes(envelope with { Payload = Convert.ToBase64String(longer) }) };
        var reference = Waiver with { Digest = Convert.ToHexStringLower(SHA256.HashData(longer)), Expires = new DateOnly(2099, 12, 31) };

        var report = await WriteAndVerify(dir, [forged], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, reference));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "waiver.signature" && c.File == "waivers/W-1.dsse.json" && c.Detail.Contains("does not verify", StringComparison.Ordinal));
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_WaiverOfAnotherRule_IsRejected()
    {
        using var dir = new TempDir();
        var (envelope, reference) = Sign(new WaiverPayload(Rule: "R-9"));

        var report = await WriteAndVerify(dir, [envelope], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, reference));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("accepts failures of rule 'R-9', not of 'R-0'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_WaiverOfOtherResources_IsRejected()
    {
        using var dir = new TempDir();
        var (envelope, reference) = Sign(new WaiverPayload(Resource: "octo-org/legacy-*"));

        var report = await WriteAndVerify(dir, [envelope], Verdict.Waived,
            new Finding("octo-org/legacy-app", Verdict.Waived, "m", null, reference), new Finding("octo-org/api", Verdict.Waived, "m", null, reference));

        Assert.False(report.Passed);
        var failure = Assert.Single(report.Failures);
        Assert.Equal("predicate.findings[1].waiver", failure.Field);
        Assert.Contains("covers resources 'octo-org/legacy-*', not 'octo-org/api'", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WaiverThatExpiredBeforeTheRuleRan_IsRejected()
    {
        using var dir = new TempDir();
        var (envelope, reference) = Sign(new WaiverPayload(Expires: "2026-02-28")); // the rule ran on 2026-03-01

        var report = await WriteAndVerify(dir, [envelope], Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "m", null, reference));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("expired on 2026-02-28, before the rule ran on 2026-03-01", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_PassVerdictOverAWaivedFinding_IsRejected()
    {
        using var dir = new TempDir();

        var report = await WriteAndVerify(dir, Verdict.Pass, new Finding("octo-org/legacy", Verdict.Waived, "no protection", null, Waiver));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("a waiver never makes a pass", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_WaivedFindingWithoutWaiver_IsRejected()
    {
        using var dir = new TempDir();

        var report = await WriteAndVerify(dir, Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "no protection"));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("names no waiver", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_WaivedVerdictWithAFailureLeft_IsRejected()
    {
        using var dir = new TempDir();

        var report = await WriteAndVerify(dir, Verdict.Waived, new Finding("a", Verdict.Waived, "m", null, Waiver), new Finding("b", Verdict.Fail, "m"));

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, c => c.Check == "statement.waivers" && c.Detail.Contains("still fail", StringComparison.Ordinal));
    }
}
