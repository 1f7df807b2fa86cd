using EvidenceBot.Store;

namespace EvidenceBot.Runs;

/// <summary>
/// The run's evidence store (<c>store</c> in the configuration): opened before any rule runs, so bad settings fail
/// fast, and given the output folder after the bundle is written, to upload what it does not hold yet.
/// </summary>
internal static class RunStore
{
    /// <summary>The configured store, or null when bundles stay local only. Bad settings throw <see cref="ConfigException"/>.</summary>
    public static IEvidenceStore? Open(EvidenceBotConfig cfg, TimeProvider time) =>
        cfg.Store?.AzureBlob is { } azure ? OpenAzureBlob(azure, time) : null;

    // A method of its own so that runs without a store never load the Azure Storage SDK.
    private static AzureBlobEvidenceStore OpenAzureBlob(AzureBlobStoreSettings settings, TimeProvider time)
    {
        try
        {
            return new AzureBlobEvidenceStore(BlobContainerConnector.Open(settings), settings, time);
        }
        catch (StoreConfigurationException ex)
        {
            throw new ConfigException(ex.Message);
        }
    }

    /// <summary>
    /// Uploads every completed bundle in <paramref name="outDirectory"/> the store lacks and reports each; false when any
    /// could not be uploaded (they stay local and the next run tries again). True when there is no store.
    /// </summary>
    public static async Task<bool> UploadAsync(IEvidenceStore? store, string outDirectory, IRunReporter report, CancellationToken ct)
    {
        if (store is null)
            return true;
        StoreSyncResult result;
        try
        {
            result = await store.UploadPendingAsync(outDirectory, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            report.Error($"store: the bundles in {outDirectory} could not be read for upload ({ex.Message}); they are kept and the next run tries again");
            return false;
        }

        foreach (var note in result.Notes)
            report.Message("store: " + note);
        foreach (var u in result.Uploaded)
            report.Message($"store: uploaded {u.Bundle} to {u.Location} ({u.Files} files, manifest sha256 {u.ManifestSha256} read back{(u.Immutable ? ", immutable" : "")})");
        foreach (var f in result.Failed)
            report.Error($"store: {f.Bundle} was not uploaded to {result.Destination}: {f.Reason}; the local bundle is kept and the next run uploads it");
        return result.Succeeded;
    }
}
