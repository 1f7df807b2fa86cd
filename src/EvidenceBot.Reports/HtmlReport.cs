using System.Globalization;
using System.Text;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Reports;

/// <summary>
/// <c>report.html</c>: one self-contained page (inline CSS and JS, no fonts, no network: its CSP forbids any) that
/// reads from the run down to the raw evidence. Everything from the bundle is HTML-escaped.
/// </summary>
internal static class HtmlReport
{
    /// <summary>The default per-file embedding cap: 256 KiB.</summary>
    public const long DefaultEmbedFileCap = 256 * 1024;

    /// <summary>The default total embedding cap: 32 MiB of raw evidence in one page.</summary>
    public const long DefaultEmbedTotalCap = 32L * 1024 * 1024;

    private const string Csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

    public static void Write(ReportContext ctx, TextWriter w)
    {
        var m = ctx.Bundle.Manifest;
        var v = ctx.Request.Verification;
        w.Write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        w.Write($"<meta http-equiv=\"Content-Security-Policy\" content=\"{Csp}\">");
        w.Write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        w.Write($"<title>{(ctx.Verified ? "" : "UNVERIFIED · ")}EvidenceBot report · run {ReportText.Html(m.RunId)}</title>");
        w.Write("<style>");
        w.Write(Style);
        w.Write("</style></head><body>\n");
        if (!ctx.Verified)
            w.Write($"<div class=\"unverified\" role=\"alert\"><strong>⚠ UNVERIFIED</strong> — {ReportText.Html(ReportText.Unverified)} ({v.Failures.Count} failed check(s), listed under Verification)</div>\n");

        w.Write($"<header><h1>Evidence report</h1><p class=\"sub\">Run <code>{ReportText.Html(m.RunId)}</code> · {ReportText.Html(ctx.Request.BundleName)}</p>");
        w.Write("<table class=\"meta\"><tbody>");
        Meta(w, "Run id", $"<code>{ReportText.Html(m.RunId)}</code>");
        Meta(w, "Time", ReportText.Html(m.CreatedAt.ToString("u", CultureInfo.InvariantCulture)) + (ctx.RunStarted is { } s ? $" (rules ran {ReportText.Html(s.ToString("u", CultureInfo.InvariantCulture))} – {ReportText.Html(ctx.RunEnded!.Value.ToString("u", CultureInfo.InvariantCulture))})" : ""));
        Meta(w, "Targets", ctx.Bundle.Targets.Count == 0 ? "none" : string.Join(", ", ctx.Bundle.Targets.Select(t => $"<code>{ReportText.Html(t)}</code>")));
        Meta(w, "Engine version", ReportText.Html(m.EngineVersion));
        Meta(w, "Key id", m.Signed ? $"<code>{ReportText.Html(m.KeyId)}</code>" : "<strong>unsigned bundle</strong>");
        Meta(w, "Manifest SHA-256", $"<code>{ReportText.Html(v.ManifestSha256)}</code>");
        Meta(w, "Chain link (previous manifest)", m.PreviousManifestSha256 is null ? "first run in its folder (no previous manifest)" : $"<code>{ReportText.Html(m.PreviousManifestSha256)}</code>");
        Meta(w, "Verification", ctx.Verified
            ? $"<span class=\"b v-pass\">✓ verified</span> with key <code>{ReportText.Html(v.KeyId)}</code>: {v.Checks.Count} check(s) passed, {v.Statements} statement(s), {v.Files} file(s)"
            : $"<span class=\"b v-fail\">✗ NOT verified</span>: {v.Failures.Count} of {v.Checks.Count} check(s) failed (see <a href=\"#verification\">Verification</a>)");
        Meta(w, "Statements", $"{ctx.Bundle.Statements.Count} rule execution(s): {Totals(ctx)}");
        var stale = ctx.StaleCount;
        Meta(w, "Evidence age", $"as of {ReportText.Html(ctx.Now.ToString("u", CultureInfo.InvariantCulture))}: " + (stale == 0
            ? "every execution's evidence is within its rule's freshness"
            : $"{Badge("stale")} {stale} of {ctx.Bundle.Statements.Count} execution(s) older than their rule's freshness: shown, not counted as covering their controls; run the rules again"));
        w.Write("</tbody></table></header>\n");

        w.Write("<nav class=\"filter\" aria-label=\"Filter\"><label>Filter <input id=\"q\" type=\"search\" placeholder=\"resource, control, rule or target\" autocomplete=\"off\"></label> ");
        w.Write("<label>Verdict <select id=\"verdict\"><option value=\"\">any</option><option value=\"pass\">✓ pass</option><option value=\"fail\">✗ fail</option><option value=\"error\">⚠ error</option><option value=\"not_applicable\">– not applicable</option><option value=\"waived\">⚑ waived (accepted risk)</option><option value=\"stale\">◔ stale (older than its freshness)</option><option value=\"manual\">✎ manual (no automated evidence)</option></select></label> ");
        w.Write("<span id=\"shown\" aria-live=\"polite\"></span> <button type=\"button\" id=\"expand\">Expand all</button> <button type=\"button\" id=\"collapse\">Collapse all</button></nav>\n");

        w.Write("<main>\n");
        Overview(ctx, w);
        foreach (var f in ctx.Frameworks)
            Framework(w, f);
        Rules(ctx, w);
        Sources(ctx, w);
        Verification(ctx, w);
        w.Write("</main>\n");
        w.Write($"<footer>Written by EvidenceBot from <code>{ReportText.Html(ctx.Request.BundleName)}</code>. Raw evidence is embedded up to {ctx.Request.EmbedFileCap / 1024} KiB per file and {ctx.Request.EmbedTotalCap / (1024 * 1024)} MiB in all; larger files are named by their path in the bundle. {(ctx.Verified ? "" : "<strong>UNVERIFIED.</strong>")}</footer>\n");
        w.Write("<script>");
        w.Write(Script);
        w.Write("</script></body></html>\n");
    }

