using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Cli.Configuration;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;
using Spectre.Console;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot run</c>: load rules, run them, write results.</summary>
internal static class RunCommand
{
    public static Command Build(CliContext cli)
    {
        var rulesDir = CommonOptions.Rules();
        var config = CommonOptions.Config();
        var cacheDir = CommonOptions.CacheDir();
        var outDir = new Option<string?>("--out", "-o") { Description = "Output folder for results.json (default: the config's 'out', else ./evidence)." };
        var only = new Option<string[]>("--rule") { Description = "Run only this rule id (repeatable).", AllowMultipleArgumentsPerToken = true };
        var parallel = new Option<int?>("--parallel") { Description = "How many rule executions run at once (default: processor count)." };
        var timeout = new Option<string?>("--rule-timeout") { Description = "Time bound per rule when its header sets none, e.g. 30s (default 60s)." };
        var command = new Command("run", "Run rules and write results.")
        {
            rulesDir, config, cacheDir, outDir, only, parallel, timeout,
        };
        command.SetAction((parse, ct) => RulesCommands.GuardAsync(cli, async () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var options = new RunOptions
            {
                RulesDirectory = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg),
                CacheDirectory = parse.GetValue(cacheDir) ?? RuleCache.DefaultDirectory(),
                OutDirectory = parse.GetValue(outDir) ?? cfg.Resolve(cfg.Out) ?? Path.GetFullPath("evidence"),
                Only = [.. (parse.GetValue(only) ?? []).Concat(cfg.Only ?? [])],
                Parallel = parse.GetValue(parallel) ?? cfg.Parallel ?? Environment.ProcessorCount,
                RuleTimeout = ParseTimeout(parse.GetValue(timeout) ?? cfg.RuleTimeout),
            };
            return await ExecuteAsync(cli, cfg, options, ct).ConfigureAwait(false);
        }));
        return command;
    }

    private static TimeSpan ParseTimeout(string? text)
    {
        if (text is null)
            return TimeSpan.FromSeconds(60);
        try
        {
            return RuleHeaderParser.ParseDuration(text);
        }
        catch (FormatException ex)
        {
            throw new ConfigException("--rule-timeout / ruleTimeout: " + ex.Message);
        }
    }

    internal static async Task<int> ExecuteAsync(CliContext cli, EvidenceBotConfig cfg, RunOptions options, CancellationToken ct)
    {
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            RulesDirectory = options.RulesDirectory,
            CacheDirectory = options.CacheDirectory,
            Only = options.Only,
        });
        CommonOptions.PrintDiagnostics(cli, set.Diagnostics);
        if (set.Diagnostics.Any(d => d.Code == "EB0010"))
            return ExitCodes.UsageOrConfig;

        var unknown = options.Only.Where(id => !set.Rules.Any(r => string.Equals(r.Manifest.Id, id, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            cli.Error($"no rule with id {string.Join(", ", unknown)} in {options.RulesDirectory}; 'evidencebot rules list' shows the ids");
            return ExitCodes.UsageOrConfig;
        }

        var executions = RunPlanner.Plan(set, cfg);
        // Files whose header could not be read still appear in the results, as errors: nothing is dropped silently.
        executions.AddRange(RunPlanner.Unreadable(set));
        if (executions.Count == 0)
        {
            cli.Error($"no rules found in {options.RulesDirectory}");
            return ExitCodes.UsageOrConfig;
        }

        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = options.RuleTimeout, MaxParallelism = options.Parallel }, cli.Time);
        var runId = Guid.NewGuid().ToString("N");
        cli.Err.WriteLine($"Running {executions.Count} rule execution(s) from {options.RulesDirectory} ({set.Stats.CacheHits} cached, {set.Stats.Compiled} compiled in {set.Stats.ElapsedMs} ms)");
        var observer = new ProgressObserver(cli, executions.Count);
        var result = await engine.RunAsync(executions, runId, observer, ct).ConfigureAwait(false);

        Directory.CreateDirectory(options.OutDirectory);
        var resultsPath = Path.Combine(options.OutDirectory, "results.json");
        var temp = resultsPath + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(result, JsonOutput.Options), ct).ConfigureAwait(false);
        File.Move(temp, resultsPath, overwrite: true);

        Summary.Write(cli, result);
        cli.Console.WriteLine($"Results: {resultsPath}");
        return VerdictAggregator.ExitCode(result.Rules.Select(r => r.Verdict));
    }

    private sealed class ProgressObserver(CliContext cli, int total) : IRunObserver
    {
        private int _done;

        public void Completed(RuleExecutionResult result)
        {
            var n = Interlocked.Increment(ref _done);
            lock (cli)
                cli.Err.WriteLine($"[{n}/{total}] {result.RuleId} ({result.Target}): {Summary.Word(result.Verdict)} in {result.DurationMs} ms");
        }
    }
}

