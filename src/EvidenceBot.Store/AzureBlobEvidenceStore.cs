using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using EvidenceBot.Evidence.Bundles;

namespace EvidenceBot.Store;

/// <summary>
/// Uploads completed bundles to an Azure Blob Storage container as <c>PREFIX/BUNDLE/RELATIVE-PATH</c>. The manifest
/// goes last, so a partial upload never looks complete, and is read back and its SHA-256 compared with the local one
/// before the bundle counts as stored. Each blob gets a version-level immutability policy when asked for and the
/// container supports it. Requests are retried by the SDK (exponential back-off); what still fails is reported, the
/// local bundle is left as it was, and the next pass uploads it.
/// </summary>
internal sealed class AzureBlobEvidenceStore(BlobContainerClient container, AzureBlobStoreSettings settings, TimeProvider time) : IEvidenceStore
{
    private readonly string _prefix = (settings.Prefix ?? "").Trim('/');

    /// <summary>The container URL and prefix, without credentials.</summary>
    public string Destination => Strip(container.Uri) + (_prefix.Length > 0 ? "/" + _prefix : "");

    public async Task<StoreSyncResult> UploadPendingAsync(string outputRoot, CancellationToken ct)
    {
        var records = new UploadRecords(outputRoot, "azure-blob");
        var uploaded = new List<StoredBundle>();
        var failed = new List<StoreFailure>();
        var notes = new List<string>();
        var already = 0;
        var pending = new List<(string Name, string Folder, string ManifestSha256)>();
        foreach (var folder in CompletedBundles(outputRoot))
        {
            var name = Path.GetFileName(folder);
            var sha = Sha256Hex(await File.ReadAllBytesAsync(Path.Combine(folder, BundleLayout.Manifest), ct).ConfigureAwait(false));
            if (records.Has(name, Destination, sha))
                already++;
            else
                pending.Add((name, folder, sha));
        }

        if (pending.Count == 0)
            return new StoreSyncResult(Destination, uploaded, failed, already, notes);

        bool immutable;
        try
        {
            immutable = await ImmutabilityAvailableAsync(notes, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            var why = Describe(ex);
            failed.AddRange(pending.Select(p => new StoreFailure(p.Name, why)));
            return new StoreSyncResult(Destination, uploaded, failed, already, notes);
        }

        foreach (var (name, folder, sha) in pending)
        {
            try
            {
                var stored = await UploadBundleAsync(name, folder, sha, immutable, ct).ConfigureAwait(false);
                records.Add(new UploadRecord(name, Destination, stored.Location, sha, stored.Files, immutable, time.GetUtcNow()));
                uploaded.Add(stored);
            }
            catch (Exception ex) when (IsStoreFailure(ex) || ex is IOException or UnauthorizedAccessException)
            {
                failed.Add(new StoreFailure(name, Describe(ex)));
            }
        }

        return new StoreSyncResult(Destination, uploaded, failed, already, notes);
    }

    /// <summary>
    /// Whether to set an immutability policy on each blob. Azure accepts one only on a container (or account) with
    /// version-level immutability enabled; elsewhere (and on Azurite, which does not implement it) it is not applied,
    /// and the notes say so, or the pass fails when the configuration requires it.
    /// </summary>
    private async Task<bool> ImmutabilityAvailableAsync(List<string> notes, CancellationToken ct)
    {
        if (settings.Immutability is not { } worm)
            return false;
        BlobContainerProperties properties;
        try
        {
            properties = (await container.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new StoreUploadException($"container {Strip(container.Uri)} does not exist; create it with version-level immutability (see docs/operators/stores.md)", ex);
        }

        if (properties.HasImmutableStorageWithVersioning)
            return true;
        var why = $"container {Strip(container.Uri)} does not have version-level immutability enabled";
        if (worm.Required)
            throw new StoreUploadException($"immutability is required (store.azureBlob.immutability.required) but {why}; enable it (docs/operators/stores.md) or set required to false");
        notes.Add($"immutability not applied: {why}; blobs are uploaded without a retention policy (see docs/operators/stores.md)");
        return false;
    }

    private async Task<StoredBundle> UploadBundleAsync(string name, string folder, string manifestSha256, bool immutable, CancellationToken ct)
    {
        var bundlePrefix = (_prefix.Length > 0 ? _prefix + "/" : "") + name;
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(folder, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        // The signature before the manifest, the manifest last: a bundle whose manifest is there is complete.
        var ordered = files.Where(f => f is not BundleLayout.Manifest and not BundleLayout.ManifestSignature)
            .Concat(files.Where(f => f is BundleLayout.ManifestSignature))
            .Concat(files.Where(f => f is BundleLayout.Manifest))
            .ToList();
        var policy = immutable && settings.Immutability is { } worm
            ? new BlobImmutabilityPolicy { ExpiresOn = time.GetUtcNow().AddDays(worm.RetentionDays), PolicyMode = BlobContainerConnector.ImmutabilityMode(worm) }
            : null;
        foreach (var relative in ordered)
        {
            var blob = container.GetBlobClient(bundlePrefix + "/" + relative);
            var stream = File.OpenRead(Path.Combine(folder, relative));
            await using (stream.ConfigureAwait(false))
            {
                await blob.UploadAsync(stream, new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = ContentType(relative) },
                    ImmutabilityPolicy = policy,
                }, ct).ConfigureAwait(false);
            }
        }

        var manifestBlob = container.GetBlobClient(bundlePrefix + "/" + BundleLayout.Manifest);
        var readBack = Sha256Hex((await manifestBlob.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToArray());
        if (readBack != manifestSha256)
            throw new StoreUploadException($"the manifest read back from {Strip(manifestBlob.Uri)} has SHA-256 {readBack}, not the local {manifestSha256}; the store changed it or another writer uses this prefix");
        return new StoredBundle(name, Destination + "/" + name, ordered.Count, readBack, policy is not null);
    }

    /// <summary>Completed bundle folders in the output root, oldest name first: a manifest is written last, so its presence means complete.</summary>
    internal static IEnumerable<string> CompletedBundles(string outputRoot)
    {
        if (!Directory.Exists(outputRoot))
            return [];
        return Directory.EnumerateDirectories(outputRoot)
            .Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, BundleLayout.Manifest)))
            .Order(StringComparer.Ordinal);
    }

    private static string ContentType(string relative) =>
        relative.EndsWith(".json", StringComparison.Ordinal) ? "application/json"
        : relative.EndsWith(".pem", StringComparison.Ordinal) ? "application/x-pem-file"
        : "application/octet-stream";

    internal static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The URL without its query (a SAS token is a secret).</summary>
    internal static string Strip(Uri uri) => uri.GetLeftPart(UriPartial.Path).TrimEnd('/');

    private static bool IsStoreFailure(Exception ex) =>
        ex is RequestFailedException or StoreUploadException or AggregateException or HttpRequestException or TaskCanceledException
        || ex is Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException;

    private string Describe(Exception ex) => ex switch
    {
        StoreUploadException s => s.Message,
        RequestFailedException { Status: 0 } r => $"the store could not be reached ({FirstLine(r.Message)}) after {RetriesNote()}",
        RequestFailedException r => $"the store answered {r.Status} {r.ErrorCode} ({FirstLine(r.Message)}) after {RetriesNote()}",
        AggregateException a => $"the store could not be reached ({FirstLine(a.InnerExceptions.LastOrDefault()?.Message ?? a.Message)}) after {RetriesNote()}",
        _ => FirstLine(ex.Message),
    };

    private string RetriesNote() => $"{(settings.Retries ?? 3) + 1} attempt(s)";

    private static string FirstLine(string message)
    {
        var cut = message.IndexOfAny(['\r', '\n']);
        return cut < 0 ? message : message[..cut];
    }
}

/// <summary>An upload that was refused or did not read back as written.</summary>
internal sealed class StoreUploadException(string message, Exception? inner = null) : Exception(message, inner);
