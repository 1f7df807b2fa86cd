using System.Text.Json.Serialization;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Controls;

/// <summary>One control of a framework: an Annex A control, an article or paragraph, a NIST function, category or subcategory.</summary>
public sealed record Control
{
    /// <summary>The full id, <c>FRAMEWORK:VERSION/ID</c>, e.g. <c>ISO27001:2022/A.8.16</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The framework id, e.g. <c>ISO27001:2022</c>.</summary>
    public required string Framework { get; init; }

    /// <summary>The id inside the framework, e.g. <c>A.8.16</c>, <c>Art.15(5)</c>, <c>MEASURE-2.4</c>.</summary>
    public required string LocalId { get; init; }

    /// <summary>A short name, e.g. <c>Monitoring activities</c>. Never the standard's text.</summary>
    public required string Title { get; init; }

    /// <summary>What the entry is: <c>control</c>, <c>article</c>, <c>paragraph</c>, <c>function</c>, <c>category</c>, <c>subcategory</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The group id (theme, objective, chapter or function), when the catalog groups its controls.</summary>
    public string? Group { get; init; }

    /// <summary>The group's title, e.g. <c>Technological</c>.</summary>
    public string? GroupTitle { get; init; }

    /// <summary>The full id of the enclosing control, e.g. <c>EUAIA:2024/Art.15</c> for <c>EUAIA:2024/Art.15(5)</c>; null at the top.</summary>
    public string? Parent { get; init; }

    /// <summary>True when coverage totals count this control (its kind is one of the framework's assessable kinds).</summary>
    public bool Assessable { get; init; }
}

/// <summary>A group of controls inside a framework: an ISO theme or objective, an AI Act chapter, a NIST function.</summary>
/// <param name="Id">The group id, e.g. <c>A.8</c>.</param>
/// <param name="Title">Its title, e.g. <c>Technological</c>.</param>
public sealed record ControlGroup(string Id, string Title);

/// <summary>One framework of the catalog.</summary>
public sealed record Framework
{
    /// <summary>The framework id, <c>FRAMEWORK:VERSION</c>, e.g. <c>NISTAIRMF:1.0</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Its name, e.g. <c>ISO/IEC 27001:2022 Annex A information security controls</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The publication the ids come from.</summary>
    public string? Source { get; init; }

    /// <summary>How the controls are grouped.</summary>
    public IReadOnlyList<ControlGroup> Groups { get; init; } = [];

    /// <summary>The kinds counted in coverage totals, e.g. <c>subcategory</c> for the NIST AI RMF.</summary>
    public IReadOnlyList<string> AssessableKinds { get; init; } = [];

    /// <summary>The catalog file it was read from.</summary>
    public string SourceFile { get; init; } = "";
}

/// <summary>How two controls of different frameworks relate in the crosswalk.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CrosswalkRelation>))]
public enum CrosswalkRelation
{
    /// <summary>Evidence for one is evidence for the other, both ways.</summary>
    [JsonStringEnumMemberName("equivalent")] Equivalent,

    /// <summary>Evidence for <c>from</c> is part of what shows <c>to</c> is met; not the other way round.</summary>
    [JsonStringEnumMemberName("supports")] Supports,

    /// <summary>The two controls overlap in part, both ways.</summary>
    [JsonStringEnumMemberName("partial")] Partial,
}

/// <summary>One relation of the crosswalk, as written in <c>crosswalk.json</c>.</summary>
/// <param name="From">Full control id.</param>
/// <param name="To">Full control id of another framework.</param>
/// <param name="Relation">How they relate.</param>
/// <param name="Rationale">One line: why.</param>
public sealed record CrosswalkLink(string From, string To, CrosswalkRelation Relation, string Rationale);

/// <summary>Which way a crosswalk relation was written, seen from the control asked about.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CrosswalkDirection>))]
public enum CrosswalkDirection
{
    /// <summary>The relation was written from this control.</summary>
    [JsonStringEnumMemberName("outgoing")] Outgoing,

    /// <summary>The relation was written to this control.</summary>
    [JsonStringEnumMemberName("incoming")] Incoming,
}

/// <summary>A control related to another through the crosswalk.</summary>
/// <param name="Id">The related control's full id.</param>
/// <param name="Relation">The relation as written.</param>
/// <param name="Direction">Whether it was written from or to the control asked about.</param>
/// <param name="EvidenceFlows">True when evidence for the control asked about is shown, derived, under <paramref name="Id"/>.</param>
/// <param name="Rationale">Why the relation holds.</param>
public sealed record RelatedControl(string Id, CrosswalkRelation Relation, CrosswalkDirection Direction, bool EvidenceFlows, string Rationale);

/// <summary>A control a rule's evidence lands on: directly from the rule header, or derived through the crosswalk or the catalog's structure.</summary>
/// <param name="Id">The control's full id.</param>
/// <param name="Relation">How strongly the evidence bears on it; a derived relation is never stronger than any link it came through.</param>
/// <param name="Derived">False for a mapping the rule declares; true for one derived from it.</param>
/// <param name="Via">For a derived mapping, the rule's direct control id it came from.</param>
/// <param name="Rationale">For a derived mapping, why it holds.</param>
/// <param name="Related">
/// True for derived evidence that is only related: it came through a <c>partial</c> or <c>supports</c> link, or up the
/// catalog's structure. Related evidence is shown apart and never decides the control's coverage or verdict; only direct
/// mappings and <c>equivalent</c> links do.
/// </param>
public sealed record MappedControl(string Id, ControlRelation Relation, bool Derived, string? Via, string? Rationale, bool Related = false)
{
    /// <summary>True when this evidence decides the control's coverage and verdict: direct, or through an <c>equivalent</c> link.</summary>
    public bool Counts => !Derived || !Related;
}
