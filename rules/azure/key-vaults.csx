/* ---
id: AZ-KEY-VAULTS
title: Key Vaults have soft delete, purge protection and RBAC authorisation, and no public network access unless allow-listed
description: >
  Per vault: enableSoftDelete and enablePurgeProtection are true, enableRbacAuthorization is true, and either
  publicNetworkAccess is Disabled, the firewall denies by default (networkAcls.defaultAction Deny), or the vault's
  name is in allowPublicNetworkAccess. A setting ARM does not report is not taken as on.
severity: high
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.24", relation: supports }
  - { id: "ISO27001:2022/A.8.13", relation: partial }
  - { id: "ISO27001:2022/A.8.20", relation: supports }
  - { id: "ISO27001:2022/A.5.15", relation: supports }
parameters: { allowPublicNetworkAccess: [] }
timeout: 2m
freshness: 24h
--- */
var allowPublic = Param<string[]>("allowPublicNetworkAccess").ToHashSet(StringComparer.OrdinalIgnoreCase);
var vaults = await Azure.ResourcesAsync("Microsoft.KeyVault/vaults", Ct);
if (vaults.Count == 0)
    NotApplicable($"{Azure.SubscriptionScope}/providers/Microsoft.KeyVault/vaults", "the subscription has no Key Vault (after the configured filters)");

foreach (var v in vaults)
{
    var softDelete = v.Bool("properties.enableSoftDelete");
    var purge = v.Bool("properties.enablePurgeProtection");
    var rbac = v.Bool("properties.enableRbacAuthorization");
    var network = v.String("properties.publicNetworkAccess");
    var defaultAction = v.String("properties.networkAcls.defaultAction");
    var restricted = string.Equals(network, "Disabled", StringComparison.OrdinalIgnoreCase) || string.Equals(defaultAction, "Deny", StringComparison.OrdinalIgnoreCase);
    var problems = new List<string>();
    if (softDelete != true) problems.Add(softDelete is null ? "soft delete not reported" : "soft delete off");
    if (purge != true) problems.Add("purge protection off");
    if (rbac != true) problems.Add("access policies instead of RBAC authorisation");
    if (!restricted && !allowPublic.Contains(v.Name)) problems.Add("public network access open and not allow-listed");
    Check(v.Id, problems.Count == 0,
        problems.Count == 0 ? "soft delete, purge protection, RBAC authorisation on; public network access restricted or allow-listed" : string.Join("; ", problems),
        new { enableSoftDelete = softDelete, enablePurgeProtection = purge, enableRbacAuthorization = rbac, publicNetworkAccess = network, networkDefaultAction = defaultAction, allowListed = allowPublic.Contains(v.Name) });
}
