namespace EvidenceBot.Store;

/// <summary>A store setting that cannot be used; the message names the setting and what to do.</summary>
public sealed class StoreConfigurationException : Exception
{
    /// <summary>A setting problem described by <paramref name="message"/>.</summary>
    public StoreConfigurationException(string message) : base(message) { }

    /// <summary>A setting problem described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public StoreConfigurationException(string message, Exception inner) : base(message, inner) { }
}
