using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using Microsoft.Extensions.Logging.Abstractions;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace EvidenceBot.Service.Tests;

public sealed class WebhookNotifierTests
{
    private const string Secret = "ghs_s3cr3tInstallationToken";

    private static readonly Notice[] Regression =
    [
        new("regression", "GH-BP", "orbital-labs", Verdict.Fail, Verdict.Pass, $"branch main unprotected (token {Secret})"),
    ];

    private static WebhookNotifier Notifier(HttpClient http, ServiceMetrics metrics, params Uri[] hooks) =>
        new(http, [.. hooks.Select((u, i) => new Webhook(u, $"$.serve.webhooks[{i}]"))], new Redactor([Secret]), TimeProvider.System, metrics, NullLogger.Instance)
        {
            FirstRetryDelay = TimeSpan.FromMilliseconds(10),
        };

    [Fact]
    public async Task Notify_HookFailsTwiceThenTakesIt_RetriesAndPostsMaskedTextField()
    {
        using var server = WireMockServer.Start();
        var hook = Request.Create().WithPath("/hook").UsingPost();
        server.Given(hook).InScenario("flaky").WillSetStateTo("one").RespondWith(Response.Create().WithStatusCode(503));
        server.Given(hook).InScenario("flaky").WhenStateIs("one").WillSetStateTo("two").RespondWith(Response.Create().WithStatusCode(500));
        server.Given(hook).InScenario("flaky").WhenStateIs("two").RespondWith(Response.Create().WithStatusCode(200));
        using var http = new HttpClient();
        var metrics = new ServiceMetrics();

        var delivered = await Notifier(http, metrics, new Uri(server.Url + "/hook")).NotifyAsync("run-1", Regression, CancellationToken.None);

        Assert.Equal(1, delivered);
        Assert.Equal(3, server.LogEntries.Count());
        var body = server.LogEntries.Last().RequestMessage.Body!;
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        var text = json.RootElement.GetProperty("text").GetString()!;
        Assert.Contains("REGRESSION GH-BP on orbital-labs", text, StringComparison.Ordinal);
        Assert.Contains(Redactor.Mask, text, StringComparison.Ordinal);
        Assert.Equal("pass", json.RootElement.GetProperty("notices")[0].GetProperty("previous").GetString());
        Assert.Contains("evidencebot_webhook_posts_total{result=\"sent\"} 1", metrics.Render(0).Split('\n'));
    }

    [Fact]
    public async Task Notify_HookAlwaysFails_GivesUpAfterAttemptsAndCountsTheFailure()
    {
        using var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(502));
        using var http = new HttpClient();
        var metrics = new ServiceMetrics();

        var delivered = await Notifier(http, metrics, new Uri(server.Url + "/hook")).NotifyAsync("run-1", Regression, CancellationToken.None);

        Assert.Equal(0, delivered);
        Assert.Equal(4, server.LogEntries.Count());
        Assert.Contains("evidencebot_webhook_posts_total{result=\"failed\"} 1", metrics.Render(0).Split('\n'));
    }

    [Fact]
    public async Task Notify_ClientError_IsNotRetried()
    {
        using var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(404));
        using var http = new HttpClient();

        var delivered = await Notifier(http, new ServiceMetrics(), new Uri(server.Url + "/hook")).NotifyAsync("run-1", Regression, CancellationToken.None);

        Assert.Equal(0, delivered);
        Assert.Single(server.LogEntries);
    }

    [Fact]
    public async Task Notify_NoNotices_PostsNothing()
    {
        using var server = WireMockServer.Start();
        using var http = new HttpClient();

        var delivered = await Notifier(http, new ServiceMetrics(), new Uri(server.Url + "/hook")).NotifyAsync("run-1", [], CancellationToken.None);

        Assert.Equal(0, delivered);
        Assert.Empty(server.LogEntries);
    }
}
