using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Sources.Azure;

/// <summary>
/// Reads ARM and Microsoft Graph through the ArmClient's pipeline (and a Graph pipeline on the same transport and
/// credential), both over the shared <c>SourceHttpStack</c>: strict JSON, <c>nextLink</c> and <c>$skipToken</c> paging
/// that never leaves the configured origin, and coalescing of whole reads (every page of a list), so each distinct read
/// is made once per run and its evidence is attached to every rule that asked. The stack coalesces single requests too.
/// </summary>
internal sealed class ArmReader
{
    private readonly HttpPipeline _arm;
    private readonly Uri _armEndpoint;
    private readonly HttpPipeline _graph;
    private readonly Uri _graphEndpoint;
    private readonly AzureTraffic _traffic;
    private readonly bool _replay;
    private readonly ConcurrentDictionary<string, Lazy<Task<Outcome>>> _memo = new(StringComparer.Ordinal);

    private sealed record Outcome(object? Value, Exception? Error, IReadOnlyList<HttpExchange> Exchanges);

    public ArmReader(HttpPipeline arm, Uri armEndpoint, HttpPipeline graph, Uri graphEndpoint, AzureTraffic traffic, bool replay)
    {
        _replay = replay;
        _arm = arm;
        _armEndpoint = armEndpoint;
        _graph = graph;
        _graphEndpoint = graphEndpoint;
        _traffic = traffic;
    }

    public Uri Arm(string pathAndQuery) => new(_armEndpoint, pathAndQuery.TrimStart('/'));

    public Uri Graph(string pathAndQuery) => new(_graphEndpoint, pathAndQuery.TrimStart('/'));

    /// <summary>
    /// The answer of <paramref name="fetch"/>, fetched once for all callers of <paramref name="key"/> while it succeeds;
    /// every caller gets its exchanges as evidence, and every caller whose answer failed gets the fault reported.
    /// A failed read is forgotten, so a later caller tries again.
    /// </summary>
    public async Task<T> ReadAsync<T>(string key, Func<Task<T>> fetch, CancellationToken cancellationToken)
    {
        var lazy = _memo.GetOrAdd(key, _ => new Lazy<Task<Outcome>>(() => RunAsync(fetch)));
        var outcome = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        var caller = RuleContext.Current;
        var outer = caller is not null && Collectors.Contains(caller);
        foreach (var e in outcome.Exchanges)
            caller?.AttachEvidence(e);

        if (outcome.Error is { } error)
        {
            _memo.TryRemove(new KeyValuePair<string, Lazy<Task<Outcome>>>(key, lazy));
            var fault = AzureFaults.FromException(error, key);
            // Inside an outer coalesced read the outer caller reports; otherwise this caller's rule.
            throw outer ? fault : AzureFaults.Report(fault);
        }

        return (T)outcome.Value!;
    }

    private static async Task<Outcome> RunAsync<T>(Func<Task<T>> fetch)
    {
        // The shared read runs in a context of its own: the stack attaches each exchange to it, and every caller (the
        // first one included) then gets them all. A read nested in this one attaches to this collector, not to a rule.
        var collector = new RuleContext(CollectorManifest, "", new Dictionary<string, JsonElement>(), TimeProvider.System, CancellationToken.None);
        Collectors.Add(collector);
        collector.Enter();
        try
        {
            var value = await fetch().ConfigureAwait(false);
            return new Outcome(value, null, [.. collector.Evidence]);
        }
        catch (Exception ex)
        {
            return new Outcome(null, ex, [.. collector.Evidence]);
        }
        finally
        {
            Collectors.Remove(collector);
        }
    }

    private static readonly RuleManifest CollectorManifest = new()
    {
        Id = "azure-read", Title = "a shared Azure read", Sources = ["azure"], SourcePath = "", SourceSha256 = "",
    };

    private static readonly ConditionalWeakTable<RuleContext, object> CollectorSet = new();

