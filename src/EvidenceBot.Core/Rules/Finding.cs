using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceBot.Core.Rules;

/// <summary>One observation a rule made about one resource.</summary>
/// <param name="Resource">What was looked at, e.g. <c>octo-org/api</c>.</param>
/// <param name="Status">What the rule concluded about it.</param>
/// <param name="Message">A sentence a reviewer can read.</param>
/// <param name="Observed">The values the conclusion rests on, as JSON; null when none were given.</param>
/// <param name="Waiver">
/// The waiver that accepted this failure, when <paramref name="Status"/> is <see cref="Verdict.Waived"/>; null otherwise.
/// A waived finding was a <c>fail</c> before the waiver applied.
/// </param>
public sealed record Finding(string Resource, Verdict Status, string Message, JsonElement? Observed = null, WaiverReference? Waiver = null);

/// <summary>Which signed waiver accepted a failure: what a waived finding carries into results.json and its statement.</summary>
/// <param name="Id">The waiver's id in waivers.yaml.</param>
/// <param name="Digest">Lowercase hex SHA-256 of the waiver's signed payload bytes (the DSSE payload).</param>
/// <param name="Approver">Who approved it (their key signed it).</param>
/// <param name="Expires">The last day it applies (UTC).</param>
public sealed record WaiverReference(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("approver")] string Approver,
    [property: JsonPropertyName("expires")] DateOnly Expires);

/// <summary>A control a rule's evidence maps to.</summary>
/// <param name="Id">The control id, <c>FRAMEWORK:VERSION/ID</c>, e.g. <c>ISO27001:2022/A.8.16</c>.</param>
/// <param name="Relation">How strongly the evidence bears on the control.</param>
public sealed record ControlMapping(string Id, ControlRelation Relation);

/// <summary>Where a piece of a rule comes from, for error messages that point at a line.</summary>
/// <param name="File">The file path as the user gave it.</param>
/// <param name="Line">1-based line, 0 when unknown.</param>
/// <param name="Column">1-based column, 0 when unknown.</param>
public sealed record SourceLocation(string File, int Line, int Column = 0)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}({Line},{Math.Max(Column, 1)})" : File;
}
