using System.Security.Cryptography;

namespace EvidenceBot.Evidence.Signing;

/// <summary>
/// Signs evidence with ECDSA P-256 over SHA-256. Implementations: <see cref="LocalKeySigner"/> (a PKCS#8 PEM key)
/// and <see cref="KeyVaultSigner"/> (Azure Key Vault's <c>sign</c> operation).
/// </summary>
public interface IEvidenceSigner
{
    /// <summary>The public half of the signing key, with its key id.</summary>
    EvidencePublicKey PublicKey { get; }

    /// <summary>
    /// Signs <paramref name="data"/> (a DSSE PAE) with SHA-256 and returns the signature DER-encoded
    /// (<see cref="DSASignatureFormat.Rfc3279DerSequence"/>), the encoding Sigstore tools expect.
    /// Safe to call concurrently.
    /// </summary>
    ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
}
