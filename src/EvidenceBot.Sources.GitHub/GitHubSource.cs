using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Sources.GitHub.Http;
using Octokit;

namespace EvidenceBot.Sources.GitHub;

/// <summary>The GitHub source for one organisation: what <see cref="IGitHubSource"/> promises, over the session's shared stack.</summary>
internal sealed class GitHubSource : IGitHubSource
{
    private const string JsonAccept = "application/vnd.github+json";
    private static readonly Dictionary<string, string> NoParameters = [];
    private readonly IGitHubClient _client;
    private readonly IConnection _connection;
    private readonly GitHubSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;

    public GitHubSource(string organization, IGitHubClient client, GitHubSourceOptions options, TimeProvider time)
    {
        Organization = organization;
        _client = client;
        _connection = client.Connection;
        _options = options;
        _time = time;
        _include = [.. options.Include.Select(Glob)];
        _exclude = [.. options.Exclude.Select(Glob)];
    }

    public string Organization { get; }

    private static ApiOptions Pages => new() { PageSize = 100 };

    public Task<JsonElement> OrganizationAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync($"orgs/{Esc(Organization)}", cancellationToken);

    public async Task<IReadOnlyList<Repository>> RepositoriesAsync(CancellationToken cancellationToken = default)
    {
        var all = await Call($"GET /orgs/{Organization}/repos", () => _client.Repository.GetAllForOrg(Organization, Pages), cancellationToken).ConfigureAwait(false);
        return [.. all.Where(Keep).OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase)];
    }

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
        await Call($"GET /orgs/{Organization}/members?filter={filter}&role={role}",
            () => _client.Organization.Member.GetAll(Organization, filter, role, Pages), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<User>> OutsideCollaboratorsAsync(OrganizationMembersFilter filter = OrganizationMembersFilter.All, CancellationToken cancellationToken = default) =>
        await Call($"GET /orgs/{Organization}/outside_collaborators?filter={filter}",
            () => _client.Organization.OutsideCollaborator.GetAll(Organization, filter, Pages), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<Collaborator>> CollaboratorsAsync(Repository repository, CollaboratorAffiliation affiliation = CollaboratorAffiliation.All,
        CollaboratorPermission? permission = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var (owner, name) = Split(repository);
        var request = new RepositoryCollaboratorListRequest { Affiliation = affiliation, Permission = permission };
        return await Call($"GET /repos/{owner}/{name}/collaborators?affiliation={affiliation}",
            () => _client.Repository.Collaborator.GetAll(owner, name, request, Pages), cancellationToken).ConfigureAwait(false);
    }

    public Task<BranchProtectionSettings?> BranchProtectionAsync(Repository repository, string? branch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var (owner, name) = Split(repository);
        var b = branch ?? repository.DefaultBranch;
        return Call<BranchProtectionSettings?>($"GET /repos/{owner}/{name}/branches/{b}/protection", async () =>
        {
            try
            {
                return await _client.Repository.Branch.GetBranchProtection(owner, name, b).ConfigureAwait(false);
            }
            catch (NotFoundException ex) when (Says(ex, "Branch not protected"))
            {
                return null; // GitHub's documented answer for an unprotected branch: data, not a fault
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>> EffectiveBranchRulesAsync(Repository repository, string? branch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return GetAllJsonAsync($"repos/{Path(repository)}/rules/branches/{Esc(branch ?? repository.DefaultBranch)}", 100, cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>> RulesetsAsync(Repository repository, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return GetAllJsonAsync($"repos/{Path(repository)}/rulesets?includes_parents=true", 100, cancellationToken);
    }

    public Task<JsonElement> RulesetAsync(Repository repository, long rulesetId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return GetJsonAsync($"repos/{Path(repository)}/rulesets/{rulesetId}", cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>?> SecretScanningAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        // hide_secret: the leaked secret itself must never become evidence.
        return FeatureListAsync($"repos/{Path(repository)}/secret-scanning/alerts?state={Esc(state)}&hide_secret=true",
            ["secret scanning is disabled", "secret scanning is not enabled"], cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>?> DependabotAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return FeatureListAsync($"repos/{Path(repository)}/dependabot/alerts?state={Esc(state)}",
            ["dependabot alerts are disabled", "dependabot alerts are not enabled"], cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>?> CodeScanningAlertsAsync(Repository repository, string state = "open", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return FeatureListAsync($"repos/{Path(repository)}/code-scanning/alerts?state={Esc(state)}",
            ["no analysis found", "advanced security must be enabled", "code scanning is not enabled"], cancellationToken);
    }

    public Task<JsonElement> WorkflowPermissionsAsync(Repository? repository = null, CancellationToken cancellationToken = default) =>
        GetJsonAsync(repository is null ? $"orgs/{Esc(Organization)}/actions/permissions/workflow" : $"repos/{Path(repository)}/actions/permissions/workflow", cancellationToken);

    public Task<IReadOnlyList<JsonElement>> DeployKeysAsync(Repository repository, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return GetAllJsonAsync($"repos/{Path(repository)}/keys", 100, cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>> AuditLogAsync(string? phrase = null, int maxPages = 1, CancellationToken cancellationToken = default) =>
        GetAllJsonAsync($"orgs/{Esc(Organization)}/audit-log?order=desc{(phrase is null ? "" : "&phrase=" + Uri.EscapeDataString(phrase))}", maxPages, cancellationToken);

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
            return Parse(response.HttpResponse, relative);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>> GetAllJsonAsync(string path, int maxPages = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var relative = WithPerPage(path);
        return Call<IReadOnlyList<JsonElement>>($"GET /{relative}", () => PagesAsync(relative, maxPages, cancellationToken), cancellationToken);
    }

    private async Task<IReadOnlyList<JsonElement>> PagesAsync(string relative, int maxPages, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        Uri? next = new(relative, UriKind.Relative);
        for (var page = 0; next is not null && page < Math.Max(1, maxPages); page++)
        {
            var response = await _connection.Get<JsonElement>(next, NoParameters, JsonAccept, cancellationToken).ConfigureAwait(false);
            var json = Parse(response.HttpResponse, next.ToString());
            if (json.ValueKind != JsonValueKind.Array)
                throw new MalformedResponseException(next.ToString(), $"expected a JSON array, found {json.ValueKind.ToString().ToLowerInvariant()}");
            items.AddRange(json.EnumerateArray());
            next = response.HttpResponse.ApiInfo?.GetNextPageUrl();
        }

        return items;
    }

    private Task<IReadOnlyList<JsonElement>?> FeatureListAsync(string path, string[] disabledMessages, CancellationToken cancellationToken)
    {
        var relative = WithPerPage(path);
        return Call<IReadOnlyList<JsonElement>?>($"GET /{relative}", async () =>
        {
            try
            {
                return await PagesAsync(relative, 100, cancellationToken).ConfigureAwait(false);
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

    private static JsonElement Parse(IResponse response, string url)
    {
        var body = response.Body as string;
        var type = response.ContentType ?? "";
        if (!type.Contains("json", StringComparison.OrdinalIgnoreCase))
            throw new MalformedResponseException(url, $"expected JSON, the answer is '{(type.Length == 0 ? "without a content type" : type)}'");
        if (string.IsNullOrWhiteSpace(body))
            throw new MalformedResponseException(url, "the body is empty");
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new MalformedResponseException(url, ex.Message);
        }
    }

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
