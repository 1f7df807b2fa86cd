using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs.Replay;

namespace EvidenceBot.Runs.Isolation;

/// <summary>One execution the worker is asked to run, named as the planner names it.</summary>
/// <remarks>The source digest is part of the name: a rule file edited between the host's plan and the worker's is not run.</remarks>
internal sealed record WorkerExecution(string SourcePath, string SourceSha256, string RuleId, string Target);

/// <summary>
/// What the host sends a worker, as the first line on its stdin: enough to load the same rules and open the same
/// sources. Never the signing key: the host signs.
/// </summary>
internal sealed record WorkerRequest
{
    public string? ConfigPath { get; init; }
    public required string RulesDirectory { get; init; }
    public required string CacheDirectory { get; init; }
    public IReadOnlyList<string> Only { get; init; } = [];
    public long RuleTimeoutMs { get; init; }
    public int Parallel { get; init; } = 1;

    /// <summary>The run's shard (<c>I/N</c>), so the worker's sources list the same repositories as the host's.</summary>
    public string? Shard { get; init; }

    /// <summary>The in-process heap check's limit (<c>EvidenceBot.RuleMemoryLimitBytes</c>) inside the worker.</summary>
    public long RuleHeapLimitBytes { get; init; }

    /// <summary>The host's clock when it sent the request: rules in the worker see the time the host's rules would.</summary>
    public DateTimeOffset HostNow { get; init; }

    /// <summary>
    /// The executions are replays (<c>rules test</c>, <c>verify --replay</c>): the worker reads no configuration and plans
    /// nothing; each execution of the batch carries its own sources, parameters, clock and recorded exchanges.
    /// </summary>
    public bool Replay { get; init; }
}

/// <summary>
/// What a replayed execution needs beside its rule and target (<see cref="ReplayRequest"/> without the loaded rule, which
/// the worker loads itself from the same compile cache).
/// </summary>
internal sealed record WorkerReplay
{
    public required IReadOnlyDictionary<string, JsonElement> Parameters { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Sections { get; init; }
    public required string ExchangesFolder { get; init; }
    public required DateTimeOffset Now { get; init; }
    public required string BaseDirectory { get; init; }
    public required string Where { get; init; }
    public required string SectionPath { get; init; }
    public required string ParametersPath { get; init; }
    public required string TargetPath { get; init; }

    public static WorkerReplay From(ReplayRequest r) => new()
    {
        Parameters = r.Parameters,
        Sections = r.Sections,
        ExchangesFolder = r.ExchangesFolder,
        Now = r.Now,
        BaseDirectory = r.BaseDirectory,
        Where = r.Where,
        SectionPath = r.SectionPath,
        ParametersPath = r.ParametersPath,
        TargetPath = r.TargetPath,
    };

    public ReplayRequest With(EvidenceBot.Core.Rules.LoadedRule rule, string target) => new()
    {
        Rule = rule,
        Target = target,
        Parameters = Parameters,
        Sections = Sections,
        ExchangesFolder = ExchangesFolder,
        Now = Now,
        BaseDirectory = BaseDirectory,
        Where = Where,
        SectionPath = SectionPath,
        ParametersPath = ParametersPath,
        TargetPath = TargetPath,
    };
}

/// <summary>
/// The worker's clock: the system's, unless the host's clock reads differently (a test's fake clock, a host told to
/// run "as of" another time); then the host's reading plus the time elapsed since.
/// </summary>
internal sealed class HostClock(DateTimeOffset hostNow) : TimeProvider
{
    private readonly long _received = Stopwatch.GetTimestamp();
    private readonly bool _shifted = (hostNow - System.GetUtcNow()).Duration() > TimeSpan.FromSeconds(1);

    public override DateTimeOffset GetUtcNow() =>
        _shifted ? hostNow + Stopwatch.GetElapsedTime(_received) : System.GetUtcNow();
}

/// <summary>
/// The second line the host sends: which executions of the plan to run. Apart from the request, so that a worker
/// started early can load and plan while the host does.
/// </summary>
/// <param name="Executions">The executions, by the name the plan gives them.</param>
/// <param name="Replays">For a <see cref="WorkerRequest.Replay"/> request, what each execution replays (same order).</param>
internal sealed record WorkerBatch(IReadOnlyList<WorkerExecution> Executions, IReadOnlyList<WorkerReplay>? Replays = null);

/// <summary>
/// One line a worker writes on its stdout: <c>started</c> (the execution at <see cref="Index"/> began), <c>result</c>
/// (it ended; <see cref="Result"/> and its raw <see cref="Evidence"/>), <c>missing</c> (the worker's plan has no such
/// execution), <c>invalid</c> (a replay could not be set up: <see cref="Error"/> is the setup error, naming the input's
/// field, as <see cref="ReplayedExecution.RunAsync"/> throws it in the host), <c>failed</c> (the worker could not start the run; <see cref="Error"/> says why) or <c>done</c>.
/// </summary>
internal sealed record WorkerMessage
{
    public required string Kind { get; init; }
    public int Index { get; init; }
    public RuleExecutionResult? Result { get; init; }

    /// <summary><see cref="RuleExecutionResult.Evidence"/>, which results.json leaves out but the bundle needs.</summary>
    public IReadOnlyList<HttpExchange>? Evidence { get; init; }
    public string? Error { get; init; }

    /// <summary>On <c>done</c>: what each source the worker opened cost in rate limits (the host's counters need it).</summary>
    public IReadOnlyList<SourceUsage>? Usage { get; init; }

    /// <summary>On <c>done</c>: the summary lines of the sources the worker's rules asked anything.</summary>
    public IReadOnlyList<string>? Summaries { get; init; }
}

/// <summary>JSON lines both ways: one object per line, UTF-8 (JSON escapes every newline inside a string).</summary>
internal static class WorkerProtocol
{
    /// <summary>The hidden command a worker process runs.</summary>
    public const string Command = "__worker";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A message with every part filled: decoding and encoding it early moves the serializer's start-up off the run.</summary>
    public const string WarmUpMessage = """{"kind":"result","index":0,"result":{"id":"w","title":"w","target":"t","verdict":"pass","parameters":{"p":1},"controls":[{"id":"c","relation":"supports"}],"findings":[{"resource":"r","status":"pass","message":"m","observed":{"a":1}}]},"evidence":[{"source":"s","method":"GET","url":"u","status":200,"requestHeaders":{"a":"b"},"responseHeaders":{},"body":"x","at":"2026-01-01T00:00:00Z"}]}""";

    public static string Encode<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static T Decode<T>(string line) =>
        JsonSerializer.Deserialize<T>(line, Json) ?? throw new InvalidDataException("worker protocol: an empty message");

    /// <summary>Writes one message as one line and flushes it: the other side acts on each line as it arrives.</summary>
    public static void WriteLine<T>(Stream stream, T value)
    {
        var bytes = Encoding.UTF8.GetBytes(Encode(value) + "\n");
        stream.Write(bytes);
        stream.Flush();
    }
}
