using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service.Tests;

/// <summary>Run results as the pipeline hands them to the service, built for tests.</summary>
internal static class Runs
{
    public static RuleExecutionResult Execution(string rule, string target, Verdict verdict, string? error = null, params HttpExchange[] evidence) => new()
    {
        RuleId = rule,
        Title = rule + " title",
        Target = target,
        Verdict = verdict,
        Error = error,
        Findings = verdict is Verdict.Pass or Verdict.Fail ? [new Finding(target + "/repo", verdict, verdict == Verdict.Fail ? "0 approving reviews required" : "ok")] : [],
        Evidence = evidence,
    };

    public static RunResult Result(params RuleExecutionResult[] rules) => new()
    {
        RunId = "run-" + rules.Length,
        EngineVersion = "0.1.0",
        Rules = rules,
    };

    public static HttpExchange Exchange(string source, string url, bool revalidated = false) => new()
    {
        Source = source,
        Method = "GET",
        Url = url,
        Status = 200,
        At = new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero),
        ResponseHeaders = revalidated ? new Dictionary<string, string> { ["X-EvidenceBot-Revalidated"] = "true" } : new Dictionary<string, string>(),
    };
}
