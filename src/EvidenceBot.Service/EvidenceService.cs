using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Runs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EvidenceBot.Service;

/// <summary>Everything the service was started with.</summary>
/// <param name="Config">The configuration file, validated.</param>
/// <param name="Run">The run settings every scheduled run starts from (its rules folder and rule ids are replaced).</param>
/// <param name="Settings">The <c>serve</c> section.</param>
internal sealed record ServeContext(EvidenceBotConfig Config, RunOptions Run, ServeSettings Settings);

/// <summary>
/// The scheduler: wakes at the next due slot, runs what is due as one run of the pipeline (one signed bundle), keeps
/// one execution of a rule at a time, reloads rules that changed, and on shutdown stops scheduling, gives running
/// rules the grace period, then cancels them. A cancelled run commits no bundle (the bundle writer refuses to commit
/// once the run is cancelled), is logged as interrupted, and its slot stays due: after a restart it runs once.
/// </summary>
internal sealed partial class EvidenceService(
    ServeContext context,
    RunPipeline pipeline,
    ActiveRules rules,
    ScheduleState state,
    ServiceMetrics metrics,
    WebhookNotifier notifier,
    TimeProvider time,
    ILogger<EvidenceService> log) : BackgroundService
{
    private readonly ScheduleBook _book = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _runs = new();
    private readonly List<Task> _running = [];
    private readonly HashSet<string> _waiversAnnounced = new(StringComparer.Ordinal);
    private int _runNumber;
    private volatile bool _reloadWanted;
    private volatile bool _stopping;
    private string? _lastReloadError;
    private FileSystemWatcher? _watcher;

    /// <summary>True once the scheduler is up and until shutdown begins (<c>/healthz</c>).</summary>
    public bool Healthy { get; private set; }

    /// <summary>True when the scheduler stopped because it could not go on (not because it was asked to).</summary>
    public bool Faulted { get; private set; }

    /// <summary>How many rules are running now.</summary>
    public int RunningRules
    {
        get
        {
            lock (_book)
                return _book.Running.Count;
        }
    }

    /// <summary>The <c>/healthz</c> answer: ok while scheduling, with what runs and the last reload problem.</summary>
    public (bool Healthy, string Body) Health()
    {
        string[] running;
        lock (_book)
            running = [.. _book.Running.Order(StringComparer.Ordinal)];
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["status"] = Healthy ? "ok" : _stopping ? "stopping" : "starting",
            ["running"] = running,
            ["rulesReloadError"] = _lastReloadError,
        });
        return (Healthy, body);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host runs ExecuteAsync synchronously up to its first await: start-up work goes to the pool.
        await Task.Yield();
        try
        {
            Start();
            await LoopAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The rules folder or the output folder cannot be used: the host stops, and the process exits non-zero.
            Faulted = true;
            LogCannotServe(log, ex.Message);
            throw;
        }
        finally
        {
            await DrainAsync().ConfigureAwait(false);
        }
    }

    private void Start()
    {
        rules.Initialize();
        var now = time.GetUtcNow();
        var stateWritten = File.Exists(state.Path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(state.Path), TimeSpan.Zero) : (DateTimeOffset?)null;
        var schedules = Schedules(rules.Manifests());
        lock (_book)
        {
            _book.Restore(state.LastSlots());
            // A bundle committed after the state file was last written (the process was killed in between) still counts.
            _book.Restore(ScheduleState.FromBundles(context.Run.OutDirectory, stateWritten?.AddMinutes(-5)));
            _book.SetRules(schedules, now);
        }

        _watcher = new FileSystemWatcher(rules.SourceDirectory, "*.csx") { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        FileSystemEventHandler changed = (_, _) => RequestReload();
        _watcher.Changed += changed;
        _watcher.Created += changed;
        _watcher.Deleted += changed;
        _watcher.Renamed += (_, _) => RequestReload();
        _watcher.EnableRaisingEvents = true;
        Healthy = true;
        DateTimeOffset? next;
        lock (_book)
            next = _book.NextWake();
        LogStarted(log, schedules.Count, rules.SourceDirectory, context.Run.OutDirectory, next?.ToString("o") ?? "never");
    }

    private void RequestReload()
    {
        _reloadWanted = true;
        _wake.Release();
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var nextPoll = time.GetUtcNow() + context.Settings.ReloadPoll;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            if (_reloadWanted || now >= nextPoll)
            {
                _reloadWanted = false;
                nextPoll = now + context.Settings.ReloadPoll;
                await ReloadAsync(stoppingToken).ConfigureAwait(false);
            }

            bool anyDue;
            lock (_book)
                anyDue = _book.NextWake() is { } at && at <= now;
            if (anyDue && context.Settings.Jitter > TimeSpan.Zero)
            {
                // Everything that becomes due meanwhile joins the same run.
                var jitter = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * context.Settings.Jitter.TotalMilliseconds);
                await Task.Delay(jitter, time, stoppingToken).ConfigureAwait(false);
                now = time.GetUtcNow();
            }

            IReadOnlyList<DueRule> due;
            lock (_book)
                due = _book.TakeDue(now);
            if (due.Count > 0)
            {
                lock (_running)
                {
                    _running.RemoveAll(t => t.IsCompleted);
                    _running.Add(RunDueAsync(due));
                }
            }

            DateTimeOffset? wake;
            lock (_book)
                wake = _book.NextWake();
            var until = wake is { } w && w < nextPoll ? w : nextPoll;
            await WaitAsync(until - time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
        }
    }

    // Sleeps until the delay passes, a run ends or the rules folder changes, whichever is first.
    private async Task WaitAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        if (delay <= TimeSpan.Zero)
            return;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var sleep = Task.Delay(delay, time, cts.Token);
        var woken = _wake.WaitAsync(cts.Token);
        await Task.WhenAny(sleep, woken).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(sleep, woken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        ReloadOutcome outcome;
        try
        {
            outcome = await rules.RefreshAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogReloadFailed(log, rules.SourceDirectory, ex.Message);
            return;
        }

        if (outcome.Changed.Count == 0)
            return;
        foreach (var (file, why) in outcome.Refused)
            LogReloadRefused(log, Path.Combine(rules.SourceDirectory, file), why);
        metrics.Reloaded(failed: outcome.Refused.Count > 0);
        _lastReloadError = outcome.Refused.Count > 0 ? string.Join("; ", outcome.Refused.Select(r => $"{r.File}: {r.Why}")) : null;
        var schedules = Schedules(rules.Manifests());
        lock (_book)
            _book.SetRules(schedules, time.GetUtcNow());
        LogReloaded(log, outcome.Changed.Count - outcome.Refused.Count, outcome.Refused.Count, schedules.Count);
    }

    private Dictionary<string, RuleSchedule> Schedules(IReadOnlyList<RuleManifest> manifests)
    {
        var only = context.Config.Only is { Count: > 0 } o ? new HashSet<string>(o, StringComparer.OrdinalIgnoreCase) : null;
        var schedules = new Dictionary<string, RuleSchedule>(StringComparer.OrdinalIgnoreCase);
        foreach (var manifest in manifests)
        {
            if (only is not null && !only.Contains(manifest.Id))
                continue;
            if (manifest.Schedule is null)
            {
                schedules[manifest.Id] = context.Settings.DefaultSchedule;
                continue;
            }

            try
            {
                schedules[manifest.Id] = RuleSchedule.Parse(manifest.Schedule, context.Settings.Zone, $"{manifest.SourcePath}: schedule");
            }
            catch (ScheduleException ex)
            {
                // Not run on the default instead: a rule meant to run daily must not silently run hourly.
                LogBadSchedule(log, manifest.Id, rules.Shown(ex.Message));
            }
        }

        return schedules;
    }

    private async Task RunDueAsync(IReadOnlyList<DueRule> due)
    {
        await Task.Yield();
        var ids = due.Select(d => d.RuleId).ToList();
        var label = $"run {Interlocked.Increment(ref _runNumber)}";
        foreach (var d in due.Where(d => d.Missed > 0))
        {
            LogSkipped(log, d.RuleId, d.Missed, d.FirstMissed!.Value.ToString("o"), d.Slot.ToString("o"));
            metrics.SlotsSkipped(d.Missed);
        }

        try
        {
            state.MarkPending(due.Select(d => (d.RuleId, d.Slot)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The run goes ahead: its bundle is the evidence; only a restart in the middle of it could lose the slot.
            LogStateNotWritten(log, state.Path, ex.Message);
        }

        LogRunStarting(log, label, ids.Count, string.Join(", ", due.GroupBy(d => d.Slot).Select(g => $"{string.Join(" ", g.Select(d => d.RuleId))} for {g.Key:o}")));
        var started = time.GetTimestamp();
        var reporter = new LogRunReporter(log, label, rules.Gate);
        RunOutcome? outcome = null;
        var interrupted = false;
        try
        {
            await rules.Gate.WaitAsync(_runs.Token).ConfigureAwait(false);
            outcome = await pipeline.RunAsync(context.Config, context.Run with { RulesDirectory = rules.Directory, Only = ids }, reporter, _runs.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_runs.IsCancellationRequested)
        {
            interrupted = true;
        }
#pragma warning disable CA1031 // One run's failure (a configuration or I/O problem, a bug) must not stop the scheduler.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRunFailed(log, label, ex.GetType().Name + ": " + ex.Message);
        }
        finally
        {
            reporter.ReleaseGate();
        }

        var took = time.GetElapsedTime(started);
        var written = reporter.Outcome?.Written;
        if (interrupted || (_runs.IsCancellationRequested && written is null))
        {
            LogInterrupted(log, label, context.Settings.GracePeriod.TotalSeconds);
            metrics.RunEnded("interrupted", took, null, time.GetUtcNow(), reporter.SourceUsage);
            lock (_book)
                due.ToList().ForEach(d => _book.NotCompleted(d.RuleId));
        }
        else if (outcome?.Result is { } result && written is not null)
        {
            IReadOnlyList<Notice> waiverNotices;
            lock (_waiversAnnounced)
                waiverNotices = Notices.ExpiringWaivers(context.Config, time, _waiversAnnounced);
            var notices = Notices.For(result, state.LastVerdicts).Concat(waiverNotices).ToList();
            foreach (var d in due)
            {
                var verdicts = result.Rules.Where(r => string.Equals(r.RuleId, d.RuleId, StringComparison.OrdinalIgnoreCase))
                    .GroupBy(r => r.Target, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Verdict, StringComparer.Ordinal);
                try
                {
                    state.Record(d.RuleId, d.Slot, result.RunId, verdicts);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The committed bundle still counts as this slot's run after a restart (ScheduleState.FromBundles).
                    LogStateNotWritten(log, state.Path, ex.Message);
                }
            }

            lock (_book)
                due.ToList().ForEach(d => _book.Completed(d.RuleId, d.Slot));
            metrics.RunEnded("completed", took, result, time.GetUtcNow(), reporter.SourceUsage);
            var totals = result.Totals();
            LogRunCompleted(log, label, written.BundlePath, totals.GetValueOrDefault(Verdict.Pass), totals.GetValueOrDefault(Verdict.Fail),
                totals.GetValueOrDefault(Verdict.Error), took.TotalSeconds);
            foreach (var n in notices)
                LogNotice(log, n.Kind, n.RuleId, n.Target, n.Message);
            if (notices.Count > 0)
                await notifier.NotifyAsync(result.RunId, notices, _runs.Token).ConfigureAwait(false);
        }
        else
        {
            // No bundle (it could not be written, or the run could not start): the slot counts as taken, or a broken
            // output folder would make the rule run again at once, forever. The error lines above say why.
            LogNoBundle(log, label, reporter.Outcome?.Error ?? "see the lines above");
            metrics.RunEnded("failed", took, outcome?.Result, time.GetUtcNow(), reporter.SourceUsage);
            lock (_book)
                due.ToList().ForEach(d => _book.Completed(d.RuleId, d.Slot));
        }

        _wake.Release();
    }

    private async Task DrainAsync()
    {
        _stopping = true;
        Healthy = false;
        _watcher?.Dispose();
        Task[] running;
        lock (_running)
            running = [.. _running.Where(t => !t.IsCompleted)];
        if (running.Length > 0)
        {
            LogDraining(log, running.Length, RunningRules, context.Settings.GracePeriod.TotalSeconds);
            _runs.CancelAfter(context.Settings.GracePeriod);
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        LogStopped(log);
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        _runs.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "serving: {Rules} scheduled rule(s) from {RulesFolder}, evidence to {Out}; next run at {Next}")]
    private static partial void LogStarted(ILogger log, int rules, string rulesFolder, string @out, string next);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Run}: starting {Count} rule(s): {Slots}")]
    private static partial void LogRunStarting(ILogger log, string run, int count, string slots);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Run}: completed: bundle {Bundle}; {Pass} pass, {Fail} fail, {Error} error in {Seconds:0.0} s")]
    private static partial void LogRunCompleted(ILogger log, string run, string bundle, int pass, int fail, int error, double seconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Rule}: {Missed} missed slot(s) from {FirstMissed} skipped (the service was down or the rule was still running); running once for {Slot}")]
    private static partial void LogSkipped(ILogger log, string rule, int missed, string firstMissed, string slot);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Run}: interrupted by shutdown (still running after the {Grace} s grace period): cancelled, no bundle committed; its rules run once after restart")]
    private static partial void LogInterrupted(ILogger log, string run, double grace);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "{Run}: no bundle was written: {Why}; the rules run again at their next slot")]
    private static partial void LogNoBundle(ILogger log, string run, string why);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "{Run}: failed: {Why}")]
    private static partial void LogRunFailed(ILogger log, string run, string why);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "stopping: no new runs; {Runs} run(s) of {Rules} rule(s) still going get {Grace} s to finish")]
    private static partial void LogDraining(ILogger log, int runs, int rules, double grace);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "stopped")]
    private static partial void LogStopped(ILogger log);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "{File}: edit not loaded, the previous version keeps running: {Why}")]
    private static partial void LogReloadRefused(ILogger log, string file, string why);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "rules reloaded: {Swapped} file(s) swapped in, {Refused} refused; {Scheduled} rule(s) scheduled")]
    private static partial void LogReloaded(ILogger log, int swapped, int refused, int scheduled);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "{Folder}: the rules folder could not be read for changes: {Why}")]
    private static partial void LogReloadFailed(ILogger log, string folder, string why);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "{Rule}: not scheduled: {Why}")]
    private static partial void LogBadSchedule(ILogger log, string rule, string why);

    [LoggerMessage(EventId = 15, Level = LogLevel.Error, Message = "{Path}: the schedule state could not be written: {Why}")]
    private static partial void LogStateNotWritten(ILogger log, string path, string why);

    [LoggerMessage(EventId = 16, Level = LogLevel.Critical, Message = "cannot serve: {Why}")]
    private static partial void LogCannotServe(ILogger log, string why);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "{Kind}: {Rule} on {Target}: {Message}")]
    private static partial void LogNotice(ILogger log, string kind, string rule, string target, string message);
}
