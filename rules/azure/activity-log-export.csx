/* ---
id: AZ-ACTIVITY-LOG-EXPORT
title: The subscription activity log is exported (Administrative, Security, Policy) to Log Analytics, storage or an event hub
description: >
  Reads the subscription's diagnostic settings (the activity log export). Passes when the settings that have a
  destination (a Log Analytics workspace, a storage account or an event hub) together enable every category in
  requiredCategories, or the allLogs category group.
severity: high
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.15", relation: satisfies }
  - { id: "ISO27001:2022/A.8.16", relation: supports }
parameters:
  requiredCategories: [Administrative, Security, Policy]
timeout: 2m
freshness: 24h
--- */
var required = Param<string[]>("requiredCategories");
var settings = await Azure.DiagnosticSettingsAsync(Azure.SubscriptionScope, Ct);

static string? Destination(JsonElement p, string name) =>
    p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString() : null;

var exported = settings
    .Select(s => (name: s.GetProperty("name").GetString() ?? "", p: s.GetProperty("properties")))
    .Select(s => (s.name, s.p, destinations: new[] { Destination(s.p, "workspaceId"), Destination(s.p, "storageAccountId"), Destination(s.p, "eventHubAuthorizationRuleId") }
        .Where(d => d is not null).ToArray()))
    .Where(s => s.destinations.Length > 0)
    .ToArray();

var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
foreach (var s in exported)
{
    if (!s.p.TryGetProperty("logs", out var logs) || logs.ValueKind != JsonValueKind.Array)
        continue;
    foreach (var log in logs.EnumerateArray().Where(l => l.TryGetProperty("enabled", out var e) && e.ValueKind == JsonValueKind.True))
    {
        if (log.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String)
            covered.Add(c.GetString()!);
        if (log.TryGetProperty("categoryGroup", out var g) && string.Equals(g.GetString(), "allLogs", StringComparison.OrdinalIgnoreCase))
            covered.UnionWith(required);
    }
}

var missing = required.Where(r => !covered.Contains(r)).ToArray();
Check(Azure.SubscriptionScope, exported.Length > 0 && missing.Length == 0,
    settings.Count == 0 ? "the activity log is not exported: the subscription has no diagnostic setting"
    : exported.Length == 0 ? $"{settings.Count} diagnostic setting(s), none with a destination"
    : missing.Length == 0 ? $"activity log exported by {string.Join(", ", exported.Select(e => e.name))} with {string.Join(", ", required)}"
    : $"activity log categories not exported: {string.Join(", ", missing)}",
    new { settings = settings.Count, exportedBy = exported.Select(e => new { e.name, e.destinations }).ToArray(), missing });
