using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using Spectre.Console;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// <c>run</c> on a terminal: a live Spectre progress bar with the verdicts so far, redrawn
/// in place. A redirected run gets <see cref="ProgressObserver"/>'s plain lines instead (see <see cref="For"/>).
/// </summary>
internal sealed class LiveProgress : IRunObserver, IDisposable
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(100);
    private readonly int _total;
    private readonly Task _display;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Dictionary<Verdict, int> _counts = [];
    private int _done;

    public LiveProgress(IAnsiConsole console, int total)
    {
        _total = total;
        _display = console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            // Short enough for an 80-column terminal: a longer description is cut to "…" by the column layout.
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Describe(), maxValue: Math.Max(1, total));
                while (true)
                {
                    var ended = await Task.WhenAny(_finished.Task, Task.Delay(Refresh)).ConfigureAwait(false) == _finished.Task;
                    lock (_gate)
                    {
                        task.Value = _done;
                        task.Description = Describe();
                    }

                    ctx.Refresh();
                    if (ended)
                        return;
                }
            });
    }

    /// <summary>The live display on a terminal, plain batched lines otherwise.</summary>
    public static IRunObserver For(CliContext cli, int executions) =>
        cli.Interactive ? new LiveProgress(cli.Console, executions) : new ProgressObserver(cli, executions);

    public void Completed(RuleExecutionResult result)
    {
        lock (_gate)
        {
            _done++;
            _counts[result.Verdict] = _counts.GetValueOrDefault(result.Verdict) + 1;
        }
    }

    /// <summary>Draws the final state and stops redrawing.</summary>
    public void Dispose()
    {
        _finished.TrySetResult();
        try
        {
            _display.GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            // A terminal that went away must not stop results and evidence being written.
        }
    }

    private string Describe() =>
        $"{_done}/{_total}: [green]{_counts.GetValueOrDefault(Verdict.Pass)} pass[/] [red]{_counts.GetValueOrDefault(Verdict.Fail)} fail[/] [yellow]{_counts.GetValueOrDefault(Verdict.Error)} error[/]"
        + (_counts.GetValueOrDefault(Verdict.Waived) is > 0 and var waived ? $" [purple]{waived} waived[/]" : "");
}
