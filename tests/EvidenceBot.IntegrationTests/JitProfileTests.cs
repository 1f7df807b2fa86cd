using System.Diagnostics;
using EvidenceBot.Cli;
using NSubstitute;

namespace EvidenceBot.IntegrationTests;

public sealed class JitProfileTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "eb-jit-" + Guid.NewGuid().ToString("N"));

    private static string OwnName => $"run-{Environment.ProcessId}.jitprofile";

    [Fact]
    public void Begin_OtherCommandOrTurnedOff_StartsNothing()
    {
        var recorder = Substitute.For<IJitRecorder>();

        Assert.Null(JitProfile.Begin(["rules", "list"], recorder, _root));
        Assert.Null(JitProfile.Begin(["verify", "x"], recorder, _root));
        Assert.Null(JitProfile.Begin(["run"], recorder, "off"));

        recorder.DidNotReceiveWithAnyArgs().Start(default!, default!);
        Assert.False(Directory.Exists(_root));
    }

    [Fact]
    public void Dispose_WarmRunReplacesTheSharedProfile_ColdRunLeavesIt()
    {
        var folder = JitProfile.FolderFor(_root)!;
        var recorder = Substitute.For<IJitRecorder>();
        string? seeded = null;
        var written = "first";
        recorder.When(r => r.Start(folder, OwnName)).Do(_ => seeded = File.Exists(Path.Combine(folder, OwnName)) ? File.ReadAllText(Path.Combine(folder, OwnName)) : null);
        recorder.When(r => r.Stop()).Do(_ => File.WriteAllText(Path.Combine(folder, OwnName), written));

        // First run, warm: nothing to replay; what it recorded becomes the shared profile.
        using (var warm = JitProfile.Begin(["run", "--rules", "x"], recorder, _root))
        {
            Assert.NotNull(warm);
            warm.MarkWarm();
        }

        Assert.Null(seeded);
        Assert.Equal("first", File.ReadAllText(Path.Combine(folder, JitProfile.SharedName)));

        // Second run, cold (it compiled): it replays the shared profile, and what it recorded is thrown away.
        written = "with roslyn";
        using (JitProfile.Begin(["run"], recorder, _root))
        {
        }

        Assert.Equal("first", seeded);
        Assert.Equal("first", File.ReadAllText(Path.Combine(folder, JitProfile.SharedName)));
        Assert.Equal([JitProfile.SharedName], Directory.GetFiles(folder).Select(Path.GetFileName));
        recorder.Received(2).Start(folder, OwnName);
        recorder.Received(2).Stop();
    }

    [Fact]
    public void Begin_FolderCannotBeCreated_RunsWithoutAProfile()
    {
        Directory.CreateDirectory(_root);
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "not a folder");
        var recorder = Substitute.For<IJitRecorder>();

        var profile = JitProfile.Begin(["run"], recorder, file);

        Assert.Null(profile);
        recorder.DidNotReceiveWithAnyArgs().Start(default!, default!);
    }

    [Fact]
    public async Task RunCommand_MarksTheProfileWarmOnlyWhenNoRuleWasCompiled()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");");
        var folder = JitProfile.FolderFor(_root)!;
        var recorder = Substitute.For<IJitRecorder>();
        recorder.When(r => r.Stop()).Do(_ => File.WriteAllText(Path.Combine(folder, OwnName), "recorded"));
        string[] args = ["run", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--out", cli.Out];

        using (var cold = JitProfile.Begin(args, recorder, _root))
            Assert.Equal(0, await CliApp.RunAsync(args, TextWriter.Null, TextWriter.Null, cli.Time, default, cold));
        Assert.False(File.Exists(Path.Combine(folder, JitProfile.SharedName)));

        using (var warm = JitProfile.Begin(args, recorder, _root))
            Assert.Equal(0, await CliApp.RunAsync(args, TextWriter.Null, TextWriter.Null, cli.Time, default, warm));
        Assert.Equal("recorded", File.ReadAllText(Path.Combine(folder, JitProfile.SharedName)));
    }

    [Fact]
    public async Task Process_ColdRunKeepsNoProfile_WarmRunLeavesOneForTheNext()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");");
        var folder = JitProfile.FolderFor(_root)!;

        Assert.Equal(0, await RunProcess(cli));
        Assert.Empty(Directory.GetFiles(folder));

        Assert.Equal(0, await RunProcess(cli));
        var shared = new FileInfo(Path.Combine(folder, JitProfile.SharedName));
        Assert.True(shared.Exists && shared.Length > 1000, "the runtime wrote a profile of the warm run");
        Assert.Single(Directory.GetFiles(folder)); // the per-process recording was renamed, not left behind
    }

    [Fact]
    public async Task Process_DamagedProfile_RunStillSucceedsAndTheWarmRunReplacesIt()
    {
        using var cli = new CliRunner();
        cli.Rule("a.csx", "A-1", "Pass(\"res-a\", \"fine\");");
        var folder = JitProfile.FolderFor(_root)!;
        Directory.CreateDirectory(folder);
        var shared = Path.Combine(folder, JitProfile.SharedName);
        File.WriteAllText(shared, "not a profile at all");

        Assert.Equal(0, await RunProcess(cli)); // cold: replays the damaged file, keeps it
        Assert.Equal("not a profile at all", File.ReadAllText(shared));
        Assert.Equal(0, await RunProcess(cli)); // warm: replaces it with what it recorded

        Assert.NotEqual("not a profile at all", File.ReadAllText(shared));
        Assert.True(new FileInfo(shared).Length > 1000);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private async Task<int> RunProcess(CliRunner cli)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "evidencebot.dll"), "run", "--rules", cli.Rules, "--cache-dir", cli.Cache, "--out", cli.Out })
            psi.ArgumentList.Add(a);
        psi.Environment["EVIDENCEBOT_JIT_PROFILE"] = _root;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"evidencebot exited {process.ExitCode}: {await stderr}{await stdout}");
        return process.ExitCode;
    }
}
