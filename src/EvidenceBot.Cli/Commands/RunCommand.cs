using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Cli.Configuration;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.IO;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;

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
        var parallel = new Option<int?>("--parallel") { Description = "How many rule executions run at once, 1 to 256 (default: processor count)." };
        parallel.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 256)
                r.AddError("--parallel must be between 1 and 256 (as the configuration's 'parallel')");
        });
        var timeout = new Option<string?>("--rule-timeout") { Description = "Time bound per rule when its header sets none, e.g. 30s (default 60s)." };
        var key = new Option<string?>("--key") { Description = "PKCS#8 PEM private key that signs the evidence bundle (else $EVIDENCEBOT_SIGNING_KEY, else the config's signing.key / signing.keyVault.keyId). Without one, evidence is unsigned." };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding the signing key's passphrase." };
        var archive = new Option<bool>("--archive") { Description = "Also write the evidence bundle as <bundle>.tar.gz." };
        var command = new Command("run", "Run rules and write results.")
        {
            rulesDir, config, cacheDir, outDir, only, parallel, timeout, key, passphraseEnv, archive,
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
                SigningKey = parse.GetValue(key),
                PassphraseEnv = parse.GetValue(passphraseEnv),
                Archive = parse.GetValue(archive),
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
        var phases = new PhaseTimer(cli).Start();
        // The control catalogs check the rules' control ids and expand the bundle's crosswalk. Their answers are kept
        // beside the rules cache; when none are (a new cache folder or build), read the catalogs while the rules load.
        var controls = ControlAnswers.Open(options.CacheDirectory);
        if (controls.IsEmpty)
            _ = Task.Run(ControlCatalog.LoadDefault, ct);
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of(SourceModules.All),
            RulesDirectory = options.RulesDirectory,
            CacheDirectory = options.CacheDirectory,
            Only = options.Only,
        });
        phases.Mark("load rules");
        set = ControlsCommands.CheckControls(set, controls.Validate);
        controls.Save();
        phases.Mark("check control ids");
        CommonOptions.PrintDiagnostics(cli, set.Diagnostics);
        if (set.Diagnostics.Any(d => d.Code == "EB0010"))
            return ExitCodes.UsageOrConfig;

        var unknown = options.Only.Where(id => !set.Rules.Any(r => string.Equals(r.Manifest.Id, id, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            cli.Error($"no rule with id {string.Join(", ", unknown)} in {options.RulesDirectory}; 'evidencebot rules list' shows the ids");
            return ExitCodes.UsageOrConfig;
        }

        // Parameters for a rule id that is not there (a typo) would leave the real rule on its defaults, silently.
        // With --rule, the other rules are not loaded, so only a full run can tell.
        var unknownParameters = options.Only.Count > 0 ? []
            : (cfg.Parameters?.Keys.AsEnumerable() ?? []).Where(id => !set.Rules.Any(r => string.Equals(r.Manifest.Id, id, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknownParameters.Count > 0)
        {
            cli.Error(string.Join(Environment.NewLine, unknownParameters.Select(id =>
                $"$.parameters.{id}: no rule in {options.RulesDirectory} has the id '{id}' (or its header could not be read); 'evidencebot rules list' shows the ids")));
            return ExitCodes.UsageOrConfig;
        }

        using var sources = OpenSources.Open(cfg, SourceModules.All, RunPlanner.SourcesUsed(set), cli.Time);
        var plan = RunPlanner.Plan(set, cfg, sources);
        var executions = plan.Executions;
        // Files whose header could not be read still appear in the results, as errors: nothing is dropped silently.
        executions.AddRange(RunPlanner.Unreadable(set));
        foreach (var s in plan.Skipped)
            cli.Err.WriteLine($"skipped {s.RuleId} ({s.SourcePath}): {s.Reason}");
        if (executions.Count == 0)
        {
            cli.Error(plan.Skipped.Count > 0
                ? $"nothing to run: every rule in {options.RulesDirectory} lists a source this configuration does not set up; add its section (see schemas/config.schema.json)"
                : $"no rules found in {options.RulesDirectory}");
            return ExitCodes.UsageOrConfig;
        }

        // The output folder must be usable before any rule runs: a run whose evidence cannot be written is not a run.
        try
        {
            Directory.CreateDirectory(options.OutDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            cli.Error($"--out {options.OutDirectory}: cannot be used as the output folder ({ex.Message}); give a folder you can write to");
            return ExitCodes.UsageOrConfig;
        }

        var signer = await EvidenceStep.CreateSignerAsync(cli, cfg, options.SigningKey, options.PassphraseEnv, ct).ConfigureAwait(false);
        using var signerLifetime = signer as IDisposable;
        phases.Mark("plan and signer");
        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = options.RuleTimeout, MaxParallelism = options.Parallel }, cli.Time);
        var runId = Guid.NewGuid().ToString("N");
        cli.Err.WriteLine($"Running {executions.Count} rule execution(s) from {options.RulesDirectory} ({set.Stats.CacheHits} cached, {set.Stats.Compiled} compiled in {set.Stats.ElapsedMs} ms)");
        RunResult result;
        using (var observer = new ProgressObserver(cli, executions.Count))
            result = await engine.RunAsync(executions, runId, observer, ct).ConfigureAwait(false);
        // What rules wrote themselves may quote a configured secret: masked before results.json, statements and the summary.
        result = RunResultRedaction.Apply(result, sources.Redactor) with { Skipped = plan.Skipped };
        phases.Mark("run rules");

        // The bundle (signing, hashing, many small files) is written while results.json and the summary are.
        Directory.CreateDirectory(options.OutDirectory);
        var bundle = Task.Run(() => EvidenceStep.WriteBundleAsync(cli.Time, result, set.Sources, signer, options.OutDirectory, options.Archive, controls, ct), ct);
        var resultsPath = Path.Combine(options.OutDirectory, "results.json");
        try
        {
            FileBytes.WriteAtomically(resultsPath, RunResultJson.Serialize(result));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            cli.Error($"{resultsPath}: results.json could not be written ({ex.Message}); pass --out a folder you can write to");
            EvidenceStep.Report(cli, await bundle.ConfigureAwait(false)); // the bundle holds its own copy of the results
            return ExitCodes.CouldNotCollect;
        }

        phases.Mark("write results.json");

        Summary.Write(cli, result);
        foreach (var line in sources.Summaries())
            cli.Err.WriteLine(line);
        cli.Out.WriteLine($"Results: {resultsPath}");
        phases.Mark("summary");
        var written = EvidenceStep.Report(cli, await bundle.ConfigureAwait(false));
        phases.Mark("write bundle");
        if (written is null || written.ArchiveError is not null)
            return ExitCodes.CouldNotCollect;
        if (set.Stats.Compiled == 0)
            cli.Jit?.MarkWarm();
        phases.LoadedAssemblies(SourceModules.All.SelectMany(m => m.Contract.Assemblies));
        return VerdictAggregator.ExitCode(result.Rules.Select(r => r.Verdict));
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
    public string? SigningKey { get; init; }
    public string? PassphraseEnv { get; init; }
    public bool Archive { get; init; }
}

/// <summary>
/// With <c>EVIDENCEBOT_TIMINGS=1</c>, prints to stderr how long each phase of a run took and how many methods the JIT
/// compiled in it (and in how long), starting with the process's start-up before the command ran.
/// </summary>
internal sealed class PhaseTimer(CliContext cli)
{
    private readonly bool _on = Environment.GetEnvironmentVariable("EVIDENCEBOT_TIMINGS") is "1" or "true";
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _last;
    private long _lastJitted;
    private TimeSpan _lastJitTime;

    public PhaseTimer Start()
    {
        if (_on)
            Write("process start, CLI", TimeProvider.System.GetLocalNow().DateTime - System.Diagnostics.Process.GetCurrentProcess().StartTime);
        return this;
    }

    public void Mark(string phase)
    {
        if (!_on)
            return;
        var now = _clock.Elapsed;
        Write(phase, now - _last);
        _last = now;
    }

    /// <summary>Which of <paramref name="names"/> (the sources' contract assemblies) this process has loaded: a run must load only its rules' sources.</summary>
    public void LoadedAssemblies(IEnumerable<string> names)
    {
        if (!_on)
            return;
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).ToHashSet(StringComparer.Ordinal);
        var which = names.Distinct(StringComparer.Ordinal).Where(loaded.Contains).ToList();
        cli.Err.WriteLine($"timing: source assemblies loaded: {(which.Count == 0 ? "none" : string.Join(", ", which))}");
    }

    private void Write(string phase, TimeSpan took)
    {
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitTime = System.Runtime.JitInfo.GetCompilationTime();
        cli.Err.WriteLine($"timing: {phase,-20} {took.TotalMilliseconds,7:0.0} ms  jit {jitted - _lastJitted,5} methods {(jitTime - _lastJitTime).TotalMilliseconds,6:0.0} ms");
        _lastJitted = jitted;
        _lastJitTime = jitTime;
    }
}