    private static class Collectors
    {
        private static readonly object Marker = new();

        public static void Add(RuleContext context) => CollectorSet.AddOrUpdate(context, Marker);

        public static void Remove(RuleContext context) => CollectorSet.Remove(context);

        public static bool Contains(RuleContext context) => CollectorSet.TryGetValue(context, out _);
    }

    /// <summary>Sends one request. Azure.Core's retries are off; the shared stack retries.</summary>
    public async Task<(int Status, byte[] Body, TimeSpan? RetryAfter)> SendAsync(bool graph, string method, Uri url, byte[]? body)
    {
        var pipeline = graph ? _graph : _arm;
        using var message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Parse(method);
        message.Request.Uri.Reset(url);
        message.Request.Headers.Add("Accept", "application/json");
        if (body is not null)
        {
            message.Request.Content = RequestContent.Create(body);
            message.Request.Headers.Add("Content-Type", "application/json");
        }

        try
        {
            // The shared read outlives any one rule's cancellation; each caller waits with its own token.
            await pipeline.SendAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not SourceFaultException)
        {
            throw AzureFaults.FromException(ex, $"{method} {url.AbsolutePath}");
        }

        var response = message.Response;
        TimeSpan? retryAfter = response.Headers.TryGetValue("Retry-After", out var ra) && int.TryParse(ra, out var s) ? TimeSpan.FromSeconds(s) : null;
        return (response.Status, response.Content.ToArray(), retryAfter);
    }

    /// <summary>A JSON answer; null when the status is one of <paramref name="nullOn"/> (data, e.g. 404 "no such user").</summary>
    public async Task<JsonElement?> JsonAsync(bool graph, string method, Uri url, byte[]? body, params int[] nullOn)
    {
        var (status, bytes, retryAfter) = await SendAsync(graph, method, url, body).ConfigureAwait(false);
        if (nullOn.Contains(status))
            return null;
        if (status is < 200 or > 299)
            throw AzureFaults.FromAnswer(method, url, status, bytes, retryAfter, graph);
        return Parse(method, url, bytes);
    }

