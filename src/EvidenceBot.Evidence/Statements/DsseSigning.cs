using EvidenceBot.Evidence.Signing;

namespace EvidenceBot.Evidence.Statements;

/// <summary>Signs payloads into DSSE envelopes wrapped as Sigstore bundles.</summary>
public static class DsseSigning
{
    /// <summary>
    /// Signs the exact <paramref name="payload"/> bytes (PAE over them, once) and returns the Sigstore bundle.
    /// The signature is checked to be strict DER before it is used.
    /// </summary>
    public static async Task<SigstoreBundle> SignAsync(IEvidenceSigner signer, string payloadType, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var pae = Dsse.Pae(payloadType, payload.Span);
        var signature = await signer.SignAsync(pae, cancellationToken).ConfigureAwait(false);
        if (!EcdsaSignatureEncoding.IsStrictDer(signature, out var problem))
            throw new InvalidOperationException($"the signer returned a signature that is not DER: {problem}");
        var keyId = signer.PublicKey.KeyId;
        var envelope = new DsseEnvelope(Convert.ToBase64String(payload.Span), payloadType, [new DsseSignature(Convert.ToBase64String(signature), keyId)]);
        return SigstoreBundle.For(envelope, keyId);
    }
}
