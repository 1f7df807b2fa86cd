using System.Security.Cryptography;

namespace EvidenceBot.Evidence.Signing;

/// <summary>
/// An ECDSA P-256 public key as SubjectPublicKeyInfo DER, and its key id: the lowercase hex SHA-256 of that DER
/// (also the Sigstore bundle's <c>verificationMaterial.publicKey.hint</c>).
/// </summary>
public sealed class EvidencePublicKey
{
    private readonly byte[] _spki;
    private readonly ThreadLocal<ECDsa> _verifier;

    private EvidencePublicKey(byte[] spki)
    {
        _spki = spki;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(spki));
        using (var probe = ECDsa.Create())
        {
            probe.ImportSubjectPublicKeyInfo(spki, out var read);
            if (read != spki.Length)
                throw new CryptographicException("trailing bytes after the SubjectPublicKeyInfo");
            var curve = probe.ExportParameters(false).Curve;
            if (probe.KeySize != 256 || !IsP256(curve))
                throw new CryptographicException($"the key is not ECDSA P-256 (key size {probe.KeySize}); EvidenceBot signs with P-256 only");
        }

        // One verifier per thread: verification runs in parallel and ECDsa instances are not documented thread-safe.
        _verifier = new ThreadLocal<ECDsa>(() =>
        {
            var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(_spki, out _);
            return key;
        });
    }

    /// <summary>Hex SHA-256 of the SPKI DER.</summary>
    public string KeyId { get; }

    /// <summary>The SubjectPublicKeyInfo DER bytes.</summary>
    public ReadOnlyMemory<byte> SpkiDer => _spki;

    /// <summary>Creates the key from SPKI DER; throws <see cref="CryptographicException"/> when it is not a P-256 key.</summary>
    public static EvidencePublicKey FromSpki(ReadOnlySpan<byte> spki) => new(spki.ToArray());

    /// <summary>Reads an SPKI PEM (<c>-----BEGIN PUBLIC KEY-----</c>); the message says what is wrong.</summary>
    public static EvidencePublicKey FromPem(string pem, string where = "public key")
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
            throw new CryptographicException($"{where}: this is a private key; give the public key (public-key.pem)");
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PUBLIC KEY")
            throw new CryptographicException($"{where}: no '-----BEGIN PUBLIC KEY-----' block (an SPKI PEM public key is expected)");
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        try
        {
            return new EvidencePublicKey(der);
        }
        catch (CryptographicException ex)
        {
            throw new CryptographicException($"{where}: {ex.Message}", ex);
        }
    }

    /// <summary>Reads an SPKI PEM file.</summary>
    public static EvidencePublicKey FromPemFile(string path) => FromPem(File.ReadAllText(path), path);

    /// <summary>The key as SPKI PEM.</summary>
    public string ToPem() => PemEncoding.WriteString("PUBLIC KEY", _spki) + "\n";

    /// <summary>
    /// True when <paramref name="derSignature"/> is a strict DER ECDSA signature over SHA-256(<paramref name="data"/>)
    /// by this key. A P1363 signature is rejected, with the reason in <paramref name="problem"/>.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> derSignature, out string? problem)
    {
        if (!EcdsaSignatureEncoding.IsStrictDer(derSignature, out problem))
            return false;
        if (!EcdsaSignatureEncoding.IsLowS(derSignature))
        {
            problem = "high-s signature (s > n/2): EvidenceBot writes only low-s signatures, so this one was altered (its twin (r, n-s) would verify too)";
            return false;
        }

        if (_verifier.Value!.VerifyData(data, derSignature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            return true;
        problem = "ECDSA signature does not match (content changed, or signed by another key)";
        return false;
    }

    private static bool IsP256(ECCurve curve) =>
        curve.IsNamed && (curve.Oid.Value == "1.2.840.10045.3.1.7" || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1");
}