    private static string Totals(ReportContext ctx)
    {
        var counts = ctx.Bundle.Statements.GroupBy(s => s.Predicate.Verdict).ToDictionary(g => g.Key, g => g.Count());
        return string.Join(", ", new[] { Verdict.Pass, Verdict.Fail, Verdict.Error, Verdict.Waived, Verdict.NotApplicable }
            .Select(x => $"{Badge(Verdicts.Name(x))} {counts.GetValueOrDefault(x)}"));
    }

    private static void Meta(TextWriter w, string name, string html) => w.Write($"<tr><th scope=\"row\">{name}</th><td>{html}</td></tr>");

    /// <summary>A verdict badge: icon and word, never colour alone.</summary>
    public static string Badge(string verdict) => verdict switch
    {
        "pass" => "<span class=\"b v-pass\">✓ pass</span>",
        "fail" => "<span class=\"b v-fail\">✗ fail</span>",
        "error" => "<span class=\"b v-error\">⚠ error</span>",
        "not_applicable" => "<span class=\"b v-na\">– n/a</span>",
        "waived" => "<span class=\"b v-waived\">⚑ waived</span>",
        "stale" => "<span class=\"b v-stale\">◔ stale</span>",
        _ => "<span class=\"b v-manual\">✎ manual</span>",
    };

    /// <summary>Under a waived finding's message: which signed waiver accepted the failure, by whom, until when.</summary>
    private static string WaiverNote(WaiverReference? waiver) => waiver is null ? ""
        : $"<br><small class=\"waiver\">Failed; risk accepted by waiver <code>{ReportText.Html(waiver.Id)}</code>, approved by {ReportText.Html(waiver.Approver)}, until {waiver.Expires:yyyy-MM-dd} (signed payload SHA-256 <code>{ReportText.Html(waiver.Digest)}</code>)</small>";

    private static string Icon(string verdict) => verdict switch
    {
        "pass" => "✓",
        "fail" => "✗",
        "error" => "⚠",
        "not_applicable" => "–",
        "waived" => "⚑",
        "stale" => "◔",
        _ => "✎",
    };