    internal static JsonElement Parse(string method, Uri url, byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw AzureFaults.Fault(FaultKind.Permanent,
                $"{method} {url.AbsolutePath}: the answer is not complete JSON ({bytes.Length} bytes; {ex.Message}); it may have been cut off in transit");
        }
    }

    /// <summary>Every item of an ARM list, following <c>nextLink</c> on the ARM origin only, each page once.</summary>
    public async Task<IReadOnlyList<JsonElement>> ListAsync(Uri first)
    {
        var items = new List<JsonElement>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (Uri? next = first; next is not null;)
        {
            if (!seen.Add(next.AbsoluteUri))
                throw AzureFaults.Fault(FaultKind.Permanent, $"GET {first.AbsolutePath}: nextLink leads back to a page already read ({next.PathAndQuery}); the list cannot be trusted");
            var page = (await JsonAsync(false, "GET", next, null).ConfigureAwait(false))!.Value;
            if (page.ValueKind != JsonValueKind.Object || !page.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
                throw AzureFaults.Fault(FaultKind.Permanent, $"GET {next.AbsolutePath}: the answer has no 'value' list");
            items.AddRange(value.EnumerateArray());
            next = page.TryGetProperty("nextLink", out var link) && link.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(link.GetString())
                ? SameOrigin(link.GetString()!, first)
                : null;
        }

        return items;
    }

    private Uri SameOrigin(string link, Uri first)
    {
        // The bearer token goes only to the configured ARM endpoint: a nextLink elsewhere is a fault, never followed.
        // A replay sends nothing anywhere and ignores hosts, so a recording made under another endpoint still reads.
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri))
            throw AzureFaults.Fault(FaultKind.Permanent, $"GET {first.AbsolutePath}: nextLink '{link}' is not an absolute URL");
        if (_replay)
            return uri;
        if (uri.Scheme != _armEndpoint.Scheme
            || !string.Equals(uri.Host, _armEndpoint.Host, StringComparison.OrdinalIgnoreCase) || uri.Port != _armEndpoint.Port)
            throw AzureFaults.Fault(FaultKind.Permanent, $"GET {first.AbsolutePath}: nextLink leads off the ARM endpoint ({uri.GetLeftPart(UriPartial.Authority)}); the token is never sent there");
        return uri;
    }

    /// <summary>
    /// The targeted subscriptions Resource Graph shows this identity (<c>resourcecontainers</c>), or null when the
    /// identity may not use Resource Graph. Resource Graph leaves out what the identity cannot read, silently: a
    /// subscription missing here would otherwise read as one without resources.
    /// </summary>
    public async Task<IReadOnlySet<string>?> VisibleSubscriptionsAsync(IReadOnlyList<string> subscriptions)
    {
        var rows = await QueryAsync("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId | order by subscriptionId asc",
            subscriptions).ConfigureAwait(false);
        return rows?.Select(r => r.TryGetProperty("subscriptionId", out var id) ? id.GetString() ?? "" : "").ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// One Resource Graph query for <paramref name="resourceType"/> over <paramref name="subscriptions"/>, every page
    /// (<c>$skipToken</c>). Null when the identity may not use Resource Graph (403): the caller lists instead.
    /// </summary>
    public Task<IReadOnlyList<JsonElement>?> ResourceGraphAsync(string resourceType, IReadOnlyList<string> subscriptions) =>
        QueryAsync($"resources | where type =~ '{resourceType.ToLowerInvariant().Replace("'", "", StringComparison.Ordinal)}' "
            + "| project id, name, type, location, resourceGroup, subscriptionId, tags, kind, sku, identity, properties | order by id asc", subscriptions);

    private async Task<IReadOnlyList<JsonElement>?> QueryAsync(string query, IReadOnlyList<string> subscriptions)
    {
        var url = Arm($"providers/Microsoft.ResourceGraph/resources?api-version={ApiVersions.ResourceGraph}");
        var rows = new List<JsonElement>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? skipToken = null;
        do
        {
            var options = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["resultFormat"] = "objectArray", ["$top"] = 1000 };
            if (skipToken is not null)
                options["$skipToken"] = skipToken;
            var body = JsonSerializer.SerializeToUtf8Bytes(new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["subscriptions"] = subscriptions,
                ["query"] = query,
                ["options"] = options,
            });
            _traffic.GraphQuery();
            var (status, bytes, retryAfter) = await SendAsync(false, "POST", url, body).ConfigureAwait(false);
            if (status == 403)
                return null;
            if (status is < 200 or > 299)
                throw AzureFaults.FromAnswer("POST", url, status, bytes, retryAfter, graph: false);
            var page = Parse("POST", url, bytes);
            if (page.ValueKind != JsonValueKind.Object || !page.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw AzureFaults.Fault(FaultKind.Permanent, $"POST {url.AbsolutePath}: the Resource Graph answer has no 'data' list (resultFormat objectArray)");
            rows.AddRange(data.EnumerateArray());
            skipToken = page.TryGetProperty("$skipToken", out var tok) && tok.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(tok.GetString()) ? tok.GetString() : null;
            if (skipToken is not null && !seen.Add(skipToken))
                throw AzureFaults.Fault(FaultKind.Permanent, $"POST {url.AbsolutePath}: Resource Graph repeated a $skipToken; the result cannot be trusted");
            if (skipToken is null && page.TryGetProperty("resultTruncated", out var truncated) && truncated.ValueKind == JsonValueKind.String
                && string.Equals(truncated.GetString(), "true", StringComparison.OrdinalIgnoreCase))
                throw AzureFaults.Fault(FaultKind.Permanent, $"POST {url.AbsolutePath}: Resource Graph truncated the result and gave no $skipToken to read the rest");
        }
        while (skipToken is not null);

        return rows;
    }
}
