/* ---
id: AZ-POLICY-COMPLIANCE
title: A policy initiative is assigned with enforcement on, and its non-compliant resources stay under a threshold
description: >
  For each initiative (policy set definition id) in initiatives: an assignment that applies to the subscription
  uses it with enforcementMode Default, and the latest Policy Insights summary counts at most
  maxNonCompliantResources non-compliant resources for that assignment. An assignment Policy Insights has no state
  for yet is an error, not a pass.
severity: high
sources: [azure]
controls:
  - { id: "ISO27001:2022/A.8.9", relation: satisfies }
  - { id: "ISO27001:2022/A.5.36", relation: supports }
parameters:
  initiatives: [/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8]
  maxNonCompliantResources: 10
timeout: 2m
freshness: 24h
--- */
var initiatives = Param<string[]>("initiatives");
var max = Param<int>("maxNonCompliantResources");
var assignments = await Azure.PolicyAssignmentsAsync(Ct);
JsonElement? summary = null;

foreach (var initiative in initiatives)
{
    var matching = assignments
        .Where(a => string.Equals(a.GetProperty("properties").GetProperty("policyDefinitionId").GetString(), initiative, StringComparison.OrdinalIgnoreCase))
        .Select(a => (id: a.GetProperty("id").GetString()!,
                      mode: a.GetProperty("properties").TryGetProperty("enforcementMode", out var m) ? m.GetString() ?? "Default" : "Default"))
        .ToArray();
    var enforced = matching.Where(m => string.Equals(m.mode, "Default", StringComparison.OrdinalIgnoreCase)).ToArray();
    var resource = $"{Azure.SubscriptionScope}#{initiative.Split('/').Last()}";
    if (enforced.Length == 0)
    {
        Fail(resource, matching.Length == 0 ? $"initiative {initiative} is not assigned to the subscription"
                                            : $"initiative {initiative} is assigned only with enforcement off (DoNotEnforce)",
            new { initiative, assignments = matching.Select(m => new { m.id, m.mode }).ToArray() });
        continue;
    }

    summary ??= await Azure.PolicyComplianceSummaryAsync(Ct);
    foreach (var (id, _) in enforced)
    {
        var state = summary.Value.TryGetProperty("policyAssignments", out var pas)
            ? pas.EnumerateArray().Where(p => string.Equals(p.GetProperty("policyAssignmentId").GetString(), id, StringComparison.OrdinalIgnoreCase))
                .Select(p => (JsonElement?)p).FirstOrDefault()
            : null;
        if (state is null)
        {
            Error(id, "Policy Insights has no compliance state for this assignment yet; it cannot be judged", new { initiative });
            continue;
        }

        var nonCompliant = state.Value.GetProperty("results").TryGetProperty("nonCompliantResources", out var n) ? n.GetInt32() : 0;
        Check(id, nonCompliant <= max, $"{nonCompliant} non-compliant resource(s) under initiative {initiative.Split('/').Last()}, threshold {max}",
            new { initiative, nonCompliantResources = nonCompliant, max });
    }
}
