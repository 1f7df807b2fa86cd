using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace EvidenceBot.Service.Tests;

/// <summary>One log line of <c>serve</c> (its stdout is redirected, so JSON lines).</summary>
internal sealed record LogLine(DateTimeOffset At, int EventId, string Level, string Message, JsonElement State);

/// <summary>The real <c>evidencebot serve</c> as a child process, its JSON log lines collected as they come.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private readonly ConcurrentQueue<string> _other = new();

    private ServeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Take(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                _other.Enqueue(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static ServeProcess Start(string config, string cache, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[name] = value;
        foreach (var a in new[] { CliPath, "serve", "--config", config, "--cache-dir", cache })
            psi.ArgumentList.Add(a);
        return new ServeProcess(Process.Start(psi)!);
    }

    /// <summary>
    /// The command as its own project built it: this folder also holds the ASP.NET Core-based WireMock, for which the
    /// build leaves out the hosting packages the command needs from its own folder.
    /// </summary>
    private static string CliPath
    {
        get
        {
            var build = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = build.Parent!.Name;
            for (var dir = build; dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                    return Path.Combine(dir.FullName, "src", "EvidenceBot.Cli", "bin", configuration, build.Name, "evidencebot.dll");
            }

            throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>Everything the process wrote, for assertion messages.</summary>
    public string Transcript => string.Join('\n', _lines.Select(l => $"{l.At:HH:mm:ss.fff} {l.EventId} {l.Message}").Concat(_other));

    public int Port => Lines.First(l => l.EventId == 30).State.GetProperty("Port").GetInt32();

    public async Task<LogLine> WaitForAsync(Func<LogLine, bool> match, TimeSpan timeout, int count = 1)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var found = Lines.Where(match).ToList();
            if (found.Count >= count)
                return found[count - 1];
            if (_process.HasExited && Lines.Where(match).Count() < count)
                break;
            await Task.Delay(100);
        }

        throw new TimeoutException($"no such log line after {timeout.TotalSeconds} s (exited: {_process.HasExited}):\n{Transcript}");
    }

    /// <summary>Sends SIGTERM, as systemd and Kubernetes do, and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    private void Take(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
            return;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            _lines.Enqueue(new LogLine(root.GetProperty("Timestamp").GetDateTimeOffset(), root.GetProperty("EventId").GetInt32(),
                root.GetProperty("LogLevel").GetString()!, root.GetProperty("Message").GetString()!, root.GetProperty("State").Clone()));
        }
        catch (JsonException)
        {
            _other.Enqueue(line);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
