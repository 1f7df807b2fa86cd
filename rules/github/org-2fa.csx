/* ---
id: GH-ORG-2FA
title: Organisation requires two-factor authentication and no member or outside collaborator lacks it
description: >
  Reads the organisation's two_factor_requirement_enabled setting (visible to owners only), then lists members
  and outside collaborators with 2FA disabled. The requirement must be on and both lists empty.
severity: high
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.5", relation: satisfies }
  - { id: "ISO27001:2022/A.5.17", relation: supports }
timeout: 2m
freshness: 24h
--- */
var org = await GitHub.OrganizationAsync(Ct);
if (org.TryGetProperty("two_factor_requirement_enabled", out var required) && required.ValueKind is JsonValueKind.True or JsonValueKind.False)
{
    var on = required.GetBoolean();
    Check(Target, on, on ? "the organisation requires two-factor authentication" : "the organisation does not require two-factor authentication",
        new { two_factor_requirement_enabled = on });
}
else
{
    Error(Target, "two_factor_requirement_enabled is not in GitHub's answer: only organisation owners see it; use an owner's token (scope admin:org) or an App with organisation administration read");
}

var members = await GitHub.MembersAsync(OrganizationMembersFilter.TwoFactorAuthenticationDisabled, OrganizationMembersRole.All, Ct);
var outside = await GitHub.OutsideCollaboratorsAsync(OrganizationMembersFilter.TwoFactorAuthenticationDisabled, Ct);
foreach (var m in members)
    Fail($"{Target}/members/{m.Login}", $"member {m.Login} has two-factor authentication disabled", new { login = m.Login, affiliation = "member" });
foreach (var c in outside)
    Fail($"{Target}/outside_collaborators/{c.Login}", $"outside collaborator {c.Login} has two-factor authentication disabled", new { login = c.Login, affiliation = "outside_collaborator" });
if (members.Count == 0 && outside.Count == 0)
    Pass($"{Target}/people", "every member and outside collaborator has two-factor authentication enabled", new { without2fa = 0 });