/// <summary>Resolved settings for one run.</summary>
internal sealed record RunOptions
{
    public required string RulesDirectory { get; init; }
    public required string CacheDirectory { get; init; }
    public required string OutDirectory { get; init; }
    public IReadOnlyCollection<string> Only { get; init; } = [];
    public int Parallel { get; init; } = Environment.ProcessorCount;
    public TimeSpan RuleTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Turns a rule set and a configuration into (rule × target) executions with effective parameters.</summary>
internal static class RunPlanner
{
    public const string DefaultTarget = "default";

    public static List<RuleExecution> Plan(RuleSet set, EvidenceBotConfig cfg)
    {
        var executions = new List<RuleExecution>();
        foreach (var rule in set.Rules)
            executions.Add(new RuleExecution(rule, DefaultTarget, EffectiveParameters(rule.Manifest, cfg)));
        return executions;
    }

    public static Dictionary<string, JsonElement> EffectiveParameters(RuleManifest manifest, EvidenceBotConfig cfg)
    {
        var result = new Dictionary<string, JsonElement>(manifest.Parameters, StringComparer.Ordinal);
        if (cfg.Parameters is null || !cfg.Parameters.TryGetValue(manifest.Id, out var overrides))
            return result;
        foreach (var (name, value) in overrides)
        {
            if (!manifest.Parameters.TryGetValue(name, out var declared))
                throw new ConfigException($"$.parameters.{manifest.Id}.{name}: rule {manifest.Id} declares no parameter '{name}'; it declares: {string.Join(", ", manifest.Parameters.Keys.DefaultIfEmpty("(none)"))}");
            if (declared.ValueKind != value.ValueKind && !(IsBool(declared) && IsBool(value)))
                throw new ConfigException($"$.parameters.{manifest.Id}.{name}: expected a {Kind(declared)} like the header default {declared.GetRawText()}, found {value.GetRawText()}");
            result[name] = value;
        }

        return result;
    }

    private static bool IsBool(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False;

    private static string Kind(JsonElement e) => IsBool(e) ? "boolean" : e.ValueKind.ToString().ToLowerInvariant();

    public static IEnumerable<RuleExecution> Unreadable(RuleSet set)
    {
        var readable = set.Rules.Select(r => r.Manifest.SourcePath).ToHashSet(StringComparer.Ordinal);
        foreach (var group in set.Diagnostics.Where(d => d.RuleId is null || !set.Rules.Any(r => r.Manifest.Id == d.RuleId))
                     .GroupBy(d => d.Location.File)
                     .Where(g => !readable.Contains(g.Key) && g.Key.EndsWith(".csx", StringComparison.OrdinalIgnoreCase)))
        {
            var manifest = new RuleManifest
            {
                Id = "file:" + group.Key,
                Title = "(rule header could not be read)",
                SourcePath = group.Key,
                SourceSha256 = "",
            };
            yield return new RuleExecution(new LoadedRule(manifest, null, [.. group]), DefaultTarget, new Dictionary<string, JsonElement>());
        }
    }
}

/// <summary>The summary table and totals line.</summary>
internal static class Summary
{
    public static string Word(Verdict v) => v switch
    {
        Verdict.Pass => "pass",
        Verdict.Fail => "fail",
        Verdict.Error => "error",
        _ => "not_applicable",
    };

    private static string Colored(Verdict v) => v switch
    {
        Verdict.Pass => "[green]pass[/]",
        Verdict.Fail => "[red]fail[/]",
        Verdict.Error => "[yellow]error[/]",
        _ => "[grey]not_applicable[/]",
    };

    public static void Write(CliContext cli, RunResult result)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumns("Rule", "Target", "Verdict", "Findings", "ms", "Note");
        foreach (var r in result.Rules.OrderBy(r => r.Verdict switch { Verdict.Error => 0, Verdict.Fail => 1, Verdict.Pass => 2, _ => 3 }).ThenBy(r => r.RuleId, StringComparer.Ordinal))
        {
            var counts = $"{r.Findings.Count(f => f.Status == Verdict.Pass)} pass / {r.Findings.Count(f => f.Status == Verdict.Fail)} fail";
            var note = r.Error ?? r.Findings.FirstOrDefault(f => f.Status == Verdict.Fail)?.Message ?? "";
            if (note.Length > 90)
                note = note[..87] + "...";
            table.AddRow(Markup.Escape(r.RuleId), Markup.Escape(r.Target), Colored(r.Verdict), counts, r.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(note));
        }

        cli.Console.Write(table);
        var t = result.Totals();
        cli.Console.WriteLine($"{result.Rules.Count} rule execution(s): {t[Verdict.Pass]} pass, {t[Verdict.Fail]} fail, {t[Verdict.Error]} error, {t[Verdict.NotApplicable]} not applicable");
    }
}
