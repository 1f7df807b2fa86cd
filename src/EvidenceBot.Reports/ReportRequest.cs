using EvidenceBot.Core.Controls;
using EvidenceBot.Evidence.Bundles;

namespace EvidenceBot.Reports;

/// <summary>The report formats, as named on the command line.</summary>
[Flags]
public enum ReportFormats
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary><c>report.html</c>: one self-contained page for an auditor.</summary>
    Html = 1,

    /// <summary><c>assessment-results.oscal.json</c>: OSCAL 1.1.2 assessment results.</summary>
    Oscal = 2,

    /// <summary><c>report.sarif</c>: SARIF 2.1.0 for code scanning.</summary>
    Sarif = 4,

    /// <summary><c>junit.xml</c>: JUnit XML for CI test views.</summary>
    JUnit = 8,

    /// <summary><c>soa-&lt;framework&gt;.csv</c> and <c>.md</c>: the Statement of Applicability per framework.</summary>
    Soa = 16,
}

/// <summary>Parses the <c>--format</c> / <c>--report</c> list.</summary>
public static class ReportFormatList
{
    /// <summary>The names accepted, in order.</summary>
    public const string Names = "html, oscal, sarif, junit, soa";

    /// <summary>
    /// Parses a comma-separated list (several options allowed). Throws <see cref="ArgumentException"/> naming the
    /// unknown entry.
    /// </summary>
    public static ReportFormats Parse(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var formats = ReportFormats.None;
        foreach (var part in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            formats |= part.ToLowerInvariant() switch
            {
                "html" => ReportFormats.Html,
                "oscal" => ReportFormats.Oscal,
                "sarif" => ReportFormats.Sarif,
                "junit" => ReportFormats.JUnit,
                "soa" => ReportFormats.Soa,
                "all" => ReportFormats.Html | ReportFormats.Oscal | ReportFormats.Sarif | ReportFormats.JUnit | ReportFormats.Soa,
                _ => throw new ArgumentException($"unknown report format '{part}'; use one or more of {Names} (or all)"),
            };
        }

        if (formats == ReportFormats.None)
            throw new ArgumentException($"no report format given; use one or more of {Names}");
        return formats;
    }
}

/// <summary>What to report on and how.</summary>
public sealed record ReportRequest
{
    /// <summary>The bundle folder (an archive is extracted by the verifier first).</summary>
    public required string BundleFolder { get; init; }

    /// <summary>How the bundle was named on the command line (shown in the reports).</summary>
    public required string BundleName { get; init; }

    /// <summary>The folder the reports are written to (created when missing).</summary>
    public required string OutDirectory { get; init; }

    /// <summary>Which formats to write.</summary>
    public required ReportFormats Formats { get; init; }

    /// <summary>What <c>verify</c> found. When it did not pass, every output says UNVERIFIED.</summary>
    public required VerificationReport Verification { get; init; }

    /// <summary>Frameworks in scope (ids such as <c>ISO27001:2022</c>); empty means every framework the evidence maps to.</summary>
    public IReadOnlyList<string> Frameworks { get; init; } = [];

    /// <summary>The Statement of Applicability's applicability file (YAML), optional.</summary>
    public string? ApplicabilityFile { get; init; }

    /// <summary>The control catalogs; the built-in ones when null.</summary>
    public ControlCatalog? Catalog { get; init; }

    /// <summary>The clock that gives the evidence its age.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// How old each rule's evidence may get, by the rule source's path in the bundle (<c>rules/…</c>): the <c>freshness</c>
    /// of the rule's header as the bundle holds it. Evidence older than that, as of <see cref="Time"/>, is stale: shown,
    /// and never counted as covering a control.
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan> Freshness { get; init; } = new Dictionary<string, TimeSpan>();

    /// <summary>How old evidence may get when its rule declares no freshness (seven days, as the ledger's default).</summary>
    public TimeSpan DefaultFreshness { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The most raw evidence embedded in the HTML page, per file (bytes); a larger file is linked by its path in the
    /// bundle instead.
    /// </summary>
    public long EmbedFileCap { get; init; } = HtmlReport.DefaultEmbedFileCap;

    /// <summary>The most raw evidence embedded in the HTML page in all (bytes); past it, every further file is linked.</summary>
    public long EmbedTotalCap { get; init; } = HtmlReport.DefaultEmbedTotalCap;
}

/// <summary>A report problem the user can fix (a bad applicability file, an unknown framework): the message says what and where.</summary>
public sealed class ReportException(string message) : Exception(message);
