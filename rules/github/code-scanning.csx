/* ---
id: GH-CODE-SCANNING
title: Code scanning is configured and no critical or high alert is past its SLA
description: >
  Per repository: code scanning has analyses (GitHub answers "no analysis found" or "not enabled" otherwise),
  and no open alert whose security severity is critical older than criticalSlaDays or high older than highSlaDays.
  AI-governance mappings (ISO/IEC 42001, EU AI Act) hold only where the repositories in scope hold the AI system's
  code: narrow the github section (include, topics) to them, or read those mappings as not applicable.
severity: high
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.28", relation: supports }
  - { id: "ISO27001:2022/A.8.29", relation: supports }
  - { id: "ISO27001:2022/A.8.8", relation: supports }
  - { id: "EUAIA:2024/Art.15(5)", relation: partial }
parameters: { criticalSlaDays: 7, highSlaDays: 30 }
timeout: 5m
freshness: 24h
--- */
var sla = new Dictionary<string, TimeSpan>
{
    ["critical"] = TimeSpan.FromDays(Param<int>("criticalSlaDays")),
    ["high"] = TimeSpan.FromDays(Param<int>("highSlaDays")),
};
var perRepo = await GitHub.ForEachRepositoryAsync(repo => GitHub.CodeScanningAlertsAsync(repo, "open", Ct), Ct);

foreach (var (repo, alerts) in perRepo)
{
    if (alerts is null)
    {
        Fail(repo.FullName, "code scanning is not configured (no analysis)", new { codeScanning = false });
        continue;
    }

    string Severity(JsonElement a) =>
        a.GetProperty("rule").TryGetProperty("security_severity_level", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
    var overdue = alerts
        .Select(a => (number: a.GetProperty("number").GetInt32(), severity: Severity(a), age: Now - a.GetProperty("created_at").GetDateTimeOffset()))
        .Where(a => sla.TryGetValue(a.severity, out var limit) && a.age > limit)
        .OrderBy(a => a.number)
        .ToArray();
    Check(repo.FullName, overdue.Length == 0,
        overdue.Length == 0 ? $"code scanning configured; {alerts.Count} open alert(s), none critical/high past its SLA"
                            : $"{overdue.Length} critical/high alert(s) past SLA: {string.Join(", ", overdue.Select(o => $"#{o.number} {o.severity} {Math.Floor(o.age.TotalDays)}d"))}",
        new { codeScanning = true, openAlerts = alerts.Count, overdue = overdue.Select(o => new { o.number, o.severity, ageDays = Math.Floor(o.age.TotalDays) }).ToArray() });
}
