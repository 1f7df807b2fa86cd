using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;

namespace EvidenceBot.Store.Tests;

/// <summary>
/// Azurite, Microsoft's Azure Storage emulator, on loopback: the one test.sh started (<c>EVIDENCEBOT_TEST_AZURITE</c>),
/// or one this fixture starts from <c>tests/azurite/node_modules</c> and stops afterwards. Neither: the tests fail,
/// saying what to run; they never skip.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Set by test.sh: the blob endpoint of the Azurite it started, e.g. http://127.0.0.1:PORT/devstoreaccount1.</summary>
    public const string Variable = "EVIDENCEBOT_TEST_AZURITE";

    // Azurite's well-known development account key, published in its README and Microsoft's docs: not a secret.
    private const string DevAccount = "devstoreaccount1";
    private const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? _process;
    private string? _location;

    /// <summary>The blob endpoint, http://127.0.0.1:PORT/devstoreaccount1.</summary>
    public string BlobEndpoint { get; private set; } = "";

    /// <summary>A connection string for the development account.</summary>
    public string ConnectionString => $"DefaultEndpointsProtocol=http;AccountName={DevAccount};AccountKey={DevKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>A new, empty container.</summary>
    public async Task<BlobContainerClient> NewContainerAsync(string? name = null)
    {
        var container = new BlobContainerClient(ConnectionString, name ?? "t" + Guid.NewGuid().ToString("N")[..20]);
        await container.CreateIfNotExistsAsync();
        return container;
    }

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(given))
        {
            BlobEndpoint = given.TrimEnd('/');
            return;
        }

        var bin = Path.Combine(RepositoryRoot(), "tests", "azurite", "node_modules", ".bin", "azurite-blob");
        if (!File.Exists(bin))
            throw new InvalidOperationException($"Azurite is not installed ({bin} is missing) and ${Variable} is not set: run ./test.sh, or 'npm ci --prefix tests/azurite' once");
        var port = FreePort();
        _location = Path.Combine(Path.GetTempPath(), "eb-azurite-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_location);
        var start = new ProcessStartInfo(bin)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", _location, "--silent", "--skipApiVersionCheck", "--loose" })
            start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        BlobEndpoint = $"http://127.0.0.1:{port}/{DevAccount}";
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !_process.HasExited)
            {
                await Task.Delay(200);
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        if (_location is not null)
        {
            try
            {
                Directory.Delete(_location, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
