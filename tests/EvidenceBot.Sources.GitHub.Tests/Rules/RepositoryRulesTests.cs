using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;

namespace EvidenceBot.Sources.GitHub.Tests.Rules;

public sealed class BranchProtectionRuleTests
{
    private const string PullRequest2 = """{"required_approving_review_count":2,"require_code_owner_review":true,"dismiss_stale_reviews_on_push":true,"require_last_push_approval":false,"required_review_thread_resolution":false}""";

    [Fact]
    public async Task Run_ClassicProtectionMeetsEverything_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-BRANCH-PROTECTION", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Equal(2, result.Findings.Count);
    }

    [Fact]
    public async Task Run_RulesetsOnlyWithoutBypass_Passes()
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.Api().Protection = null;
        org.Api().Rulesets.Add(new FakeRuleset(7, "main", [("pull_request", PullRequest2), ("non_fast_forward", null), ("deletion", null)], FromOrganization: true));

        var result = await RuleHarness.RunAsync("GH-BRANCH-PROTECTION", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Contains(result.Evidence, e => e.Url.EndsWith("/rulesets/7", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_RulesetWithBypassActors_Fails()
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.Api().Protection = null;
        org.Api().Rulesets.Add(new FakeRuleset(7, "main", [("pull_request", PullRequest2), ("non_fast_forward", null), ("deletion", null)], BypassActors: 1));

        var result = await RuleHarness.RunAsync("GH-BRANCH-PROTECTION", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "acme/api" && f.Message.Contains("bypass", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_RulesetWhoseBypassActorsTheTokenCannotSee_IsAnErrorNotAPass()
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.Api().Protection = null;
        org.Api().Rulesets.Add(new FakeRuleset(7, "main", [("pull_request", PullRequest2), ("non_fast_forward", null), ("deletion", null)], BypassActors: -1));

        var result = await RuleHarness.RunAsync("GH-BRANCH-PROTECTION", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        var finding = Assert.Single(result.Findings, f => f.Resource == "acme/api");
        Assert.Equal(Verdict.Error, finding.Status);
        Assert.Contains("cannot tell whether anyone can bypass ruleset(s) 7", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnprotectedDefaultBranch_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().Protection = null;

        var result = await RuleHarness.RunAsync("GH-BRANCH-PROTECTION", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "acme/api" && f.Message.Contains("not protected", StringComparison.Ordinal));
        Assert.Contains(result.Findings, f => f.Resource == "acme/web" && f.Status == Verdict.Pass);
    }

    [Fact]
    public async Task Run_ForcePushAllowedAndTooFewApprovals_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().Protection = new FakeProtection(Approvals: 1, AllowForcePushes: true);

        var result = await RuleHarness.RunAsync("GH-BRANCH-PROTECTION", fake, new { minApprovals = 2 });

        Assert.Equal(Verdict.Fail, result.Verdict);
        var api = Assert.Single(result.Findings, f => f.Resource == "acme/api");
        Assert.Contains("force pushes allowed", api.Message, StringComparison.Ordinal);
        Assert.Contains("1 approval(s) required", api.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ProtectionNotVisible_IsErrorNeverUnprotected()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/repos/acme/api/branches/main/protection", FakeGitHub.Error(404, "Not Found"));

        var result = await RuleHarness.RunAsync("GH-BRANCH-PROTECTION", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("/repos/acme/api/branches/main/protection", result.Error, StringComparison.Ordinal);
    }
}

public sealed class SignedCommitsRuleTests
{
    [Fact]
    public async Task Run_ClassicRequiredSignatures_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-SIGNED-COMMITS", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_RulesetRequiredSignatures_Passes()
    {
        using var fake = FakeGitHub.Start();
        var org = Estates.Compliant(fake);
        org.Api().Protection = null;
        org.Api().Rulesets.Add(new FakeRuleset(3, "signing", [("required_signatures", null)]));

        var result = await RuleHarness.RunAsync("GH-SIGNED-COMMITS", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_SignaturesNotRequired_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().Protection = new FakeProtection(RequiredSignatures: false);

        var result = await RuleHarness.RunAsync("GH-SIGNED-COMMITS", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_RulesAnswerTruncated_IsError()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/repos/acme/web/rules/branches/main", new FakeAnswer(200, """[{"type":"required_sig"""));

        var result = await RuleHarness.RunAsync("GH-SIGNED-COMMITS", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("rules/branches/main", result.Error, StringComparison.Ordinal);
    }
}

public sealed class SecretScanningRuleTests
{
    [Fact]
    public async Task Run_OnWithRecentAlertOnly_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-SECRET-SCANNING", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_PushProtectionOffAndOldAlert_Fails()
    {
        using var fake = FakeGitHub.Start();
        var api = Estates.Compliant(fake).Api();
        api.PushProtection = false;
        api.SecretAlerts!.Add(new FakeAlert(9, "", TestSupport.Now.AddDays(-20)));

        var result = await RuleHarness.RunAsync("GH-SECRET-SCANNING", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var finding = Assert.Single(result.Findings, f => f.Resource == "acme/api");
        Assert.Contains("push protection is disabled", finding.Message, StringComparison.Ordinal);
        Assert.Contains("#9", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ScanningDisabled_Fails()
    {
        using var fake = FakeGitHub.Start();
        var api = Estates.Compliant(fake).Api();
        api.SecretScanning = false;
        api.SecretAlerts = null;

        var result = await RuleHarness.RunAsync("GH-SECRET-SCANNING", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_SettingsNotVisibleToToken_IsError()
    {
        using var fake = FakeGitHub.Start();
        foreach (var r in Estates.Compliant(fake).Repos)
            r.SecretScanning = null;

        var result = await RuleHarness.RunAsync("GH-SECRET-SCANNING", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.All(result.Findings, f => Assert.Equal(Verdict.Error, f.Status));
    }
}

public sealed class DependabotRuleTests
{
    [Fact]
    public async Task Run_CriticalWithinSla_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-DEPENDABOT", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_HighPastSla_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().DependabotAlerts!.Add(new FakeAlert(5, "high", TestSupport.Now.AddDays(-45)));

        var result = await RuleHarness.RunAsync("GH-DEPENDABOT", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "acme/api" && f.Message.Contains("#5 high 45d", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_AlertsDisabled_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().DependabotAlerts = null;

        var result = await RuleHarness.RunAsync("GH-DEPENDABOT", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "acme/api" && f.Message.Contains("disabled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_TokenCannotReadAlerts_IsErrorNotDisabled()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/repos/acme/api/dependabot", FakeGitHub.Error(403, "Resource not accessible by integration"));

        var result = await RuleHarness.RunAsync("GH-DEPENDABOT", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("lacks the permission", result.Error, StringComparison.Ordinal);
    }
}

public sealed class CodeScanningRuleTests
{
    [Fact]
    public async Task Run_ConfiguredHighWithinSla_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-CODE-SCANNING", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_NotConfigured_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().CodeScanningAlerts = null;

        var result = await RuleHarness.RunAsync("GH-CODE-SCANNING", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Resource == "acme/api" && f.Message.Contains("not configured", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_CriticalPastSla_Fails()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake).Api().CodeScanningAlerts!.Add(new FakeAlert(8, "critical", TestSupport.Now.AddDays(-8)));

        var result = await RuleHarness.RunAsync("GH-CODE-SCANNING", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_ServiceUnavailable_IsError()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/repos/acme/web/code-scanning", FakeGitHub.Error(503, "Service unavailable"));

        var result = await RuleHarness.RunAsync("GH-CODE-SCANNING", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("503", result.Error, StringComparison.Ordinal);
    }
}

public sealed class ActionsTokenRuleTests
{
    [Fact]
    public async Task Run_ReadOnlyEverywhere_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-ACTIONS-TOKEN", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Equal(3, result.Findings.Count);
    }

    [Fact]
    public async Task Run_RepositoryTokenCanWriteAndApprove_Fails()
    {
        using var fake = FakeGitHub.Start();
        var api = Estates.Compliant(fake).Api();
        api.WorkflowDefault = "write";
        api.WorkflowCanApprove = true;

        var result = await RuleHarness.RunAsync("GH-ACTIONS-TOKEN", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var finding = Assert.Single(result.Findings, f => f.Resource == "acme/api");
        Assert.Contains("'write'", finding.Message, StringComparison.Ordinal);
        Assert.Contains("approve", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadCredentials_IsError()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.RequiredToken = "some-other-token-value";

        var result = await RuleHarness.RunAsync("GH-ACTIONS-TOKEN", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
    }
}

public sealed class DeployKeysRuleTests
{
    [Fact]
    public async Task Run_ReadOnlyRecentKeys_Passes()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);

        var result = await RuleHarness.RunAsync("GH-DEPLOY-KEYS", fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_WritableOrOldKey_Fails()
    {
        using var fake = FakeGitHub.Start();
        var api = Estates.Compliant(fake).Api();
        api.DeployKeys.Add(new FakeDeployKey(11, "deploy-bot", false, TestSupport.Now.AddDays(-10)));
        api.DeployKeys.Add(new FakeDeployKey(12, "legacy", true, TestSupport.Now.AddDays(-500)));

        var result = await RuleHarness.RunAsync("GH-DEPLOY-KEYS", fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var finding = Assert.Single(result.Findings, f => f.Resource == "acme/api");
        Assert.Contains($"'deploy-bot' (created {TestSupport.Now.AddDays(-10):yyyy-MM-dd}) has write access", finding.Message, StringComparison.Ordinal);
        Assert.Contains($"'legacy' (created {TestSupport.Now.AddDays(-500):yyyy-MM-dd}) is 500 days old", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KeysEndpointFails_IsError()
    {
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.Always("/repos/acme/api/keys", FakeGitHub.Error(502, "Bad Gateway"));

        var result = await RuleHarness.RunAsync("GH-DEPLOY-KEYS", fake);

        Assert.Equal(Verdict.Error, result.Verdict);
    }
}
