using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Reports;

/// <summary>One statement's bearing on one control: how the rule relates to it and whether it is evidence or only related.</summary>
/// <param name="Statement">The statement.</param>
/// <param name="Mapping">The mapping as the statement attests it (relation, direct or derived, via).</param>
internal sealed record ControlEvidence(StatementEntry Statement, PredicateControl Mapping);

/// <summary>
/// One control of a framework as the bundle evidences it. Only direct and <c>equivalent</c>-derived mappings
/// (the statement's <c>controls</c>) decide <see cref="Verdict"/>; <see cref="Related"/> (the statement's
/// <c>relatedControls</c>) is listed apart and never decides anything.
/// </summary>
internal sealed record ControlRow(Control Control, IReadOnlyList<ControlEvidence> Evidence, IReadOnlyList<ControlEvidence> Related)
{
    /// <summary>The evidence older than its rule's freshness as of the report's time: shown, never counted.</summary>
    public IReadOnlyList<ControlEvidence> StaleEvidence { get; init; } = [];

    /// <summary>
    /// The worst verdict of the fresh evidence; null for a control with no automated evidence (manual) or none still
    /// fresh. See <see cref="VerdictName"/> for what a control with stale evidence reads as.
    /// </summary>
    public Verdict? Verdict => Evidence.Where(e => !StaleEvidence.Contains(e))
        .Aggregate((Verdict?)null, (worst, e) => Verdicts.Worst(worst, e.Statement.Predicate.Verdict));

    /// <summary>
    /// <c>pass</c>, <c>fail</c>, <c>error</c>, <c>waived</c>, <c>not_applicable</c>; <c>stale</c> when part of its evidence is
    /// older than its freshness and the fresh part shows no failure or error (old evidence can neither cover a control
    /// nor clear it); <c>manual</c> when no automated evidence bears on it.
    /// </summary>
    public string VerdictName => Evidence.Count == 0 ? "manual"
        : Verdict is Core.Rules.Verdict.Fail or Core.Rules.Verdict.Error ? Verdicts.Name(Verdict.Value)
        : StaleEvidence.Count > 0 ? "stale"
        : Verdicts.Name(Verdict!.Value);

    /// <summary>True when the control reads as <c>stale</c>.</summary>
    public bool Stale => VerdictName == "stale";

    /// <summary>The rule ids giving automated evidence, in order.</summary>
    public IReadOnlyList<string> Rules => [.. Evidence.Select(e => e.Statement.Predicate.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>When the newest evidence for the control was collected; null when none.</summary>
    public DateTimeOffset? Latest => Evidence.Count == 0 ? null : Evidence.Max(e => e.Statement.Predicate.EndedAt);
}

/// <summary>A framework in the report's scope, with every control of its catalog.</summary>
internal sealed record FrameworkView(Framework Framework, IReadOnlyList<ControlRow> Rows)
{
    /// <summary>How many controls have each verdict name (<see cref="ControlRow.VerdictName"/>).</summary>
    public int Count(string verdictName) => Rows.Count(r => r.VerdictName == verdictName);

    /// <summary>Builds the views of the frameworks asked for, or of every framework the statements map to.</summary>
    public static IReadOnlyList<FrameworkView> Build(ControlCatalog catalog, IReadOnlyList<StatementEntry> statements, IReadOnlyList<string> frameworks, Func<StatementEntry, bool>? isStale = null)
    {
        isStale ??= static _ => false;
        var evidence = new Dictionary<string, List<ControlEvidence>>(StringComparer.Ordinal);
        var related = new Dictionary<string, List<ControlEvidence>>(StringComparer.Ordinal);
        foreach (var s in statements)
        {
            foreach (var c in s.Predicate.Controls)
                Add(evidence, c.Id, new ControlEvidence(s, c));
            foreach (var c in s.Predicate.RelatedControls)
                Add(related, c.Id, new ControlEvidence(s, c));
        }

        var wanted = frameworks.Count > 0
            ? frameworks
            : [.. catalog.Frameworks.Select(f => f.Id).Where(id => evidence.Keys.Concat(related.Keys).Any(k => k.StartsWith(id + "/", StringComparison.Ordinal)))];
        var views = new List<FrameworkView>();
        foreach (var id in wanted)
        {
            var framework = catalog.FindFramework(id)
                ?? throw new ArgumentException($"--framework {id}: no such framework; known: {string.Join(", ", catalog.Frameworks.Select(f => f.Id))}");
            var rows = catalog.Controls(framework.Id)
                .Select(c => new ControlRow(c,
                    evidence.TryGetValue(c.Id, out var e) ? e : [],
                    related.TryGetValue(c.Id, out var r) ? r : [])
                {
                    StaleEvidence = e is null ? [] : [.. e.Where(x => isStale(x.Statement))],
                })
                .ToList();
            views.Add(new FrameworkView(framework, rows));
        }

        return views;
    }

    private static void Add(Dictionary<string, List<ControlEvidence>> map, string id, ControlEvidence e)
    {
        if (!map.TryGetValue(id, out var list))
            map[id] = list = [];
        list.Add(e);
    }
}
