using System.Net;
using System.Text;
using EvidenceBot.Cli;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.GitHub.Http;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using EvidenceBot.Sources.GitHub.Tests.Rules;
using EvidenceBot.Sources.Http.Tests;
using Microsoft.Extensions.Time.Testing;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>The defects an independent fault-injection probe found in the GitHub source (issue 12), each pinned by a test.</summary>
public sealed class ProbeDefectTests
{
    [Fact]
    public async Task Repositories_NextLinkToAnotherPort_IsFaultAndThatPortNeverGetsTheToken()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        using var foreign = FakeGitHub.Start();
        TestSupport.SimpleOrg(foreign);
        var next = $"{foreign.BaseUrl}orgs/acme/repos?per_page=100&page=2";
        fake.Script("/orgs/acme/repos", new FakeAnswer(200, "[]", new Dictionary<string, string> { ["Link"] = $"<{next}>; rel=\"next\"" }));
        using var session = new GitHubSession(TestSupport.Options(fake), TimeProvider.System);
        var context = TestSupport.EnterContext();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().RepositoriesAsync());

        Assert.Equal(FaultKind.Permanent, ex.Kind);
        Assert.Contains("refused to send a request to " + foreign.BaseUrl.GetLeftPart(UriPartial.Authority), ex.Message, StringComparison.Ordinal);
        Assert.Empty(foreign.Requests);
        Assert.Empty(foreign.Authorizations);
        Assert.NotEmpty(context.Faults);
    }

    [Fact]
    public async Task OctokitHttpClient_OctokitsOwnHundredSecondTimeout_IsTurnedOff()
    {
        using var client = new OctokitHttpClient(() => new AnswerHandler(HttpStatusCode.OK));
        var request = new Request { BaseAddress = new Uri("http://127.0.0.1/"), Endpoint = new Uri("orgs/acme", UriKind.Relative), Method = HttpMethod.Get };
        Assert.Equal(TimeSpan.FromSeconds(100), request.Timeout); // Octokit's default, which its adapter turns into a cancellation

        await client.Send(request, CancellationToken.None);

        Assert.Equal(TimeSpan.Zero, request.Timeout);
    }

    [Fact]
    public async Task Organization_AnswersTakeFortySeconds_GetsEveryConfiguredAttemptAndReadsAsATimeout()
    {
        var clock = new FakeTimeProvider(TestSupport.Now);
        var attempts = 0;
        var transport = new AnswerHandler(HttpStatusCode.OK, async ct =>
        {
            Interlocked.Increment(ref attempts);
            await Task.Delay(TimeSpan.FromSeconds(40), clock, ct);
        });
        using var session = new GitHubSession(new GitHubSourceOptions
        {
            BaseUrl = new Uri("https://api.github.com/"),
            Token = TestSupport.Token,
            Organizations = ["acme"],
            Transport = transport,
            MaxRetries = 4,
            AttemptTimeout = TimeSpan.FromSeconds(30),
            RetryBaseDelay = TimeSpan.FromSeconds(1),
        }, clock);
        TestSupport.EnterContext(time: clock);

        var ex = await TestSupport.WhileClockRuns(clock, () => Assert.ThrowsAsync<SourceFaultException>(() => session.Acme().OrganizationAsync()), TimeSpan.FromSeconds(2));

        Assert.Equal(5, attempts);
        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Contains("no answer to GET /orgs/acme within 30s, still after the retries", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("canceled", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Organization_SixtySecondSecondaryLimits_GetEveryConfiguredAttempt()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        var limited = new FakeAnswer(403, """{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}""",
            new Dictionary<string, string> { ["Retry-After"] = "60" });
        fake.Script("/orgs/acme", limited, limited, limited, limited);
        var clock = new FakeTimeProvider(TestSupport.Now);
        // Attempt timeouts run on the injected clock, which races ahead of a real loopback answer here: no attempt timeout.
        using var session = new GitHubSession(TestSupport.Options(fake, b =>
        {
            b.MaxRetries = 4;
            b.MaxRateLimitWait = TimeSpan.FromSeconds(60);
            b.AttemptTimeout = Timeout.InfiniteTimeSpan;
        }), clock);
        var context = TestSupport.EnterContext(time: clock);

        var org = await TestSupport.WhileClockRuns(clock, () => session.Acme().OrganizationAsync(), TimeSpan.FromSeconds(5));

        Assert.Equal("acme", org.GetProperty("login").GetString());
        Assert.Equal(5, fake.Requests.Count(r => r == "GET /orgs/acme"));
        Assert.Equal(4, session.Retries);
        Assert.Empty(context.Faults);
        Assert.True(clock.GetUtcNow() - TestSupport.Now >= TimeSpan.FromSeconds(240));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("process")] // the exchanges come back from a worker process: what the host writes must still be redacted
    public async Task Run_TokenAndSecretsEchoedRawEscapedAndEncoded_AppearInNoFileTheRunWrites(string isolate)
    {
        const string token = "ghp_canaryToken-0123456789/abcdef+XYZ";
        const string secret = "canary-webhook-secret/value+1";
        var tokenEnv = "EB_CANARY_TOKEN_" + Guid.NewGuid().ToString("N")[..8];
        var secretEnv = "EB_CANARY_SECRET_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(tokenEnv, token);
        Environment.SetEnvironmentVariable(secretEnv, secret);
        using var fake = FakeGitHub.Start();
        Estates.Compliant(fake);
        fake.RequiredToken = token;
        var echoes = string.Join(",", SecretSweep.Encodings(token).Concat(SecretSweep.Encodings(secret)).Distinct().Select((f, i) => $"\"echo{i}\":\"{f}\""));
        fake.Always("/orgs/acme/actions/permissions/workflow", new FakeAnswer(200,
            $$"""{"default_workflow_permissions":"read","can_approve_pull_request_reviews":false,{{echoes}}}""",
            new Dictionary<string, string> { ["X-Echo-Token"] = token, ["X-Echo-Secret"] = Uri.EscapeDataString(secret), ["Link"] = $"<{fake.BaseUrl}x?t={Uri.EscapeDataString(token)}>; rel=\"help\"" }));
        using var dir = new TempDir();
        var config = Path.Combine(dir.Path, "evidencebot.json");
        var root = RuleHarness.RepositoryRoot();
        File.WriteAllText(config, $$"""
            {
              "rules": "{{Path.Combine(root, "rules", "github").Replace("\\", "/", StringComparison.Ordinal)}}",
              "out": "out",
              "secrets": ["{{secretEnv}}"],
              "github": { "baseUrl": "{{fake.BaseUrl}}", "tokenEnv": "{{tokenEnv}}", "organizations": ["acme"], "etagCache": "etag" },
              "signing": { "key": "{{Path.Combine(root, "examples", "demo", "keys", "signing-key.pem").Replace("\\", "/", StringComparison.Ordinal)}}" }
            }
            """);

        try
        {
            // Twice: the second run answers from the ETag cache (304), so what the cache holds reaches the bundle too.
            for (var run = 0; run < 2; run++)
            {
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                var exit = await CliApp.RunAsync(["run", "--config", config, "--cache-dir", Path.Combine(dir.Path, "rule-cache"), "--isolate", isolate], stdout, stderr, TimeProvider.System);
                Assert.True(exit is ExitCodes.Ok or ExitCodes.ControlsFailed, stdout.ToString() + stderr);
                Assert.True((stdout.ToString() + stderr).Contains("(in the worker process)", StringComparison.Ordinal) == (isolate == "process"), stdout.ToString() + stderr);
                var found = SecretSweep.Find(dir.Path, token, secret);
                Assert.True(found.Count == 0, "secrets on disk after run " + (run + 1) + ":\n" + string.Join("\n", found));
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(tokenEnv, null);
            Environment.SetEnvironmentVariable(secretEnv, null);
        }

        Assert.True(fake.NotModified > 0);
        Assert.True(Directory.EnumerateFiles(Path.Combine(dir.Path, "etag")).Any());
        Assert.True(Directory.EnumerateFiles(Path.Combine(dir.Path, "out"), "*", SearchOption.AllDirectories).Count() > 20);
    }

    /// <summary>An in-process transport on the fake clock (a loopback server cannot wait on one).</summary>
    private sealed class AnswerHandler(HttpStatusCode status, Func<CancellationToken, Task>? before = null) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (before is not null)
                await before(cancellationToken);
            return new HttpResponseMessage(status) { Content = new StringContent("""{"login":"acme"}""", Encoding.UTF8, "application/json") };
        }
    }
}
