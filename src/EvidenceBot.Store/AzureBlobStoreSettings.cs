using System.Text.Json.Serialization;

namespace EvidenceBot.Store;

/// <summary>The configuration's <c>store</c> section: where completed bundles go besides the local output folder.</summary>
public sealed record StoreSettings
{
    /// <summary>Upload each completed bundle to an Azure Blob Storage container; null keeps bundles local only.</summary>
    [JsonPropertyName("azureBlob")] public AzureBlobStoreSettings? AzureBlob { get; init; }
}

/// <summary>
/// <c>store.azureBlob</c>: the container bundles are uploaded to, and how to authenticate. Secrets never sit in the
/// configuration file: it names the environment variables that hold them.
/// </summary>
public sealed record AzureBlobStoreSettings
{
    /// <summary>The container name.</summary>
    [JsonPropertyName("container")] public string? Container { get; init; }

    /// <summary>A folder-like prefix inside the container; bundles go to <c>PREFIX/BUNDLE/...</c>.</summary>
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }

    /// <summary>The environment variable holding a storage connection string (Azurite, account keys).</summary>
    [JsonPropertyName("connectionStringEnv")] public string? ConnectionStringEnv { get; init; }

    /// <summary>The account's blob endpoint, <c>https://ACCOUNT.blob.core.windows.net</c>; authenticated with <see cref="SasTokenEnv"/> or DefaultAzureCredential.</summary>
    [JsonPropertyName("accountUrl")] public string? AccountUrl { get; init; }

    /// <summary>The environment variable holding a SAS token for <see cref="AccountUrl"/>; without it, DefaultAzureCredential.</summary>
    [JsonPropertyName("sasTokenEnv")] public string? SasTokenEnv { get; init; }

    /// <summary>Retries of a failed request before the upload is reported as failed (default 3).</summary>
    [JsonPropertyName("retries")] public int? Retries { get; init; }

    /// <summary>Version-level immutability (WORM) for each uploaded blob; null: none asked for.</summary>
    [JsonPropertyName("immutability")] public ImmutabilitySettings? Immutability { get; init; }
}

/// <summary><c>store.azureBlob.immutability</c>: the time-based retention policy set on each uploaded blob version.</summary>
public sealed record ImmutabilitySettings
{
    /// <summary>Days each blob version stays immutable after upload.</summary>
    [JsonPropertyName("retentionDays")] public int RetentionDays { get; init; }

    /// <summary><c>unlocked</c> (default: the retention can still be shortened or removed) or <c>locked</c> (it can only be extended).</summary>
    [JsonPropertyName("mode")] public string? Mode { get; init; }

    /// <summary>When true, an upload to a container without version-level immutability fails instead of going ahead without it.</summary>
    [JsonPropertyName("required")] public bool Required { get; init; }
}
