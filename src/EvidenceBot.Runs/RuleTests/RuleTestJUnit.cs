using System.Globalization;
using System.Xml.Linq;

namespace EvidenceBot.Runs.RuleTests;

/// <summary>Writes a <c>rules test</c> run as JUnit XML (one suite per rule, one test case per case) for CI dashboards.</summary>
internal static class RuleTestJUnit
{
    public static void Write(RuleTestRun run, string path)
    {
        ArgumentNullException.ThrowIfNull(run);
        var suites = run.Results.GroupBy(r => r.RuleId, StringComparer.Ordinal).Select(g => new XElement("testsuite",
            new XAttribute("name", g.Key),
            new XAttribute("tests", g.Count()),
            new XAttribute("failures", g.Count(r => !r.Passed)),
            new XAttribute("errors", 0),
            new XAttribute("time", Seconds(g.Sum(r => r.ElapsedMs))),
            g.Select(r => new XElement("testcase",
                new XAttribute("classname", r.RuleId),
                new XAttribute("name", r.Case),
                new XAttribute("time", Seconds(r.ElapsedMs)),
                r.Passed ? null : new XElement("failure",
                    new XAttribute("message", r.Differences[0]),
                    new XAttribute("type", "rule-test"),
                    string.Join('\n', r.Differences))))));
        var doc = new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites",
            new XAttribute("name", "evidencebot rules test"),
            new XAttribute("tests", run.Results.Count),
            new XAttribute("failures", run.Failed),
            new XAttribute("errors", 0),
            suites));
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        // UTF-8 without a byte-order mark, as the JUnit report of 'report' writes it: some CI parsers choke on one.
        using var writer = System.Xml.XmlWriter.Create(path, new System.Xml.XmlWriterSettings { Encoding = new System.Text.UTF8Encoding(false), Indent = true });
        doc.Save(writer);
    }

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
}
