/* ---
id: GH-SIGNED-COMMITS
title: Default branch accepts signed commits only
description: >
  Classic branch protection with required signatures, or a ruleset rule required_signatures in force on the
  default branch.
  AI-governance mappings (ISO/IEC 42001, EU AI Act) hold only where the repositories in scope hold the AI system's
  code: narrow the github section (include, topics) to them, or read those mappings as not applicable.
severity: medium
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.24", relation: supports }
  - { id: "ISO27001:2022/A.8.32", relation: supports }
  - { id: "ISO27001:2022/A.8.4", relation: supports }
  - { id: "EUAIA:2024/Art.15(5)", relation: partial }
timeout: 5m
freshness: 24h
--- */
var perRepo = await GitHub.ForEachRepositoryAsync(async repo =>
    (classic: await GitHub.BranchProtectionAsync(repo, null, Ct), rules: await GitHub.EffectiveBranchRulesAsync(repo, null, Ct)), Ct);

foreach (var (repo, (classic, rules)) in perRepo)
{
    var byClassic = classic?.RequiredSignatures?.Enabled == true;
    var byRuleset = rules.Any(r => r.GetProperty("type").GetString() == "required_signatures");
    Check(repo.FullName, byClassic || byRuleset,
        byClassic || byRuleset ? $"{repo.DefaultBranch}: signed commits required ({(byClassic ? "branch protection" : "ruleset")})"
                               : $"{repo.DefaultBranch}: unsigned commits are accepted",
        new { branch = repo.DefaultBranch, classic = byClassic, ruleset = byRuleset });
}
