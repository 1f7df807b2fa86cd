using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Runs;

/// <summary>
/// What a run tells its host (the command line prints it, a scheduler logs it). The pipeline prints nothing itself.
/// </summary>
internal interface IRunReporter
{
    /// <summary>A line of progress or information (the command line's stderr).</summary>
    void Message(string line);

    /// <summary>A problem the user must act on.</summary>
    void Error(string line);

    /// <summary>A phase of the run ended (for timings).</summary>
    void Phase(string name);

    /// <summary>Observes the executions while they run.</summary>
    IRunObserver Progress(int executions);

    /// <summary>The rules ran and <c>results.json</c> was written (or <paramref name="resultsPath"/> is null: it could not be).</summary>
    void Finished(RunResult result, string? resultsPath, IReadOnlyList<string> sourceSummaries);

    /// <summary>The rules ran: what each open source's traffic cost in rate limits (for a host's counters).</summary>
    void Usage(IReadOnlyList<SourceUsage> usage)
    {
    }

    /// <summary>The bundle was written, or could not be.</summary>
    void Bundle(BundleOutcome outcome);
}
