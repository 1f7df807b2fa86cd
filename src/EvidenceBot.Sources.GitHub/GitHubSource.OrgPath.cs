using System.Collections.Concurrent;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;
using Octokit;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// The organisation path: the first per-repository question of a run triggers one organisation-wide fetch (an
/// organisation alert list, or the GraphQL pages of every repository), shared by every rule and kept for the run; each
/// answer is sliced from it. Every rule that uses a slice gets the whole fetch's exchanges as raw evidence. A repository
/// the organisation-wide answer does not cover (a feature whose state is unknown, a list longer than one GraphQL page)
/// is read per repository. A missing permission, a 404 or a malformed answer on an organisation endpoint is never "no
/// alerts": the rule's log says why, and that question goes the per-repository way; a transient fault is the rule's error.
/// </summary>
internal sealed partial class GitHubSource
{
    private const int OrgListMaxPages = 500;
    private readonly ConcurrentDictionary<string, SharedFetch<Dictionary<string, List<JsonElement>>>> _orgAlerts = new(StringComparer.Ordinal);
    private SharedFetch<OrganizationFacts>? _facts;
    private SharedFetch<PathChoice>? _path;

    /// <summary>True when this run reads per-repository data the organisation way (configured, or detected once per run).</summary>
    private async Task<bool> OrgPathAsync(CancellationToken cancellationToken)
    {
        if (_options.Path != GitHubApiPath.Auto)
        {
            _usage.Path ??= _options.Path == GitHubApiPath.Org ? "org (github.path)" : "repo (github.path)";
            return _options.Path == GitHubApiPath.Org;
        }
        var path = LazyInitializer.EnsureInitialized(ref _path, () => new SharedFetch<PathChoice>(DetectPathAsync, _time));
        var outcome = await path.GetAsync(cancellationToken, (caller, o) =>
        {
            if (o.Error is not null)
                caller.WriteLog($"GitHub: could not tell the server's version ({o.Error.Message}); reading per repository, which every version supports");
        }).ConfigureAwait(false);
        var choice = outcome.Value ?? new PathChoice(false, "repo (the server's version could not be read)");
        _usage.Path = choice.Describe;
        return choice.Org;
    }

    /// <summary>
    /// GitHub.com and GHE.com (<c>*.ghe.com</c>) have every organisation endpoint. Any other host is asked <c>GET /meta</c>:
    /// GitHub Enterprise Server names its version there (<c>installed_version</c>) and in <c>X-GitHub-Enterprise-Version</c>.
    /// </summary>
    private async Task<PathChoice> DetectPathAsync()
    {
        var host = _connection.BaseAddress.Host;
        if (host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".ghe.com", StringComparison.OrdinalIgnoreCase))
            return new PathChoice(true, $"org ({host})");
        const string path = "meta";
        try
        {
            var response = await _connection.Get<JsonElement>(new Uri(path, UriKind.Relative), NoParameters, JsonAccept, CancellationToken.None).ConfigureAwait(false);
            var meta = Parse(response.HttpResponse, path, JsonValueKind.Object);
            var version = meta.TryGetProperty("installed_version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : Header(response.HttpResponse, "X-GitHub-Enterprise-Version");
            return GitHubServerVersion.Choose(version);
        }
        catch (Exception ex)
        {
            throw GitHubFaults.Map(ex, "GET /meta", _time, _options.MaxRateLimitWait, _options.Redactor);
        }
    }

    /// <summary>The GraphQL facts of every repository, or null when the run reads per repository or they are unusable.</summary>
    private async Task<RepositoryFacts?> FactsAsync(Repository repository, CancellationToken cancellationToken)
    {
        if (!Owned(repository) || !await OrgPathAsync(cancellationToken).ConfigureAwait(false))
            return null;
        var facts = LazyInitializer.EnsureInitialized(ref _facts, () => new SharedFetch<OrganizationFacts>(FetchFactsAsync, _time));
        var all = Usable(await facts.GetAsync(cancellationToken, LogFallback<OrganizationFacts>("the GraphQL repository query")).ConfigureAwait(false));
        return all is not null && all.Repositories.TryGetValue(repository.Name, out var one) ? one : null;
    }

