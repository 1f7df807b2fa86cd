using EvidenceBot.Runs.Waivers;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Ledger;
using EvidenceBot.Runs;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot status [--framework ID]</c>: each control's newest status from the ledger, with the age of its evidence.</summary>
internal static class StatusCommand
{
    public static Command Build(CliContext cli)
    {
        var where = new LedgerCommands.Where();
        var framework = new Option<string?>("--framework", "-f") { Description = "One framework, e.g. ISO27001:2022 (default: all)." };
        var json = CommonOptions.Json();
        var command = new Command("status",
            "The current posture per framework: every control's newest status in the ledger and the age of that evidence. " +
            "Evidence older than its rule's freshness (else the config's ledger.freshness, else 7d) is stale: shown, not counted.")
        {
            framework, json,
        };
        where.AddTo(command);
        command.SetAction(parse => LedgerCommands.Guard(cli, () =>
        {
            var location = where.Resolve(parse);
            using var connection = LedgerSchema.OpenExisting(location.Path);
            var now = cli.Time.GetUtcNow();
            var controls = new LedgerQueries(connection).Controls(now, location.DefaultFreshness);
            if (parse.GetValue(framework) is { } f)
            {
                controls = [.. controls.Where(c => string.Equals(c.Framework, f, StringComparison.OrdinalIgnoreCase))];
                if (controls.Count == 0)
                    throw new ConfigException($"--framework: no control of '{f}' in the ledger; 'evidencebot controls list' shows the frameworks (e.g. ISO27001:2022)");
            }

            var frameworks = controls.GroupBy(c => c.Framework, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            // Accepted risk with an end date: the waivers that stop applying within 30 days, so someone renews or fixes.
            var expiring = ExpiringWaivers(CommonOptions.LoadConfig(parse.GetValue(where.Config)), cli.Time);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    ledger = location.Path,
                    at = now,
                    frameworks = frameworks.Select(g => new
                    {
                        framework = g.Key,
                        totals = Totals(g),
                        controls = g.Select(c => new
                        {
                            id = c.ControlId,
                            status = c.Stale ? "stale" : c.Status,
                            lastStatus = c.Status,
                            runId = c.RunId,
                            evidenceAt = c.At,
                            ageSeconds = (long)c.Age.TotalSeconds,
                            freshnessSeconds = c.Freshness is { } fr ? (long?)fr.TotalSeconds : null,
                            stale = c.Stale,
                        }),
                    }),
                    expiringWaivers = expiring.Select(w => new
                    {
                        id = w.Waiver.Id,
                        rule = w.Waiver.RuleId,
                        resource = w.Waiver.Resource,
                        control = w.Waiver.Control,
                        approver = w.Waiver.Approver,
                        expires = Waiver.Day(w.Waiver.Expires),
                        digest = w.Digest,
                    }),
                }, JsonOutput.Options));
                return ExitCodes.Ok;
            }

            if (frameworks.Count == 0)
            {
                cli.Out.WriteLine($"{location.Path}: no control has evidence in the ledger yet");
                return ExitCodes.Ok;
            }

            foreach (var g in frameworks)
            {
                var table = new TextTable("Control", "Status", "Evidence age", "Freshness", "Run") { Title = g.Key }.Style(1, s => Summary.Color(s.Split(' ')[0]));
                foreach (var c in g)
                    table.AddRow(c.ControlId, c.Stale ? $"stale (last {c.Status})" : c.Status, Age(c.Age), c.Freshness is { } fr ? Age(fr) : "-", c.RunId);
                table.Write(cli);
                var t = Totals(g);
                cli.Out.WriteLine($"{g.Key}: {t.Controls} control(s) with evidence: {t.Pass} pass, {t.Fail} fail, {t.Error} error, {t.Waived} waived (accepted risk, not pass), {t.NotApplicable} not applicable, " +
                    $"{t.Stale} stale (older than their freshness: not counted as covered)");
            }

            foreach (var w in expiring)
                cli.Out.WriteLine($"waiver {w.Waiver.Id} ({w.Waiver.RuleId}{(w.Waiver.Resource is { } r ? " " + r : "")}, {w.Waiver.Control}, approved by {w.Waiver.Approver}) expires on {Waiver.Day(w.Waiver.Expires)}: renew it or fix the finding");
            if (expiring.Count > 0)
                cli.Out.WriteLine($"{expiring.Count} waiver(s) expire within 30 days");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static (int Controls, int Pass, int Fail, int Error, int Waived, int NotApplicable, int Stale) Totals(IEnumerable<ControlPosture> controls)
    {
        var list = controls.ToList();
        var fresh = list.Where(c => !c.Stale).ToList();
        return (list.Count, fresh.Count(c => c.Status == "pass"), fresh.Count(c => c.Status == "fail"), fresh.Count(c => c.Status == "error"),
            fresh.Count(c => c.Status == "waived"), fresh.Count(c => c.Status == "not_applicable"), list.Count - fresh.Count);
    }

    /// <summary>The configuration's signed waivers that still apply and end within 30 days; none without a <c>waivers</c> section.</summary>
    private static IReadOnlyList<SignedWaiver> ExpiringWaivers(EvidenceBot.Runs.EvidenceBotConfig cfg, TimeProvider time)
    {
        try
        {
            return RunWaivers.Load(cfg)?.Expiring(WaiverApplication.Today(time), TimeSpan.FromDays(30)) ?? [];
        }
        catch (WaiverException ex)
        {
            throw new ConfigException(ex.Message + Environment.NewLine + "status lists the waivers that expire soon and could not read them: fix or re-sign them (docs/operators/waivers.md)");
        }
    }

    /// <summary>A short age: 45s, 12m, 5h, 3d.</summary>
    internal static string Age(TimeSpan age) =>
        age < TimeSpan.Zero ? "0s"
        : age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds}s"
        : age.TotalHours < 1 ? $"{(int)age.TotalMinutes}m"
        : age.TotalDays < 2 ? $"{(int)age.TotalHours}h"
        : ((int)age.TotalDays).ToString(CultureInfo.InvariantCulture) + "d";
}
