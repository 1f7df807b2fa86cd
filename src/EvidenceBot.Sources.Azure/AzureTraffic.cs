using System.Globalization;
using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Sources.Azure;

/// <summary>
/// Counts what the source sent and got, for its summary line and the bench. Fed by the shared stack: every attempt's
/// exchange (<see cref="Observe"/>, from the capture) and the stack's retry counter.
/// </summary>
internal sealed class AzureTraffic
{
    /// <summary>The headers in which ARM and Graph say how many reads are left.</summary>
    internal static readonly string[] RemainingHeaders =
    [
        "x-ms-ratelimit-remaining-subscription-reads", "x-ms-ratelimit-remaining-tenant-reads",
        "x-ms-ratelimit-remaining-subscription-global-reads", "x-ms-user-quota-remaining",
    ];

    private int _sent;
    private int _throttled;
    private int _notModified;
    private int _graphQueries;
    private int _minRemaining = int.MaxValue;
    private Func<int> _retries = () => 0;

    public int RequestsSent => Volatile.Read(ref _sent);
    public int Retries => _retries();
    public int ThrottledAnswers => Volatile.Read(ref _throttled);
    public int NotModified => Volatile.Read(ref _notModified);
    public int ResourceGraphQueries => Volatile.Read(ref _graphQueries);
    public int? MinRemainingReads => Volatile.Read(ref _minRemaining) is var m && m == int.MaxValue ? null : m;
    public bool ResourceGraphRefused { get; set; }

    /// <summary>Where retries are counted: the stack's resilience handler.</summary>
    public void RetriesFrom(Func<int> retries) => _retries = retries;

    public void GraphQuery() => Interlocked.Increment(ref _graphQueries);

    /// <summary>One attempt as the capture recorded it.</summary>
    public void Observe(HttpExchange exchange)
    {
        Interlocked.Increment(ref _sent);
        if (exchange.Status == 429)
            Interlocked.Increment(ref _throttled);
        if (exchange.Status == 304)
            Interlocked.Increment(ref _notModified);
        if (Remaining(name => exchange.ResponseHeaders.TryGetValue(name, out var v) ? v : null) is not { } r)
            return;
        int seen;
        do
        {
            seen = Volatile.Read(ref _minRemaining);
        }
        while (r < seen && Interlocked.CompareExchange(ref _minRemaining, r, seen) != seen);
    }

    /// <summary>The lowest remaining-reads count an answer states, or null.</summary>
    internal static int? Remaining(Func<string, string?> header)
    {
        int? min = null;
        foreach (var name in RemainingHeaders)
        {
            if (int.TryParse(header(name), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                min = min is null ? n : Math.Min(min.Value, n);
        }

        return min;
    }
}
