using EvidenceBot.Core.Sources;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// One stack's rate-limit counters, filled by the resilience layer: a wait is counted once the stack has waited it and
/// sends again (a wait cut short by cancellation is not), with the time it took on the stack's clock; a request that
/// ends on a rate-limit answer is a give-up.
/// </summary>
internal sealed class SourceUsageTally
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, int> _kinds = new(StringComparer.Ordinal);
    private int _waits;
    private TimeSpan _waited;
    private int _giveUps;

    public void Waited(RateLimitCategory category, TimeSpan took)
    {
        lock (_gate)
        {
            _waits++;
            _waited += took < TimeSpan.Zero ? TimeSpan.Zero : took;
            var label = Label(category);
            _kinds[label] = _kinds.GetValueOrDefault(label) + 1;
        }
    }

    public void GaveUp()
    {
        lock (_gate)
            _giveUps++;
    }

    public SourceUsage Snapshot(string source)
    {
        lock (_gate)
        {
            return new SourceUsage
            {
                Source = source,
                RateLimitWaits = _waits,
                RateLimitWaitSeconds = _waited.TotalSeconds,
                RateLimitGiveUps = _giveUps,
                WaitsByKind = new SortedDictionary<string, int>(_kinds, StringComparer.Ordinal),
            };
        }
    }

    /// <summary>The <c>kind</c> label of a category, as /metrics and the summary line write it.</summary>
    public static string Label(RateLimitCategory category) => category switch
    {
        RateLimitCategory.Primary => "primary",
        RateLimitCategory.Secondary => "secondary",
        RateLimitCategory.TokenPoolExhausted => "token_pool_exhausted",
        _ => "retry_after",
    };
}
