using System.CommandLine;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Runs.RuleTests;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot rules test</c> and <c>evidencebot record</c>: rule test cases (docs/rule-authors/testing.md).</summary>
internal static class RuleTestCommands
{
    public static Command Test(CliContext cli)
    {
        var rulesDir = CommonOptions.Rules();
        var config = CommonOptions.Config();
        var cacheDir = CommonOptions.CacheDir();
        var rule = new Option<string?>("--rule") { Description = "Test only this rule id." };
        var junit = new Option<string?>("--junit") { Description = "Also write the results as JUnit XML to this file." };
        var isolate = new Option<string?>("--isolate") { Description = "Where the rules run: 'none' (this process, the default) or 'process' (a worker process killed if it hangs or grows past the config's isolate.memoryLimitMiB; a case whose rule ends the worker fails, the rest run in a fresh one). Default: the config's isolate.mode." };
        isolate.AcceptOnlyFromAmong("none", "process");
        var command = new Command("test", "Run every rule's test cases (<rule>.tests/<case>/) offline on their fixed clocks; print each case as PASS or FAIL with the differences. Exits 1 on any failure.")
        {
            rulesDir, config, cacheDir, rule, junit, isolate,
        };
        command.SetAction((parse, ct) => RulesCommands.GuardAsync(cli, async () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var folder = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg);
            var only = parse.GetValue(rule);
            var isolation = WorkerCommand.Options(parse.GetValue(isolate), cfg);
            cli.Out.WriteLine(isolation is null ? "rules run in this process (--isolate none)" : "rules run in a worker process (--isolate process)");
            var run = await new RuleTestRunner(SourceModules.All, isolation, cli.Time).RunAsync(folder, only, parse.GetValue(cacheDir) ?? RuleCache.DefaultDirectory(), ct).ConfigureAwait(false);
            CommonOptions.PrintDiagnostics(cli, run.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
            if (only is not null && run.Results.Count == 0 && run.RulesWithoutCases.Count == 0)
            {
                cli.Error($"--rule {only}: no rule with this id in {folder}; 'evidencebot rules list' shows the ids");
                return ExitCodes.UsageOrConfig;
            }

            foreach (var r in run.Results)
            {
                cli.Out.WriteLine($"{(r.Passed ? "PASS" : "FAIL")} {r.RuleId} {r.Case}{(r.Passed ? "" : $"  ({Path.GetRelativePath(Directory.GetCurrentDirectory(), r.Folder)})")}");
                foreach (var d in r.Differences)
                    cli.Out.WriteLine("    " + d.Replace("\n", "\n    ", StringComparison.Ordinal));
            }

            foreach (var w in run.RulesWithoutCases)
                cli.Out.WriteLine($"NO CASES {w}: record one with 'evidencebot record'");
            if (parse.GetValue(junit) is { } junitPath)
                RuleTestJUnit.Write(run, junitPath);
            var rules = run.Results.Select(r => r.RuleId).Distinct(StringComparer.Ordinal).Count();
            cli.Out.WriteLine($"{run.Results.Count} case(s) of {rules} rule(s): {run.Results.Count - run.Failed} passed, {run.Failed} failed; {run.RulesWithoutCases.Count} rule(s) without cases ({run.Load.CacheHits} rule(s) from the compile cache, {run.Load.Compiled} compiled)");
            if (run.Results.Count == 0)
            {
                cli.Error($"no test cases in {folder}: a rule's cases are folders in <rule>.tests/ beside it (see docs/rule-authors/testing.md)");
                return ExitCodes.UsageOrConfig;
            }

            return run.Failed > 0 ? ExitCodes.ControlsFailed : ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Record(CliContext cli)
    {
        var rulesDir = CommonOptions.Rules();
        var config = new Option<string>("--config", "-c") { Description = "Configuration file whose sources the rule runs against (live, or its replay folders).", Required = true };
        var cacheDir = CommonOptions.CacheDir();
        var rule = new Option<string>("--rule") { Description = "The rule id.", Required = true };
        var caseName = new Option<string>("--case") { Description = "The new case's name: its folder in <rule>.tests/.", Required = true };
        var target = new Option<string?>("--target") { Description = "Which target to record, when the rule has several in this configuration." };
        var force = new Option<bool>("--force") { Description = "Replace an existing case of that name." };
        var command = new Command("record", "Run one rule against one target and write what it asked and concluded as a new test case (<rule>.tests/<case>/: exchanges, redacted; case.json; expect.json) for you to review.")
        {
            rulesDir, config, cacheDir, rule, caseName, target, force,
        };
        command.SetAction((parse, ct) => RulesCommands.GuardAsync(cli, async () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var recorded = await new CaseRecorder(SourceModules.All, cli.Time).RecordAsync(cfg,
                CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg),
                parse.GetValue(cacheDir) ?? RuleCache.DefaultDirectory(),
                parse.GetValue(rule)!, parse.GetValue(caseName)!, parse.GetValue(target), parse.GetValue(force), ct).ConfigureAwait(false);
            var r = recorded.Result;
            cli.Out.WriteLine($"recorded {r.RuleId} against {r.Target}: {WireNames.Of(r.Verdict)}, {r.Findings.Count} finding(s), {recorded.Exchanges} exchange(s)");
            cli.Out.WriteLine($"  {Path.GetRelativePath(Directory.GetCurrentDirectory(), recorded.Folder)}");
            if (r.Error is not null)
                cli.Out.WriteLine($"  error: {r.Error}");
            cli.Out.WriteLine("  review expect.json (it holds today's outcome, right or wrong) and the exchanges, then run 'evidencebot rules test --rule " + r.RuleId + "'");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
