using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs;
using Microsoft.Extensions.Logging;

namespace EvidenceBot.Service;

/// <summary>
/// What one scheduled run tells the service: lines become log entries, the bundle outcome is kept for the scheduler.
/// The rules gate (<see cref="ActiveRules.Gate"/>), taken before the run, is released as soon as its rules are loaded.
/// </summary>
internal sealed partial class LogRunReporter(ILogger log, string runLabel, SemaphoreSlim rulesGate) : IRunReporter, IRunObserver
{
    private int _gateHeld = 1;

    /// <summary>The bundle outcome, once the run got that far.</summary>
    public BundleOutcome? Outcome { get; private set; }

    /// <summary>What each open source's traffic cost in rate limits, once the rules ran; empty before.</summary>
    public IReadOnlyList<SourceUsage> SourceUsage { get; private set; } = [];

    public void Message(string line) => LogMessage(log, runLabel, line);

    public void Error(string line) => LogError(log, runLabel, line);

    public void Phase(string name)
    {
        if (name == "load rules")
            ReleaseGate();
    }

    public IRunObserver Progress(int executions) => this;

    public void Completed(RuleExecutionResult result)
    {
    }

    public void Finished(RunResult result, string? resultsPath, IReadOnlyList<string> sourceSummaries)
    {
        foreach (var line in sourceSummaries)
            LogMessage(log, runLabel, line);
    }

    public void Usage(IReadOnlyList<SourceUsage> usage) => SourceUsage = usage;

    public void Bundle(BundleOutcome outcome) => Outcome = outcome;

    /// <summary>Releases the rules gate once, whichever comes first: the rules loaded, or the run ended.</summary>
    public void ReleaseGate()
    {
        if (Interlocked.Exchange(ref _gateHeld, 0) == 1)
            rulesGate.Release();
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{Run}: {Line}")]
    private static partial void LogMessage(ILogger log, string run, string line);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "{Run}: {Line}")]
    private static partial void LogError(ILogger log, string run, string line);
}
