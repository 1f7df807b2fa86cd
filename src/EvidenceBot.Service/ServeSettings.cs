using System.Net;
using System.Text.Json;
using EvidenceBot.Scripting;

namespace EvidenceBot.Service;

/// <summary>A webhook to notify: its address, given in the file or read from an environment variable (then a secret).</summary>
/// <param name="Url">The address to POST to.</param>
/// <param name="Where">Where it was configured (<c>$.serve.webhooks[0]</c>), for log lines that must not show the address.</param>
internal sealed record Webhook(Uri Url, string Where);

/// <summary>The configuration's <c>serve</c> section, with its defaults applied.</summary>
internal sealed record ServeSettings
{
    /// <summary>The schedule of rules whose header sets none: hourly, on the hour.</summary>
    public const string DefaultScheduleText = "0 * * * *";

    /// <summary>The port when none is configured (the usual Prometheus exporter port range).</summary>
    public const int DefaultPort = 9464;

    public required RuleSchedule DefaultSchedule { get; init; }

    public TimeZoneInfo Zone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Up to how long a due run waits, at random, so that many services do not hit a source at the same second.</summary>
    public TimeSpan Jitter { get; init; }

    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>0: any free port (logged).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>How long running rules may go on after SIGTERM before they are cancelled and recorded as interrupted.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the rules folder is compared with what runs, beside the file watcher (which can miss events).</summary>
    public TimeSpan ReloadPoll { get; init; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<Webhook> Webhooks { get; init; } = [];

    /// <summary>Webhook addresses read from the environment: secrets, masked wherever they could appear.</summary>
    public IReadOnlyList<string> SecretUrls { get; init; } = [];

    /// <summary>Reads the <c>serve</c> section (already checked against the schema); null gives every default.</summary>
    public static ServeSettings From(JsonElement? section, Func<string, string?> env)
    {
        var zone = TimeZoneInfo.Utc;
        if (section is not { ValueKind: JsonValueKind.Object } s)
            return new ServeSettings { DefaultSchedule = RuleSchedule.Parse(DefaultScheduleText, zone, "$.serve.schedule") };

        if (s.TryGetProperty("timeZone", out var tz))
            zone = RuleSchedule.FindZone(tz.GetString()!, "$.serve.timeZone");
        var schedule = RuleSchedule.Parse(s.TryGetProperty("schedule", out var sch) ? sch.GetString()! : DefaultScheduleText, zone, "$.serve.schedule");
        var address = IPAddress.Loopback;
        if (s.TryGetProperty("address", out var a) && !IPAddress.TryParse(a.GetString(), out address))
            throw new ScheduleException($"$.serve.address: '{a.GetString()}' is not an IP address; give 127.0.0.1 (the default), ::1, or 0.0.0.0 to listen on every interface");

        var webhooks = new List<Webhook>();
        var secretUrls = new List<string>();
        if (s.TryGetProperty("webhooks", out var hooks))
        {
            var i = 0;
            foreach (var hook in hooks.EnumerateArray())
            {
                var where = $"$.serve.webhooks[{i++}]";
                string? text;
                if (hook.TryGetProperty("urlEnv", out var name))
                {
                    text = env(name.GetString()!);
                    if (string.IsNullOrEmpty(text))
                        throw new ScheduleException($"{where}.urlEnv: the environment variable {name.GetString()} is not set; set it to the webhook's address or remove the webhook");
                    secretUrls.Add(text);
                }
                else
                {
                    text = hook.GetProperty("url").GetString();
                }

                if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
                    throw new ScheduleException($"{where}: not an http(s) address; give the webhook's full URL");
                webhooks.Add(new Webhook(url, where));
            }
        }

        return new ServeSettings
        {
            DefaultSchedule = schedule,
            Zone = zone,
            Jitter = Duration(s, "jitter", TimeSpan.Zero),
            Address = address,
            Port = s.TryGetProperty("port", out var port) ? port.GetInt32() : DefaultPort,
            GracePeriod = Duration(s, "gracePeriod", TimeSpan.FromSeconds(30)),
            ReloadPoll = Duration(s, "reloadPoll", TimeSpan.FromSeconds(30)),
            Webhooks = webhooks,
            SecretUrls = secretUrls,
        };
    }

    private static TimeSpan Duration(JsonElement section, string name, TimeSpan fallback)
    {
        if (!section.TryGetProperty(name, out var value))
            return fallback;
        try
        {
            return RuleHeaderParser.ParseDuration(value.GetString()!);
        }
        catch (FormatException ex)
        {
            throw new ScheduleException($"$.serve.{name}: {ex.Message}");
        }
    }
}
