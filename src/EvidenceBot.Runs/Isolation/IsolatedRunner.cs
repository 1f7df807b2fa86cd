using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs.Replay;

namespace EvidenceBot.Runs.Isolation;

/// <summary>How rules run: in the host's process (the default) or in a worker process the host can kill.</summary>
internal enum IsolationMode
{
    None,
    Process,
}

/// <summary>What became of one replay run in a worker.</summary>
/// <param name="Result">The replay's result; an <c>error</c> stand-in when <paramref name="SetupError"/> or <paramref name="WorkerError"/> is set.</param>
/// <param name="SetupError">The replay could not be set up: the message <see cref="ReplayedExecution.RunAsync"/> throws in the host.</param>
/// <param name="WorkerError">The worker ended (crashed, was killed, could not start) before it answered: why.</param>
internal sealed record ReplayOutcome(RuleExecutionResult Result, string? SetupError, string? WorkerError);

/// <summary>How the host starts and bounds a worker process.</summary>
internal sealed record IsolationOptions
{
    /// <summary>The program to start (the <c>evidencebot</c> apphost, or <c>dotnet</c>).</summary>
    public required string WorkerFileName { get; init; }

    /// <summary>Its arguments, ending with <see cref="WorkerProtocol.Command"/>.</summary>
    public IReadOnlyList<string> WorkerArguments { get; init; } = [WorkerProtocol.Command];

    /// <summary>The worker is killed when its working set goes over this; its GC heap is held to three quarters of it.</summary>
    public long MemoryLimitBytes { get; init; } = DefaultMemoryLimitBytes;

    /// <summary>How long past a rule's time bound and the engine's grace the host waits before it kills the worker.</summary>
    public TimeSpan KillMargin { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a worker may take to load the rules and start its first execution.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public const long DefaultMemoryLimitBytes = 2L * 1024 * 1024 * 1024;
}

/// <summary>
/// Runs executions in a worker process, with the same signature and results as <see cref="RuleEngine.RunAsync"/>.
/// The host watches the worker: over its memory limit, or silent past an execution's time bound, it is killed; a
/// worker that ends (killed, crashed, exited) leaves the executions it had started as <c>error</c>, and a fresh worker
/// runs the ones it had not started. Nothing a rule does in the worker can end or stall the host.
/// </summary>
internal sealed class IsolatedRunner(IsolationOptions isolation, WorkerRequest request, EngineOptions engine, TimeProvider time) : IDisposable
{
    /// <summary>A runner for one run of the pipeline: the worker loads what the host loaded.</summary>
    public static IsolatedRunner For(IsolationOptions isolation, RunOptions options, EngineOptions engine, TimeProvider time) =>
        new(isolation, new WorkerRequest
        {
            ConfigPath = options.ConfigPath,
            RulesDirectory = options.RulesDirectory,
            CacheDirectory = options.CacheDirectory,
            Only = [.. options.Only],
            RuleTimeoutMs = (long)engine.DefaultRuleTimeout.TotalMilliseconds,
            Parallel = engine.MaxParallelism,
            Shard = options.Shard?.ToString(),
            RuleHeapLimitBytes = HostHeapLimit(),
        }, engine, time);

    /// <summary>
    /// A runner for replays (<c>rules test</c>, <c>verify --replay</c>): the worker loads the rules of
    /// <paramref name="rulesDirectory"/> from the compile cache the host just filled and runs each replay as
    /// <see cref="ReplayedExecution.RunAsync"/> runs it in the host, one at a time.
    /// </summary>
    public static IsolatedRunner ForReplays(IsolationOptions isolation, string rulesDirectory, string cacheDirectory, IReadOnlyList<string> only, TimeProvider time) =>
        new(isolation, new WorkerRequest
        {
            RulesDirectory = rulesDirectory,
            CacheDirectory = cacheDirectory,
            Only = [.. only],
            RuleTimeoutMs = (long)ReplayedExecution.Timeout.TotalMilliseconds,
            Parallel = 1,
            RuleHeapLimitBytes = HostHeapLimit(),
            Replay = true,
        }, new EngineOptions { DefaultRuleTimeout = ReplayedExecution.Timeout, MaxParallelism = 1 }, time);

    // A limit the host set for its own rules holds for the worker's too.
    private static long HostHeapLimit() => AppContext.GetData(EvidenceBot.Rules.RuleCheckpoint.MemoryLimitKey) switch
    {
        long l => l,
        int i => i,
        _ => 0,
    };

    private readonly Lock _traffic = new();
    private readonly List<SourceUsage> _usage = [];
    private readonly List<string> _summaries = [];

