namespace EvidenceBot.Sources.Azure.Tests.Fake;

/// <summary>
/// The fictional Orbital Labs tenant of the demo: "orbital-prod" is compliant almost everywhere; "orbital-ml-lab"
/// is a lab that drifted (a guest contributor, a thin activity-log export, an unlogged and public Key Vault, a legacy
/// storage account, a public ML workspace whose compute takes keys, a missing alert, Defender off for Key Vaults,
/// the benchmark initiative assigned without enforcement). Recorded into examples/demo/azure by
/// <c>bench azure record-demo</c>, replayed by the demo and by <c>AzureDemoTests</c>.
/// </summary>
public static class DemoEstate
{
    public const string Prod = Estate.SubA;
    public const string Lab = Estate.SubB;

    public static void Build(FakeArm fake)
    {
        Estate.Compliant(fake, Prod);
        var lab = Estate.Compliant(fake, Lab);

        // A guest contributor on the whole subscription.
        lab.RoleAssignments.Add(Estate.RoleAssignment(Lab, "0a000000-0000-4000-8000-0000000000b1", Estate.Contributor, Estate.GuestBob, "User", lab.Scope));
        // The activity log export lost Security and Policy.
        lab.DiagnosticSettings[lab.Scope] = [Estate.Diagnostic(lab.Scope, "activity-to-law", ["Administrative"])];
        // A legacy vault: no purge protection, access policies, public, and no diagnostic setting.
        var kv = Estate.Vault(Lab, "rg-lab", "kv-lab-legacy", purge: null, rbac: false, publicNetworkAccess: "Enabled");
        lab.Resources.Add(kv);
        lab.DiagnosticSettings[(string)kv["id"]!] = [];
        // A legacy storage account: TLS 1.0, anonymous blobs, shared keys, open network.
        var st = Estate.Storage(Lab, "rg-lab", "stlablegacy", tls: "TLS1_0", anonymous: true, sharedKey: null, publicNetworkAccess: "Enabled", defaultAction: "Allow");
        lab.Resources.Add(st);
        lab.DiagnosticSettings[(string)st["id"]! + "/blobServices/default"] = [Estate.Diagnostic((string)st["id"]! + "/blobServices/default", "to-law", ["StorageWrite"])];
        // A public ML workspace whose GPU compute still takes keys.
        var ws = Estate.Workspace(Lab, "rg-lab", "mlw-lab", publicNetworkAccess: "Enabled");
        lab.Resources.Add(ws);
        lab.Computes[(string)ws["id"]!] = [Estate.Compute((string)ws["id"]!, "gpu-dev", disableLocalAuth: false)];
        lab.DiagnosticSettings[(string)ws["id"]!] = [Estate.Diagnostic((string)ws["id"]!, "to-law", ["+allLogs"])];
        // No alert on NSG security-rule writes.
        lab.Resources.RemoveAll(r => (string?)r["name"] == "alert-4");
        // Defender for Key Vaults off.
        lab.Pricings.RemoveAll(p => (string?)p["name"] == "KeyVaults");
        lab.Pricings.Add(Estate.Pricing(Lab, "KeyVaults", "Free"));
        // The benchmark initiative assigned, but not enforced.
        lab.PolicyAssignments[0]["properties"]!["enforcementMode"] = "DoNotEnforce";
    }
}
