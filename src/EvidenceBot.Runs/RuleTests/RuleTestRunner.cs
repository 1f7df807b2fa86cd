using System.Diagnostics;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs.Replay;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs.RuleTests;

/// <summary>How one case went.</summary>
/// <param name="RuleId">The rule.</param>
/// <param name="Case">The case's name (its folder's).</param>
/// <param name="Folder">The case folder.</param>
/// <param name="Differences">What differs from expect.json, or why the case could not run; empty when it passed.</param>
/// <param name="Actual">What the rule did, when it ran.</param>
/// <param name="ElapsedMs">How long the case took.</param>
internal sealed record RuleTestResult(string RuleId, string Case, string Folder, IReadOnlyList<string> Differences, RuleExecutionResult? Actual, long ElapsedMs)
{
    public bool Passed => Differences.Count == 0;
}

/// <summary>Every case of a rules folder, and what could not be tested.</summary>
internal sealed record RuleTestRun(IReadOnlyList<RuleTestResult> Results, IReadOnlyList<string> RulesWithoutCases, IReadOnlyList<RuleDiagnostic> Diagnostics, RuleLoadStats Load)
{
    public int Failed => Results.Count(r => !r.Passed);
}

/// <summary>
/// <c>evidencebot rules test</c>: runs every case beside every rule (or one rule's) offline, on the case's fixed clock,
/// through the replay transport, and compares the outcome with <c>expect.json</c>. A case that cannot be read, a rule that
/// cannot be compiled and a case folder with no rule beside it are failures too.
/// </summary>
internal sealed class RuleTestRunner(IReadOnlyList<ISourceModule> modules)
{
    public async Task<RuleTestRun> RunAsync(string rulesDirectory, string? ruleId, string cacheDirectory, CancellationToken ct)
    {
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of(modules),
            RulesDirectory = rulesDirectory,
            CacheDirectory = cacheDirectory,
            Only = ruleId is null ? [] : [ruleId],
        });
        var results = new List<RuleTestResult>();
        var without = new List<string>();
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in set.Rules.OrderBy(r => r.Manifest.SourcePath, StringComparer.Ordinal))
        {
            var folder = RuleTestCase.FolderOf(rule.Manifest.SourcePath);
            claimed.Add(folder);
            var cases = Directory.Exists(folder) ? Directory.GetDirectories(folder).Order(StringComparer.Ordinal).ToList() : [];
            if (cases.Count == 0)
            {
                without.Add($"{rule.Manifest.Id} ({rule.Manifest.SourcePath})");
                continue;
            }

            foreach (var caseFolder in cases)
                results.Add(await RunCaseAsync(rule, caseFolder, ct).ConfigureAwait(false));
        }

        // A case folder whose rule was renamed or removed would otherwise never run again, silently.
        if (ruleId is null && Directory.Exists(rulesDirectory))
        {
            foreach (var orphan in Directory.EnumerateDirectories(rulesDirectory, "*" + RuleTestCase.FolderSuffix, SearchOption.AllDirectories)
                         .Select(Path.GetFullPath).Where(f => !claimed.Contains(f)).Order(StringComparer.Ordinal))
            {
                var rule = Path.GetFileName(orphan)[..^RuleTestCase.FolderSuffix.Length] + ".csx";
                results.Add(new RuleTestResult("?", Path.GetFileName(orphan), orphan,
                    [$"no rule {rule} beside this folder (or its header could not be read): rename the folder after the rule's file, or remove it"], null, 0));
            }
        }

        return new RuleTestRun(results, without, set.Diagnostics, set.Stats);
    }

    private async Task<RuleTestResult> RunCaseAsync(LoadedRule rule, string folder, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var id = rule.Manifest.Id;
        var name = Path.GetFileName(folder);
        if (rule.Program is null)
        {
            return new RuleTestResult(id, name, folder,
                ["the rule could not be loaded: " + string.Join("; ", rule.LoadErrors.Select(d => d.ToString()))], null, clock.ElapsedMilliseconds);
        }

        try
        {
            var testCase = RuleTestCase.Load(folder);
            var actual = await ReplayedExecution.RunAsync(new ReplayRequest
            {
                Rule = rule,
                Target = testCase.Target,
                Parameters = testCase.Parameters,
                Sections = testCase.Sources,
                ExchangesFolder = Path.Combine(folder, RuleTestCase.ExchangesFolder),
                Now = testCase.Now,
                BaseDirectory = folder,
                Where = testCase.CasePath,
            }, modules, ct).ConfigureAwait(false);
            var differences = ExpectationCheck.Differences(testCase.Expect, actual).ToList();
            // A request with no recording is a gap in the case, not a behaviour of the rule: say so plainly.
            if (ReplayedExecution.IsReplayMiss(actual, out var asked) && testCase.Expect.Verdict != Verdict.Error)
                differences.Add($"asked for {asked}, not in {RuleTestCase.ExchangesFolder}/ (record the case again, or add the exchange)");
            return new RuleTestResult(id, name, folder, differences, actual, clock.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is RuleTestCaseException or ConfigException)
        {
            return new RuleTestResult(id, name, folder, [ex.Message], null, clock.ElapsedMilliseconds);
        }
    }
}