    private static void Framework(TextWriter w, FrameworkView f)
    {
        var id = "fw-" + ReportText.Slug(f.Framework.Id);
        w.Write($"<section class=\"fw\" id=\"{id}\"><h2>{ReportText.Html(f.Framework.Name)} <small>{ReportText.Html(f.Framework.Id)}</small></h2>\n");
        w.Write("<p class=\"counts\">");
        w.Write($"{Badge("pass")} {f.Count("pass")} passing · {Badge("fail")} {f.Count("fail")} failing · {Badge("error")} {f.Count("error")} erroring · {Badge("waived")} {f.Count("waived")} waived (failing, risk accepted) · {Badge("stale")} {f.Count("stale")} stale (evidence older than its freshness: not covered) · {Badge("not_applicable")} {f.Count("not_applicable")} not applicable · {Badge("manual")} {f.Count("manual")} manual (no automated evidence) — of {f.Rows.Count} controls");
        w.Write("</p>\n");
        w.Write($"<h3>Heat map of controls by verdict</h3><div class=\"heat\" role=\"list\" aria-label=\"Controls of {ReportText.Html(f.Framework.Id)} by verdict\">");
        foreach (var row in f.Rows.OrderBy(r => HeatOrder(r.VerdictName)))
        {
            var verdict = row.VerdictName;
            w.Write($"<a role=\"listitem\" class=\"cell v-{Css(verdict)}\" data-verdict=\"{verdict}\" data-filter=\"{ReportText.Html(Filter(row))}\" href=\"#{ControlAnchor(row.Control.Id)}\" title=\"{ReportText.Html(row.Control.LocalId + " " + row.Control.Title + ": " + verdict)}\">{Icon(verdict)} {ReportText.Html(row.Control.LocalId)}</a>");
        }

        w.Write("</div>\n<p class=\"legend\">Legend: ✓ pass · ✗ fail · ⚠ error (could not tell) · ⚑ waived (failing, risk accepted by a signed waiver; not a pass) · ◔ stale (evidence older than its rule's freshness: not covered until the rule runs again) · – not applicable · ✎ manual (no automated evidence; an auditor assesses it)</p>\n");
        var automated = f.Rows.Where(r => r.Evidence.Count > 0).OrderBy(r => HeatOrder(r.VerdictName)).ToList();
        var manual = f.Rows.Where(r => r.Evidence.Count == 0).ToList();
        w.Write($"<h3>Controls with automated evidence ({automated.Count})</h3>");
        ControlTable(w, automated);
        w.Write($"<details class=\"manual\"><summary><h3>Manual controls: no automated evidence ({manual.Count}); {manual.Count(r => r.Related.Count > 0)} with related evidence</h3></summary>");
        ControlTable(w, manual);
        w.Write("</details></section>\n");
    }

    private static int HeatOrder(string verdict) => verdict switch
    {
        "fail" => 0,
        "error" => 1,
        "stale" => 2,
        "waived" => 3,
        "pass" => 4,
        "not_applicable" => 5,
        _ => 6,
    };

    private static void Overview(ReportContext ctx, TextWriter w)
    {
        w.Write("<section id=\"overview\"><h2>Frameworks in scope</h2><table class=\"overview\"><thead><tr><th scope=\"col\">Framework</th><th scope=\"col\">Controls</th><th scope=\"col\">✗ failing</th><th scope=\"col\">⚠ erroring</th><th scope=\"col\">◔ stale</th><th scope=\"col\">⚑ waived</th><th scope=\"col\">✓ passing</th><th scope=\"col\">– not applicable</th><th scope=\"col\">✎ manual</th></tr></thead><tbody>");
        foreach (var f in ctx.Frameworks)
            w.Write($"<tr><td><a href=\"#fw-{ReportText.Slug(f.Framework.Id)}\">{ReportText.Html(f.Framework.Name)}</a> <code>{ReportText.Html(f.Framework.Id)}</code></td><td>{f.Rows.Count}</td><td>{f.Count("fail")}</td><td>{f.Count("error")}</td><td>{f.Count("stale")}</td><td>{f.Count("waived")}</td><td>{f.Count("pass")}</td><td>{f.Count("not_applicable")}</td><td>{f.Count("manual")}</td></tr>");
        w.Write("</tbody></table><p class=\"small\">A control's verdict comes only from rules mapped to it directly or through an <em>equivalent</em> crosswalk link; evidence reached through a <em>partial</em> or <em>supports</em> link is shown as related evidence and never decides it. The worst verdict wins: ⚠ error, then ✗ fail, then ◔ stale (part of the evidence is older than its rule's freshness: old evidence neither covers a control nor clears it), then ⚑ waived (failing, risk accepted by a signed waiver), then ✓ pass.</p></section>\n");
    }

