using System.Text.Json.Nodes;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Azure.Tests.Fake;

namespace EvidenceBot.Sources.Azure.Tests.Rules;

public sealed class AzureRuleSetTests
{
    [Fact]
    public void Load_AzureRules_NineCompileAgainstTheAzureContract()
    {
        Assert.Equal(9, RuleHarness.Rules.Count);
        Assert.All(RuleHarness.Rules, r => Assert.Equal(["azure"], r.Manifest.Sources));
    }
}

public sealed class PrivilegedRolesRuleTests
{
    private const string Id = "AZ-PRIVILEGED-ROLES";

    [Fact]
    public async Task Run_OnlyAllowListedOwnerAndGuestWithoutPrivilege_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake, RuleHarness.Allowed);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Contains(result.Evidence, e => e.Url.Contains("/v1.0/users/" + Estate.Alice, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_OwnerNotAllowListed_Fails()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Status == Verdict.Fail && f.Message.Contains("alice@orbital.example holds Owner at subscription scope", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_GuestContributorOnAResourceGroup_FailsEvenIfAllowListed()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.RoleAssignments.Add(Estate.RoleAssignment(Estate.SubA, "0a000000-0000-4000-8000-0000000000ff", Estate.Contributor, Estate.GuestBob, "User", $"{s.Scope}/resourceGroups/rg-core"));

        var result = await RuleHarness.RunAsync(Id, fake, new { allowedPrincipals = new[] { Estate.Alice, Estate.GuestBob } });

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Message.StartsWith("guest bob_partner.example#EXT#", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_ManagementGroupOwner_FailsNamingTheScope()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.RoleAssignments.Add(Estate.RoleAssignment(Estate.SubA, "0a000000-0000-4000-8000-0000000000fe", Estate.Owner, Estate.Carol, "User", "/providers/Microsoft.Management/managementGroups/mg-orbital"));

        var result = await RuleHarness.RunAsync(Id, fake, RuleHarness.Allowed);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Message.Contains("at management group scope", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_GraphRefused_IsErrorNamingTheGraphPermission()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.GraphAllowed = false;

        var result = await RuleHarness.RunAsync(Id, fake, RuleHarness.Allowed);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("User.Read.All", result.Error, StringComparison.Ordinal);
    }
}

public sealed class ActivityLogExportRuleTests
{
    private const string Id = "AZ-ACTIVITY-LOG-EXPORT";

    [Fact]
    public async Task Run_ThreeCategoriesToAWorkspace_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_PolicyCategoryMissing_FailsNamingIt()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.DiagnosticSettings[s.Scope] = [Estate.Diagnostic(s.Scope, "partial", ["Administrative", "Security"])];

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("not exported: Policy", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SettingWithoutDestination_Fails()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.DiagnosticSettings[s.Scope] = [Estate.Diagnostic(s.Scope, "nowhere", ["+allLogs"], workspaceId: null)];

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_AuthorizationFailed_IsErrorNamingTheAction()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        fake.Always("/diagnosticSettings", FakeArm.AuthorizationFailed("Microsoft.Insights/diagnosticSettings/read", s.Scope));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("Microsoft.Insights/diagnosticSettings/read", result.Error, StringComparison.Ordinal);
    }
}

public sealed class DiagnosticLogsRuleTests
{
    private const string Id = "AZ-DIAGNOSTIC-LOGS";

    [Fact]
    public async Task Run_VaultStorageAndWorkspaceLogged_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Equal(3, result.Findings.Count);
        Assert.Contains(result.Evidence, e => e.Url.Contains("/blobServices/default/providers/Microsoft.Insights/diagnosticSettings", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_VaultWithoutAuditEvent_Fails()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.DiagnosticSettings[Estate.Rid(Estate.SubA, "rg-core", "Microsoft.KeyVault/vaults", "kv-core")] = [];

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Status == Verdict.Fail && f.Resource.EndsWith("/kv-core", StringComparison.Ordinal) && f.Message.Contains("logs go nowhere", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_TruncatedDiagnosticAnswer_IsError()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/kv-core/providers/Microsoft.Insights/diagnosticSettings", new FakeAnswer(200, """{"value":[{"id":"/subs"""));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("not complete JSON", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoResourcesAtAll_IsNotApplicableNeverPass()
    {
        using var fake = FakeArm.Start();
        fake.AddSubscription(Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.NotEqual(Verdict.Pass, result.Verdict);
        Assert.All(result.Findings, f => Assert.Equal(Verdict.NotApplicable, f.Status));
    }
}

public sealed class ActivityAlertsRuleTests
{
    private const string Id = "AZ-ACTIVITY-ALERTS";

    [Fact]
    public async Task Run_EveryOperationAlerted_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Equal(4, result.Findings.Count);
    }

    [Fact]
    public async Task Run_PolicyAlertDisabledAndNsgAlertWithoutActionGroup_Fails()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.Resources.RemoveAll(r => ((string)r["type"]!).Contains("activityLogAlerts", StringComparison.OrdinalIgnoreCase));
        s.Resources.Add(Estate.ActivityAlert(Estate.SubA, "a1", Estate.WatchedOperations[0]));
        s.Resources.Add(Estate.ActivityAlert(Estate.SubA, "a2", Estate.WatchedOperations[1], enabled: false));
        s.Resources.Add(Estate.ActivityAlert(Estate.SubA, "a3", Estate.WatchedOperations[2], actionGroup: false));
        s.Resources.Add(Estate.ActivityAlert(Estate.SubA, "a4", Estate.WatchedOperations[3]));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Equal(2, result.Findings.Count(f => f.Status == Verdict.Fail));
    }

    [Fact]
    public async Task Run_ResourceGraph503_IsError()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/Microsoft.ResourceGraph/", new FakeAnswer(503, """{"error":{"code":"ServiceUnavailable","message":"down"}}"""));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
    }
}

public sealed class DefenderPlansRuleTests
{
    private const string Id = "AZ-DEFENDER-PLANS";

    [Fact]
    public async Task Run_ListedPlansStandard_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_KeyVaultsOnFreeTier_Fails()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.Pricings.RemoveAll(p => (string)p["name"]! == "KeyVaults");
        s.Pricings.Add(Estate.Pricing(Estate.SubA, "KeyVaults", "Free"));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains(result.Findings, f => f.Status == Verdict.Fail && f.Message.Contains("KeyVaults is on the Free tier", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_IdentityCannotReadPricings_IsError()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        fake.Always("/pricings", FakeArm.AuthorizationFailed("Microsoft.Security/pricings/read", s.Scope));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("Microsoft.Security/pricings/read", result.Error, StringComparison.Ordinal);
    }
}

public sealed class KeyVaultsRuleTests
{
    private const string Id = "AZ-KEY-VAULTS";

    [Fact]
    public async Task Run_HardenedVault_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_NoPurgeProtectionAccessPoliciesAndPublic_FailsWithEachProblem()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.Resources.Add(Estate.Vault(Estate.SubA, "rg-legacy", "kv-legacy", purge: null, rbac: false, publicNetworkAccess: "Enabled"));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var f = Assert.Single(result.Findings, f => f.Status == Verdict.Fail);
        Assert.Equal("purge protection off; access policies instead of RBAC authorisation; public network access open and not allow-listed", f.Message);
    }

    [Fact]
    public async Task Run_PublicVaultAllowListed_Passes()
    {
        using var fake = FakeArm.Start();
        fake.AddSubscription(Estate.SubA).Resources.Add(Estate.Vault(Estate.SubA, "rg-edge", "kv-edge", publicNetworkAccess: "Enabled"));

        var result = await RuleHarness.RunAsync(Id, fake, new { allowPublicNetworkAccess = new[] { "kv-edge" } });

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_ListingForbiddenAfterResourceGraphRefused_IsErrorNamingTheAction()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        fake.ResourceGraphAllowed = false;
        fake.Always("/providers/Microsoft.KeyVault/vaults", FakeArm.AuthorizationFailed("Microsoft.KeyVault/vaults/read", s.Scope));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("Microsoft.KeyVault/vaults/read", result.Error, StringComparison.Ordinal);
    }
}

public sealed class StorageAccountsRuleTests
{
    private const string Id = "AZ-STORAGE-ACCOUNTS";

    [Fact]
    public async Task Run_HardenedAccount_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
    }

    [Fact]
    public async Task Run_Tls10AnonymousAndSharedKeyByDefault_Fails()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.Resources.Add(Estate.Storage(Estate.SubA, "rg-legacy", "stlegacy", tls: "TLS1_0", anonymous: true, sharedKey: null, publicNetworkAccess: "Enabled", defaultAction: "Allow"));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var f = Assert.Single(result.Findings, f => f.Status == Verdict.Fail);
        Assert.Contains("minimum TLS TLS1_0", f.Message, StringComparison.Ordinal);
        Assert.Contains("shared-key access allowed", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ResourceGraphAnswerTruncated_IsError()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/Microsoft.ResourceGraph/", new FakeAnswer(200, """{"totalRecords":1,"count":1,"data":[{"id":"/subscriptions/"""));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
    }
}

public sealed class PolicyComplianceRuleTests
{
    private const string Id = "AZ-POLICY-COMPLIANCE";

    [Fact]
    public async Task Run_InitiativeEnforcedThreeNonCompliant_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Contains(result.Evidence, e => e.Method == "POST" && e.Url.Contains("/policyStates/latest/summarize", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_TooManyNonCompliant_Fails()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake, new { maxNonCompliantResources = 2 });

        Assert.Equal(Verdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Run_InitiativeNotEnforced_Fails()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        s.PolicyAssignments[0]["properties"]!["enforcementMode"] = "DoNotEnforce";

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Contains("enforcement off", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoComplianceStateYet_IsError()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA).PolicySummaryAssignments.Clear();

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
    }

    [Fact]
    public async Task Run_SummarizeForbidden_IsErrorNamingTheAction()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        fake.Always("/summarize", new FakeAnswer(403, """{"error":{"code":"AuthorizationFailed","message":"denied"}}"""));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("Microsoft.PolicyInsights/policyStates/summarize/action", result.Error, StringComparison.Ordinal);
    }
}

public sealed class MlWorkspacesRuleTests
{
    private const string Id = "AZ-ML-WORKSPACES";

    [Fact]
    public async Task Run_PrivateWorkspaceComputeWithoutKeys_Passes()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.True(result.Verdict == Verdict.Pass, RuleHarness.Describe(result));
        Assert.Equal(2, result.Findings.Count);
    }

    [Fact]
    public async Task Run_PublicWorkspaceAndComputeWithLocalAuth_Fails()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        var ws = Estate.Workspace(Estate.SubA, "rg-ml", "mlw-lab", publicNetworkAccess: "Enabled");
        s.Resources.Add(ws);
        s.Computes[(string)ws["id"]!] = [Estate.Compute((string)ws["id"]!, "gpu", disableLocalAuth: null)];

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Equal(2, result.Findings.Count(f => f.Status == Verdict.Fail));
    }

    [Fact]
    public async Task Run_ComputesForbidden_IsError()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        fake.Always("/computes", FakeArm.AuthorizationFailed("Microsoft.MachineLearningServices/workspaces/computes/read", s.Scope));

        var result = await RuleHarness.RunAsync(Id, fake);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("computes/read", result.Error, StringComparison.Ordinal);
    }
}