    /// <summary>
    /// What the workers' sources cost in rate limits, added up per source: only workers that finished report it (one
    /// that died or was killed took its counts with it).
    /// </summary>
    public IReadOnlyList<SourceUsage> WorkerUsage
    {
        get
        {
            lock (_traffic)
                return SourceUsage.PerSource(_usage);
        }
    }

    /// <summary>The summary lines of the workers' sources, as each finished worker wrote them.</summary>
    public IReadOnlyList<string> WorkerSummaries
    {
        get
        {
            lock (_traffic)
                return [.. _summaries];
        }
    }

    /// <summary>How many worker processes the last run started (tests read it).</summary>
    public int WorkersStarted { get; private set; }

    /// <summary>Runs every execution and returns the results in the order given.</summary>
    public async Task<RunResult> RunAsync(IReadOnlyList<RuleExecution> executions, string runId, IRunObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executions);
        var started = time.GetUtcNow();
        var batch = new Batch(executions, null);
        await RunBatchAsync(batch, observer, cancellationToken).ConfigureAwait(false);
        return new RunResult
        {
            RunId = runId,
            StartedAt = started,
            EndedAt = time.GetUtcNow(),
            EngineVersion = engine.EngineVersion,
            Rules = [.. batch.Results.Select(r => r!)],
        };
    }

    /// <summary>
    /// Runs each replay in a worker (a runner made by <see cref="ForReplays"/>) and returns the outcomes in the order
    /// given: the replay's result, or the setup error <see cref="ReplayedExecution.RunAsync"/> would have thrown, or why
    /// the worker running it ended before it answered.
    /// </summary>
    public async Task<IReadOnlyList<ReplayOutcome>> ReplayAsync(IReadOnlyList<ReplayRequest> replays, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(replays);
        if (!request.Replay)
            throw new InvalidOperationException("this runner's worker runs a plan, not replays: make it with IsolatedRunner.ForReplays");
        var batch = new Batch([.. replays.Select(r => new RuleExecution(r.Rule, r.Target, r.Parameters))], [.. replays.Select(WorkerReplay.From)]);
        await RunBatchAsync(batch, null, cancellationToken).ConfigureAwait(false);
        return [.. batch.Results.Select((r, i) => new ReplayOutcome(r!, batch.SetupErrors.GetValueOrDefault(i), batch.HostErrors.GetValueOrDefault(i)))];
    }

    /// <summary>One call's executions and what became of them.</summary>
    private sealed class Batch(IReadOnlyList<RuleExecution> executions, IReadOnlyList<WorkerReplay>? replays)
    {
        public IReadOnlyList<RuleExecution> Executions { get; } = executions;
        public IReadOnlyList<WorkerReplay>? Replays { get; } = replays;
        public RuleExecutionResult?[] Results { get; } = new RuleExecutionResult?[executions.Count];

        /// <summary>Executions the host recorded as error because of the worker (it ended, was killed, could not start).</summary>
        public ConcurrentDictionary<int, string> HostErrors { get; } = new();

        /// <summary>Replays the worker could not set up (<c>invalid</c>).</summary>
        public ConcurrentDictionary<int, string> SetupErrors { get; } = new();
    }

    private async Task RunBatchAsync(Batch batch, IRunObserver? observer, CancellationToken cancellationToken)
    {
        var executions = batch.Executions;
        var results = batch.Results;
        // A rule that failed to load runs no code: the in-process engine records its error as it always has.
        var local = new RuleEngine(engine, time);
        var pending = new List<int>();
        for (var i = 0; i < executions.Count; i++)
        {
            if (executions[i].Rule.Program is null)
            {
                results[i] = await local.ExecuteAsync(executions[i], cancellationToken).ConfigureAwait(false);
                observer?.Completed(results[i]!);
            }
            else
            {
                pending.Add(i);
            }
        }

        while (pending.Count > 0)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                // As the in-process engine does: a stopped run records what did not run, it does not throw.
                foreach (var i in pending.Where(i => results[i] is null))
                {
                    results[i] = Failed(executions[i], "cancelled: the run was stopped");
                    batch.HostErrors[i] = results[i]!.Error!;
                    observer?.Completed(results[i]!);
                }

                break;
            }

