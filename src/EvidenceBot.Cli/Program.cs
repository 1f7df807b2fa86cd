using System.Text;

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
        var stdout = Console.IsOutputRedirected ? Redirected(Console.OpenStandardOutput) ?? Console.Out : Console.Out;
        var stderr = Console.IsErrorRedirected ? Redirected(Console.OpenStandardError) ?? Console.Error : Console.Error;
        return await CliApp.RunAsync(args, stdout, stderr, TimeProvider.System, cts.Token, jit).ConfigureAwait(false);
    }

    // Output to a pipe or a file (a CI log, the journal) goes out one write per Write call, as the console writer does,
    // but not cut into the console writer's 256-byte pieces: each piece is a system call, and a wake-up of the reader.
    // It keeps the console's encoding (UTF-8 on Linux and macOS, the code page on Windows), never with a byte-order mark.
    // Null for a UTF-16 or UTF-32 console, whose own writer knows not to mark a stream it did not start.
    private static TextWriter? Redirected(Func<Stream> open)
    {
        var encoding = Console.OutputEncoding.CodePage == Encoding.UTF8.CodePage ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : Console.OutputEncoding;
        if (encoding.GetPreamble().Length > 0)
            return null;
        return TextWriter.Synchronized(new StreamWriter(open(), encoding, bufferSize: 16 * 1024) { AutoFlush = true });
    }
}
