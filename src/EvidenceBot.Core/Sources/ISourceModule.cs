using System.Text.Json;
using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Core.Sources;

/// <summary>
/// A source of evidence (GitHub, Azure, model registries) as the host sees it: its name, its configuration section,
/// what rules compile against, and how it opens for a run. The CLI, the planner and the scheduler know sources only
/// through this contract; adding a source is one project implementing it.
/// </summary>
public interface ISourceModule
{
    /// <summary>The name rules list in their header's <c>sources</c>, and the configuration section's name.</summary>
    string Name { get; }

    /// <summary>The JSON Schema (draft-07, as text) of the configuration section; composed into the config schema.</summary>
    string ConfigSchema { get; }

    /// <summary>What a rule that lists this source compiles against. Read without loading the source's SDK.</summary>
    RuleContract Contract { get; }

    /// <summary>
    /// Validates the configuration section and opens the source for one run. Nothing is sent until a rule asks.
    /// A bad setting is a <see cref="SourceConfigException"/> naming its JSON path and what to do.
    /// </summary>
    ISourceSession Open(SourceSettings settings);
}

/// <summary>One run's open source: its targets, the services each target's rules see, its summary line.</summary>
public interface ISourceSession : IDisposable
{
    /// <summary>What rules of this source run against (organisations, subscriptions, registries), in a stable order.</summary>
    IReadOnlyList<string> Targets { get; }

    /// <summary>The services a rule sees for <paramref name="target"/>, keyed by the contract type rules ask for.</summary>
    IReadOnlyDictionary<Type, object> ServicesFor(string target);

    /// <summary>The run summary line, or null when rules asked this source nothing.</summary>
    string? Summary();

    /// <summary>
    /// What the run's HTTP traffic cost in rate limits so far (waits, seconds waited, give-ups), for the service's
    /// <c>/metrics</c> and the summary line; null (the default) for a source that does not count them.
    /// </summary>
    SourceUsage? Usage() => null;

    /// <summary>
    /// True when the session honours <see cref="SourceSettings.Shard"/> itself, by keeping every target and listing only
    /// the shard's part of what is inside them (GitHub: the repositories of each organisation). False (the default): the
    /// planner gives each whole target to one shard.
    /// </summary>
    bool PartitionsWithinTargets => false;
}

/// <summary>
/// What a rule listing a source compiles against: the source's contract assemblies (by simple name, resolved from the
/// application's folder only when a rule lists the source), the namespaces and static classes it imports, and the
/// APIs of the source's SDK a rule has no business using.
/// </summary>
public sealed record RuleContract
{
    /// <summary>Assembly simple names, e.g. <c>EvidenceBot.Rules.GitHub</c>, <c>Octokit</c>.</summary>
    public IReadOnlyList<string> Assemblies { get; init; } = [];

    /// <summary>Namespaces, and static classes (imported as <c>using static</c>), rules see without a using.</summary>
    public IReadOnlyList<string> Imports { get; init; } = [];

    /// <summary>Whole types a rule may not use, full name → why.</summary>
    public IReadOnlyDictionary<string, string> DeniedTypes { get; init; } = new Dictionary<string, string>();

    /// <summary>Namespace prefixes a rule may not use, prefix → why.</summary>
    public IReadOnlyDictionary<string, string> DeniedNamespaces { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a source module gets to open for a run.</summary>
public sealed record SourceSettings
{
    /// <summary>The module's configuration section, as written.</summary>
    public required JsonElement Section { get; init; }

    /// <summary>The section's JSON path, e.g. <c>$.github</c>: the prefix of every configuration error.</summary>
    public required string Path { get; init; }

    /// <summary>Resolves a path written in the configuration against the configuration file's folder.</summary>
    public required Func<string, string> ResolvePath { get; init; }

    /// <summary>Reads an environment variable (injectable for tests).</summary>
    public required Func<string, string?> Environment { get; init; }

    /// <summary>The engine's clock.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>Masks every configured secret; a module adds the tokens it uses.</summary>
    public required Redactor Redactor { get; init; }

    /// <summary>Receives every exchange (e.g. to record a demo estate), or null.</summary>
    public IExchangeSink? Sink { get; init; }

    /// <summary>
    /// The shard this run is (<c>run --shard I/N</c>), or null for a whole run. A module that partitions inside its
    /// targets lists only what this shard owns and says so with <see cref="ISourceSession.PartitionsWithinTargets"/>.
    /// </summary>
    public ShardFilter? Shard { get; init; }
}

/// <summary>A configuration setting a source cannot use. The message starts with its JSON path and says what to do.</summary>
public sealed class SourceConfigException(string message) : Exception(message);
