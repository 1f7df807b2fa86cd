using System.Text.Json;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;

namespace EvidenceBot.Sources.Azure;

/// <summary>What a rule sees of Azure for one subscription; see <see cref="IAzureSource"/>.</summary>
internal sealed class AzureSource : IAzureSource
{
    private readonly AzureSession _session;
    private readonly ArmReader _reader;

    public AzureSource(AzureSession session, string subscriptionId)
    {
        _session = session;
        _reader = session.Reader;
        SubscriptionId = subscriptionId;
    }

    public string SubscriptionId { get; }

    public string SubscriptionScope => $"/subscriptions/{SubscriptionId}";

    public async Task<IReadOnlyList<AzureResource>> ResourcesAsync(string resourceType, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceType);
        var version = VersionOf(resourceType);
        IReadOnlyList<JsonElement>? rows = null;
        if (_session.Options.UseResourceGraph && !_session.Traffic.ResourceGraphRefused)
        {
            var targets = _session.Targets;
            // Both queries at once: which subscriptions Resource Graph shows, and the type's rows.
            var visibleRead = _reader.ReadAsync("resourcegraph subscriptions", () => _reader.VisibleSubscriptionsAsync(targets), cancellationToken);
            var rowsRead = _reader.ReadAsync($"resourcegraph {resourceType.ToLowerInvariant()}",
                () => _reader.ResourceGraphAsync(resourceType, targets), cancellationToken);
            await Task.WhenAll(visibleRead, rowsRead).ConfigureAwait(false);
            var visible = await visibleRead.ConfigureAwait(false);
            if (visible is not null && !visible.Contains(SubscriptionId))
            {
                throw AzureFaults.Report(AzureFaults.Fault(FaultKind.Permanent,
                    $"Resource Graph does not show subscription {SubscriptionId} to this identity, so its resources cannot be counted; grant Reader (Microsoft.Resources/subscriptions/read and the resource types' read actions) on it"));
            }

            rows = visible is null ? null : await rowsRead.ConfigureAwait(false);
            if (rows is null)
                _session.Traffic.ResourceGraphRefused = true;
            else
                rows = [.. rows.Where(r => string.Equals(Str(r, "subscriptionId"), SubscriptionId, StringComparison.OrdinalIgnoreCase))];
        }

        if (rows is null)
        {
            var url = _reader.Arm($"{SubscriptionScope}/providers/{resourceType}?api-version={version}");
            rows = await ListAsync(url, cancellationToken).ConfigureAwait(false);
        }

