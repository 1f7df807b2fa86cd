using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;

namespace EvidenceBot.Sources.GitHub.Tests.Rules;

public sealed class OrgTwoFactorRuleTests
{
    [Fact]
    public async Task Run_RequirementOnAndEveryoneHas2fa_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-ORG-2FA", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Contains(result.Evidence, e => e.Url.Contains("filter=2fa_disabled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_OutsideCollaboratorWithout2fa_Fails()
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.OutsideCollaborators.Add(new FakeUser("mallory", TwoFactor: false));

        var result = await RuleHarness.RunAsync("GH-ORG-2FA", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Status == Verdict.Fail && f.Resource.EndsWith("mallory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_RequirementOff_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).TwoFactorRequired = false;

        var result = await RuleHarness.RunAsync("GH-ORG-2FA", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_TokenCannotSeeTheSetting_IsErrorNotPass()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).TwoFactorRequired = null;

        var result = await RuleHarness.RunAsync("GH-ORG-2FA", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains(result.Findings, f => f.Status == Verdict.Error && f.Message.Contains("owner", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_TokenLacksScopeForMembers_IsErrorNamingTheScope()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/orgs/acme/members", FakeGitHub.Error(403, "Must be an organization owner.", headers: new Dictionary<string, string>
        {
            ["X-Accepted-OAuth-Scopes"] = "admin:org, read:org", ["X-OAuth-Scopes"] = "repo",
        }));

        var result = await RuleHarness.RunAsync("GH-ORG-2FA", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("token lacks scope admin:org or read:org", result.Error, StringComparison.Ordinal);
    }
}

public sealed class OrgAdminsRuleTests
{
    [Fact]
    public async Task Run_TwoOwnersNoOutsideAdmins_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-ORG-ADMINS", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Equal(3, result.Findings.Count);
    }

    [Fact]
    public async Task Run_OutsideCollaboratorIsRepositoryAdmin_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().OutsideAdmins.Add("contractor");

        var result = await RuleHarness.RunAsync("GH-ORG-ADMINS", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "acme/api" && f.Status == Verdict.Fail && f.Message.Contains("contractor", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_MoreOwnersThanAllowed_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-ORG-ADMINS", fake, new { maxAdmins = 1, minAdmins = 1 });

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "acme" && f.Message.Contains("2 organisation owner(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_CollaboratorsServerError_IsError()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/repos/acme/web/collaborators", FakeGitHub.Error(500, "Internal Server Error"));

        var result = await RuleHarness.RunAsync("GH-ORG-ADMINS", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("500", result.Error, StringComparison.Ordinal);
    }
}

public sealed class AuditLogRuleTests
{
    [Fact]
    public async Task Run_RecentAuditEvent_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-AUDIT-LOG", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_EnterpriseStreamEnabled_PassesWithoutReadingEvents()
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.AuditEvents.Clear();
        org.Enterprise = "acme-corp";
        org.AuditStreams.Add(false);
        org.AuditStreams.Add(true);

        var result = await RuleHarness.RunAsync("GH-AUDIT-LOG", fake, new { enterprise = "acme-corp" });

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.DoesNotContain(fake.Requests, r => r.Contains("audit-log?", StringComparison.Ordinal) && r.Contains("/orgs/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_NewestEventTooOldAndNoStream_Fails()
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.AuditEvents.Clear();
        org.AuditEvents.Add(("org.update_member", TestSupport.Now.AddDays(-9)));

        var result = await RuleHarness.RunAsync("GH-AUDIT-LOG", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_AuditLogNotAvailable_IsError()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/orgs/acme/audit-log", FakeGitHub.Error(404, "Not Found"));

        var result = await RuleHarness.RunAsync("GH-AUDIT-LOG", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("404", result.Error, StringComparison.Ordinal);
    }
}

public sealed class UnconfiguredSourceTests
{
    [Fact]
    public async Task Run_GitHubRuleWithoutGitHubSection_IsErrorSayingWhatToConfigure()
    {
        var rule = RuleHarness.Rules.Single(r => r.Manifest.Id == "GH-ORG-2FA");
        var engine = new EvidenceBot.Core.Engine.RuleEngine(new EvidenceBot.Core.Engine.EngineOptions(), TimeProvider.System);

        var result = await engine.ExecuteAsync(new EvidenceBot.Core.Engine.RuleExecution(rule, "default", rule.Manifest.Parameters));

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("source 'github' is not configured", result.Error, StringComparison.Ordinal);
    }
}
