namespace EvidenceBot.Runs.Replay;

/// <summary>
/// A clock that always reads the same instant: what a rule sees as <c>Now</c> when a test case or a bundle statement is
/// replayed. Timers and timestamps stay real (inherited), so time bounds and retries still work.
/// </summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
}
