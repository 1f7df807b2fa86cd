using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Evidence.Tests.Bundles;

/// <summary>What <c>verify</c> checks about waived findings in a signed statement.</summary>
public class WaivedStatementTests
{
    private static readonly WaiverReference Waiver = new("W-1", new string('e', 64), "alice@example.com", new DateOnly(2027, 1, 31));

    private static async Task<VerificationReport> WriteAndVerify(TempDir dir, Verdict verdict, params Finding[] findings)
    {
        var (run, sources) = Fixtures.Run(dir.Sub("rules"), rules: 1);
        run = run with { Rules = [run.Rules[0] with { Verdict = verdict, Findings = findings }] };
        using var signer = Fixtures.Signer();
        var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run,
            RuleSources = sources,
            Signer = signer,
            OutputRoot = dir.Sub("out"),
            Time = new FakeTimeProvider(Fixtures.Start.AddMinutes(1)),
        }, CancellationToken.None);
        return BundleVerifier.Verify(written.BundlePath, Fixtures.PublicKey(), null);
    }

    [Fact]
    public async Task Verify_WaivedFindingNamingItsWaiver_Passes()
    {
        using var dir = new TempDir();

        var report = await WriteAndVerify(dir, Verdict.Waived, new Finding("octo-org/legacy", Verdict.Waived, "no protection", null, Waiver), new Finding("octo-org/api", Verdict.Pass, "ok"));

        Assert.True(report.Passed, string.Join("\n", report.Failures));
        Assert.Contains(report.Checks, c => c.Check == "statement.waivers" && c.Passed);
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
