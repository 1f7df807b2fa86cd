using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Controls;

/// <summary>
/// Every known control of every framework, and the crosswalk between them. Loaded from the JSON catalogs under
/// <c>rules/controls/</c> (embedded in this assembly, or from a folder), each validated against its JSON Schema.
/// Immutable and thread-safe.
/// </summary>
public sealed class ControlCatalog
{
    /// <summary>Code of the diagnostic for a rule that names a control no catalog has.</summary>
    public const string UnknownControlCode = "EB0300";

    private static readonly Lazy<ControlCatalog> Default = new(ControlCatalogLoader.LoadEmbedded);

    private readonly Dictionary<string, Control> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _position = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Framework> _frameworks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Control>> _byFramework = new(StringComparer.Ordinal);
    private readonly List<Control> _all = [];

    internal ControlCatalog(IEnumerable<Framework> frameworks, IEnumerable<Control> controls, Crosswalk crosswalk)
    {
        Frameworks = [.. frameworks];
        foreach (var f in Frameworks)
        {
            _frameworks[f.Id] = f;
            _byFramework[f.Id] = [];
        }

        foreach (var c in controls)
        {
            _position[c.Id] = _all.Count;
            _all.Add(c);
            _byId[c.Id] = c;
            _byFramework[c.Framework].Add(c);
        }

        Crosswalk = crosswalk;
    }

    /// <summary>The catalogs shipped with EvidenceBot (embedded, so the tool works from any folder). Loaded once.</summary>
    /// <exception cref="ControlCatalogException">An embedded catalog is broken (a build defect).</exception>
    public static ControlCatalog LoadDefault() => Default.Value;

    /// <summary>
    /// Loads every <c>*.json</c> file of <paramref name="dir"/>: <c>crosswalk.json</c> (or <c>*.crosswalk.json</c>) is a
    /// crosswalk, every other file one framework's catalog.
    /// </summary>
    /// <exception cref="ControlCatalogException">A file is missing, not JSON, breaks its schema or names unknown controls; every problem names the file and JSON path.</exception>
    public static ControlCatalog LoadDirectory(string dir) => ControlCatalogLoader.LoadDirectory(dir);

    /// <summary>Every framework, in load order.</summary>
    public IReadOnlyList<Framework> Frameworks { get; }

    /// <summary>Every control of every framework, in catalog order.</summary>
    public IReadOnlyList<Control> All => _all;

    /// <summary>The relations between controls of different frameworks.</summary>
    public Crosswalk Crosswalk { get; }

    /// <summary>The control with this full id (<c>FRAMEWORK:VERSION/ID</c>, exact case), or null.</summary>
    public Control? Find(string id) => id is not null && _byId.TryGetValue(id, out var c) ? c : null;

    /// <summary>The framework with this id, e.g. <c>ISO27001:2022</c>, or null.</summary>
    public Framework? FindFramework(string id) => id is not null && _frameworks.TryGetValue(id, out var f) ? f : null;

    /// <summary>The controls of one framework, in catalog order.</summary>
    /// <exception cref="ArgumentException">No such framework; the message lists the known ones.</exception>
    public IReadOnlyList<Control> Controls(string framework) =>
        framework is not null && _byFramework.TryGetValue(framework, out var list)
            ? list
            : throw new ArgumentException($"unknown framework '{framework}'; known: {string.Join(", ", Frameworks.Select(f => f.Id))}", nameof(framework));

    /// <summary>
    /// Checks every control id a rule names. One <see cref="DiagnosticSeverity.Error"/> with code
    /// <see cref="UnknownControlCode"/> per unknown id, at the line the id is written on, naming the three closest valid ids.
    /// </summary>
    public IReadOnlyList<RuleDiagnostic> Validate(RuleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var diagnostics = new List<RuleDiagnostic>();
        foreach (var id in manifest.Controls.Select(c => c.Id).Distinct(StringComparer.Ordinal))
        {
            if (_byId.ContainsKey(id))
                continue;
            var line = manifest.ControlLines.TryGetValue(id, out var l) ? l : 0;
            diagnostics.Add(new RuleDiagnostic(new SourceLocation(manifest.SourcePath, line), DiagnosticSeverity.Error,
                UnknownControlCode, DescribeUnknown(id), manifest.Id));
        }

        return diagnostics;
    }

    /// <summary>Explains why <paramref name="id"/> is not a control and what to write instead.</summary>
    public string DescribeUnknown(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        var framework = slash > 0 ? id[..slash] : id;
        var reason = slash <= 0
            ? "a control id is written FRAMEWORK:VERSION/ID, e.g. ISO27001:2022/A.8.16"
            : FindFramework(framework) is null
                ? $"there is no framework '{framework}' (known: {string.Join(", ", Frameworks.Select(f => f.Id))})"
                : $"{framework} has no control '{id[(slash + 1)..]}'";
        var listed = FindFramework(framework) is null ? "" : " --framework " + framework;
        return $"unknown control id '{id}': {reason}; closest valid ids: {string.Join(", ", Suggest(id))}. " +
               $"Write one of them, or pick one from 'evidencebot controls list{listed}'";
    }