    private static void ControlTable(TextWriter w, IReadOnlyList<ControlRow> rows)
    {
        if (rows.Count == 0)
        {
            w.Write("<p class=\"none\">none</p>");
            return;
        }

        w.Write("<table class=\"controls\"><thead><tr><th scope=\"col\">Control</th><th scope=\"col\">Title</th><th scope=\"col\">Verdict</th><th scope=\"col\">Automated evidence (rule · relation · direct or derived)</th><th scope=\"col\">Related evidence (not counted)</th></tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            var verdict = row.VerdictName;
            w.Write($"<tr class=\"ctl\" id=\"{ControlAnchor(row.Control.Id)}\" data-verdict=\"{verdict}\" data-filter=\"{ReportText.Html(Filter(row))}\"><td><code>{ReportText.Html(row.Control.LocalId)}</code></td><td>{ReportText.Html(row.Control.Title)}</td><td>{Badge(verdict)}</td><td>");
            Mappings(w, row.Evidence, row.StaleEvidence);
            w.Write("</td><td>");
            Mappings(w, row.Related);
            w.Write("</td></tr>\n");
        }

        w.Write("</tbody></table>");
    }

    private static string Filter(ControlRow row) =>
        string.Join(' ', new[] { row.Control.Id, row.Control.Title }.Concat(row.Evidence.Concat(row.Related).Select(e => e.Statement.Predicate.RuleId).Distinct(StringComparer.Ordinal))).ToLowerInvariant();

    private static void Mappings(TextWriter w, IReadOnlyList<ControlEvidence> list, IReadOnlyList<ControlEvidence>? stale = null)
    {
        if (list.Count == 0)
        {
            w.Write("<span class=\"none\">none</span>");
            return;
        }

        w.Write("<ul class=\"maps\">");
        foreach (var g in list.GroupBy(e => (e.Statement.Predicate.RuleId, e.Mapping.Relation, e.Mapping.Derived, e.Mapping.Via)).OrderBy(g => g.Key.RuleId, StringComparer.Ordinal))
        {
            Verdict? worst = null;
            foreach (var e in g)
                worst = Verdicts.Worst(worst, e.Statement.Predicate.Verdict);
            var how = g.Key.Derived ? $"derived via <code>{ReportText.Html(g.Key.Via)}</code>" : "direct";
            var old = stale is null ? 0 : g.Count(stale.Contains);
            w.Write($"<li><a href=\"#{RuleAnchor(g.Key.RuleId)}\"><code>{ReportText.Html(g.Key.RuleId)}</code></a> · {ReportText.Html(g.Key.Relation)} · {how} · {Badge(Verdicts.Name(worst!.Value))}{(old > 0 ? " " + Badge("stale") : "")} <small>({g.Count()} execution(s){(old > 0 ? $", {old} stale" : "")})</small></li>");
        }

        w.Write("</ul>");
    }

    private static void Rules(ReportContext ctx, TextWriter w)
    {
        w.Write("<section id=\"rules\"><h2>Rules, findings and raw evidence</h2>\n");
        foreach (var rule in ctx.Bundle.Statements.GroupBy(s => s.Predicate.RuleId))
        {
            var first = rule.First().Predicate;
            Verdict? worst = null;
            foreach (var s in rule)
                worst = Verdicts.Worst(worst, s.Predicate.Verdict);
            var verdict = Verdicts.Name(worst!.Value);
            var verdicts = string.Join(' ', rule.SelectMany(s => s.Predicate.Findings.Select(f => f.Status).Append(s.Predicate.Verdict)).Distinct().Select(Verdicts.Name));
            var filter = string.Join(' ', new[] { rule.Key }.Concat(rule.SelectMany(s => s.Predicate.Controls.Concat(s.Predicate.RelatedControls).Select(c => c.Id)).Distinct(StringComparer.Ordinal))
                .Concat(rule.Select(s => s.Predicate.Target)).Concat(rule.SelectMany(s => s.Predicate.Findings.Select(f => f.Resource)))).ToLowerInvariant();
            w.Write($"<details class=\"rule\" id=\"{RuleAnchor(rule.Key)}\" data-verdict=\"{verdicts}\" data-filter=\"{ReportText.Html(filter)}\"><summary>{Badge(verdict)} <code>{ReportText.Html(rule.Key)}</code> {ReportText.Html(first.Title)} <small>· severity {Verdicts.Name(first.Severity)} · {rule.Count()} execution(s)</small></summary>\n");
            w.Write($"<p>Source as it ran: <a href=\"#{SourceAnchor(first.RuleSource.Path)}\"><code>{ReportText.Html(first.RuleSource.Path)}</code></a> SHA-256 <code>{ReportText.Html(first.RuleSource.Sha256)}</code></p>\n");
            foreach (var s in rule)
                Execution(ctx, w, s);
            w.Write("</details>\n");
        }

        w.Write("</section>\n");
    }

