using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using Octokit;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// Authenticates as a GitHub App: signs a short-lived RS256 JWT with the App's private key, exchanges it for an
/// installation token (<c>POST /app/installations/{id}/access_tokens</c>), finds the installation of an
/// organisation when none is configured (<c>GET /orgs/{org}/installation</c>), and mints a new token five
/// minutes before the old one expires. Every JWT and token is added to the redactor before it is used.
/// </summary>
internal sealed class GitHubAppTokens : IDisposable
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private readonly GitHubAppCredentials _app;
    private readonly RSA _key;
    private readonly TimeProvider _time;
    private readonly Redactor _redactor;
    private readonly Func<ICredentialStore, IGitHubClient> _clientFor;
    private readonly ConcurrentDictionary<string, Lazy<Task<AccessToken>>> _tokens = new(StringComparer.OrdinalIgnoreCase);

    public GitHubAppTokens(GitHubAppCredentials app, TimeProvider time, Redactor redactor, Func<ICredentialStore, IGitHubClient> clientFor)
    {
        _app = app;
        _time = time;
        _redactor = redactor;
        _clientFor = clientFor;
        _key = RSA.Create();
        try
        {
            _key.ImportFromPem(app.PrivateKeyPem);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException("the GitHub App private key is not a PEM RSA key (PKCS#1 'BEGIN RSA PRIVATE KEY' or PKCS#8 'BEGIN PRIVATE KEY')", ex);
        }
    }

    /// <summary>A credential store that always yields a valid installation token for <paramref name="organization"/>.</summary>
    public ICredentialStore For(string organization) => new Store(this, organization);

    /// <summary>The RS256 JWT GitHub asks an App to sign: issued a minute in the past against clock drift, valid nine minutes.</summary>
    public string Jwt()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var header = Base64Url("""{"alg":"RS256","typ":"JWT"}"""u8.ToArray());
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iat"] = now - 60,
            ["exp"] = now + 540,
            ["iss"] = _app.AppId.ToString(CultureInfo.InvariantCulture),
        }));
        var signingInput = header + "." + payload;
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var jwt = signingInput + "." + Base64Url(signature);
        _redactor.AddSecret(jwt);
        return jwt;
    }

    private async Task<Credentials> CredentialsAsync(string organization)
    {
        var lazy = _tokens.GetOrAdd(organization, org => new Lazy<Task<AccessToken>>(() => MintAsync(org)));
        var token = await Await(organization, lazy).ConfigureAwait(false);
        if (token.ExpiresAt - _time.GetUtcNow() > RefreshMargin)
            return new Credentials(token.Token, AuthenticationType.Bearer);

        // Close to expiry: mint once more (callers racing here share one new token). A new token is used whatever
        // its lifetime: GitHub decides that, and asking again would not change it.
        var fresh = new Lazy<Task<AccessToken>>(() => MintAsync(organization));
        var current = _tokens.TryUpdate(organization, fresh, lazy) ? fresh : _tokens.GetOrAdd(organization, fresh);
        token = await Await(organization, current).ConfigureAwait(false);
        return new Credentials(token.Token, AuthenticationType.Bearer);
    }

    private async Task<AccessToken> Await(string organization, Lazy<Task<AccessToken>> lazy)
    {
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            // A failed mint is not kept: the next caller tries again.
            _tokens.TryRemove(new KeyValuePair<string, Lazy<Task<AccessToken>>>(organization, lazy));
            throw;
        }
    }

    private async Task<AccessToken> MintAsync(string organization)
    {
        var client = _clientFor(new JwtStore(this));
        try
        {
            var installationId = _app.InstallationId
                ?? (await client.GitHubApps.GetOrganizationInstallationForCurrent(organization).ConfigureAwait(false)).Id;
            var token = await client.GitHubApps.CreateInstallationToken(installationId).ConfigureAwait(false);
            _redactor.AddSecret(token.Token);
            return token;
        }
        catch (ApiException ex)
        {
            throw new SourceFaultException("github", FaultKind.Permanent,
                $"GitHub App {_app.AppId}: could not get an installation token for organisation '{organization}' ({(int)ex.StatusCode}: {_redactor.Text(ex.Message)}); " +
                "check the App id and key, and that the App is installed on the organisation", ex);
        }
    }

    public void Dispose() => _key.Dispose();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed class Store(GitHubAppTokens owner, string organization) : ICredentialStore
    {
        public Task<Credentials> GetCredentials() => owner.CredentialsAsync(organization);
    }

    private sealed class JwtStore(GitHubAppTokens owner) : ICredentialStore
    {
        public Task<Credentials> GetCredentials() => Task.FromResult(new Credentials(owner.Jwt(), AuthenticationType.Bearer));
    }
}
