namespace EvidenceBot.Rules;

/// <summary>
/// What an Azure rule sees as <c>Azure</c>: imported as <c>using static</c> for rules whose header lists
/// <c>sources: [azure]</c>.
/// </summary>
public static class AzureRuleGlobals
{
    /// <summary>
    /// Azure, for the subscription this execution targets. The rule header must list <c>azure</c> in its sources and
    /// the configuration must have an <c>azure</c> section; otherwise this is a clear error, never a pass.
    /// </summary>
    public static IAzureSource Azure => SourceServices.Require<IAzureSource>("azure");
}
