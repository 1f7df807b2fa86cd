using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace EvidenceBot.Sources.Azure.Tests.Fake;

/// <summary>A scripted answer: status, body, headers.</summary>
public sealed record FakeAnswer(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>One fake subscription's estate. Bodies follow the examples of the pinned api-versions in Azure/azure-rest-api-specs.</summary>
public sealed class FakeSubscription(string id)
{
    public string Id { get; } = id;
    public string Scope => $"/subscriptions/{Id}";
    public List<JsonObject> Resources { get; } = [];
    public Dictionary<string, List<JsonObject>> DiagnosticSettings { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<JsonObject> RoleAssignments { get; } = [];
    public List<JsonObject> PolicyAssignments { get; } = [];
    public List<JsonObject> PolicySummaryAssignments { get; } = [];
    public List<JsonObject> Pricings { get; } = [];
    public Dictionary<string, List<JsonObject>> Computes { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// ARM, Microsoft Graph and an Entra token endpoint on loopback (WireMock.Net). Requests reach it through
/// <see cref="LoopbackRewrite"/>, which keeps the https endpoints the SDK insists on and rewrites them here.
/// Lists page by <c>nextLink</c>, Resource Graph by <c>$skipToken</c>; every ARM read must carry an api-version
/// (a read without one would be provider discovery). Scripted faults are played first.
/// </summary>
public sealed partial class FakeArm : IDisposable
{
    public const string ArmHost = "management.fake.test";
    public const string TenantId = "7f5a2c1e-0b1d-4c8e-9a3f-2d6e8b4c1a90";
    public const string Token = "fake-arm-access-token-0123456789";

    private readonly WireMockServer _server;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<FakeAnswer>> _scripted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeAnswer> _always = new(StringComparer.Ordinal);

    private FakeArm(TimeSpan latency)
    {
        _server = WireMockServer.Start(new WireMock.Settings.WireMockServerSettings { MaxRequestLogCount = 0 });
        _server.Given(Request.Create().UsingAnyMethod().WithPath("/*")).RespondWith(Response.Create().WithCallback(async request =>
        {
            var answer = Respond(request);
            if (latency > TimeSpan.Zero)
                await Task.Delay(latency);
            return answer;
        }));
    }

    public static FakeArm Start(TimeSpan latency = default) => new(latency);

    public Uri BaseUrl => new(_server.Url!.Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");

    public List<FakeSubscription> Subscriptions { get; } = [];

    /// <summary>Graph users by object id: (userPrincipalName, userType).</summary>
    public Dictionary<string, (string Upn, string UserType)> Users { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Management group name → subscription ids below it (descendants).</summary>
    public Dictionary<string, List<string>> ManagementGroups { get; } = new(StringComparer.OrdinalIgnoreCase);

    public bool ResourceGraphAllowed { get; set; } = true;

    /// <summary>Subscriptions Resource Graph leaves out, as it does for those the identity cannot read.</summary>
    public HashSet<string> HiddenFromResourceGraph { get; } = new(StringComparer.OrdinalIgnoreCase);
    public bool GraphAllowed { get; set; } = true;
    public int PageSize { get; set; } = 100;

    /// <summary>When set, ARM and Graph requests must carry this bearer token (else 401).</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Token requests received, with their form bodies.</summary>
    public ConcurrentQueue<string> TokenRequests { get; } = new();

    /// <summary>Every request as "METHOD /path?query", in arrival order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public FakeSubscription AddSubscription(string id)
    {
        var s = new FakeSubscription(id);
        Subscriptions.Add(s);
        return s;
    }

    /// <summary>The next request whose path contains <paramref name="pathPart"/> gets <paramref name="answer"/> (once per call).</summary>
    public void Enqueue(string pathPart, FakeAnswer answer) => _scripted.GetOrAdd(pathPart, _ => new()).Enqueue(answer);

    /// <summary>Every request whose path contains <paramref name="pathPart"/> gets <paramref name="answer"/>.</summary>
    public void Always(string pathPart, FakeAnswer answer) => _always[pathPart] = answer;

    public static FakeAnswer AuthorizationFailed(string action, string scope) => new(403, JsonSerializer.Serialize(new
    {
        error = new
        {
            code = "AuthorizationFailed",
            message = $"The client 'c0ffee00-0000-0000-0000-000000000001' with object id 'c0ffee00-0000-0000-0000-000000000001' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
        },
    }));

    public void Dispose() => _server.Stop();

    private ResponseMessage Respond(IRequestMessage request)
    {
        var path = request.Path;
        var query = request.RawQuery ?? "";
        var method = request.Method.ToUpperInvariant();
        _requests.Enqueue($"{method} {path}{(query.Length > 0 ? "?" + query.TrimStart('?') : "")}");
        foreach (var (part, queue) in _scripted)
        {
            if (path.Contains(part, StringComparison.OrdinalIgnoreCase) && queue.TryDequeue(out var scripted))
                return ToMessage(scripted);
        }

        foreach (var (part, answer) in _always)
        {
            if (path.Contains(part, StringComparison.OrdinalIgnoreCase))
                return ToMessage(answer);
        }

        if (path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal))
        {
            TokenRequests.Enqueue(request.Body ?? "");
            return ToMessage(new FakeAnswer(200, JsonSerializer.Serialize(new { token_type = "Bearer", expires_in = 3600, ext_expires_in = 3600, access_token = Token })));
        }

        if (path.Contains("/.well-known/openid-configuration", StringComparison.Ordinal))
        {
            var issuer = $"https://login.fake.test/{TenantId}/v2.0";
            return ToMessage(new FakeAnswer(200, JsonSerializer.Serialize(new
            {
                token_endpoint = $"https://login.fake.test/{TenantId}/oauth2/v2.0/token",
                authorization_endpoint = $"https://login.fake.test/{TenantId}/oauth2/v2.0/authorize",
                issuer,
            })));
        }

        if (RequiredToken is { } token)
        {
            var auth = request.Headers?.FirstOrDefault(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
            if (auth != $"Bearer {token}")
                return ToMessage(new FakeAnswer(401, """{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}"""));
        }

        if (path.StartsWith("/v1.0/users/", StringComparison.Ordinal))
            return ToMessage(GraphUser(path["/v1.0/users/".Length..]));

        var q = ParseQuery(query);
        if (!q.ContainsKey("api-version"))
            return ToMessage(new FakeAnswer(400, """{"error":{"code":"MissingApiVersionParameter","message":"The api-version query parameter (?api-version=) is required for all requests."}}"""));

        return ToMessage(Route(method, path, q, request.Body ?? ""));
    }

    private FakeAnswer GraphUser(string id)
    {
        if (!GraphAllowed)
            return new FakeAnswer(403, """{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}""");
        if (!Users.TryGetValue(Uri.UnescapeDataString(id), out var u))
            return new FakeAnswer(404, JsonSerializer.Serialize(new { error = new { code = "Request_ResourceNotFound", message = $"Resource '{id}' does not exist or one of its queried reference-property objects are not present." } }));
        return new FakeAnswer(200, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,userType)/$entity",
            ["id"] = id,
            ["userPrincipalName"] = u.Upn,
            ["userType"] = u.UserType,
        }));
    }

    private FakeAnswer Route(string method, string path, Dictionary<string, string> q, string body)
    {
        if (method == "POST" && path.Equals("/providers/Microsoft.ResourceGraph/resources", StringComparison.OrdinalIgnoreCase))
            return ResourceGraph(body);
        var mg = ManagementGroupPath().Match(path);
        if (mg.Success)
        {
            if (!ManagementGroups.TryGetValue(mg.Groups[1].Value, out var subs))
                return new FakeAnswer(404, """{"error":{"code":"NotFound","message":"Management group not found"}}""");
            var items = new JsonArray(new JsonObject
            {
                ["id"] = $"/providers/Microsoft.Management/managementGroups/{mg.Groups[1].Value}-child",
                ["type"] = "Microsoft.Management/managementGroups",
                ["name"] = $"{mg.Groups[1].Value}-child",
                ["properties"] = new JsonObject { ["displayName"] = "Child group", ["parent"] = new JsonObject { ["id"] = $"/providers/Microsoft.Management/managementGroups/{mg.Groups[1].Value}" } },
            });
            foreach (var s in subs)
            {
                items.Add(new JsonObject
                {
                    ["id"] = $"/providers/Microsoft.Management/managementGroups/{mg.Groups[1].Value}/subscriptions/{s}",
                    ["type"] = "Microsoft.Management/managementGroups/subscriptions",
                    ["name"] = s,
                    ["properties"] = new JsonObject { ["displayName"] = $"Subscription {s[..8]}", ["parent"] = new JsonObject { ["id"] = $"/providers/Microsoft.Management/managementGroups/{mg.Groups[1].Value}" } },
                });
            }

            return Paged(items, path, q);
        }

        var sub = Subscriptions.FirstOrDefault(s => path.StartsWith(s.Scope + "/", StringComparison.OrdinalIgnoreCase) || path.Equals(s.Scope, StringComparison.OrdinalIgnoreCase));
        if (sub is null)
            return new FakeAnswer(404, """{"error":{"code":"SubscriptionNotFound","message":"The subscription could not be found."}}""");

        const string diag = "/providers/Microsoft.Insights/diagnosticSettings";
        if (path.EndsWith(diag, StringComparison.OrdinalIgnoreCase))
        {
            var resource = path[..^diag.Length];
            return Paged(new JsonArray([.. (sub.DiagnosticSettings.TryGetValue(resource, out var list) ? list : []).Select(Clone)]), path, q);
        }

        if (path.EndsWith("/computes", StringComparison.OrdinalIgnoreCase))
            return Paged(new JsonArray([.. (sub.Computes.TryGetValue(path[..^"/computes".Length], out var list) ? list : []).Select(Clone)]), path, q);

        var rest = path[sub.Scope.Length..];
        if (rest.Equals("/providers/Microsoft.Authorization/roleAssignments", StringComparison.OrdinalIgnoreCase))
            return Paged(new JsonArray([.. sub.RoleAssignments.Select(Clone)]), path, q);
        if (rest.Equals("/providers/Microsoft.Authorization/policyAssignments", StringComparison.OrdinalIgnoreCase))
            return Paged(new JsonArray([.. sub.PolicyAssignments.Select(Clone)]), path, q);
        if (rest.Equals("/providers/Microsoft.Security/pricings", StringComparison.OrdinalIgnoreCase))
            return new FakeAnswer(200, new JsonObject { ["value"] = new JsonArray([.. sub.Pricings.Select(Clone)]) }.ToJsonString());
        if (method == "POST" && rest.Equals("/providers/Microsoft.PolicyInsights/policyStates/latest/summarize", StringComparison.OrdinalIgnoreCase))
            return new FakeAnswer(200, Summary(sub).ToJsonString());

        var list2 = ProviderList().Match(rest);
        if (list2.Success && method == "GET")
        {
            var type = list2.Groups[1].Value;
            var rows = sub.Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase))
                .OrderBy(r => (string?)r["id"], StringComparer.OrdinalIgnoreCase).Select(Clone);
            return Paged(new JsonArray([.. rows]), path, q);
        }

        return new FakeAnswer(404, JsonSerializer.Serialize(new { error = new { code = "ResourceNotFound", message = $"The resource '{path}' was not found." } }));
    }

    private FakeAnswer ResourceGraph(string body)
    {
        if (!ResourceGraphAllowed)
            return AuthorizationFailed("Microsoft.ResourceGraph/resources/read", "/providers/Microsoft.ResourceGraph");
        using var doc = JsonDocument.Parse(body);
        var subs = doc.RootElement.GetProperty("subscriptions").EnumerateArray().Select(s => s.GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        subs.ExceptWith(HiddenFromResourceGraph);
        var query = doc.RootElement.GetProperty("query").GetString()!;
        if (query.StartsWith("resourcecontainers", StringComparison.Ordinal))
        {
            var containers = Subscriptions.Where(s => subs.Contains(s.Id)).Select(s => (JsonNode)new JsonObject { ["subscriptionId"] = s.Id }).ToArray();
            return new FakeAnswer(200, new JsonObject { ["totalRecords"] = containers.Length, ["count"] = containers.Length, ["resultTruncated"] = "false", ["data"] = new JsonArray(containers) }.ToJsonString());
        }

        var type = TypeInQuery().Match(query).Groups[1].Value;
        var options = doc.RootElement.TryGetProperty("options", out var o) ? o : default;
        var skip = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("$skipToken", out var st) ? int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(st.GetString()!)), CultureInfo.InvariantCulture) : 0;
        var top = Math.Min(PageSize, options.ValueKind == JsonValueKind.Object && options.TryGetProperty("$top", out var t) ? t.GetInt32() : 100);
        var rows = Subscriptions.Where(s => subs.Contains(s.Id))
            .SelectMany(s => s.Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase)).Select(r => (s, r)))
            .OrderBy(x => (string?)x.r["id"], StringComparer.OrdinalIgnoreCase)
            .ToList();
        var page = rows.Skip(skip).Take(top).Select(x =>
        {
            var row = Clone(x.r);
            row["subscriptionId"] = x.s.Id;
            row["resourceGroup"] = ((string)x.r["id"]!).Split('/')[4].ToLowerInvariant();
            return (JsonNode)row;
        }).ToArray();
        var answer = new JsonObject
        {
            ["totalRecords"] = rows.Count,
            ["count"] = page.Length,
            ["resultTruncated"] = "false",
            ["facets"] = new JsonArray(),
            ["data"] = new JsonArray(page),
        };
        if (skip + top < rows.Count)
            answer["$skipToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((skip + top).ToString(CultureInfo.InvariantCulture)));
        return new FakeAnswer(200, answer.ToJsonString());
    }

    private static JsonObject Summary(FakeSubscription sub) => new()
    {
        ["@odata.context"] = $"https://management.azure.com{sub.Scope}/providers/Microsoft.PolicyInsights/policyStates/$metadata#summary",
        ["@odata.count"] = 1,
        ["value"] = new JsonArray(new JsonObject
        {
            ["@odata.id"] = null,
            ["results"] = new JsonObject
            {
                ["nonCompliantResources"] = sub.PolicySummaryAssignments.Sum(a => (int?)a["results"]!["nonCompliantResources"] ?? 0),
                ["nonCompliantPolicies"] = sub.PolicySummaryAssignments.Count,
            },
            ["policyAssignments"] = new JsonArray([.. sub.PolicySummaryAssignments.Select(Clone)]),
        }),
    };

    private FakeAnswer Paged(JsonArray items, string path, Dictionary<string, string> q)
    {
        var skip = q.TryGetValue("$skiptoken", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        var page = items.Skip(skip).Take(PageSize).Select(i => i!.DeepClone()).ToArray();
        var answer = new JsonObject { ["value"] = new JsonArray(page) };
        if (skip + PageSize < items.Count)
            answer["nextLink"] = $"https://{ArmHost}{path}?api-version={q["api-version"]}&$skiptoken={skip + PageSize}";
        return new FakeAnswer(200, answer.ToJsonString());
    }

    private static JsonObject Clone(JsonObject o) => (JsonObject)o.DeepClone();

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            result[Uri.UnescapeDataString(at < 0 ? pair : pair[..at])] = at < 0 ? "" : Uri.UnescapeDataString(pair[(at + 1)..]);
        }

        return result;
    }

    private static ResponseMessage ToMessage(FakeAnswer answer)
    {
        var headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["x-ms-request-id"] = new(Guid.NewGuid().ToString()),
            ["x-ms-ratelimit-remaining-subscription-reads"] = new("11999"),
        };
        foreach (var (k, v) in answer.Headers ?? new Dictionary<string, string>())
            headers[k] = new(v);
        var message = new ResponseMessage { StatusCode = answer.Status, Headers = headers };
        if (answer.Body is not null)
        {
            headers["Content-Type"] = new("application/json; charset=utf-8");
            message.BodyData = new BodyData { BodyAsString = answer.Body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 };
        }

        return message;
    }

    [GeneratedRegex("^/providers/Microsoft.Management/managementGroups/([^/]+)/descendants$", RegexOptions.IgnoreCase)]
    private static partial Regex ManagementGroupPath();

    [GeneratedRegex("^/providers/([^/]+/[^/]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex ProviderList();

    [GeneratedRegex("type =~ '([^']+)'")]
    private static partial Regex TypeInQuery();
}

/// <summary>
/// Test-only transport: the SDK talks to https endpoints (BearerTokenAuthenticationPolicy refuses http), and this
/// rewrites scheme, host and port to the loopback fake, keeping path and query.
/// </summary>
public sealed class LoopbackRewrite(Uri loopback) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var original = request.RequestUri!;
        request.RequestUri = new Uri($"{loopback.Scheme}://{loopback.Host}:{loopback.Port}{original.PathAndQuery}");
        return base.SendAsync(request, cancellationToken);
    }
}
