using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Sources.GitHub.Http;
using EvidenceBot.Sources.Http;
using Octokit;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub;

/// <summary>The GitHub source for one organisation: what <see cref="IGitHubSource"/> promises, over the session's shared stack.</summary>
internal sealed partial class GitHubSource : IGitHubSource
{
    private const string JsonAccept = "application/vnd.github+json";
    private static readonly Dictionary<string, string> NoParameters = [];
    private readonly IConnection _connection;
    private readonly GitHubSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;

    private readonly SourceHttpStack _stack;
    private readonly GitHubUsage _usage;

    public GitHubSource(string organization, IGitHubClient client, GitHubSourceOptions options, TimeProvider time, SourceHttpStack stack, GitHubUsage? usage = null)
    {
        _stack = stack;
        _usage = usage ?? new GitHubUsage();
        Organization = organization;
        _connection = client.Connection;
        _options = options;
        _time = time;
        _include = [.. options.Include.Select(Glob)];
        _exclude = [.. options.Exclude.Select(Glob)];
    }

    public string Organization { get; }

    private static readonly SimpleJsonSerializer OctokitJson = new();

    public Task<JsonElement> OrganizationAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync($"orgs/{Esc(Organization)}", cancellationToken);

    public async Task<IReadOnlyList<Repository>> RepositoriesAsync(CancellationToken cancellationToken = default)
    {
        var path = WithPerPage($"orgs/{Esc(Organization)}/repos");
        var all = await Call<IReadOnlyList<Repository>>($"GET /{path}", async () =>
        {
            var pages = await PagesAsync(path, int.MaxValue, cancellationToken).ConfigureAwait(false);
            List<Repository> repos = [.. pages.SelectMany(p => OctokitJson.Deserialize<List<Repository>>(p.Body))];
            await EnsureEveryRepositoryVisibleAsync(path, repos.Count, cancellationToken).ConfigureAwait(false);
            return repos;
        }, cancellationToken).ConfigureAwait(false);
        return [.. all.Where(Keep).OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// A token that cannot read every repository gets a shorter list, often an empty one, with a 200: judged on it, an
    /// organisation would pass or be "not applicable" for want of repositories. The organisation object says how many
    /// it has (<c>public_repos</c>, plus <c>total_private_repos</c> when the token may see that count); fewer visible
    /// is a fault naming the missing access, for every rule that lists repositories. (Before filters: archived
    /// repositories and forks count.)
    /// </summary>
    private async Task EnsureEveryRepositoryVisibleAsync(string path, int visible, CancellationToken cancellationToken)
    {
        var orgPath = $"orgs/{Esc(Organization)}";
        var response = await _connection.Get<JsonElement>(new Uri(orgPath, UriKind.Relative), NoParameters, JsonAccept, cancellationToken).ConfigureAwait(false);
        var org = Parse(response.HttpResponse, orgPath, JsonValueKind.Object);
        var publicRepos = Count(org, "public_repos");
        var privateRepos = Count(org, "total_private_repos");
        if (publicRepos is null && privateRepos is null)
            throw new UnusableAnswerException(orgPath, "the organisation object has neither 'public_repos' nor 'total_private_repos', so whether the token sees every "
                + "repository cannot be checked", service: GitHubSession.Service);
        var reported = (publicRepos ?? 0) + (privateRepos ?? 0);
        if (visible >= reported)
            return;
        var counts = privateRepos is null ? $"public_repos {publicRepos}" : $"public_repos {publicRepos ?? 0} + total_private_repos {privateRepos}";
        throw new UnusableAnswerException(path, $"it lists {visible} repositories but the organisation reports {reported} ({counts}): the token cannot see "
            + $"{reported - visible} of them, and no rule may judge '{Organization}' on part of its repositories. Grant read access to every repository: "
            + "a classic token needs the 'repo' scope (and its owner access to the repositories); a fine-grained token needs 'Metadata: read' on all "
            + "repositories; a GitHub App needs 'Metadata: read' and an installation on all repositories", service: GitHubSession.Service);
    }

    private static int? Count(JsonElement org, string property) =>
        org.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    public async Task<IReadOnlyList<RepositoryResult<T>>> ForEachRepositoryAsync<T>(Func<Repository, Task<T>> fetch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        var repos = await RepositoriesAsync(cancellationToken).ConfigureAwait(false);
        var results = new RepositoryResult<T>[repos.Count];
        // Twice the HTTP concurrency: while some repositories wait on the network, others are being evaluated.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency * 2), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, repos.Count), parallel, async (i, _) =>
            results[i] = new RepositoryResult<T>(repos[i], await fetch(repos[i]).ConfigureAwait(false))).ConfigureAwait(false);
        return results;
    }

    public async Task<IReadOnlyList<User>> MembersAsync(OrganizationMembersFilter filter = OrganizationMembersFilter.All,
        OrganizationMembersRole role = OrganizationMembersRole.All, CancellationToken cancellationToken = default) =>
        await ListAsync<User>($"orgs/{Esc(Organization)}/members?filter={Param(filter)}&role={Param(role)}", cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<User>> OutsideCollaboratorsAsync(OrganizationMembersFilter filter = OrganizationMembersFilter.All, CancellationToken cancellationToken = default) =>
        await ListAsync<User>($"orgs/{Esc(Organization)}/outside_collaborators?filter={Param(filter)}", cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<Collaborator>> CollaboratorsAsync(Repository repository, CollaboratorAffiliation affiliation = CollaboratorAffiliation.All,
        CollaboratorPermission? permission = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        // GraphQL lists outside collaborators with their permission; admin is the highest, so "admin" filters exactly.
        if (affiliation == CollaboratorAffiliation.Outside && permission is null or CollaboratorPermission.Admin
            && await FactsAsync(repository, cancellationToken).ConfigureAwait(false) is { OutsideCollaborators: { } outside })
        {
            var kept = outside.Where(c => permission is null || c.Permission == "admin").Select(c => new System.Text.Json.Nodes.JsonObject
            {
                ["login"] = c.Login, ["id"] = c.Id, ["role_name"] = c.Permission,
            });
            return OctokitJson.Deserialize<List<Collaborator>>(new System.Text.Json.Nodes.JsonArray([.. kept]).ToJsonString());
        }

        var path = $"repos/{Path(repository)}/collaborators?affiliation={Param(affiliation)}{(permission is { } p ? "&permission=" + Param(p) : "")}";
        return await ListAsync<Collaborator>(path, cancellationToken).ConfigureAwait(false);
    }

    public async Task<BranchProtectionSettings?> BranchProtectionAsync(Repository repository, string? branch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if ((branch is null || branch == repository.DefaultBranch) && await FactsAsync(repository, cancellationToken).ConfigureAwait(false) is { } facts
            && facts.DefaultBranch == repository.DefaultBranch)
            return facts.Protection is null ? null : OctokitJson.Deserialize<BranchProtectionSettings>(facts.Protection);
        return await BranchProtectionRestAsync(repository, branch, cancellationToken).ConfigureAwait(false);
    }

    private Task<BranchProtectionSettings?> BranchProtectionRestAsync(Repository repository, string? branch, CancellationToken cancellationToken)
    {
        var relative = $"repos/{Path(repository)}/branches/{Esc(branch ?? repository.DefaultBranch)}/protection";
        return Call<BranchProtectionSettings?>($"GET /{relative}", async () =>
        {
            try
            {
                var response = await _connection.Get<JsonElement>(new Uri(relative, UriKind.Relative), NoParameters, JsonAccept, cancellationToken).ConfigureAwait(false);
                var json = Parse(response.HttpResponse, relative, JsonValueKind.Object);
                // GitHub's protection object always carries its own url: '{}' or another object is not a protection to judge.
                if (!json.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String)
                    throw new UnusableAnswerException(relative, "expected GitHub's branch protection object (with its 'url'), found an object without one", service: GitHubSession.Service);
                return OctokitJson.Deserialize<BranchProtectionSettings>((string)response.HttpResponse.Body);
            }
            catch (NotFoundException ex) when (Says(ex, "Branch not protected"))
            {
                return null; // GitHub's documented answer for an unprotected branch: data, not a fault
            }
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<JsonElement>> EffectiveBranchRulesAsync(Repository repository, string? branch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if ((branch is null || branch == repository.DefaultBranch) && await FactsAsync(repository, cancellationToken).ConfigureAwait(false) is { Rules: { } rules } facts
            && facts.DefaultBranch == repository.DefaultBranch)
            return rules;
        return await GetAllJsonAsync($"repos/{Path(repository)}/rules/branches/{Esc(branch ?? repository.DefaultBranch)}", 100, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<JsonElement>> RulesetsAsync(Repository repository, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return GetAllJsonAsync($"repos/{Path(repository)}/rulesets?includes_parents=true", 100, cancellationToken);
    }

    public async Task<JsonElement> RulesetAsync(Repository repository, long rulesetId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        // An organisation ruleset is one resource, however many repositories it applies to: read it once for all of them.
        if (await FactsAsync(repository, cancellationToken).ConfigureAwait(false) is not null && _facts is not null
            && (await _facts.GetAsync(cancellationToken).ConfigureAwait(false)).Value is { } all && all.OrganizationRulesets.Contains(rulesetId))
            return await GetJsonAsync($"orgs/{Esc(Organization)}/rulesets/{rulesetId}", cancellationToken).ConfigureAwait(false);
        return await GetJsonAsync($"repos/{Path(repository)}/rulesets/{rulesetId}", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JsonElement>?> SecretScanningAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        // The repository list says whether secret scanning is on (security_and_analysis, shown to admins and security
        // managers): only then does "not in the organisation list" mean no alert. Without it, ask the repository.
        var status = repository.SecurityAndAnalysis?.SecretScanning?.Status;
        if (status is "enabled" or "disabled" && Owned(repository) && await OrgPathAsync(cancellationToken).ConfigureAwait(false))
        {
            if (status == "disabled")
                return null;
            if (await OrgAlertsAsync("secret-scanning", state, cancellationToken).ConfigureAwait(false) is { } index)
                return Slice(index, repository);
        }

        // hide_secret: the leaked secret itself must never become evidence.
        return await FeatureListAsync($"repos/{Path(repository)}/secret-scanning/alerts?state={Esc(state)}&hide_secret=true",
            ["secret scanning is disabled", "secret scanning is not enabled"], cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JsonElement>?> DependabotAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        // GraphQL says whether Dependabot alerts are on (hasVulnerabilityAlertsEnabled): only then is absence from the
        // organisation list zero alerts.
        if (await FactsAsync(repository, cancellationToken).ConfigureAwait(false) is { VulnerabilityAlertsEnabled: { } enabled })
        {
            if (!enabled)
                return null;
            if (await OrgAlertsAsync("dependabot", state, cancellationToken).ConfigureAwait(false) is { } index)
                return Slice(index, repository);
        }

        return await FeatureListAsync($"repos/{Path(repository)}/dependabot/alerts?state={Esc(state)}",
            ["dependabot alerts are disabled", "dependabot alerts are not enabled"], cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JsonElement>?> CodeScanningAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        // No organisation answer says whether code scanning has analyses for a repository: an alert in the organisation
        // list proves it has; a repository absent from the list is asked itself ("no analysis found" or its alerts).
        if (Owned(repository) && await OrgPathAsync(cancellationToken).ConfigureAwait(false)
            && await OrgAlertsAsync("code-scanning", state, cancellationToken).ConfigureAwait(false) is { } index
            && index.TryGetValue(repository.FullName, out var alerts))
            return alerts;

        return await FeatureListAsync($"repos/{Path(repository)}/code-scanning/alerts?state={Esc(state)}",
            ["no analysis found", "advanced security must be enabled", "code scanning is not enabled"], cancellationToken).ConfigureAwait(false);
    }

    public Task<JsonElement> WorkflowPermissionsAsync(Repository? repository = null, CancellationToken cancellationToken = default) =>
        GetJsonAsync(repository is null ? $"orgs/{Esc(Organization)}/actions/permissions/workflow" : $"repos/{Path(repository)}/actions/permissions/workflow", cancellationToken);

    public async Task<IReadOnlyList<JsonElement>> DeployKeysAsync(Repository repository, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if (await FactsAsync(repository, cancellationToken).ConfigureAwait(false) is { DeployKeys: { } keys })
            return keys;
        return await GetAllJsonAsync($"repos/{Path(repository)}/keys", 100, cancellationToken).ConfigureAwait(false);
    }

    // Newest first: the first pages are the recent events asked for, so stopping at maxPages is the request, not a loss.
    public Task<IReadOnlyList<JsonElement>> AuditLogAsync(string? phrase = null, int maxPages = 1, CancellationToken cancellationToken = default) =>
        JsonListAsync($"orgs/{Esc(Organization)}/audit-log?order=desc{(phrase is null ? "" : "&phrase=" + Uri.EscapeDataString(phrase))}",
            maxPages, firstPagesOnly: true, cancellationToken);

    public Task<IReadOnlyList<JsonElement>> AuditLogStreamsAsync(string enterprise, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(enterprise);
        return GetAllJsonAsync($"enterprises/{Esc(enterprise)}/audit-log/streams", 10, cancellationToken);
    }

    public Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var relative = path.TrimStart('/');
        return Call($"GET /{relative}", async () =>
        {
            var response = await _connection.Get<JsonElement>(new Uri(relative, UriKind.Relative), NoParameters, JsonAccept, cancellationToken).ConfigureAwait(false);
            return Parse(response.HttpResponse, relative, expected: null);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>> GetAllJsonAsync(string path, int maxPages = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return JsonListAsync(path, maxPages, firstPagesOnly: false, cancellationToken);
    }

    /// <summary>The items of every page of a list endpoint (see <see cref="PagesAsync"/>), as JSON.</summary>
    private Task<IReadOnlyList<JsonElement>> JsonListAsync(string path, int maxPages, bool firstPagesOnly, CancellationToken cancellationToken)
    {
        var relative = WithPerPage(path);
        return Call<IReadOnlyList<JsonElement>>($"GET /{relative}", async () =>
        {
            var pages = await PagesAsync(relative, maxPages, cancellationToken, firstPagesOnly).ConfigureAwait(false);
            return [.. pages.SelectMany(p => p.Json.EnumerateArray())];
        }, cancellationToken);
    }

    /// <summary>
    /// Every page of a list endpoint, each refused unless it is a 200 labelled JSON holding an array, following
    /// <c>Link: rel="next"</c>. More than <paramref name="maxPages"/> pages is a fault unless <paramref name="firstPagesOnly"/>
    /// (the audit log, read newest first, where the first pages are what is asked for).
    /// </summary>
    private async Task<IReadOnlyList<Page>> PagesAsync(string relative, int maxPages, CancellationToken cancellationToken, bool firstPagesOnly = false)
    {
        var pages = new List<Page>();
        var limit = Math.Max(1, maxPages);
        Uri? next = new(relative, UriKind.Relative);
        var seen = new HashSet<string>(StringComparer.Ordinal) { new Uri(_connection.BaseAddress, next).AbsoluteUri };
        while (next is not null)
        {
            if (pages.Count == limit)
            {
                if (firstPagesOnly)
                    break;
                throw new UnusableAnswerException(relative, $"it has more than {limit} page(s) of 100 and only {limit} may be read; raise maxPages "
                    + "(a partial list is never returned as the whole)", service: GitHubSession.Service);
            }

            var response = await _connection.Get<JsonElement>(next, NoParameters, JsonAccept, cancellationToken).ConfigureAwait(false);
            var url = next.ToString();
            pages.Add(new Page(Parse(response.HttpResponse, url, JsonValueKind.Array), (string)response.HttpResponse.Body));
            next = LinkHeader.Next(Header(response.HttpResponse, "Link"), url, GitHubSession.Service);
            if (next is null)
                break;
            // The token goes with every page: a next link off the configured API is refused before anything is sent.
            _stack.EnsureAllowedOrigin(new Uri(_connection.BaseAddress, next));
            // A next link back to a page already read would loop until the rule times out; say so instead.
            if (!seen.Add(new Uri(_connection.BaseAddress, next).AbsoluteUri))
                throw new UnusableAnswerException(url, $"its Link header names '{next}' as the next page, which was already read", service: GitHubSession.Service);
        }

        return pages;
    }

    /// <summary>A list endpoint read into Octokit's model, through the same strict pages as the JSON calls.</summary>
    private Task<IReadOnlyList<T>> ListAsync<T>(string path, CancellationToken cancellationToken)
    {
        var relative = WithPerPage(path);
        return Call<IReadOnlyList<T>>($"GET /{relative}", async () =>
        {
            var pages = await PagesAsync(relative, int.MaxValue, cancellationToken).ConfigureAwait(false);
            return [.. pages.SelectMany(p => OctokitJson.Deserialize<List<T>>(p.Body))];
        }, cancellationToken);
    }

    private sealed record Page(JsonElement Json, string Body);

    private Task<IReadOnlyList<JsonElement>?> FeatureListAsync(string path, string[] disabledMessages, CancellationToken cancellationToken)
    {
        var relative = WithPerPage(path);
        return Call<IReadOnlyList<JsonElement>?>($"GET /{relative}", async () =>
        {
            try
            {
                var pages = await PagesAsync(relative, 100, cancellationToken).ConfigureAwait(false);
                return [.. pages.SelectMany(p => p.Json.EnumerateArray())];
            }
            catch (ApiException api) when (api.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound && disabledMessages.Any(m => Says(api, m)))
            {
                return null; // GitHub's documented answer when the feature is off for the repository: data, not a fault
            }
        }, cancellationToken);
    }

    private static string WithPerPage(string path)
    {
        var relative = path.TrimStart('/');
        return relative + (relative.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "per_page=100";
    }

    /// <summary>
    /// The JSON of a successful GET, refused unless GitHub answered 200, labelled it JSON, and it parses as
    /// <paramref name="expected"/> (any JSON when null). Octokit treats a 204, 202 or an uncached 304 as success
    /// with no body, and an unlabelled body as no data: read that way, a sign-in page or an empty answer would be
    /// "no items".
    /// </summary>
    private static JsonElement Parse(IResponse response, string url, JsonValueKind? expected) =>
        StrictJson.Parse(response.StatusCode, response.ContentType, response.Body as string, url, expected, GitHubSession.Service);

    private static string? Header(IResponse response, string name) =>
        response.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The value GitHub's REST API names an Octokit enum by (its <see cref="ParameterAttribute"/>, else the lower-case name).</summary>
    private static string Param(Enum value) =>
        value.GetType().GetField(value.ToString())?.GetCustomAttribute<ParameterAttribute>()?.Value ?? value.ToString().ToLowerInvariant();

    private async Task<T> Call<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw GitHubFaults.Map(ex, what, _time, _options.MaxRateLimitWait, _options.Redactor);
        }
    }

    private static bool Says(ApiException ex, string text) =>
        (ex.ApiError?.Message ?? ex.Message ?? "").Contains(text, StringComparison.OrdinalIgnoreCase);

    private bool Keep(Repository repo)
    {
        if (repo.Archived && !_options.IncludeArchived)
            return false;
        if (repo.Fork && !_options.IncludeForks)
            return false;
        if (_include.Length > 0 && !_include.Any(g => Matches(g, repo)))
            return false;
        if (_exclude.Any(g => Matches(g, repo)))
            return false;
        if (_options.Topics.Count > 0 && !(repo.Topics ?? []).Any(t => _options.Topics.Contains(t, StringComparer.OrdinalIgnoreCase)))
            return false;
        if (_options.Shard is { } shard && !shard.Owns($"{Organization}/{repo.Name}"))
            return false;
        return true;
    }

    private static bool Matches(Regex glob, Repository repo) =>
        glob.IsMatch(glob.ToString().Contains('/', StringComparison.Ordinal) ? repo.FullName : repo.Name);

    internal static Regex Glob(string glob) =>
        new("^" + Regex.Escape(glob).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private (string Owner, string Name) Split(Repository repo) => (repo.Owner?.Login ?? Organization, repo.Name);

    private string Path(Repository repo)
    {
        var (owner, name) = Split(repo);
        return $"{Esc(owner)}/{Esc(name)}";
    }

    private static string Esc(string value) => Uri.EscapeDataString(value);
}
