using System.ComponentModel;

namespace EvidenceBot.Rules;

/// <summary>
/// The compiler injects a call to <see cref="Check"/> into every loop, method and lambda of a rule,
/// because Roslyn scripts ignore their cancellation token: this is what makes a rule's time bound hold
/// even for <c>while (true) {}</c>. Not meant to be called by rule authors.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RuleCheckpoint
{
    private static readonly AsyncLocal<CancellationToken> Current = new();

    /// <summary>Sets the token that checkpoints observe for the current async flow.</summary>
    public static void Enter(CancellationToken token) => Current.Value = token;

    /// <summary>Throws <see cref="OperationCanceledException"/> when the current rule must stop.</summary>
    public static void Check() => Current.Value.ThrowIfCancellationRequested();
}