            await RunWorkerAsync(batch, pending, observer, cancellationToken).ConfigureAwait(false);
            pending.RemoveAll(i => results[i] is not null);
        }
    }

    private async Task RunWorkerAsync(Batch batch, List<int> pending, IRunObserver? observer, CancellationToken ct)
    {
        var executions = batch.Executions;
        var results = batch.Results;
        var sent = pending.ToList();
        var anyMessage = false;
        var running = new Dictionary<int, long>();
        var gate = new Lock();
        string? killedBecause = null;
        using var worker = Interlocked.Exchange(ref _next, null) ?? StartWorker();
        if (worker.StartError is { } startError)
        {
            foreach (var i in pending)
                Fail(i, $"worker process could not be started ({isolation.WorkerFileName}): {startError}");
            return;
        }

        var process = worker.Process;
        var stderr = worker.Stderr;
        var launched = Stopwatch.GetTimestamp();

        void Kill(string why)
        {
            lock (gate)
                killedBecause ??= why;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It had already ended.
            }
        }

        using var stopWatching = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(100, stopWatching.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (ct.IsCancellationRequested)
                {
                    Kill("cancelled: the run was stopped");
                    return;
                }

                if (WorkingSet(process) is { } rss && rss > isolation.MemoryLimitBytes)
                {
                    Kill($"stopped: worker process killed: its memory reached {rss / (1024 * 1024)} MiB (limit {isolation.MemoryLimitBytes / (1024 * 1024)} MiB)");
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                string? overdue = null;
                lock (gate)
                {
                    foreach (var (index, since) in running)
                    {
                        var bound = (executions[index].Rule.Manifest.Timeout ?? engine.DefaultRuleTimeout) + engine.AbandonGrace + isolation.KillMargin;
                        if (Stopwatch.GetElapsedTime(since, now) > bound)
                        {
                            overdue = $"worker process killed: no answer within {bound.TotalSeconds:0.#}s of starting the rule (its time bound, the engine's grace and a margin)";
                            break;
                        }
                    }

                    if (overdue is null && running.Count == 0 && !anyMessage && Stopwatch.GetElapsedTime(launched, now) > isolation.StartupTimeout)
                        overdue = $"worker process killed: it started no rule within {isolation.StartupTimeout.TotalSeconds:0.#}s";
                }

                if (overdue is not null)
                {
                    Kill(overdue);
                    return;
                }
            }
        }, CancellationToken.None);

        var done = false;
        string? failed = null;
        try
        {
            if (!worker.RequestSent)
                SendRequest(worker);
            await process.StandardInput.WriteLineAsync(WorkerProtocol.Encode(new WorkerBatch(
                [.. sent.Select(i => new WorkerExecution(executions[i].Rule.Manifest.SourcePath, executions[i].Rule.Manifest.SourceSha256, executions[i].Rule.Manifest.Id, executions[i].Target))],
                batch.Replays is { } replays ? [.. sent.Select(i => replays[i])] : null))).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The worker ended before it read the request: its exit code says why, below.
        }

        while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            WorkerMessage message;
            try
            {
                message = WorkerProtocol.Decode<WorkerMessage>(line);
            }
            catch (System.Text.Json.JsonException)
            {
                Kill($"worker process killed: it wrote something that is not a worker message: {Cut(line)}");
                continue;
            }

            lock (gate)
                anyMessage = true;
            if (message.Kind == "done")
            {
                lock (_traffic)
                {
                    _usage.AddRange(message.Usage ?? []);
                    _summaries.AddRange(message.Summaries ?? []);
                }

                done = true;
                break;
            }

            if (message.Kind == "failed")
            {
                failed = message.Error;
                continue;
            }

            if (message.Index < 0 || message.Index >= sent.Count)
                continue;
            var index = sent[message.Index];
            switch (message.Kind)
            {
                case "started":
                    lock (gate)
                        running[index] = Stopwatch.GetTimestamp();
                    break;
                case "missing":
                    Fail(index, batch.Replays is null
                        ? "the worker process's plan has no such execution (the rules or the configuration changed while the run started)"
                        : "the worker process has no such rule (the rule file changed while the replay started)");
                    break;
                case "invalid":
                    lock (gate)
                        running.Remove(index);
                    batch.SetupErrors[index] = message.Error ?? "the worker could not set up the replay";
                    Record(index, Failed(executions[index], batch.SetupErrors[index]));
                    break;
                case "result" when message.Result is { } result:
                    lock (gate)
                        running.Remove(index);
                    Record(index, result with { Evidence = message.Evidence ?? [] });
                    break;
            }
        }

        await stopWatching.CancelAsync().ConfigureAwait(false);
        await watch.ConfigureAwait(false);
        using (var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(done ? 5 : 30)))
        {
            try
            {
                await process.WaitForExitAsync(exitWait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A worker that said it was done but left a rule's thread spinning: its results are in; end it.
                Kill("worker process killed: it did not exit after its last result");
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (done)
            return;

        string tail;
        lock (stderr)
        {
            // The first line says what happened ("Stack overflow."), the last ones where; a long stack trace sits between.
            var first = worker.FirstStderr is { } f && !stderr.Contains(f) ? Cut(f) + " … " : "";
            tail = stderr.Count == 0 ? "" : " (its output: " + first + Cut(string.Join(" | ", stderr)) + ")";
        }
        var why = failed is not null ? "worker process could not start the run: " + failed
            : killedBecause ?? $"worker process ended with exit code {process.ExitCode}{tail}";
        List<int> interrupted;
        lock (gate)
            interrupted = [.. running.Keys];
        // The executions it was running end as errors; if it ran none, none of the rest can run in a worker either.
        var victims = interrupted.Count > 0 && failed is null ? interrupted : sent.Where(i => results[i] is null).ToList();
        foreach (var i in victims)
            Fail(i, why);

        void Record(int index, RuleExecutionResult result)
        {
            results[index] = result;
            observer?.Completed(result);
        }

        void Fail(int index, string reason)
        {
            batch.HostErrors[index] = reason;
            Record(index, Failed(executions[index], reason));
        }
    }

    private StartedWorker? _next;

    /// <summary>
    /// Starts the first worker now, so that its runtime starts while this process loads and plans the rules, and warms
    /// this process's reading of worker messages meanwhile. Returns this runner.
    /// </summary>
    public IsolatedRunner Prestart()
    {
        _next ??= StartWorker();
        // With a compile cache already there, the worker loads and plans alongside the host. With none (a first run),
        // it waits for the host to fill the cache: both would compile every rule.
        if (_next.StartError is null && Directory.Exists(request.CacheDirectory) && Directory.EnumerateFileSystemEntries(request.CacheDirectory).Any())
        {
            try
            {
                SendRequest(_next);
            }
            catch (IOException)
            {
                // The worker has already ended: the run finds out and says why.
            }
        }
        _ = Task.Run(() => WorkerProtocol.Decode<WorkerMessage>(WorkerProtocol.WarmUpMessage));
        return this;
    }

    /// <summary>Ends a worker started by <see cref="Prestart"/> that no run used (the run stopped before its rules ran).</summary>
    public void Dispose() => Interlocked.Exchange(ref _next, null)?.Dispose();

    private void SendRequest(StartedWorker worker)
    {
        worker.RequestSent = true;
        worker.Process.StandardInput.WriteLine(WorkerProtocol.Encode(request with { HostNow = time.GetUtcNow() }));
        worker.Process.StandardInput.Flush();
    }

    private StartedWorker StartWorker()
    {
        var psi = new ProcessStartInfo(isolation.WorkerFileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var a in isolation.WorkerArguments)
            psi.ArgumentList.Add(a);
        // The GC refuses to grow past this, so a rule that allocates without bound gets OutOfMemoryException in the
        // worker (an error) before the working-set watch has to kill it.
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0x" + (isolation.MemoryLimitBytes / 4 * 3).ToString("X", CultureInfo.InvariantCulture);

        var worker = new StartedWorker(new Process { StartInfo = psi });
        worker.Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (worker.Stderr)
            {
                worker.FirstStderr ??= e.Data;
                worker.Stderr.Enqueue(e.Data);
                if (worker.Stderr.Count > 5)
                    worker.Stderr.Dequeue();
            }
        };
        try
        {
            worker.Process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            worker.StartError = ex.Message;
            return worker;
        }

        WorkersStarted++;
        worker.Process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>A worker process and the last lines it wrote to stderr (for the error of a worker that ended).</summary>
    private sealed class StartedWorker(Process process) : IDisposable
    {
        public Process Process { get; } = process;
        public Queue<string> Stderr { get; } = new();
        public string? FirstStderr { get; set; }
        public string? StartError { get; set; }
        public bool RequestSent { get; set; }

        public void Dispose()
        {
            try
            {
                if (StartError is null && !Process.HasExited)
                    Process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It had already ended.
            }

            Process.Dispose();
        }
    }

    private RuleExecutionResult Failed(RuleExecution execution, string error)
    {
        var manifest = execution.Rule.Manifest;
        var at = time.GetUtcNow();
        return new RuleExecutionResult
        {
            RuleId = manifest.Id,
            Title = manifest.Title,
            Severity = manifest.Severity,
            Target = execution.Target,
            Verdict = Verdict.Error,
            Error = error,
            StartedAt = at,
            EndedAt = at,
            Parameters = execution.Parameters,
            Controls = manifest.Controls,
            SourcePath = manifest.SourcePath,
            SourceSha256 = manifest.SourceSha256,
            LoadedSources = execution.Rule.LoadedSources,
        };
    }

    private static long? WorkingSet(Process process)
    {
        try
        {
            process.Refresh();
            return process.HasExited ? null : process.WorkingSet64;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Cut(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
