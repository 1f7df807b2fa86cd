using EvidenceBot.Cli;
using EvidenceBot.Cli.Commands;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.IntegrationTests;

public class ProgressObserverTests
{
    private readonly StringWriter _err = new() { NewLine = "\n" };
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Completed_LinesWaitForTheBatch_ThenAppearInOrder()
    {
        var observer = new ProgressObserver(new CliContext(TextWriter.Null, _err, _time, interactive: false), 3);

        observer.Completed(Result("A-1", Verdict.Pass));
        observer.Completed(Result("B-1", Verdict.Fail));
        Assert.Equal("", _err.ToString());

        _time.Advance(ProgressObserver.Delay);
        Assert.Equal("[1/3] A-1 (default): pass in 4 ms\n[2/3] B-1 (default): fail in 4 ms\n", _err.ToString());

        observer.Completed(Result("C-1", Verdict.Error));
        _time.Advance(ProgressObserver.Delay / 2);
        Assert.DoesNotContain("C-1", _err.ToString());
        observer.Dispose();

        Assert.EndsWith("[2/3] B-1 (default): fail in 4 ms\n[3/3] C-1 (default): error in 4 ms\n", _err.ToString());
        _time.Advance(ProgressObserver.Delay);
        Assert.Equal(3, _err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Dispose_NothingCompleted_WritesNothing()
    {
        new ProgressObserver(new CliContext(TextWriter.Null, _err, _time, interactive: false), 0).Dispose();

        Assert.Equal("", _err.ToString());
    }

    [Fact]
    public void Flush_StderrThatCannotBeWritten_NeitherThrowsNorStopsTheRun()
    {
        var broken = new BrokenWriter();
        var observer = new ProgressObserver(new CliContext(TextWriter.Null, broken, _time, interactive: false), 2);
        observer.Completed(Result("A-1", Verdict.Pass));

        _time.Advance(ProgressObserver.Delay); // on the timer's thread, an exception would end the process
        observer.Completed(Result("B-1", Verdict.Pass));
        observer.Dispose(); // after the run, an exception would stop results.json and the bundle being written

        Assert.Equal(2, broken.Attempts);
    }

    private sealed class BrokenWriter : StringWriter
    {
        public int Attempts { get; private set; }

        public override void Write(string? value)
        {
            Attempts++;
            throw new IOException("No space left on device");
        }
    }

    private static RuleExecutionResult Result(string id, Verdict verdict) => new()
    {
        RuleId = id,
        Title = "t",
        Target = "default",
        Verdict = verdict,
        DurationMs = 4,
    };
}

public class LiveProgressTests
{
    [Fact]
    public void For_Terminal_DrawsLiveProgressWithCounts()
    {
        var stdout = new StringWriter();
        // What a terminal gets: ANSI and an interactive console (a StringWriter would otherwise be detected as neither).
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(stdout),
            Ansi = Spectre.Console.AnsiSupport.Yes,
            Interactive = Spectre.Console.InteractionSupport.Yes,
        });

        IRunObserver observer = new LiveProgress(console, 2);
        observer.Completed(new RuleExecutionResult { RuleId = "A-1", Title = "t", Target = "default", Verdict = Verdict.Pass });
        observer.Completed(new RuleExecutionResult { RuleId = "B-1", Title = "t", Target = "org", Verdict = Verdict.Fail });
        ((IDisposable)observer).Dispose();

        var text = stdout.ToString();
        Assert.Contains("2/2:", text, StringComparison.Ordinal);
        Assert.Contains("1 pass", text, StringComparison.Ordinal);
        Assert.Contains("1 fail", text, StringComparison.Ordinal);
    }

    [Fact]
    public void For_Redirected_PrintsPlainLines()
    {
        var cli = new CliContext(TextWriter.Null, TextWriter.Null, new FakeTimeProvider(), interactive: false);

        using var observer = (IDisposable)LiveProgress.For(cli, 1);

        Assert.IsType<ProgressObserver>(observer);
    }
}
