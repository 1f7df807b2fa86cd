namespace EvidenceBot.Core.Evidence;

/// <summary>Receives every exchange a source makes, e.g. to record a demo estate.</summary>
public interface IExchangeSink
{
    /// <summary>Called once per exchange, from any thread.</summary>
    void Add(HttpExchange exchange);
}
