namespace EvidenceBot.IntegrationTests;

public class VerifyChainMembershipTests
{
    [Fact]
    public async Task Verify_BundleSignedButNeverRenamed_SaysItIsNotInTheChain()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"fine\");");
        var keys = Path.Combine(cli.Root, "keys");
        Assert.Equal(0, (await cli.Run("keys", "generate", "--out", keys)).Exit);
        var run = await cli.RunRules("--key", Path.Combine(keys, "signing-key.pem"));
        Assert.Equal(0, run.Exit);
        var bundle = Assert.Single(Directory.GetDirectories(cli.Out, "2*"));
        var publicKey = Path.Combine(keys, "public-key.pem");

        var committed = await cli.Run("verify", bundle, "--key", publicKey, "--json");
        Assert.Equal(0, committed.Exit);
        Assert.Contains("the chain head", committed.Out, StringComparison.Ordinal);

        // What a run killed between writing the chain head and the final rename leaves: the signed bundle under its temp name.
        var partial = Path.Combine(cli.Out, ".partial-" + Path.GetFileName(bundle));
        Directory.Move(bundle, partial);

        var (exit, stdout, _) = await cli.Run("verify", partial, "--key", publicKey);

        Assert.Equal(4, exit);
        Assert.Contains("FAIL chain.membership .: not in the chain: this bundle was signed, but its run was killed before the final rename", stdout, StringComparison.Ordinal);
        Assert.Contains("the next run links to no previous run instead", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OlderBundleLinkedFromTheNext_SaysItIsInTheChain()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"a\", \"fine\");");
        var keys = Path.Combine(cli.Root, "keys");
        Assert.Equal(0, (await cli.Run("keys", "generate", "--out", keys)).Exit);
        Assert.Equal(0, (await cli.RunRules("--key", Path.Combine(keys, "signing-key.pem"))).Exit);
        cli.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, (await cli.RunRules("--key", Path.Combine(keys, "signing-key.pem"))).Exit);
        var bundles = Directory.GetDirectories(cli.Out, "2*").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, bundles.Length);

        var (exit, stdout, _) = await cli.Run("verify", bundles[0], "--key", Path.Combine(keys, "public-key.pem"), "--json");

        Assert.Equal(0, exit);
        Assert.Contains($"{Path.GetFileName(bundles[1])} links to this bundle", stdout, StringComparison.Ordinal);
    }
}
