using EvidenceBot.Core.Rules;
using EvidenceBot.Runs.Waivers;

namespace EvidenceBot.IntegrationTests;

public class WaiverApplicationTests
{
    [Theory]
    [InlineData("octo/legacy-*", "octo/legacy-app", true)]
    [InlineData("octo/legacy-*", "octo/api", false)]
    [InlineData("*", "anything/at/all", true)]
    [InlineData("octo/?pi", "octo/api", true)]
    [InlineData("octo/?pi", "octo/xapi", false)]
    [InlineData("*/legacy", "a/b/legacy", true)]
    [InlineData("Octo/*", "octo/api", false)]
    public void Glob_StarAndQuestionMark_MatchAsDocumented(string pattern, string text, bool expected) =>
        Assert.Equal(expected, ResourceGlob.Matches(pattern, text));

    [Fact]
    public void Payload_SameEntry_IsTheSameBytes_ChangedEntry_IsNot()
    {
        var w = Waiver();

        Assert.Equal(w.Payload(), Waiver().Payload());
        Assert.NotEqual(w.Payload(), (w with { Expires = new DateOnly(2030, 1, 1) }).Payload());
        Assert.NotEqual(w.Payload(), (w with { Resource = null }).Payload());
    }

    [Fact]
    public void WaiverFile_ExpiresBeforeCreated_RefusedNamingTheLine()
    {
        var ex = Assert.Throws<WaiverException>(() => WaiverFile.Parse("w.yaml",
            "waivers:\n  - id: W-1\n    rule: R\n    control: \"A:1/X\"\n    justification: j\n    approver: a\n    created: 2026-12-01\n    expires: 2026-11-01\n"));

        Assert.Contains("w.yaml(8): waivers[0].expires: 2026-11-01 is before created 2026-12-01", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WaiverFile_DuplicateIds_Refused()
    {
        const string Entry = "  - id: W-1\n    rule: R\n    control: \"A:1/X\"\n    justification: j\n    approver: a\n    created: 2026-10-01\n    expires: 2026-11-01\n";

        var ex = Assert.Throws<WaiverException>(() => WaiverFile.Parse("w.yaml", "waivers:\n" + Entry + Entry));

        Assert.Contains("already the id of the waiver on line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WaiverFile_UnknownField_RefusedNamingIt()
    {
        var ex = Assert.Throws<WaiverException>(() => WaiverFile.Parse("w.yaml",
            "waivers:\n  - id: W-1\n    rule: R\n    control: \"A:1/X\"\n    justification: j\n    approver: a\n    created: 2026-10-01\n    expires: 2026-11-01\n    severity: low\n"));

        Assert.Contains("'severity' is not a waiver field", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WaiverFile_NotADate_Refused()
    {
        var ex = Assert.Throws<WaiverException>(() => WaiverFile.Parse("w.yaml",
            "waivers:\n  - id: W-1\n    rule: R\n    control: \"A:1/X\"\n    justification: j\n    approver: a\n    created: 2026-02-30\n    expires: 2026-11-01\n"));

        Assert.Contains("w.yaml(7): waivers[0].created: '2026-02-30' is not a calendar day", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Waiver_ExpiresToday_StillApplies_Tomorrow_Expired()
    {
        var w = Waiver();

        Assert.False(w.IsExpired(new DateOnly(2027, 1, 15)));
        Assert.True(w.IsExpired(new DateOnly(2027, 1, 16)));
    }

    [Fact]
    public void Covers_RuleIdIgnoresCase_ResourceNullCoversAll()
    {
        var w = Waiver() with { Resource = null };

        Assert.True(w.Covers("gh-branch", "anything"));
        Assert.False(w.Covers("OTHER", "anything"));
    }

    [Fact]
    public void Reference_CarriesIdDigestApproverExpires()
    {
        var signed = new SignedWaiver(Waiver(), new string('c', 64), "k");

        Assert.Equal(new WaiverReference("W-1", new string('c', 64), "alice@example.com", new DateOnly(2027, 1, 15)), signed.Reference);
    }

    [Fact]
    public void Today_IsTheUtcDay()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 23, 30, 0, TimeSpan.FromHours(-5)));

        Assert.Equal(new DateOnly(2026, 11, 29), WaiverApplication.Today(time));
    }

    private static Waiver Waiver() => new("W-1", "GH-BRANCH", "octo/legacy-*", "ISO27001:2022/A.8.32", "archived", "alice@example.com",
        new DateOnly(2026, 11, 1), new DateOnly(2027, 1, 15));

}
