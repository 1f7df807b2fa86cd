namespace EvidenceBot.Cli;

/// <summary>Entry point of the <c>evidencebot</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line.</summary>
    public static async Task<int> Main(string[] args)
    {
        using var jit = JitProfile.Begin(args, new RuntimeJitRecorder(), Environment.GetEnvironmentVariable("EVIDENCEBOT_JIT_PROFILE"), TimeProvider.System);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        return await CliApp.RunAsync(args, Console.Out, Console.Error, TimeProvider.System, cts.Token, jit).ConfigureAwait(false);
    }
}
