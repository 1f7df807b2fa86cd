using System.Text.Json;
using Octokit;

namespace EvidenceBot.Rules;

/// <summary>
/// What a rule sees of GitHub for one organisation (the execution's target). Typed Octokit models where
/// Octokit has them; <see cref="JsonElement"/>s, exactly as GitHub sent them, for what Octokit lacks.
/// Every answer is attached to the calling rule as raw evidence. When GitHub cannot deliver (a fault that
/// outlasted the retries, a missing permission, a malformed answer), the call throws
/// <c>SourceFaultException</c> and the rule's verdict is <c>error</c>, even if the rule catches it.
/// </summary>
public interface IGitHubSource
{
    /// <summary>The organisation login this source reads.</summary>
    string Organization { get; }

    /// <summary>
    /// <c>GET /orgs/{org}</c> as JSON: it carries <c>two_factor_requirement_enabled</c>, which Octokit's model lacks.
    /// The field is absent when the token is not an organisation owner.
    /// </summary>
    Task<JsonElement> OrganizationAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The organisation's repositories after the configured filters (include/exclude globs, topics,
    /// archived and forks skipped unless asked for), ordered by name. Throws a source fault when the token sees fewer
    /// repositories than the organisation reports (<c>public_repos</c> + <c>total_private_repos</c>): a partly visible
    /// population is missing data, never evidence of compliance.
    /// </summary>
    Task<IReadOnlyList<Repository>> RepositoriesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="fetch"/> for every repository of <see cref="RepositoriesAsync"/>, several at once
    /// (the configured concurrency), and returns the results in repository order.
    /// </summary>
    Task<IReadOnlyList<RepositoryResult<T>>> ForEachRepositoryAsync<T>(Func<Repository, Task<T>> fetch, CancellationToken cancellationToken = default);

    /// <summary>Organisation members (<c>GET /orgs/{org}/members</c>), optionally only those without 2FA or only admins.</summary>
    Task<IReadOnlyList<User>> MembersAsync(OrganizationMembersFilter filter = OrganizationMembersFilter.All,
        OrganizationMembersRole role = OrganizationMembersRole.All, CancellationToken cancellationToken = default);

    /// <summary>Outside collaborators of the organisation (<c>GET /orgs/{org}/outside_collaborators</c>).</summary>
    Task<IReadOnlyList<User>> OutsideCollaboratorsAsync(OrganizationMembersFilter filter = OrganizationMembersFilter.All, CancellationToken cancellationToken = default);

    /// <summary>A repository's collaborators (<c>GET /repos/{o}/{r}/collaborators</c>), filtered by affiliation and permission.</summary>
    Task<IReadOnlyList<Collaborator>> CollaboratorsAsync(Repository repository, CollaboratorAffiliation affiliation = CollaboratorAffiliation.All,
        CollaboratorPermission? permission = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Classic branch protection of <paramref name="branch"/> (the default branch when null). Null when the branch
    /// is not protected: GitHub answers 404 "Branch not protected", which is data, not a fault.
    /// </summary>
    Task<BranchProtectionSettings?> BranchProtectionAsync(Repository repository, string? branch = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The rules in force on a branch from every active ruleset, repository and organisation
    /// (<c>GET /repos/{o}/{r}/rules/branches/{branch}</c>); each carries <c>type</c>, <c>parameters</c> and <c>ruleset_id</c>.
    /// On the organisation path (docs/sources/github.md), for the default branch, from GraphQL in the same shape, with
    /// <c>parameters</c> for <c>pull_request</c> rules only.
    /// </summary>
    Task<IReadOnlyList<JsonElement>> EffectiveBranchRulesAsync(Repository repository, string? branch = null, CancellationToken cancellationToken = default);

    /// <summary>Rulesets of a repository, including those inherited from the organisation (<c>GET /repos/{o}/{r}/rulesets</c>).</summary>
    Task<IReadOnlyList<JsonElement>> RulesetsAsync(Repository repository, CancellationToken cancellationToken = default);

    /// <summary>One ruleset with its rules, conditions and bypass actors (<c>GET /repos/{o}/{r}/rulesets/{id}</c>).</summary>
    Task<JsonElement> RulesetAsync(Repository repository, long rulesetId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Secret-scanning alerts in <paramref name="state"/> (secrets themselves are not fetched). Null when GitHub says
    /// secret scanning is disabled on the repository.
    /// </summary>
    Task<IReadOnlyList<JsonElement>?> SecretScanningAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default);

    /// <summary>Dependabot alerts in <paramref name="state"/>. Null when GitHub says Dependabot alerts are disabled.</summary>
    Task<IReadOnlyList<JsonElement>?> DependabotAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default);

    /// <summary>
    /// Code-scanning alerts in <paramref name="state"/>. Null when code scanning is not set up: GitHub answers
    /// "no analysis found" or that code scanning / Advanced Security is not enabled.
    /// </summary>
    Task<IReadOnlyList<JsonElement>?> CodeScanningAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default);

    /// <summary>
    /// Default <c>GITHUB_TOKEN</c> permissions: <c>default_workflow_permissions</c> and <c>can_approve_pull_request_reviews</c>,
    /// of the organisation when <paramref name="repository"/> is null, else of the repository.
    /// </summary>
    Task<JsonElement> WorkflowPermissionsAsync(Repository? repository = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deploy keys of a repository, with <c>title</c>, <c>read_only</c> and <c>created_at</c>; on the per-repository path also
    /// <c>id</c> and <c>last_used</c>, which GraphQL (the organisation path) does not give.
    /// </summary>
    Task<IReadOnlyList<JsonElement>> DeployKeysAsync(Repository repository, CancellationToken cancellationToken = default);

    /// <summary>
    /// Recent organisation audit-log events, newest first (<c>GET /orgs/{org}/audit-log</c>, GitHub Enterprise Cloud),
    /// at most <paramref name="maxPages"/> pages of 100.
    /// </summary>
    Task<IReadOnlyList<JsonElement>> AuditLogAsync(string? phrase = null, int maxPages = 1, CancellationToken cancellationToken = default);

    /// <summary>Audit-log streaming configurations of an enterprise (<c>GET /enterprises/{enterprise}/audit-log/streams</c>).</summary>
    Task<IReadOnlyList<JsonElement>> AuditLogStreamsAsync(string enterprise, CancellationToken cancellationToken = default);

    /// <summary>Any other REST GET, relative to the API base (e.g. <c>orgs/acme/actions/permissions</c>), as JSON.</summary>
    Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Any other paginated REST GET returning an array: follows <c>Link: rel="next"</c> up to <paramref name="maxPages"/> pages.
    /// A list with more pages than that, or a Link header that cannot be parsed, is a source fault, never the first pages alone.
    /// </summary>
    Task<IReadOnlyList<JsonElement>> GetAllJsonAsync(string path, int maxPages = 100, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="IGitHubSource.ForEachRepositoryAsync{T}"/> fetched for one repository.</summary>
/// <param name="Repository">The repository.</param>
/// <param name="Value">What was fetched for it.</param>
public sealed record RepositoryResult<T>(Repository Repository, T Value);
