namespace EvidenceBot.Store;

/// <summary>A place completed bundles are copied to after a run, besides the local output folder.</summary>
public interface IEvidenceStore
{
    /// <summary>
    /// Uploads every completed bundle in <paramref name="outputRoot"/> that this store does not hold yet (this run's and
    /// any an earlier run failed to upload). Never deletes or changes a local file other than its own upload records.
    /// </summary>
    Task<StoreSyncResult> UploadPendingAsync(string outputRoot, CancellationToken ct);
}

/// <summary>What an upload pass did.</summary>
/// <param name="Destination">Where bundles went, without secrets (e.g. the container URL and prefix).</param>
/// <param name="Uploaded">Bundles uploaded and confirmed in this pass.</param>
/// <param name="Failed">Bundles that could not be uploaded, each with why; they stay local and are tried again next run.</param>
/// <param name="AlreadyStored">Bundles an earlier pass had uploaded.</param>
/// <param name="Notes">Things the operator should know that are not failures (e.g. immutability not applied, and why).</param>
public sealed record StoreSyncResult(
    string Destination,
    IReadOnlyList<StoredBundle> Uploaded,
    IReadOnlyList<StoreFailure> Failed,
    int AlreadyStored,
    IReadOnlyList<string> Notes)
{
    /// <summary>True when nothing failed.</summary>
    public bool Succeeded => Failed.Count == 0;
}

/// <summary>A bundle now held by the store.</summary>
/// <param name="Bundle">The bundle folder name.</param>
/// <param name="Location">Its URL in the store (no secrets): what <c>evidencebot verify</c> accepts.</param>
/// <param name="Files">Files uploaded.</param>
/// <param name="ManifestSha256">The manifest digest read back from the store, equal to the local one.</param>
/// <param name="Immutable">True when each blob was written with an immutability policy.</param>
public sealed record StoredBundle(string Bundle, string Location, int Files, string ManifestSha256, bool Immutable);

/// <summary>A bundle that could not be uploaded.</summary>
/// <param name="Bundle">The bundle folder name.</param>
/// <param name="Reason">Why, in words an operator can act on.</param>
public sealed record StoreFailure(string Bundle, string Reason);
