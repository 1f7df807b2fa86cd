using EvidenceBot.Evidence.Tests;
using EvidenceBot.Runs;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace EvidenceBot.Store.Tests;

public sealed class RunStoreTests
{
    [Fact]
    public void Open_NoStoreSection_ReturnsNullAndBundlesStayLocal()
    {
        Assert.Null(RunStore.Open(new EvidenceBotConfig(), TimeProvider.System));
    }

    [Fact]
    public void Open_StoreSectionWithUnsetVariable_ThrowsConfigExceptionNamingIt()
    {
        var cfg = new EvidenceBotConfig { Store = new StoreSettings { AzureBlob = new AzureBlobStoreSettings { Container = "evidence", ConnectionStringEnv = "EB_TEST_UNSET_" + Guid.NewGuid().ToString("N") } } };

        var ex = Assert.Throws<ConfigException>(() => RunStore.Open(cfg, TimeProvider.System));

        Assert.StartsWith("store.azureBlob.connectionStringEnv EB_TEST_UNSET_", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ConfigWithStoreSection_ValidatesAndBindsIt()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "evidencebot.json");
        File.WriteAllText(file, """{ "store": { "azureBlob": { "container": "evidence", "prefix": "prod", "accountUrl": "https://acct.blob.core.windows.net", "immutability": { "retentionDays": 2555, "mode": "locked" } } } }""");

        var cfg = ConfigLoader.Load(file, []);

        Assert.Equal("evidence", cfg.Store?.AzureBlob?.Container);
        Assert.Equal(2555, cfg.Store?.AzureBlob?.Immutability?.RetentionDays);
    }

    [Fact]
    public void Load_StoreSectionWithSecretInsteadOfVariable_RefusedByTheSchema()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "evidencebot.json");
        File.WriteAllText(file, """{ "store": { "azureBlob": { "container": "evidence", "connectionString": "AccountKey=abc" } } }""");

        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load(file, []));

        Assert.Contains("connectionString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadAsync_StoreReportsFailure_ErrorSaysBundleKeptAndReturnsFalse()
    {
        var store = Substitute.For<IEvidenceStore>();
        store.UploadPendingAsync("out", Arg.Any<CancellationToken>()).Returns(new StoreSyncResult("https://acct.blob.core.windows.net/evidence/prod", [],
            [new StoreFailure("20260301T093100Z-run", "the store could not be reached (Connection refused) after 4 attempt(s)")], 0, []));
        var reporter = Substitute.For<IRunReporter>();

        var ok = await RunStore.UploadAsync(store, "out", reporter, CancellationToken.None);

        Assert.False(ok);
        reporter.Received(1).Error(Arg.Is<string>(s => s.Contains("20260301T093100Z-run was not uploaded to https://acct.blob.core.windows.net/evidence/prod", StringComparison.Ordinal)
            && s.Contains("the local bundle is kept and the next run uploads it", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UploadAsync_StoreThrowsIo_ReportsAndReturnsFalse()
    {
        var store = Substitute.For<IEvidenceStore>();
        store.UploadPendingAsync("out", Arg.Any<CancellationToken>()).ThrowsAsync(new IOException("disk gone"));
        var reporter = Substitute.For<IRunReporter>();

        Assert.False(await RunStore.UploadAsync(store, "out", reporter, CancellationToken.None));
        reporter.Received(1).Error(Arg.Is<string>(s => s.Contains("disk gone", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UploadAsync_Uploaded_ReportsLocationAndReturnsTrue()
    {
        var store = Substitute.For<IEvidenceStore>();
        store.UploadPendingAsync("out", Arg.Any<CancellationToken>()).Returns(new StoreSyncResult("d", [new StoredBundle("b", "https://x/evidence/prod/b", 12, "abc", false)], [], 3, ["immutability not applied: why"]));
        var reporter = Substitute.For<IRunReporter>();

        Assert.True(await RunStore.UploadAsync(store, "out", reporter, CancellationToken.None));
        reporter.Received(1).Message("store: immutability not applied: why");
        reporter.Received(1).Message(Arg.Is<string>(s => s.StartsWith("store: uploaded b to https://x/evidence/prod/b (12 files, manifest sha256 abc read back)", StringComparison.Ordinal)));
        reporter.DidNotReceive().Error(Arg.Any<string>());
    }
}
