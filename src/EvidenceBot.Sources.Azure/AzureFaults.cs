using System.Text.Json;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Azure;

/// <summary>
/// Turns what went wrong under a call into a <see cref="SourceFaultException"/> that says what was asked, what Azure
/// answered and what to do; for 401/403, the action (or Graph permission) the identity lacks.
/// </summary>
internal static partial class AzureFaults
{
    public const string Source = "azure";

    /// <summary>Reports the fault to the calling rule (so its verdict is error even if it catches) and returns it.</summary>
    public static SourceFaultException Report(SourceFaultException fault)
    {
        RuleContext.Current?.ReportFault(fault.Message);
        return fault;
    }

    public static SourceFaultException Fault(FaultKind kind, string message, Exception? inner = null) => new(Source, kind, message, inner);

    /// <summary>A non-success answer, described by method and path.</summary>
    public static SourceFaultException FromAnswer(string method, Uri url, int status, byte[] body, TimeSpan? retryAfter, bool graph)
    {
        var what = $"{method} {url.AbsolutePath}";
        var (code, message) = ErrorOf(body);
        var said = code is null ? $"{status}" : $"{status} {code}";
        if (status is 401)
            return Fault(FaultKind.Permanent, $"{what}: {(graph ? "Microsoft Graph" : "ARM")} answered {said}: the credential's token was refused; check the tenant, client id and secret or certificate");
        if (status is 403 && graph)
            return Fault(FaultKind.Permanent, $"{what}: Microsoft Graph answered {said}: the identity needs the Graph application permission User.Read.All (or Directory.Read.All) to tell guests from members; grant it with admin consent");
        if (status is 403)
        {
            var action = ActionIn(message) ?? ActionFor(method, url);
            var scope = ScopeIn(message);
            return Fault(FaultKind.Permanent, $"{what}: ARM answered {said}: the identity lacks {action}{(scope is null ? "" : $" on {scope}")}; grant a role that includes it (e.g. Reader, or Security Reader for Defender plans)");
        }

        if (status == 429)
            return Fault(FaultKind.Transient, $"{what}: ARM throttled the identity (429{(retryAfter is { } ra ? $", Retry-After {ra.TotalSeconds:0}s" : "")}), still after the retries; run again later or with fewer concurrent requests");
        if (status >= 500 || status == 408)
            return Fault(FaultKind.Transient, $"{what}: Azure answered {said}{(message is null ? "" : $" ({Trim(message)})")}, still after the retries");
        return Fault(FaultKind.Permanent, $"{what}: Azure answered {said}{(message is null ? "" : $" ({Trim(message)})")}");
    }

    /// <summary>An exception from below the pipeline (network, replay, timeout).</summary>
    public static SourceFaultException FromException(Exception ex, string what) => ex switch
    {
        SourceFaultException sf => sf,
        // Azure.Core wraps what the shared stack raises below it; the stack's own exception says what happened.
        global::Azure.RequestFailedException { InnerException: MalformedResponseException or ForeignOriginException or AttemptTimeoutException or ReplayMissException } wrapped
            => FromException(wrapped.InnerException!, what),
        MalformedResponseException bad => Fault(FaultKind.Permanent, $"{what}: the answer is not complete JSON ({bad.Message}); it may have been cut off in transit", ex),
        ForeignOriginException foreign => Fault(FaultKind.Permanent, $"{what}: {foreign.Message}; the token is never sent there", ex),
        AttemptTimeoutException timeout => Fault(FaultKind.Transient, $"{what}: {timeout.Message}, still after the retries", ex),
        ReplayMissException miss => Fault(FaultKind.Permanent, $"{what}: {miss.Message}; the replay folder has no recording of this request (record it again, or run against Azure)", ex),
        global::Azure.RequestFailedException rf => Fault(FaultKind.Transient, $"{what}: could not reach Azure ({rf.InnerException?.Message ?? rf.Message}), still after the retries", ex),
        HttpRequestException http => Fault(FaultKind.Transient, $"{what}: could not reach Azure ({http.Message}), still after the retries", ex),
        global::Azure.Identity.CredentialUnavailableException un => Fault(FaultKind.Permanent, $"{what}: no credential is available ({FirstLine(un.Message)}); configure azure.credential", ex),
        global::Azure.Identity.AuthenticationFailedException auth => Fault(FaultKind.Permanent, $"{what}: could not get a token from Entra ID ({FirstLine(auth.Message)}); check the credential settings", ex),
        TaskCanceledException or TimeoutException => Fault(FaultKind.Transient, $"{what}: Azure did not answer in time", ex),
        _ => Fault(FaultKind.Permanent, $"{what}: {ex.GetType().Name}: {ex.Message}", ex),
    };

    /// <summary>The action ARM's AuthorizationFailed message names, e.g. <c>Microsoft.Insights/diagnosticSettings/read</c>.</summary>
    internal static string? ActionIn(string? message) => message is not null && ActionText().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    private static string? ScopeIn(string? message) => message is not null && ScopeText().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The action a request needs when ARM did not say: the last provider type in the path, plus read or the POST's action.</summary>
    internal static string ActionFor(string method, Uri url)
    {
        var path = url.AbsolutePath;
        var at = path.LastIndexOf("/providers/", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
            return "Microsoft.Resources/subscriptions/read";
        var parts = path[(at + "/providers/".Length)..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        // Namespace, then type/name pairs: Microsoft.PolicyInsights/policyStates/latest/summarize → policyStates/summarize/action.
        var ns = parts[0];
        var types = new List<string>();
        for (var i = 1; i < parts.Length; i += 2)
            types.Add(parts[i]);
        if (string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase) && parts.Length > 2 && parts.Length % 2 == 0)
            return $"{ns}/{types[0]}/{parts[^1]}/action";
        if (string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase) && ns.Equals("Microsoft.ResourceGraph", StringComparison.OrdinalIgnoreCase))
            return "Microsoft.ResourceGraph/resources/read";
        return $"{ns}/{string.Join('/', types)}/read";
    }

    /// <summary>ARM's and Graph's error envelope: <c>{"error":{"code","message"}}</c>.</summary>
    internal static (string? Code, string? Message) ErrorOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                return (e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
                    e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null);
            }
        }
        catch (JsonException)
        {
        }

        return (null, null);
    }

    private static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    [GeneratedRegex(@"perform action '([^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex ActionText();

    [GeneratedRegex(@"over scope '([^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex ScopeText();
}
