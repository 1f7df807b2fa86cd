using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Tests;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Store.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobEvidenceStoreTests(AzuriteFixture azurite)
{
    private static readonly FakeTimeProvider Time = new(Fixtures.Start.AddHours(1));

    private static AzureBlobStoreSettings Settings(string container, string prefix = "prod", int retries = 1, ImmutabilitySettings? worm = null) =>
        new() { Container = container, Prefix = prefix, ConnectionStringEnv = "X", Retries = retries, Immutability = worm };

    private BlobContainerClient Client(string container, params HttpPipelinePolicy[] policies)
    {
        var options = BlobContainerConnector.ClientOptions(new AzureBlobStoreSettings { Retries = 1 }, TimeSpan.FromMilliseconds(10));
        foreach (var p in policies)
            options.AddPolicy(p, HttpPipelinePosition.PerCall);
        return new BlobContainerClient(azurite.ConnectionString, container, options);
    }

    [Fact]
    public async Task UploadPending_CompletedBundle_UploadsEveryFileUnderPrefixAndReadsManifestBack()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var container = await azurite.NewContainerAsync();
        var store = new AzureBlobEvidenceStore(Client(container.Name), Settings(container.Name), Time);

        var result = await store.UploadPendingAsync(Path.GetDirectoryName(written.BundlePath)!, CancellationToken.None);

        Assert.True(result.Succeeded, string.Join("; ", result.Failed));
        var stored = Assert.Single(result.Uploaded);
        var name = Path.GetFileName(written.BundlePath);
        Assert.Equal(written.ManifestSha256, stored.ManifestSha256);
        Assert.Equal($"{azurite.BlobEndpoint}/{container.Name}/prod/{name}", stored.Location);
        var local = Fixtures.Files(written.BundlePath);
        var blobs = new List<string>();
        await foreach (var b in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"prod/{name}/", CancellationToken.None))
            blobs.Add(b.Name[$"prod/{name}/".Length..]);
        Assert.Equal(local, blobs.Order(StringComparer.Ordinal));
        Assert.Equal(local.Count, stored.Files);
        Assert.False(stored.Immutable);
    }

    [Fact]
    public async Task UploadPending_AnyBundle_WritesTheManifestLast()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var container = await azurite.NewContainerAsync();
        var recorder = new RequestRecorder();
        var store = new AzureBlobEvidenceStore(Client(container.Name, recorder), Settings(container.Name), Time);

        await store.UploadPendingAsync(Path.GetDirectoryName(written.BundlePath)!, CancellationToken.None);

        var puts = recorder.Requests.Where(r => r.Method == "PUT").Select(r => r.Path).ToList();
        Assert.True(puts.Count > 3);
        Assert.EndsWith("/" + BundleLayout.Manifest, puts[^1], StringComparison.Ordinal);
        Assert.EndsWith("/" + BundleLayout.ManifestSignature, puts[^2], StringComparison.Ordinal);
        // The read-back is a GET of the manifest after the last PUT.
        Assert.Contains(recorder.Requests.SkipWhile(r => r.Method != "PUT" || !r.Path.EndsWith("/" + BundleLayout.Manifest, StringComparison.Ordinal)),
            r => r.Method == "GET" && r.Path.EndsWith("/" + BundleLayout.Manifest, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UploadPending_StoreUnreachable_ReportsFailureKeepsBundleAndNextPassUploadsBoth()
    {
        using var dir = new TempDir();
        var first = await Fixtures.WriteAsync(dir, Fixtures.Signer(), runId: "run0000000001");
        var root = Path.GetDirectoryName(first.BundlePath)!;
        var before = Fixtures.Files(first.BundlePath);
        var container = await azurite.NewContainerAsync();
        var deadOptions = BlobContainerConnector.ClientOptions(new AzureBlobStoreSettings { Retries = 2 }, TimeSpan.FromMilliseconds(10));
        var dead = new BlobContainerClient(azurite.ConnectionString.Replace(new Uri(azurite.BlobEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), AzuriteFixture.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), container.Name, deadOptions);

        var failed = await new AzureBlobEvidenceStore(dead, Settings(container.Name, retries: 2), Time).UploadPendingAsync(root, CancellationToken.None);

        var failure = Assert.Single(failed.Failed);
        Assert.False(failed.Succeeded);
        Assert.Empty(failed.Uploaded);
        Assert.Contains("could not be reached", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("3 attempt(s)", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(before, Fixtures.Files(first.BundlePath));

        var second = await Fixtures.WriteAsync(dir, Fixtures.Signer(), runId: "run0000000002", time: new FakeTimeProvider(Fixtures.Start.AddMinutes(2)));
        var retried = await new AzureBlobEvidenceStore(Client(container.Name), Settings(container.Name), Time).UploadPendingAsync(root, CancellationToken.None);

        Assert.True(retried.Succeeded);
        Assert.Equal(new[] { Path.GetFileName(first.BundlePath), Path.GetFileName(second.BundlePath) }, retried.Uploaded.Select(u => u.Bundle));
        Assert.True(await container.GetBlobClient($"prod/{Path.GetFileName(first.BundlePath)}/{BundleLayout.Manifest}").ExistsAsync());
        Assert.True(await container.GetBlobClient($"prod/{Path.GetFileName(second.BundlePath)}/{BundleLayout.Manifest}").ExistsAsync());
    }

    [Fact]
    public async Task UploadPending_SecondPass_UploadsNothingAgain()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var root = Path.GetDirectoryName(written.BundlePath)!;
        var container = await azurite.NewContainerAsync();
        var recorder = new RequestRecorder();
        var store = new AzureBlobEvidenceStore(Client(container.Name, recorder), Settings(container.Name), Time);
        await store.UploadPendingAsync(root, CancellationToken.None);
        recorder.Requests.Clear();

        var again = await store.UploadPendingAsync(root, CancellationToken.None);

        Assert.Empty(again.Uploaded);
        Assert.Equal(1, again.AlreadyStored);
        Assert.Empty(recorder.Requests);
        Assert.True(File.Exists(Path.Combine(root, UploadRecords.Folder, "azure-blob", Path.GetFileName(written.BundlePath) + ".json")));
    }

    [Fact]
    public async Task UploadPending_OtherContainerThanRecorded_UploadsAgain()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var root = Path.GetDirectoryName(written.BundlePath)!;
        var a = await azurite.NewContainerAsync();
        var b = await azurite.NewContainerAsync();
        await new AzureBlobEvidenceStore(Client(a.Name), Settings(a.Name), Time).UploadPendingAsync(root, CancellationToken.None);

        var result = await new AzureBlobEvidenceStore(Client(b.Name), Settings(b.Name), Time).UploadPendingAsync(root, CancellationToken.None);

        Assert.Single(result.Uploaded);
        Assert.True(await b.GetBlobClient($"prod/{Path.GetFileName(written.BundlePath)}/{BundleLayout.Manifest}").ExistsAsync());
    }

    [Fact]
    public async Task UploadPending_ManifestReadBackDiffers_FailsAndRecordsNothing()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var root = Path.GetDirectoryName(written.BundlePath)!;
        var container = await azurite.NewContainerAsync();
        var store = new AzureBlobEvidenceStore(Client(container.Name, new ManifestCorrupter()), Settings(container.Name), Time);

        var result = await store.UploadPendingAsync(root, CancellationToken.None);

        var failure = Assert.Single(result.Failed);
        Assert.Contains("read back", failure.Reason, StringComparison.Ordinal);
        Assert.Contains(written.ManifestSha256, failure.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, UploadRecords.Folder, "azure-blob")) && Directory.EnumerateFiles(Path.Combine(root, UploadRecords.Folder, "azure-blob")).Any());
    }

    [Fact]
    public async Task UploadPending_ImmutabilityAskedContainerWithout_UploadsAndSaysNotApplied()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var container = await azurite.NewContainerAsync();
        var store = new AzureBlobEvidenceStore(Client(container.Name), Settings(container.Name, worm: new ImmutabilitySettings { RetentionDays = 30 }), Time);

        var result = await store.UploadPendingAsync(Path.GetDirectoryName(written.BundlePath)!, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.False(Assert.Single(result.Uploaded).Immutable);
        Assert.Contains(result.Notes, n => n.StartsWith("immutability not applied: ", StringComparison.Ordinal) && n.Contains(container.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UploadPending_ImmutabilityRequiredContainerWithout_FailsAndKeepsBundle()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var container = await azurite.NewContainerAsync();
        var store = new AzureBlobEvidenceStore(Client(container.Name), Settings(container.Name, worm: new ImmutabilitySettings { RetentionDays = 30, Required = true }), Time);

        var result = await store.UploadPendingAsync(Path.GetDirectoryName(written.BundlePath)!, CancellationToken.None);

        Assert.Contains("immutability is required", Assert.Single(result.Failed).Reason, StringComparison.Ordinal);
        Assert.Empty(result.Uploaded);
        Assert.True(File.Exists(Path.Combine(written.BundlePath, BundleLayout.Manifest)));
        Assert.False(await container.GetBlobClient($"prod/{Path.GetFileName(written.BundlePath)}/{BundleLayout.Manifest}").ExistsAsync());
    }

    [Fact]
    public async Task UploadPending_MissingContainer_FailsNamingIt()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var store = new AzureBlobEvidenceStore(Client("nosuchcontainer"), Settings("nosuchcontainer"), Time);

        var result = await store.UploadPendingAsync(Path.GetDirectoryName(written.BundlePath)!, CancellationToken.None);

        var failure = Assert.Single(result.Failed);
        Assert.Contains("404", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("ContainerNotFound", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadPending_PartialFolderLeftByKilledRun_IsNotUploaded()
    {
        using var dir = new TempDir();
        var written = await Fixtures.WriteAsync(dir, Fixtures.Signer());
        var root = Path.GetDirectoryName(written.BundlePath)!;
        var partial = Directory.CreateDirectory(Path.Combine(root, BundleLayout.PartialPrefix + "x")).FullName;
        File.WriteAllText(Path.Combine(partial, BundleLayout.Manifest), "{}");
        var container = await azurite.NewContainerAsync();

        var result = await new AzureBlobEvidenceStore(Client(container.Name), Settings(container.Name), Time).UploadPendingAsync(root, CancellationToken.None);

        Assert.Equal(Path.GetFileName(written.BundlePath), Assert.Single(result.Uploaded).Bundle);
    }

    /// <summary>Records each request's method and path.</summary>
    private sealed class RequestRecorder : HttpPipelineSynchronousPolicy
    {
        public List<(string Method, string Path)> Requests { get; } = [];

        public override void OnSendingRequest(HttpMessage message)
        {
            lock (Requests)
                Requests.Add((message.Request.Method.Method, message.Request.Uri.Path));
        }
    }

    /// <summary>Changes the bytes of every downloaded manifest: a store that does not hand back what it was given.</summary>
    private sealed class ManifestCorrupter : HttpPipelineSynchronousPolicy
    {
        public override void OnReceivedResponse(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Get && message.Request.Uri.Path.EndsWith("/" + BundleLayout.Manifest, StringComparison.Ordinal) && message.Response.Status == 200)
            {
                using var original = new MemoryStream();
                message.Response.ContentStream!.CopyTo(original);
                var bytes = original.ToArray();
                bytes[^2] ^= 0x20;
                message.Response.ContentStream = new MemoryStream(bytes);
            }
        }
    }
}
