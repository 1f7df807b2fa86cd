using System.Diagnostics;
using EvidenceBot.Cli;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace EvidenceBot.IntegrationTests;

public sealed class JitProfileTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "eb-jit-" + Guid.NewGuid().ToString("N"));

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private static string OwnName => $"run-{Environment.ProcessId}.jitprofile";

    [Fact]
    public void Begin_OtherCommandOrTurnedOff_StartsNothing()
    {
        var recorder = Substitute.For<IJitRecorder>();

        Assert.Null(JitProfile.Begin(["rules", "list"], recorder, _root, _time));
        Assert.Null(JitProfile.Begin(["verify", "x"], recorder, _root, _time));
        Assert.Null(JitProfile.Begin(["run"], recorder, "off", _time));

        recorder.DidNotReceiveWithAnyArgs().Start(default!, default!);
        Assert.False(Directory.Exists(_root));
    }

    [Fact]
    public void Dispose_WarmRunReplacesTheSharedProfile_ColdRunLeavesIt()
    {
        var folder = JitProfile.FolderFor(_root)!;
        var shared = Path.Combine(folder, JitProfile.SharedName);
        var (recorder, seeded) = FakeRecorder(folder);
        recorder.Written = "first";

        // First run, warm: nothing to replay; what it recorded becomes the shared profile.
        using (var warm = JitProfile.Begin(["run", "--rules", "x"], recorder.Recorder, _root, _time))
        {
            Assert.NotNull(warm);
            Assert.False(warm.ReplayOnly);
            warm.MarkWarm();
        }

        Assert.Null(seeded());
        Assert.Equal("first", File.ReadAllText(shared));

        // A day later, a cold run (it compiled): it replays the shared profile and records, and throws the recording away.
        _time.Advance(JitProfile.RefreshAfter + TimeSpan.FromMinutes(1));
        recorder.Written = "with roslyn";
        using (var cold = JitProfile.Begin(["run"], recorder.Recorder, _root, _time))
            Assert.False(cold!.ReplayOnly);

        Assert.Equal("first", seeded());
        Assert.Equal("first", File.ReadAllText(shared));
        Assert.Equal([JitProfile.SharedName], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        recorder.Recorder.Received(2).Start(folder, OwnName);
        recorder.Recorder.Received(2).Stop();
    }

    [Fact]
    public void Begin_SharedProfileYoungerThanADay_ReplaysItAndWritesNothing()
    {
        var folder = JitProfile.FolderFor(_root)!;
        var shared = SharedProfile(folder, "recorded an hour ago", TimeSpan.FromHours(-1));
        var (recorder, seeded) = FakeRecorder(folder);
        recorder.Written = "this run";

        using (var warm = JitProfile.Begin(["run"], recorder.Recorder, _root, _time))
        {
            Assert.True(warm!.ReplayOnly);
            Assert.True(Directory.Exists(Path.Combine(folder, OwnName)), "a folder stands where the runtime would write");
            warm.MarkWarm();
        }

        Assert.Equal("recorded an hour ago", seeded()); // the runtime was given the shared profile to replay
        Assert.Equal(1, recorder.FailedWrites);
        Assert.Equal("recorded an hour ago", File.ReadAllText(shared));
        Assert.Equal([JitProfile.SharedName], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(-24 * 60 - 1)] // a day and a minute old
    [InlineData(60)] // dated an hour ahead, by a clock that ran fast
    public void Begin_SharedProfileOutsideTheDay_WarmRunRecordsANewOne(int minutesAhead)
    {
        var folder = JitProfile.FolderFor(_root)!;
        var shared = SharedProfile(folder, "old", TimeSpan.FromMinutes(minutesAhead));
        var (recorder, _) = FakeRecorder(folder);
        recorder.Written = "new";

        using (var warm = JitProfile.Begin(["run"], recorder.Recorder, _root, _time))
        {
            Assert.False(warm!.ReplayOnly);
            warm.MarkWarm();
        }

        Assert.Equal("new", File.ReadAllText(shared));
        Assert.Equal(0, recorder.FailedWrites);
    }

    [Fact]
    public void Begin_LeftoversOfAKilledRunWithTheSameProcessId_AreCleared()
    {
        var folder = JitProfile.FolderFor(_root)!;
        Directory.CreateDirectory(Path.Combine(folder, OwnName));
        SharedProfile(folder, "recorded a minute ago", TimeSpan.FromMinutes(-1));
        var (recorder, seeded) = FakeRecorder(folder);

        using (var warm = JitProfile.Begin(["run"], recorder.Recorder, _root, _time))
            Assert.True(warm!.ReplayOnly);

        Assert.Equal("recorded a minute ago", seeded());
        Assert.Equal([JitProfile.SharedName], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Begin_FolderCannotBeCreated_RunsWithoutAProfile()
    {
        Directory.CreateDirectory(_root);
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "not a folder");
        var recorder = Substitute.For<IJitRecorder>();

        var profile = JitProfile.Begin(["run"], recorder, file, _time);

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

        using (var cold = JitProfile.Begin(args, recorder, _root, _time))
            Assert.Equal(0, await CliApp.RunAsync(args, TextWriter.Null, TextWriter.Null, cli.Time, default, cold));
        Assert.False(File.Exists(Path.Combine(folder, JitProfile.SharedName)));

        using (var warm = JitProfile.Begin(args, recorder, _root, _time))
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
        Assert.Single(Directory.GetFileSystemEntries(folder)); // the per-process recording was renamed, not left behind
        var bytes = File.ReadAllBytes(shared.FullName);
        var written = shared.LastWriteTimeUtc;

        // The next warm run replays that profile and writes none: the file is the same, and nothing is left behind.
        Assert.Equal(0, await RunProcess(cli));
        shared.Refresh();
        Assert.Equal(written, shared.LastWriteTimeUtc);
        Assert.Equal(bytes, File.ReadAllBytes(shared.FullName));
        Assert.Equal([JitProfile.SharedName], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
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
        File.SetLastWriteTimeUtc(shared, DateTime.UtcNow - JitProfile.RefreshAfter - TimeSpan.FromMinutes(1)); // old enough to be recorded over

        Assert.Equal(0, await RunProcess(cli)); // cold: replays the damaged file, keeps it
        Assert.Equal("not a profile at all", File.ReadAllText(shared));
        Assert.Equal(0, await RunProcess(cli)); // warm: replaces it with what it recorded

        Assert.NotEqual("not a profile at all", File.ReadAllText(shared));
        Assert.True(new FileInfo(shared).Length > 1000);
    }

    /// <summary>Writes the shared profile with <paramref name="content"/>, dated <paramref name="ahead"/> of the fake clock (negative: in the past).</summary>
    private string SharedProfile(string folder, string content, TimeSpan ahead)
    {
        Directory.CreateDirectory(folder);
        var shared = Path.Combine(folder, JitProfile.SharedName);
        File.WriteAllText(shared, content);
        File.SetLastWriteTimeUtc(shared, (_time.GetUtcNow() + ahead).UtcDateTime);
        return shared;
    }

    /// <summary>A recorder that, like the runtime, writes its recording into its own file on Stop and ignores a write that fails.</summary>
    private static (FakeJit Fake, Func<string?> Seeded) FakeRecorder(string folder)
    {
        var fake = new FakeJit(Substitute.For<IJitRecorder>());
        string? seeded = null;
        var own = Path.Combine(folder, OwnName);
        fake.Recorder.When(r => r.Start(folder, OwnName)).Do(_ => seeded = File.Exists(own) ? File.ReadAllText(own) : null);
        fake.Recorder.When(r => r.Stop()).Do(_ =>
        {
            try
            {
                File.WriteAllText(own, fake.Written);
            }
            catch (UnauthorizedAccessException)
            {
                fake.FailedWrites++;
            }
            catch (IOException)
            {
                fake.FailedWrites++;
            }
        });
        return (fake, () => seeded);
    }

    private sealed class FakeJit(IJitRecorder recorder)
    {
        public IJitRecorder Recorder { get; } = recorder;

        public string Written { get; set; } = "";

        public int FailedWrites { get; set; }
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
