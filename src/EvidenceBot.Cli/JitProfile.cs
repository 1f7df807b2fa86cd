using System.Runtime;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli;

/// <summary>The process-wide calls of <see cref="ProfileOptimization"/>, behind an interface so the policy around them can be tested.</summary>
internal interface IJitRecorder
{
    /// <summary>Replays <paramref name="profileName"/> in <paramref name="folder"/> (if it exists) on a spare core and records this process into it.</summary>
    void Start(string folder, string profileName);

    /// <summary>Stops recording and writes the profile.</summary>
    void Stop();
}

/// <summary>The runtime's multi-core JIT.</summary>
internal sealed class RuntimeJitRecorder : IJitRecorder
{
    public void Start(string folder, string profileName)
    {
        ProfileOptimization.SetProfileRoot(folder);
        ProfileOptimization.StartProfile(profileName);
    }

    public void Stop() => ProfileOptimization.StartProfile(null);
}

/// <summary>
/// Multi-core JIT for <c>evidencebot run</c>. Most of a warm run's time is the JIT compiling the engine's own code, on one
/// core while the other waits. The runtime can record which methods a run compiled and, in the next process, compile them
/// on the spare core before they are called (<see cref="ProfileOptimization"/>). The profile describes the engine, not a
/// rule set, so there is one per engine build, under the user's cache folder.
/// <para>
/// Only a run that compiled no rule replaces the profile. A run that compiles also JIT-compiles Roslyn, and replaying that
/// would spend the spare core on a compiler that a warm run never calls. So each run records into a profile of its own,
/// seeded with the shared one, and keeps it only when it turns out warm (<see cref="MarkWarm"/>, called by <c>run</c>).
/// </para>
/// <para>
/// Writing a profile costs a warm run ~6 ms at its end (the runtime writes it a few bytes at a time), so a run that finds
/// a shared profile younger than <see cref="RefreshAfter"/> only replays it. The runtime reads the whole profile when
/// recording starts and writes it back when recording stops, so such a run moves a folder into the place of its own
/// copy once the copy has been read: the write at the end then fails at once, and nothing is written.
/// </para>
/// <para>
/// The profile is only a speed-up: any file-system failure leaves the run as it would be without one, and
/// <c>EVIDENCEBOT_JIT_PROFILE=off</c> turns it off (a folder path moves it).
/// </para>
/// </summary>
internal sealed class JitProfile : IDisposable
{
    internal const string SharedName = "run.jitprofile";

    /// <summary>How old the shared profile may be before a warm run records a new one (the rules, sources and config a run uses change slowly).</summary>
    internal static readonly TimeSpan RefreshAfter = TimeSpan.FromDays(1);

    private readonly IJitRecorder _recorder;
    private readonly string _shared;
    private readonly string _own;
    private bool _warm;

    private JitProfile(IJitRecorder recorder, string shared, string own, bool replayOnly)
    {
        _recorder = recorder;
        _shared = shared;
        _own = own;
        ReplayOnly = replayOnly;
    }

    /// <summary>True when this run only replays the shared profile and records nothing.</summary>
    internal bool ReplayOnly { get; }

    /// <summary>The folder a build's profile lives in: <paramref name="setting"/> (the environment variable), or the user's cache; null when off.</summary>
    internal static string? FolderFor(string? setting)
    {
        if (setting is "off" or "0" or "false")
            return null;
        var root = string.IsNullOrEmpty(setting) ? Path.Combine(RuleCache.UserCacheRoot(), "jit") : setting;
        // One profile per build of the CLI: a profile names methods by metadata token, which a rebuild can move.
        return Path.Combine(root, typeof(JitProfile).Assembly.ManifestModule.ModuleVersionId.ToString("N"));
    }

    /// <summary>Starts replaying and recording when the command is <c>run</c>; null otherwise, or when the folder cannot be used.</summary>
    public static JitProfile? Begin(string[] args, IJitRecorder recorder, string? setting, TimeProvider time)
    {
        if (args is not ["run", ..] || FolderFor(setting) is not { } folder)
            return null;
        var own = $"run-{Environment.ProcessId}.jitprofile";
        var ownPath = Path.Combine(folder, own);
        try
        {
            Directory.CreateDirectory(folder);
            // A run that was killed leaves its own file (or folder) behind; a later process may get the same id.
            if (Directory.Exists(ownPath))
                Directory.Delete(ownPath, recursive: true);
            var shared = new FileInfo(Path.Combine(folder, SharedName));
            var age = time.GetUtcNow() - shared.LastWriteTimeUtc;
            var replayOnly = shared.Exists && age >= TimeSpan.Zero && age < RefreshAfter;
            if (shared.Exists)
                shared.CopyTo(ownPath, overwrite: true);
            recorder.Start(folder, own);
            return new JitProfile(recorder, shared.FullName, ownPath, replayOnly && StopWriting(ownPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The runtime has read the profile by now; a folder in its place makes the runtime's write at the end fail at once.
    // If the swap fails, the run records as usual, so that Dispose still stops it and cleans up.
    private static bool StopWriting(string ownPath)
    {
        try
        {
            File.Delete(ownPath);
            Directory.CreateDirectory(ownPath);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Says that this process's run compiled no rule, so its profile may replace the shared one.</summary>
    public void MarkWarm() => _warm = true;

    /// <summary>Stops recording; keeps the profile when the run recorded one and was warm, else deletes it.</summary>
    public void Dispose()
    {
        try
        {
            _recorder.Stop();
            if (ReplayOnly)
                Directory.Delete(_own);
            else if (_warm && File.Exists(_own))
                File.Move(_own, _shared, overwrite: true);
            else
                File.Delete(_own);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a speed-up: the next run records again.
        }
    }
}
