using System.Text.Json;

namespace EvidenceBot.Rules;

/// <summary>
/// What a rule sees of Azure for one subscription (the execution's target). Every answer is ARM's (or Microsoft
/// Graph's) JSON exactly as sent, as <see cref="JsonElement"/>s, read with a pinned api-version per resource type so
/// the evidence can be re-read the same way. Every answer is attached to the calling rule as raw evidence, also when
/// several rules share one request. When Azure cannot deliver (a fault that outlasted the retries, a missing
/// permission such as <c>Microsoft.Insights/diagnosticSettings/read</c>, a truncated or malformed answer), the call
/// throws <c>SourceFaultException</c> naming what is missing, and the rule's verdict is <c>error</c> even if the rule
/// catches it. Nothing that went wrong ever reads as an empty list.
/// </summary>
public interface IAzureSource
{
    /// <summary>The subscription id this source reads (lower case, no braces).</summary>
    string SubscriptionId { get; }

    /// <summary>The subscription's ARM id, <c>/subscriptions/{id}</c>: a rule's resource name for subscription-wide findings.</summary>
    string SubscriptionScope { get; }

    /// <summary>
    /// The subscription's resources of <paramref name="resourceType"/> (e.g. <c>Microsoft.KeyVault/vaults</c>) after the
    /// configured resource-group and tag filters, ordered by id. Read through Azure Resource Graph
    /// (<c>POST /providers/Microsoft.ResourceGraph/resources</c>, one query per type for every targeted subscription,
    /// paged by <c>$skipToken</c>) when the identity may use it, otherwise by listing
    /// <c>GET /subscriptions/{id}/providers/{type}</c> at the pinned api-version, following <c>nextLink</c>.
    /// Empty means the subscription has none that the filters keep: say so (<c>NotApplicable</c>), it is never a pass.
    /// Throws <see cref="ArgumentException"/> for a type with no pinned api-version.
    /// </summary>
    Task<IReadOnlyList<AzureResource>> ResourcesAsync(string resourceType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Child resources of <paramref name="parent"/>, e.g. <c>computes</c> of an Azure ML workspace
    /// (<c>GET {parent.Id}/computes</c>, api-version pinned for <c>{parent.Type}/{childType}</c>), following <c>nextLink</c>.
    /// </summary>
    Task<IReadOnlyList<AzureResource>> ChildResourcesAsync(AzureResource parent, string childType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Diagnostic settings of a resource, or of the subscription's activity log when <paramref name="resourceId"/> is
    /// <see cref="SubscriptionScope"/> (<c>GET {resourceId}/providers/Microsoft.Insights/diagnosticSettings</c>,
    /// api-version 2021-05-01-preview). Each carries <c>properties.logs[]</c> (<c>category</c> or
    /// <c>categoryGroup</c>, <c>enabled</c>) and its destinations (<c>workspaceId</c>, <c>storageAccountId</c>,
    /// <c>eventHubAuthorizationRuleId</c>). Empty means none is configured.
    /// </summary>
    Task<IReadOnlyList<JsonElement>> DiagnosticSettingsAsync(string resourceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Role assignments that apply to the subscription: at it, above it (management groups, root) and below it
    /// (<c>GET /subscriptions/{id}/providers/Microsoft.Authorization/roleAssignments</c>, api-version 2022-04-01).
    /// Each carries <c>properties.roleDefinitionId</c>, <c>principalId</c>, <c>principalType</c> and <c>scope</c>.
    /// </summary>
    Task<IReadOnlyList<JsonElement>> RoleAssignmentsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Policy assignments that apply to the subscription, inherited ones included
    /// (<c>GET /subscriptions/{id}/providers/Microsoft.Authorization/policyAssignments</c>, api-version 2022-06-01).
    /// </summary>
    Task<IReadOnlyList<JsonElement>> PolicyAssignmentsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The latest policy compliance summary of the subscription
    /// (<c>POST /subscriptions/{id}/providers/Microsoft.PolicyInsights/policyStates/latest/summarize</c>,
    /// api-version 2019-10-01): the first <c>value</c> entry, with <c>results</c> and <c>policyAssignments[]</c>
    /// (each with <c>policyAssignmentId</c> and <c>results.nonCompliantResources</c>).
    /// </summary>
    Task<JsonElement> PolicyComplianceSummaryAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Defender for Cloud plans of the subscription (<c>GET /subscriptions/{id}/providers/Microsoft.Security/pricings</c>,
    /// api-version 2024-01-01); each has <c>name</c> (e.g. <c>KeyVaults</c>) and <c>properties.pricingTier</c>.
    /// </summary>
    Task<IReadOnlyList<JsonElement>> DefenderPlansAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The Microsoft Graph user behind a principal id (<c>GET /v1.0/users/{id}?$select=id,userPrincipalName,userType</c>),
    /// used only to tell guests from members. Null when Graph has no user with that id (404): a deleted user or not a
    /// user at all. Throws when the identity may not read users, naming the Graph permission (<c>User.Read.All</c>).
    /// </summary>
    Task<AzureUser?> UserAsync(string principalId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="fetch"/> for every item, several at once (the configured concurrency), and returns the
    /// results in the items' order. Use it to read per-resource answers (diagnostic settings, computes) quickly.
    /// </summary>
    Task<IReadOnlyList<(TItem Item, TResult Result)>> ForEachAsync<TItem, TResult>(IReadOnlyList<TItem> items,
        Func<TItem, Task<TResult>> fetch, CancellationToken cancellationToken = default);
}

/// <summary>One Azure resource as ARM (or Resource Graph) described it.</summary>
/// <param name="Id">The ARM resource id, as ARM spelt it.</param>
/// <param name="Name">The resource name.</param>
/// <param name="Type">The resource type, e.g. <c>Microsoft.Storage/storageAccounts</c>.</param>
/// <param name="ResourceGroup">The resource group, or empty for subscription-level resources.</param>
/// <param name="Location">The region, or null.</param>
/// <param name="Tags">The resource's tags (empty when it has none).</param>
/// <param name="Json">The whole resource object as received, with <c>properties</c>.</param>
public sealed record AzureResource(string Id, string Name, string Type, string ResourceGroup, string? Location,
    IReadOnlyDictionary<string, string> Tags, JsonElement Json)
{
    /// <summary>
    /// The value at a dotted path below the resource (e.g. <c>properties.enablePurgeProtection</c>), or null when a
    /// step is missing or JSON null. Absent is not false: a rule decides what an absent setting means.
    /// </summary>
    public JsonElement? Property(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var current = Json;
        foreach (var step in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(step, out current))
                return null;
        }

        return current.ValueKind == JsonValueKind.Null ? null : current;
    }

    /// <summary>The string at <paramref name="path"/>, or null when absent or not a string.</summary>
    public string? String(string path) => Property(path) is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;

    /// <summary>The boolean at <paramref name="path"/>, or null when absent or not a boolean.</summary>
    public bool? Bool(string path) => Property(path) is { } e && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
}

/// <summary>A Microsoft Graph user, as far as a rule needs it.</summary>
/// <param name="Id">The object id.</param>
/// <param name="UserPrincipalName">The sign-in name.</param>
/// <param name="UserType"><c>Member</c> or <c>Guest</c>, as Graph answered (null when Graph left it out).</param>
/// <param name="Json">The user object as received.</param>
public sealed record AzureUser(string Id, string? UserPrincipalName, string? UserType, JsonElement Json)
{
    /// <summary>True when Graph says the user is a guest (<c>userType</c> = <c>Guest</c>, or a <c>#EXT#</c> sign-in name).</summary>
    public bool IsGuest => string.Equals(UserType, "Guest", StringComparison.OrdinalIgnoreCase)
        || (UserPrincipalName?.Contains("#EXT#", StringComparison.OrdinalIgnoreCase) ?? false);
}
