using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// The one GraphQL query of the organisation path: for a page of the organisation's repositories (50 by default, by name),
/// what REST would need several calls per repository for: whether Dependabot alerts are on, the default branch's classic
/// protection rule and the rules in force from rulesets, deploy keys and outside collaborators with their permission.
/// It also asks for <c>rateLimit { cost remaining resetAt }</c>, so the points each query costs are counted.
/// Answers are turned into the shapes the REST endpoints give, so a rule reads the same data on either path.
/// </summary>
internal static class GitHubGraphQL
{
    /// <summary>The query; field names and types as GitHub's GraphQL reference documents them.</summary>
    public const string RepositoriesQuery =
        "query($org: String!, $first: Int!, $after: String) { "
        + "rateLimit { cost remaining resetAt } "
        + "organization(login: $org) { repositories(first: $first, after: $after, orderBy: {field: NAME, direction: ASC}) { "
        + "pageInfo { hasNextPage endCursor } "
        + "nodes { name hasVulnerabilityAlertsEnabled "
        + "defaultBranchRef { name "
        + "branchProtectionRule { requiresApprovingReviews requiredApprovingReviewCount requiresCodeOwnerReviews dismissesStaleReviews "
        + "isAdminEnforced allowsForcePushes allowsDeletions requiresCommitSignatures } "
        + "rules(first: 100) { pageInfo { hasNextPage } nodes { type "
        + "parameters { ... on PullRequestParameters { requiredApprovingReviewCount requireCodeOwnerReview dismissStaleReviewsOnPush "
        + "requireLastPushApproval requiredReviewThreadResolution } } "
        + "repositoryRuleset { databaseId source { __typename } } } } } "
        + "deployKeys(first: 100) { pageInfo { hasNextPage } nodes { title readOnly createdAt key verified } } "
        + "collaborators(affiliation: OUTSIDE, first: 100) { pageInfo { hasNextPage } edges { permission node { login databaseId } } } "
        + "} } } }";

    /// <summary>The request body for one page.</summary>
    public static string Body(string organization, int first, string? after)
    {
        var variables = new JsonObject { ["org"] = organization, ["first"] = first, ["after"] = after };
        return new JsonObject { ["query"] = RepositoriesQuery, ["variables"] = variables }.ToJsonString();
    }

