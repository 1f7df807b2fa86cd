using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Tests;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Store.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class BlobBundleDownloaderTests(AzuriteFixture azurite)
{
    private async Task<(BundleWriteResult Written, StoredBundle Stored)> UploadedBundleAsync(TempDir dir)
    {
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var container = await azurite.NewContainerAsync();
        var settings = new AzureBlobStoreSettings { Container = container.Name, Prefix = "prod" };
        var store = new AzureBlobEvidenceStore(container, settings, new FakeTimeProvider(Fixtures.Start));
        var result = await store.UploadPendingAsync(Path.GetDirectoryName(written.BundlePath)!, CancellationToken.None);
        return (written, Assert.Single(result.Uploaded));
    }

    [Fact]
    public async Task Download_StoredBundleUrl_VerifiesLikeTheLocalFolder()
    {
        using var dir = new TempDir();
        var (written, stored) = await UploadedBundleAsync(dir);

        var local = await BlobBundleDownloader.DownloadAsync(stored.Location, azurite.ConnectionString, dir.Sub("download"), CancellationToken.None);
        var report = BundleVerifier.Verify(local, Fixtures.PublicKey());

        Assert.True(report.Passed, string.Join("; ", report.Failures.Select(f => f.Detail)));
        Assert.Equal(written.ManifestSha256, report.ManifestSha256);
        Assert.Equal(Fixtures.Files(written.BundlePath), Fixtures.Files(local));
    }

    [Fact]
    public async Task Download_StoredBundleChangedInTheStore_VerificationFails()
    {
        using var dir = new TempDir();
        var (_, stored) = await UploadedBundleAsync(dir);
        var parts = new Azure.Storage.Blobs.BlobUriBuilder(new Uri(stored.Location));
        var container = new Azure.Storage.Blobs.BlobContainerClient(azurite.ConnectionString, parts.BlobContainerName);
        await container.GetBlobClient(parts.BlobName + "/" + BundleLayout.Results).UploadAsync(BinaryData.FromString("{\"tampered\":true}"), overwrite: true);

        var local = await BlobBundleDownloader.DownloadAsync(stored.Location, azurite.ConnectionString, dir.Sub("download"), CancellationToken.None);
        var report = BundleVerifier.Verify(local, Fixtures.PublicKey());

        Assert.False(report.Passed);
        Assert.Contains(report.Failures, f => f.File == BundleLayout.Results);
    }

    [Fact]
    public async Task Download_PrefixUrlInsteadOfBundle_ErrorNamesUrlAndTheBundlesBelowIt()
    {
        using var dir = new TempDir();
        var (_, stored) = await UploadedBundleAsync(dir);
        var url = stored.Location[..stored.Location.LastIndexOf('/')];

        var ex = await Assert.ThrowsAsync<StoreUploadException>(() => BlobBundleDownloader.DownloadAsync(url, azurite.ConnectionString, dir.Sub("d"), CancellationToken.None));

        Assert.StartsWith(url + ": no bundle here", ex.Message, StringComparison.Ordinal);
        Assert.Contains("below it are " + stored.Location, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_EmptyPrefix_ErrorSaysGiveABundleUrl()
    {
        using var dir = new TempDir();
        var container = await azurite.NewContainerAsync();
        var url = $"{azurite.BlobEndpoint}/{container.Name}/prod";

        var ex = await Assert.ThrowsAsync<StoreUploadException>(() => BlobBundleDownloader.DownloadAsync(url, azurite.ConnectionString, dir.Sub("d"), CancellationToken.None));

        Assert.StartsWith(url + ": no bundle here", ex.Message, StringComparison.Ordinal);
        Assert.Contains("give the URL of one bundle", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_UnreachableAccount_ErrorNamesUrlWithoutSas()
    {
        using var dir = new TempDir();
        var url = $"http://127.0.0.1:{AzuriteFixture.FreePort()}/devstoreaccount1/evidence/prod/bundle?sv=2024&sig=SECRETSIG";
        var options = BlobContainerConnector.ClientOptions(new AzureBlobStoreSettings { Retries = 0 });

        var ex = await Assert.ThrowsAsync<StoreUploadException>(() => BlobBundleDownloader.DownloadAsync(url, null, dir.Sub("d"), CancellationToken.None, options));

        Assert.Contains("could not be reached", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETSIG", ex.Message, StringComparison.Ordinal);
    }
}
