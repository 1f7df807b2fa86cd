using EvidenceBot.Cli;

namespace EvidenceBot.Service.Tests;

public sealed class ServeCommandTests
{
    private static async Task<(int Exit, string Err)> Serve(string configJson)
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.Combine("rules"));
        var config = dir.Combine("evidencebot.json");
        File.WriteAllText(config, configJson);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(["serve", "--config", config, "--cache-dir", dir.Combine("cache")], stdout, stderr, TimeProvider.System);
        return (exit, stderr.ToString());
    }

    [Fact]
    public async Task Serve_UnknownServeSetting_ExitsTwoNamingTheJsonPath()
    {
        var (exit, err) = await Serve("""{ "rules": "rules", "out": "out", "serve": { "shedule": "0 * * * *" } }""");

        Assert.Equal(2, exit);
        Assert.Contains("$.serve.shedule", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_BadTimeZone_ExitsTwoBeforeAnythingStarts()
    {
        var (exit, err) = await Serve("""{ "rules": "rules", "out": "out", "serve": { "timeZone": "Atlantis/Capital" } }""");

        Assert.Equal(2, exit);
        Assert.Contains("$.serve.timeZone: unknown time zone 'Atlantis/Capital'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OutputFolderHeldByAnotherServe_ExitsTwoBeforeAnythingRuns()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.Combine("rules"));
        Directory.CreateDirectory(dir.Combine("out"));
        var config = dir.Combine("evidencebot.json");
        File.WriteAllText(config, """{ "rules": "rules", "out": "out", "serve": { "port": 0 } }""");
        // What a running 'serve' holds: the lock file, opened exclusively.
        using (var held = new FileStream(dir.Combine("out", ServeHost.LockFile), FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            held.Write("4242\n"u8);
            held.Flush();
            File.WriteAllText(dir.Combine("out", ServeHost.LockFile + ".pid"), "4242\n");
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();

            var exit = await CliApp.RunAsync(["serve", "--config", config, "--cache-dir", dir.Combine("cache")], stdout, stderr, TimeProvider.System);

            Assert.Equal(2, exit);
            Assert.Contains("another 'evidencebot serve' already runs on this output folder (it holds .serve.lock, process 4242); stop it, or give this one another --out", stderr.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("used by another process", stderr.ToString(), StringComparison.Ordinal);
            Assert.False(File.Exists(dir.Combine("out", "schedule-state.json")));
        }
    }

    [Fact]
    public async Task Serve_RulesFolderMissing_ExitsTwoNamingIt()
    {
        var (exit, err) = await Serve("""{ "rules": "no-such-rules", "out": "out" }""");

        Assert.Equal(2, exit);
        Assert.Contains("no-such-rules: the rules folder does not exist", err, StringComparison.Ordinal);
    }
}
