/* ---
id: GH-SECRET-SCANNING
title: Secret scanning and push protection are on, and no secret alert stays open too long
description: >
  Per repository: secret scanning and push protection enabled (security_and_analysis), and no open
  secret-scanning alert older than maxOpenAlertAgeDays. Alerts are read without the secret values.
  AI-governance mappings (ISO/IEC 42001, EU AI Act) hold only where the repositories in scope hold the AI system's
  code: narrow the github section (include, topics) to them, or read those mappings as not applicable.
severity: critical
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.12", relation: supports }
  - { id: "ISO27001:2022/A.5.17", relation: supports }
  - { id: "ISO27001:2022/A.8.28", relation: supports }
  - { id: "EUAIA:2024/Art.15(5)", relation: partial }
parameters: { maxOpenAlertAgeDays: 7 }
timeout: 5m
freshness: 24h
--- */
var maxAge = TimeSpan.FromDays(Param<int>("maxOpenAlertAgeDays"));
var perRepo = await GitHub.ForEachRepositoryAsync(repo => GitHub.SecretScanningAlertsAsync(repo, "open", Ct), Ct);

foreach (var (repo, alerts) in perRepo)
{
    var sa = repo.SecurityAndAnalysis;
    if (sa is null)
    {
        Error(repo.FullName, "security_and_analysis is not in GitHub's answer: the token needs admin on the repository (or the security manager role) to see it");
        continue;
    }

    var scanning = sa.SecretScanning?.Status == "enabled" && alerts is not null;
    var pushProtection = sa.SecretScanningPushProtection?.Status == "enabled";
    var stale = (alerts ?? [])
        .Select(a => (number: a.GetProperty("number").GetInt32(), age: Now - a.GetProperty("created_at").GetDateTimeOffset()))
        .Where(a => a.age > maxAge)
        .OrderBy(a => a.number)
        .ToArray();

    var problems = new List<string>();
    if (!scanning)
        problems.Add("secret scanning is disabled");
    if (!pushProtection)
        problems.Add("push protection is disabled");
    if (stale.Length > 0)
        problems.Add($"{stale.Length} open secret alert(s) older than {maxAge.TotalDays:0} days (#{string.Join(", #", stale.Select(s => s.number))})");
    Check(repo.FullName, problems.Count == 0,
        problems.Count == 0 ? $"secret scanning and push protection on; {alerts!.Count} open alert(s), none older than {maxAge.TotalDays:0} days" : string.Join("; ", problems),
        new { secretScanning = scanning, pushProtection, openAlerts = alerts?.Count, staleAlerts = stale.Select(s => new { s.number, ageDays = Math.Floor(s.age.TotalDays) }).ToArray() });
}
