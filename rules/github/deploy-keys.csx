/* ---
id: GH-DEPLOY-KEYS
title: Deploy keys are read-only and younger than the rotation period
description: >
  Every deploy key of every repository is read_only and was created less than maxKeyAgeDays ago.
  A repository without deploy keys passes.
severity: medium
sources: [github]
controls:
  - { id: "ISO27001:2022/A.5.17", relation: supports }
  - { id: "ISO27001:2022/A.8.2", relation: supports }
  - { id: "ISO27001:2022/A.5.18", relation: supports }
parameters: { maxKeyAgeDays: 365 }
timeout: 5m
freshness: 24h
--- */
var maxAge = TimeSpan.FromDays(Param<int>("maxKeyAgeDays"));
foreach (var (repo, keys) in await GitHub.ForEachRepositoryAsync(repo => GitHub.DeployKeysAsync(repo, Ct), Ct))
{
    var problems = keys
        // A key is named by its title and creation date: GitHub's GraphQL answer (organisation path) has no numeric key id.
        .Select(k => (created: k.GetProperty("created_at").GetDateTimeOffset(), title: k.GetProperty("title").GetString(),
                      readOnly: k.GetProperty("read_only").GetBoolean()))
        .Select(k => (k.title, k.readOnly, k.created, age: Now - k.created, name: $"'{k.title}' (created {k.created.UtcDateTime:yyyy-MM-dd})"))
        .SelectMany(k => new[]
        {
            k.readOnly ? null : $"key {k.name} has write access",
            k.age <= maxAge ? null : $"key {k.name} is {Math.Floor(k.age.TotalDays)} days old (max {maxAge.TotalDays:0})",
        })
        .OfType<string>()
        .ToArray();
    Check(repo.FullName, problems.Length == 0,
        problems.Length == 0 ? (keys.Count == 0 ? "no deploy keys" : $"{keys.Count} deploy key(s), all read-only and within {maxAge.TotalDays:0} days")
                             : string.Join("; ", problems),
        new { keys = keys.Count, problems });
}
