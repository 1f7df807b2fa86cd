using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using RequestFailedException = Azure.RequestFailedException;
using AccessToken = Azure.Core.AccessToken;
using TokenCredential = Azure.Core.TokenCredential;
using TokenRequestContext = Azure.Core.TokenRequestContext;
using Azure.Core.Pipeline;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace EvidenceBot.Evidence.Tests.Signing;

/// <summary>
/// Key Vault on loopback: a WireMock server that holds an EC P-256 key, answers <c>GET key</c> with its JWK and
/// <c>POST …/sign</c> with a P1363 ES256 signature, as the REST API does. The real Azure.Core pipeline runs,
/// with bearer-token auth; since that policy refuses plain http, the key URL stays https and the transport's
/// handler rewrites scheme, host and port to the fake.
/// </summary>
public sealed class KeyVaultSignerTests : IDisposable
{
    private const string KeyPath = "/keys/evidence-signing/0123456789abcdef";
    private static readonly Uri KeyId = new("https://contoso-vault.vault.azure.net" + KeyPath);

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly ECDsa _vaultKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ConcurrentQueue<(string Authorization, JsonNode Body)> _signRequests = new();
    private readonly FakeCredential _credential = new();

    /// <summary>What the fake's next signatures look like, to exercise the DER conversion with real answers.</summary>
    private Func<byte[], bool> _shape = _ => true;

