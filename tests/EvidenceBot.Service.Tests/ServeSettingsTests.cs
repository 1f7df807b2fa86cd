using System.Net;
using System.Text.Json;

namespace EvidenceBot.Service.Tests;

public sealed class ServeSettingsTests
{
    private static ServeSettings From(string json, Func<string, string?>? env = null) =>
        ServeSettings.From(JsonDocument.Parse(json).RootElement, env ?? (_ => null));

    [Fact]
    public void From_NoSection_HourlyUtcLoopbackDefaults()
    {
        var settings = ServeSettings.From(null, _ => null);

        Assert.Equal(ServeSettings.DefaultScheduleText, settings.DefaultSchedule.Text);
        Assert.Equal(TimeZoneInfo.Utc, settings.Zone);
        Assert.Equal(IPAddress.Loopback, settings.Address);
        Assert.Equal(ServeSettings.DefaultPort, settings.Port);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.GracePeriod);
        Assert.Equal(TimeSpan.Zero, settings.Jitter);
    }

    [Fact]
    public void From_Section_ReadsEverySetting()
    {
        var settings = From("""{ "schedule": "0 6 * * *", "timeZone": "Europe/Berlin", "jitter": "30s", "gracePeriod": "2m", "port": 0, "webhooks": [ { "url": "https://hooks.example/a" }, { "urlEnv": "HOOK" } ] }""",
            name => name == "HOOK" ? "https://hooks.example/secret-path-123" : null);

        Assert.Equal("Europe/Berlin", settings.Zone.Id);
        Assert.Equal(settings.Zone, settings.DefaultSchedule.Zone);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Jitter);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.GracePeriod);
        Assert.Equal(0, settings.Port);
        Assert.Equal(["https://hooks.example/a", "https://hooks.example/secret-path-123"], settings.Webhooks.Select(w => w.Url.ToString()));
        Assert.Equal(["https://hooks.example/secret-path-123"], settings.SecretUrls);
    }

    [Fact]
    public void From_UrlEnvNotSet_ErrorNamesPathAndVariable()
    {
        var ex = Assert.Throws<ScheduleException>(() => From("""{ "webhooks": [ { "urlEnv": "SLACK_HOOK" } ] }"""));

        Assert.Equal("$.serve.webhooks[0].urlEnv: the environment variable SLACK_HOOK is not set; set it to the webhook's address or remove the webhook", ex.Message);
    }

    [Theory]
    [InlineData("""{ "timeZone": "Nowhere/City" }""", "$.serve.timeZone")]
    [InlineData("""{ "schedule": "61 * * * *" }""", "$.serve.schedule")]
    [InlineData("""{ "address": "localhost" }""", "$.serve.address")]
    [InlineData("""{ "webhooks": [ { "url": "ftp://x" } ] }""", "$.serve.webhooks[0]")]
    public void From_BadSetting_ErrorNamesItsPath(string json, string path)
    {
        var ex = Assert.Throws<ScheduleException>(() => From(json));

        Assert.StartsWith(path, ex.Message, StringComparison.Ordinal);
    }
}