    private static void Execution(ReportContext ctx, TextWriter w, StatementEntry s)
    {
        var p = s.Predicate;
        var verdict = Verdicts.Name(p.Verdict);
        var verdicts = string.Join(' ', p.Findings.Select(f => f.Status).Append(p.Verdict).Distinct().Select(Verdicts.Name));
        var filter = string.Join(' ', new[] { p.RuleId, p.Target }.Concat(p.Controls.Concat(p.RelatedControls).Select(c => c.Id)).Concat(p.Findings.Select(f => f.Resource))).ToLowerInvariant();
        w.Write($"<div class=\"exec\" data-verdict=\"{verdicts}\" data-filter=\"{ReportText.Html(filter)}\"><h4>{Badge(verdict)} target <code>{ReportText.Html(p.Target)}</code></h4>");
        var sha = ctx.Bundle.Files.TryGetValue(s.Path, out var file) ? file.Sha256 : "";
        w.Write($"<p class=\"small\">Statement <code>{ReportText.Html(s.Path)}</code> SHA-256 <code>{ReportText.Html(sha)}</code> · ran {ReportText.Html(p.StartedAt.ToString("u", CultureInfo.InvariantCulture))} – {ReportText.Html(p.EndedAt.ToString("u", CultureInfo.InvariantCulture))}</p>");
        if (ctx.IsStale(s))
            w.Write($"<p class=\"stale\">{Badge("stale")} This evidence is {ReportText.Age(ctx.AgeOf(s))} old; its rule's freshness is {ReportText.Age(ctx.FreshnessOf(s))}. It is shown, and not counted as covering its controls.</p>");
        w.Write("<p class=\"small\">Evidence for: ");
        w.Write(p.Controls.Count == 0 ? "no control" : string.Join(", ", p.Controls.Select(c => $"<code>{ReportText.Html(c.Id)}</code> ({ReportText.Html(c.Relation)}, {(c.Derived ? "derived via " + ReportText.Html(c.Via) : "direct")})")));
        w.Write("</p>");
        if (p.RelatedControls.Count > 0)
            w.Write("<p class=\"small\">Related evidence only (not counted for): " + string.Join(", ", p.RelatedControls.Select(c => $"<code>{ReportText.Html(c.Id)}</code> ({ReportText.Html(c.Relation)}{(c.Via is null ? "" : " via " + ReportText.Html(c.Via))})")) + "</p>");
        if (p.Error is not null)
            w.Write($"<p class=\"err\">⚠ Error: {ReportText.Html(p.Error)}</p>");
        foreach (var fault in p.Faults)
            w.Write($"<p class=\"err\">⚠ Source fault: {ReportText.Html(fault)}</p>");
        if (p.Findings.Count == 0)
        {
            w.Write("<p class=\"none\">No findings: the rule observed nothing it could judge (this is never evidence of compliance).</p>");
        }
        else
        {
            w.Write("<table class=\"findings\"><thead><tr><th scope=\"col\">Resource</th><th scope=\"col\">Status</th><th scope=\"col\">Message</th><th scope=\"col\">Observed values</th></tr></thead><tbody>");
            foreach (var f in p.Findings)
            {
                var status = Verdicts.Name(f.Status);
                w.Write($"<tr class=\"finding\" data-verdict=\"{status}\" data-filter=\"{ReportText.Html((p.RuleId + " " + p.Target + " " + f.Resource).ToLowerInvariant())}\"><td><code>{ReportText.Html(f.Resource)}</code></td><td>{Badge(status)}</td><td>{ReportText.Html(f.Message)}{WaiverNote(f.Waiver)}</td><td>");
                if (f.Observed is { } observed)
                    w.Write($"<pre class=\"obs\">{ReportText.Html(ReportText.Indented(observed))}</pre>");
                else
                    w.Write("<span class=\"none\">none given</span>");
                w.Write("</td></tr>");
            }

            w.Write("</tbody></table>");
        }

        if (p.Evidence.Count > 0)
        {
            w.Write($"<p class=\"small\">Raw evidence ({p.Evidence.Count} file(s)):</p><ul class=\"raw\">");
            foreach (var e in p.Evidence)
                Raw(ctx, w, e);
            w.Write("</ul>");
        }
        else
        {
            w.Write("<p class=\"none\">No raw evidence was recorded for this execution.</p>");
        }

        w.Write("</div>\n");
    }

