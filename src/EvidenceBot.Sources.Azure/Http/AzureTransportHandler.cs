using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Azure.Http;

/// <summary>
/// The Azure source's retry and rate-limit handler, and (in <see cref="AzureFaults"/>) its fault mapping: one file, so
/// it can be swapped for the shared <c>EvidenceBot.Sources.Http</c> stack when that lands. Azure.Core's own retries
/// are off, so nothing is retried twice. 429 waits for <c>Retry-After</c> (a wait beyond the configured maximum is
/// answered at once, and becomes a fault naming the wait); 408 and 5xx are retried with exponential backoff; a
/// network failure too. A low <c>x-ms-ratelimit-remaining-*</c> slows the next requests down before ARM throttles.
/// A missing recording (<see cref="ReplayMissException"/>) is never retried.
/// </summary>
internal sealed class AzureTransportHandler : DelegatingHandler
{
    /// <summary>At or below this many remaining reads, requests are paced.</summary>
    internal const int LowWater = 10;

    private readonly int _maxRetries;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxRetryWait;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly AzureTraffic _traffic;
    private readonly SemaphoreSlim _inFlight;

    public AzureTransportHandler(int maxRetries, TimeSpan baseDelay, TimeSpan maxRetryWait, Func<TimeSpan, CancellationToken, Task> delay,
        AzureTraffic traffic, int maxInFlight, HttpMessageHandler inner) : base(inner)
    {
        // One bound for the whole run, however many rules and subscriptions ask at once.
        _inFlight = new SemaphoreSlim(maxInFlight);
        _maxRetries = maxRetries;
        _baseDelay = baseDelay;
        _maxRetryWait = maxRetryWait;
        _delay = delay;
        _traffic = traffic;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // A retried request must send the same body again: buffer it once.
        if (request.Content is not null and not ByteArrayContent)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var copy = new ByteArrayContent(bytes);
            foreach (var h in request.Content.Headers)
                copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
            request.Content = copy;
        }

        for (var attempt = 0; ; attempt++)
        {
            if (_traffic.PaceFor() is { } pace)
                await _delay(pace, cancellationToken).ConfigureAwait(false);
            HttpResponseMessage response;
            await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                _traffic.Sent();
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex is not ReplayMissException && attempt < _maxRetries)
            {
                _traffic.Retried();
                await _delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            finally
            {
                _inFlight.Release();
            }

            _traffic.Answered((int)response.StatusCode, RemainingReads(response));
            var status = (int)response.StatusCode;
            if (status == 429 || status == 408 || status >= 500)
            {
                var wait = RetryAfter(response) ?? Backoff(attempt);
                if (status == 429)
                    _traffic.Throttled();
                if (attempt >= _maxRetries || wait > _maxRetryWait)
                    return response;
                response.Dispose();
                _traffic.Retried();
                await _delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return response;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inFlight.Dispose();
        base.Dispose(disposing);
    }

    private TimeSpan Backoff(int attempt) => _baseDelay * Math.Pow(2, Math.Min(attempt, 8));

    internal static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } ra)
        {
            if (ra.Delta is { } d)
                return d < TimeSpan.Zero ? TimeSpan.Zero : d;
            if (ra.Date is { } when && response.Headers.Date is { } now)
                return when > now ? when - now : TimeSpan.Zero;
        }

        // ARM also sends x-ms-ratelimit-reset? No: only Retry-After. Some throttles send it in milliseconds.
        return response.Headers.TryGetValues("retry-after-ms", out var ms)
            && int.TryParse(ms.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? TimeSpan.FromMilliseconds(n) : null;
    }

    private static int? RemainingReads(HttpResponseMessage response)
    {
        int? min = null;
        foreach (var name in new[] { "x-ms-ratelimit-remaining-subscription-reads", "x-ms-ratelimit-remaining-tenant-reads",
                     "x-ms-ratelimit-remaining-subscription-global-reads", "x-ms-user-quota-remaining" })
        {
            if (response.Headers.TryGetValues(name, out var values)
                && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                min = min is null ? n : Math.Min(min.Value, n);
        }

        return min;
    }
}

/// <summary>Counts what the source sent and got, for its summary line and the bench; paces requests when ARM says reads run low.</summary>
internal sealed class AzureTraffic
{
    private int _sent;
    private int _retried;
    private int _throttled;
    private int _notModified;
    private int _graphQueries;
    private int _minRemaining = int.MaxValue;
    private int _lowStreak;

    public int RequestsSent => Volatile.Read(ref _sent);
    public int Retries => Volatile.Read(ref _retried);
    public int ThrottledAnswers => Volatile.Read(ref _throttled);
    public int NotModified => Volatile.Read(ref _notModified);
    public int ResourceGraphQueries => Volatile.Read(ref _graphQueries);
    public int? MinRemainingReads => Volatile.Read(ref _minRemaining) is var m && m == int.MaxValue ? null : m;
    public bool ResourceGraphRefused { get; set; }

    /// <summary>How long to wait before the next request: a second per request while ARM says reads are nearly used up.</summary>
    public TimeSpan? PaceFor() => Volatile.Read(ref _lowStreak) > 0 ? TimeSpan.FromSeconds(1) : null;

    public void Sent() => Interlocked.Increment(ref _sent);
    public void Retried() => Interlocked.Increment(ref _retried);
    public void Throttled() => Interlocked.Increment(ref _throttled);
    public void GraphQuery() => Interlocked.Increment(ref _graphQueries);

    public void Answered(int status, int? remaining)
    {
        if (status == 304)
            Interlocked.Increment(ref _notModified);
        if (remaining is not { } r)
            return;
        int seen;
        do
        {
            seen = Volatile.Read(ref _minRemaining);
        }
        while (r < seen && Interlocked.CompareExchange(ref _minRemaining, r, seen) != seen);
        Volatile.Write(ref _lowStreak, r <= AzureTransportHandler.LowWater ? 1 : 0);
    }
}

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
        ReplayMissException miss => Fault(FaultKind.Permanent, $"{what}: {miss.Message}; the replay folder has no recording of this request (record it again, or run against Azure)", ex),
        global::Azure.RequestFailedException { InnerException: ReplayMissException miss } => Fault(FaultKind.Permanent, $"{what}: {miss.Message}; the replay folder has no recording of this request (record it again, or run against Azure)", ex),
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
