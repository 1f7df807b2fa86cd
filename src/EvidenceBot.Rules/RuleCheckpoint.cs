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
    }
}

/// <summary>A rule recursed until its stack nearly ran out; the engine stopped it (see <see cref="RuleCheckpoint"/>).</summary>
public sealed class RuleStackExhaustedException(string message) : Exception(message)
{
}