    /// <summary>An organisation alert list (<c>GET /orgs/{org}/{feature}/alerts</c>) by repository full name, or null when unusable.</summary>
    private async Task<Dictionary<string, List<JsonElement>>?> OrgAlertsAsync(string feature, string state, CancellationToken cancellationToken)
    {
        var fetch = _orgAlerts.GetOrAdd($"{feature}?{state}", _ => new SharedFetch<Dictionary<string, List<JsonElement>>>(() => FetchOrgAlertsAsync(feature, state), _time));
        return Usable(await fetch.GetAsync(cancellationToken, LogFallback<Dictionary<string, List<JsonElement>>>($"GET /orgs/{Organization}/{feature}/alerts")).ConfigureAwait(false));
    }

    private async Task<Dictionary<string, List<JsonElement>>> FetchOrgAlertsAsync(string feature, string state)
    {
        var path = WithPerPage($"orgs/{Esc(Organization)}/{feature}/alerts?state={Esc(state)}{(feature == "secret-scanning" ? "&hide_secret=true" : "")}");
        try
        {
            var byRepository = new Dictionary<string, List<JsonElement>>(StringComparer.OrdinalIgnoreCase);
            foreach (var page in await PagesAsync(path, OrgListMaxPages, CancellationToken.None).ConfigureAwait(false))
            {
                foreach (var alert in page.Json.EnumerateArray())
                {
                    // Without the repository an alert cannot be sliced: refuse the list rather than lose the alert.
                    if (alert.ValueKind != JsonValueKind.Object || !alert.TryGetProperty("repository", out var repo) || repo.ValueKind != JsonValueKind.Object
                        || !repo.TryGetProperty("full_name", out var name) || name.ValueKind != JsonValueKind.String)
                        throw new UnusableAnswerException(path, "an alert has no repository.full_name, so it cannot be given to its repository", service: GitHubSession.Service);
                    var key = name.GetString()!;
                    if (!byRepository.TryGetValue(key, out var list))
                        byRepository[key] = list = [];
                    list.Add(alert);
                }
            }

            return byRepository;
        }
        catch (Exception ex)
        {
            throw GitHubFaults.Map(ex, $"GET /{path}", _time, _options.MaxRateLimitWait, _options.Redactor);
        }
    }

