using System.Globalization;
using System.Text.Json;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Runs.Waivers;

/// <summary>
/// One entry of <c>waivers.yaml</c>: the failures of <see cref="RuleId"/> (on resources matching <see cref="Resource"/>)
/// are an accepted risk for <see cref="Control"/> until the end of <see cref="Expires"/>. Schema: <c>schemas/waivers.schema.json</c>.
/// </summary>
/// <param name="Id">Unique id; the envelope is <c>waivers/&lt;id&gt;.dsse.json</c> beside the file.</param>
/// <param name="RuleId">The rule whose failures it accepts.</param>
/// <param name="Resource">A glob over the finding's resource (<c>*</c>, <c>?</c>); null for every resource.</param>
/// <param name="Control">The control, one the rule maps to.</param>
/// <param name="Justification">Why the risk is accepted.</param>
/// <param name="Approver">Who accepts it; their trusted key must sign it.</param>
/// <param name="Created">The day it was approved.</param>
/// <param name="Expires">The last day (UTC) it applies.</param>
public sealed record Waiver(string Id, string RuleId, string? Resource, string Control, string Justification, string Approver, DateOnly Created, DateOnly Expires)
{
    /// <summary>The DSSE payload type of a signed waiver.</summary>
    public const string PayloadType = EvidenceBot.Evidence.Bundles.BundleWaiver.PayloadType;

    /// <summary>The file the entry came from.</summary>
    public string File { get; init; } = "";

    /// <summary>The 1-based line of the entry in <see cref="File"/>.</summary>
    public int Line { get; init; }

    /// <summary>The 1-based line of the <c>control</c> field, for errors about it.</summary>
    public int ControlLine { get; init; }

    /// <summary>Where the entry is, <c>file(line)</c>, for messages.</summary>
    public string Where => $"{File}({Line})";

    /// <summary>True once <paramref name="today"/> (UTC) is past the last day.</summary>
    public bool IsExpired(DateOnly today) => today > Expires;

    /// <summary>True when the waiver covers <paramref name="ruleId"/>'s finding on <paramref name="resource"/>.</summary>
    public bool Covers(string ruleId, string resource) =>
        string.Equals(RuleId, ruleId, StringComparison.OrdinalIgnoreCase) && (Resource is null || ResourceGlob.Matches(Resource, resource));

    /// <summary>
    /// The exact bytes an approver signs: compact JSON of every field in a fixed order (no <c>resource</c> when there
    /// is none). Derived from the YAML entry, so an edit to waivers.yaml after signing no longer matches the envelope.
    /// </summary>
    public byte[] Payload() => JsonBytes.Write(
        w =>
        {
            w.WriteStartObject();
            w.WriteString("id", Id);
            w.WriteString("rule", RuleId);
            if (Resource is not null)
                w.WriteString("resource", Resource);
            w.WriteString("control", Control);
            w.WriteString("justification", Justification);
            w.WriteString("approver", Approver);
            w.WriteString("created", Day(Created));
            w.WriteString("expires", Day(Expires));
            w.WriteEndObject();
        },
        indented: false,
        capacity: 512);

    /// <summary>A day as <c>YYYY-MM-DD</c>.</summary>
    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>A waiver whose envelope verified against a trusted key of its approver.</summary>
/// <param name="Waiver">The entry.</param>
/// <param name="Digest">Lowercase hex SHA-256 of the signed payload bytes.</param>
/// <param name="KeyId">The key that signed it.</param>
public sealed record SignedWaiver(Waiver Waiver, string Digest, string KeyId)
{
    /// <summary>The envelope's bytes as read (<c>waivers/&lt;id&gt;.dsse.json</c>); a bundle whose statements cite the waiver holds a copy.</summary>
    public byte[] Envelope { get; init; } = [];

    /// <summary>The approver's trusted public key that verified it (SPKI PEM); copied into the bundle beside the envelope.</summary>
    public string KeyPem { get; init; } = "";

    /// <summary>What a waived finding carries.</summary>
    public WaiverReference Reference => new(Waiver.Id, Digest, Waiver.Approver, Waiver.Expires);
}

/// <summary>
/// Waivers that cannot be used: invalid, unsigned, signed by an untrusted key, or changed after signing. The message
/// has one line per problem, each naming the file and line and what to do. A run given such a file does not start.
/// </summary>
public sealed class WaiverException(string message) : Exception(message);
