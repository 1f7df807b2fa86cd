using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace EvidenceBot.Store;

/// <summary>
/// Opens the configured container: a connection string from an environment variable, or the account URL with a SAS
/// token from an environment variable, or the account URL with DefaultAzureCredential. Bad settings throw
/// <see cref="StoreConfigurationException"/> naming the setting, before any rule runs.
/// </summary>
internal static class BlobContainerConnector
{
    /// <summary>Checks <paramref name="settings"/> and builds the container client (no request is sent).</summary>
    public static BlobContainerClient Open(AzureBlobStoreSettings settings, BlobClientOptions? options = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        environment ??= Environment.GetEnvironmentVariable;
        options ??= ClientOptions(settings);
        const string Section = "store.azureBlob";
        if (string.IsNullOrWhiteSpace(settings.Container))
            throw new StoreConfigurationException($"{Section}.container: missing; name the container bundles are uploaded to");
        if (settings.Immutability is { } worm)
        {
            if (worm.RetentionDays < 1)
                throw new StoreConfigurationException($"{Section}.immutability.retentionDays: {worm.RetentionDays}; give the number of days (1 or more) each uploaded blob stays immutable");
            _ = ImmutabilityMode(worm);
        }

        if ((settings.ConnectionStringEnv is null) == (settings.AccountUrl is null))
            throw new StoreConfigurationException($"{Section}: give exactly one of connectionStringEnv (an environment variable holding a connection string) or accountUrl (https://ACCOUNT.blob.core.windows.net)");

        if (settings.ConnectionStringEnv is { } csEnv)
        {
            var connectionString = environment(csEnv);
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new StoreConfigurationException($"{Section}.connectionStringEnv {csEnv}: the environment variable is not set or empty; set it to the storage account's connection string");
            try
            {
                return new BlobContainerClient(connectionString, settings.Container, options);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                // The message would quote the connection string's parts: say which variable is wrong, not what it holds.
                throw new StoreConfigurationException($"{Section}.connectionStringEnv {csEnv}: not a storage connection string ({ex.GetType().Name}); copy it from the portal's 'Access keys' or 'az storage account show-connection-string'", ex);
            }
        }

        if (!Uri.TryCreate(settings.AccountUrl, UriKind.Absolute, out var account) || (account.Scheme != Uri.UriSchemeHttps && account.Scheme != Uri.UriSchemeHttp))
            throw new StoreConfigurationException($"{Section}.accountUrl: '{settings.AccountUrl}' is not a URL; expected https://ACCOUNT.blob.core.windows.net");
        var container = new BlobUriBuilder(account) { BlobContainerName = settings.Container }.ToUri();
        if (settings.SasTokenEnv is { } sasEnv)
        {
            var sas = environment(sasEnv);
            if (string.IsNullOrWhiteSpace(sas))
                throw new StoreConfigurationException($"{Section}.sasTokenEnv {sasEnv}: the environment variable is not set or empty; set it to a SAS token with create, write, read and list permissions on the container");
            return new BlobContainerClient(container, new AzureSasCredential(sas.TrimStart('?')), options);
        }

        return new BlobContainerClient(container, (TokenCredential)new DefaultAzureCredential(), options);
    }

    /// <summary>The SDK options for <paramref name="settings"/>: its retries, with exponential back-off.</summary>
    public static BlobClientOptions ClientOptions(AzureBlobStoreSettings settings, TimeSpan? retryDelay = null)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = settings.Retries ?? 3;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = retryDelay ?? TimeSpan.FromSeconds(1);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
        return options;
    }

    /// <summary>The SDK's policy mode for <c>immutability.mode</c>.</summary>
    public static Azure.Storage.Blobs.Models.BlobImmutabilityPolicyMode ImmutabilityMode(ImmutabilitySettings worm) => worm.Mode switch
    {
        null or "unlocked" => Azure.Storage.Blobs.Models.BlobImmutabilityPolicyMode.Unlocked,
        "locked" => Azure.Storage.Blobs.Models.BlobImmutabilityPolicyMode.Locked,
        _ => throw new StoreConfigurationException($"store.azureBlob.immutability.mode: '{worm.Mode}'; expected 'unlocked' or 'locked'"),
    };
}
