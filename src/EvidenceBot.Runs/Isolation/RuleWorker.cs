using System.Text;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs.Replay;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs.Isolation;

/// <summary>
/// The worker side of <c>--isolate process</c>: reads one <see cref="WorkerRequest"/>, loads the same rule set (from the
/// warm compile cache the host just filled), opens the same sources, plans as the host did, runs the executions it was
/// given with <see cref="RuleEngine"/> and writes a <see cref="WorkerMessage"/> line as each starts and ends.
/// </summary>
internal static class RuleWorker
{
    public static async Task<int> RunAsync(Stream input, Stream output, IReadOnlyList<ISourceModule> modules, TimeProvider time, CancellationToken ct)
    {
        // While the host loads and plans, this worker readies its serializer for the results it will write.
        _ = Task.Run(() => WorkerProtocol.Encode(WorkerProtocol.Decode<WorkerMessage>(WorkerProtocol.WarmUpMessage)), ct);
        using var reader = new StreamReader(input, Encoding.UTF8);
        var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
        if (line is null)
            return 2;
        var gate = new Lock();
        void Send(WorkerMessage message)
        {
            lock (gate)
                WorkerProtocol.WriteLine(output, message);
        }

        WorkerRequest request;
        EvidenceBotConfig cfg;
        RuleSet set;
        try
        {
            request = WorkerProtocol.Decode<WorkerRequest>(line);
            if (request.HostNow != default)
                time = new HostClock(request.HostNow);
            cfg = request.ConfigPath is null || request.Replay ? new EvidenceBotConfig() : ConfigLoader.Load(request.ConfigPath, modules);
            if (request.RuleHeapLimitBytes > 0)
                AppContext.SetData(EvidenceBot.Rules.RuleCheckpoint.MemoryLimitKey, request.RuleHeapLimitBytes);
            set = RuleSetLoader.Load(new RuleLoadOptions
            {
                Contracts = SourceContracts.Of(modules),
                RulesDirectory = request.RulesDirectory,
                CacheDirectory = request.CacheDirectory,
                Only = request.Only,
            });
        }
#pragma warning disable CA1031 // Whatever stops the worker before a rule runs is reported to the host, which records it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Send(new WorkerMessage { Kind = "failed", Error = $"{ex.GetType().Name}: {ex.Message}" });
            return 2;
        }

        if (request.Replay)
            return await ReplayAsync(reader, set, modules, Send, ct).ConfigureAwait(false);

        using var sources = OpenSources.Open(cfg, modules, RunPlanner.SourcesUsed(set), time,
            shard: request.Shard is { } shard ? EvidenceBot.Core.Sources.ShardFilter.Parse(shard) : null);
        var plan = RunPlanner.Plan(set, cfg, sources);
        var byKey = new Dictionary<WorkerExecution, RuleExecution>();
        foreach (var e in plan.Executions)
            byKey.TryAdd(new WorkerExecution(e.Rule.Manifest.SourcePath, e.Rule.Manifest.SourceSha256, e.Rule.Manifest.Id, e.Target), e);

        var next = await reader.ReadLineAsync(ct).ConfigureAwait(false);
        if (next is null)
            return 2;
        var batch = WorkerProtocol.Decode<WorkerBatch>(next);
        var engine = new RuleEngine(new EngineOptions
        {
            DefaultRuleTimeout = TimeSpan.FromMilliseconds(request.RuleTimeoutMs),
            MaxParallelism = request.Parallel,
        }, time);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, batch.Executions.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Parallel), CancellationToken = CancellationToken.None },
            async (i, _) =>
            {
                if (!byKey.TryGetValue(batch.Executions[i], out var execution))
                {
                    Send(new WorkerMessage { Kind = "missing", Index = i });
                    return;
                }

                Send(new WorkerMessage { Kind = "started", Index = i });
                var result = await engine.ExecuteAsync(execution, ct).ConfigureAwait(false);
                Send(new WorkerMessage { Kind = "result", Index = i, Result = result, Evidence = [.. result.Evidence] });
            }).ConfigureAwait(false);
        // The traffic went through this process's sources, not the host's: their counts and summary lines go back with it.
        Send(new WorkerMessage { Kind = "done", Usage = [.. sources.Usage()], Summaries = [.. sources.Summaries()] });
        return 0;
    }

    /// <summary>
    /// Runs a batch of replays one after another, as the host's <c>rules test</c> does, each exactly as
    /// <see cref="ReplayedExecution.RunAsync"/> runs it in the host; a setup error goes back as <c>invalid</c>.
    /// </summary>
    private static async Task<int> ReplayAsync(StreamReader reader, RuleSet set, IReadOnlyList<ISourceModule> modules, Action<WorkerMessage> send, CancellationToken ct)
    {
        var rules = new Dictionary<(string Path, string Sha, string Id), LoadedRule>();
        foreach (var r in set.Rules)
            rules.TryAdd((r.Manifest.SourcePath, r.Manifest.SourceSha256, r.Manifest.Id), r);
        var next = await reader.ReadLineAsync(ct).ConfigureAwait(false);
        if (next is null)
            return 2;
        var batch = WorkerProtocol.Decode<WorkerBatch>(next);
        for (var i = 0; i < batch.Executions.Count; i++)
        {
            var e = batch.Executions[i];
            if (batch.Replays is not { } replays || i >= replays.Count
                || !rules.TryGetValue((e.SourcePath, e.SourceSha256, e.RuleId), out var rule) || rule.Program is null)
            {
                send(new WorkerMessage { Kind = "missing", Index = i });
                continue;
            }

            send(new WorkerMessage { Kind = "started", Index = i });
            try
            {
                var result = await ReplayedExecution.RunAsync(replays[i].With(rule, e.Target), modules, ct).ConfigureAwait(false);
                send(new WorkerMessage { Kind = "result", Index = i, Result = result, Evidence = [.. result.Evidence] });
            }
            catch (ConfigException ex)
            {
                send(new WorkerMessage { Kind = "invalid", Index = i, Error = ex.Message });
            }
        }

        send(new WorkerMessage { Kind = "done" });
        return 0;
    }
}
