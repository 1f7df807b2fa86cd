using System.CommandLine;
using EvidenceBot.Cli.Commands;
using EvidenceBot.Core.Engine;
using Spectre.Console;

namespace EvidenceBot.Cli;

/// <summary>Everything a command needs from the outside world, so tests can run the CLI in-process.</summary>
internal sealed class CliContext
{
    private IAnsiConsole? _console;

    public CliContext(TextWriter stdout, TextWriter stderr, TimeProvider time, bool interactive)
    {
        Out = stdout;
        Err = stderr;
        Time = time;
        Interactive = interactive;
    }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    public TimeProvider Time { get; }

    public bool Interactive { get; }

    /// <summary>The process's multi-core JIT profile, when the real entry point started one; a warm <c>run</c> marks it.</summary>
    public JitProfile? Jit { get; init; }

    /// <summary>Spectre's console, created on first use: only a terminal draws with Spectre, and a redirected run does not load it.</summary>
    public IAnsiConsole Console => _console ??= CreateConsole(Out, Interactive);

    private static IAnsiConsole CreateConsole(TextWriter stdout, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
            console.Profile.Width = 160;
        return console;
    }

    /// <summary>Writes an error line to stderr.</summary>
    public void Error(string message) => Err.WriteLine("error: " + message);
}

/// <summary>Builds and runs the <c>evidencebot</c> command tree.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TimeProvider time, CancellationToken cancellationToken = default, JitProfile? jit = null)
    {
        var interactive = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var context = new CliContext(stdout, stderr, time, interactive) { Jit = jit };
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                context.Error(e.Message);
            stderr.WriteLine("Run 'evidencebot --help' for usage.");
            return ExitCodes.UsageOrConfig;
        }

        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr };
        // serve handles SIGTERM itself (a grace period for running rules); System.CommandLine's would end it after 2 s.
        if (parse.CommandResult.Command.Name == "serve")
            invocation.ProcessTerminationTimeout = null;
        var exit = await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        return exit;
    }

    /// <summary>The whole command tree; tests parse the examples' command lines against it.</summary>
    internal static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("EvidenceBot: compliance rules as code, with signed evidence an auditor verifies offline.");
        root.Subcommands.Add(RulesCommands.Build(context));
        root.Subcommands.Add(RunCommand.Build(context));
        root.Subcommands.Add(ControlsCommands.Build(context));
        root.Subcommands.Add(KeysCommands.Build(context));
        root.Subcommands.Add(WaiversCommands.Build(context));
        root.Subcommands.Add(VerifyCommand.Build(context));
        root.Subcommands.Add(RuleTestCommands.Record(context));
        root.Subcommands.Add(ReportCommand.Build(context));
        root.Subcommands.Add(BundleCommands.Build(context));
        root.Subcommands.Add(ConfigCommands.Build(context));
        root.Subcommands.Add(ConfigCommands.Sources(context));
        root.Subcommands.Add(DemoCommand.Build(context));
        VersionAction.Install(root, context);
        root.Subcommands.Add(LedgerCommands.Build(context));
        root.Subcommands.Add(HistoryCommand.Build(context));
        root.Subcommands.Add(DiffCommand.Build(context));
        root.Subcommands.Add(StatusCommand.Build(context));
        root.Subcommands.Add(ServeCommand.Build(context));
        root.Subcommands.Add(WorkerCommand.Build(context));
        return root;
    }
}