    private async Task<OrganizationFacts> FetchFactsAsync()
    {
        // GitHub Enterprise Server serves GraphQL at /api/graphql beside REST's /api/v3/.
        var url = new Uri(_connection.BaseAddress.AbsolutePath.EndsWith("/api/v3/", StringComparison.OrdinalIgnoreCase) ? "../graphql" : "graphql", UriKind.Relative);
        var what = $"POST {new Uri(_connection.BaseAddress, url).AbsolutePath} (GraphQL)";
        try
        {
            var repositories = new Dictionary<string, RepositoryFacts>(StringComparer.OrdinalIgnoreCase);
            var cursors = new HashSet<string>(StringComparer.Ordinal);
            string? after = null;
            do
            {
                var body = GitHubGraphQL.Body(Organization, Math.Clamp(_options.GraphQLPageSize, 1, 100), after);
                var response = await _connection.Post<JsonElement>(url, body, "application/json", "application/json", (IDictionary<string, string>?)null, CancellationToken.None).ConfigureAwait(false);
                var page = GitHubGraphQL.Read(Parse(response.HttpResponse, what, JsonValueKind.Object), Organization, what);
                _usage.AddGraphQL(page.Cost);
                foreach (var repo in page.Repositories)
                    repositories[repo.Name] = repo;
                after = page.NextCursor;
                if (after is not null && !cursors.Add(after))
                    throw new UnusableAnswerException(what, $"the cursor '{after}' came back twice: the pages would loop", service: GitHubSession.Service);
            }
            while (after is not null);

            var orgRulesets = repositories.Values.SelectMany(r => r.Rules ?? [])
                .Where(r => r.TryGetProperty("ruleset_source_type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "Organization")
                .Select(r => r.TryGetProperty("ruleset_id", out var id) && id.TryGetInt64(out var n) ? n : 0)
                .Where(id => id > 0).ToHashSet();
            return new OrganizationFacts(repositories, orgRulesets);
        }
        catch (Exception ex)
        {
            throw GitHubFaults.Map(ex, what, _time, _options.MaxRateLimitWait, _options.Redactor);
        }
    }

    /// <summary>
    /// The value of a shared fetch, or null to go the per-repository way: a permanent fault (permission, 404, malformed)
    /// is a reason to ask per repository (logged once per rule), a transient one the calling rule's error.
    /// </summary>
    private static T? Usable<T>(SharedFetch<T>.Outcome outcome) where T : class
    {
        if (outcome.Error is null)
            return outcome.Value;
        var (kind, message) = Describe(outcome.Error);
        if (kind == FaultKind.Permanent)
            return null;
        throw GitHubFaults.Report(kind, message, outcome.Error);
    }

    private static (FaultKind Kind, string Message) Describe(Exception error) =>
        error is SourceFaultException fault
            ? (fault.Kind, fault.Message.StartsWith(fault.Source + ": ", StringComparison.Ordinal) ? fault.Message[(fault.Source.Length + 2)..] : fault.Message)
            : (FaultKind.Permanent, error.Message);

    private static Action<RuleContext, SharedFetch<T>.Outcome> LogFallback<T>(string what) => (caller, outcome) =>
    {
        if (outcome.Error is not null && Describe(outcome.Error).Kind == FaultKind.Permanent)
            caller.WriteLog($"GitHub: {what} could not be used ({Describe(outcome.Error).Message}); the questions it answers are asked per repository instead");
    };

    private bool Owned(Repository repository) =>
        string.Equals(repository.Owner?.Login ?? Organization, Organization, StringComparison.OrdinalIgnoreCase);

    /// <summary>The alerts of one repository from an organisation list: none when it is not in the list.</summary>
    private static IReadOnlyList<JsonElement> Slice(Dictionary<string, List<JsonElement>> index, Repository repository) =>
        index.TryGetValue(repository.FullName, out var alerts) ? alerts : [];

    /// <summary>What the GraphQL pages said of the organisation: each repository, and which ruleset ids are the organisation's.</summary>
    private sealed record OrganizationFacts(Dictionary<string, RepositoryFacts> Repositories, HashSet<long> OrganizationRulesets);
}

/// <summary>Which path a server gets, and why (for the run summary).</summary>
internal sealed record PathChoice(bool Org, string Describe);

/// <summary>The GitHub Enterprise Server versions the organisation path needs. See docs/sources/github.md.</summary>
internal static class GitHubServerVersion
{
    /// <summary>
    /// 3.11: the newest of what the organisation path uses. Organisation Dependabot alerts came with 3.8, organisation
    /// code-scanning and secret-scanning alerts earlier; repository rulesets, and with them the <c>rules</c> of a ref in
    /// GraphQL, with 3.11.
    /// </summary>
    public static readonly Version OrgPathMinimum = new(3, 11);

    /// <summary>The path for a server that names <paramref name="installedVersion"/> (null: not GitHub Enterprise Server).</summary>
    public static PathChoice Choose(string? installedVersion)
    {
        if (string.IsNullOrWhiteSpace(installedVersion))
            return new PathChoice(true, "org (the server names no Enterprise Server version)");
        var digits = new string([.. installedVersion.TakeWhile(c => char.IsDigit(c) || c == '.')]).Trim('.');
        if (!Version.TryParse(digits.Contains('.', StringComparison.Ordinal) ? digits : digits + ".0", out var version))
            return new PathChoice(false, $"repo (GitHub Enterprise Server version '{installedVersion}' not understood)");
        var min = OrgPathMinimum.ToString(2);
        return version >= OrgPathMinimum
            ? new PathChoice(true, $"org (GitHub Enterprise Server {installedVersion} ≥ {min})")
            : new PathChoice(false, $"repo (GitHub Enterprise Server {installedVersion} < {min})");
    }
}
