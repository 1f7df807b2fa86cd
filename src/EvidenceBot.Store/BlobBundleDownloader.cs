using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace EvidenceBot.Store;

/// <summary>
/// Brings a stored bundle back to a local folder so the offline verifier can check it: the blobs under a bundle's URL
/// (<c>https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX/BUNDLE</c>), or one <c>.tar.gz</c> blob. Nothing is trusted
/// on the way: the verifier checks every byte afterwards; this only refuses blob names that would escape the folder.
/// </summary>
internal static class BlobBundleDownloader
{
    /// <summary>True when <paramref name="argument"/> is an http(s) URL rather than a local path.</summary>
    public static bool IsBlobUrl(string argument) =>
        Uri.TryCreate(argument, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    /// <summary>The URL as it may be printed: without a SAS token.</summary>
    public static string Display(string url) => AzureBlobEvidenceStore.Strip(new Uri(url));

    /// <summary>
    /// Downloads the bundle at <paramref name="url"/> into <paramref name="workFolder"/> and returns the local path to
    /// verify (a folder named after the bundle, or the archive). Authentication: <paramref name="connectionString"/> when
    /// given (its account must be the URL's), else a SAS token in the URL, else DefaultAzureCredential for https and
    /// anonymous access for http. Problems throw <see cref="StoreUploadException"/> with a message naming the URL.
    /// </summary>
    public static async Task<string> DownloadAsync(string url, string? connectionString, string workFolder, CancellationToken ct, BlobClientOptions? options = null)
    {
        var shown = Display(url);
        var parts = new BlobUriBuilder(new Uri(url));
        var blobPath = parts.BlobName.Trim('/');
        if (string.IsNullOrEmpty(parts.BlobContainerName) || blobPath.Length == 0)
            throw new StoreUploadException($"{shown}: not a bundle URL; expected https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX/BUNDLE (the location 'run' printed after uploading)");
        var container = Container(parts, connectionString, options);
        var name = blobPath[(blobPath.LastIndexOf('/') + 1)..];
        try
        {
            if (name.EndsWith(".tar.gz", StringComparison.Ordinal))
            {
                var archive = Path.Combine(workFolder, name);
                await container.GetBlobClient(blobPath).DownloadToAsync(archive, ct).ConfigureAwait(false);
                return archive;
            }

            // A container or prefix URL would download many bundles as one folder that can only fail: say so instead.
            if (!await container.GetBlobClient(blobPath + "/" + Evidence.Bundles.BundleLayout.Manifest).ExistsAsync(ct).ConfigureAwait(false))
                throw new StoreUploadException($"{shown}: no bundle here (no {Evidence.Bundles.BundleLayout.Manifest} under this URL){await BundlesBelowAsync(container, blobPath, shown, ct).ConfigureAwait(false)}; give the URL of one bundle (…/CONTAINER/PREFIX/BUNDLE, as 'run' printed it after uploading)");
            var folder = Path.Combine(workFolder, name);
            var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
            var count = 0;
            await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, blobPath + "/", ct).ConfigureAwait(false))
            {
                var relative = item.Name[(blobPath.Length + 1)..];
                var target = Path.GetFullPath(Path.Combine(folder, relative));
                if (relative.Length == 0 || relative.Split('/').Any(s => s is "" or "." or "..") || !target.StartsWith(root, StringComparison.Ordinal))
                    throw new StoreUploadException($"{shown}: blob '{item.Name}' does not name a file inside the bundle; this is not a bundle EvidenceBot uploaded");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await container.GetBlobClient(item.Name).DownloadToAsync(target, ct).ConfigureAwait(false);
                count++;
            }

            return count > 0 ? folder : throw new StoreUploadException($"{shown}: no blobs under this URL");
        }
        catch (RequestFailedException ex)
        {
            var what = ex.Status switch
            {
                0 => "the storage account could not be reached",
                403 or 401 => "access denied: give a URL with a SAS token (read and list), or --connection-string-env, or sign in for DefaultAzureCredential",
                404 => "no such container or blob",
                _ => $"the store answered {ex.Status} {ex.ErrorCode}",
            };
            throw new StoreUploadException($"{shown}: {what}", ex);
        }
        catch (AggregateException ex)
        {
            throw new StoreUploadException($"{shown}: the storage account could not be reached ({ex.InnerExceptions.LastOrDefault()?.Message})", ex);
        }
        catch (Exception ex) when (ex is AuthenticationFailedException or CredentialUnavailableException)
        {
            throw new StoreUploadException($"{shown}: no Azure credential ({ex.Message.Split('\n')[0]}); give a URL with a SAS token or --connection-string-env", ex);
        }
    }

    /// <summary>A few bundle URLs one level below <paramref name="blobPath"/>, to point the user at one; empty when none.</summary>
    private static async Task<string> BundlesBelowAsync(BlobContainerClient container, string blobPath, string shown, CancellationToken ct)
    {
        var below = new List<string>();
        await foreach (var item in container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", blobPath + "/", ct).ConfigureAwait(false))
        {
            if (item.IsPrefix)
                below.Add(shown + "/" + item.Prefix[(blobPath.Length + 1)..].TrimEnd('/'));
            if (below.Count == 3)
                break;
        }

        return below.Count == 0 ? "" : $"; below it are {string.Join(", ", below)}";
    }

    private static BlobContainerClient Container(BlobUriBuilder parts, string? connectionString, BlobClientOptions? options)
    {
        options ??= new BlobClientOptions();
        if (connectionString is not null)
            return new BlobContainerClient(connectionString, parts.BlobContainerName, options);
        var sas = parts.Sas?.ToString();
        var containerUri = new BlobUriBuilder(parts.ToUri()) { BlobName = "", Sas = null, Query = "" }.ToUri();
        if (!string.IsNullOrEmpty(sas))
            return new BlobContainerClient(containerUri, new AzureSasCredential(sas), options);
        if (containerUri.Scheme == Uri.UriSchemeHttps)
            return new BlobContainerClient(containerUri, (TokenCredential)new DefaultAzureCredential(), options);
        return new BlobContainerClient(containerUri, options);
    }
}
