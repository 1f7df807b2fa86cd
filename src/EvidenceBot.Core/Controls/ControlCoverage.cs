using System.Text.Json.Serialization;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Controls;

/// <summary>Whether a control has automated evidence, and how.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CoverageStatus>))]
public enum CoverageStatus
{
    /// <summary>At least one rule maps to the control itself.</summary>
    [JsonStringEnumMemberName("direct")] Direct,

    /// <summary>Only evidence derived through an <c>equivalent</c> crosswalk link.</summary>
    [JsonStringEnumMemberName("derived")] Derived,

    /// <summary>No rule evidences it (related evidence aside): left to manual evidence.</summary>
    [JsonStringEnumMemberName("manual")] Manual,
}

/// <summary>One rule's evidence for one control.</summary>
/// <param name="RuleId">The rule.</param>
/// <param name="Relation">How strongly it bears on the control (weakened when derived).</param>
/// <param name="Derived">True when it comes through the crosswalk or from a part of the control.</param>
/// <param name="Via">For derived evidence, the rule's direct control id it came from.</param>
/// <param name="Rationale">For derived evidence, why it holds.</param>
/// <param name="Verdict">The rule's latest verdict, when results were given and hold the rule; else null.</param>
/// <param name="Related">True for related evidence (through <c>partial</c> or <c>supports</c>, or from a part of the control): listed apart, never deciding the control.</param>
public sealed record CoverageEvidence(string RuleId, ControlRelation Relation, bool Derived, string? Via, string? Rationale, Verdict? Verdict, bool Related = false);

/// <summary>One control's coverage.</summary>
/// <param name="Control">The control.</param>
/// <param name="Evidence">Every rule evidencing it, direct first, then derived, then related; each ordered by rule id.</param>
/// <param name="Verdict">
/// The control's latest verdict over the evidence that counts (direct and <c>equivalent</c>; never related evidence): <c>fail</c> if any rule failed, else <c>error</c> if any errored,
/// else null if any rule has no result, else <c>pass</c> if any passed, else <c>not_applicable</c>. Null when no results were given
/// or the control has no evidence.
/// </param>
public sealed record ControlCoverageRow(Control Control, IReadOnlyList<CoverageEvidence> Evidence, Verdict? Verdict)
{
    /// <summary>Rules that map to the control itself.</summary>
    public IReadOnlyList<CoverageEvidence> Direct => [.. Evidence.Where(e => !e.Derived)];

    /// <summary>Rules whose evidence reaches the control through an <c>equivalent</c> crosswalk link: it counts as the control's own.</summary>
    public IReadOnlyList<CoverageEvidence> Derived => [.. Evidence.Where(e => e.Derived && !e.Related)];

    /// <summary>Related evidence: through <c>partial</c> or <c>supports</c>, or from a part of the control. Shown, never counted.</summary>
    public IReadOnlyList<CoverageEvidence> Related => [.. Evidence.Where(e => e.Related)];

    /// <summary>The evidence that decides the control: direct and <c>equivalent</c>.</summary>
    public IReadOnlyList<CoverageEvidence> Counting => [.. Evidence.Where(e => !e.Related)];

    /// <summary>Direct, derived or manual; related evidence alone leaves a control manual.</summary>
    public CoverageStatus Status => Evidence.Any(e => !e.Derived) ? CoverageStatus.Direct
        : Evidence.Any(e => !e.Related) ? CoverageStatus.Derived : CoverageStatus.Manual;

    /// <summary>The strongest relation of the evidence that counts; null when there is none.</summary>
    public ControlRelation? Strongest => Counting.Count == 0 ? null
        : Counting.Select(e => e.Relation).MaxBy(ControlCatalog.Rank);
}

/// <summary>Counts over a framework's assessable controls.</summary>
/// <param name="Controls">Assessable controls (e.g. the 93 Annex A controls, the 72 NIST subcategories, the AI Act articles).</param>
/// <param name="Direct">Controls with at least one direct rule.</param>
/// <param name="DerivedOnly">Controls with derived evidence only.</param>
/// <param name="PartialOnly">Covered controls whose strongest evidence is <c>partial</c>: the rest of the control still needs manual evidence.</param>
public sealed record CoverageTotals(int Controls, int Direct, int DerivedOnly, int PartialOnly)
{
    /// <summary>Controls covered by automated evidence, direct or derived.</summary>
    public int Automated => Direct + DerivedOnly;

    /// <summary>Controls left to manual evidence.</summary>
    public int Manual => Controls - Automated;
}

/// <summary>Latest verdicts over the covered assessable controls.</summary>
/// <param name="Pass">Controls whose verdict is pass.</param>
/// <param name="Fail">Controls whose verdict is fail.</param>
/// <param name="Error">Controls whose evidence could not be collected.</param>
/// <param name="NotApplicable">Controls whose rules did not apply.</param>
/// <param name="NoResult">Covered controls with at least one rule missing from the results (and none failed or errored).</param>
/// <param name="Waived">
/// Controls whose rules failed only where a signed waiver accepts the risk: counted apart, never as pass.
/// </param>
public sealed record CoverageVerdictTotals(int Pass, int Fail, int Error, int NotApplicable, int NoResult, int Waived = 0);

