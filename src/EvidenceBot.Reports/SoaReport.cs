using System.Globalization;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Reports;

/// <summary>One row of the Statement of Applicability.</summary>
internal sealed record SoaRow(
    string Control,
    string Title,
    bool Applicable,
    string Justification,
    IReadOnlyList<string> Rules,
    string Verdict,
    IReadOnlyList<string> EvidenceFiles,
    string Age,
    IReadOnlyList<string> Related,
    string Manual);

/// <summary>
/// <c>soa-&lt;framework&gt;.csv</c> and <c>.md</c>: per control, whether it applies and why, the rules giving automated
/// evidence with the latest verdict, the statement files, the evidence's age, related (not counted) evidence and the
/// manual part. Applicability comes from the <c>--soa</c> file; without one, every control is applicable and says
/// that no justification was stated.
/// </summary>
internal static class SoaReport
{
    /// <summary>How many evidence files a cell lists before "+N more".</summary>
    private const int MaxFilesPerCell = 20;

    public static string FileName(FrameworkView f, string extension) => $"soa-{ReportText.Slug(f.Framework.Id)}.{extension}";

    public static IReadOnlyList<SoaRow> Rows(ReportContext ctx, FrameworkView f, Applicability applicability)
    {
        var now = ctx.Request.Time.GetUtcNow();
        return [.. f.Rows.Select(row =>
        {
            var stated = applicability.For(row.Control.Id);
            var justification = stated?.Justification ?? (applicability.IsEmpty ? "not stated (no applicability file given)" : "not stated");
            var files = row.Evidence.Select(e => e.Statement.Path).Distinct(StringComparer.Ordinal).ToList();
            var manual = stated?.Manual
                ?? (row.Evidence.Count == 0 ? "manual assessment needed: no automated evidence"
                    : row.Stale ? $"evidence older than its rule's freshness ({row.StaleEvidence.Count} execution(s)): not counted; run the rules again"
                    : row.Verdict == Verdict.Pass ? "" : row.Verdict == Verdict.Waived ? "failing with the risk accepted by a signed waiver: review the waiver and its expiry" : "review the failing or erroring evidence");
            return new SoaRow(
                row.Control.Id,
                row.Control.Title,
                stated?.Applicable ?? true,
                justification,
                row.Rules,
                row.VerdictName,
                files,
                row.Latest is { } latest ? ReportText.Age(now - latest) : "",
                [.. row.Related.Select(e => e.Statement.Predicate.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                manual);
        })];
    }

    private static string Files(IReadOnlyList<string> files) =>
        files.Count <= MaxFilesPerCell ? string.Join(" ", files) : string.Join(" ", files.Take(MaxFilesPerCell)) + $" (+{files.Count - MaxFilesPerCell} more)";

    public static void WriteCsv(ReportContext ctx, IReadOnlyList<SoaRow> rows, TextWriter w)
    {
        if (!ctx.Verified)
            Line(w, ["UNVERIFIED", ReportText.Unverified]);
        Line(w, ["control", "title", "applicable", "justification", "automated_evidence_rules", "latest_verdict", "evidence_files", "evidence_age", "related_evidence_not_counted", "manual_part"]);
        foreach (var r in rows)
            Line(w, [r.Control, r.Title, r.Applicable ? "yes" : "no", r.Justification, string.Join(" ", r.Rules), r.Verdict, Files(r.EvidenceFiles), r.Age, string.Join(" ", r.Related), r.Manual]);
    }

    private static void Line(TextWriter w, string[] cells)
    {
        w.Write(string.Join(",", cells.Select(Cell)));
        w.Write("\r\n");
    }

    /// <summary>RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with a quote.</summary>
    private static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    public static void WriteMarkdown(ReportContext ctx, FrameworkView f, IReadOnlyList<SoaRow> rows, TextWriter w)
    {
        var m = ctx.Bundle.Manifest;
        if (!ctx.Verified)
            w.WriteLine($"> **{ReportText.Unverified}**\n");
        w.WriteLine($"# Statement of Applicability: {Md(f.Framework.Name)} ({Md(f.Framework.Id)})\n");
        w.WriteLine($"Run `{m.RunId}`, bundle written {m.CreatedAt.ToString("u", CultureInfo.InvariantCulture)}, manifest SHA-256 `{ctx.Request.Verification.ManifestSha256}`, {(ctx.Verified ? "verified" : "**NOT verified**")} with key `{ctx.Request.Verification.KeyId}`. Evidence age is measured at {ctx.Request.Time.GetUtcNow().ToString("u", CultureInfo.InvariantCulture)}.\n");
        w.WriteLine($"{rows.Count(r => r.Applicable)} of {rows.Count} controls applicable; {rows.Count(r => r.Rules.Count > 0)} with automated evidence. Related evidence (through a partial or supporting crosswalk link) is listed apart and never decides a verdict.\n");
        w.WriteLine("| Control | Title | Applicable | Justification | Automated evidence (rules) | Latest verdict | Evidence files | Evidence age | Related evidence (not counted) | Manual part |");
        w.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            w.WriteLine($"| {Md(r.Control)} | {Md(r.Title)} | {(r.Applicable ? "yes" : "no")} | {Md(r.Justification)} | {Md(string.Join(", ", r.Rules))} | {Md(r.Verdict)} | {Md(Files(r.EvidenceFiles))} | {Md(r.Age)} | {Md(string.Join(", ", r.Related))} | {Md(r.Manual)} |");
        }
    }

    /// <summary>Escapes what would break a Markdown table cell or be read as markup.</summary>
    private static string Md(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal)
            .Replace("`", "\\`", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal);
}
