using System.CommandLine;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Runs;
using EvidenceBot.Runs.Isolation;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// The hidden <c>evidencebot __worker</c>: the process <c>run --isolate process</c> starts to run rules in. It speaks the
/// worker protocol on stdin and stdout; a person never runs it.
/// </summary>
internal static class WorkerCommand
{
    public static Command Build(CliContext cli)
    {
        var command = new Command(WorkerProtocol.Command, "Run rules for 'run --isolate process' (internal).") { Hidden = true };
        command.SetAction(async (_, ct) =>
        {
            // stdout carries the protocol: anything else that writes to the console goes to stderr instead.
            var output = Console.OpenStandardOutput();
            Console.SetOut(Console.Error);
            return await RuleWorker.RunAsync(Console.OpenStandardInput(), output, SourceModules.All, cli.Time, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// How to start a worker: the <c>evidencebot</c> apphost beside this assembly, else <c>dotnet evidencebot.dll</c>
    /// (a tool install, or the CLI hosted in a test process).
    /// </summary>
    public static IsolationOptions Launch(long memoryLimitBytes)
    {
        var dll = typeof(Program).Assembly.Location;
        var folder = Path.GetDirectoryName(dll)!;
        var apphost = Path.Combine(folder, OperatingSystem.IsWindows() ? "evidencebot.exe" : "evidencebot");
        if (File.Exists(apphost))
            return new IsolationOptions { WorkerFileName = apphost, WorkerArguments = [WorkerProtocol.Command], MemoryLimitBytes = memoryLimitBytes };
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return new IsolationOptions { WorkerFileName = host, WorkerArguments = [dll, WorkerProtocol.Command], MemoryLimitBytes = memoryLimitBytes };
    }

    /// <summary><c>--isolate</c> over the configuration's <c>isolate</c>; null runs rules in this process.</summary>
    public static IsolationOptions? Options(string? option, EvidenceBotConfig cfg)
    {
        var mode = option ?? cfg.Isolate?.Mode ?? "none";
        return mode switch
        {
            "none" => null,
            "process" => Launch(cfg.Isolate?.MemoryLimitMiB is { } mib ? mib * 1024L * 1024 : IsolationOptions.DefaultMemoryLimitBytes),
            _ => throw new ConfigException($"--isolate / isolate.mode: '{mode}' is not a mode; use 'process' (a worker process the run can kill) or 'none' (this process)"),
        };
    }
}