/// <summary>A framework's coverage by rules.</summary>
/// <param name="Framework">The framework.</param>
/// <param name="Rows">Every control of the framework, in catalog order (assessable or not).</param>
/// <param name="Totals">Counts over the assessable controls.</param>
/// <param name="Verdicts">Verdict counts over covered assessable controls; null when no results were given.</param>
public sealed record ControlCoverageReport(Framework Framework, IReadOnlyList<ControlCoverageRow> Rows, CoverageTotals Totals, CoverageVerdictTotals? Verdicts);

/// <summary>Which controls of a framework rules evidence, directly or through the crosswalk, and with what latest verdict.</summary>
public static class ControlCoverage
{
    /// <summary>
    /// Computes coverage of <paramref name="framework"/> by <paramref name="rules"/>. Each rule's control mappings are expanded
    /// with <see cref="ControlCatalog.Expand"/>; ids not in the catalog are ignored here (<see cref="ControlCatalog.Validate"/> reports them).
    /// </summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="framework">A framework id, e.g. <c>ISO27001:2022</c>.</param>
    /// <param name="rules">The rules' manifests.</param>
    /// <param name="latestVerdictsByRuleId">The latest verdict of each rule, e.g. from <c>results.json</c>; null when not known.</param>
    /// <exception cref="ArgumentException">Unknown framework.</exception>
    public static ControlCoverageReport Compute(ControlCatalog catalog, string framework, IEnumerable<RuleManifest> rules,
        IReadOnlyDictionary<string, Verdict>? latestVerdictsByRuleId)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(rules);
        var fw = catalog.FindFramework(framework);
        var controls = catalog.Controls(framework); // throws with the known frameworks when unknown
        var evidence = controls.ToDictionary(c => c.Id, _ => new List<CoverageEvidence>(), StringComparer.Ordinal);
        foreach (var rule in rules.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            Verdict? verdict = latestVerdictsByRuleId is not null && latestVerdictsByRuleId.TryGetValue(rule.Id, out var v) ? v : null;
            foreach (var m in catalog.Expand(rule.Controls))
            {
                if (evidence.TryGetValue(m.Id, out var list))
                    list.Add(new CoverageEvidence(rule.Id, m.Relation, m.Derived, m.Via, m.Rationale, verdict, m.Related));
            }
        }

        var rows = controls.Select(c =>
        {
            var list = evidence[c.Id].OrderBy(e => e.Derived).ThenBy(e => e.Related).ThenBy(e => e.RuleId, StringComparer.Ordinal).ToList();
            return new ControlCoverageRow(c, list, latestVerdictsByRuleId is null ? null : Combine([.. list.Where(e => !e.Related)]));
        }).ToList();

        var assessable = rows.Where(r => r.Control.Assessable).ToList();
        var covered = assessable.Where(r => r.Status != CoverageStatus.Manual).ToList();
        var totals = new CoverageTotals(
            assessable.Count,
            assessable.Count(r => r.Status == CoverageStatus.Direct),
            assessable.Count(r => r.Status == CoverageStatus.Derived),
            covered.Count(r => r.Strongest == ControlRelation.Partial));
        CoverageVerdictTotals? verdicts = latestVerdictsByRuleId is null ? null : new CoverageVerdictTotals(
            covered.Count(r => r.Verdict == Verdict.Pass),
            covered.Count(r => r.Verdict == Verdict.Fail),
            covered.Count(r => r.Verdict == Verdict.Error),
            covered.Count(r => r.Verdict == Verdict.NotApplicable),
            covered.Count(r => r.Verdict is null),
            covered.Count(r => r.Verdict == Verdict.Waived));
        return new ControlCoverageReport(fw!, rows, totals, verdicts);
    }

    /// <summary>Worst first: a failure or an error is never hidden by a pass, and a missing result never becomes a pass.</summary>
    internal static Verdict? Combine(IReadOnlyCollection<CoverageEvidence> evidence)
    {
        if (evidence.Count == 0)
            return null;
        if (evidence.Any(e => e.Verdict == Verdict.Fail))
            return Verdict.Fail;
        if (evidence.Any(e => e.Verdict == Verdict.Error))
            return Verdict.Error;
        if (evidence.Any(e => e.Verdict is null))
            return null;
        // Accepted risk is not a pass: one waived rule makes the control waived, shown apart.
        if (evidence.Any(e => e.Verdict == Verdict.Waived))
            return Verdict.Waived;
        return evidence.Any(e => e.Verdict == Verdict.Pass) ? Verdict.Pass : Verdict.NotApplicable;
    }
}
