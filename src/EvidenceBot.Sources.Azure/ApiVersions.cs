namespace EvidenceBot.Sources.Azure;

/// <summary>
/// The api-version read for each resource type: pinned, so no read first asks the provider which versions exist, and
/// the evidence can be re-read the same way. Each is a version whose REST specification examples the tests' fakes
/// are shaped from. Configuration (<c>azure.apiVersions</c>) may override or add types.
/// </summary>
internal static class ApiVersions
{
    public const string ResourceGraph = "2021-03-01";
    public const string ManagementGroups = "2020-05-01";
    public const string DiagnosticSettings = "2021-05-01-preview";
    public const string RoleAssignments = "2022-04-01";
    public const string PolicyAssignments = "2022-06-01";
    public const string PolicyStates = "2019-10-01";
    public const string Pricings = "2024-01-01";

    public static readonly IReadOnlyDictionary<string, string> Pinned = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Microsoft.KeyVault/vaults"] = "2023-07-01",
        ["Microsoft.Storage/storageAccounts"] = "2023-05-01",
        ["Microsoft.MachineLearningServices/workspaces"] = "2024-04-01",
        ["Microsoft.MachineLearningServices/workspaces/computes"] = "2024-04-01",
        ["Microsoft.Insights/activityLogAlerts"] = "2020-10-01",
        ["Microsoft.Insights/actionGroups"] = "2023-01-01",
        ["Microsoft.OperationalInsights/workspaces"] = "2022-10-01",
        ["Microsoft.Network/networkSecurityGroups"] = "2023-09-01",
        ["Microsoft.EventHub/namespaces"] = "2024-01-01",
    };
}
