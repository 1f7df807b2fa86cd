using System.Net;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// The base fault mapping every HTTP source shares: whatever went wrong under a call becomes a
/// <see cref="SourceFaultException"/>, transient or permanent, whose message names what was asked, what the service
/// answered and what was expected, and it is reported to the calling rule so its verdict is <c>error</c> even if the
/// rule catches the exception. A source adds what only it knows (GitHub's scope headers, Azure's missing action).
/// </summary>
public static class SourceFaults
{
    /// <summary>Builds the fault and reports it to the current rule execution.</summary>
    public static SourceFaultException Report(string source, FaultKind kind, string message, Exception? inner = null)
    {
        RuleContext.Current?.ReportFault($"{source}: {message}");
        return new SourceFaultException(source, kind, message, inner);
    }

    /// <summary>
    /// What a failure under the stack means, or null when the exception is not one the stack raises (an SDK's own
    /// exception, which the source maps). <paramref name="what"/> names the call, e.g. <c>GET /orgs/acme</c>.
    /// </summary>
    public static (FaultKind Kind, string Message)? Describe(Exception exception, string what, string service)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            SourceFaultException sf => (sf.Kind, sf.Message.StartsWith(sf.Source + ": ", StringComparison.Ordinal) ? sf.Message[(sf.Source.Length + 2)..] : sf.Message),
            ReplayMissException miss => (FaultKind.Permanent, $"{what}: {miss.Message}; the replay folder has no recording of this request (record it again, or run against {service})"),
            ForeignOriginException foreign => (FaultKind.Permanent, $"{what}: {foreign.Message}"),
            MalformedResponseException malformed => (FaultKind.Permanent, malformed.Message),
            UnusableAnswerException unusable => (unusable.Transient ? FaultKind.Transient : FaultKind.Permanent, unusable.Message),
            TimeoutException timeout => (FaultKind.Transient, $"{what}: {timeout.Message}, still after the retries"),
            HttpRequestException http => (FaultKind.Transient, $"{what}: could not reach {service} ({http.Message}), still after the retries"),
            // Not the rule's own cancellation (the caller rethrows that): some timer under the call fired.
            OperationCanceledException => (FaultKind.Transient, $"{what}: the request to {service} was cancelled before an answer came (a timeout outside the source's own retries)"),
            _ => null,
        };
    }

    /// <summary>
    /// The fault for a non-success answer: 401 (credentials), 403/404 (permission or absent), 429 and 5xx (transient),
    /// anything else permanent. <paramref name="detail"/> is the service's own message, when it gave one.
    /// </summary>
    public static (FaultKind Kind, string Message) DescribeStatus(int status, string what, string service, string expected, string? detail = null)
    {
        var said = string.IsNullOrWhiteSpace(detail) ? "" : $" ({detail})";
        return status switch
        {
            401 => (FaultKind.Permanent, $"{what}: {service} answered 401{said}: the credentials are missing, expired or revoked; expected {expected}"),
            403 => (FaultKind.Permanent, $"{what}: {service} answered 403{said}: the identity lacks the permission this needs; expected {expected}"),
            404 => (FaultKind.Permanent, $"{what}: {service} answered 404{said}: not found, or not visible to this identity; expected {expected}"),
            429 => (FaultKind.Transient, $"{what}: {service} answered 429 Too Many Requests{said}, still after the retries; expected {expected}"),
            >= 500 => (FaultKind.Transient, $"{what}: {service} answered {status} {(HttpStatusCode)status}{said}, still after the retries; expected {expected}"),
            _ => (FaultKind.Permanent, $"{what}: {service} answered {status}{said}; expected {expected}"),
        };
    }
}
