using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace EvidenceBot.Service.Tests;

/// <summary>The real process notices a regression across a restart and posts it, masked, to a loopback webhook.</summary>
public sealed class ServeNotificationTests : IDisposable
{
    private const string Secret = "hunter2-webhook-secret-value";
    private readonly TempFolder _dir = new();

    private string Config(string name, bool pass)
    {
        var config = new JsonObject
        {
            ["rules"] = "rules",
            ["out"] = "out",
            ["secrets"] = new JsonArray("EB_TEST_SECRET"),
            ["parameters"] = new JsonObject { ["T-FLIP"] = new JsonObject { ["pass"] = pass, ["note"] = "with " + Secret } },
            ["serve"] = new JsonObject
            {
                ["schedule"] = "*/2 * * * * *",
                ["port"] = 0,
                ["webhooks"] = new JsonArray(new JsonObject { ["urlEnv"] = "EB_TEST_HOOK" }),
            },
        };
        var path = _dir.Combine(name);
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Serve_PassThenFailAcrossRestart_PostsOneMaskedRegression()
    {
        using var hook = WireMockServer.Start();
        hook.Given(Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        TestRules.Write(_dir.Combine("rules"), "flip.csx", TestRules.Flip("T-FLIP"));
        var env = new Dictionary<string, string> { ["EB_TEST_SECRET"] = Secret, ["EB_TEST_HOOK"] = hook.Url + "/hook" };

        using (var passing = ServeProcess.Start(Config("pass.json", pass: true), _dir.Combine("cache"), env))
        {
            await passing.WaitForAsync(l => l.EventId == 3, TimeSpan.FromSeconds(60));
            await passing.TerminateAsync(TimeSpan.FromSeconds(30));
        }

        using (var failing = ServeProcess.Start(Config("fail.json", pass: false), _dir.Combine("cache"), env))
        {
            await failing.WaitForAsync(l => l.EventId == 14, TimeSpan.FromSeconds(60));
            await failing.WaitForAsync(l => l.EventId == 3, TimeSpan.FromSeconds(60), count: 2);
            await failing.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(Secret, failing.Transcript, StringComparison.Ordinal);
        }

        // One regression (pass → fail); the runs after it fail again, which is no news.
        var posted = Assert.Single(hook.LogEntries);
        var body = posted.RequestMessage.Body!;
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        Assert.StartsWith("EvidenceBot: 1 regression(s)", json.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("T-FLIP", json.RootElement.GetProperty("notices")[0].GetProperty("rule").GetString());
    }

    public void Dispose() => _dir.Dispose();
}
