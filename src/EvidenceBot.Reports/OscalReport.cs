using System.Globalization;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Reports;

/// <summary>
/// <c>assessment-results.oscal.json</c>: OSCAL 1.1.2 assessment results. One result; its reviewed controls are every
/// control of the frameworks in scope; one observation (method TEST) per finding, whose relevant evidence points at
/// the raw files (back-matter resources with their SHA-256); one finding per control with automated evidence,
/// <c>satisfied</c> only when all of it passed. UUIDs are derived from the bundle, so the same bundle gives the same file.
/// </summary>
internal static class OscalReport
{
    /// <summary>The OSCAL version written.</summary>
    public const string OscalVersion = "1.1.2";

    /// <summary>The namespace of our own props.</summary>
    public const string Namespace = "https://evidencebot.dev/ns/oscal";

    /// <summary>
    /// Our control id as an OSCAL control id (an NCName token): lowercase, the framework's ':' as '-', '/' as '_',
    /// '(' as '.', ')' dropped, anything else not allowed as '-'. <c>ISO27001:2022/A.8.16</c> → <c>iso27001-2022_a.8.16</c>,
    /// <c>EUAIA:2024/Art.15(5)</c> → <c>euaia-2024_art.15.5</c>.
    /// </summary>
    public static string ControlId(string id)
    {
        var sb = new StringBuilder(id.Length);
        foreach (var c in id.ToLowerInvariant())
        {
            switch (c)
            {
                case ':': sb.Append('-'); break;
                case '/': sb.Append('_'); break;
                case '(': sb.Append('.'); break;
                case ')': break;
                default: sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-'); break;
            }
        }

        if (sb.Length == 0 || !char.IsAsciiLetter(sb[0]))
            sb.Insert(0, "c_");
        return sb.ToString();
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string ObservationUuid(StatementEntry s, int finding) => ReportText.Uuid($"observation:{s.Path}:{finding}");

    private static string ResourceUuid(string path) => ReportText.Uuid("resource:" + path);

    public static void Write(ReportContext ctx, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        var m = ctx.Bundle.Manifest;
        var v = ctx.Request.Verification;
        var unverified = ctx.Verified ? "" : "UNVERIFIED — ";
        w.WriteStartObject();
        w.WriteStartObject("assessment-results");
        w.WriteString("uuid", ReportText.Uuid("assessment-results:" + m.RunId));
        w.WriteStartObject("metadata");
        w.WriteString("title", $"{unverified}EvidenceBot assessment results, run {m.RunId}");
        w.WriteString("last-modified", Time(ctx.Request.Time.GetUtcNow()));
        w.WriteString("version", m.RunId);
        w.WriteString("oscal-version", OscalVersion);
        w.WriteStartArray("props");
        Prop(w, "verified", ctx.Verified ? "true" : "false");
        Prop(w, "manifest-sha256", v.ManifestSha256 ?? "unknown");
        Prop(w, "engine-version", m.EngineVersion);
        if (m.KeyId is not null)
            Prop(w, "key-id", m.KeyId);
        if (m.PreviousManifestSha256 is not null)
            Prop(w, "previous-manifest-sha256", m.PreviousManifestSha256);
        w.WriteEndArray();
        w.WriteString("remarks", ctx.Verified
            ? $"Written from bundle run {m.RunId}, verified with key {v.KeyId}: {v.Checks.Count} checks passed."
            : $"{ReportText.Unverified} {v.Failures.Count} of {v.Checks.Count} checks failed.");
        w.WriteEndObject();

        // There is no separate assessment plan: the plan is the bundle's manifest (the rules that ran and their files).
        w.WriteStartObject("import-ap");
        w.WriteString("href", "#" + ResourceUuid(BundleLayout.Manifest));
        w.WriteString("remarks", "The assessment plan is the run itself: the rules in the bundle's manifest, listed in back-matter.");
        w.WriteEndObject();

        w.WriteStartArray("results");
        w.WriteStartObject();
        w.WriteString("uuid", ReportText.Uuid("result:" + m.RunId));
        w.WriteString("title", $"{unverified}Automated assessment, run {m.RunId}");
        w.WriteString("description", $"{unverified}Rules run by EvidenceBot {m.EngineVersion} against {string.Join(", ", ctx.Bundle.Targets)}; every finding is an observation, every control with automated evidence a finding.");
        w.WriteString("start", Time(ctx.RunStarted ?? m.CreatedAt));
        w.WriteString("end", Time(ctx.RunEnded ?? m.CreatedAt));
        w.WriteStartObject("reviewed-controls");
        w.WriteString("description", "Every control of the frameworks in scope: " + string.Join(", ", ctx.Frameworks.Select(f => f.Framework.Id)));
        w.WriteStartArray("control-selections");
        w.WriteStartObject();
        var all = ctx.Frameworks.SelectMany(f => f.Rows).ToList();
        if (all.Count > 0)
        {
            w.WriteStartArray("include-controls");
            foreach (var row in all)
            {
                w.WriteStartObject();
                w.WriteString("control-id", ControlId(row.Control.Id));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteString("description", "No framework in scope.");
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();

        if (ctx.Bundle.Statements.Count > 0)
        {
            w.WriteStartArray("observations");
            foreach (var s in ctx.Bundle.Statements)
            {
                var p = s.Predicate;
                if (p.Findings.Count == 0)
                    Observation(ctx, w, s, 0, p.Target, p.Verdict, p.Error ?? (p.Faults.Count > 0 ? string.Join("; ", p.Faults) : "no findings"));
                for (var i = 0; i < p.Findings.Count; i++)
                    Observation(ctx, w, s, i, p.Findings[i].Resource, p.Findings[i].Status, p.Findings[i].Message, p.Findings[i].Waiver);
                w.Flush();
            }

            w.WriteEndArray();
        }

        var assessed = all.Where(r => r.Evidence.Count > 0).ToList();
        if (assessed.Count > 0)
        {
            w.WriteStartArray("findings");
            foreach (var row in assessed)
                Finding(w, row);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartObject("back-matter");
        w.WriteStartArray("resources");
        Resource(w, BundleLayout.Manifest, v.ManifestSha256, "The bundle's manifest: every file with its SHA-256, signed.");
        foreach (var f in ctx.Bundle.Manifest.Files)
        {
            if (f.Path.StartsWith(BundleLayout.Raw + "/", StringComparison.Ordinal))
                Resource(w, f.Path, f.Sha256, "Raw evidence recorded by the rule (HTTP exchange).");
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Observation(ReportContext ctx, Utf8JsonWriter w, StatementEntry s, int index, string resource, Verdict status, string message, WaiverReference? waiver = null)
    {
        var p = s.Predicate;
        w.WriteStartObject();
        w.WriteString("uuid", ObservationUuid(s, index));
        w.WriteString("title", $"{p.RuleId} on {p.Target}: {resource}");
        w.WriteString("description", $"{(ctx.Verified ? "" : "UNVERIFIED. ")}{Verdicts.Name(status)}: {message}");
        w.WriteStartArray("props");
        Prop(w, "rule-id", p.RuleId);
        Prop(w, "verdict", Verdicts.Name(status));
        Prop(w, "statement", s.Path);
        if (ctx.IsStale(s))
            Prop(w, "stale", $"older than its rule's freshness ({ReportText.Age(ctx.FreshnessOf(s))}) at the time of this report: not counted");
        if (waiver is not null)
        {
            // A waived finding failed: these say which signed waiver accepted the risk, so an assessor can trace it.
            Prop(w, "waiver-id", waiver.Id);
            Prop(w, "waiver-digest", waiver.Digest);
            Prop(w, "waiver-approver", waiver.Approver);
            Prop(w, "waiver-expires", waiver.Expires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        }

        w.WriteEndArray();
        w.WriteStartArray("methods");
        w.WriteStringValue("TEST");
        w.WriteEndArray();
        w.WriteStartArray("subjects");
        w.WriteStartObject();
        w.WriteString("subject-uuid", ReportText.Uuid("subject:" + p.Target + "/" + resource));
        w.WriteString("type", "resource");
        w.WriteString("title", $"{resource} ({p.Target})");
        w.WriteEndObject();
        w.WriteEndArray();
        if (p.Evidence.Count > 0)
        {
            w.WriteStartArray("relevant-evidence");
            foreach (var e in p.Evidence)
            {
                var sha = ctx.Bundle.Files.TryGetValue(e.Path, out var file) ? file.Sha256 : "";
                w.WriteStartObject();
                w.WriteString("href", "#" + ResourceUuid(e.Path));
                w.WriteString("description", $"{e.Method} {e.Url} → HTTP {e.Status}; {e.Path}, SHA-256 {sha}");
                w.WriteStartArray("props");
                Prop(w, "path", e.Path);
                Prop(w, "sha256", sha.Length > 0 ? sha : "missing");
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteString("collected", Time(p.EndedAt));
        w.WriteEndObject();
    }

    private static void Finding(Utf8JsonWriter w, ControlRow row)
    {
        // A control whose evidence is stale reads as not satisfied: old evidence neither covers a control nor clears it.
        var stale = row.Stale;
        var verdict = stale ? Verdict.Error : row.Verdict!.Value;
        w.WriteStartObject();
        w.WriteString("uuid", ReportText.Uuid("finding:" + row.Control.Id));
        w.WriteString("title", $"{row.Control.Id} {row.Control.Title}");
        w.WriteString("description", $"Automated evidence from {string.Join(", ", row.Rules)}: worst verdict {row.VerdictName}.");
        w.WriteStartArray("props");
        Prop(w, "control", row.Control.Id);
        w.WriteEndArray();
        w.WriteStartObject("target");
        w.WriteString("type", "objective-id");
        w.WriteString("target-id", ControlId(row.Control.Id));
        w.WriteStartObject("status");
        w.WriteString("state", verdict == Verdict.Pass ? "satisfied" : "not-satisfied");
        w.WriteString("reason", verdict switch { Verdict.Pass => "pass", Verdict.Fail => "fail", _ => "other" });
        if (stale)
        {
            w.WriteString("remarks", $"Stale: {row.StaleEvidence.Count} of the executions that evidence it are older than their rule's freshness at the time of this report; not satisfied until the rules run again.");
        }
        else if (verdict is Verdict.Error or Verdict.NotApplicable or Verdict.Waived)
        {
            w.WriteString("remarks", verdict switch
            {
                Verdict.Error => "At least one rule could not tell (error): not satisfied until it can.",
                Verdict.Waived => "Failing, with the risk accepted by signed waiver(s) (see the observations' waiver props): not satisfied.",
                _ => "Every rule found its check not applicable: no evidence either way.",
            });
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("related-observations");
        foreach (var statement in row.Evidence.Select(e => e.Statement).Distinct())
        {
            var count = Math.Max(1, statement.Predicate.Findings.Count);
            for (var i = 0; i < count; i++)
            {
                w.WriteStartObject();
                w.WriteString("observation-uuid", ObservationUuid(statement, i));
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Resource(Utf8JsonWriter w, string path, string? sha256, string description)
    {
        w.WriteStartObject();
        w.WriteString("uuid", ResourceUuid(path));
        w.WriteString("title", path);
        w.WriteString("description", description);
        w.WriteStartArray("rlinks");
        w.WriteStartObject();
        w.WriteString("href", path);
        w.WriteString("media-type", "application/json");
        if (sha256 is { Length: > 0 })
        {
            w.WriteStartArray("hashes");
            w.WriteStartObject();
            w.WriteString("algorithm", "SHA-256");
            w.WriteString("value", sha256);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Prop(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("ns", Namespace);
        w.WriteString("value", value);
        w.WriteEndObject();
    }
}
