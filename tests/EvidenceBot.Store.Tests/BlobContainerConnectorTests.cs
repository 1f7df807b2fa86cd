namespace EvidenceBot.Store.Tests;

public sealed class BlobContainerConnectorTests
{
    private static string? NoEnvironment(string _) => null;

    [Fact]
    public void Open_ConnectionStringVariableUnset_ErrorNamesTheVariable()
    {
        var ex = Assert.Throws<StoreConfigurationException>(() => BlobContainerConnector.Open(
            new AzureBlobStoreSettings { Container = "evidence", ConnectionStringEnv = "EB_STORE_CS" }, environment: NoEnvironment));

        Assert.Contains("store.azureBlob.connectionStringEnv EB_STORE_CS", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not set", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_BothConnectionStringAndAccountUrl_ErrorSaysGiveOne()
    {
        var ex = Assert.Throws<StoreConfigurationException>(() => BlobContainerConnector.Open(
            new AzureBlobStoreSettings { Container = "evidence", ConnectionStringEnv = "A", AccountUrl = "https://acct.blob.core.windows.net" }, environment: NoEnvironment));

        Assert.Contains("exactly one of connectionStringEnv", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NoContainer_ErrorNamesTheField()
    {
        var ex = Assert.Throws<StoreConfigurationException>(() => BlobContainerConnector.Open(
            new AzureBlobStoreSettings { AccountUrl = "https://acct.blob.core.windows.net" }, environment: NoEnvironment));

        Assert.StartsWith("store.azureBlob.container", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_BadConnectionString_ErrorDoesNotQuoteIt()
    {
        const string Secret = "AccountKey=c2VjcmV0;nonsense";
        var ex = Assert.Throws<StoreConfigurationException>(() => BlobContainerConnector.Open(
            new AzureBlobStoreSettings { Container = "evidence", ConnectionStringEnv = "EB_CS" }, environment: _ => Secret));

        Assert.Contains("EB_CS", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_AccountUrlWithSasVariable_ContainerUrlCarriesNoSecretInTheDestination()
    {
        var container = BlobContainerConnector.Open(
            new AzureBlobStoreSettings { Container = "evidence", AccountUrl = "https://acct.blob.core.windows.net", SasTokenEnv = "EB_SAS" },
            environment: _ => "?sv=2024-01-01&sig=SECRETSIG");
        var store = new AzureBlobEvidenceStore(container, new AzureBlobStoreSettings { Container = "evidence", Prefix = "/prod/" }, TimeProvider.System);

        Assert.Equal("https://acct.blob.core.windows.net/evidence/prod", store.Destination);
    }

    [Theory]
    [InlineData(0, null, "retentionDays")]
    [InlineData(7, "forever", "mode")]
    public void Open_BadImmutability_ErrorNamesTheField(int days, string? mode, string field)
    {
        var ex = Assert.Throws<StoreConfigurationException>(() => BlobContainerConnector.Open(
            new AzureBlobStoreSettings { Container = "evidence", AccountUrl = "https://acct.blob.core.windows.net", Immutability = new ImmutabilitySettings { RetentionDays = days, Mode = mode } },
            environment: NoEnvironment));

        Assert.StartsWith("store.azureBlob.immutability." + field, ex.Message, StringComparison.Ordinal);
    }
}
