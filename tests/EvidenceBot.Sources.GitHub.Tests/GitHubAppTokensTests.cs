using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.GitHub.Tests;

public sealed class GitHubAppTokensTests
{
    private static (string Pem, RSA Key) NewKey()
    {
        var rsa = RSA.Create(2048);
        return (rsa.ExportPkcs8PrivateKeyPem(), rsa);
    }

    [Fact]
    public async Task App_FindsInstallationMintsTokenAndUsesIt()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.RequiredToken = "never-a-static-token";
        var (pem, _) = NewKey();
        var sink = new ListSink();
        using var session = new GitHubSession(TestSupport.Options(fake, b =>
        {
            b.Token = null;
            b.App = new GitHubAppCredentials(12345, pem);
            b.Sink = sink;
        }), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var org = await session.Acme().OrganizationAsync();

        Assert.Equal("acme", org.GetProperty("login").GetString());
        var minted = Assert.Single(fake.MintedTokens);
        Assert.Contains("GET /orgs/acme/installation", fake.Requests);
        Assert.Contains("POST /app/installations/4242/access_tokens", fake.Requests);
        Assert.Contains(fake.Authorizations, a => a.EndsWith(minted, StringComparison.Ordinal));
        Assert.Empty(context.Faults);
        // Neither the installation token nor the JWT reaches evidence: token minting is never recorded, and both are redacted.
        var jwt = fake.Authorizations.First(a => a.Count(c => c == '.') == 2).Split(' ')[1];
        var files = sink.Items.Concat(context.Evidence).Select(e => Encoding.UTF8.GetString(e.ToFileBytes())).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, f =>
        {
            Assert.DoesNotContain(minted, f, StringComparison.Ordinal);
            Assert.DoesNotContain(jwt, f, StringComparison.Ordinal);
            Assert.DoesNotContain("access_tokens", f, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task App_Jwt_IsRs256SignedByTheAppKeyWithAppIdAsIssuer()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var (pem, key) = NewKey();
        var clock = new FakeTimeProvider(TestSupport.Now);
        fake.Now = clock.GetUtcNow;
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.Token = null; b.App = new GitHubAppCredentials(777, pem, 4242); }), clock);
        TestSupport.EnterContext();

        await session.Acme().OrganizationAsync();

        var jwt = fake.Authorizations.First(a => a.Count(c => c == '.') == 2).Split(' ')[1];
        var parts = jwt.Split('.');
        static byte[] B64(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), B64(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        using var header = JsonDocument.Parse(B64(parts[0]));
        using var payload = JsonDocument.Parse(B64(parts[1]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("777", payload.RootElement.GetProperty("iss").GetString());
        Assert.True(payload.RootElement.GetProperty("exp").GetInt64() - TestSupport.Now.ToUnixTimeSeconds() <= 600);
        Assert.DoesNotContain("GET /orgs/acme/installation", fake.Requests); // the configured installation is used
    }

    [Fact]
    public async Task App_TokenNearExpiry_IsRefreshedBeforeUse()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var (pem, _) = NewKey();
        var clock = new FakeTimeProvider(TestSupport.Now);
        fake.Now = clock.GetUtcNow;
        fake.TokenLifetime = TimeSpan.FromMinutes(60);
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.Token = null; b.App = new GitHubAppCredentials(1, pem, 4242); }), clock);
        TestSupport.EnterContext();

        await session.Acme().OrganizationAsync();
        clock.Advance(TimeSpan.FromMinutes(30));
        await session.Acme().WorkflowPermissionsAsync();
        clock.Advance(TimeSpan.FromMinutes(26)); // 4 minutes left: inside the refresh margin
        await session.Acme().RepositoriesAsync();

        Assert.Equal(2, fake.MintedTokens.Count);
        Assert.EndsWith(fake.MintedTokens.Last(), fake.Authorizations.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task App_NotInstalledOnOrganisation_IsPermanentError()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var (pem, _) = NewKey();
        using var session = new GitHubSession(TestSupport.Options(fake, b => { b.Token = null; b.App = new GitHubAppCredentials(1, pem, 999); }), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().OrganizationAsync());

        Assert.Equal(FaultKind.Permanent, ex.Kind);
        Assert.Contains("installation token", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(context.Faults);
    }
}
