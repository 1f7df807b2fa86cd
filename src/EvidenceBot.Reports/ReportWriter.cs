using System.Text;
using EvidenceBot.Core.Controls;

namespace EvidenceBot.Reports;

/// <summary>What every writer reads: the request, the bundle's statements, and the frameworks in scope.</summary>
internal sealed class ReportContext
{
    private long _embedded;

    public ReportContext(ReportRequest request, BundleContents bundle, IReadOnlyList<FrameworkView> frameworks, string? linkBase)
    {
        Request = request;
        Bundle = bundle;
        Frameworks = frameworks;
        LinkBase = linkBase;
        // VerificationReport.Passed walks every check (one per file): asked once, not once per finding.
        Verified = request.Verification.Passed;
        if (bundle.Statements.Count > 0)
        {
            RunStarted = bundle.Statements.Min(s => s.Predicate.StartedAt);
            RunEnded = bundle.Statements.Max(s => s.Predicate.EndedAt);
        }

        Now = request.Time.GetUtcNow();
    }

    /// <summary>The time the evidence's age is measured at.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>How old the evidence of the statement's rule may get (its header's freshness, else the default).</summary>
    public TimeSpan FreshnessOf(StatementEntry s) => FreshnessOf(Request, s);

    /// <summary>How old the statement's evidence is at <see cref="Now"/> (from when its rule ended).</summary>
    public TimeSpan AgeOf(StatementEntry s) => Now - s.Predicate.EndedAt;

    /// <summary>True when the statement's evidence is older than its freshness: shown, never counted as covering a control.</summary>
    public bool IsStale(StatementEntry s) => IsStale(Request, Now, s);

    public static TimeSpan FreshnessOf(ReportRequest request, StatementEntry s) =>
        request.Freshness.TryGetValue(s.Predicate.RuleSource.Path, out var f) ? f : request.DefaultFreshness;

    public static bool IsStale(ReportRequest request, DateTimeOffset now, StatementEntry s) => now - s.Predicate.EndedAt > FreshnessOf(request, s);

    /// <summary>How many statements are stale.</summary>
    public int StaleCount => Bundle.Statements.Count(IsStale);

    public ReportRequest Request { get; }

    public BundleContents Bundle { get; }

    public IReadOnlyList<FrameworkView> Frameworks { get; }

    /// <summary>The bundle folder relative to the report folder, for links to files not embedded; null when the bundle was an archive.</summary>
    public string? LinkBase { get; }

    public bool Verified { get; }

    public DateTimeOffset? RunStarted { get; }

    public DateTimeOffset? RunEnded { get; }

    /// <summary>Reserves room for <paramref name="bytes"/> of embedded raw evidence under the page cap.</summary>
    public bool TryEmbed(long bytes)
    {
        if (_embedded + bytes > Request.EmbedTotalCap)
            return false;
        _embedded += bytes;
        return true;
    }
}

/// <summary>Writes the requested reports from a verified (or, when asked, unverified) bundle folder.</summary>
public static class ReportWriter
{
    /// <summary>The HTML report's file name.</summary>
    public const string HtmlFile = "report.html";

    /// <summary>The OSCAL assessment results' file name.</summary>
    public const string OscalFile = "assessment-results.oscal.json";

    /// <summary>The SARIF log's file name.</summary>
    public const string SarifFile = "report.sarif";

    /// <summary>The JUnit XML file name.</summary>
    public const string JUnitFile = "junit.xml";

    /// <summary>
    /// Writes every requested format into <see cref="ReportRequest.OutDirectory"/> and returns the paths written.
    /// Throws <see cref="ReportException"/> for a problem the user can fix (unknown framework, bad applicability file).
    /// </summary>
    public static IReadOnlyList<string> Write(ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var catalog = request.Catalog ?? ControlCatalog.LoadDefault();
        // A bad applicability file is refused before anything is written.
        var applicability = (request.Formats & ReportFormats.Soa) != 0 && request.ApplicabilityFile is not null
            ? Applicability.Load(request.ApplicabilityFile, catalog)
            : Applicability.None;
        BundleContents bundle;
        try
        {
            bundle = BundleContents.Read(request.BundleFolder);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or FormatException)
        {
            throw new ReportException($"{request.BundleName}: cannot be read for a report ({ex.Message})");
        }

        IReadOnlyList<FrameworkView> frameworks;
        try
        {
            var now = request.Time.GetUtcNow();
            frameworks = FrameworkView.Build(catalog, bundle.Statements, request.Frameworks, s => ReportContext.IsStale(request, now, s));
        }
        catch (ArgumentException ex)
        {
            throw new ReportException(ex.Message);
        }

        Directory.CreateDirectory(request.OutDirectory);
        var outFull = Path.GetFullPath(request.OutDirectory);
        var bundleFull = Path.GetFullPath(request.BundleFolder);
        var linkBase = Path.GetFullPath(request.BundleName) == bundleFull
            ? Path.GetRelativePath(outFull, bundleFull).Replace(Path.DirectorySeparatorChar, '/')
            : null;
        var ctx = new ReportContext(request, bundle, frameworks, linkBase);
        var written = new List<string>();
        var utf8 = new UTF8Encoding(false);

        void Text(string name, Action<TextWriter> write)
        {
            var path = Path.Combine(outFull, name);
            using (var w = new StreamWriter(path, false, utf8, 1 << 16))
                write(w);
            written.Add(path);
        }

        void Binary(string name, Action<Stream> write)
        {
            var path = Path.Combine(outFull, name);
            using (var s = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                write(s);
            written.Add(path);
        }

        if ((request.Formats & ReportFormats.Html) != 0)
            Text(HtmlFile, w => HtmlReport.Write(ctx, w));
        if ((request.Formats & ReportFormats.Oscal) != 0)
            Binary(OscalFile, s => OscalReport.Write(ctx, s));
        if ((request.Formats & ReportFormats.Sarif) != 0)
            Binary(SarifFile, s => SarifReport.Write(ctx, s));
        if ((request.Formats & ReportFormats.JUnit) != 0)
            Binary(JUnitFile, s => JUnitReport.Write(ctx, s));
        if ((request.Formats & ReportFormats.Soa) != 0)
        {
            foreach (var f in frameworks)
            {
                var rows = SoaReport.Rows(ctx, f, applicability);
                Text(SoaReport.FileName(f, "csv"), w => SoaReport.WriteCsv(ctx, rows, w));
                Text(SoaReport.FileName(f, "md"), w => SoaReport.WriteMarkdown(ctx, f, rows, w));
            }
        }

        return written;
    }
}
