using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace EvidenceBot.Sources.GitHub.Tests.Fake;

/// <summary>A scripted answer: status, headers, body (JSON text unless a content type says otherwise).</summary>
public sealed record FakeAnswer(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null, string ContentType = "application/json; charset=utf-8")
{
    /// <summary>How long the fake waits before answering (e.g. to make an attempt time out).</summary>
    public TimeSpan Delay { get; init; }
}

/// <summary>
/// A GitHub REST API on loopback (WireMock.Net): organisations, repositories and their security settings from a
/// model, every body started from the matching example of GitHub's OpenAPI description. Paginates with Link
/// headers, answers If-None-Match with 304, and plays scripted faults (rate limits, 5xx, malformed bodies).
/// </summary>
public sealed class FakeGitHub : IDisposable
{
    private readonly WireMockServer _server;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<FakeAnswer>> _scripted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeAnswer> _always = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private int _notModified;

    private FakeGitHub(TimeSpan latency)
    {
        // No request log: the fake keeps its own, and WireMock's would grow with every request of a long bench.
        _server = WireMockServer.Start(new WireMock.Settings.WireMockServerSettings { MaxRequestLogCount = 0 });
        // The latency is awaited here rather than with WireMock's WithDelay, which held a thread per waiting request
        // and made 16 concurrent answers take ~70 ms instead of 50 on two cores.
        _server.Given(Request.Create().UsingAnyMethod().WithPath("/*")).RespondWith(Response.Create().WithCallback(async request =>
        {
            var answer = Respond(request, out var delay);
            var wait = latency + delay;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait);
            return answer;
        }));
    }

    /// <summary>Starts a fake on a free loopback port.</summary>
    public static FakeGitHub Start(TimeSpan latency = default) => new(latency);

    /// <summary>The API base URL, ending in '/'.</summary>
    public Uri BaseUrl => new(_server.Url!.Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");

    public List<FakeOrg> Orgs { get; } = [];

    /// <summary>The clock the fake reads "now" from (alert ages, rate-limit resets, token expiry).</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>Scopes reported in X-OAuth-Scopes.</summary>
    public string GrantedScopes { get; set; } = "repo, read:org, admin:org, security_events";

    /// <summary>When set, a request must carry <c>Authorization: Bearer/token VALUE</c> (or a minted installation token), else 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Installation tokens minted so far.</summary>
    public ConcurrentQueue<string> MintedTokens { get; } = new();

    /// <summary>How long a minted installation token lives.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every request, as "METHOD /path?query", in arrival order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Requests answered 304.</summary>
    public int NotModified => _notModified;

    /// <summary>
    /// Keep each computed answer for its URL (the model must not change afterwards). For benchmarks: the fake shares
    /// the machine's cores with the code measured, and GitHub's own work is not ours to count.
    /// </summary>
    public bool CacheAnswers { get; set; }

    private readonly ConcurrentDictionary<string, FakeAnswer> _answers = new(StringComparer.Ordinal);

    /// <summary>
    /// GitHub Enterprise Server's version, named by <c>GET /meta</c> (<c>installed_version</c>) and the
    /// <c>X-GitHub-Enterprise-Version</c> header; null: GitHub.com, which names none.
    /// </summary>
    public string? EnterpriseVersion { get; set; }

    /// <summary>
    /// Per-token primary rate limits: a request with a listed token counts against it and answers its remaining count;
    /// at zero it is refused with 403 "API rate limit exceeded" and <c>X-RateLimit-Reset</c>, as GitHub documents.
    /// </summary>
    public ConcurrentDictionary<string, FakeTokenLimit> TokenLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>GraphQL queries answered.</summary>
    public int GraphQLQueries => _graphql;

    /// <summary>
    /// POST answers (GraphQL) since the last <see cref="ResetLog"/> identical to the answer the same request got before:
    /// what a second run would have had answered 304 if GraphQL knew ETags.
    /// </summary>
    public int UnchangedPosts => _unchangedPosts;

    private int _unchangedPosts;
    private readonly ConcurrentDictionary<string, string> _postAnswers = new(StringComparer.Ordinal);

    private int _graphql;

    /// <summary>Authorization headers seen, to prove which credentials were sent.</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    public FakeOrg AddOrg(string login)
    {
        var org = new FakeOrg { Login = login };
        Orgs.Add(org);
        return org;
    }

    /// <summary>The next requests whose path (and query) starts with <paramref name="prefix"/> get these answers, in order.</summary>
    public void Script(string prefix, params FakeAnswer[] answers)
    {
        var queue = _scripted.GetOrAdd(prefix, _ => new ConcurrentQueue<FakeAnswer>());
        foreach (var a in answers)
            queue.Enqueue(a);
    }

    /// <summary>Every request whose path starts with <paramref name="prefix"/> gets this answer.</summary>
    public void Always(string prefix, FakeAnswer answer) => _always[prefix] = answer;

    public void ClearFaults()
    {
        _scripted.Clear();
        _always.Clear();
    }

    public void ResetLog()
    {
        _requests.Clear();
        _notModified = 0;
        _unchangedPosts = 0;
    }

    public void Dispose() => _server.Stop();

    private ResponseMessage Respond(IRequestMessage request, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        var path = request.Path;
        var query = request.Query ?? new Dictionary<string, WireMockList<string>>();
        var rawQuery = request.RawQuery ?? "";
        var target = path + (rawQuery.Length > 0 ? (rawQuery.StartsWith('?') ? rawQuery : "?" + rawQuery) : "");
        // A POST is told apart by its body (two GraphQL pages go to one URL).
        var body = request.Method == "POST" && !string.IsNullOrEmpty(request.Body) ? "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.Body)))[..12] : "";
        _requests.Enqueue($"{request.Method} {target}{body}");
        if (Header(request, "Authorization") is { } auth)
            Authorizations.Enqueue(auth);

        Dictionary<string, string>? limitHeaders = null;
        var bearer = Header(request, "Authorization") is { } a && a.Contains(' ', StringComparison.Ordinal) ? a[(a.IndexOf(' ', StringComparison.Ordinal) + 1)..] : null;
        if (bearer is not null && TokenLimits.TryGetValue(bearer, out var limit))
        {
            int left;
            lock (limit)
            {
                limit.Used++;
                left = limit.Remaining == 0 ? -1 : --limit.Remaining;
            }

            var reset = limit.Reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            if (left < 0)
            {
                return ToMessage(Error(403, "API rate limit exceeded for this token.", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    new Dictionary<string, string> { ["X-RateLimit-Limit"] = limit.Limit.ToString(CultureInfo.InvariantCulture), ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset }), request);
            }

            limitHeaders = new Dictionary<string, string>
            {
                ["X-RateLimit-Limit"] = limit.Limit.ToString(CultureInfo.InvariantCulture),
                ["X-RateLimit-Remaining"] = left.ToString(CultureInfo.InvariantCulture),
                ["X-RateLimit-Reset"] = reset,
            };
        }

        foreach (var (prefix, queue) in _scripted)
        {
            if (target.StartsWith(prefix, StringComparison.Ordinal) && queue.TryDequeue(out var scripted))
            {
                delay = scripted.Delay;
                return ToMessage(scripted, request);
            }
        }

        foreach (var (prefix, answer) in _always)
        {
            if (target.StartsWith(prefix, StringComparison.Ordinal))
            {
                delay = answer.Delay;
                return ToMessage(answer, request);
            }
        }

        if (RequiredToken is not null && !Authorized(request))
            return ToMessage(Error(401, "Bad credentials"), request);

        if (CacheAnswers && _answers.TryGetValue(request.Method + " " + target, out var cached))
            return ToMessage(cached, request);
        FakeAnswer result;
        try
        {
            result = Route(request.Method, path.Trim('/').Split('/'), query, request);
        }
        catch (KeyNotFoundException)
        {
            result = Error(404, "Not Found");
        }

        if (CacheAnswers && request.Method == "GET")
            _answers[request.Method + " " + target] = result;
        if (request.Method == "POST" && result.Body is { } answered)
        {
            // The data, not the rateLimit block (its remaining count and reset time move with every query).
            var data = JsonNode.Parse(answered)?["data"]?["organization"]?.ToJsonString() ?? answered;
            var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(data)));
            if (_postAnswers.TryGetValue(target + body, out var before) && before == digest)
                Interlocked.Increment(ref _unchangedPosts);
            _postAnswers[target + body] = digest;
        }
        if (limitHeaders is not null)
        {
            foreach (var (k, v) in result.Headers ?? new Dictionary<string, string>())
                limitHeaders.TryAdd(k, v);
            result = result with { Headers = limitHeaders };
        }

        return ToMessage(result, request);
    }

    private bool Authorized(IRequestMessage request)
    {
        var auth = Header(request, "Authorization") ?? "";
        var value = auth.Contains(' ', StringComparison.Ordinal) ? auth[(auth.IndexOf(' ', StringComparison.Ordinal) + 1)..] : auth;
        return value == RequiredToken || MintedTokens.Contains(value) || (request.Path.StartsWith("/app/", StringComparison.Ordinal) || request.Path.EndsWith("/installation", StringComparison.Ordinal)) && value.Count(c => c == '.') == 2;
    }

    private FakeAnswer Route(string method, string[] s, IDictionary<string, WireMockList<string>> q, IRequestMessage request)
    {
        if (method == "POST" && s is ["app", "installations", var installationId, "access_tokens"])
            return MintToken(installationId);
        if (method == "POST" && s is ["graphql"] or ["api", "graphql"])
            return GraphQL(request.Body ?? "");
        if (method != "GET")
            return Error(405, "Method not allowed in the fake");

        switch (s)
        {
            case ["meta"]:
            {
                var meta = OpenApiExamples.Example("api-overview").AsObject();
                if (EnterpriseVersion is null)
                    return Ok(meta);
                meta["installed_version"] = EnterpriseVersion;
                return new FakeAnswer(200, meta.ToJsonString(), new Dictionary<string, string> { ["X-GitHub-Enterprise-Version"] = EnterpriseVersion });
            }

            case ["orgs", var o]:
                return Ok(Organization(OrgOf(o)));
            case ["orgs", var o, "dependabot", "alerts"]:
            {
                var org = OrgOf(o);
                return Paged(new JsonArray([.. org.Repos.Where(r => r.DependabotAlerts is not null)
                    .SelectMany(r => r.DependabotAlerts!.Select(a => (JsonNode)WithRepository(DependabotAlert(a, organization: true), org, r)))]), q, request);
            }

            case ["orgs", var o, "code-scanning", "alerts"]:
            {
                var org = OrgOf(o);
                return Paged(new JsonArray([.. org.Repos.Where(r => r.CodeScanningAlerts is not null)
                    .SelectMany(r => r.CodeScanningAlerts!.Select(a => (JsonNode)WithRepository(CodeScanningAlert(a, organization: true), org, r)))]), q, request);
            }

            case ["orgs", var o, "secret-scanning", "alerts"]:
            {
                var org = OrgOf(o);
                return Paged(new JsonArray([.. org.Repos.Where(r => r.SecretAlerts is not null)
                    .SelectMany(r => r.SecretAlerts!.Select(a => (JsonNode)WithRepository(SecretAlert(a, q, organization: true), org, r)))]), q, request);
            }

            case ["orgs", var o, "rulesets", var rulesetId]:
            {
                var org = OrgOf(o);
                var rs = org.Repos.SelectMany(r => r.Rulesets).FirstOrDefault(x => x.FromOrganization && x.Id.ToString(CultureInfo.InvariantCulture) == rulesetId)
                    ?? throw new KeyNotFoundException();
                var ruleset = Ruleset(o, "", rs, withRules: true, example: "org-ruleset");
                return Ok(ruleset);
            }
            case ["orgs", var o, "repos"]:
                return Paged(new JsonArray([.. OrgOf(o).Repos.Select(r => (JsonNode)Repository(OrgOf(o), r))]), q, request);
            case ["orgs", var o, "members"]:
            {
                var org = OrgOf(o);
                var users = org.Members.Where(m => (Q(q, "filter") != "2fa_disabled" || !m.TwoFactor) && (Q(q, "role") != "admin" || m.Admin));
                return Paged(Users(users.Select(u => u.Login)), q, request);
            }
            case ["orgs", var o, "outside_collaborators"]:
                return Paged(Users(OrgOf(o).OutsideCollaborators.Where(u => Q(q, "filter") != "2fa_disabled" || !u.TwoFactor).Select(u => u.Login)), q, request);
            case ["orgs", var o, "installation"]:
            {
                var installation = OpenApiExamples.Example("installation").AsObject();
                installation["id"] = OrgOf(o).InstallationId;
                installation["account"]!["login"] = o;
                return Ok(installation);
            }
            case ["orgs", var o, "actions", "permissions", "workflow"]:
                return Ok(Workflow(OrgOf(o).WorkflowDefault, OrgOf(o).WorkflowCanApprove));
            case ["orgs", var o, "audit-log"]:
                return Paged(AuditLog(OrgOf(o)), q, request);
            case ["enterprises", var e, "audit-log", "streams"]:
                return Ok(Streams(Orgs.FirstOrDefault(x => x.Enterprise == e) ?? throw new KeyNotFoundException()));
            case ["repos", var o, var r, "collaborators"]:
            {
                var repo = RepoOf(o, r);
                var logins = Q(q, "affiliation") == "outside" && Q(q, "permission") == "admin" ? repo.OutsideAdmins : [];
                return Paged(new JsonArray([.. logins.Select(l => (JsonNode)Collaborator(l))]), q, request);
            }
            case ["repos", var o, var r, "branches", var b, "protection"]:
            {
                var repo = RepoOf(o, r);
                return repo.Protection is { } p && Uri.UnescapeDataString(b) == repo.DefaultBranch
                    ? Ok(Protection(o, r, b, p))
                    : Error(404, "Branch not protected", "https://docs.github.com/rest/branches/branch-protection#get-branch-protection");
            }
            case ["repos", var o, var r, "rules", "branches", _]:
                return Paged(EffectiveRules(o, r, RepoOf(o, r)), q, request);
            case ["repos", var o, var r, "rulesets"]:
                return Paged(new JsonArray([.. RepoOf(o, r).Rulesets.Select(rs => (JsonNode)Ruleset(o, r, rs, withRules: false))]), q, request);
            case ["repos", var o, var r, "rulesets", var rulesetId]:
            {
                var rs = RepoOf(o, r).Rulesets.FirstOrDefault(x => x.Id.ToString(CultureInfo.InvariantCulture) == rulesetId) ?? throw new KeyNotFoundException();
                return Ok(Ruleset(o, r, rs, withRules: true));
            }
            case ["repos", var o, var r, "secret-scanning", "alerts"]:
            {
                var repo = RepoOf(o, r);
                return repo.SecretAlerts is null
                    ? Error(404, "Secret scanning is disabled on this repository.", "https://docs.github.com/rest/secret-scanning/secret-scanning#list-secret-scanning-alerts-for-a-repository")
                    : Paged(new JsonArray([.. repo.SecretAlerts.Select(a => (JsonNode)SecretAlert(a, q))]), q, request);
            }
            case ["repos", var o, var r, "dependabot", "alerts"]:
            {
                var repo = RepoOf(o, r);
                return repo.DependabotAlerts is null
                    ? Error(403, "Dependabot alerts are disabled for this repository.", "https://docs.github.com/rest/dependabot/alerts#list-dependabot-alerts-for-a-repository")
                    : Paged(new JsonArray([.. repo.DependabotAlerts.Select(a => (JsonNode)DependabotAlert(a))]), q, request);
            }
            case ["repos", var o, var r, "code-scanning", "alerts"]:
            {
                var repo = RepoOf(o, r);
                return repo.CodeScanningAlerts is null
                    ? Error(404, "no analysis found", "https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-alerts-for-a-repository")
                    : Paged(new JsonArray([.. repo.CodeScanningAlerts.Select(a => (JsonNode)CodeScanningAlert(a))]), q, request);
            }
            case ["repos", var o, var r, "actions", "permissions", "workflow"]:
                return Ok(Workflow(RepoOf(o, r).WorkflowDefault, RepoOf(o, r).WorkflowCanApprove));
            case ["repos", var o, var r, "keys"]:
                return Paged(new JsonArray([.. RepoOf(o, r).DeployKeys.Select(k => (JsonNode)DeployKey(o, r, k))]), q, request);
            case ["rate_limit"]:
                return Ok(OpenApiExamples.Example("rate-limit-overview"));
            default:
                throw new KeyNotFoundException();
        }
    }

    private FakeAnswer MintToken(string installationId)
    {
        if (!Orgs.Any(o => o.InstallationId.ToString(CultureInfo.InvariantCulture) == installationId))
            return Error(404, "Not Found");
        var token = "ghs_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(18));
        MintedTokens.Enqueue(token);
        var body = OpenApiExamples.Example("installation-token").AsObject();
        body["token"] = token;
        body["expires_at"] = (Now() + TokenLifetime).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        return new FakeAnswer(201, body.ToJsonString());
    }

    private FakeOrg OrgOf(string login) => Orgs.FirstOrDefault(o => string.Equals(o.Login, login, StringComparison.OrdinalIgnoreCase)) ?? throw new KeyNotFoundException();

    private FakeRepo RepoOf(string owner, string name) =>
        OrgOf(owner).Repos.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)) ?? throw new KeyNotFoundException();

    private JsonObject Organization(FakeOrg org)
    {
        var o = OpenApiExamples.Example("organization-full").AsObject();
        o["login"] = org.Login;
        o["name"] = org.Login;
        o["url"] = $"https://api.github.com/orgs/{org.Login}";
        // The counts GitHub reports for the organisation agree with what the fake lists, plus any repositories hidden from the token.
        o["public_repos"] = org.Repos.Count;
        o["total_private_repos"] = org.HiddenRepos;
        o["owned_private_repos"] = org.HiddenRepos;
        if (!org.PrivateCountVisible)
        {
            o.Remove("total_private_repos");
            o.Remove("owned_private_repos");
        }

        if (org.TwoFactorRequired is { } required)
            o["two_factor_requirement_enabled"] = required;
        else
            o.Remove("two_factor_requirement_enabled");
        return o;
    }

    private static JsonObject Repository(FakeOrg org, FakeRepo repo)
    {
        var r = OpenApiExamples.FirstItem("minimal-repository-items");
        r["id"] = StableId(org.Login + "/" + repo.Name);
        r["name"] = repo.Name;
        r["full_name"] = $"{org.Login}/{repo.Name}";
        r["owner"]!["login"] = org.Login;
        r["owner"]!["type"] = "Organization";
        r["private"] = true;
        r["visibility"] = "private";
        r["fork"] = repo.Fork;
        r["archived"] = repo.Archived;
        r["default_branch"] = repo.DefaultBranch;
        r["topics"] = new JsonArray([.. repo.Topics.Select(t => (JsonNode)JsonValue.Create(t))]);
        r["url"] = $"https://api.github.com/repos/{org.Login}/{repo.Name}";
        r["html_url"] = $"https://github.com/{org.Login}/{repo.Name}";
        r["permissions"] = new JsonObject { ["admin"] = true, ["maintain"] = true, ["push"] = true, ["triage"] = true, ["pull"] = true };
        if (repo.SecretScanning is { } scanning)
        {
            var sa = r["security_and_analysis"]!.AsObject();
            sa["secret_scanning"] = new JsonObject { ["status"] = scanning ? "enabled" : "disabled" };
            sa["secret_scanning_push_protection"] = new JsonObject { ["status"] = repo.PushProtection ? "enabled" : "disabled" };
        }
        else
        {
            r.Remove("security_and_analysis");
        }

        return r;
    }

    private static JsonArray Users(IEnumerable<string> logins)
    {
        var template = OpenApiExamples.FirstItem("simple-user-items");
        return new JsonArray([.. logins.Select(l =>
        {
            var u = template.DeepClone().AsObject();
            u["login"] = l;
            u["id"] = StableId(l);
            u["url"] = $"https://api.github.com/users/{l}";
            return (JsonNode)u;
        })]);
    }

    private static JsonObject Collaborator(string login)
    {
        var c = OpenApiExamples.FirstItem("collaborator-items");
        c["login"] = login;
        c["id"] = StableId(login);
        c["permissions"] = new JsonObject { ["pull"] = true, ["triage"] = true, ["push"] = true, ["maintain"] = true, ["admin"] = true };
        c["role_name"] = "admin";
        return c;
    }

    private static JsonObject Protection(string owner, string repo, string branch, FakeProtection p)
    {
        var o = OpenApiExamples.Example("branch-protection").AsObject();
        var url = $"https://api.github.com/repos/{owner}/{repo}/branches/{branch}/protection";
        o["url"] = url;
        o["enforce_admins"] = new JsonObject { ["url"] = url + "/enforce_admins", ["enabled"] = p.EnforceAdmins };
        var reviews = o["required_pull_request_reviews"]!.AsObject();
        reviews["required_approving_review_count"] = p.Approvals;
        reviews["require_code_owner_reviews"] = p.CodeOwners;
        reviews["dismiss_stale_reviews"] = p.DismissStale;
        o["allow_force_pushes"] = new JsonObject { ["enabled"] = p.AllowForcePushes };
        o["allow_deletions"] = new JsonObject { ["enabled"] = p.AllowDeletions };
        o["required_signatures"] = new JsonObject { ["url"] = url + "/required_signatures", ["enabled"] = p.RequiredSignatures };
        if (p.Approvals == 0)
            o.Remove("required_pull_request_reviews");
        return o;
    }

    private static JsonArray EffectiveRules(string owner, string repo, FakeRepo r) =>
        new([.. r.Rulesets.Where(rs => rs.Enforcement == "active").SelectMany(rs => rs.Rules.Select(rule =>
        {
            var o = new JsonObject
            {
                ["type"] = rule.Type,
                ["ruleset_source_type"] = rs.FromOrganization ? "Organization" : "Repository",
                ["ruleset_source"] = rs.FromOrganization ? owner : $"{owner}/{repo}",
                ["ruleset_id"] = rs.Id,
            };
            if (rule.Parameters is not null)
                o["parameters"] = JsonNode.Parse(rule.Parameters);
            return (JsonNode)o;
        }))]);

    private static JsonObject Ruleset(string owner, string repo, FakeRuleset rs, bool withRules, string example = "repository-ruleset")
    {
        var o = OpenApiExamples.Example(example).AsObject();
        o["id"] = rs.Id;
        o["name"] = rs.Name;
        o["enforcement"] = rs.Enforcement;
        o["source_type"] = rs.FromOrganization ? "Organization" : "Repository";
        o["source"] = rs.FromOrganization ? owner : $"{owner}/{repo}";
        o["conditions"] = new JsonObject { ["ref_name"] = new JsonObject { ["include"] = new JsonArray("~DEFAULT_BRANCH"), ["exclude"] = new JsonArray() } };
        // GitHub leaves bypass_actors out for a token that may not edit the ruleset (BypassActors < 0 here).
        if (rs.BypassActors < 0)
            o.Remove("bypass_actors");
        else
            o["bypass_actors"] = new JsonArray([.. Enumerable.Range(0, rs.BypassActors).Select(i => (JsonNode)new JsonObject
            {
                ["actor_id"] = 5 + i, ["actor_type"] = "RepositoryRole", ["bypass_mode"] = "always",
            })]);
        if (withRules)
        {
            o["rules"] = new JsonArray([.. rs.Rules.Select(rule =>
            {
                var r = new JsonObject { ["type"] = rule.Type };
                if (rule.Parameters is not null)
                    r["parameters"] = JsonNode.Parse(rule.Parameters);
                return (JsonNode)r;
            })]);
        }
        else
        {
            o.Remove("rules");
        }

        return o;
    }

    private static JsonObject SecretAlert(FakeAlert a, IDictionary<string, WireMockList<string>> q, bool organization = false)
    {
        var o = OpenApiExamples.FirstItem(organization ? "organization-secret-scanning-alert-list" : "secret-scanning-alert-list");
        o["number"] = a.Number;
        o["created_at"] = Iso(a.CreatedAt);
        o["state"] = "open";
        o["resolution"] = null;
        o["resolved_at"] = null;
        o["resolved_by"] = null;
        if (Q(q, "hide_secret") == "true")
            o.Remove("secret");
        return o;
    }

    private static JsonObject DependabotAlert(FakeAlert a, bool organization = false)
    {
        var o = OpenApiExamples.FirstItem(organization ? "dependabot-alerts-for-organization" : "dependabot-alerts-for-repository");
        o["number"] = a.Number;
        o["state"] = "open";
        o["created_at"] = Iso(a.CreatedAt);
        o["dismissed_at"] = null;
        o["dismissed_by"] = null;
        o["dismissed_reason"] = null;
        o["dismissed_comment"] = null;
        o["security_advisory"]!["severity"] = a.Severity;
        o["security_vulnerability"]!["severity"] = a.Severity;
        return o;
    }

    private static JsonObject CodeScanningAlert(FakeAlert a, bool organization = false)
    {
        var o = OpenApiExamples.FirstItem(organization ? "code-scanning-organization-alert-items" : "code-scanning-alert-items");
        o["number"] = a.Number;
        o["state"] = "open";
        o["created_at"] = Iso(a.CreatedAt);
        o["rule"]!["security_severity_level"] = a.Severity;
        return o;
    }

    /// <summary>An organisation-list alert names its repository (a simple repository object).</summary>
    private static JsonObject WithRepository(JsonObject alert, FakeOrg org, FakeRepo repo)
    {
        var r = alert["repository"]?.AsObject() ?? new JsonObject();
        r["id"] = StableId(org.Login + "/" + repo.Name);
        r["name"] = repo.Name;
        r["full_name"] = $"{org.Login}/{repo.Name}";
        if (r["owner"] is JsonObject owner)
            owner["login"] = org.Login;
        r["url"] = $"https://api.github.com/repos/{org.Login}/{repo.Name}";
        r["html_url"] = $"https://github.com/{org.Login}/{repo.Name}";
        alert["repository"] = r;
        return alert;
    }

    /// <summary>
    /// GitHub's GraphQL endpoint for the one query the source sends (the organisation's repositories with protection,
    /// rules, deploy keys and outside collaborators), answered from the model in the shapes GitHub's GraphQL reference
    /// documents. The cost follows GitHub's documented formula: requested nodes per connection, summed, divided by 100.
    /// Any other query gets a GraphQL error, as an unknown field would.
    /// </summary>
    private FakeAnswer GraphQL(string body)
    {
        Interlocked.Increment(ref _graphql);
        var request = JsonNode.Parse(body)!.AsObject();
        var query = request["query"]?.GetValue<string>() ?? "";
        var variables = request["variables"]?.AsObject() ?? new JsonObject();
        if (!query.Contains("organization(login: $org)", StringComparison.Ordinal) || !query.Contains("repositories(", StringComparison.Ordinal))
            return Ok(new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["message"] = "the fake answers only the repositories query" }) });
        var login = variables["org"]!.GetValue<string>();
        var org = Orgs.FirstOrDefault(o => string.Equals(o.Login, login, StringComparison.OrdinalIgnoreCase));
        if (org is null)
        {
            return Ok(new JsonObject
            {
                ["data"] = new JsonObject { ["organization"] = null },
                ["errors"] = new JsonArray(new JsonObject { ["type"] = "NOT_FOUND", ["message"] = $"Could not resolve to an Organization with the login of '{login}'." }),
            });
        }

        var first = variables["first"]?.GetValue<int>() ?? 50;
        var after = variables["after"]?.GetValue<string>();
        var start = after is null ? 0 : int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(after)).Split(':')[1], CultureInfo.InvariantCulture);
        var repos = org.Repos.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var page = repos.Skip(start).Take(first).ToList();
        var end = start + page.Count;
        var cursor = Convert.ToBase64String(Encoding.UTF8.GetBytes($"cursor:{end}"));
        var nodes = new JsonArray([.. page.Select(r => (JsonNode)GraphQLRepository(org, r))]);
        var cost = Math.Max(1, (int)Math.Round((1 + first * 3) / 100.0));
        return Ok(new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["rateLimit"] = new JsonObject { ["cost"] = cost, ["remaining"] = 5000 - cost, ["resetAt"] = Iso(Now() + TimeSpan.FromHours(1)) },
                ["organization"] = new JsonObject
                {
                    ["repositories"] = new JsonObject
                    {
                        ["pageInfo"] = new JsonObject { ["hasNextPage"] = end < repos.Count, ["endCursor"] = page.Count > 0 ? cursor : null },
                        ["nodes"] = nodes,
                    },
                },
            },
        });
    }

    private static JsonObject GraphQLRepository(FakeOrg org, FakeRepo repo)
    {
        static JsonObject Connection(string items, JsonArray list) => new() { ["pageInfo"] = new JsonObject { ["hasNextPage"] = false }, [items] = list };
        JsonNode? protection = repo.Protection is { } p
            ? new JsonObject
            {
                ["requiresApprovingReviews"] = p.Approvals > 0,
                ["requiredApprovingReviewCount"] = p.Approvals,
                ["requiresCodeOwnerReviews"] = p.CodeOwners,
                ["dismissesStaleReviews"] = p.DismissStale,
                ["isAdminEnforced"] = p.EnforceAdmins,
                ["allowsForcePushes"] = p.AllowForcePushes,
                ["allowsDeletions"] = p.AllowDeletions,
                ["requiresCommitSignatures"] = p.RequiredSignatures,
            }
            : null;
        var rules = new JsonArray([.. repo.Rulesets.Where(rs => rs.Enforcement == "active").SelectMany(rs => rs.Rules.Select(rule => (JsonNode)new JsonObject
        {
            ["type"] = rule.Type.ToUpperInvariant(),
            ["parameters"] = rule.Parameters is null ? null : rule.Type == "pull_request" ? CamelCase(JsonNode.Parse(rule.Parameters)!.AsObject()) : new JsonObject(),
            ["repositoryRuleset"] = new JsonObject
            {
                ["databaseId"] = rs.Id,
                ["source"] = new JsonObject { ["__typename"] = rs.FromOrganization ? "Organization" : "Repository" },
            },
        }))]);
        var keys = new JsonArray([.. repo.DeployKeys.Select(k => (JsonNode)new JsonObject
        {
            ["title"] = k.Title, ["readOnly"] = k.ReadOnly, ["createdAt"] = Iso(k.CreatedAt),
            ["key"] = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCl" + k.Id.ToString(CultureInfo.InvariantCulture), ["verified"] = true,
        })]);
        var collaborators = new JsonArray([.. repo.OutsideAdmins.Select(l => (JsonNode)new JsonObject
        {
            ["permission"] = "ADMIN", ["node"] = new JsonObject { ["login"] = l, ["databaseId"] = StableId(l) },
        })]);
        return new JsonObject
        {
            ["name"] = repo.Name,
            ["hasVulnerabilityAlertsEnabled"] = repo.DependabotAlerts is not null,
            ["defaultBranchRef"] = new JsonObject
            {
                ["name"] = repo.DefaultBranch,
                ["branchProtectionRule"] = protection,
                ["rules"] = Connection("nodes", rules),
            },
            ["deployKeys"] = Connection("nodes", keys),
            ["collaborators"] = Connection("edges", collaborators),
        };
    }

    /// <summary>REST's snake_case rule parameters as GraphQL names them (camelCase).</summary>
    private static JsonObject CamelCase(JsonObject parameters)
    {
        var o = new JsonObject();
        foreach (var (name, value) in parameters)
        {
            var parts = name.Split('_');
            o[parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]))] = value?.DeepClone();
        }

        return o;
    }

    private static JsonObject Workflow(string permissions, bool canApprove)
    {
        var o = OpenApiExamples.Example("actions-default-workflow-permissions").AsObject();
        o["default_workflow_permissions"] = permissions;
        o["can_approve_pull_request_reviews"] = canApprove;
        return o;
    }

    private static JsonObject DeployKey(string owner, string repo, FakeDeployKey k)
    {
        var o = OpenApiExamples.FirstItem("deploy-key-items");
        o["id"] = k.Id;
        o["title"] = k.Title;
        o["read_only"] = k.ReadOnly;
        o["created_at"] = Iso(k.CreatedAt);
        o["last_used"] = Iso(k.CreatedAt.AddDays(1));
        o["url"] = $"https://api.github.com/repos/{owner}/{repo}/keys/{k.Id}";
        return o;
    }

    private static JsonArray AuditLog(FakeOrg org)
    {
        var template = (JsonObject)((JsonArray)OpenApiExamples.EnterpriseExample("audit-log"))[0]!;
        return new JsonArray([.. org.AuditEvents.OrderByDescending(e => e.At).Select(e =>
        {
            var o = template.DeepClone().AsObject();
            o["action"] = e.Action;
            o["@timestamp"] = e.At.ToUnixTimeMilliseconds();
            o["created_at"] = e.At.ToUnixTimeMilliseconds();
            o["org"] = org.Login;
            return (JsonNode)o;
        })]);
    }

    private static JsonArray Streams(FakeOrg org)
    {
        var template = (JsonObject)((JsonArray)OpenApiExamples.EnterpriseExample("get-audit-log-stream-configs"))[0]!;
        return new JsonArray([.. org.AuditStreams.Select((enabled, i) =>
        {
            var o = template.DeepClone().AsObject();
            o["id"] = i + 1;
            o["enabled"] = enabled;
            return (JsonNode)o;
        })]);
    }

    private FakeAnswer Paged(JsonArray items, IDictionary<string, WireMockList<string>> q, IRequestMessage request)
    {
        var perPage = int.TryParse(Q(q, "per_page"), CultureInfo.InvariantCulture, out var pp) && pp > 0 ? Math.Min(pp, 100) : 30;
        var page = int.TryParse(Q(q, "page"), CultureInfo.InvariantCulture, out var p) && p > 0 ? p : 1;
        var last = Math.Max(1, (items.Count + perPage - 1) / perPage);
        var slice = new JsonArray([.. items.Skip((page - 1) * perPage).Take(perPage).Select(i => i!.DeepClone())]);
        var headers = new Dictionary<string, string>();
        if (last > 1)
        {
            var links = new List<string>();
            if (page < last)
                links.Add($"<{PageUrl(request, page + 1)}>; rel=\"next\"");
            links.Add($"<{PageUrl(request, last)}>; rel=\"last\"");
            if (page > 1)
                links.Add($"<{PageUrl(request, 1)}>; rel=\"first\"");
            headers["Link"] = string.Join(", ", links);
        }

        return new FakeAnswer(200, slice.ToJsonString(), headers);
    }

    private string PageUrl(IRequestMessage request, int page)
    {
        var query = (request.Query ?? new Dictionary<string, WireMockList<string>>())
            .Where(kv => kv.Key != "page")
            .Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value.FirstOrDefault() ?? "")}")
            .Append($"page={page}");
        return new Uri(BaseUrl, request.Path.TrimStart('/')) + "?" + string.Join("&", query);
    }

    private static FakeAnswer Ok(JsonNode body) => new(200, body.ToJsonString());

    public static FakeAnswer Error(int status, string message, string documentation = "https://docs.github.com/rest", IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, new JsonObject { ["message"] = message, ["documentation_url"] = documentation, ["status"] = status.ToString(CultureInfo.InvariantCulture) }.ToJsonString(), headers);

    private ResponseMessage ToMessage(FakeAnswer answer, IRequestMessage request)
    {
        var headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["X-GitHub-Api-Version-Selected"] = new("2022-11-28"),
            ["X-GitHub-Request-Id"] = new("FAKE:" + StableId(request.Path + request.RawQuery).ToString(CultureInfo.InvariantCulture)),
            ["X-OAuth-Scopes"] = new(GrantedScopes),
            ["X-RateLimit-Limit"] = new("5000"),
            ["X-RateLimit-Remaining"] = new("4999"),
            ["X-RateLimit-Reset"] = new((Now() + TimeSpan.FromHours(1)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        // A value with line breaks is sent as that many header lines of the same name (as a proxy may split a list).
        foreach (var (k, v) in answer.Headers ?? new Dictionary<string, string>())
            headers[k] = new(v.Split('\n'));

        var status = answer.Status;
        string? body = answer.Body;
        if (status == 200 && body is not null)
        {
            var etag = "W/\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..32] + "\"";
            headers["ETag"] = new(etag);
            if (Header(request, "If-None-Match") == etag)
            {
                Interlocked.Increment(ref _notModified);
                status = 304;
                body = null;
            }
        }

        var message = new ResponseMessage { StatusCode = status, Headers = headers };
        if (body is not null)
        {
            headers["Content-Type"] = new(answer.ContentType);
            message.BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 };
        }

        return message;
    }

    private static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    private static string? Q(IDictionary<string, WireMockList<string>> q, string name) =>
        q.TryGetValue(name, out var v) ? v.FirstOrDefault() : null;

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static long StableId(string text) => BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text))) % 90_000_000 + 1_000_000;
}