    /// <summary>
    /// One page of the answer: its repositories, the cursor of the next page (null on the last) and the points it cost.
    /// GraphQL answers 200 even when it failed: an <c>errors</c> array, or no <c>data.organization</c>, is a fault, never an
    /// empty organisation. A RATE_LIMITED error is transient.
    /// </summary>
    public static Page Read(JsonElement answer, string organization, string url)
    {
        if (answer.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            var messages = errors.EnumerateArray().Select(e => (Type: Str(e, "type"), Message: Str(e, "message"))).ToList();
            var text = string.Join("; ", messages.Select(m => m.Type is null ? m.Message : $"{m.Type}: {m.Message}"));
            throw new UnusableAnswerException(url, $"GraphQL answered with errors ({text})", transient: messages.Any(m => m.Type == "RATE_LIMITED"), service: GitHubSession.Service);
        }

        if (!answer.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("organization", out var org) || org.ValueKind != JsonValueKind.Object
            || !org.TryGetProperty("repositories", out var repos) || repos.ValueKind != JsonValueKind.Object
            || !repos.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Array
            || !repos.TryGetProperty("pageInfo", out var pageInfo))
            throw new UnusableAnswerException(url, "the GraphQL answer has no data.organization.repositories { nodes pageInfo }", service: GitHubSession.Service);

        var cost = data.TryGetProperty("rateLimit", out var limit) && limit.ValueKind == JsonValueKind.Object
            && limit.TryGetProperty("cost", out var c) && c.TryGetInt32(out var n) ? n : 0;
        var next = Bool(pageInfo, "hasNextPage") == true ? Str(pageInfo, "endCursor") : null;
        if (Bool(pageInfo, "hasNextPage") == true && next is null)
            throw new UnusableAnswerException(url, "pageInfo says there is a next page but names no endCursor", service: GitHubSession.Service);
        var facts = nodes.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object).Select(r => Facts(r, organization)).ToList();
        return new Page(facts, next, cost);
    }

    private static RepositoryFacts Facts(JsonElement repo, string organization)
    {
        var name = Str(repo, "name") ?? "";
        var branch = repo.TryGetProperty("defaultBranchRef", out var b) && b.ValueKind == JsonValueKind.Object ? b : (JsonElement?)null;
        return new RepositoryFacts
        {
            Name = name,
            VulnerabilityAlertsEnabled = Bool(repo, "hasVulnerabilityAlertsEnabled"),
            DefaultBranch = branch is { } d ? Str(d, "name") : null,
            Protection = branch is { } p && p.TryGetProperty("branchProtectionRule", out var rule) && rule.ValueKind == JsonValueKind.Object ? Protection(rule) : null,
            Rules = branch is { } r ? Rules(r, organization, name) : null,
            DeployKeys = DeployKeys(repo),
            OutsideCollaborators = Collaborators(repo),
        };
    }

    /// <summary>A classic protection rule in the shape of <c>GET /repos/{o}/{r}/branches/{b}/protection</c>.</summary>
    private static string Protection(JsonElement rule)
    {
        static JsonObject Enabled(bool? on) => new() { ["enabled"] = on == true };
        var o = new JsonObject
        {
            ["enforce_admins"] = Enabled(Bool(rule, "isAdminEnforced")),
            ["allow_force_pushes"] = Enabled(Bool(rule, "allowsForcePushes")),
            ["allow_deletions"] = Enabled(Bool(rule, "allowsDeletions")),
            ["required_signatures"] = Enabled(Bool(rule, "requiresCommitSignatures")),
        };
        if (Bool(rule, "requiresApprovingReviews") == true)
        {
            o["required_pull_request_reviews"] = new JsonObject
            {
                ["required_approving_review_count"] = rule.TryGetProperty("requiredApprovingReviewCount", out var n) && n.TryGetInt32(out var count) ? count : 0,
                ["require_code_owner_reviews"] = Bool(rule, "requiresCodeOwnerReviews") == true,
                ["dismiss_stale_reviews"] = Bool(rule, "dismissesStaleReviews") == true,
            };
        }

        return o.ToJsonString();
    }

    /// <summary>
    /// Rules in force on the default branch in the shape of <c>GET /repos/{o}/{r}/rules/branches/{b}</c>; null when there are
    /// more than one page of them, or a rule's ruleset is not shown (the REST path reads those).
    /// </summary>
    private static IReadOnlyList<JsonElement>? Rules(JsonElement branch, string organization, string repo)
    {
        if (!branch.TryGetProperty("rules", out var rules) || rules.ValueKind != JsonValueKind.Object || HasMore(rules))
            return null;
        var list = new List<JsonElement>();
        foreach (var rule in Nodes(rules))
        {
            var ruleset = rule.TryGetProperty("repositoryRuleset", out var rs) && rs.ValueKind == JsonValueKind.Object ? rs : default;
            // REST names every rule's ruleset; a rule whose ruleset GraphQL does not show cannot be given that shape: ask REST.
            if (ruleset.ValueKind != JsonValueKind.Object || !ruleset.TryGetProperty("databaseId", out var known) || known.ValueKind != JsonValueKind.Number)
                return null;
            var sourceType = ruleset.ValueKind == JsonValueKind.Object && ruleset.TryGetProperty("source", out var src) && src.ValueKind == JsonValueKind.Object
                ? Str(src, "__typename") : null;
            var o = new JsonObject
            {
                ["type"] = (Str(rule, "type") ?? "").ToLowerInvariant(),
                ["ruleset_source_type"] = sourceType,
                ["ruleset_source"] = sourceType == "Organization" ? organization : $"{organization}/{repo}",
                ["ruleset_id"] = ruleset.ValueKind == JsonValueKind.Object && ruleset.TryGetProperty("databaseId", out var id) && id.TryGetInt64(out var n) ? n : null,
            };
            if (rule.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object && parameters.EnumerateObject().Any())
                o["parameters"] = SnakeCase(parameters);
            list.Add(JsonSerializer.SerializeToElement(o));
        }

        return list;
    }

    /// <summary>Deploy keys in the shape of <c>GET /repos/{o}/{r}/keys</c> (GraphQL has no numeric key id); null when more than one page.</summary>
    private static IReadOnlyList<JsonElement>? DeployKeys(JsonElement repo)
    {
        if (!repo.TryGetProperty("deployKeys", out var keys) || keys.ValueKind != JsonValueKind.Object || HasMore(keys))
            return null;
        return [.. Nodes(keys).Select(k => JsonSerializer.SerializeToElement(new JsonObject
        {
            ["title"] = Str(k, "title"),
            ["read_only"] = Bool(k, "readOnly"),
            ["created_at"] = Str(k, "createdAt"),
            ["key"] = Str(k, "key"),
            ["verified"] = Bool(k, "verified"),
        }))];
    }

    /// <summary>Outside collaborators with their permission (lower case, as REST names it); null when not readable or more than one page.</summary>
    private static IReadOnlyList<(string Login, long Id, string Permission)>? Collaborators(JsonElement repo)
    {
        if (!repo.TryGetProperty("collaborators", out var collaborators) || collaborators.ValueKind != JsonValueKind.Object || HasMore(collaborators)
            || !collaborators.TryGetProperty("edges", out var edges) || edges.ValueKind != JsonValueKind.Array)
            return null;
        return [.. edges.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("node", out var n) && n.ValueKind == JsonValueKind.Object)
            .Select(e => (Str(e.GetProperty("node"), "login") ?? "",
                          e.GetProperty("node").TryGetProperty("databaseId", out var id) && id.TryGetInt64(out var n) ? n : 0,
                          (Str(e, "permission") ?? "").ToLowerInvariant()))];
    }

    private static bool HasMore(JsonElement connection) =>
        !connection.TryGetProperty("pageInfo", out var info) || info.ValueKind != JsonValueKind.Object || Bool(info, "hasNextPage") != false;

    private static IEnumerable<JsonElement> Nodes(JsonElement connection) =>
        connection.TryGetProperty("nodes", out var nodes) && nodes.ValueKind == JsonValueKind.Array
            ? nodes.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.Object)
            : [];

    /// <summary>GraphQL's camelCase parameter names as REST's snake_case (<c>requireCodeOwnerReview</c> → <c>require_code_owner_review</c>).</summary>
    private static JsonObject SnakeCase(JsonElement parameters)
    {
        var o = new JsonObject();
        foreach (var p in parameters.EnumerateObject())
        {
            var name = new StringBuilder();
            foreach (var ch in p.Name)
            {
                if (char.IsUpper(ch))
                    name.Append('_').Append(char.ToLowerInvariant(ch));
                else
                    name.Append(ch);
            }

            o[name.ToString()] = JsonNode.Parse(p.Value.GetRawText());
        }

        return o;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    /// <summary>One page of the organisation's repositories.</summary>
    public sealed record Page(IReadOnlyList<RepositoryFacts> Repositories, string? NextCursor, int Cost);
}

/// <summary>What one GraphQL answer says of one repository, already in REST's shapes; null members were not (fully) answered.</summary>
internal sealed record RepositoryFacts
{
    public required string Name { get; init; }

    /// <summary><c>hasVulnerabilityAlertsEnabled</c>: whether Dependabot alerts are on.</summary>
    public bool? VulnerabilityAlertsEnabled { get; init; }

    public string? DefaultBranch { get; init; }

    /// <summary>The default branch's classic protection as REST's JSON text; null when not protected.</summary>
    public string? Protection { get; init; }

    public IReadOnlyList<JsonElement>? Rules { get; init; }

    public IReadOnlyList<JsonElement>? DeployKeys { get; init; }

    public IReadOnlyList<(string Login, long Id, string Permission)>? OutsideCollaborators { get; init; }
}
