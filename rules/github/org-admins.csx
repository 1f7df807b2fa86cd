/* ---
id: GH-ORG-ADMINS
title: Organisation owners are bounded in number and no outside collaborator administers a repository
description: >
  Counts organisation owners (role admin) against a lower bound (no single point of failure) and an upper bound
  (least privilege), and lists outside collaborators with admin permission on each repository.
severity: high
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.2", relation: satisfies }
  - { id: "ISO27001:2022/A.5.15", relation: supports }
  - { id: "ISO27001:2022/A.5.18", relation: supports }
parameters: { minAdmins: 2, maxAdmins: 5 }
timeout: 5m
freshness: 24h
--- */
var min = Param<int>("minAdmins");
var max = Param<int>("maxAdmins");
var owners = await GitHub.MembersAsync(OrganizationMembersFilter.All, OrganizationMembersRole.Admin, Ct);
var logins = owners.Select(o => o.Login).OrderBy(l => l, StringComparer.Ordinal).ToArray();
Check(Target, logins.Length >= min && logins.Length <= max,
    $"{logins.Length} organisation owner(s), expected between {min} and {max}", new { owners = logins, min, max });

var perRepo = await GitHub.ForEachRepositoryAsync(
    repo => GitHub.CollaboratorsAsync(repo, CollaboratorAffiliation.Outside, CollaboratorPermission.Admin, Ct), Ct);
foreach (var (repo, admins) in perRepo)
{
    var outsideAdmins = admins.Select(a => a.Login).OrderBy(l => l, StringComparer.Ordinal).ToArray();
    Check(repo.FullName, outsideAdmins.Length == 0,
        outsideAdmins.Length == 0 ? "no outside collaborator has admin permission" : $"outside collaborator(s) with admin permission: {string.Join(", ", outsideAdmins)}",
        new { outsideAdmins });
}