    /// <summary>The valid ids closest to <paramref name="id"/> by edit distance (case-insensitive), best first.</summary>
    public IReadOnlyList<string> Suggest(string id, int count = 3)
    {
        ArgumentNullException.ThrowIfNull(id);
        return EditDistance.Closest(id, _all.Select(c => c.Id), count);
    }

    /// <summary>
    /// The direct mappings plus every control they reach, marked <see cref="MappedControl.Derived"/> with
    /// <see cref="MappedControl.Via"/> = the direct id:
    /// <list type="bullet">
    /// <item>through one crosswalk relation: forward for every relation, backward only for <c>equivalent</c>;
    /// the derived relation is the weaker of the direct relation and the link (<c>equivalent</c> ≙ <c>satisfies</c>);</item>
    /// <item>up the catalog's structure: a paragraph's article, a subcategory's category and function, always <c>partial</c>.</item>
    /// </list>
    /// Only what comes through <c>equivalent</c> counts towards the control (<see cref="MappedControl.Counts"/>); the rest is
    /// marked <see cref="MappedControl.Related"/>: shown as related evidence, never deciding coverage or a verdict.
    /// Only one crosswalk hop is taken: chains compound the weakness of each link. A control reached several ways
    /// keeps its direct mapping, else the strongest derived one. Ids not in the catalog are returned as given, with nothing derived.
    /// </summary>
    public IReadOnlyList<MappedControl> Expand(IReadOnlyList<ControlMapping> direct)
    {
        ArgumentNullException.ThrowIfNull(direct);
        var result = new List<MappedControl>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in direct)
        {
            if (index.TryGetValue(d.Id, out var i))
            {
                if (Rank(d.Relation) > Rank(result[i].Relation))
                    result[i] = result[i] with { Relation = d.Relation };
                continue;
            }

            index[d.Id] = result.Count;
            result.Add(new MappedControl(d.Id, d.Relation, Derived: false, Via: null, Rationale: null));
        }

        var directCount = result.Count;
        var derived = new Dictionary<string, MappedControl>(StringComparer.Ordinal);
        for (var i = 0; i < directCount; i++)
        {
            var d = result[i];
            if (Find(d.Id) is not { } control)
                continue;
            foreach (var related in Crosswalk.Related(d.Id).Where(r => r.EvidenceFlows))
                Offer(new MappedControl(related.Id, Weaker(d.Relation, ToControlRelation(related.Relation)), true, d.Id, related.Rationale,
                    Related: related.Relation != CrosswalkRelation.Equivalent));
            for (var parent = control.Parent is null ? null : Find(control.Parent); parent is not null; parent = parent.Parent is null ? null : Find(parent.Parent))
                Offer(new MappedControl(parent.Id, ControlRelation.Partial, true, d.Id, $"{control.LocalId} is part of {parent.LocalId}", Related: true));
        }

        result.AddRange(derived.Values.OrderBy(m => _position.TryGetValue(m.Id, out var p) ? p : int.MaxValue).ThenBy(m => m.Id, StringComparer.Ordinal));
        return result;

        void Offer(MappedControl candidate)
        {
            if (index.ContainsKey(candidate.Id))
                return; // a direct mapping always wins
            // Evidence that counts beats related evidence; then the stronger relation wins.
            if (!derived.TryGetValue(candidate.Id, out var existing)
                || (candidate.Counts && !existing.Counts)
                || (candidate.Counts == existing.Counts && Rank(candidate.Relation) > Rank(existing.Relation)))
                derived[candidate.Id] = candidate;
        }
    }

    /// <summary>The weaker of two relations: <c>satisfies</c> &gt; <c>supports</c> &gt; <c>partial</c>.</summary>
    public static ControlRelation Weaker(ControlRelation a, ControlRelation b) => Rank(a) <= Rank(b) ? a : b;

    /// <summary>What a crosswalk relation is worth as evidence: <c>equivalent</c> passes it on unchanged.</summary>
    public static ControlRelation ToControlRelation(CrosswalkRelation relation) => relation switch
    {
        CrosswalkRelation.Equivalent => ControlRelation.Satisfies,
        CrosswalkRelation.Supports => ControlRelation.Supports,
        _ => ControlRelation.Partial,
    };

    /// <summary>Strength of a relation; higher is stronger.</summary>
    internal static int Rank(ControlRelation relation) => relation switch
    {
        ControlRelation.Satisfies => 3,
        ControlRelation.Supports => 2,
        _ => 1,
    };
}