        return [.. rows.Select(ToResource).Where(Kept).OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<IReadOnlyList<AzureResource>> ChildResourcesAsync(AzureResource parent, string childType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentException.ThrowIfNullOrWhiteSpace(childType);
        var version = VersionOf($"{parent.Type}/{childType}");
        var url = _reader.Arm($"{parent.Id}/{childType}?api-version={version}");
        var rows = await ListAsync(url, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToResource).OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase)];
    }

    public Task<IReadOnlyList<JsonElement>> DiagnosticSettingsAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceId);
        return ListAsync(_reader.Arm($"{resourceId}/providers/Microsoft.Insights/diagnosticSettings?api-version={ApiVersions.DiagnosticSettings}"), cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>> RoleAssignmentsAsync(CancellationToken cancellationToken = default) =>
        ListAsync(_reader.Arm($"{SubscriptionScope}/providers/Microsoft.Authorization/roleAssignments?api-version={ApiVersions.RoleAssignments}"), cancellationToken);

    public Task<IReadOnlyList<JsonElement>> PolicyAssignmentsAsync(CancellationToken cancellationToken = default) =>
        ListAsync(_reader.Arm($"{SubscriptionScope}/providers/Microsoft.Authorization/policyAssignments?api-version={ApiVersions.PolicyAssignments}"), cancellationToken);

    public Task<IReadOnlyList<JsonElement>> DefenderPlansAsync(CancellationToken cancellationToken = default) =>
        ListAsync(_reader.Arm($"{SubscriptionScope}/providers/Microsoft.Security/pricings?api-version={ApiVersions.Pricings}"), cancellationToken);

    public Task<JsonElement> PolicyComplianceSummaryAsync(CancellationToken cancellationToken = default)
    {
        var url = _reader.Arm($"{SubscriptionScope}/providers/Microsoft.PolicyInsights/policyStates/latest/summarize?api-version={ApiVersions.PolicyStates}");
        return _reader.ReadAsync($"POST {url.PathAndQuery}", async () =>
        {
            var answer = (await _reader.JsonAsync(false, "POST", url, null).ConfigureAwait(false))!.Value;
            if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array
                && value.GetArrayLength() > 0)
                return value[0];
            throw AzureFaults.Fault(FaultKind.Permanent, $"POST {url.AbsolutePath}: the summary has no 'value' entry");
        }, cancellationToken);
    }

    public Task<AzureUser?> UserAsync(string principalId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(principalId);
        var url = _reader.Graph($"v1.0/users/{Uri.EscapeDataString(principalId)}?$select=id,userPrincipalName,userType");
        return _reader.ReadAsync($"graph user {principalId}", async () =>
        {
            if (await _reader.JsonAsync(true, "GET", url, null, 404).ConfigureAwait(false) is not { } user)
                return (AzureUser?)null;
            return new AzureUser(Str(user, "id") ?? principalId, Str(user, "userPrincipalName"), Str(user, "userType"), user);
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<(TItem Item, TResult Result)>> ForEachAsync<TItem, TResult>(IReadOnlyList<TItem> items,
        Func<TItem, Task<TResult>> fetch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(fetch);
        using var gate = new SemaphoreSlim(_session.Options.Concurrency);
        var tasks = items.Select(async item =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return (item, await fetch(item).ConfigureAwait(false));
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private Task<IReadOnlyList<JsonElement>> ListAsync(Uri url, CancellationToken cancellationToken) =>
        _reader.ReadAsync($"GET {url.PathAndQuery}", () => _reader.ListAsync(url), cancellationToken);

    private string VersionOf(string resourceType)
    {
        if (_session.Options.ApiVersions.TryGetValue(resourceType, out var configured))
            return configured;
        if (ApiVersions.Pinned.TryGetValue(resourceType, out var pinned))
            return pinned;
        throw new ArgumentException($"no api-version is pinned for '{resourceType}'; pinned types: {string.Join(", ", ApiVersions.Pinned.Keys.Order(StringComparer.Ordinal))} (add one with azure.apiVersions)", nameof(resourceType));
    }

    private static AzureResource ToResource(JsonElement r)
    {
        var id = Str(r, "id") ?? throw AzureFaults.Fault(FaultKind.Permanent, "a resource in the answer has no 'id'");
        var tags = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (r.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in t.EnumerateObject())
                tags[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        }

        var group = Str(r, "resourceGroup") ?? ResourceGroupOf(id);
        return new AzureResource(id, Str(r, "name") ?? id[(id.LastIndexOf('/') + 1)..], Str(r, "type") ?? "", group, Str(r, "location"), tags, r);
    }

    private static string ResourceGroupOf(string id)
    {
        var parts = id.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 1 < parts.Length; i++)
        {
            if (string.Equals(parts[i], "resourceGroups", StringComparison.OrdinalIgnoreCase))
                return parts[i + 1];
        }

        return "";
    }

    private bool Kept(AzureResource r)
    {
        var o = _session.Options;
        if (o.IncludeResourceGroups.Count > 0 && !o.IncludeResourceGroups.Any(g => Glob(g, r.ResourceGroup)))
            return false;
        if (o.ExcludeResourceGroups.Any(g => Glob(g, r.ResourceGroup)))
            return false;
        if (o.IncludeTags.Any(t => !HasTag(r, t.Key, t.Value)))
            return false;
        return !o.ExcludeTags.Any(t => HasTag(r, t.Key, t.Value));
    }

    private static bool HasTag(AzureResource r, string name, string value) =>
        r.Tags.TryGetValue(name, out var v) && (value == "*" || string.Equals(v, value, StringComparison.OrdinalIgnoreCase));

    private static bool Glob(string pattern, string name) =>
        Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
