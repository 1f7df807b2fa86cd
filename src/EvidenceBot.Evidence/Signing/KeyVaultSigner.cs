using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace EvidenceBot.Evidence.Signing;

/// <summary>Pipeline options of <see cref="KeyVaultSigner"/>: transport, retries, diagnostics.</summary>
public sealed class KeyVaultSignerOptions : ClientOptions
{
    /// <summary>The Key Vault REST api-version used for <c>GET key</c> and <c>sign</c>.</summary>
    public string ApiVersion { get; set; } = "7.4";

    /// <summary>How many sign requests may be in flight at once.</summary>
    public int MaxConcurrentRequests { get; set; } = 8;
}

/// <summary>
/// Signs with an EC P-256 key held in Azure Key Vault (or Managed HSM) through its REST <c>sign</c> operation
/// (<c>POST {keyId}/sign</c>, alg ES256, SHA-256 digest), over the Azure.Core pipeline with bearer-token auth.
/// Key Vault answers in IEEE P1363 (<c>r||s</c>); the signature is converted to DER.
/// </summary>
public sealed class KeyVaultSigner : IEvidenceSigner, IDisposable
{
    private readonly HttpPipeline _pipeline;
    private readonly Uri _signUri;
    private readonly SemaphoreSlim _gate;

    private KeyVaultSigner(HttpPipeline pipeline, Uri versionedKeyId, string apiVersion, EvidencePublicKey publicKey, int maxConcurrent)
    {
        _pipeline = pipeline;
        KeyUri = versionedKeyId;
        _signUri = new Uri($"{versionedKeyId.AbsoluteUri.TrimEnd('/')}/sign?api-version={Uri.EscapeDataString(apiVersion)}");
        PublicKey = publicKey;
        _gate = new SemaphoreSlim(Math.Max(1, maxConcurrent));
    }

    /// <inheritdoc />
    public EvidencePublicKey PublicKey { get; }

    /// <summary>The versioned key id signatures are made with.</summary>
    public Uri KeyUri { get; }

    /// <summary>
    /// Connects to the key: reads its public half (<c>GET {keyId}</c>) so bundles carry it, and pins the key version
    /// Key Vault reports, so a key rotated mid-run cannot sign half the statements.
    /// </summary>
    /// <param name="keyId"><c>https://VAULT.vault.azure.net/keys/NAME[/VERSION]</c>.</param>
    /// <param name="credential">The identity; e.g. <c>DefaultAzureCredential</c>. It needs the key's <c>get</c> and <c>sign</c> permissions.</param>
    /// <param name="options">Transport and retry settings; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public static async Task<KeyVaultSigner> CreateAsync(Uri keyId, TokenCredential credential, KeyVaultSignerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(credential);
        if (keyId.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"{keyId}: a Key Vault key id is an https URL, e.g. https://VAULT.vault.azure.net/keys/NAME/VERSION", nameof(keyId));
        var segments = keyId.AbsolutePath.Trim('/').Split('/');
        if (segments.Length is < 2 or > 3 || segments[0] != "keys")
            throw new ArgumentException($"{keyId}: expected https://VAULT.vault.azure.net/keys/NAME[/VERSION]", nameof(keyId));

        options ??= new KeyVaultSignerOptions();
        var pipeline = HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(credential, ScopeFor(keyId)));

        using var message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(new Uri($"{keyId.AbsoluteUri.TrimEnd('/')}?api-version={Uri.EscapeDataString(options.ApiVersion)}"));
        message.Request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.IsError)
            throw Failure("read the key", keyId, response);

        var (versioned, publicKey) = ParseKey(response.Content.ToMemory(), keyId);
        return new KeyVaultSigner(pipeline, versioned, options.ApiVersion, publicKey, options.MaxConcurrentRequests);
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var digest = SHA256.HashData(data.Span);
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["alg"] = "ES256",
            ["value"] = Base64Url(digest),
        });

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var message = _pipeline.CreateMessage();
            message.Request.Method = RequestMethod.Post;
            message.Request.Uri.Reset(_signUri);
            message.Request.Headers.Add(HttpHeader.Names.ContentType, "application/json");
            message.Request.Headers.Add(HttpHeader.Names.Accept, "application/json");
            message.Request.Content = RequestContent.Create(body);
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            var response = message.Response;
            if (response.IsError)
                throw Failure("sign", KeyUri, response);

            using var json = JsonDocument.Parse(response.Content.ToMemory());
            if (!json.RootElement.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"Key Vault sign ({KeyUri}): the answer has no 'value'");
            var p1363 = FromBase64Url(value.GetString()!);
            if (p1363.Length != 64)
                throw new InvalidDataException($"Key Vault sign ({KeyUri}): expected a 64-byte ES256 signature, got {p1363.Length} bytes");
            var der = EcdsaSignatureEncoding.P1363ToDer(EcdsaSignatureEncoding.ToLowS(p1363));
            // A signature we cannot verify ourselves must never reach a bundle.
            if (!PublicKey.Verify(data.Span, der, out var problem))
                throw new CryptographicException($"Key Vault sign ({KeyUri}): the returned signature does not verify with the key's public half: {problem}");
            return der;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <summary>The token scope of a vault: <c>https://vault.azure.net/.default</c> for public-cloud vaults, and the sovereign suffixes alike.</summary>
    internal static string ScopeFor(Uri keyId)
    {
        var host = keyId.Host;
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        var suffix = dot > 0 ? host[(dot + 1)..] : "vault.azure.net";
        return $"https://{suffix}/.default";
    }

    private static (Uri Versioned, EvidencePublicKey Key) ParseKey(ReadOnlyMemory<byte> body, Uri keyId)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var jwk = json.RootElement.GetProperty("key");
            var kty = jwk.GetProperty("kty").GetString();
            var crv = jwk.TryGetProperty("crv", out var c) ? c.GetString() : null;
            if (kty is not ("EC" or "EC-HSM") || crv != "P-256")
                throw new InvalidDataException($"{keyId}: the key is {kty} {crv}; EvidenceBot needs an EC P-256 key (ES256)");
            var parameters = new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint
                {
                    X = FromBase64Url(jwk.GetProperty("x").GetString()!),
                    Y = FromBase64Url(jwk.GetProperty("y").GetString()!),
                },
            };
            using var ec = ECDsa.Create(parameters);
            var publicKey = EvidencePublicKey.FromSpki(ec.ExportSubjectPublicKeyInfo());
            var kid = jwk.TryGetProperty("kid", out var k) && k.GetString() is { Length: > 0 } s ? new Uri(s) : keyId;
            // Sign with the same host we were given (the kid may name the vault differently, e.g. behind a private endpoint).
            var versioned = new UriBuilder(keyId) { Path = kid.AbsolutePath, Query = "" }.Uri;
            return (versioned, publicKey);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            throw new InvalidDataException($"{keyId}: Key Vault's answer is not an EC JSON Web Key ({ex.Message})", ex);
        }
    }

    private static RequestFailedException Failure(string what, Uri keyId, Response response)
    {
        var hint = response.Status switch
        {
            401 => " (not authenticated: check the credential)",
            403 => " (forbidden: the identity needs the key's 'get' and 'sign' permissions, e.g. the 'Key Vault Crypto User' role)",
            404 => " (no such key or version)",
            _ => "",
        };
        return new RequestFailedException(response.Status, $"Key Vault could not {what} for {keyId}: {response.Status} {response.ReasonPhrase}{hint}");
    }

    internal static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        return Convert.FromBase64String(s);
    }
}
