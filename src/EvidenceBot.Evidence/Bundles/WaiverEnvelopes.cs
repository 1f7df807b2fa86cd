using System.Globalization;
using System.Text.Json;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>
/// What an approver signed: a waiver as the payload of its DSSE envelope (the fields of its <c>waivers.yaml</c> entry).
/// </summary>
/// <param name="Id">The waiver's id.</param>
/// <param name="Rule">The rule whose failures it accepts.</param>
/// <param name="Resource">A glob over the finding's resource; null for every resource.</param>
/// <param name="Control">The control.</param>
/// <param name="Justification">Why the risk is accepted.</param>
/// <param name="Approver">Who accepts it.</param>
/// <param name="Created">The day it was approved.</param>
/// <param name="Expires">The last day (UTC) it applies.</param>
public sealed record WaiverPayload(string Id, string Rule, string? Resource, string Control, string Justification, string Approver, DateOnly Created, DateOnly Expires);

/// <summary>A waiver envelope as read: its envelope, payload bytes and waiver, or what is wrong with it and where.</summary>
/// <param name="Envelope">The envelope; null when <see cref="Problem"/> is set.</param>
/// <param name="Payload">The signed payload bytes; null when <see cref="Problem"/> is set.</param>
/// <param name="Waiver">The waiver the payload holds; null when <see cref="Problem"/> is set.</param>
/// <param name="Problem">Why it is not a signed waiver, or null.</param>
/// <param name="Field">The field the problem is in, when narrower than the file.</param>
public sealed record WaiverEnvelopeRead(DsseEnvelope? Envelope, byte[]? Payload, WaiverPayload? Waiver, string? Problem = null, string? Field = null)
{
    /// <summary>Lowercase hex SHA-256 of the payload: what a waived finding cites as the waiver's digest.</summary>
    public string Digest => Payload is null ? "" : EvidenceBundleWriter.Sha256Hex(Payload);
}

/// <summary>
/// Reads the waiver envelopes a bundle holds (<c>waivers/&lt;id&gt;.dsse.json</c>), one way for <c>verify</c> and for
/// <c>verify --replay</c>, so what one accepts the other reads alike.
/// </summary>
public static class WaiverEnvelopes
{
    /// <summary>
    /// Reads an envelope that must be a DSSE envelope of <see cref="BundleWaiver.PayloadType"/> whose payload is a waiver
    /// with every field of <c>waivers.yaml</c> (<c>resource</c> optional, days as YYYY-MM-DD) and the id
    /// <paramref name="expectedId"/>. Signatures are not checked here.
    /// </summary>
    public static WaiverEnvelopeRead Read(byte[] bytes, string expectedId)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        DsseEnvelope envelope;
        byte[] payload;
        try
        {
            envelope = JsonSerializer.Deserialize<DsseEnvelope>(bytes) ?? throw new JsonException("null");
            if (envelope.Payload is null || envelope.PayloadType is null || envelope.Signatures is null || envelope.Signatures.Any(s => s?.Sig is null || s.KeyId is null))
                throw new JsonException("payload, payloadType and signatures (each with sig and keyid) are required");
            payload = envelope.PayloadBytes();
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return Bad($"not a signed waiver: {ex.Message}");
        }

        if (envelope.PayloadType != BundleWaiver.PayloadType)
            return Bad($"payloadType is '{envelope.PayloadType}', expected '{BundleWaiver.PayloadType}'", "payloadType");

        WaiverPayload waiver;
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var w = doc.RootElement;
            if (w.ValueKind != JsonValueKind.Object)
                return Bad("the payload is not a JSON object", "payload");
            string Text(string name) =>
                w.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
                    ? s : throw new FormatException($"payload.{name}: a non-empty string is required");
            DateOnly Day(string name) =>
                DateOnly.TryParseExact(Text(name), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                    ? d : throw new FormatException($"payload.{name}: a YYYY-MM-DD day is required");
            string? resource = null;
            if (w.TryGetProperty("resource", out _))
                resource = Text("resource");
            waiver = new WaiverPayload(Text("id"), Text("rule"), resource, Text("control"), Text("justification"), Text("approver"), Day("created"), Day("expires"));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return Bad($"not a waiver: {ex.Message}", "payload");
        }

        if (waiver.Id != expectedId)
            return Bad($"the signed waiver's id is '{waiver.Id}', but the file is named for '{expectedId}'", "payload.id");
        return new WaiverEnvelopeRead(envelope, payload, waiver);
    }

    private static WaiverEnvelopeRead Bad(string problem, string? field = null) => new(null, null, null, problem, field);
}
