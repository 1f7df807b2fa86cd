using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace EvidenceBot.Evidence.Statements;

/// <summary>Dead Simple Signing Envelope: the pre-authentication encoding that is actually signed.</summary>
public static class Dsse
{
    private static readonly byte[] Prefix = "DSSEv1 "u8.ToArray();

    /// <summary>
    /// PAE(type, body) = <c>"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body</c>, where LEN is the length in bytes
    /// (the type's UTF-8 bytes) as ASCII decimal without leading zeros.
    /// </summary>
    public static byte[] Pae(string payloadType, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        var type = Encoding.UTF8.GetBytes(payloadType);
        var typeLen = Encoding.ASCII.GetBytes(type.Length.ToString(CultureInfo.InvariantCulture));
        var bodyLen = Encoding.ASCII.GetBytes(payload.Length.ToString(CultureInfo.InvariantCulture));
        var result = new byte[Prefix.Length + typeLen.Length + 1 + type.Length + 1 + bodyLen.Length + 1 + payload.Length];
        var span = result.AsSpan();
        Prefix.CopyTo(span);
        span = span[Prefix.Length..];
        typeLen.CopyTo(span);
        span[typeLen.Length] = (byte)' ';
        span = span[(typeLen.Length + 1)..];
        type.CopyTo(span);
        span[type.Length] = (byte)' ';
        span = span[(type.Length + 1)..];
        bodyLen.CopyTo(span);
        span[bodyLen.Length] = (byte)' ';
        span = span[(bodyLen.Length + 1)..];
        payload.CopyTo(span);
        return result;
    }
}

/// <summary>A DSSE envelope as JSON: the payload and its type, and signatures over their PAE.</summary>
/// <param name="Payload">The payload bytes, base64 (standard alphabet, padded).</param>
/// <param name="PayloadType">The payload's media type.</param>
/// <param name="Signatures">Signatures over <see cref="Dsse.Pae"/>; we write exactly one.</param>
public sealed record DsseEnvelope(
    [property: JsonPropertyName("payload")] string Payload,
    [property: JsonPropertyName("payloadType")] string PayloadType,
    [property: JsonPropertyName("signatures")] IReadOnlyList<DsseSignature> Signatures)
{
    /// <summary>The decoded payload bytes.</summary>
    public byte[] PayloadBytes() => Convert.FromBase64String(Payload);

    /// <summary>The bytes that were signed.</summary>
    public byte[] Pae() => Dsse.Pae(PayloadType, PayloadBytes());
}

/// <summary>One DSSE signature.</summary>
/// <param name="Sig">The DER-encoded ECDSA signature, base64.</param>
/// <param name="KeyId">The signing key's id (hex SHA-256 of its SPKI DER).</param>
public sealed record DsseSignature(
    [property: JsonPropertyName("sig")] string Sig,
    [property: JsonPropertyName("keyid")] string KeyId);
