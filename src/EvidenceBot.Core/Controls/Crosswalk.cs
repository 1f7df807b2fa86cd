namespace EvidenceBot.Core.Controls;

/// <summary>
/// Relations between controls of different frameworks. Only <see cref="CrosswalkRelation.Equivalent"/> is read both
/// ways. <see cref="CrosswalkRelation.Partial"/> and <see cref="CrosswalkRelation.Supports"/> are read only from
/// <c>from</c> to <c>to</c>: "A.2.2 partial Art.17" says the AI policy is one part of the quality management system, so
/// evidence about A.2.2 says something about Art.17, but evidence about Art.17 says nothing about A.2.2.
/// </summary>
public sealed class Crosswalk
{
    private readonly Dictionary<string, List<RelatedControl>> _related = new(StringComparer.Ordinal);

    /// <summary>Creates a crosswalk from its relations.</summary>
    public Crosswalk(IEnumerable<CrosswalkLink> links)
    {
        ArgumentNullException.ThrowIfNull(links);
        Links = [.. links];
        foreach (var link in Links)
        {
            Add(link.From, new RelatedControl(link.To, link.Relation, CrosswalkDirection.Outgoing, EvidenceFlows: true, link.Rationale));
            Add(link.To, new RelatedControl(link.From, link.Relation, CrosswalkDirection.Incoming, EvidenceFlows: IsSymmetric(link.Relation), link.Rationale));
        }
    }

    /// <summary>An empty crosswalk.</summary>
    public static Crosswalk Empty { get; } = new([]);

    /// <summary>Every relation, in file order.</summary>
    public IReadOnlyList<CrosswalkLink> Links { get; }

    /// <summary>True for relations read both ways: only equivalence.</summary>
    public static bool IsSymmetric(CrosswalkRelation relation) => relation == CrosswalkRelation.Equivalent;

    /// <summary>Every control related to <paramref name="id"/>, whichever way the relation was written.</summary>
    public IReadOnlyList<RelatedControl> Related(string id) =>
        _related.TryGetValue(id, out var list) ? list : [];

    private void Add(string id, RelatedControl related)
    {
        if (!_related.TryGetValue(id, out var list))
            _related[id] = list = [];
        list.Add(related);
    }
}
