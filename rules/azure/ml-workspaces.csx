/* ---
id: AZ-ML-WORKSPACES
title: Azure ML workspaces have no public network access unless allow-listed, and their compute has local authentication off
description: >
  Per workspace: publicNetworkAccess is Disabled, or the workspace is in allowPublicNetworkAccess. Per compute of
  each workspace: disableLocalAuth is true (keys and local accounts refused; Entra ID only). A compute that does
  not report disableLocalAuth is taken as allowing local authentication, ARM's default.
severity: high
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.20", relation: supports }
  - { id: "ISO27001:2022/A.8.5", relation: supports }
  - { id: "ISO42001:2023/A.4.5", relation: partial }
  - { id: "EUAIA:2024/Art.15", relation: supports }
parameters: { allowPublicNetworkAccess: [] }
timeout: 5m
freshness: 24h
--- */
var allowPublic = Param<string[]>("allowPublicNetworkAccess").ToHashSet(StringComparer.OrdinalIgnoreCase);
var workspaces = await Azure.ResourcesAsync("Microsoft.MachineLearningServices/workspaces", Ct);
if (workspaces.Count == 0)
    NotApplicable($"{Azure.SubscriptionScope}/providers/Microsoft.MachineLearningServices/workspaces", "the subscription has no Azure ML workspace (after the configured filters)");

var computes = await Azure.ForEachAsync(workspaces, w => Azure.ChildResourcesAsync(w, "computes", Ct), Ct);
foreach (var (w, compute) in computes)
{
    var network = w.String("properties.publicNetworkAccess");
    var closed = string.Equals(network, "Disabled", StringComparison.OrdinalIgnoreCase);
    Check(w.Id, closed || allowPublic.Contains(w.Name),
        closed ? "public network access disabled" : allowPublic.Contains(w.Name) ? $"public network access {network ?? "not reported"}, allow-listed" : $"public network access {network ?? "not reported (Enabled by default)"} and not allow-listed",
        new { publicNetworkAccess = network, allowListed = allowPublic.Contains(w.Name), computes = compute.Count });
    foreach (var c in compute)
    {
        var disabled = c.Bool("properties.disableLocalAuth");
        Check(c.Id, disabled == true, disabled == true ? "local authentication off" : $"local (key) authentication {(disabled is null ? "not reported, allowed by default" : "on")}",
            new { computeType = c.String("properties.computeType"), disableLocalAuth = disabled });
    }
}