    public KeyVaultSignerTests()
    {
        var p = _vaultKey.ExportParameters(false);
        _server.Given(Request.Create().WithPath(KeyPath).UsingGet().WithParam("api-version", "7.4")).AtPriority(10)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(JsonSerializer.Serialize(new
            {
                key = new
                {
                    kid = KeyId.AbsoluteUri,
                    kty = "EC",
                    key_ops = new[] { "sign", "verify" },
                    crv = "P-256",
                    x = KeyVaultSigner.Base64Url(p.Q.X),
                    y = KeyVaultSigner.Base64Url(p.Q.Y),
                },
                attributes = new { enabled = true },
            })));
        _server.Given(Request.Create().WithPath(KeyPath + "/sign").UsingPost().WithParam("api-version", "7.4")).AtPriority(10)
            .RespondWith(Response.Create().WithCallback(Sign));
    }

    private ResponseMessage Sign(IRequestMessage request)
    {
        var body = JsonNode.Parse(request.Body!)!;
        _signRequests.Enqueue((request.Headers!["Authorization"].ToString()!, body));
        var digest = KeyVaultSigner.FromBase64Url(body["value"]!.GetValue<string>());
        byte[] signature;
        do
        {
            signature = _vaultKey.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        while (!_shape(signature));
        return Json(200, new { kid = KeyId.AbsoluteUri, value = KeyVaultSigner.Base64Url(signature) });
    }

    private static ResponseMessage Json(int status, object body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { DetectedBodyType = BodyType.String, BodyAsString = JsonSerializer.Serialize(body) },
    };

    private KeyVaultSignerOptions Options()
    {
        var options = new KeyVaultSignerOptions { Transport = new HttpClientTransport(new LoopbackRedirect(new Uri(_server.Url!))) };
        options.Retry.MaxRetries = 0;
        return options;
    }

    [Fact]
    public async Task SignAsync_ThroughThePipeline_ReturnsDerThatVerifiesWithTheVaultKey()
    {
        using var signer = await KeyVaultSigner.CreateAsync(KeyId, _credential, Options());
        var data = "DSSEv1 28 application/vnd.in-toto+json 2 {}"u8.ToArray();

        var signature = await signer.SignAsync(data);

        Assert.True(EcdsaSignatureEncoding.IsStrictDer(signature, out var problem), problem);
        Assert.True(_vaultKey.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_vaultKey.ExportSubjectPublicKeyInfo())), signer.PublicKey.KeyId);
        var (authorization, body) = Assert.Single(_signRequests);
        Assert.Equal("Bearer fake-token", authorization);
        Assert.Equal("ES256", body["alg"]!.GetValue<string>());
        Assert.Equal(KeyVaultSigner.Base64Url(SHA256.HashData(data)), body["value"]!.GetValue<string>());
        Assert.Contains("https://vault.azure.net/.default", _credential.Scopes);
    }

    [Fact]
    public async Task SignAsync_VaultAnswersWithLeadingZeroR_ConvertsToMinimalDer()
    {
        _shape = sig => sig[0] == 0x00;
        using var signer = await KeyVaultSigner.CreateAsync(KeyId, _credential, Options());

        var signature = await signer.SignAsync("data"u8.ToArray());

        Assert.Equal(0x02, signature[2]);
        Assert.True(signature[3] <= 32, "r must be trimmed to at most 32 bytes");
        Assert.True(_vaultKey.VerifyData("data"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task SignAsync_VaultAnswersWithHighBitR_PadsWithZero()
    {
        _shape = sig => (sig[0] & 0x80) != 0;
        using var signer = await KeyVaultSigner.CreateAsync(KeyId, _credential, Options());

        var signature = await signer.SignAsync("data"u8.ToArray());

        Assert.Equal([0x02, 33, 0x00], signature[2..5]);
        Assert.True(_vaultKey.VerifyData("data"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task SignAsync_VaultForbidsSigning_FailsWithAPermissionHint()
    {
        _server.Given(Request.Create().WithPath(KeyPath + "/sign").UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(403).WithBody("{\"error\":{\"code\":\"Forbidden\"}}"));
        using var signer = await KeyVaultSigner.CreateAsync(KeyId, _credential, Options());

        var ex = await Assert.ThrowsAsync<RequestFailedException>(async () => await signer.SignAsync("x"u8.ToArray()));

        Assert.Equal(403, ex.Status);
        Assert.Contains("sign", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_VaultSignsWithAnotherKey_IsRefusedBeforeItReachesABundle()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _server.Given(Request.Create().WithPath(KeyPath + "/sign").UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithCallback(req =>
            {
                var digest = KeyVaultSigner.FromBase64Url(JsonNode.Parse(req.Body!)!["value"]!.GetValue<string>());
                return Json(200, new { kid = KeyId.AbsoluteUri, value = KeyVaultSigner.Base64Url(other.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)) });
            }));
        using var signer = await KeyVaultSigner.CreateAsync(KeyId, _credential, Options());

        await Assert.ThrowsAsync<CryptographicException>(async () => await signer.SignAsync("x"u8.ToArray()));
    }

    [Fact]
    public async Task CreateAsync_RsaKey_IsRefusedWithTheKeyType()
    {
        _server.Given(Request.Create().WithPath(KeyPath).UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"key\":{\"kid\":\"" + KeyId + "\",\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}"));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => KeyVaultSigner.CreateAsync(KeyId, _credential, Options()));

        Assert.Contains("P-256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_WithKeyVaultSigner_WritesABundleThatVerifies()
    {
        using var dir = new TempDir();
        using var signer = await KeyVaultSigner.CreateAsync(KeyId, _credential, Options());

        var written = await Fixtures.WriteAsync(dir, signer, rules: 5);
        var report = BundleVerifier.Verify(written.BundlePath, signer.PublicKey);

        Assert.True(report.Passed, string.Join("\n", report.Failures));
        Assert.Equal(6, _signRequests.Count); // five statements and the manifest
    }

    [Theory]
    [InlineData("https://contoso.vault.azure.net/keys/k/1", "https://vault.azure.net/.default")]
    [InlineData("https://contoso.vault.azure.cn/keys/k/1", "https://vault.azure.cn/.default")]
    [InlineData("https://contoso.managedhsm.azure.net/keys/k/1", "https://managedhsm.azure.net/.default")]
    public void ScopeFor_VaultHost_IsTheVaultsResourceScope(string keyId, string scope)
    {
        Assert.Equal(scope, KeyVaultSigner.ScopeFor(new Uri(keyId)));
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
        _vaultKey.Dispose();
    }

    private sealed class FakeCredential : TokenCredential
    {
        public ConcurrentBag<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var s in requestContext.Scopes)
                Scopes.Add(s);
            return new AccessToken("fake-token", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Sends https://*.vault.azure.net requests to the loopback fake, keeping path and query.</summary>
    private sealed class LoopbackRedirect(Uri fake) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = fake.Scheme, Host = fake.Host, Port = fake.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
