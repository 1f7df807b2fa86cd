using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.IO;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs.Isolation;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs;

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
    /// <summary>The shard of a split run (<c>run --shard I/N</c>); null runs everything.</summary>
    public ShardFilter? Shard { get; init; }
    /// <summary>Reports written beside the bundle at the end (<c>run --report</c>); none by default.</summary>
    public EvidenceBot.Reports.ReportFormats Reports { get; init; }
    /// <summary>The configuration file, which a worker process reads again; null when the run has none.</summary>
    public string? ConfigPath { get; init; }
    /// <summary>Run rules in a worker process (<c>--isolate process</c>); null runs them in this process.</summary>
    public IsolationOptions? Isolation { get; init; }
}

/// <summary>What a run ended with.</summary>
/// <param name="ExitCode">The exit code (<see cref="ExitCodes"/>).</param>
/// <param name="Result">The run's results, when rules ran.</param>
/// <param name="Warm">True when every rule came from the compile cache.</param>
internal sealed record RunOutcome(int ExitCode, RunResult? Result, bool Warm);

/// <summary>
/// One run, from rules and configuration to a signed bundle: load and check rules, plan (rule × target) over the sources
/// the modules open, execute, mask secrets, write <c>results.json</c> and the bundle. The command line and a scheduler
/// host it alike. Configuration problems throw <see cref="ConfigException"/>.
/// </summary>
internal sealed class RunPipeline(IReadOnlyList<ISourceModule> modules, TimeProvider time)
{
    public async Task<RunOutcome> RunAsync(EvidenceBotConfig cfg, RunOptions options, IRunReporter report, CancellationToken ct)
    {
        // The control catalogs check the rules' control ids and expand the bundle's crosswalk. Their answers are kept
        // beside the rules cache; when none are (a new cache folder or build), read the catalogs while the rules load.
        var engineOptions = new EngineOptions { DefaultRuleTimeout = options.RuleTimeout, MaxParallelism = options.Parallel };
        // The worker's runtime starts while this process loads the rules.
        using var isolated = options.Isolation is { } isolation ? IsolatedRunner.For(isolation, options, engineOptions, time).Prestart() : null;
        var controls = ControlAnswers.Open(options.CacheDirectory);
        if (controls.IsEmpty)
            _ = Task.Run(ControlCatalog.LoadDefault, ct);
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of(modules),
            RulesDirectory = options.RulesDirectory,
            CacheDirectory = options.CacheDirectory,
            Only = options.Only,
        });
        report.Phase("load rules");
        set = RuleControls.Check(set, controls.Validate);
        controls.Save();
        report.Phase("check control ids");
        foreach (var d in set.Diagnostics)
            report.Message(d.ToString());
        if (set.Diagnostics.Any(d => d.Code == "EB0010"))
            return new RunOutcome(ExitCodes.UsageOrConfig, null, false);

        var unknown = options.Only.Where(id => !set.Rules.Any(r => string.Equals(r.Manifest.Id, id, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            report.Error($"no rule with id {string.Join(", ", unknown)} in {options.RulesDirectory}; 'evidencebot rules list' shows the ids");
            return new RunOutcome(ExitCodes.UsageOrConfig, null, false);
        }

        // Parameters for a rule id that is not there (a typo) would leave the real rule on its defaults, silently.
        // With --rule, the other rules are not loaded, so only a full run can tell.
        var unknownParameters = options.Only.Count > 0 ? []
            : (cfg.Parameters?.Keys.AsEnumerable() ?? []).Where(id => !set.Rules.Any(r => string.Equals(r.Manifest.Id, id, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknownParameters.Count > 0)
        {
            report.Error(string.Join(Environment.NewLine, unknownParameters.Select(id =>
                $"$.parameters.{id}: no rule in {options.RulesDirectory} has the id '{id}' (or its header could not be read); 'evidencebot rules list' shows the ids")));
            return new RunOutcome(ExitCodes.UsageOrConfig, null, false);
        }

        // Invalid, unsigned or untrusted waivers stop the run before any rule runs.
        if (!Waivers.RunWaivers.TryLoad(cfg, set, options.Only.Count == 0, report, out var waivers))
            return new RunOutcome(ExitCodes.UsageOrConfig, null, false);

        using var sources = OpenSources.Open(cfg, modules, RunPlanner.SourcesUsed(set), time, shard: options.Shard);
        var plan = RunPlanner.Plan(set, cfg, sources);
        var executions = plan.Executions;
        // Files whose header could not be read still appear in the results, as errors: nothing is dropped silently.
        executions.AddRange(RunPlanner.Unreadable(set));
        foreach (var s in plan.Skipped)
            report.Message($"skipped {s.RuleId} ({s.SourcePath}): {s.Reason}");
        if (executions.Count == 0)
        {
            report.Error(plan.Skipped.Count > 0
                ? $"nothing to run: every rule in {options.RulesDirectory} lists a source this configuration does not set up; add its section (see schemas/config.schema.json)"
                : $"no rules found in {options.RulesDirectory}");
            return new RunOutcome(ExitCodes.UsageOrConfig, null, false);
        }

        // A shard may own nothing (more shards than targets): it still writes its bundle, which the merge counts on.
        if (options.Shard is { } shard)
            executions = RunPlanner.Shard(executions, shard, sources);

        // The output folder must be usable before any rule runs: a run whose evidence cannot be written is not a run.
        try
        {
            Directory.CreateDirectory(options.OutDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            report.Error($"--out {options.OutDirectory}: cannot be used as the output folder ({ex.Message}); give a folder you can write to");
            return new RunOutcome(ExitCodes.UsageOrConfig, null, false);
        }

        var ledger = LedgerLocation.Resolve(cfg, options.OutDirectory, null);
        var signer = await RunEvidence.CreateSignerAsync(report, cfg, options.SigningKey, options.PassphraseEnv, ct).ConfigureAwait(false);
        using var signerLifetime = signer as IDisposable;
        var store = RunStore.Open(cfg, time);
        report.Phase("plan and signer");
        var engine = new RuleEngine(engineOptions, time);
        var runId = Guid.NewGuid().ToString("N");
        report.Message($"Running {executions.Count} rule execution(s) from {options.RulesDirectory} ({set.Stats.CacheHits} cached, {set.Stats.Compiled} compiled in {set.Stats.ElapsedMs} ms)");
        RunResult result;
        using (var observer = report.Progress(executions.Count) as IDisposable)
        {
            var progress = Waivers.WaiverApplication.Showing(observer as IRunObserver, waivers, Waivers.WaiverApplication.Today(time));
            result = isolated is not null
                ? await isolated.RunAsync(executions, runId, progress, ct).ConfigureAwait(false)
                : await engine.RunAsync(executions, runId, progress, ct).ConfigureAwait(false);
        }

        // What rules wrote themselves may quote a configured secret: masked before results.json, statements and the summary.
        result = RunResultRedaction.Apply(result, sources.Redactor) with
        {
            Skipped = plan.Skipped.Count > 0 ? plan.Skipped : null,
            Shard = options.Shard is { } shardOf ? new RunShard(shardOf.Index, shardOf.Count, RunPlanner.RulesDigest(set.Sources, options.RulesDirectory)) : null,
        };
        // What each statement needs for 'verify --replay' to open its sources again.
        result = Replay.ReplaySettings.Attach(result, set, cfg, sources.Redactor);
        result = Waivers.RunWaivers.Apply(result, waivers, time, report);
        report.Phase("run rules");
        // In a worker process the rules' traffic went through the worker's sources: its counts and lines are added.
        report.Usage(SourceUsage.PerSource(sources.Usage().Concat(isolated?.WorkerUsage ?? [])));

        // The bundle writer puts results.json in the output folder last, under its lock, once the bundle is committed:
        // a run killed meanwhile never leaves a summary of a run that has no bundle.
        Directory.CreateDirectory(options.OutDirectory);
        var outcome = await RunEvidence.WriteBundleAsync(time, result, set.Sources, signer, options.OutDirectory, options.Archive, controls, ct,
            RunResultJson.Serialize(result), waivers?.CitedBy(result)).ConfigureAwait(false);
        report.Phase("write bundle");
        foreach (var left in outcome.Written?.CleanedUp ?? [])
            report.Message($"removed {left}: left by an earlier run that was killed before it finished");
        if (outcome.Written is { RootResultsError: { } why })
            report.Error($"{Path.Combine(options.OutDirectory, "results.json")}: results.json could not be written ({why}); the bundle holds its own copy; pass --out a folder you can write to");
        report.Finished(result, outcome.Written?.RootResultsPath, [.. sources.Summaries(), .. isolated?.WorkerSummaries.Select(l => l + " (in the worker process)") ?? []]);
        report.Phase("summary");
        report.Bundle(outcome);
        // The ledger indexes committed bundles only; a ledger failure is reported (exit 3) and caught up by the next run.
        var indexed = outcome.Written is null || RunLedgerStep.Append(ledger, outcome.Written, report);
        if (outcome.Written is null || outcome.Written.ArchiveError is not null || outcome.Written.RootResultsError is not null || !indexed)
            return new RunOutcome(ExitCodes.CouldNotCollect, result, false);
        var reportsWritten = options.Reports == EvidenceBot.Reports.ReportFormats.None || RunReports.Write(outcome.Written, options.Reports, options.OutDirectory, time, ledger.DefaultFreshness, report);
        // Uploaded even when the reports failed: they live outside the bundle, which is complete either way.
        var stored = await RunStore.UploadAsync(store, options.OutDirectory, report, ct).ConfigureAwait(false);
        if (!reportsWritten || !stored)
            return new RunOutcome(ExitCodes.CouldNotCollect, result, false);
        return new RunOutcome(VerdictAggregator.ExitCode(result.Rules.Select(r => r.Verdict)), result, set.Stats.Compiled == 0);
    }
}
