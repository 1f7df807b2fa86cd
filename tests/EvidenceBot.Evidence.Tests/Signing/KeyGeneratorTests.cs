using System.Security.Cryptography;
using EvidenceBot.Evidence.Signing;

namespace EvidenceBot.Evidence.Tests.Signing;

public sealed class KeyGeneratorTests
{
    [Fact]
    public async Task Generate_PlainKey_RoundTripsThroughPemAndSignsVerifiably()
    {
        var key = KeyGenerator.Generate();

        using var signer = LocalKeySigner.FromPem(key.PrivateKeyPem);
        var publicKey = EvidencePublicKey.FromPem(key.PublicKeyPem);
        var signature = await signer.SignAsync("payload"u8.ToArray());

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", key.PrivateKeyPem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", key.PublicKeyPem, StringComparison.Ordinal);
        Assert.Equal(key.KeyId, signer.PublicKey.KeyId);
        Assert.True(publicKey.Verify("payload"u8, signature, out var problem), problem);
    }

    [Fact]
    public void Generate_KeyId_IsHexSha256OfTheSpkiDer()
    {
        var key = KeyGenerator.Generate();
        using var ec = ECDsa.Create();
        ec.ImportFromPem(key.PublicKeyPem);

        var expected = Convert.ToHexStringLower(SHA256.HashData(ec.ExportSubjectPublicKeyInfo()));

        Assert.Equal(expected, key.KeyId);
        Assert.Matches("^[0-9a-f]{64}$", key.KeyId);
    }

    [Fact]
    public async Task Generate_WithPassphrase_WritesAnEncryptedKeyThatOpensOnlyWithIt()
    {
        var key = KeyGenerator.Generate("correct horse battery staple");

        using var signer = LocalKeySigner.FromPem(key.PrivateKeyPem, "correct horse battery staple");
        var signature = await signer.SignAsync("x"u8.ToArray());

        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", key.PrivateKeyPem, StringComparison.Ordinal);
        Assert.True(EvidencePublicKey.FromPem(key.PublicKeyPem).Verify("x"u8, signature, out _));
        var wrong = Assert.Throws<CryptographicException>(() => LocalKeySigner.FromPem(key.PrivateKeyPem, "wrong"));
        Assert.Contains("wrong passphrase", wrong.Message, StringComparison.Ordinal);
        var none = Assert.Throws<CryptographicException>(() => LocalKeySigner.FromPem(key.PrivateKeyPem));
        Assert.Contains("--passphrase-env", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteFiles_WritesPrivateKeyOwnerOnlyAndRefusesToOverwrite()
    {
        using var dir = new TempDir();

        var files = KeyGenerator.WriteFiles(dir.Path);

        Assert.True(File.Exists(files.PublicKeyPath));
        Assert.Equal(files.KeyId, EvidencePublicKey.FromPemFile(files.PublicKeyPath).KeyId);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.PrivateKeyPath));
        Assert.Throws<IOException>(() => KeyGenerator.WriteFiles(dir.Path));
    }

    [Fact]
    public void FromPem_PublicKeyGivenAsSigningKey_SaysSo()
    {
        var key = KeyGenerator.Generate();

        var ex = Assert.Throws<CryptographicException>(() => LocalKeySigner.FromPem(key.PublicKeyPem, where: "keys/public-key.pem"));

        Assert.Contains("keys/public-key.pem", ex.Message, StringComparison.Ordinal);
        Assert.Contains("public key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPem_P384Key_IsRefused()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Throws<CryptographicException>(() => LocalKeySigner.FromPem(ec.ExportPkcs8PrivateKeyPem()));
        Assert.Throws<CryptographicException>(() => EvidencePublicKey.FromPem(ec.ExportSubjectPublicKeyInfoPem()));
    }

    [Fact]
    public async Task SignAsync_ManyThreadsAtOnce_EverySignatureVerifies()
    {
        using var signer = LocalKeySigner.FromPem(Fixtures.Key.PrivateKeyPem);
        var data = Enumerable.Range(0, 400).Select(i => BitConverter.GetBytes(i)).ToArray();

        var signatures = await Task.WhenAll(data.Select(d => Task.Run(async () => await signer.SignAsync(d))));

        Assert.All(Enumerable.Range(0, data.Length), i => Assert.True(signer.PublicKey.Verify(data[i], signatures[i], out _)));
    }
}
