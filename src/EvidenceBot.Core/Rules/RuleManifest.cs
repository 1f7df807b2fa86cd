using System.Text.Json;

namespace EvidenceBot.Core.Rules;

/// <summary>
/// What a rule says about itself: read from the rule's header without running or compiling it.
/// </summary>
public sealed record RuleManifest
{
    /// <summary>Unique rule id, e.g. <c>GH-BRANCH-PROTECTION</c>.</summary>
    public required string Id { get; init; }

    /// <summary>A one-line title.</summary>
    public required string Title { get; init; }

    /// <summary>Longer description, may be empty.</summary>
    public string Description { get; init; } = "";

    /// <summary>How much a failure matters.</summary>
    public Severity Severity { get; init; } = Severity.Medium;

    /// <summary>The sources the rule queries, e.g. <c>github</c>.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>The controls the rule's evidence maps to.</summary>
    public IReadOnlyList<ControlMapping> Controls { get; init; } = [];

    /// <summary>Parameter defaults from the header; configuration overrides them.</summary>
    public IReadOnlyDictionary<string, JsonElement> Parameters { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The rule's own time bound, when its header sets one.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>A cron expression for scheduled runs, when the header sets one.</summary>
    public string? Schedule { get; init; }

    /// <summary>How old evidence from this rule may be before it counts as stale.</summary>
    public TimeSpan? Freshness { get; init; }

    /// <summary>Where the rule was read from.</summary>
    public required string SourcePath { get; init; }

    /// <summary>Hex SHA-256 of the rule's source bytes.</summary>
    public required string SourceSha256 { get; init; }

    /// <summary>The line each control id was written on, for errors that point at it.</summary>
    public IReadOnlyDictionary<string, int> ControlLines { get; init; } = new Dictionary<string, int>();
}
