/* ---
id: MODEL-AML-MONITOR
title: Azure ML production models have an enabled monitor with a drift signal, thresholds and alert recipients
description: >
  Per Azure ML production version (stage Production by default): at least one enabled CreateMonitor schedule targets
  it, with at least one drift signal (data, prediction or feature-attribution drift) whose thresholds carry values,
  and alert e-mail recipients. Disabled monitors and CreateJob schedules do not count.
severity: high
sources: [models]
controls:
  - { id: "ISO42001:2023/A.6.2.6", relation: satisfies }
  - { id: "NISTAIRMF:1.0/MEASURE-2.4", relation: supports }
  - { id: "NISTAIRMF:1.0/MANAGE-4.1", relation: supports }
  - { id: "EUAIA:2024/Art.72", relation: supports }
timeout: 10m
freshness: 24h
--- */
if (Models.Kind != RegistryKind.AzureMachineLearning)
{
    NotApplicable(Models.Registry, $"registry kind {Models.Kind} has no Azure ML monitors");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    var monitors = await Models.MonitorsAsync(Ct);
    if (production.Count == 0)
    {
        var all = await Models.ModelsAsync(Ct);
        if (all.Count == 0)
            Fail(Models.Registry, "the workspace holds no registered models: nothing is monitored, and an empty workspace is not evidence of compliance", new { models = 0 });
        else
            NotApplicable(Models.Registry, $"{all.Count} model(s), none at stage {Models.Conventions.ProductionStage}: nothing to judge");
    }

    foreach (var v in production)
    {
        var watching = monitors.Where(m => m.Watches(v)).ToList();
        var enabled = watching.Where(m => m.Enabled).ToList();
        var judged = enabled.Select(m => new
        {
            monitor = m.Name,
            driftSignals = m.Signals.Where(s => s.IsDrift).Select(s => s.Name).ToArray(),
            thresholds = m.Signals.Where(s => s.IsDrift).Sum(s => s.Thresholds.Count(t => t.Value is not null)),
            alertEmails = m.AlertEmails.Count,
        }).ToList();
        var good = judged.FirstOrDefault(j => j.driftSignals.Length > 0 && j.thresholds > 0 && j.alertEmails > 0);
        var observed = new { monitors = judged, disabled = watching.Where(m => !m.Enabled).Select(m => m.Name).ToArray() };
        if (good is not null)
            Pass(v.Resource, $"monitor {good.monitor}: drift signal(s) {string.Join(", ", good.driftSignals)}, {good.thresholds} threshold(s), {good.alertEmails} alert recipient(s)", observed);
        else if (enabled.Count == 0)
            Fail(v.Resource, watching.Count == 0 ? "no monitor targets this version" : $"only disabled monitor(s) target this version: {string.Join(", ", observed.disabled)}", observed);
        else
            Fail(v.Resource, "enabled monitor(s) lack " + string.Join(", ", new[]
            {
                judged.Any(j => j.driftSignals.Length > 0) ? null : "a drift signal",
                judged.Any(j => j.thresholds > 0) ? null : "drift thresholds",
                judged.Any(j => j.alertEmails > 0) ? null : "alert recipients",
            }.Where(s => s is not null).DefaultIfEmpty("one monitor with a drift signal, thresholds and alert recipients together")), observed);
    }
}
