namespace EvidenceBot.Rules;

/// <summary>
/// How a rule listing <c>sources: [models]</c> reaches the model registry it runs against: imported as
/// <c>using static</c>, so a rule writes <c>Models.ProductionVersionsAsync(Ct)</c>.
/// </summary>
public static class ModelsRuleGlobals
{
    /// <summary>
    /// The registry this execution targets. A rule whose header does not list <c>models</c>, or a run without a
    /// <c>models</c> section, gets a permanent source fault.
    /// </summary>
    public static IModelsSource Models => SourceServices.Require<IModelsSource>("models");
}
