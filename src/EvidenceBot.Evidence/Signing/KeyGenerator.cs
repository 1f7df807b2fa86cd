using System.Security.Cryptography;

namespace EvidenceBot.Evidence.Signing;

/// <summary>A freshly generated signing key pair.</summary>
/// <param name="PrivateKeyPem">PKCS#8 PEM; <c>ENCRYPTED PRIVATE KEY</c> when a passphrase was given.</param>
/// <param name="PublicKeyPem">SPKI PEM.</param>
/// <param name="KeyId">Hex SHA-256 of the SPKI DER.</param>
public sealed record GeneratedKey(string PrivateKeyPem, string PublicKeyPem, string KeyId);

/// <summary>The files <see cref="KeyGenerator.WriteFiles"/> wrote.</summary>
/// <param name="PrivateKeyPath">The private key file (mode 0600 on Unix).</param>
/// <param name="PublicKeyPath">The public key file.</param>
/// <param name="KeyId">Hex SHA-256 of the SPKI DER.</param>
/// <param name="Encrypted">Whether the private key is passphrase-encrypted.</param>
public sealed record GeneratedKeyFiles(string PrivateKeyPath, string PublicKeyPath, string KeyId, bool Encrypted);

/// <summary>Generates ECDSA P-256 signing keys.</summary>
public static class KeyGenerator
{
    /// <summary>File name of the private key.</summary>
    public const string PrivateKeyFile = "signing-key.pem";

    /// <summary>File name of the public key.</summary>
    public const string PublicKeyFile = "public-key.pem";

    /// <summary>PBKDF2 iterations for an encrypted key (OWASP's figure for PBKDF2-HMAC-SHA256).</summary>
    public const int Pbkdf2Iterations = 600_000;

    /// <summary>Generates a key pair; encrypts the private key (PBES2, AES-256-CBC, PBKDF2-SHA256) when a passphrase is given.</summary>
    public static GeneratedKey Generate(string? passphrase = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privatePem = string.IsNullOrEmpty(passphrase)
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Pbkdf2Iterations));
        var publicKey = EvidencePublicKey.FromSpki(key.ExportSubjectPublicKeyInfo());
        return new GeneratedKey(privatePem + "\n", publicKey.ToPem(), publicKey.KeyId);
    }

    /// <summary>
    /// Generates a key pair into <paramref name="directory"/> as <see cref="PrivateKeyFile"/> and <see cref="PublicKeyFile"/>.
    /// Refuses to overwrite existing files unless <paramref name="overwrite"/>.
    /// </summary>
    public static GeneratedKeyFiles WriteFiles(string directory, string? passphrase = null, bool overwrite = false)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new IOException("--out: empty; give the folder to write signing-key.pem and public-key.pem into");
        Directory.CreateDirectory(directory);
        var privatePath = Path.Combine(directory, PrivateKeyFile);
        var publicPath = Path.Combine(directory, PublicKeyFile);
        foreach (var path in new[] { privatePath, publicPath })
        {
            if (!overwrite && File.Exists(path))
                throw new IOException($"{path} already exists; move it away or pass --force to replace it (the old key's bundles then need the old public key)");
        }

        var key = Generate(passphrase);
        // The private key is written to a new file that only its owner can read, then renamed into place: an existing
        // key file (perhaps readable by others) is replaced, never written through, and without --force a file that
        // appeared meanwhile is not overwritten.
        var temp = Path.Combine(directory, $".{PrivateKeyFile}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
                writer.Write(key.PrivateKeyPem);
            if (overwrite)
                File.Move(temp, privatePath, overwrite: true);
            else
                File.Move(temp, privatePath); // throws if one appeared since the check above
        }
        finally
        {
            File.Delete(temp); // no-op once moved
        }

        File.WriteAllText(publicPath, key.PublicKeyPem);
        return new GeneratedKeyFiles(privatePath, publicPath, key.KeyId, !string.IsNullOrEmpty(passphrase));
    }
}
