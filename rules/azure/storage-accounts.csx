/* ---
id: AZ-STORAGE-ACCOUNTS
title: Storage accounts require HTTPS and TLS 1.2, refuse anonymous blob access and shared keys, and restrict public network access
description: >
  Per account: supportsHttpsTrafficOnly, minimumTlsVersion at least minimumTlsVersion, allowBlobPublicAccess false,
  allowSharedKeyAccess false, and publicNetworkAccess Disabled or a firewall that denies by default, unless the
  account is in allowPublicNetworkAccess. Absent settings take ARM's documented defaults: HTTPS only and no anonymous
  access are the defaults; shared keys are allowed and TLS 1.0 is accepted unless set.
severity: high
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.24", relation: supports }
  - { id: "ISO27001:2022/A.8.20", relation: supports }
  - { id: "ISO27001:2022/A.8.5", relation: supports }
  - { id: "ISO27001:2022/A.5.15", relation: supports }
  - { id: "ISO27001:2022/A.8.12", relation: partial }
parameters: { minimumTlsVersion: TLS1_2, allowPublicNetworkAccess: [] }
timeout: 2m
freshness: 24h
--- */
var minTls = Param<string>("minimumTlsVersion");
var allowPublic = Param<string[]>("allowPublicNetworkAccess").ToHashSet(StringComparer.OrdinalIgnoreCase);
var accounts = await Azure.ResourcesAsync("Microsoft.Storage/storageAccounts", Ct);
if (accounts.Count == 0)
    NotApplicable($"{Azure.SubscriptionScope}/providers/Microsoft.Storage/storageAccounts", "the subscription has no storage account (after the configured filters)");

static int TlsRank(string? v) => v?.ToUpperInvariant() switch { "TLS1_0" => 0, "TLS1_1" => 1, "TLS1_2" => 2, "TLS1_3" => 3, _ => 0 };

foreach (var a in accounts)
{
    var https = a.Bool("properties.supportsHttpsTrafficOnly") ?? true;
    var tls = a.String("properties.minimumTlsVersion") ?? "TLS1_0";
    var anonymous = a.Bool("properties.allowBlobPublicAccess") ?? false;
    var sharedKey = a.Bool("properties.allowSharedKeyAccess") ?? true;
    var network = a.String("properties.publicNetworkAccess");
    var defaultAction = a.String("properties.networkAcls.defaultAction");
    var restricted = string.Equals(network, "Disabled", StringComparison.OrdinalIgnoreCase) || string.Equals(defaultAction, "Deny", StringComparison.OrdinalIgnoreCase);
    var problems = new List<string>();
    if (!https) problems.Add("HTTP allowed");
    if (TlsRank(tls) < TlsRank(minTls)) problems.Add($"minimum TLS {tls}, below {minTls}");
    if (anonymous) problems.Add("anonymous blob access allowed");
    if (sharedKey) problems.Add("shared-key access allowed");
    if (!restricted && !allowPublic.Contains(a.Name)) problems.Add("public network access open and not allow-listed");
    Check(a.Id, problems.Count == 0, problems.Count == 0 ? $"HTTPS only, {tls}, no anonymous access, no shared keys, network restricted or allow-listed" : string.Join("; ", problems),
        new { supportsHttpsTrafficOnly = https, minimumTlsVersion = tls, allowBlobPublicAccess = anonymous, allowSharedKeyAccess = sharedKey, publicNetworkAccess = network, networkDefaultAction = defaultAction });
}
