using System.Globalization;

namespace EvidenceBot.Core.Sources;

/// <summary>
/// What one source's HTTP traffic cost a run in rate limits: the waits its HTTP stack made before asking again (counted
/// only when it did wait), how long they took on the run's clock, and the requests that ended on a rate-limit answer
/// instead (the wait asked for was longer than allowed, or the retries ran out).
/// </summary>
public sealed record SourceUsage
{
    private static readonly IReadOnlyDictionary<string, int> NoKinds = new SortedDictionary<string, int>(StringComparer.Ordinal);

    /// <summary>The source's name, e.g. <c>github</c>, <c>azure</c>, <c>models</c>.</summary>
    public required string Source { get; init; }

    /// <summary>Rate-limit waits the stack made before sending a request again.</summary>
    public int RateLimitWaits { get; init; }

    /// <summary>The time those waits took, in seconds, on the run's clock.</summary>
    public double RateLimitWaitSeconds { get; init; }

    /// <summary>Requests that ended on a rate-limit answer without a wait: the wait was too long, or no retry was left.</summary>
    public int RateLimitGiveUps { get; init; }

    /// <summary>
    /// <see cref="RateLimitWaits"/> by what limit was hit: <c>primary</c> and <c>secondary</c> (GitHub's limits),
    /// <c>retry_after</c> (a 429 or 503 with <c>Retry-After</c>), <c>token_pool_exhausted</c> (every pooled token spent).
    /// Only kinds that happened are present.
    /// </summary>
    public IReadOnlyDictionary<string, int> WaitsByKind { get; init; } = NoKinds;

    /// <summary>Both counts added up under this record's <see cref="Source"/> (one source with several stacks).</summary>
    public SourceUsage Add(SourceUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var kinds = new SortedDictionary<string, int>(WaitsByKind.ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (kind, count) in other.WaitsByKind)
            kinds[kind] = kinds.GetValueOrDefault(kind) + count;
        return this with
        {
            RateLimitWaits = RateLimitWaits + other.RateLimitWaits,
            RateLimitWaitSeconds = RateLimitWaitSeconds + other.RateLimitWaitSeconds,
            RateLimitGiveUps = RateLimitGiveUps + other.RateLimitGiveUps,
            WaitsByKind = kinds,
        };
    }

    /// <summary>The usages added up per <see cref="Source"/>, in the order each source first appears.</summary>
    public static IReadOnlyList<SourceUsage> PerSource(IEnumerable<SourceUsage> usages) =>
        [.. usages.GroupBy(u => u.Source, StringComparer.Ordinal).Select(g => g.Aggregate((a, b) => a.Add(b)))];

    /// <summary>
    /// A clause for the run's summary line, e.g. <c>2 rate-limit wait(s), 61.5s in all (primary 1, secondary 1)</c>;
    /// null when the source neither waited nor gave up on a rate limit.
    /// </summary>
    public string? Describe()
    {
        var parts = new List<string>();
        if (RateLimitWaits > 0)
        {
            var kinds = string.Join(", ", WaitsByKind.Select(k => $"{k.Key} {k.Value}"));
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{RateLimitWaits} rate-limit wait(s), {RateLimitWaitSeconds:0.#}s in all") + (kinds.Length > 0 ? $" ({kinds})" : ""));
        }

        if (RateLimitGiveUps > 0)
            parts.Add($"{RateLimitGiveUps} request(s) ended on a rate limit without waiting (the wait was too long or no retry was left)");
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }
}