    private static void Raw(ReportContext ctx, TextWriter w, PredicateEvidence e)
    {
        var file = ctx.Bundle.Files.GetValueOrDefault(e.Path);
        var sha = file?.Sha256 ?? "";
        var size = file?.Size ?? 0;
        w.Write($"<li><details><summary><code>{ReportText.Html(e.Method)}</code> {ReportText.Html(e.Url)} · HTTP {e.Status} · <code>{ReportText.Html(e.Path)}</code> · SHA-256 <code>{ReportText.Html(sha)}</code> · {size:N0} bytes</summary>");
        if (file is not null && size <= ctx.Request.EmbedFileCap && ctx.TryEmbed(size))
        {
            var bytes = File.ReadAllBytes(ctx.Bundle.PathOf(e.Path));
            w.Write($"<pre class=\"rawbody\">{ReportText.Html(ReportText.PrettyJson(bytes))}</pre>");
        }
        else
        {
            var why = size > ctx.Request.EmbedFileCap ? $"larger than the {ctx.Request.EmbedFileCap / 1024} KiB per-file cap" : $"past the {ctx.Request.EmbedTotalCap / (1024 * 1024)} MiB page cap";
            w.Write($"<p class=\"small\">Not embedded ({why}): open ");
            w.Write(ctx.LinkBase is null
                ? $"<code>{ReportText.Html(e.Path)}</code> in the bundle"
                : $"<a href=\"{ReportText.Html(ctx.LinkBase + "/" + e.Path)}\"><code>{ReportText.Html(e.Path)}</code></a>");
            w.Write(" and compare its SHA-256.</p>");
        }

        w.Write("</details></li>");
    }

    private static void Sources(ReportContext ctx, TextWriter w)
    {
        w.Write("<section id=\"sources\"><h2>Rule sources as they ran</h2>\n");
        foreach (var src in ctx.Bundle.Statements.Select(s => s.Predicate.RuleSource).Where(r => r.Path.Length > 0).DistinctBy(r => r.Path).OrderBy(r => r.Path, StringComparer.Ordinal))
        {
            var file = ctx.Bundle.Files.GetValueOrDefault(src.Path);
            w.Write($"<details class=\"src\" id=\"{SourceAnchor(src.Path)}\"><summary><code>{ReportText.Html(src.Path)}</code> SHA-256 <code>{ReportText.Html(src.Sha256)}</code></summary>");
            if (file is not null && file.Size <= ctx.Request.EmbedFileCap)
                w.Write($"<pre class=\"code\">{ReportText.Html(File.ReadAllText(ctx.Bundle.PathOf(src.Path), Encoding.UTF8))}</pre>");
            else
                w.Write($"<p class=\"small\">Not embedded ({(file is null ? "not in the manifest" : "larger than the per-file cap")}): see <code>{ReportText.Html(src.Path)}</code> in the bundle.</p>");
            w.Write("</details>\n");
        }

        w.Write("</section>\n");
    }

    private static void Verification(ReportContext ctx, TextWriter w)
    {
        var v = ctx.Request.Verification;
        w.Write($"<section id=\"verification\"><h2>Verification</h2><p>{(ctx.Verified ? Badge("pass") + " every check passed" : "<strong>⚠ UNVERIFIED</strong>: these checks failed")} ({v.Checks.Count} check(s) in all: signatures, digests, missing or extra files, predicate schema, run ids, chain link).</p>");
        if (!ctx.Verified)
        {
            w.Write("<ul class=\"failures\">");
            foreach (var f in v.Failures.Take(500))
                w.Write($"<li>✗ <code>{ReportText.Html(f.Check)}</code> <code>{ReportText.Html(f.File)}</code>{(f.Field is null ? "" : $" [{ReportText.Html(f.Field)}]")}: {ReportText.Html(f.Detail)}</li>");
            w.Write("</ul>");
        }

        w.Write("</section>\n");
    }

    private static string Css(string verdict) => verdict == "not_applicable" ? "na" : verdict;

    public static string ControlAnchor(string id) => "ctl-" + ReportText.Slug(id);

    public static string RuleAnchor(string id) => "rule-" + ReportText.Slug(id);

    private static string SourceAnchor(string path) => "src-" + ReportText.Slug(path);

