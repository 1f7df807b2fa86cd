using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service.Tests;

public sealed class NoticesTests
{
    private static Func<string, IReadOnlyDictionary<string, Verdict>> Previous(string rule, string target, Verdict verdict) =>
        id => id == rule ? new Dictionary<string, Verdict> { [target] = verdict } : new Dictionary<string, Verdict>();

    [Fact]
    public void For_PassThenFail_IsARegression()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org", Verdict.Fail));

        var notice = Assert.Single(Notices.For(result, Previous("GH-BP", "org", Verdict.Pass)));

        Assert.Equal("regression", notice.Kind);
        Assert.Equal(Verdict.Pass, notice.Previous);
        Assert.Equal("0 approving reviews required", notice.Message);
    }

    [Fact]
    public void For_FailOnFirstRunOrFailAgain_IsNoNotice()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org", Verdict.Fail));

        Assert.Empty(Notices.For(result, _ => new Dictionary<string, Verdict>()));
        Assert.Empty(Notices.For(result, Previous("GH-BP", "org", Verdict.Fail)));
    }

    [Fact]
    public void For_ErrorAfterPass_IsANewErrorButARepeatedErrorIsNot()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org", Verdict.Error, "source fault (transient): 502"));

        var notice = Assert.Single(Notices.For(result, Previous("GH-BP", "org", Verdict.Pass)));
        Assert.Empty(Notices.For(result, Previous("GH-BP", "org", Verdict.Error)));

        Assert.Equal("new-error", notice.Kind);
        Assert.Equal("source fault (transient): 502", notice.Message);
    }

    [Fact]
    public void For_OtherTargetPassed_IsNoRegressionOfThisTarget()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org-b", Verdict.Fail));

        Assert.Empty(Notices.For(result, Previous("GH-BP", "org-a", Verdict.Pass)));
    }
}

public sealed class WaiverNoticesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eb-waiver-notice-").FullName;

    [Fact]
    public void For_WaivedThenFail_IsARegression()
    {
        var result = Runs.Result(Runs.Execution("GH-BP", "org", Verdict.Fail));

        var notice = Assert.Single(Notices.For(result, id => new Dictionary<string, Verdict> { ["org"] = Verdict.Waived }));

        Assert.Equal("regression", notice.Kind);
        Assert.Equal(Verdict.Waived, notice.Previous);
    }

    [Fact]
    public async Task ExpiringWaivers_OneEndsWithin30Days_AnnouncedOnceADayAndPostedAsText()
    {
        var key = EvidenceBot.Evidence.Signing.KeyGenerator.WriteFiles(Path.Combine(_dir, "keys"));
        var file = Path.Combine(_dir, "waivers.yaml");
        await File.WriteAllTextAsync(file, "waivers:\n" + Entry("SOON", "2026-12-20") + Entry("LATER", "2027-06-30"));
        using (var signer = EvidenceBot.Evidence.Signing.LocalKeySigner.FromPemFile(key.PrivateKeyPath))
            await EvidenceBot.Runs.Waivers.WaiverSigning.SignAsync(file, [], signer, CancellationToken.None);
        var config = new EvidenceBot.Runs.EvidenceBotConfig
        {
            BaseDirectory = _dir,
            Waivers = new EvidenceBot.Runs.WaiversConfig
            {
                File = "waivers.yaml",
                TrustedKeys = [new EvidenceBot.Runs.TrustedKeyConfig { Approver = "alice@example.com", Key = key.PublicKeyPath }],
            },
        };
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        var announced = new HashSet<string>(StringComparer.Ordinal);

        var first = Notices.ExpiringWaivers(config, time, announced);
        var again = Notices.ExpiringWaivers(config, time, announced);
        time.Advance(TimeSpan.FromDays(1));
        var nextDay = Notices.ExpiringWaivers(config, time, announced);

        var notice = Assert.Single(first);
        Assert.Equal("waiver-expiring", notice.Kind);
        Assert.Equal("A-1", notice.RuleId);
        Assert.Equal("octo/legacy-*", notice.Target);
        Assert.Contains("waiver SOON", notice.Message, StringComparison.Ordinal);
        Assert.Contains("expires on 2026-12-20", notice.Message, StringComparison.Ordinal);
        Assert.Empty(again);
        Assert.Single(nextDay);
        using var http = new HttpClient();
        var text = new WebhookNotifier(http, [], new EvidenceBot.Core.Evidence.Redactor(), time, new ServiceMetrics(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .Message("run-1", first).Text;
        Assert.StartsWith("EvidenceBot: 1 waiver(s) expiring within 30 days in run run-1", text, StringComparison.Ordinal);
        Assert.Contains("- WAIVER EXPIRING A-1 on octo/legacy-*: waiver SOON", text, StringComparison.Ordinal);
    }

    private static string Entry(string id, string expires) =>
        $"  - id: {id}\n    rule: A-1\n    resource: \"octo/legacy-*\"\n    control: \"ISO27001:2022/A.8.32\"\n" +
        $"    justification: Legacy repos are archived read-only.\n    approver: alice@example.com\n    created: 2026-11-01\n    expires: {expires}\n";

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
