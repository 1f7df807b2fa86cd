namespace EvidenceBot.Sources.Http;

/// <summary>What a source's stack was asked, what it fetched, sent and revalidated, for the run summary, tests and benches.</summary>
public sealed record SourceRequestStats
{
    /// <summary>Requests rules asked for.</summary>
    public int Asked { get; init; }

    /// <summary>Distinct requests fetched (each once, however many rules asked).</summary>
    public int Fetched { get; init; }

    /// <summary>Attempts that reached the transport, retries included.</summary>
    public int Sent { get; init; }

    /// <summary>Fetches answered 304 Not Modified and served from the ETag cache.</summary>
    public int Revalidated { get; init; }
}
