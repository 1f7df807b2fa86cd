/* ---
id: GH-AUDIT-LOG
title: Audit events are streamed or recent audit events are retrievable
description: >
  When an enterprise is given, passes if one of its audit-log streams is enabled. Otherwise reads the
  organisation audit log (GitHub Enterprise Cloud) and passes if its newest event is younger than maxEventAgeHours.
severity: medium
sources: [github]
controls:
  - { id: "ISO27001:2022/A.8.15", relation: supports }
  - { id: "ISO27001:2022/A.8.16", relation: supports }
parameters: { enterprise: "", maxEventAgeHours: 24 }
timeout: 2m
freshness: 24h
--- */
var enterprise = Param<string>("enterprise");
if (enterprise.Length > 0)
{
    var streams = await GitHub.AuditLogStreamsAsync(enterprise, Ct);
    var enabled = streams.Count(s => s.TryGetProperty("enabled", out var e) && e.ValueKind == JsonValueKind.True);
    if (enabled > 0)
    {
        Pass(Target, $"{enabled} audit-log stream(s) enabled for enterprise {enterprise}", new { enterprise, streams = streams.Count, enabled });
        return;
    }

    Log.Info($"enterprise {enterprise} has no enabled audit-log stream; checking recent audit events");
}

var maxAge = TimeSpan.FromHours(Param<int>("maxEventAgeHours"));
var events = await GitHub.AuditLogAsync(null, 1, Ct);
var newest = events
    .Select(e => e.TryGetProperty("@timestamp", out var t) && t.ValueKind == JsonValueKind.Number ? DateTimeOffset.FromUnixTimeMilliseconds(t.GetInt64()) : (DateTimeOffset?)null)
    .OfType<DateTimeOffset>()
    .DefaultIfEmpty(DateTimeOffset.MinValue)
    .Max();
var recent = newest != DateTimeOffset.MinValue && Now - newest <= maxAge;
Check(Target, recent,
    recent ? $"newest audit event {Math.Floor((Now - newest).TotalHours)} h old, {events.Count} event(s) read"
           : newest == DateTimeOffset.MinValue ? "the audit log returned no event and no stream is enabled" : $"newest audit event is {Math.Floor((Now - newest).TotalHours)} h old (max {maxAge.TotalHours:0} h) and no stream is enabled",
    new { events = events.Count, newest = newest == DateTimeOffset.MinValue ? (DateTimeOffset?)null : newest, maxAgeHours = maxAge.TotalHours });
