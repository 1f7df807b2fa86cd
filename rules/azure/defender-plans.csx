/* ---
id: AZ-DEFENDER-PLANS
title: Defender for Cloud plans are on the Standard tier for the listed resource types
severity: high
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.7", relation: supports }
  - { id: "ISO27001:2022/A.8.8", relation: supports }
  - { id: "ISO27001:2022/A.8.16", relation: supports }
parameters:
  plans: [VirtualMachines, StorageAccounts, KeyVaults, Arm, CloudPosture, Containers]
timeout: 2m
freshness: 24h
--- */
var plans = Param<string[]>("plans");
var pricings = await Azure.DefenderPlansAsync(Ct);
var tierOf = pricings.ToDictionary(p => p.GetProperty("name").GetString()!,
    p => p.GetProperty("properties").TryGetProperty("pricingTier", out var t) ? t.GetString() : null, StringComparer.OrdinalIgnoreCase);

foreach (var plan in plans)
{
    var found = tierOf.TryGetValue(plan, out var tier);
    Check($"{Azure.SubscriptionScope}/providers/Microsoft.Security/pricings/{plan}", string.Equals(tier, "Standard", StringComparison.OrdinalIgnoreCase),
        !found ? $"Defender plan {plan} is not listed for the subscription" : $"Defender plan {plan} is on the {tier ?? "unknown"} tier",
        new { plan, pricingTier = tier });
}
