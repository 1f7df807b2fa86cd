using EvidenceBot.Evidence.Bundles;
using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Runs;
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
        var reports = new Option<string[]>("--report") { Description = "Also write these reports of the bundle into OUT/reports/<bundle>/: html, oscal, sarif, junit, soa (comma-separated), as 'evidencebot report' does.", AllowMultipleArgumentsPerToken = true };
        var shard = new Option<string?>("--shard") { Description = "Run only shard I of N (0 to N-1, e.g. 0/4): whole targets by a stable hash, GitHub repositories by a stable hash of org/name. Merge the N bundles with 'evidencebot bundle merge'." };
        var isolate = new Option<string?>("--isolate") { Description = "Where rules run: 'none' (this process, the default) or 'process' (a worker process the run kills if it hangs or grows past isolate.memoryLimitMiB)." };
        isolate.AcceptOnlyFromAmong("none", "process");
        var command = new Command("run", "Run rules and write results.")
        {
            rulesDir, config, cacheDir, outDir, only, parallel, timeout, key, passphraseEnv, archive, reports, shard, isolate,
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
                Reports = ParseReports(parse.GetValue(reports)),
                Shard = ParseShard(parse.GetValue(shard)),
                ConfigPath = parse.GetValue(config) is { } path ? Path.GetFullPath(path) : null,
                Isolation = WorkerCommand.Options(parse.GetValue(isolate), cfg),
            };
            return await ExecuteAsync(cli, cfg, options, ct).ConfigureAwait(false);
        }));
        return command;
    }

    internal static Reports.ReportFormats ParseReports(string[]? values)
    {
        try
        {
            return values is { Length: > 0 } ? Reports.ReportFormatList.Parse(values) : Reports.ReportFormats.None;
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException("--report: " + ex.Message);
        }
    }

    private static Core.Sources.ShardFilter? ParseShard(string? text)
    {
        try
        {
            return text is null ? null : Core.Sources.ShardFilter.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new ConfigException("--shard " + ex.Message);
        }
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
        var outcome = await new RunPipeline(SourceModules.All, cli.Time).RunAsync(cfg, options, new ConsoleRunReporter(cli, phases), ct).ConfigureAwait(false);
        if (outcome.Warm)
            cli.Jit?.MarkWarm();
        phases.LoadedAssemblies(SourceModules.All.SelectMany(m => m.Contract.Assemblies));
        return outcome.ExitCode;
    }

    /// <summary>Prints a run as the command line always has: progress and problems on stderr, the summary and where the evidence is on stdout.</summary>
    private sealed class ConsoleRunReporter(CliContext cli, PhaseTimer phases) : IRunReporter
    {
        public void Message(string line) => cli.Err.WriteLine(line);

        public void Error(string line) => cli.Error(line);

        public void Phase(string name) => phases.Mark(name);

        public IRunObserver Progress(int executions) => LiveProgress.For(cli, executions);

        public void Finished(RunResult result, string? resultsPath, IReadOnlyList<string> sourceSummaries)
        {
            Summary.Write(cli, result);
            foreach (var line in sourceSummaries)
                cli.Err.WriteLine(line);
            if (resultsPath is not null)
                cli.Out.WriteLine($"Results: {resultsPath}");
        }

        public void Bundle(BundleOutcome outcome) => BundleReport.Print(cli, outcome);
    }
}

/// <summary>What the command line says about a written bundle.</summary>
internal static class BundleReport
{
    /// <summary>Prints where the bundle is and whether it is signed, or why it could not be written (then returns null).</summary>
    public static BundleWriteResult? Print(CliContext cli, BundleOutcome outcome)
    {
        if (outcome.Written is not { } written)
        {
            cli.Error(outcome.Error!);
            return null;
        }

        cli.Out.WriteLine($"Evidence bundle: {written.BundlePath} ({written.StatementCount} statement(s), {written.RawFileCount} raw evidence file(s))");
        if (written.ArchivePath is not null)
            cli.Out.WriteLine($"Archive: {written.ArchivePath}");
        if (written.ArchiveError is not null)
            cli.Error($"the archive (--archive) could not be written: {written.ArchiveError}; the bundle folder above is complete and chained, archive it yourself or run again");
        if (written.Signed)
            cli.Out.WriteLine($"Signed with key {written.KeyId}; manifest sha256 {written.ManifestSha256}{(written.PreviousManifestSha256 is null ? " (first of its chain)" : $", chained to {written.PreviousManifestSha256}")}");
        else
            cli.Out.WriteLine("WARNING: this evidence is UNSIGNED: it cannot be verified. Sign runs with --key (see 'evidencebot keys generate').");
        return written;
    }

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
