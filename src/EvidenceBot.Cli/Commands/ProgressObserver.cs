using System.Text;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// A line on stderr per finished execution. The lines are written in batches, at most <see cref="Delay"/> apart, and
/// the rest when the run ends: a run of many quick rules would otherwise make a write, and wake whoever reads the log
/// (a CI runner, the journal), once per rule.
/// </summary>
internal sealed class ProgressObserver : IRunObserver, IDisposable
{
    internal static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(200);
    private readonly CliContext _cli;
    private readonly int _total;
    private readonly StringBuilder _pending = new();
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private int _done;
    private bool _due;

    public ProgressObserver(CliContext cli, int total)
    {
        _cli = cli;
        _total = total;
        _timer = cli.Time.CreateTimer(_ => Flush(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Completed(RuleExecutionResult result)
    {
        lock (_gate)
        {
            _pending.Append($"[{++_done}/{_total}] {result.RuleId} ({result.Target}): {WireNames.Of(result.Verdict)} in {result.DurationMs} ms")
                .Append(_cli.Err.NewLine);
            if (!_due)
            {
                _due = true;
                _timer.Change(Delay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Writes the lines that wait.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        Flush();
    }

    // Progress is only advice: a stderr that cannot be written (a full disk, a closed log) must not stop the run before
    // its results and evidence are written, nor end the process from the timer's thread.
    private void Flush()
    {
        lock (_gate)
        {
            _due = false;
            if (_pending.Length == 0)
                return;
            try
            {
                _cli.Err.Write(_pending.ToString());
            }
            catch (IOException)
            {
            }

            _pending.Clear();
        }
    }
}
