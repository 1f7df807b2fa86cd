using System.Collections.Concurrent;
using System.Text.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// One organisation-wide fetch shared by every rule of a run: it runs once, apart from any rule (one rule's timeout
/// must not cancel it for the others), and every rule that uses its answer gets all of its exchanges as raw evidence,
/// as the coalescing handler does for a single request. A failure is kept too and handed to every caller.
/// </summary>
internal sealed class SharedFetch<T>
{
    private static readonly RuleManifest Collector = new()
    {
        Id = "github-organisation-fetch", Title = "organisation-wide GitHub answers shared by every rule", SourcePath = "", SourceSha256 = "",
    };

    private readonly Lazy<Task<Outcome>> _run;
    private readonly ConcurrentDictionary<RuleContext, byte> _served = new(ReferenceEqualityComparer.Instance);

    public SharedFetch(Func<Task<T>> fetch, TimeProvider time) => _run = new(() => RunAsync(fetch, time));

    /// <summary>
    /// The answer, or the failure, after attaching the fetch's exchanges to the calling rule; <paramref name="firstForRule"/>
    /// runs once per rule execution (e.g. to log why the answer cannot be used).
    /// </summary>
    public async Task<Outcome> GetAsync(CancellationToken cancellationToken, Action<RuleContext, Outcome>? firstForRule = null)
    {
        var outcome = await _run.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (RuleContext.Current is { } caller && _served.TryAdd(caller, 0))
        {
            foreach (var exchange in outcome.Evidence)
                caller.AttachEvidence(exchange);
            firstForRule?.Invoke(caller, outcome);
        }

        return outcome;
    }

    private static async Task<Outcome> RunAsync(Func<Task<T>> fetch, TimeProvider time)
    {
        await Task.Yield(); // apart from the first caller's flow: its context and cancellation stay out of the fetch
        var collector = new RuleContext(Collector, "github", new Dictionary<string, JsonElement>(), time, CancellationToken.None);
        collector.Enter();
        try
        {
            var value = await fetch().ConfigureAwait(false);
            return new Outcome(value, null, [.. collector.Evidence]);
        }
        catch (Exception ex)
        {
            return new Outcome(default, ex, [.. collector.Evidence]);
        }
    }

    /// <summary>What the fetch gave: a value, or the exception it failed with, and the exchanges it made either way.</summary>
    public sealed record Outcome(T? Value, Exception? Error, IReadOnlyList<Core.Evidence.HttpExchange> Evidence);
}
