namespace EvidenceBot.Rules;

/// <summary>
/// What a rule that lists <c>github</c> in its header's sources sees, imported as <c>using static</c>: <c>GitHub</c>.
/// </summary>
public static class GitHubRuleGlobals
{
    /// <summary>
    /// GitHub, for the organisation this execution targets. A rule sees this only when its header lists <c>github</c>;
    /// it runs only when the configuration has a <c>github</c> section.
    /// </summary>
    public static IGitHubSource GitHub => SourceServices.Require<IGitHubSource>("github");
}
