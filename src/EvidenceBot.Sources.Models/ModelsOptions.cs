using Azure.Core;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Rules;

namespace EvidenceBot.Sources.Models;

/// <summary>The <c>models</c> section, parsed and validated: the registries and how to reach them.</summary>
internal sealed record ModelsOptions
{
    public IReadOnlyList<RegistryOptions> Registries { get; init; } = [];

    public RegistryHttpPolicy Policy { get; init; } = new();

    /// <summary>The transport under the source's handlers: null for the network, a <c>ReplayHandler</c> for recordings.</summary>
    public HttpMessageHandler? Transport { get; init; }

    public IExchangeSink? Sink { get; init; }

    public Redactor Redactor { get; init; } = new();

    /// <summary>Folder of the persisted ETag cache (models.etagCache); no cache when null.</summary>
    public string? EtagCacheDirectory { get; init; }
}

/// <summary>How each registry's HTTP stack retries and bounds requests.</summary>
internal sealed record RegistryHttpPolicy
{
    /// <summary>Retries after the first attempt for 429, 5xx, timeouts and connection failures.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First backoff for a 5xx or timeout without Retry-After; doubled each retry.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait a Retry-After may ask for; longer is a fault at once, not a stalled run.</summary>
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest one attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests in flight at once, per registry.</summary>
    public int Concurrency { get; init; } = 8;
}

/// <summary>A Hugging Face model the organisation uses, at the revision it pinned.</summary>
internal sealed record PinnedModel(string Id, string? Revision);

/// <summary>One configured registry.</summary>
internal sealed record RegistryOptions
{
    public required string Name { get; init; }

    public required RegistryKind Kind { get; init; }

    /// <summary>MLflow tracking server or Databricks workspace URL; Hugging Face endpoint; ARM endpoint.</summary>
    public Uri? Url { get; init; }

    public ModelConventions Conventions { get; init; } = ModelConventions.Default;

    /// <summary>MLflow <c>registered-models/search</c> page size (the server allows at most 1000).</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>MLflow <c>model-versions/search</c> page size (the server's default is 10000).</summary>
    public int VersionPageSize { get; init; } = 10000;

    /// <summary>A list longer than this many pages is a fault, never its first pages alone.</summary>
    public int MaxPages { get; init; } = 1000;

    /// <summary>Basic auth (MLflow).</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>Bearer token (MLflow behind a proxy, Databricks, Hugging Face).</summary>
    public string? Token { get; init; }

    /// <summary>Hugging Face models listed in the configuration.</summary>
    public IReadOnlyList<PinnedModel> Models { get; init; } = [];

    /// <summary>Azure ML workspace coordinates.</summary>
    public string? SubscriptionId { get; init; }

    public string? ResourceGroup { get; init; }

    public string? Workspace { get; init; }

    /// <summary>An Azure ML registry (shared models across workspaces) instead of a workspace; null for a workspace.</summary>
    public string? AzureRegistry { get; init; }

    public string ApiVersion { get; init; } = "2025-12-01";

    /// <summary>Azure: where tokens come from; null only when answering from recordings.</summary>
    public TokenCredential? Credential { get; init; }

    /// <summary>Azure: the token scope, from the ARM endpoint.</summary>
    public string Scope { get; init; } = "https://management.azure.com/.default";
}
