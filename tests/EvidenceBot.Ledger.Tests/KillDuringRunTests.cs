using System.Diagnostics;
using Xunit.Abstractions;

namespace EvidenceBot.Ledger.Tests;

/// <summary>
/// A real <c>evidencebot run</c> process killed with SIGKILL while it writes its bundle and while it writes the ledger;
/// then a restart. Nothing may be lost or half-written: <c>ledger verify</c> passes and the rebuilt ledger equals the
/// incremental one.
/// </summary>
public sealed class KillDuringRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KillDuringBundleAndLedgerWrites_ThenRestart_VerifyPassesAndRebuildEqualsIncremental()
    {
        using var t = new LedgerTestFolder();
        for (var i = 0; i < 6; i++)
            t.Rule($"R-{i}", i % 3 == 0 ? "fail" : "pass", resource: $"org/repo-{i}");
        // Bundles the ledger does not hold yet: the next run catches them all up in one transaction, a write long
        // enough to be killed in the middle of.
        var off = t.Cli.Write("off.json", """{ "ledger": { "enabled": false } }""");
        for (var i = 0; i < 15; i++)
            await t.RunAsync("--config", off);

        // 1. Killed while the bundle is being built (its .partial- folder exists).
        var killedInBundle = await RunAndKillWhenAsync(t, () => Directory.EnumerateDirectories(t.Out, ".partial-*").Any());
        // 2. Killed while the ledger is being written (its write-ahead log grows; it stays between runs).
        var walBefore = WalLength(t);
        var killedInLedger = await RunAndKillWhenAsync(t, () => WalLength(t) > walBefore);
        Assert.True(killedInBundle || killedInLedger, "neither process was killed before it finished: the test proved nothing");
        output.WriteLine($"killed while writing the bundle: {killedInBundle}; killed while writing the ledger: {killedInLedger}; " +
            $"rows after the kills: {(File.Exists(t.LedgerPath) ? LedgerVerifier.Verify(t.LedgerPath, t.Out).Runs : 0)} of {t.Bundles().Count} bundles");

        // Whatever the kills left, the ledger only ever lacks whole runs: no row is damaged.
        if (File.Exists(t.LedgerPath))
        {
            var afterKill = LedgerVerifier.Verify(t.LedgerPath, t.Out);
            Assert.All(afterKill.Problems, p => Assert.Equal("bundle.unindexed", p.Kind));
        }

        // 3. The restart completes and catches up.
        var (exit, _, err) = await EvidencebotAsync(t, null, "run", "--rules", t.Cli.Rules, "--cache-dir", t.Cli.Cache, "--out", t.Out, "--key", t.Key);
        Assert.True(exit == 1, $"restart exited {exit}: {err}");
        var (verifyExit, verifyOut, _) = await EvidencebotAsync(t, null, "ledger", "verify", "--out", t.Out);
        Assert.True(verifyExit == 0, verifyOut);

        var rebuilt = Path.Combine(t.Cli.Root, "rebuilt.db");
        Assert.Empty(RunLedger.Rebuild(rebuilt, t.Out).Problems);
        Assert.Equal(t.Dump(), t.Dump(rebuilt));
        Assert.Equal(t.Bundles().Count, LedgerVerifier.Verify(t.LedgerPath, t.Out).Runs);
    }

    private static long WalLength(LedgerTestFolder t)
    {
        var wal = new FileInfo(t.LedgerPath + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    /// <summary>Starts a run and kills it (SIGKILL) as soon as <paramref name="when"/> holds; true when it was killed before it ended.</summary>
    private static async Task<bool> RunAndKillWhenAsync(LedgerTestFolder t, Func<bool> when)
    {
        var (exit, _, _) = await EvidencebotAsync(t, when, "run", "--rules", t.Cli.Rules, "--cache-dir", t.Cli.Cache, "--out", t.Out, "--key", t.Key);
        return exit == 137 || exit == -1;
    }

    private static async Task<(int Exit, string Out, string Err)> EvidencebotAsync(LedgerTestFolder t, Func<bool>? killWhen, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = t.Cli.Root };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "evidencebot.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["EVIDENCEBOT_JIT_PROFILE"] = "off";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var killed = false;
        if (killWhen is not null)
        {
            while (!process.HasExited)
            {
                if (killWhen())
                {
                    try
                    {
                        process.Kill(entireProcessTree: true); // SIGKILL on Unix: no finally block, no flush.
                        killed = true;
                    }
                    catch (InvalidOperationException)
                    {
                        // It ended on its own first.
                    }

                    break;
                }

                await Task.Delay(1);
            }
        }

        await process.WaitForExitAsync();
        return (killed ? -1 : process.ExitCode, await stdout, await stderr);
    }
}
