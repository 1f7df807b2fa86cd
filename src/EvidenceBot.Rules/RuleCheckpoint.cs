using System.ComponentModel;

namespace EvidenceBot.Rules;

/// <summary>
/// The compiler injects a call to <see cref="Check"/> into every loop, method, local function, accessor and lambda of a
/// rule (expression-bodied ones included), because Roslyn scripts ignore their cancellation token: this is what makes a
/// rule's time bound hold even for <c>while (true) {}</c>. It also stops unbounded recursion before the stack runs out:
/// a stack overflow cannot be caught in .NET and would end the whole process, losing every other rule's evidence.
/// Not meant to be called by rule authors.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RuleCheckpoint
{
    private static readonly AsyncLocal<CancellationToken> Current = new();

    /// <summary>Sets the token that checkpoints observe for the current async flow.</summary>
    public static void Enter(CancellationToken token) => Current.Value = token;

    /// <summary>
    /// Throws <see cref="OperationCanceledException"/> when the current rule must stop, and
    /// <see cref="RuleStackExhaustedException"/> when its stack is nearly used up (it recursed too deeply).
    /// </summary>
    public static void Check()
    {
        Current.Value.ThrowIfCancellationRequested();
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            const string Reason = "the rule recursed too deeply: its stack ran out, and the engine stopped it before the process crashed";
            Core.Rules.RuleContext.Current?.Stop(Reason);
            throw new RuleStackExhaustedException(Reason);
        }

        // Cheap: the bytes this thread allocated. Only a thread that allocated a lot since its last look asks for the
        // process's heap, so a rule that hardly allocates is never stopped for what another rule holds.
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        if (allocated - _lastAllocated < LookEveryBytes)
            return;
        var first = _lastAllocated == 0;
        _lastAllocated = allocated;
        if (first)
            return; // what this thread allocated before (for the engine, other rules) is not this rule's
        var limit = MemoryLimitBytes;
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        // Over the limit, count again after a full collection: garbage (what a rule stopped a moment ago left behind)
        // must not get the next rule at a checkpoint stopped in its place. Only paid when the heap is already too big.
        if (heap > limit)
            heap = GC.GetTotalMemory(forceFullCollection: true);
        if (heap > limit)
        {
            var reason = $"the rule was stopped: the engine's managed heap reached {heap / (1024 * 1024):N0} MiB while it ran (limit {limit / (1024 * 1024):N0} MiB); a rule must not hold that much";
            Core.Rules.RuleContext.Current?.Stop(reason);
            throw new RuleMemoryExceededException(reason);
        }
    }

    private const long LookEveryBytes = 16L * 1024 * 1024;

    [ThreadStatic]
    private static long _lastAllocated;

    /// <summary>
    /// The managed heap size past which a rule at a checkpoint is stopped: the AppContext value
    /// <c>EvidenceBot.RuleMemoryLimitBytes</c> when the host set one, else a quarter of the memory the GC may use.
    /// Read when looked at, so a host (or a test) can set it at start. A rule cannot: <c>AppContext</c> is denied to rules.
    /// </summary>
    private static long MemoryLimitBytes =>
        AppContext.GetData(MemoryLimitKey) switch
        {
            long l when l > 0 => l,
            int i when i > 0 => i,
            string s when long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed > 0 => parsed,
            _ => DefaultMemoryLimitBytes,
        };

    private static readonly long DefaultMemoryLimitBytes = Math.Max(512L * 1024 * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>The AppContext key a host sets to change the in-process memory limit for rules.</summary>
    public const string MemoryLimitKey = "EvidenceBot.RuleMemoryLimitBytes";
}

/// <summary>A rule was at a checkpoint while the engine's heap was over its limit; the engine stopped it.</summary>
public sealed class RuleMemoryExceededException(string message) : Exception(message)
{
}

/// <summary>A rule recursed until its stack nearly ran out; the engine stopped it (see <see cref="RuleCheckpoint"/>).</summary>
public sealed class RuleStackExhaustedException(string message) : Exception(message)
{
}