    private const string Style = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--pass:#1a7f37;--fail:#cf222e;--error:#9a6700;--na:#6e7781;--manual:#0969da}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--fg);margin:0;padding:0 1.5rem 2rem;background:#fff}
h1{margin:.8rem 0 0;font-size:1.6rem}h2{border-bottom:2px solid var(--line);padding-bottom:.2rem;margin-top:2rem}h2 small{color:var(--muted);font-weight:normal;font-size:.8em}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}pre{background:#f6f8fa;border:1px solid var(--line);padding:.5rem;overflow:auto;max-height:28rem;white-space:pre-wrap;word-break:break-all}
.sub{color:var(--muted);margin:.2rem 0 .6rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid var(--line);padding:.3rem .45rem;text-align:left;vertical-align:top}thead th{background:#f6f8fa}
table.meta{width:auto}table.meta th{background:#f6f8fa;white-space:nowrap}code{word-break:break-all}
.b{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-weight:600;font-size:12px;border:1px solid;white-space:nowrap}
.v-pass{color:var(--pass);border-color:var(--pass)}.v-fail{color:var(--fail);border-color:var(--fail)}.v-error{color:var(--error);border-color:var(--error)}.v-na{color:var(--na);border-color:var(--na)}.v-manual{color:var(--manual);border-color:var(--manual)}.v-waived{color:#8250df;border-color:#8250df}.v-stale{color:#9a6700;border-color:#9a6700}p.stale{background:#fff8c5;padding:.3em .5em}
.unverified{background:#fff1f0;border:3px solid var(--fail);color:#82071e;padding:.6rem 1rem;font-size:1.1rem;margin-top:.8rem}
.filter{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:.5rem 0;z-index:2;display:flex;gap:.8rem;align-items:center;flex-wrap:wrap}.filter input{width:22rem;padding:.25rem}
.heat{display:flex;flex-wrap:wrap;gap:3px;margin:.4rem 0}.cell{display:inline-block;min-width:4.6rem;padding:.15rem .3rem;border:1px solid;border-radius:3px;font-size:11.5px;text-decoration:none;white-space:nowrap}
.cell.v-pass{background:#dafbe1}.cell.v-fail{background:#ffebe9}.cell.v-error{background:#fff8c5}.cell.v-na{background:#f6f8fa}.cell.v-manual{background:#ddf4ff}.cell.v-waived{background:#fbefff}.cell.v-stale{background:#fff1e5}
.legend,.small,.counts{color:var(--muted)}.small{font-size:12.5px;margin:.2rem 0}.none{color:var(--muted);font-style:italic}.err{color:#82071e}
ul.maps{margin:0;padding-left:1.1rem}details.rule{border:1px solid var(--line);border-radius:4px;margin:.5rem 0;padding:.3rem .6rem}details>summary{cursor:pointer}
.exec{border-top:1px dashed var(--line);margin-top:.5rem;padding-top:.3rem}.exec h4{margin:.3rem 0}td pre{margin:0;max-height:14rem}ul.raw{padding-left:1.1rem}
footer{margin-top:2rem;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:.5rem}.hidden{display:none!important}details.manual>summary h3{display:inline}
@media print{.filter,button{display:none}body{padding:0;font-size:11px}details{border:none}details>summary{list-style:none}a{color:inherit;text-decoration:none}pre{max-height:none;overflow:visible}
.unverified{position:fixed;top:0;left:0;right:0;margin:0;font-size:10px;padding:.15rem .5rem}body:has(.unverified){padding-top:1.6rem}tr,.cell{break-inside:avoid}h2{break-after:avoid}}
""";

    private const string Script = """
(function(){
var q=document.getElementById('q'),v=document.getElementById('verdict'),shown=document.getElementById('shown');
function apply(){var t=q.value.trim().toLowerCase(),want=v.value,n=0,all=0;
document.querySelectorAll('[data-filter]').forEach(function(el){var ok=(!t||el.getAttribute('data-filter').indexOf(t)>=0)&&(!want||(' '+el.getAttribute('data-verdict')+' ').indexOf(' '+want+' ')>=0);
el.classList.toggle('hidden',!ok);if(el.classList.contains('ctl')){all++;if(ok)n++;}});
shown.textContent=(t||want)?n+' of '+all+' control row(s) shown':'';}
q.addEventListener('input',apply);v.addEventListener('change',apply);
document.getElementById('expand').addEventListener('click',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
document.getElementById('collapse').addEventListener('click',function(){document.querySelectorAll('details').forEach(function(d){d.open=false;});});
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
})();
""";
}
