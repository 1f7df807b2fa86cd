using System.Diagnostics;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs.Isolation;
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
/// cannot be compiled and a case folder with no rule beside it are failures too. With <paramref name="isolation"/>, the
/// cases run in a worker process (<c>--isolate process</c>): the host reads the cases and compares; the worker runs the
/// rules, and a worker that dies or is killed fails the case it was running, while a fresh worker runs the rest.
/// </summary>
internal sealed class RuleTestRunner(IReadOnlyList<ISourceModule> modules, IsolationOptions? isolation = null, TimeProvider? time = null)
{
    public async Task<RuleTestRun> RunAsync(string rulesDirectory, string? ruleId, string cacheDirectory, CancellationToken ct)
    {
        // Started first, so its runtime starts while this process loads the rules.
        using var worker = isolation is null ? null
            : IsolatedRunner.ForReplays(isolation, rulesDirectory, cacheDirectory, ruleId is null ? [] : [ruleId], time ?? TimeProvider.System).Prestart();
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of(modules),
            RulesDirectory = rulesDirectory,
            CacheDirectory = cacheDirectory,
            Only = ruleId is null ? [] : [ruleId],
        });
        var results = new List<RuleTestResult>();
        var deferred = new List<(int Index, RuleTestCase Case, ReplayRequest Request)>();
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
            {
                if (worker is null)
                {
                    results.Add(await RunCaseAsync(rule, caseFolder, ct).ConfigureAwait(false));
                }
                else
                {
                    // Read here, run in the worker: a case that cannot be read fails without costing a worker anything.
                    var prepared = Prepare(rule, caseFolder);
                    if (prepared.Failed is null)
                        deferred.Add((results.Count, prepared.Case!, prepared.Request!));
                    results.Add(prepared.Failed!); // null until the worker has run it
                }
            }
        }

        if (worker is not null)
            await RunInWorkerAsync(worker, deferred, results, ct).ConfigureAwait(false);

        // A case folder whose rule was renamed or removed would otherwise never run again, silently.
        if (ruleId is null && Directory.Exists(rulesDirectory))
        {
            foreach (var orphan in Directory.EnumerateDirectories(rulesDirectory, "*" + RuleTestCase.FolderSuffix, SearchOption.AllDirectories)
                         .Select(Path.GetFullPath).Where(f => !claimed.Contains(f)).Order(StringComparer.Ordinal))
            {
                var rule = Path.GetFileName(orphan)[..^RuleTestCase.FolderSuffix.Length] + ".csx";
                var why = File.Exists(Path.Combine(Path.GetDirectoryName(orphan)!, rule))
                    ? $"{rule} is beside this folder but its header could not be read: fix it (see 'evidencebot rules check'), then its cases run"
                    : $"no rule {rule} beside this folder: rename the folder after the rule's file, or remove it";
                results.Add(new RuleTestResult("?", Path.GetFileName(orphan), orphan, [why], null, 0));
            }
        }

        return new RuleTestRun(results, without, set.Diagnostics, set.Stats);
    }

    private static async Task RunInWorkerAsync(IsolatedRunner worker, List<(int Index, RuleTestCase Case, ReplayRequest Request)> cases, List<RuleTestResult> results, CancellationToken ct)
    {
        var outcomes = cases.Count == 0 ? [] : await worker.ReplayAsync([.. cases.Select(c => c.Request)], ct).ConfigureAwait(false);
        for (var i = 0; i < cases.Count; i++)
        {
            var (index, testCase, request) = cases[i];
            var o = outcomes[i];
            var rule = request.Rule.Manifest.Id;
            results[index] = o.SetupError is { } setup ? new RuleTestResult(rule, testCase.Name, testCase.Folder, [setup], null, 0)
                // A worker that ended mid-case fails it whatever it expects: in this process the rule would have ended the run.
                : o.WorkerError is { } died ? new RuleTestResult(rule, testCase.Name, testCase.Folder, ["the rule's worker process ended before the case finished: " + died], o.Result, o.Result.DurationMs)
                : Compare(rule, testCase, o.Result, o.Result.DurationMs);
        }
    }

    private static (RuleTestResult? Failed, RuleTestCase? Case, ReplayRequest? Request) Prepare(LoadedRule rule, string folder)
    {
        var name = Path.GetFileName(folder);
        if (rule.Program is null)
            return (new RuleTestResult(rule.Manifest.Id, name, folder, ["the rule could not be loaded: " + string.Join("; ", rule.LoadErrors.Select(d => d.ToString()))], null, 0), null, null);
        try
        {
            var testCase = RuleTestCase.Load(folder);
            return (null, testCase, Request(rule, testCase, folder));
        }
        catch (RuleTestCaseException ex)
        {
            return (new RuleTestResult(rule.Manifest.Id, name, folder, [ex.Message], null, 0), null, null);
        }
    }

    private static ReplayRequest Request(LoadedRule rule, RuleTestCase testCase, string folder) => new()
    {
        Rule = rule,
        Target = testCase.Target,
        Parameters = testCase.Parameters,
        Sections = testCase.Sources,
        ExchangesFolder = Path.Combine(folder, RuleTestCase.ExchangesFolder),
        Now = testCase.Now,
        BaseDirectory = folder,
        Where = testCase.CasePath,
    };

    private static RuleTestResult Compare(string ruleId, RuleTestCase testCase, RuleExecutionResult actual, long elapsedMs)
    {
        var differences = ExpectationCheck.Differences(testCase.Expect, actual).ToList();
        // A request with no recording is a gap in the case, not a behaviour of the rule: say so plainly.
        if (ReplayedExecution.IsReplayMiss(actual, out var asked) && testCase.Expect.Verdict != Verdict.Error)
            differences.Add($"asked for {asked}, not in {RuleTestCase.ExchangesFolder}/ (record the case again, or add the exchange)");
        return new RuleTestResult(ruleId, testCase.Name, testCase.Folder, differences, actual, elapsedMs);
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
            var actual = await ReplayedExecution.RunAsync(Request(rule, testCase, folder), modules, ct).ConfigureAwait(false);
            return Compare(id, testCase, actual, clock.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is RuleTestCaseException or ConfigException)
        {
            return new RuleTestResult(id, name, folder, [ex.Message], null, clock.ElapsedMilliseconds);
        }
    }
}
