using System.Text.Json.Nodes;

namespace EvidenceBot.Sources.Azure.Tests.Fake;

/// <summary>
/// Builds fake ARM resources in the shapes of the REST specification examples of the pinned api-versions
/// (Key Vault 2023-07-01 getVault, Storage 2023-05-01, Machine Learning 2024-04-01 workspace and AmlCompute,
/// Monitor 2021-05-01-preview diagnostic settings, Authorization 2022-04-01 role assignments, Policy 2022-06-01,
/// Policy Insights 2019-10-01 summarize, Security 2024-01-01 pricings, Insights 2020-10-01 activity-log alerts),
/// and a compliant subscription that each test breaks in one place.
/// </summary>
public static class Estate
{
    public const string SubA = "11111111-aaaa-4aaa-8aaa-111111111111";
    public const string SubB = "22222222-bbbb-4bbb-8bbb-222222222222";
    public const string Owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    public const string Contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    public const string Reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    public const string Alice = "a11ce000-0000-4000-8000-000000000001";
    public const string GuestBob = "b0b00000-0000-4000-8000-000000000002";
    public const string Carol = "ca401000-0000-4000-8000-000000000003";
    public const string PlatformGroup = "96000000-0000-4000-8000-000000000004";
    public const string Mcsb = "/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8";
    public const string LogWorkspace = "/subscriptions/11111111-aaaa-4aaa-8aaa-111111111111/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central";
    public static readonly string[] WatchedOperations =
    [
        "Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/policyAssignments/write",
        "Microsoft.Network/networkSecurityGroups/write", "Microsoft.Network/networkSecurityGroups/securityRules/write",
    ];

    public static string Rid(string sub, string rg, string type, string name) => $"/subscriptions/{sub}/resourceGroups/{rg}/providers/{type}/{name}";

    public static JsonObject Vault(string sub, string rg, string name, bool? softDelete = true, bool? purge = true, bool? rbac = true, string publicNetworkAccess = "Disabled") => new()
    {
        ["id"] = Rid(sub, rg, "Microsoft.KeyVault/vaults", name),
        ["name"] = name,
        ["type"] = "Microsoft.KeyVault/vaults",
        ["location"] = "westeurope",
        ["tags"] = new JsonObject { ["env"] = "prod" },
        ["properties"] = Props(new()
        {
            ["sku"] = new JsonObject { ["family"] = "A", ["name"] = "standard" },
            ["tenantId"] = FakeArm.TenantId,
            ["accessPolicies"] = new JsonArray(),
            ["enabledForDeployment"] = false,
            ["enableSoftDelete"] = softDelete,
            ["softDeleteRetentionInDays"] = 90,
            ["enablePurgeProtection"] = purge,
            ["enableRbacAuthorization"] = rbac,
            ["vaultUri"] = $"https://{name}.vault.azure.net",
            ["provisioningState"] = "Succeeded",
            ["publicNetworkAccess"] = publicNetworkAccess,
        }),
    };

    public static JsonObject Storage(string sub, string rg, string name, bool https = true, string tls = "TLS1_2", bool anonymous = false, bool? sharedKey = false,
        string publicNetworkAccess = "Disabled", string defaultAction = "Deny") => new()
    {
        ["id"] = Rid(sub, rg, "Microsoft.Storage/storageAccounts", name),
        ["name"] = name,
        ["type"] = "Microsoft.Storage/storageAccounts",
        ["location"] = "westeurope",
        ["kind"] = "StorageV2",
        ["sku"] = new JsonObject { ["name"] = "Standard_GRS", ["tier"] = "Standard" },
        ["tags"] = new JsonObject { ["env"] = "prod" },
        ["properties"] = Props(new()
        {
            ["supportsHttpsTrafficOnly"] = https,
            ["minimumTlsVersion"] = tls,
            ["allowBlobPublicAccess"] = anonymous,
            ["allowSharedKeyAccess"] = sharedKey,
            ["publicNetworkAccess"] = publicNetworkAccess,
            ["networkAcls"] = new JsonObject { ["bypass"] = "AzureServices", ["defaultAction"] = defaultAction, ["ipRules"] = new JsonArray(), ["virtualNetworkRules"] = new JsonArray() },
            ["encryption"] = new JsonObject { ["keySource"] = "Microsoft.Storage", ["requireInfrastructureEncryption"] = false },
            ["provisioningState"] = "Succeeded",
            ["primaryLocation"] = "westeurope",
            ["statusOfPrimary"] = "available",
        }),
    };

