/* ---
id: GH-BRANCH-PROTECTION
title: Default branch requires reviewed pull requests and refuses force pushes and deletion
description: >
  For each repository's default branch, combines classic branch protection and the rules in force from rulesets
  (GitHub applies both; the stricter wins): at least minApprovals approvals, code-owner review, stale approvals
  dismissed on push, no bypass for administrators (classic 'include administrators' or a ruleset without bypass
  actors), no force push, no deletion.
  AI-governance mappings (ISO/IEC 42001, EU AI Act) hold only where the repositories in scope hold the AI system's
  code: narrow the github section (include, topics) to them, or read those mappings as not applicable.
severity: high
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.32", relation: satisfies }
  - { id: "ISO27001:2022/A.8.4", relation: supports }
  - { id: "ISO27001:2022/A.8.25", relation: supports }
  - { id: "ISO42001:2023/A.6.1.3", relation: partial }
  - { id: "EUAIA:2024/Art.17(1)", relation: partial }
parameters: { minApprovals: 1, requireCodeOwnerReview: true, requireStaleReviewDismissal: true }
timeout: 5m
freshness: 24h
--- */
var minApprovals = Param<int>("minApprovals");
var wantCodeOwners = Param<bool>("requireCodeOwnerReview");
var wantDismissStale = Param<bool>("requireStaleReviewDismissal");

var perRepo = await GitHub.ForEachRepositoryAsync(async repo =>
{
    var classic = await GitHub.BranchProtectionAsync(repo, null, Ct);
    var rules = await GitHub.EffectiveBranchRulesAsync(repo, null, Ct);
    var bypass = new Dictionary<long, int>();
    foreach (var id in rules.Select(r => r.GetProperty("ruleset_id").GetInt64()).Distinct())
    {
        var ruleset = await GitHub.RulesetAsync(repo, id, Ct);
        // GitHub lists bypass actors only to a token that may edit the ruleset: without the list, nobody knows (-1).
        bypass[id] = ruleset.TryGetProperty("bypass_actors", out var actors) && actors.ValueKind == JsonValueKind.Array ? actors.GetArrayLength() : -1;
    }
    return (classic, rules, bypass);
}, Ct);

foreach (var (repo, (classic, rules, bypass)) in perRepo)
{
    var reviews = classic?.RequiredPullRequestReviews;
    var classicApprovals = reviews?.RequiredApprovingReviewCount ?? 0;
    var pullRequestRules = rules.Where(r => r.GetProperty("type").GetString() == "pull_request").ToList();
    int RuleApprovals(JsonElement r) => r.TryGetProperty("parameters", out var p) && p.TryGetProperty("required_approving_review_count", out var n) ? n.GetInt32() : 0;
    bool RuleFlag(JsonElement r, string name) => r.TryGetProperty("parameters", out var p) && p.TryGetProperty(name, out var f) && f.ValueKind == JsonValueKind.True;

    var approvals = Math.Max(classicApprovals, pullRequestRules.Select(RuleApprovals).DefaultIfEmpty(0).Max());
    var codeOwners = reviews?.RequireCodeOwnerReviews == true || pullRequestRules.Any(r => RuleFlag(r, "require_code_owner_review"));
    var dismissStale = reviews?.DismissStaleReviews == true || pullRequestRules.Any(r => RuleFlag(r, "dismiss_stale_reviews_on_push"));
    var noForcePush = (classic is not null && classic.AllowForcePushes?.Enabled != true) || rules.Any(r => r.GetProperty("type").GetString() == "non_fast_forward");
    var noDeletion = (classic is not null && classic.AllowDeletions?.Enabled != true) || rules.Any(r => r.GetProperty("type").GetString() == "deletion");
    // The review requirement holds for administrators when some mechanism that demands it cannot be bypassed.
    var adminsIncluded = (classicApprovals >= minApprovals && classic?.EnforceAdmins?.Enabled == true)
        || pullRequestRules.Any(r => RuleApprovals(r) >= minApprovals && bypass.GetValueOrDefault(r.GetProperty("ruleset_id").GetInt64()) == 0);
    var unseenBypass = pullRequestRules.Where(r => RuleApprovals(r) >= minApprovals && bypass.GetValueOrDefault(r.GetProperty("ruleset_id").GetInt64()) < 0)
        .Select(r => r.GetProperty("ruleset_id").GetInt64()).Distinct().OrderBy(i => i).ToArray();

    var problems = new List<string>();
    if (classic is null && rules.Count == 0)
        problems.Add("not protected (no classic protection, no ruleset)");
    if (approvals < minApprovals)
        problems.Add($"{approvals} approval(s) required, at least {minApprovals} expected");
    if (wantCodeOwners && !codeOwners)
        problems.Add("code-owner review not required");
    if (wantDismissStale && !dismissStale)
        problems.Add("stale approvals not dismissed on push");
    if (approvals >= minApprovals && !adminsIncluded && unseenBypass.Length == 0)
        problems.Add("administrators or bypass actors can skip the review requirement");
    if (!noForcePush)
        problems.Add("force pushes allowed");
    if (!noDeletion)
        problems.Add("branch deletion allowed");

    var observed = new
    {
        branch = repo.DefaultBranch,
        classicProtection = classic is not null,
        rulesetIds = rules.Select(r => r.GetProperty("ruleset_id").GetInt64()).Distinct().OrderBy(i => i).ToArray(),
        approvals, codeOwners, dismissStale, adminsIncluded, noForcePush, noDeletion, unseenBypass,
    };
    if (problems.Count == 0 && approvals >= minApprovals && !adminsIncluded && unseenBypass.Length > 0)
    {
        // Whether administrators can skip review depends on bypass actors this token cannot see: not a pass.
        Error(repo.FullName, $"{repo.DefaultBranch}: cannot tell whether anyone can bypass ruleset(s) {string.Join(", ", unseenBypass)}: "
            + "GitHub returns a ruleset's bypass actors only to a token allowed to edit it (fine-grained: repository 'Administration', write); "
            + "grant that, or also enforce the review through classic protection with 'include administrators'", observed);
        continue;
    }

    Check(repo.FullName, problems.Count == 0,
        problems.Count == 0 ? $"{repo.DefaultBranch}: {approvals} approval(s), code owners, stale reviews dismissed, no bypass, no force push or deletion"
                            : $"{repo.DefaultBranch}: {string.Join("; ", problems)}", observed);
}
