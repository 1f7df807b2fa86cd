using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;
using EvidenceBot.Runs;
using EvidenceBot.Scripting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EvidenceBot.Service;

/// <summary>Builds and runs the <c>serve</c> host: the scheduler, the status endpoint, logging, shutdown.</summary>
internal static partial class ServeHost
{
    /// <summary>
    /// Runs the service until SIGTERM, SIGINT or <paramref name="ct"/>. Logs go to stdout: JSON lines when
    /// <paramref name="jsonLogs"/> (stdout is not a terminal), one readable line each otherwise.
    /// A bad <c>serve</c> section throws <see cref="ScheduleException"/> before anything starts.
    /// </summary>
    public static async Task<int> RunAsync(EvidenceBotConfig cfg, RunOptions run, IReadOnlyList<ISourceModule> modules, TimeProvider time, bool jsonLogs, CancellationToken ct, int? port = null)
    {
        var settings = ServeSettings.From(cfg.Section("serve"), Environment.GetEnvironmentVariable);
        if (port is { } p)
            settings = settings with { Port = p };
        if (!Directory.Exists(run.RulesDirectory))
            throw new ScheduleException($"{run.RulesDirectory}: the rules folder does not exist; set 'rules' in the configuration or pass --rules");
        Directory.CreateDirectory(run.OutDirectory);
        using var serving = HoldOutputFolder(run.OutDirectory);
        var state = ScheduleState.Load(run.OutDirectory);

        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "evidencebot" });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        if (jsonLogs)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }

        // The host waits for the scheduler's drain: the grace period, then the cancelled runs winding down.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.GracePeriod + TimeSpan.FromSeconds(30));
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);

        var redactor = new Redactor((cfg.Secrets ?? []).Select(Environment.GetEnvironmentVariable).OfType<string>().Concat(settings.SecretUrls));
        var work = Path.Combine(run.CacheDirectory, "serve", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(run.RulesDirectory) + "\n" + Path.GetFullPath(run.OutDirectory))))[..16]);
        var metrics = new ServiceMetrics();
        using var http = new HttpClient();
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(new ServeContext(cfg, run, settings));
        builder.Services.AddSingleton(new RunPipeline(modules, time));
        builder.Services.AddSingleton(new ActiveRules(run.RulesDirectory, work, new RuleLoadOptions
        {
            RulesDirectory = run.RulesDirectory,
            CacheDirectory = run.CacheDirectory,
            Contracts = SourceContracts.Of(modules),
        }));
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(sp => new WebhookNotifier(http, settings.Webhooks, redactor, time, metrics, sp.GetRequiredService<ILoggerFactory>().CreateLogger<WebhookNotifier>()));
        builder.Services.AddSingleton<EvidenceService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EvidenceService>());

        using var host = builder.Build();
        var service = host.Services.GetRequiredService<EvidenceService>();
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EvidenceBot.Service.ServeHost");
        await using var endpoint = new StatusEndpoint(settings.Address, settings.Port, service.Health, () => metrics.Render(service.RunningRules), log);
        try
        {
            endpoint.Start();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new ScheduleException($"$.serve.port: cannot listen on {settings.Address}:{settings.Port} ({ex.Message}); choose a free port, or 0 for any");
        }

        LogListening(log, $"http://{FormatHost(endpoint.Endpoint)}/", endpoint.Endpoint.Port);
        await host.RunAsync(ct).ConfigureAwait(false);
        return service.Faulted ? ExitCodes.CouldNotCollect : ExitCodes.Ok;
    }

    /// <summary>The file a running <c>serve</c> holds locked in its output folder.</summary>
    public const string LockFile = ".serve.lock";

    /// <summary>
    /// Locks the output folder for this service until it ends. Two services on one folder would each run every rule on
    /// its schedule (twice the runs, twice the requests) and overwrite each other's schedule state; the second is refused.
    /// The lock is the operating system's, so a service that was killed leaves no stale lock behind.
    /// </summary>
    private static FileStream HoldOutputFolder(string outDirectory)
    {
        var path = Path.Combine(outDirectory, LockFile);
        try
        {
            var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            held.SetLength(0);
            held.Write(Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
            held.Flush();
            // The locked file cannot be read by the next service (the lock is exclusive): the holder's id is also here.
            File.WriteAllText(path + ".pid", $"{Environment.ProcessId}\n");
            return held;
        }
        catch (IOException)
        {
            var pid = "";
            try
            {
                pid = File.ReadAllText(path + ".pid").Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }

            throw new ScheduleException($"{Path.GetFullPath(outDirectory)}: another 'evidencebot serve' already runs on this output folder (it holds {LockFile}{(pid.Length > 0 ? ", process " + pid : "")}); stop it, or give this one another --out");
        }
    }

    private static string FormatHost(System.Net.IPEndPoint endpoint) =>
        endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "listening on {Url} (/healthz, /metrics); port {Port}")]
    private static partial void LogListening(ILogger log, string url, int port);
}