    public static JsonObject Workspace(string sub, string rg, string name, string publicNetworkAccess = "Disabled") => new()
    {
        ["id"] = Rid(sub, rg, "Microsoft.MachineLearningServices/workspaces", name),
        ["name"] = name,
        ["type"] = "Microsoft.MachineLearningServices/workspaces",
        ["location"] = "westeurope",
        ["identity"] = new JsonObject { ["type"] = "SystemAssigned" },
        ["sku"] = new JsonObject { ["name"] = "Basic", ["tier"] = "Basic" },
        ["tags"] = new JsonObject { ["env"] = "prod" },
        ["properties"] = new JsonObject
        {
            ["friendlyName"] = name,
            ["keyVault"] = Rid(sub, rg, "Microsoft.KeyVault/vaults", "kv-core"),
            ["storageAccount"] = Rid(sub, rg, "Microsoft.Storage/storageAccounts", "stcore"),
            ["publicNetworkAccess"] = publicNetworkAccess,
            ["hbiWorkspace"] = false,
            ["provisioningState"] = "Succeeded",
        },
    };

    public static JsonObject Compute(string workspaceId, string name, bool? disableLocalAuth = true) => new()
    {
        ["id"] = $"{workspaceId}/computes/{name}",
        ["type"] = "Microsoft.MachineLearningServices/workspaces/computes",
        ["name"] = name,
        ["location"] = "westeurope",
        ["properties"] = Props(new()
        {
            ["description"] = "training cluster",
            ["computeType"] = "AmlCompute",
            ["provisioningState"] = "Succeeded",
            ["disableLocalAuth"] = disableLocalAuth,
            ["properties"] = new JsonObject { ["vmSize"] = "STANDARD_NC6", ["vmPriority"] = "Dedicated", ["scaleSettings"] = new JsonObject { ["maxNodeCount"] = 1, ["minNodeCount"] = 0 } },
        }),
    };

    /// <summary>A diagnostic setting sending <paramref name="categories"/> (a leading '+' marks a category group) to a workspace.</summary>
    public static JsonObject Diagnostic(string resourceId, string name, string[] categories, string? workspaceId = LogWorkspace) => new()
    {
        ["id"] = $"{resourceId}/providers/microsoft.insights/diagnosticSettings/{name}",
        ["type"] = "Microsoft.Insights/diagnosticSettings",
        ["name"] = name,
        ["properties"] = new JsonObject
        {
            ["workspaceId"] = workspaceId ?? "",
            ["logs"] = new JsonArray([.. categories.Select(c => (JsonNode)(c.StartsWith('+')
                ? new JsonObject { ["categoryGroup"] = c[1..], ["enabled"] = true }
                : new JsonObject { ["category"] = c, ["enabled"] = true }))]),
        },
    };

    public static JsonObject RoleAssignment(string sub, string name, string role, string principal, string principalType, string scope) => new()
    {
        ["properties"] = new JsonObject
        {
            ["roleDefinitionId"] = $"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            ["principalId"] = principal,
            ["principalType"] = principalType,
            ["scope"] = scope,
        },
        ["id"] = $"{scope.TrimEnd('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        ["type"] = "Microsoft.Authorization/roleAssignments",
        ["name"] = name,
    };

    public static JsonObject ActivityAlert(string sub, string name, string operation, bool enabled = true, bool actionGroup = true) => new()
    {
        ["id"] = Rid(sub, "rg-monitor", "Microsoft.Insights/activityLogAlerts", name),
        ["type"] = "Microsoft.Insights/ActivityLogAlerts",
        ["name"] = name,
        ["location"] = "Global",
        ["tags"] = new JsonObject(),
        ["properties"] = new JsonObject
        {
            ["scopes"] = new JsonArray($"/subscriptions/{sub}"),
            ["condition"] = new JsonObject
            {
                ["allOf"] = new JsonArray(
                    new JsonObject { ["field"] = "category", ["equals"] = "Administrative" },
                    new JsonObject { ["field"] = "operationName", ["equals"] = operation }),
            },
            ["actions"] = new JsonObject
            {
                ["actionGroups"] = actionGroup
                    ? new JsonArray(new JsonObject { ["actionGroupId"] = Rid(sub, "rg-monitor", "Microsoft.Insights/actionGroups", "ag-secops"), ["webhookProperties"] = new JsonObject() })
                    : new JsonArray(),
            },
            ["enabled"] = enabled,
            ["description"] = $"Alert on {operation}",
        },
    };

    public static JsonObject PolicyAssignment(string sub, string name, string definition, string enforcementMode = "Default") => new()
    {
        ["properties"] = new JsonObject
        {
            ["displayName"] = "Microsoft cloud security benchmark",
            ["policyDefinitionId"] = definition,
            ["scope"] = $"/subscriptions/{sub}",
            ["enforcementMode"] = enforcementMode,
            ["parameters"] = new JsonObject(),
        },
        ["id"] = $"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/{name}",
        ["type"] = "Microsoft.Authorization/policyAssignments",
        ["name"] = name,
    };

