using System.Text.RegularExpressions;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Runs.RuleTests;

/// <summary>
/// Compares what a case expects with what the rule did, as lines a reader can follow: the verdict, then each resource in
/// order, <c>-</c> expected but missing, <c>~</c> different, <c>+</c> not expected. No lines means the case passes.
/// </summary>
internal static class ExpectationCheck
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<string> Differences(RuleTestExpectation expect, RuleExecutionResult actual)
    {
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(actual);
        var lines = new List<string>();
        if (expect.Verdict != actual.Verdict)
            lines.Add($"verdict: expected {WireNames.Of(expect.Verdict)}, got {WireNames.Of(actual.Verdict)}");
        if (expect.ErrorPattern is { } pattern && !Matches(actual.Error ?? "", pattern))
            lines.Add($"error: expected to match /{pattern}/, got {(actual.Error is null ? "no error" : Quote(actual.Error))}");
        else if (lines.Count > 0 && actual.Error is not null)
            lines.Add($"error: {actual.Error}");

        if (expect.Findings is null)
            return lines;
        var byResource = actual.Findings.GroupBy(f => f.Resource, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var resource in expect.Findings.Keys.Union(byResource.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var expected = expect.Findings.GetValueOrDefault(resource);
            var found = byResource.GetValueOrDefault(resource);
            if (expected is null)
            {
                foreach (var f in found!)
                    lines.Add($"+ {resource}: {WireNames.Of(f.Status)}, not expected: {Quote(f.Message)}");
                continue;
            }

            if (found is null)
            {
                lines.Add($"- {resource}: expected {WireNames.Of(expected.Status)}, no finding");
                continue;
            }

            foreach (var f in found)
            {
                if (f.Status != expected.Status)
                    lines.Add($"~ {resource}: expected {WireNames.Of(expected.Status)}, got {WireNames.Of(f.Status)}: {Quote(f.Message)}");
                else if (expected.MessagePattern is { } p && !Matches(f.Message, p))
                    lines.Add($"~ {resource}: message {Quote(f.Message)} does not match /{p}/");
            }
        }

        return lines;
    }

    private static bool Matches(string text, string pattern)
    {
        try
        {
            return Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new RuleTestCaseException($"/{pattern}/ is not a valid regular expression: {ex.Message}");
        }
    }

    private static string Quote(string s) => "\"" + s + "\"";
}
