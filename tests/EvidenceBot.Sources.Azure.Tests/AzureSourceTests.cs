using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Azure.Tests.Fake;

namespace EvidenceBot.Sources.Azure.Tests;

public sealed class AzureSourceTests
{
    private static IAzureSource For(AzureSession session, string sub) => (IAzureSource)session.ServicesFor(sub)[typeof(IAzureSource)];

    [Fact]
    public async Task ResourcesAsync_ClientSecretFromLoopbackAuthority_ReadsThroughResourceGraphWithTheToken()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.RequiredToken = FakeArm.Token;
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var vaults = await For(session, Estate.SubA).ResourcesAsync("Microsoft.KeyVault/vaults");

        Assert.Equal("kv-core", Assert.Single(vaults).Name);
        Assert.Contains(fake.TokenRequests, b => b.Contains("client_secret=" + TestSupport.Secret, StringComparison.Ordinal));
        Assert.Contains(fake.Requests, r => r.StartsWith("POST /providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", StringComparison.Ordinal));
        Assert.DoesNotContain(fake.Requests, r => r.StartsWith("GET /subscriptions/" + Estate.SubA + "/providers/Microsoft.KeyVault", StringComparison.Ordinal));
        Assert.All(fake.Requests.Where(r => !r.Contains("oauth2", StringComparison.Ordinal)), r => Assert.Contains("api-version=", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResourcesAsync_TwoSubscriptionsAskTheSameType_OneResourceGraphQueryForBoth()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        Estate.Compliant(fake, Estate.SubB);
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var a = await For(session, Estate.SubA).ResourcesAsync("Microsoft.Storage/storageAccounts");
        var b = await For(session, Estate.SubB).ResourcesAsync("Microsoft.Storage/storageAccounts");

        Assert.Single(a);
        Assert.Single(b);
        Assert.StartsWith($"/subscriptions/{Estate.SubB}/", b[0].Id, StringComparison.Ordinal);
        Assert.Equal(2, fake.Requests.Count(r => r.StartsWith("POST /providers/Microsoft.ResourceGraph", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ResourcesAsync_ResourceGraphPages_FollowsSkipToken()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        for (var i = 0; i < 7; i++)
            s.Resources.Add(Estate.Vault(Estate.SubA, "rg-more", $"kv-{i}"));
        fake.PageSize = 3;
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var vaults = await For(session, Estate.SubA).ResourcesAsync("Microsoft.KeyVault/vaults");

        Assert.Equal(8, vaults.Count);
        Assert.Equal(4, fake.Requests.Count(r => r.StartsWith("POST /providers/Microsoft.ResourceGraph", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ResourcesAsync_SubscriptionResourceGraphDoesNotShow_IsAFaultNotAnEmptyList()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        Estate.Compliant(fake, Estate.SubB);
        fake.HiddenFromResourceGraph.Add(Estate.SubB);
        using var session = TestSupport.Open(TestSupport.Options(fake));

        Assert.Single(await For(session, Estate.SubA).ResourcesAsync("Microsoft.KeyVault/vaults"));
        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubB).ResourcesAsync("Microsoft.KeyVault/vaults"));

        Assert.Contains($"does not show subscription {Estate.SubB}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoleAssignmentsAsync_ReadsRunningLow_SummaryNamesTheLowestRemainingReads()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Enqueue("/roleAssignments", new FakeAnswer(200, """{"value":[]}""", new Dictionary<string, string> { ["x-ms-ratelimit-remaining-subscription-reads"] = "3" }));
        var waits = new TestSupport.Waits();
        using var session = TestSupport.Open(TestSupport.Options(fake), waits: waits);
        var source = For(session, Estate.SubA);

        await source.RoleAssignmentsAsync();
        await source.PolicyAssignmentsAsync();

        // A low count is no throttle: nothing waits until ARM answers 429 with Retry-After.
        Assert.Empty(waits.Asked);
        Assert.Equal(3, session.Traffic.MinRemainingReads);
        Assert.Contains("lowest remaining reads 3", session.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResourcesAsync_IdentityMayNotUseResourceGraph_ListsPerSubscriptionFollowingNextLink()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        for (var i = 0; i < 4; i++)
            s.Resources.Add(Estate.Vault(Estate.SubA, "rg-more", $"kv-{i}"));
        fake.ResourceGraphAllowed = false;
        fake.PageSize = 2;
        using var session = TestSupport.Open(TestSupport.Options(fake));
        var context = Context();
        context.Enter();

        var vaults = await For(session, Estate.SubA).ResourcesAsync("Microsoft.KeyVault/vaults");

        Assert.Equal(5, vaults.Count);
        Assert.Equal(3, fake.Requests.Count(r => r.StartsWith($"GET /subscriptions/{Estate.SubA}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01", StringComparison.Ordinal)));
        Assert.Empty(context.Faults);
        Assert.Contains("listing per subscription", session.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiagnosticSettingsAsync_AuthorizationFailed_FaultNamesTheMissingActionAndReachesTheRule()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        fake.Always("/diagnosticSettings", FakeArm.AuthorizationFailed("Microsoft.Insights/diagnosticSettings/read", s.Scope));
        using var session = TestSupport.Open(TestSupport.Options(fake));
        var context = Context();
        context.Enter();

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).DiagnosticSettingsAsync(s.Scope));

        Assert.Contains("lacks Microsoft.Insights/diagnosticSettings/read", ex.Message, StringComparison.Ordinal);
        Assert.Equal(FaultKind.Permanent, ex.Kind);
        Assert.Single(context.Faults);
        Assert.Contains(context.Evidence, e => e.Status == 403);
    }

    [Fact]
    public async Task RoleAssignmentsAsync_403WithoutActionInMessage_DerivesTheActionFromThePath()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/roleAssignments", new FakeAnswer(403, """{"error":{"code":"Forbidden","message":"no"}}"""));
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).RoleAssignmentsAsync());

        Assert.Contains("Microsoft.Authorization/roleAssignments/read", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoleAssignmentsAsync_429WithRetryAfter_WaitsWhatArmAsksThenReads()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Enqueue("/roleAssignments", new FakeAnswer(429, """{"error":{"code":"TooManyRequests","message":"throttled"}}""",
            new Dictionary<string, string> { ["Retry-After"] = "7", ["x-ms-ratelimit-remaining-subscription-reads"] = "0" }));
        var waits = new TestSupport.Waits();
        using var session = TestSupport.Open(TestSupport.Options(fake), waits: waits);

        var assignments = await For(session, Estate.SubA).RoleAssignmentsAsync();

        Assert.Equal(4, assignments.Count);
        Assert.Contains(TimeSpan.FromSeconds(7), waits.Asked);
        Assert.Equal(2, fake.Requests.Count(r => r.Contains("/roleAssignments", StringComparison.Ordinal)));
        Assert.Equal(1, session.Traffic.ThrottledAnswers);
    }

    [Fact]
    public async Task RoleAssignmentsAsync_RetryAfterBeyondTheMaximum_IsATransientFaultNamingTheWait()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/roleAssignments", new FakeAnswer(429, """{"error":{"code":"TooManyRequests","message":"throttled"}}""",
            new Dictionary<string, string> { ["Retry-After"] = "3600" }));
        var waits = new TestSupport.Waits();
        using var session = TestSupport.Open(TestSupport.Options(fake), waits: waits);

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).RoleAssignmentsAsync());

        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Contains("Retry-After 3600s", ex.Message, StringComparison.Ordinal);
        Assert.Empty(waits.Asked);
    }

    [Fact]
    public async Task DefenderPlansAsync_503ThenSuccess_RetriesWithBackoff()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Enqueue("/pricings", new FakeAnswer(503, """{"error":{"code":"ServiceUnavailable","message":"try later"}}"""));
        var waits = new TestSupport.Waits();
        using var session = TestSupport.Open(TestSupport.Options(fake), waits: waits);

        var plans = await For(session, Estate.SubA).DefenderPlansAsync();

        Assert.Equal(7, plans.Count);
        Assert.Single(waits.Asked);
        Assert.Equal(1, session.Traffic.Retries);
    }

    [Fact]
    public async Task DefenderPlansAsync_503Always_IsTransientErrorAfterTheRetries()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/pricings", new FakeAnswer(503, """{"error":{"code":"ServiceUnavailable","message":"try later"}}"""));
        using var session = TestSupport.Open(TestSupport.Options(fake) with { MaxRetries = 2 });

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).DefenderPlansAsync());

        Assert.Equal(FaultKind.Transient, ex.Kind);
        Assert.Equal(3, fake.Requests.Count(r => r.Contains("/pricings", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PolicyAssignmentsAsync_TruncatedBody_IsAPermanentFaultNotAnEmptyList()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/policyAssignments", new FakeAnswer(200, """{"value":[{"properties":{"displayName":"Microsoft cloud sec"""));
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).PolicyAssignmentsAsync());

        Assert.Contains("not complete JSON", ex.Message, StringComparison.Ordinal);
        Assert.Equal(FaultKind.Permanent, ex.Kind);
    }

    [Fact]
    public async Task RoleAssignmentsAsync_NextLinkToAnotherHost_IsAFaultAndNotFollowed()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/roleAssignments", new FakeAnswer(200, """{"value":[],"nextLink":"https://evil.example/subscriptions/x?api-version=1"}"""));
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).RoleAssignmentsAsync());

        Assert.Contains("leads off the ARM endpoint", ex.Message, StringComparison.Ordinal);
        Assert.Single(fake.Requests, r => r.Contains("/roleAssignments", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UserAsync_GraphRefuses_FaultNamesTheGraphPermission()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.GraphAllowed = false;
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).UserAsync(Estate.Alice));

        Assert.Contains("User.Read.All", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserAsync_GuestAndUnknown_GuestIsFlaggedUnknownIsNull()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        using var session = TestSupport.Open(TestSupport.Options(fake));
        var source = For(session, Estate.SubA);

        Assert.True((await source.UserAsync(Estate.GuestBob))!.IsGuest);
        Assert.False((await source.UserAsync(Estate.Alice))!.IsGuest);
        Assert.Null(await source.UserAsync("00000000-0000-4000-8000-00000000dead"));
    }

    [Fact]
    public void Targets_ManagementGroupWithThreeSubscriptions_AreTheThreeSubscriptions()
    {
        using var fake = FakeArm.Start();
        fake.ManagementGroups["mg-orbital"] = [Estate.SubB, Estate.SubA, "33333333-cccc-4ccc-8ccc-333333333333"];
        fake.PageSize = 2;
        using var session = TestSupport.Open(TestSupport.Options(fake) with { Subscriptions = [], ManagementGroup = "mg-orbital" });

        Assert.Equal([Estate.SubA, Estate.SubB, "33333333-cccc-4ccc-8ccc-333333333333"], session.Targets);
        Assert.Equal(2, fake.Requests.Count(r => r.Contains("/descendants", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ResourcesAsync_ResourceGroupAndTagFilters_KeepOnlyWhatTheyAllow()
    {
        using var fake = FakeArm.Start();
        var s = Estate.Compliant(fake, Estate.SubA);
        var dev = Estate.Vault(Estate.SubA, "rg-dev", "kv-dev");
        dev["tags"] = new System.Text.Json.Nodes.JsonObject { ["env"] = "dev" };
        s.Resources.Add(dev);
        s.Resources.Add(Estate.Vault(Estate.SubA, "rg-sandbox", "kv-sandbox"));
        using var session = TestSupport.Open(TestSupport.Options(fake) with
        {
            ExcludeResourceGroups = ["rg-sand*"],
            ExcludeTags = new Dictionary<string, string> { ["env"] = "dev" },
        });

        var vaults = await For(session, Estate.SubA).ResourcesAsync("Microsoft.KeyVault/vaults");

        Assert.Equal(["kv-core"], vaults.Select(v => v.Name));
    }

    [Fact]
    public async Task ResourcesAsync_SharedAnswer_EvidenceReachesEveryRuleThatAsked()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        using var session = TestSupport.Open(TestSupport.Options(fake));
        var first = Context();
        var second = Context();

        await Task.Run(async () => { first.Enter(); await For(session, Estate.SubA).ResourcesAsync("Microsoft.KeyVault/vaults"); });
        await Task.Run(async () => { second.Enter(); await For(session, Estate.SubA).ResourcesAsync("Microsoft.KeyVault/vaults"); });

        var rg = Assert.Single(second.Evidence, e => e.RequestBody?.Contains("microsoft.keyvault/vaults", StringComparison.Ordinal) == true);
        Assert.Equal("POST", rg.Method);
        Assert.Equal(first.Evidence.Select(e => e.Digest()).Order(), second.Evidence.Select(e => e.Digest()).Order());
        Assert.Equal("[REDACTED]", rg.RequestHeaders["Authorization"]);
    }

    [Fact]
    public async Task ResourcesAsync_TypeWithoutPinnedVersion_IsRefused()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        using var session = TestSupport.Open(TestSupport.Options(fake));

        await Assert.ThrowsAsync<ArgumentException>(() => For(session, Estate.SubA).ResourcesAsync("Microsoft.Compute/virtualMachines"));
    }

    [Fact]
    public async Task RoleAssignmentsAsync_ArmRefusesTheToken_ErrorSaysTheCredentialWasRefused()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.RequiredToken = "some-other-token-value";
        using var session = TestSupport.Open(TestSupport.Options(fake));

        var ex = await Assert.ThrowsAsync<SourceFaultException>(() => For(session, Estate.SubA).RoleAssignmentsAsync());

        Assert.Contains("401 InvalidAuthenticationToken: the credential's token was refused", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evidence_TokenAndSecretEchoedByArm_AreMaskedInEveryExchange()
    {
        using var fake = FakeArm.Start();
        Estate.Compliant(fake, Estate.SubA);
        fake.Always("/pricings", new FakeAnswer(200, $$"""{"value":[],"debug":"Bearer {{FakeArm.Token}} secret {{TestSupport.Secret}}"}""",
            new Dictionary<string, string> { ["ETag"] = FakeArm.Token }));
        var sink = new Sink();
        using var session = TestSupport.Open(TestSupport.Options(fake), sink);

        await For(session, Estate.SubA).DefenderPlansAsync();
        await For(session, Estate.SubA).RoleAssignmentsAsync();

        Assert.NotEmpty(sink.All);
        foreach (var e in sink.All)
        {
            var text = System.Text.Encoding.UTF8.GetString(e.ToFileBytes());
            Assert.DoesNotContain(FakeArm.Token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(TestSupport.Secret, text, StringComparison.Ordinal);
        }
    }

    private sealed class Sink : EvidenceBot.Core.Evidence.IExchangeSink
    {
        public System.Collections.Concurrent.ConcurrentBag<EvidenceBot.Core.Evidence.HttpExchange> All { get; } = [];

        public void Add(EvidenceBot.Core.Evidence.HttpExchange exchange) => All.Add(exchange);
    }

    internal static RuleContext Context() => new(
        new RuleManifest { Id = "T", Title = "test", Sources = ["azure"], SourcePath = "t.csx", SourceSha256 = "00" }, Estate.SubA,
        new Dictionary<string, System.Text.Json.JsonElement>(), TimeProvider.System, CancellationToken.None);
}
