/* ---
id: GH-ACTIONS-TOKEN
title: The Actions GITHUB_TOKEN is read-only by default and cannot approve pull requests
description: >
  Organisation and every repository: default_workflow_permissions is 'read' and
  can_approve_pull_request_reviews is false, so a workflow cannot push or approve its own changes.
  AI-governance mappings (ISO/IEC 42001, EU AI Act) hold only where the repositories in scope hold the AI system's
  code: narrow the github section (include, topics) to them, or read those mappings as not applicable.
severity: high
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.2", relation: supports }
  - { id: "ISO27001:2022/A.8.25", relation: supports }
  - { id: "ISO27001:2022/A.8.32", relation: supports }
  - { id: "EUAIA:2024/Art.15(5)", relation: partial }
timeout: 5m
freshness: 24h
--- */
void Evaluate(string resource, JsonElement p)
{
    var permissions = p.GetProperty("default_workflow_permissions").GetString();
    var canApprove = p.GetProperty("can_approve_pull_request_reviews").GetBoolean();
    var problems = new List<string>();
    if (permissions != "read")
        problems.Add($"default token permissions are '{permissions}', not 'read'");
    if (canApprove)
        problems.Add("workflows can approve pull requests");
    Check(resource, problems.Count == 0, problems.Count == 0 ? "default token is read-only and cannot approve pull requests" : string.Join("; ", problems),
        new { default_workflow_permissions = permissions, can_approve_pull_request_reviews = canApprove });
}

Evaluate(Target, await GitHub.WorkflowPermissionsAsync(null, Ct));
foreach (var (repo, permissions) in await GitHub.ForEachRepositoryAsync(repo => GitHub.WorkflowPermissionsAsync(repo, Ct), Ct))
    Evaluate(repo.FullName, permissions);
