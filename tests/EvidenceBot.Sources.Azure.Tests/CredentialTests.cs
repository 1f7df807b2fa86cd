using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Azure.Tests.Fake;

namespace EvidenceBot.Sources.Azure.Tests;

/// <summary>The other credential types reach the loopback Entra token endpoint through the configured authority host.</summary>
public sealed class CredentialTests
{
    [Fact]
    public async Task ClientCertificate_PemWithKey_SignsAnAssertionAndReads()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.RequiredToken = FakeArm.Token;
        using var rsa = RSA.Create(2048);
        using var cert = new CertificateRequest("CN=evidencebot-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(TestSupport.Now.AddDays(-1), TestSupport.Now.AddYears(1));
        var pem = Path.Combine(Path.GetTempPath(), $"eb-cert-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(pem, cert.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem());
        try
        {
            using var session = TestSupport.Open(TestSupport.Options(fake) with { Credential = AzureCredentialKind.ClientCertificate, ClientSecret = null, CertificatePath = pem });

            var plans = await ((IAzureSource)session.ServicesFor(Estate.SubA)[typeof(IAzureSource)]).DefenderPlansAsync();

            Assert.NotEmpty(plans);
            Assert.Contains(fake.TokenRequests, b => b.Contains("client_assertion=", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public async Task WorkloadIdentity_FederatedTokenFile_ExchangesItAndReads()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.RequiredToken = FakeArm.Token;
        var tokenFile = Path.Combine(Path.GetTempPath(), $"eb-federated-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(tokenFile, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.");
        try
        {
            using var session = TestSupport.Open(TestSupport.Options(fake) with { Credential = AzureCredentialKind.WorkloadIdentity, ClientSecret = null, TokenFilePath = tokenFile });

            var plans = await ((IAzureSource)session.ServicesFor(Estate.SubA)[typeof(IAzureSource)]).DefenderPlansAsync();

            Assert.NotEmpty(plans);
            Assert.Contains(fake.TokenRequests, b => b.Contains("client_assertion=eyJhbGciOiJub25lIn0", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }
}