    public static JsonObject PolicySummary(string assignmentId, string setDefinitionId, int nonCompliant) => new()
    {
        ["policyAssignmentId"] = assignmentId.ToLowerInvariant(),
        ["policySetDefinitionId"] = setDefinitionId.ToLowerInvariant(),
        ["results"] = new JsonObject
        {
            ["nonCompliantResources"] = nonCompliant,
            ["nonCompliantPolicies"] = nonCompliant > 0 ? 1 : 0,
            ["resourceDetails"] = new JsonArray(new JsonObject { ["complianceState"] = "noncompliant", ["count"] = nonCompliant }),
        },
        ["policyDefinitions"] = new JsonArray(),
    };

    public static JsonObject Pricing(string sub, string name, string tier) => new()
    {
        ["id"] = $"/subscriptions/{sub}/providers/Microsoft.Security/pricings/{name}",
        ["name"] = name,
        ["type"] = "Microsoft.Security/pricings",
        ["properties"] = new JsonObject { ["pricingTier"] = tier, ["freeTrialRemainingTime"] = "PT0S", ["enforce"] = "False" },
    };

    /// <summary>A subscription every built-in rule passes on (given allowedPrincipals = [Alice]).</summary>
    public static FakeSubscription Compliant(FakeArm fake, string sub)
    {
        var s = fake.AddSubscription(sub);
        var kv = Vault(sub, "rg-core", "kv-core");
        var st = Storage(sub, "rg-core", "stcore");
        var ws = Workspace(sub, "rg-ml", "mlw-core");
        s.Resources.AddRange([kv, st, ws]);
        s.Computes[(string)ws["id"]!] = [Compute((string)ws["id"]!, "cpu-cluster")];
        s.DiagnosticSettings[(string)kv["id"]!] = [Diagnostic((string)kv["id"]!, "to-law", ["AuditEvent"])];
        s.DiagnosticSettings[(string)st["id"]! + "/blobServices/default"] = [Diagnostic((string)st["id"]! + "/blobServices/default", "to-law", ["StorageRead", "StorageWrite", "StorageDelete"])];
        s.DiagnosticSettings[(string)ws["id"]!] = [Diagnostic((string)ws["id"]!, "to-law", ["+allLogs"])];
        s.DiagnosticSettings[s.Scope] = [Diagnostic(s.Scope, "activity-to-law", ["Administrative", "Security", "Policy", "Alert"])];
        s.RoleAssignments.Add(RoleAssignment(sub, "0a000000-0000-4000-8000-000000000001", Owner, Alice, "User", s.Scope));
        s.RoleAssignments.Add(RoleAssignment(sub, "0a000000-0000-4000-8000-000000000002", Contributor, PlatformGroup, "Group", s.Scope));
        s.RoleAssignments.Add(RoleAssignment(sub, "0a000000-0000-4000-8000-000000000003", Reader, GuestBob, "User", s.Scope));
        s.RoleAssignments.Add(RoleAssignment(sub, "0a000000-0000-4000-8000-000000000004", Contributor, Carol, "User", $"{s.Scope}/resourceGroups/rg-ml"));
        fake.Users[Alice] = ("alice@orbital.example", "Member");
        fake.Users[Carol] = ("carol@orbital.example", "Member");
        fake.Users[GuestBob] = ("bob_partner.example#EXT#@orbital.onmicrosoft.com", "Guest");
        var i = 0;
        foreach (var op in WatchedOperations)
            s.Resources.Add(ActivityAlert(sub, $"alert-{++i}", op));
        var assignment = PolicyAssignment(sub, "mcsb", Mcsb);
        s.PolicyAssignments.Add(assignment);
        s.PolicySummaryAssignments.Add(PolicySummary((string)assignment["id"]!, Mcsb, 3));
        foreach (var plan in new[] { "VirtualMachines", "StorageAccounts", "KeyVaults", "Arm", "CloudPosture", "Containers" })
            s.Pricings.Add(Pricing(sub, plan, "Standard"));
        s.Pricings.Add(Pricing(sub, "AppServices", "Free"));
        return s;
    }

    private static JsonObject Props(Dictionary<string, JsonNode?> values)
    {
        // A null setting is left out, as ARM leaves out what is not set.
        var o = new JsonObject();
        foreach (var (k, v) in values)
        {
            if (v is not null)
                o[k] = v;
        }

        return o;
    }
}
