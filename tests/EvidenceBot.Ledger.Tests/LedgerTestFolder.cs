using EvidenceBot.IntegrationTests;

namespace EvidenceBot.Ledger.Tests;

/// <summary>A throw-away folder with rules whose verdicts a test sets, run through the real CLI in-process.</summary>
internal sealed class LedgerTestFolder : IDisposable
{
    public CliRunner Cli { get; } = new();

    public string Out => Cli.Out;

    public string LedgerPath => Path.Combine(Cli.Out, RunLedger.DefaultFileName);

    /// <summary>Writes rule <paramref name="id"/> mapped to A.8.32 whose one finding on <paramref name="resource"/> has the given outcome.</summary>
    public void Rule(string id, string outcome, string resource = "org/api", string freshness = "", string control = "ISO27001:2022/A.8.32")
    {
        var body = outcome switch
        {
            "pass" => $"Check(\"{resource}\", true, \"ok\");",
            "fail" => $"Check(\"{resource}\", false, \"not ok\");",
            _ => "throw new System.InvalidOperationException(\"source down\");",
        };
        Cli.Rule(id.ToLowerInvariant() + ".csx", id, body,
            $"severity: high\ncontrols:\n  - {{ id: \"{control}\", relation: satisfies }}\n" + (freshness.Length > 0 ? $"freshness: {freshness}\n" : ""));
    }

    public string Key => Path.Combine(Cli.Root, "keys", "signing-key.pem");

    public async Task EnsureKeyAsync()
    {
        if (!File.Exists(Key))
            Assert.Equal(0, (await Cli.Run("keys", "generate", "--out", Path.Combine(Cli.Root, "keys"))).Exit);
    }

    public async Task<int> RunAsync(params string[] extra)
    {
        await EnsureKeyAsync();
        var (exit, _, err) = await Cli.RunRules(["--key", Key, .. extra]);
        // 3 is also a rule that errored on purpose; a ledger problem never is, here.
        Assert.True(exit is 0 or 1 or 3 && !err.Contains("could not be appended", StringComparison.Ordinal) && !err.Contains("was left out", StringComparison.Ordinal), $"run exited {exit}: {err}");
        Cli.Time.Advance(TimeSpan.FromHours(1));
        return exit;
    }

    public string Dump(string? path = null)
    {
        using var connection = LedgerSchema.Open(path ?? LedgerPath);
        using var store = new LedgerStore(connection);
        return store.Dump();
    }

    public List<string> Bundles() => [.. BundleReader.BundleNames(Out).Order(StringComparer.Ordinal)];

    public void Dispose() => Cli.Dispose();
}
