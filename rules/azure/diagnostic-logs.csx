/* ---
id: AZ-DIAGNOSTIC-LOGS
title: Key Vaults, storage accounts and Azure ML workspaces send their audit and resource logs to a diagnostic destination
description: >
  For each resource of the types in resourceTypes, reads the diagnostic settings of the resource (or of its
  sub-resource, e.g. a storage account's blobServices/default) and passes when the settings with a destination
  together enable every listed category, or a category group in acceptedCategoryGroups.
severity: high
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.15", relation: satisfies }
  - { id: "ISO27001:2022/A.8.16", relation: supports }
  - { id: "ISO42001:2023/A.6.2.8", relation: partial }
parameters:
  resourceTypes:
    Microsoft.KeyVault/vaults: { categories: [AuditEvent] }
    Microsoft.Storage/storageAccounts: { subResource: blobServices/default, categories: [StorageRead, StorageWrite, StorageDelete] }
    Microsoft.MachineLearningServices/workspaces: { categories: [AmlComputeJobEvent, ModelsChangeEvent, ModelsActionEvent] }
  acceptedCategoryGroups: [allLogs]
timeout: 10m
freshness: 24h
--- */
var types = Param<JsonElement>("resourceTypes");
var groups = Param<string[]>("acceptedCategoryGroups").ToHashSet(StringComparer.OrdinalIgnoreCase);

static bool HasDestination(JsonElement p) => new[] { "workspaceId", "storageAccountId", "eventHubAuthorizationRuleId" }
    .Any(n => p.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()));

foreach (var type in types.EnumerateObject())
{
    var categories = type.Value.GetProperty("categories").EnumerateArray().Select(c => c.GetString()!).ToArray();
    var sub = type.Value.TryGetProperty("subResource", out var sr) ? sr.GetString() : null;
    var resources = await Azure.ResourcesAsync(type.Name, Ct);
    if (resources.Count == 0)
    {
        NotApplicable($"{Azure.SubscriptionScope}/providers/{type.Name}", $"the subscription has no {type.Name} (after the configured filters)");
        continue;
    }

    var perResource = await Azure.ForEachAsync(resources,
        r => Azure.DiagnosticSettingsAsync(sub is null ? r.Id : $"{r.Id}/{sub}", Ct), Ct);
    foreach (var (resource, settings) in perResource)
    {
        var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var withDestination = settings.Select(s => s.GetProperty("properties")).Where(HasDestination).ToArray();
        foreach (var p in withDestination)
        {
            if (!p.TryGetProperty("logs", out var logs) || logs.ValueKind != JsonValueKind.Array)
                continue;
            foreach (var log in logs.EnumerateArray().Where(l => l.TryGetProperty("enabled", out var e) && e.ValueKind == JsonValueKind.True))
            {
                if (log.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String)
                    covered.Add(c.GetString()!);
                if (log.TryGetProperty("categoryGroup", out var g) && g.ValueKind == JsonValueKind.String && groups.Contains(g.GetString()!))
                    covered.UnionWith(categories);
            }
        }

        var missing = categories.Where(c => !covered.Contains(c)).ToArray();
        Check(resource.Id, withDestination.Length > 0 && missing.Length == 0,
            settings.Count == 0 ? "no diagnostic setting: logs go nowhere"
            : withDestination.Length == 0 ? $"{settings.Count} diagnostic setting(s), none with a destination"
            : missing.Length == 0 ? $"{string.Join(", ", categories)} sent to a diagnostic destination"
            : $"log categories not sent: {string.Join(", ", missing)}",
            new { type = type.Name, settings = settings.Count, withDestination = withDestination.Length, missing });
    }
}
