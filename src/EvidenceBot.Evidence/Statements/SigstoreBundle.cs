using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceBot.Evidence.Statements;

/// <summary>
/// A Sigstore bundle v0.3 (protobuf-specs JSON) holding one DSSE envelope signed with a public key identified by
/// its hint, and no transparency-log entries or timestamps: what <c>@sigstore/verify</c> and
/// <c>cosign verify-blob-attestation --key … --insecure-ignore-tlog</c> verify offline.
/// </summary>
public sealed record SigstoreBundle
{
    /// <summary>The media type of a v0.3 bundle.</summary>
    public const string MediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>Always <see cref="MediaTypeV03"/> when written by us.</summary>
    [JsonPropertyName("mediaType")] public string MediaType { get; init; } = MediaTypeV03;

    /// <summary>How to find the key, and (empty) log entries.</summary>
    [JsonPropertyName("verificationMaterial")] public required SigstoreVerificationMaterial VerificationMaterial { get; init; }

    /// <summary>The signed envelope.</summary>
    [JsonPropertyName("dsseEnvelope")] public required DsseEnvelope DsseEnvelope { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = StatementJsonContext.Default,
    };

    /// <summary>Wraps a signed envelope; <paramref name="keyHint"/> is the key id (hex SHA-256 of the SPKI DER).</summary>
    public static SigstoreBundle For(DsseEnvelope envelope, string keyHint) => new()
    {
        VerificationMaterial = new SigstoreVerificationMaterial(new SigstorePublicKeyIdentifier(keyHint), []),
        DsseEnvelope = envelope,
    };

    /// <summary>The bundle's JSON bytes (write them to a file ending in <c>.sigstore.json</c>).</summary>
    public byte[] ToJsonBytes() => StatementWriter.Write(this);

    /// <summary>Reads a bundle; the message names the file and the field that is wrong.</summary>
    public static SigstoreBundle Parse(ReadOnlySpan<byte> bytes, string where)
    {
        SigstoreBundle? bundle;
        try
        {
            bundle = JsonSerializer.Deserialize<SigstoreBundle>(bytes, Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{where}: not a Sigstore bundle ({ex.Message})", ex);
        }

        if (bundle is null)
            throw new InvalidDataException($"{where}: empty file");
        if (bundle.MediaType != MediaTypeV03)
            throw new InvalidDataException($"{where}: mediaType is '{bundle.MediaType}', expected '{MediaTypeV03}'");
        if (bundle.VerificationMaterial?.PublicKey?.Hint is not { Length: > 0 })
            throw new InvalidDataException($"{where}: verificationMaterial.publicKey.hint is missing");
        if (bundle.DsseEnvelope is null || string.IsNullOrEmpty(bundle.DsseEnvelope.Payload) || string.IsNullOrEmpty(bundle.DsseEnvelope.PayloadType))
            throw new InvalidDataException($"{where}: dsseEnvelope.payload / payloadType is missing");
        if (bundle.DsseEnvelope.Signatures is not { Count: 1 })
            throw new InvalidDataException($"{where}: dsseEnvelope.signatures must hold exactly one signature, found {bundle.DsseEnvelope.Signatures?.Count ?? 0}");
        if (bundle.DsseEnvelope.Signatures[0] is not { Sig: { Length: > 0 } })
            throw new InvalidDataException($"{where}: dsseEnvelope.signatures[0].sig is missing, null or empty");
        if (bundle.VerificationMaterial.TlogEntries is { Count: > 0 })
            throw new InvalidDataException($"{where}: verificationMaterial.tlogEntries holds {bundle.VerificationMaterial.TlogEntries.Count} entr(ies): EvidenceBot writes none and cannot verify them, so they were added after signing");
        // Only the exact bytes EvidenceBot writes: no field, note or formatting may ride along unsigned in a verified bundle.
        if (!bytes.SequenceEqual(bundle.ToJsonBytes()))
            throw new InvalidDataException($"{where}: not in the exact form EvidenceBot writes (fields reordered or reformatted, or a field it does not write, e.g. an added note): the file was edited after signing");
        return bundle;
    }
}

/// <summary><c>verificationMaterial</c> of a bundle signed with a plain public key.</summary>
/// <param name="PublicKey">The key hint.</param>
/// <param name="TlogEntries">Transparency-log entries; always empty here.</param>
public sealed record SigstoreVerificationMaterial(
    [property: JsonPropertyName("publicKey")] SigstorePublicKeyIdentifier PublicKey,
    [property: JsonPropertyName("tlogEntries")] IReadOnlyList<JsonElement> TlogEntries);

/// <summary><c>verificationMaterial.publicKey</c>.</summary>
/// <param name="Hint">Hex SHA-256 of the SPKI DER of the signing key.</param>
public sealed record SigstorePublicKeyIdentifier([property: JsonPropertyName("hint")] string Hint);
