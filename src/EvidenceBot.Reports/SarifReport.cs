using System.Globalization;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Reports;

/// <summary>
/// <c>report.sarif</c>: SARIF 2.1.0, one run. The driver's rules are the rules that ran; the results are the failing
/// and erroring findings (and executions that erred before any finding). Each result carries the resource as a logical
/// location and a partial fingerprint of (rule, target, resource), so code scanning keeps one alert per resource across runs.
/// </summary>
internal static class SarifReport
{
    /// <summary>The fingerprint key; a new scheme gets a new version so old alerts are not matched wrongly.</summary>
    public const string FingerprintKey = "evidencebot/v1";

    public static void Write(ReportContext ctx, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        var m = ctx.Bundle.Manifest;
        var rules = ctx.Bundle.Statements.GroupBy(s => s.Predicate.RuleId).Select(g => g.First().Predicate).ToList();
        var index = rules.Select((r, i) => (r.RuleId, i)).ToDictionary(x => x.RuleId, x => x.i, StringComparer.Ordinal);

        w.WriteStartObject();
        w.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
        w.WriteString("version", "2.1.0");
        w.WriteStartObject("properties");
        w.WriteBoolean("verified", ctx.Verified);
        if (!ctx.Verified)
            w.WriteString("warning", ReportText.Unverified);
        w.WriteEndObject();
        w.WriteStartArray("runs");
        w.WriteStartObject();
        w.WriteStartObject("tool");
        w.WriteStartObject("driver");
        w.WriteString("name", "EvidenceBot");
        w.WriteString("version", m.EngineVersion);
        w.WriteString("semanticVersion", SemVer(m.EngineVersion));
        w.WriteString("informationUri", "https://evidencebot.dev/");
        w.WriteStartArray("rules");
        foreach (var r in rules)
        {
            w.WriteStartObject();
            w.WriteString("id", r.RuleId);
            w.WriteString("name", Pascal(r.RuleId));
            w.WriteStartObject("shortDescription");
            w.WriteString("text", r.Title);
            w.WriteEndObject();
            var controls = r.Controls.Select(c => c.Id).Distinct(StringComparer.Ordinal).ToList();
            w.WriteStartObject("help");
            w.WriteString("text", $"{r.Title}. Evidence for: {(controls.Count == 0 ? "no control" : string.Join(", ", controls))}. Rule source {r.RuleSource.Path} (SHA-256 {r.RuleSource.Sha256}) in bundle run {m.RunId}; open the HTML report for the findings and raw evidence.");
            w.WriteEndObject();
            w.WriteStartObject("defaultConfiguration");
            w.WriteString("level", Level(r.Severity));
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteString("security-severity", SecuritySeverity(r.Severity));
            w.WriteString("severity", Verdicts.Name(r.Severity));
            w.WriteStartArray("tags");
            w.WriteStringValue("security");
            w.WriteStringValue("compliance");
            w.WriteEndArray();
            w.WriteStartArray("controls");
            foreach (var c in controls)
                w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteStartArray("relatedControls");
            foreach (var c in r.RelatedControls.Select(c => c.Id).Distinct(StringComparer.Ordinal))
                w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartArray("invocations");
        w.WriteStartObject();
        w.WriteBoolean("executionSuccessful", ctx.Verified);
        if (ctx.RunStarted is { } started)
        {
            w.WriteString("startTimeUtc", started.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteString("endTimeUtc", ctx.RunEnded!.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        }

        if (!ctx.Verified)
        {
            w.WriteStartArray("toolExecutionNotifications");
            w.WriteStartObject();
            w.WriteString("level", "error");
            w.WriteStartObject("message");
            w.WriteString("text", ReportText.Unverified);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartObject("properties");
        w.WriteBoolean("verified", ctx.Verified);
        if (!ctx.Verified)
            w.WriteString("warning", ReportText.Unverified);
        w.WriteString("runId", m.RunId);
        w.WriteString("manifestSha256", ctx.Request.Verification.ManifestSha256);
        w.WriteEndObject();

        w.WriteStartArray("results");
        foreach (var s in ctx.Bundle.Statements)
        {
            var p = s.Predicate;
            var ruleIndex = index[p.RuleId];
            var wrote = false;
            foreach (var f in p.Findings)
            {
                if (f.Status is Verdict.Fail or Verdict.Error or Verdict.Waived)
                {
                    Result(ctx, w, p, ruleIndex, f.Status, f.Resource, f.Message, f.Waiver);
                    wrote = true;
                }
            }

            // An execution that erred (or failed) without a finding to say where still needs an alert: its target is the resource.
            if (!wrote && p.Verdict is Verdict.Error or Verdict.Fail)
                Result(ctx, w, p, ruleIndex, p.Verdict, p.Target, p.Error ?? (p.Faults.Count > 0 ? string.Join("; ", p.Faults) : $"{p.RuleId} {Verdicts.Name(p.Verdict)} on {p.Target}"));
            w.Flush();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Result(ReportContext ctx, Utf8JsonWriter w, RuleExecutionPredicate p, int ruleIndex, Verdict status, string resource, string message, WaiverReference? waiver = null)
    {
        w.WriteStartObject();
        w.WriteString("ruleId", p.RuleId);
        w.WriteNumber("ruleIndex", ruleIndex);
        w.WriteString("level", status is Verdict.Fail or Verdict.Waived ? Level(p.Severity) : "warning");
        w.WriteString("kind", "fail");
        w.WriteStartObject("message");
        var prefix = ctx.Verified ? "" : "UNVERIFIED evidence. ";
        w.WriteString("text", status == Verdict.Error
            ? $"{prefix}{p.RuleId} could not evaluate {resource} on {p.Target}: {message}"
            : $"{prefix}{resource} on {p.Target}: {message}");
        w.WriteEndObject();
        w.WriteStartArray("locations");
        w.WriteStartObject();
        // Code scanning needs a file: the rule source as the bundle holds it (rules/…), line 1.
        w.WriteStartObject("physicalLocation");
        w.WriteStartObject("artifactLocation");
        w.WriteString("uri", p.RuleSource.Path.Length > 0 ? p.RuleSource.Path : "results.json");
        w.WriteEndObject();
        w.WriteStartObject("region");
        w.WriteNumber("startLine", 1);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("logicalLocations");
        w.WriteStartObject();
        w.WriteString("name", resource);
        w.WriteString("fullyQualifiedName", p.Target + "/" + resource);
        w.WriteString("kind", "resource");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("partialFingerprints");
        w.WriteString(FingerprintKey, Fingerprint(p.RuleId, p.Target, resource));
        w.WriteEndObject();
        if (waiver is not null)
        {
            // A waived failure stays a result, suppressed the way SARIF says: accepted outside the tool, with who and why.
            w.WriteStartArray("suppressions");
            w.WriteStartObject();
            w.WriteString("kind", "external");
            w.WriteString("status", "accepted");
            w.WriteString("justification", $"waiver {waiver.Id} approved by {waiver.Approver}, until {waiver.Expires:yyyy-MM-dd}; signed payload sha256 {waiver.Digest}");
            w.WriteStartObject("properties");
            w.WriteString("waiverId", waiver.Id);
            w.WriteString("digest", waiver.Digest);
            w.WriteString("approver", waiver.Approver);
            w.WriteString("expires", waiver.Expires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteStartObject("properties");
        w.WriteString("verdict", Verdicts.Name(status));
        w.WriteString("target", p.Target);
        w.WriteString("resource", resource);
        w.WriteBoolean("verified", ctx.Verified);
        w.WriteStartArray("controls");
        foreach (var c in p.Controls)
            w.WriteStringValue(c.Id);
        w.WriteEndArray();
        w.WriteStartArray("evidence");
        foreach (var e in p.Evidence)
            w.WriteStringValue(e.Path);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The fingerprint of one (rule, target, resource): stable across runs, different for any other.</summary>
    public static string Fingerprint(string ruleId, string target, string resource) => ReportText.Sha256(ruleId + "\n" + target + "\n" + resource);

    /// <summary>GitHub's <c>security-severity</c> bands: critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9.</summary>
    public static string SecuritySeverity(Severity severity) => severity switch
    {
        Severity.Critical => "9.5",
        Severity.High => "8.0",
        Severity.Medium => "5.5",
        _ => "3.0",
    };

    private static string Level(Severity severity) => severity is Severity.Low ? "note" : severity is Severity.Medium ? "warning" : "error";

    private static string Pascal(string id) => string.Concat(id.Split('-', '_', '.').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));

    private static string SemVer(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
