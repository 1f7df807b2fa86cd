using System.Text.Json;
using System.Text.Json.Nodes;

namespace EvidenceBot.Service.Tests;

/// <summary>
/// <c>evidencebot serve</c> as a real process on a seconds schedule: runs, metrics, SIGTERM during a run, restarts.
/// Rules without sources keep runs short; the demo's signing key signs the bundles.
/// </summary>
public sealed class ServeProcessTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempFolder _dir = new();

    private string Out => _dir.Combine("out");

    private string Cache => _dir.Combine("cache");

    private string Config(string name, int slowSeconds, string schedule = "*/2 * * * * *")
    {
        var key = Path.Combine(RepositoryRoot, "examples", "demo", "keys", "signing-key.pem");
        var config = new JsonObject
        {
            ["rules"] = "rules",
            ["out"] = "out",
            ["signing"] = new JsonObject { ["key"] = key },
            ["parameters"] = new JsonObject { ["T-SLOW"] = new JsonObject { ["seconds"] = slowSeconds } },
            ["serve"] = new JsonObject { ["schedule"] = schedule, ["port"] = 0, ["gracePeriod"] = "1s" },
        };
        var path = _dir.Combine(name);
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                    return dir.FullName;
            }

            throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private List<string> CommittedBundles() =>
        [.. Directory.EnumerateDirectories(Out).Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, "manifest.json"))).Order(StringComparer.Ordinal)];

    private static DateTimeOffset Slot(LogLine starting)
    {
        var text = starting.State.GetProperty("Slots").GetString()!;
        return DateTimeOffset.Parse(text[(text.LastIndexOf(" for ", StringComparison.Ordinal) + 5)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    // The slots of the runs that completed (a bundle each), from the "starting" and "completed" lines of the same run.
    private static List<DateTimeOffset> CompletedSlots(ServeProcess serve)
    {
        var done = serve.Lines.Where(l => l.EventId == 3).Select(l => l.State.GetProperty("Run").GetString()).ToHashSet();
        return [.. serve.Lines.Where(l => l.EventId == 2 && done.Contains(l.State.GetProperty("Run").GetString())).Select(Slot)];
    }

    [Fact]
    public async Task Serve_SecondsSchedule_RunsTwiceServesMetricsAndStopsOnSigterm()
    {
        TestRules.Write(_dir.Combine("rules"), "quick.csx", TestRules.Quick("T-QUICK"));
        using var serve = ServeProcess.Start(Config("evidencebot.json", 0), Cache);

        await serve.WaitForAsync(l => l.EventId == 3, Patience, count: 2);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{serve.Port}/") };
        var metrics = (await http.GetStringAsync(new Uri("metrics", UriKind.Relative))).Split('\n');
        var health = await http.GetStringAsync(new Uri("healthz", UriKind.Relative));
        var exit = await serve.TerminateAsync(TimeSpan.FromSeconds(30));

        var completed = serve.Lines.Count(l => l.EventId == 3);
        Assert.True(exit == 0, serve.Transcript);
        Assert.Contains(serve.Lines, l => l.EventId == 9);
        Assert.Contains(metrics, m => m.StartsWith("evidencebot_runs_total{outcome=\"completed\"} ", StringComparison.Ordinal) && int.Parse(m.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 2);
        Assert.Contains(metrics, m => m.StartsWith("evidencebot_rule_executions_total{verdict=\"pass\"} ", StringComparison.Ordinal));
        // The rate-limit families are always declared (these rules open no source, so they carry no sample).
        Assert.Contains("# TYPE evidencebot_source_rate_limit_waits_total counter", metrics);
        Assert.Contains("# TYPE evidencebot_source_rate_limit_wait_seconds_total counter", metrics);
        Assert.Contains("# TYPE evidencebot_source_rate_limit_giveups_total counter", metrics);
        Assert.Equal("ok", JsonDocument.Parse(health).RootElement.GetProperty("status").GetString());
        Assert.Equal(completed, CommittedBundles().Count);
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, ScheduleState.FileName))).RootElement.GetProperty("rules").GetProperty("T-QUICK");
        Assert.Equal("pass", state.GetProperty("verdicts").GetProperty("default").GetString());
        Assert.Empty(Directory.EnumerateDirectories(Out, ".partial-*"));
        // Every scheduled run went through the run pipeline, so the ledger holds each committed bundle, chained, and verifies.
        var ledger = EvidenceBot.Ledger.LedgerVerifier.Verify(Path.Combine(Out, "ledger.db"), Out);
        Assert.True(ledger.Ok, string.Join(Environment.NewLine, ledger.Problems));
        Assert.Equal(completed, ledger.Runs);
    }

    [Fact]
    public async Task Serve_SigtermDuringRun_NoBundleCommitted_RestartRunsTheSlotOnce_NoRunDoubled()
    {
        TestRules.Write(_dir.Combine("rules"), "slow.csx", TestRules.Slow("T-SLOW"));
        var completed = new List<DateTimeOffset>();

        // 1: the run is cancelled after the grace period; nothing that could pass as complete is left.
        DateTimeOffset interruptedSlot;
        using (var first = ServeProcess.Start(Config("slow.json", 120), Cache))
        {
            var starting = await first.WaitForAsync(l => l.EventId == 2, Patience);
            await first.WaitForAsync(l => l.EventId == 20 && l.Message.Contains("rule execution(s)", StringComparison.Ordinal), Patience);
            interruptedSlot = Slot(starting);
            var exit = await first.TerminateAsync(TimeSpan.FromSeconds(40));

            Assert.True(exit == 0, first.Transcript);
            Assert.Contains(first.Lines, l => l.EventId == 5);
            Assert.DoesNotContain(first.Lines, l => l.EventId == 3);
            Assert.Empty(CommittedBundles());
            Assert.Empty(Directory.EnumerateDirectories(Out, ".partial-*"));
        }

        // 2: after the restart the interrupted slot runs at once (before any new slot), then on schedule.
        using (var second = ServeProcess.Start(Config("quick.json", 0), Cache))
        {
            await second.WaitForAsync(l => l.EventId == 3, Patience, count: 2);
            var exit = await second.TerminateAsync(TimeSpan.FromSeconds(30));

            var runs = second.Lines.Where(l => l.EventId == 2).ToList();
            var catchUp = Slot(runs[0]);
            // The interrupted slot is the first of those the restart found missed: it ran once, for the newest slot.
            var skipped = second.Lines.Where(l => l.EventId == 4).ToList();
            Assert.True(exit == 0, second.Transcript);
            Assert.True(catchUp >= interruptedSlot, $"first slot after restart {catchUp:o}, interrupted {interruptedSlot:o}\n{second.Transcript}");
            Assert.True(skipped.Count >= 1, second.Transcript);
            Assert.Equal(interruptedSlot, DateTimeOffset.Parse(skipped[0].State.GetProperty("FirstMissed").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(catchUp, DateTimeOffset.Parse(skipped[0].State.GetProperty("Slot").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(second.Lines.Count(l => l.EventId == 3), CommittedBundles().Count);
            completed.AddRange(CompletedSlots(second));
        }

        // 3: a restart right after completed runs does not run a completed slot again.
        var before = CommittedBundles().Count;
        using (var third = ServeProcess.Start(Config("quick.json", 0), Cache))
        {
            var run = await third.WaitForAsync(l => l.EventId == 2, Patience);
            await third.WaitForAsync(l => l.EventId == 3, Patience);
            await third.TerminateAsync(TimeSpan.FromSeconds(30));

            Assert.DoesNotContain(Slot(run), completed);
            Assert.True(CommittedBundles().Count - before == third.Lines.Count(l => l.EventId == 3), third.Transcript);
            completed.AddRange(CompletedSlots(third));
        }

        // Across the restarts no slot ran twice to completion.
        Assert.Equal(completed.Count, completed.Distinct().Count());
    }

    public void Dispose() => _dir.Dispose();
}
