/* ---
id: AZ-PRIVILEGED-ROLES
title: No user holds Owner, Contributor or User Access Administrator on a subscription or management group outside an allow-list, and no guest holds them at all
description: >
  Reads the role assignments that apply to the subscription (at it, above it on management groups, and below it).
  A user principal assigned a privileged role at subscription or management-group scope fails unless its object id
  is in allowedPrincipals. Any user Microsoft Graph reports as a guest fails wherever the privileged role is assigned,
  allow-list or not. Groups and service principals are listed, not expanded.
severity: critical
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.2", relation: satisfies }
  - { id: "ISO27001:2022/A.5.15", relation: supports }
  - { id: "ISO27001:2022/A.5.18", relation: supports }
parameters:
  privilegedRoles:
    8e3af657-a8ff-443c-a75c-2fe8c4bcb635: Owner
    b24988ac-6180-42a0-ab88-20f7382dd24c: Contributor
    18d7d88d-d35e-4fb5-a5c3-7773c6a72d9d: User Access Administrator
  allowedPrincipals: []
timeout: 5m
freshness: 24h
--- */
var privileged = Param<Dictionary<string, string>>("privilegedRoles");
var allowed = Param<string[]>("allowedPrincipals").ToHashSet(StringComparer.OrdinalIgnoreCase);
var assignments = await Azure.RoleAssignmentsAsync(Ct);

var held = assignments
    .Select(a => (id: a.GetProperty("id").GetString()!, p: a.GetProperty("properties")))
    .Select(a => (a.id,
                  role: a.p.GetProperty("roleDefinitionId").GetString()!.Split('/').Last(),
                  principal: a.p.GetProperty("principalId").GetString()!,
                  type: a.p.TryGetProperty("principalType", out var t) ? t.GetString() ?? "" : "",
                  scope: a.p.TryGetProperty("scope", out var s) ? s.GetString() ?? "" : ""))
    .Where(a => privileged.ContainsKey(a.role))
    .OrderBy(a => a.id, StringComparer.Ordinal)
    .ToArray();

string Level(string scope) =>
    scope == "/" || scope.StartsWith("/providers/Microsoft.Management/managementGroups/", StringComparison.OrdinalIgnoreCase) ? "management group"
    : string.Equals(scope.TrimEnd('/'), Azure.SubscriptionScope, StringComparison.OrdinalIgnoreCase) ? "subscription"
    : "resource";

var users = held.Where(a => a.type == "User").ToArray();
var guests = await Azure.ForEachAsync(users.Select(u => u.principal).Distinct().ToArray(), id => Azure.UserAsync(id, Ct), Ct);
var userOf = guests.ToDictionary(g => g.Item, g => g.Result, StringComparer.OrdinalIgnoreCase);

var failures = 0;
foreach (var a in users)
{
    var role = privileged[a.role];
    var level = Level(a.scope);
    var user = userOf[a.principal];
    var who = user?.UserPrincipalName ?? a.principal;
    if (user?.IsGuest == true)
    {
        failures++;
        Fail(a.id, $"guest {who} holds {role} at {level} scope {a.scope}", new { principalId = a.principal, user = who, role, scope = a.scope, guest = true });
    }
    else if (level != "resource" && !allowed.Contains(a.principal))
    {
        failures++;
        Fail(a.id, $"user {who} holds {role} at {level} scope {a.scope} and is not in allowedPrincipals",
            new { principalId = a.principal, user = who, role, scope = a.scope, guest = false, inGraph = user is not null });
    }
}

var others = held.Where(a => a.type != "User").Select(a => $"{a.type} {a.principal}: {privileged[a.role]} at {a.scope}").ToArray();
if (failures == 0)
{
    Pass(Azure.SubscriptionScope,
        $"{assignments.Count} role assignment(s) apply; {users.Length} privileged user assignment(s), all allow-listed or below subscription scope, none to a guest",
        new { roleAssignments = assignments.Count, privilegedUserAssignments = users.Length, allowListed = users.Count(u => allowed.Contains(u.principal)), nonUserPrivileged = others });
}
