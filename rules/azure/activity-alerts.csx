/* ---
id: AZ-ACTIVITY-ALERTS
title: Enabled activity-log alerts with an action group watch role-assignment, policy-assignment and NSG rule writes
description: >
  For each operation in operations, passes when an enabled activity-log alert scoped to the subscription matches
  that operationName and notifies at least one action group.
severity: medium
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.16", relation: satisfies }
  - { id: "ISO27001:2022/A.8.32", relation: supports }
parameters:
  operations:
    - Microsoft.Authorization/roleAssignments/write
    - Microsoft.Authorization/policyAssignments/write
    - Microsoft.Network/networkSecurityGroups/write
    - Microsoft.Network/networkSecurityGroups/securityRules/write
timeout: 2m
freshness: 24h
--- */
var operations = Param<string[]>("operations");
var alerts = await Azure.ResourcesAsync("Microsoft.Insights/activityLogAlerts", Ct);

// Leaf conditions: allOf entries and the leaves of their anyOf. (A list, not an iterator: the deny-list refuses
// the thread id an iterator's generated code reads.)
static List<JsonElement> Leaves(JsonElement condition)
{
    var leaves = new List<JsonElement>();
    if (!condition.TryGetProperty("allOf", out var all) || all.ValueKind != JsonValueKind.Array)
        return leaves;
    foreach (var c in all.EnumerateArray())
    {
        leaves.Add(c);
        if (c.TryGetProperty("anyOf", out var any) && any.ValueKind == JsonValueKind.Array)
            leaves.AddRange(any.EnumerateArray());
    }

    return leaves;
}

static bool Watches(JsonElement leaf, string op) =>
    leaf.TryGetProperty("field", out var f) && string.Equals(f.GetString(), "operationName", StringComparison.OrdinalIgnoreCase)
    && ((leaf.TryGetProperty("equals", out var eq) && string.Equals(eq.GetString(), op, StringComparison.OrdinalIgnoreCase))
        || (leaf.TryGetProperty("containsAny", out var ca) && ca.ValueKind == JsonValueKind.Array
            && ca.EnumerateArray().Any(v => string.Equals(v.GetString(), op, StringComparison.OrdinalIgnoreCase))));

var usable = alerts.Where(a => a.Bool("properties.enabled") != false)
    .Where(a => a.Property("properties.scopes") is { ValueKind: JsonValueKind.Array } s
        && s.EnumerateArray().Any(x => string.Equals(x.GetString()?.TrimEnd('/'), Azure.SubscriptionScope, StringComparison.OrdinalIgnoreCase)))
    .Where(a => a.Property("properties.actions.actionGroups") is { ValueKind: JsonValueKind.Array } g && g.GetArrayLength() > 0)
    .ToArray();

foreach (var op in operations)
{
    var watching = usable.Where(a => a.Property("properties.condition") is { } c && Leaves(c).Any(l => Watches(l, op))).Select(a => a.Id).ToArray();
    var disabledOrSilent = alerts.Except(usable).Where(a => a.Property("properties.condition") is { } c && Leaves(c).Any(l => Watches(l, op))).Select(a => a.Id).ToArray();
    Check($"{Azure.SubscriptionScope}#{op}", watching.Length > 0,
        watching.Length > 0 ? $"alerted by {string.Join(", ", watching.Select(w => w.Split('/').Last()))}"
        : disabledOrSilent.Length > 0 ? $"only disabled, unscoped or action-group-less alert(s) watch {op}: {string.Join(", ", disabledOrSilent.Select(w => w.Split('/').Last()))}"
        : $"no activity-log alert watches {op}",
        new { operation = op, alerts = watching, unusable = disabledOrSilent, activityLogAlerts = alerts.Count });
}
