using System.Diagnostics;
using System.Text;

namespace EvidenceBot.IntegrationTests;

/// <summary>The real <c>evidencebot</c> process with its output redirected, as in CI, cron or a service.</summary>
public class ProcessOutputTests
{
    [Fact]
    public async Task Redirected_OutputIsUtf8WithoutBom_AndProgressComesWholeAndInOrder()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");", "controls:\n  - { id: \"ISO27001:2022/A.8.16\", relation: supports }\n");
        cli.Write(Path.Combine("rules", "b.csx"), "/* ---\nid: B-1\ntitle: Überwachung der Protokolle — ok\n--- */\nFail(\"res-b\", \"off\");\n");

        var (listExit, list, _) = await Evidencebot("rules", "list", "--rules", cli.Rules);
        var (runExit, runOut, runErr) = await Evidencebot("run", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--out", cli.Out, "--parallel", "1");

        Assert.Equal(0, listExit);
        Assert.False(list.AsSpan().StartsWith(Encoding.UTF8.Preamble), "no byte-order mark before the output");
        Assert.Contains("Überwachung der Protokolle — ok", Encoding.UTF8.GetString(list));
        Assert.Equal(1, runExit);
        var progress = Encoding.UTF8.GetString(runErr).Split('\n').Where(l => l.StartsWith('[')).ToList();
        Assert.Equal(2, progress.Count);
        Assert.Matches(@"^\[1/2\] [AB]-1 \(default\): (pass|fail) in \d+ ms$", progress[0]);
        Assert.Matches(@"^\[2/2\] [AB]-1 \(default\): (pass|fail) in \d+ ms$", progress[1]);
        Assert.Contains("2 rule execution(s): 1 pass, 1 fail", Encoding.UTF8.GetString(runOut));
    }

    private static async Task<(int Exit, byte[] Out, byte[] Err)> Evidencebot(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "evidencebot.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["EVIDENCEBOT_JIT_PROFILE"] = "off";
        using var process = Process.Start(psi)!;
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        await Task.WhenAll(process.StandardOutput.BaseStream.CopyToAsync(stdout), process.StandardError.BaseStream.CopyToAsync(stderr));
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout.ToArray(), stderr.ToArray());
    }
}
