using System.Net;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Http;
using EvidenceBot.Sources.Http;
using Octokit;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// Turns whatever went wrong under a call into a <see cref="SourceFaultException"/> whose message says what was
/// asked, what GitHub answered and what to do, and reports it to the calling rule so its verdict is
/// <c>error</c> even if the rule catches the exception. Nothing that went wrong ever reads as data.
/// </summary>
internal static class GitHubFaults
{
    public const string Source = GitHubSession.Source;

    public static SourceFaultException Map(Exception ex, string what, TimeProvider time, TimeSpan maxRateLimitWait, Redactor redactor)
    {
        var (kind, message) = Describe(ex, what, time, maxRateLimitWait);
        return Report(kind, redactor.Text(message), ex);
    }

    public static SourceFaultException Report(FaultKind kind, string message, Exception? inner = null) =>
        SourceFaults.Report(Source, kind, message, inner);

    private static (FaultKind, string) Describe(Exception ex, string what, TimeProvider time, TimeSpan maxRateLimitWait) =>
        ex is ApiException api ? DescribeApi(api, what, time, maxRateLimitWait)
        : SourceFaults.Describe(ex, what, GitHubSession.Service) ?? (FaultKind.Permanent, $"{what}: {ex.GetType().Name}: {ex.Message}");

    private static (FaultKind, string) DescribeApi(ApiException api, string what, TimeProvider time, TimeSpan maxRateLimitWait)
    {
        var response = api.HttpResponse;
        var status = (int)api.StatusCode;
        var body = response?.Body as string;
        var ghMessage = string.IsNullOrWhiteSpace(api.ApiError?.Message) ? api.Message : api.ApiError!.Message;
        string? Header(string name) => response?.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

        if (GitHubRateLimitAdvisor.From(status, Header, body, time.GetUtcNow()) is { } advice)
        {
            var tail = advice.Wait <= maxRateLimitWait ? "still after the retries" : advice.Describe(maxRateLimitWait, GitHubSession.Service, "github.maxRateLimitWait");
            return (FaultKind.Transient, $"{what}: GitHub answered {status} ({ghMessage}); {tail}");
        }

        if (status >= 500)
            return (FaultKind.Transient, $"{what}: GitHub answered {status} {(HttpStatusCode)status} ({ghMessage}), still after the retries");

        switch (status)
        {
            case 401:
                return (FaultKind.Permanent, $"{what}: GitHub answered 401 ({ghMessage}): the token is missing, expired or revoked; check github.tokenEnv or github.app");
            case 403 or 404:
                var scope = Scope(Header("X-Accepted-OAuth-Scopes"), Header("X-OAuth-Scopes"));
                var why = status == 404
                    ? "not found, or not visible to this token (GitHub answers 404 where a permission is missing)"
                    : "forbidden";
                return (FaultKind.Permanent, $"{what}: GitHub answered {status} ({ghMessage}): {why}; {scope}");
            case 422:
                return (FaultKind.Permanent, $"{what}: GitHub answered 422 ({ghMessage}): the request is not allowed for this token (e.g. only organisation owners may use this filter)");
            default:
                return (FaultKind.Permanent, $"{what}: GitHub answered {status} ({ghMessage})");
        }
    }

    /// <summary>"token lacks scope X" from GitHub's scope headers, or what to check when there are none (App and fine-grained tokens).</summary>
    internal static string Scope(string? accepted, string? granted)
    {
        if (accepted is null)
            return "the token or GitHub App lacks the permission this endpoint needs (fine-grained tokens and Apps get no scope headers: check the permissions GitHub's REST reference lists for it)";
        var has = Split(granted);
        var wanted = Split(accepted);
        if (wanted.Count == 0)
            return $"the token (scopes: {Join(has)}) cannot see it: check the repository or organisation role of its owner";
        if (wanted.Any(has.Contains))
            return $"the token has scope {Join(wanted.Where(has.Contains).ToList())} but its owner lacks the role this needs (e.g. organisation owner or repository admin)";
        return $"token lacks scope {string.Join(" or ", wanted)} (it has: {Join(has)})";
    }

    private static List<string> Split(string? value) =>
        [.. (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static string Join(IReadOnlyCollection<string> values) => values.Count == 0 ? "none" : string.Join(", ", values);
}
