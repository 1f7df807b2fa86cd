using EvidenceBot.Core.Rules;

namespace EvidenceBot.Rules;

/// <summary>
/// How a source's rule contract hands its service to a running rule: each source module ships a static class with one
/// property (e.g. <c>GitHub</c>, <c>Azure</c>, <c>Models</c>) that rules see through a <c>using static</c> import, and
/// that property asks this for the current execution's service.
/// </summary>
public static class SourceServices
{
    /// <summary>
    /// The current execution's service of type <typeparamref name="T"/>, or a permanent source fault naming
    /// <paramref name="source"/> when this execution has none (no rule is running, or the source is not configured).
    /// </summary>
    public static T Require<T>(string source) where T : class =>
        RuleContext.Current?.GetService<T>() ?? throw new SourceFaultException(source, FaultKind.Permanent,
            $"source '{source}' is not configured for this run; declare it in the rule header's sources and configure it");
}
