using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace EvidenceBot.Evidence.Signing;

/// <summary>Signs with an ECDSA P-256 private key read from a PKCS#8 PEM file, optionally passphrase-encrypted.</summary>
public sealed class LocalKeySigner : IEvidenceSigner, IDisposable
{
    private readonly ECParameters _parameters;
    private readonly ConcurrentBag<ECDsa> _pool = [];
    private bool _disposed;

    private LocalKeySigner(ECDsa key)
    {
        _parameters = key.ExportParameters(true);
        PublicKey = EvidencePublicKey.FromSpki(key.ExportSubjectPublicKeyInfo());
        _pool.Add(key);
    }

    /// <inheritdoc />
    public EvidencePublicKey PublicKey { get; }

    /// <summary>
    /// Reads a PKCS#8 PEM private key. An encrypted key (<c>ENCRYPTED PRIVATE KEY</c>) needs
    /// <paramref name="passphrase"/>. Messages name <paramref name="where"/> and say what to do.
    /// </summary>
    public static LocalKeySigner FromPem(string pem, string? passphrase = null, string where = "signing key")
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields))
            throw new CryptographicException($"{where}: no PEM block found; a PKCS#8 private key ('-----BEGIN PRIVATE KEY-----') is expected ('evidencebot keys generate' makes one)");
        var label = pem[fields.Label];
        var key = ECDsa.Create();
        try
        {
            switch (label)
            {
                case "ENCRYPTED PRIVATE KEY":
                    if (string.IsNullOrEmpty(passphrase))
                        throw new CryptographicException($"{where}: the key is encrypted; give its passphrase (--passphrase-env VAR or signing.passphraseEnv)");
                    try
                    {
                        key.ImportFromEncryptedPem(pem, passphrase);
                    }
                    catch (CryptographicException ex)
                    {
                        throw new CryptographicException($"{where}: could not decrypt the key: wrong passphrase, or the file is damaged", ex);
                    }

                    break;
                case "PRIVATE KEY":
                    key.ImportFromPem(pem);
                    break;
                case "PUBLIC KEY":
                    throw new CryptographicException($"{where}: this is a public key; signing needs the private key file");
                default:
                    throw new CryptographicException($"{where}: PEM block '{label}' is not a PKCS#8 private key ('PRIVATE KEY' or 'ENCRYPTED PRIVATE KEY')");
            }

            if (key.KeySize != 256)
                throw new CryptographicException($"{where}: the key is ECDSA with {key.KeySize}-bit size; P-256 is required");
            return new LocalKeySigner(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Reads a PKCS#8 PEM private key file.</summary>
    public static LocalKeySigner FromPemFile(string path, string? passphrase = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: signing key file not found ('evidencebot keys generate --out DIR' makes one)", path);
        return FromPem(File.ReadAllText(path), passphrase, path);
    }

    /// <inheritdoc />
    public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        // A pool of key instances: signing may run on several threads at once.
        if (!_pool.TryTake(out var key))
            key = ECDsa.Create(_parameters);
        try
        {
            // Low s, the one form verify accepts: the twin (r, n − s) would verify too, and so could be forged from this one.
            var p1363 = key.SignData(data.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            return ValueTask.FromResult(EcdsaSignatureEncoding.P1363ToDer(EcdsaSignatureEncoding.ToLowS(p1363)));
        }
        finally
        {
            _pool.Add(key);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        while (_pool.TryTake(out var key))
            key.Dispose();
        if (_parameters.D is { } d)
            CryptographicOperations.ZeroMemory(d);
    }
}
