using System.Globalization;
using System.Text;
using System.Xml;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Reports;

/// <summary>
/// <c>junit.xml</c>: a test suite per rule, a test case per (rule, target, resource). <c>fail</c> is a failure,
/// <c>error</c> an error, <c>not_applicable</c> skipped. An execution with no finding is one case named after its
/// target, with the execution's verdict (an empty result is never a silent pass: it is skipped or an error).
/// </summary>
internal static class JUnitReport
{
    private sealed record Case(string Target, string Resource, Verdict Status, string Message, RuleExecutionPredicate Predicate, WaiverReference? Waiver = null);

    public static void Write(ReportContext ctx, Stream stream)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true };
        using var w = XmlWriter.Create(stream, settings);
        var suites = ctx.Bundle.Statements.GroupBy(s => s.Predicate.RuleId).ToList();
        var all = suites.Select(g => (g.Key, Cases: g.SelectMany(s => Cases(s.Predicate)).ToList())).ToList();
        w.WriteStartDocument();
        if (!ctx.Verified)
            w.WriteComment(" " + ReportText.Unverified + " ");
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", X((ctx.Verified ? "" : "UNVERIFIED ") + "EvidenceBot run " + ctx.Bundle.Manifest.RunId));
        w.WriteAttributeString("tests", X(Count(all.Sum(s => s.Cases.Count))));
        w.WriteAttributeString("failures", X(Count(all.Sum(s => s.Cases.Count(c => c.Status == Verdict.Fail)))));
        w.WriteAttributeString("errors", X(Count(all.Sum(s => s.Cases.Count(c => c.Status == Verdict.Error)))));
        w.WriteAttributeString("time", X(Seconds(ctx.RunEnded - ctx.RunStarted)));
        foreach (var (rule, cases) in all)
        {
            var first = cases.Count > 0 ? cases[0].Predicate : null;
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", X(rule));
            w.WriteAttributeString("tests", X(Count(cases.Count)));
            w.WriteAttributeString("failures", X(Count(cases.Count(c => c.Status == Verdict.Fail))));
            w.WriteAttributeString("errors", X(Count(cases.Count(c => c.Status == Verdict.Error))));
            w.WriteAttributeString("skipped", X(Count(cases.Count(c => c.Status is Verdict.NotApplicable or Verdict.Waived))));
            if (first is not null)
            {
                w.WriteAttributeString("timestamp", X(first.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)));
                w.WriteAttributeString("file", X(first.RuleSource.Path));
            }

            w.WriteStartElement("properties");
            Property(w, "verified", ctx.Verified ? "true" : "false");
            if (!ctx.Verified)
                Property(w, "warning", ReportText.Unverified);
            if (first is not null)
            {
                Property(w, "title", first.Title);
                Property(w, "severity", Verdicts.Name(first.Severity));
                Property(w, "ruleSourceSha256", first.RuleSource.Sha256);
                Property(w, "controls", string.Join(" ", first.Controls.Select(c => c.Id)));
            }

            w.WriteEndElement();
            foreach (var c in cases)
            {
                w.WriteStartElement("testcase");
                w.WriteAttributeString("classname", X(rule + "." + c.Target));
                w.WriteAttributeString("name", X(c.Resource));
                w.WriteAttributeString("time", X(Seconds(c.Predicate.EndedAt - c.Predicate.StartedAt)));
                var prefix = ctx.Verified ? "" : "UNVERIFIED evidence. ";
                switch (c.Status)
                {
                    case Verdict.Fail:
                        w.WriteStartElement("failure");
                        w.WriteAttributeString("type", X("fail"));
                        w.WriteAttributeString("message", X(prefix + c.Message));
                        w.WriteString(X($"{prefix}{rule} on {c.Target}: {c.Resource}: {c.Message}"));
                        w.WriteEndElement();
                        break;
                    case Verdict.Error:
                        w.WriteStartElement("error");
                        w.WriteAttributeString("type", X("error"));
                        w.WriteAttributeString("message", X(prefix + c.Message));
                        w.WriteString(X($"{prefix}{rule} could not evaluate {c.Resource} on {c.Target}: {c.Message}"));
                        w.WriteEndElement();
                        break;
                    case Verdict.Waived:
                        // Neither a pass nor a build failure: the failure stands, and a signed waiver accepts it.
                        w.WriteStartElement("skipped");
                        w.WriteAttributeString("message", X($"{prefix}waived: failed, risk accepted by waiver {c.Waiver?.Id} ({c.Waiver?.Approver}, until {c.Waiver?.Expires:yyyy-MM-dd}, sha256 {c.Waiver?.Digest}): {c.Message}"));
                        w.WriteEndElement();
                        break;
                    case Verdict.NotApplicable:
                        w.WriteStartElement("skipped");
                        w.WriteAttributeString("message", X(prefix + "not applicable: " + c.Message));
                        w.WriteEndElement();
                        break;
                    default:
                        if (!ctx.Verified)
                            w.WriteElementString("system-out", ReportText.Unverified);
                        break;
                }

                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.Flush();
        }

        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private static IEnumerable<Case> Cases(RuleExecutionPredicate p)
    {
        if (p.Findings.Count == 0)
        {
            var why = p.Error ?? (p.Faults.Count > 0 ? string.Join("; ", p.Faults) : "no findings");
            yield return new Case(p.Target, "(execution)", p.Verdict, why, p);
            yield break;
        }

        // A rule error on top of findings is its own case, so it is not lost behind passing findings.
        if (p.Error is not null && p.Verdict == Verdict.Error && p.Findings.All(f => f.Status != Verdict.Error))
            yield return new Case(p.Target, "(execution)", Verdict.Error, p.Error, p);
        foreach (var f in p.Findings)
            yield return new Case(p.Target, f.Resource, f.Status, f.Message, p, f.Waiver);
    }

    private static void Property(XmlWriter w, string name, string value)
    {
        w.WriteStartElement("property");
        w.WriteAttributeString("name", X(name));
        w.WriteAttributeString("value", X(value));
        w.WriteEndElement();
    }

    /// <summary>Text XML 1.0 can carry: characters it forbids become U+FFFD, so one bad byte in a message does not lose the file.</summary>
    private static string X(string text)
    {
        if (text.All(XmlConvert.IsXmlChar))
            return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (XmlConvert.IsXmlChar(text[i]))
                sb.Append(text[i]);
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i]))
                sb.Append(text[i]).Append(text[++i]);
            else
                sb.Append('\uFFFD');
        }

        return sb.ToString();
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan? span) => Math.Max(0, (span ?? TimeSpan.Zero).TotalSeconds).ToString("0.000", CultureInfo.InvariantCulture);
}
