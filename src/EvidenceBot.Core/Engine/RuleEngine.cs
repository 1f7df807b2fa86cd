using System.Diagnostics;
using System.Text.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Engine;

/// <summary>One rule to run against one target.</summary>
/// <param name="Rule">The loaded rule.</param>
/// <param name="Target">What to run it against.</param>
/// <param name="Parameters">Effective parameters.</param>
/// <param name="Services">Source clients and other services the rule may ask for.</param>
public sealed record RuleExecution(
    LoadedRule Rule,
    string Target,
    IReadOnlyDictionary<string, JsonElement> Parameters,
    IReadOnlyDictionary<Type, object>? Services = null);

/// <summary>How the engine runs rules.</summary>
public sealed class EngineOptions
{
    /// <summary>Time bound for a rule whose header sets none. Default 60 s.</summary>
    public TimeSpan DefaultRuleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many rule executions run at once. Default: processor count.</summary>
    public int MaxParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Extra time a rule gets to stop after its timeout fires, before the engine abandons it.
    /// Cooperative rules stop within this; a rule stuck in a blocking call is left behind, and recorded as error.
    /// </summary>
    public TimeSpan AbandonGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The engine version recorded in results.</summary>
    public string EngineVersion { get; set; } = EngineInfo.Version;
}

/// <summary>Observes a run as it goes, e.g. to show progress.</summary>
public interface IRunObserver
{
    /// <summary>Called once per finished execution, from any thread.</summary>
    void Completed(RuleExecutionResult result);
}

/// <summary>
/// Runs rule executions with a per-rule time bound, bounded parallelism and isolation:
/// one rule's exception, timeout or fault never affects another's verdict.
/// </summary>
public sealed class RuleEngine
{
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates an engine.</summary>
    public RuleEngine(EngineOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Runs every execution and returns the results in the order given.</summary>
    public async Task<RunResult> RunAsync(IReadOnlyList<RuleExecution> executions, string runId, IRunObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executions);
        var started = _time.GetUtcNow();
        var results = new RuleExecutionResult[executions.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, executions.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelism), CancellationToken = CancellationToken.None },
            async (i, _) =>
            {
                results[i] = await ExecuteAsync(executions[i], cancellationToken).ConfigureAwait(false);
                observer?.Completed(results[i]);
            }).ConfigureAwait(false);

        return new RunResult
        {
            RunId = runId,
            StartedAt = started,
            EndedAt = _time.GetUtcNow(),
            EngineVersion = _options.EngineVersion,
            Rules = results,
        };
    }

    /// <summary>Runs one execution. Never throws: every failure becomes an <c>error</c> verdict.</summary>
    public async Task<RuleExecutionResult> ExecuteAsync(RuleExecution execution, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var manifest = execution.Rule.Manifest;
        var timeout = manifest.Timeout ?? _options.DefaultRuleTimeout;
        var started = _time.GetUtcNow();
        var clock = Stopwatch.StartNew();

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var context = new RuleContext(manifest, execution.Target, execution.Parameters, _time, cts.Token, execution.Services);
        string? error = null;

        if (execution.Rule.Program is null)
        {
            error = "rule could not be loaded: " + string.Join("; ", execution.Rule.LoadErrors.Select(d => d.ToString()));
        }
        else
        {
            cts.CancelAfter(timeout);
            // Task.Run: a rule that blocks synchronously before its first await must not block the engine.
            var program = execution.Rule.Program;
            var work = Task.Run(() =>
            {
                context.Enter();
                return program.ExecuteAsync(context);
            }, CancellationToken.None);
            var hardStop = Task.Delay(timeout + _options.AbandonGrace, CancellationToken.None);
            var first = await Task.WhenAny(work, hardStop).ConfigureAwait(false);
            if (first != work)
            {
                // Under a starved thread pool the timeout's own timer can fire late, together with this one:
                // cancel now and give a cooperative rule one more grace period before abandoning it.
                await cts.CancelAsync().ConfigureAwait(false);
                first = await Task.WhenAny(work, Task.Delay(_options.AbandonGrace, CancellationToken.None)).ConfigureAwait(false);
            }

            if (first != work)
            {
                error = $"timed out after {Format(timeout)} (rule did not stop; abandoned)";
                _ = work.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
            else
            {
                try
                {
                    await work.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    error = $"timed out after {Format(timeout)}";
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    error = "cancelled: the run was stopped";
                }
                catch (SourceFaultException ex)
                {
                    error = $"source fault ({ex.Kind.ToString().ToLowerInvariant()}): {ex.Message}";
                }
#pragma warning disable CA1031 // A rule's exception is its own verdict, never the engine's crash.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    error = $"rule threw {ex.GetType().Name}: {ex.Message}";
                }

                // A rule whose stack ran out is stopped, even if it caught the exception: its evidence is incomplete.
                if (context.StoppedBecause is { } stopped)
                    error = stopped;

                // A rule that caught the cancellation and returned anyway still ran out of time: what it recorded is
                // incomplete, whatever it says.
                if (error is null && cts.IsCancellationRequested)
                {
                    error = cancellationToken.IsCancellationRequested ? "cancelled: the run was stopped"
                        : $"timed out after {Format(timeout)} (the rule caught the cancellation and returned)";
                }
            }
        }

        var findings = context.Findings;
        var faults = context.Faults;
        return new RuleExecutionResult
        {
            RuleId = manifest.Id,
            Title = manifest.Title,
            Severity = manifest.Severity,
            Target = execution.Target,
            Verdict = VerdictAggregator.Aggregate(findings, error, faults),
            Error = error ?? (faults.Count > 0 ? "source fault: " + string.Join("; ", faults) : null),
            StartedAt = started,
            EndedAt = _time.GetUtcNow(),
            DurationMs = clock.ElapsedMilliseconds,
            Parameters = execution.Parameters,
            Controls = manifest.Controls,
            Findings = findings,
            Faults = faults,
            Log = context.Log,
            Evidence = context.Evidence,
            SourcePath = manifest.SourcePath,
            SourceSha256 = manifest.SourceSha256,
            LoadedSources = execution.Rule.LoadedSources,
        };
    }

    private static string Format(TimeSpan t) =>
        t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.###}s" : $"{t.TotalMilliseconds:0}ms";
}

/// <summary>Facts about this build of the engine.</summary>
public static class EngineInfo
{
    /// <summary>The informational version of EvidenceBot.Core.</summary>
    public static string Version { get; } =
        typeof(EngineInfo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
