using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Service.Tests;

public sealed class ScheduleBookTests
{
    private static readonly DateTimeOffset Ten = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    private static RuleSchedule Hourly => RuleSchedule.Parse("0 * * * *", TimeZoneInfo.Utc, "test");

    private static Dictionary<string, RuleSchedule> Rules(params string[] ids) =>
        ids.ToDictionary(id => id, _ => Hourly, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void SetRules_NewRule_FirstRunsAtNextOccurrenceNotAtOnce()
    {
        var clock = new FakeTimeProvider(Ten.AddMinutes(20));
        var book = new ScheduleBook();
        book.SetRules(Rules("A"), clock.GetUtcNow());

        var atStart = book.TakeDue(clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(40));
        var atEleven = book.TakeDue(clock.GetUtcNow());

        Assert.Empty(atStart);
        Assert.Equal(Ten.AddHours(1), Assert.Single(atEleven).Slot);
    }

    [Fact]
    public void SetRules_RuleDeletedThenAddedBack_StartsAfreshWithNoMissedSlots()
    {
        var clock = new FakeTimeProvider(Ten.AddMinutes(5));
        var book = new ScheduleBook();
        book.SetRules(Rules("A", "B"), clock.GetUtcNow());
        book.SetRules(Rules("A"), clock.GetUtcNow());           // B deleted
        clock.Advance(TimeSpan.FromHours(4));
        foreach (var run in book.TakeDue(clock.GetUtcNow()))
            book.Completed(run.RuleId, run.Slot);

        book.SetRules(Rules("A", "B"), clock.GetUtcNow());      // B added back at 14:05
        clock.Advance(TimeSpan.FromMinutes(55));
        var due = book.TakeDue(clock.GetUtcNow());

        var b = Assert.Single(due, r => r.RuleId == "B");
        Assert.Equal(Ten.AddHours(5), b.Slot);
        Assert.Equal(0, b.Missed);
    }

    [Fact]
    public void TakeDue_AfterDowntime_RunsOnceForNewestSlotAndCountsMissed()
    {
        var clock = new FakeTimeProvider(Ten);
        var book = new ScheduleBook();
        book.Restore(new Dictionary<string, DateTimeOffset> { ["A"] = Ten });
        book.SetRules(Rules("A"), clock.GetUtcNow());

        clock.Advance(TimeSpan.FromHours(5) + TimeSpan.FromMinutes(20));
        var due = book.TakeDue(clock.GetUtcNow());

        var run = Assert.Single(due);
        Assert.Equal(Ten.AddHours(5), run.Slot);
        Assert.Equal(4, run.Missed);
        Assert.Equal(Ten.AddHours(1), run.FirstMissed);
    }

    [Fact]
    public void TakeDue_RuleStillRunning_NeverTwoExecutionsAtOnceThenCatchesUpOnce()
    {
        var clock = new FakeTimeProvider(Ten);
        var book = new ScheduleBook();
        book.Restore(new Dictionary<string, DateTimeOffset> { ["A"] = Ten.AddHours(-1) });
        book.SetRules(Rules("A"), clock.GetUtcNow());
        var first = Assert.Single(book.TakeDue(clock.GetUtcNow()));

        clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(5));
        var whileRunning = book.TakeDue(clock.GetUtcNow());
        var wakeWhileRunning = book.NextWake();
        book.Completed("A", first.Slot);
        var after = Assert.Single(book.TakeDue(clock.GetUtcNow()));

        Assert.Empty(whileRunning);
        Assert.Null(wakeWhileRunning);
        Assert.Equal(Ten.AddHours(2), after.Slot);
        Assert.Equal(1, after.Missed);
    }

    [Fact]
    public void TakeDue_RulesDueInTheSameMinute_AreTakenTogether()
    {
        var clock = new FakeTimeProvider(Ten.AddMinutes(-10));
        var book = new ScheduleBook();
        book.SetRules(new Dictionary<string, RuleSchedule>
        {
            ["A"] = Hourly,
            ["B"] = RuleSchedule.Parse("0 10 * * *", TimeZoneInfo.Utc, "test"),
            ["C"] = RuleSchedule.Parse("30 10 * * *", TimeZoneInfo.Utc, "test"),
        }, clock.GetUtcNow());

        clock.Advance(TimeSpan.FromMinutes(10));
        var due = book.TakeDue(clock.GetUtcNow());

        Assert.Equal(["A", "B"], due.Select(d => d.RuleId));
        Assert.All(due, d => Assert.Equal(Ten, d.Slot));
        Assert.Equal(Ten.AddMinutes(30), book.NextWake());
    }

    [Fact]
    public void NotCompleted_InterruptedRun_SlotStaysDueAndRunsOnce()
    {
        var clock = new FakeTimeProvider(Ten.AddMinutes(1));
        var book = new ScheduleBook();
        book.Restore(new Dictionary<string, DateTimeOffset> { ["A"] = Ten.AddHours(-1) });
        book.SetRules(Rules("A"), clock.GetUtcNow());
        Assert.Single(book.TakeDue(clock.GetUtcNow()));

        book.NotCompleted("A");
        var again = book.TakeDue(clock.GetUtcNow());
        var third = book.TakeDue(clock.GetUtcNow());

        Assert.Equal(Ten, Assert.Single(again).Slot);
        Assert.Empty(third);
    }

    [Fact]
    public void Completed_ThenRestartWithSameState_NoDoubledRun()
    {
        var clock = new FakeTimeProvider(Ten.AddMinutes(1));
        var book = new ScheduleBook();
        book.Restore(new Dictionary<string, DateTimeOffset> { ["A"] = Ten.AddHours(-1) });
        book.SetRules(Rules("A"), clock.GetUtcNow());
        var run = Assert.Single(book.TakeDue(clock.GetUtcNow()));
        book.Completed("A", run.Slot);

        clock.Advance(TimeSpan.FromMinutes(5));
        var restarted = new ScheduleBook();
        restarted.Restore(book.LastRuns);
        restarted.SetRules(Rules("A"), clock.GetUtcNow());

        Assert.Empty(restarted.TakeDue(clock.GetUtcNow()));
        Assert.Equal(Ten.AddHours(1), restarted.NextWake());
    }

    [Fact]
    public void Restore_BundleNewerThanState_TheLaterRunCounts()
    {
        // The state says 09:00 ran; a bundle committed at 10:00:07 (killed before the state was written) says 10:00 did.
        var book = new ScheduleBook();
        book.Restore(new Dictionary<string, DateTimeOffset> { ["A"] = Ten.AddHours(-1) });
        book.Restore(new Dictionary<string, DateTimeOffset> { ["A"] = Ten.AddSeconds(7) });
        book.SetRules(Rules("A"), Ten.AddMinutes(30));

        Assert.Empty(book.TakeDue(Ten.AddMinutes(30)));
        Assert.Equal(Ten.AddHours(1), book.NextWake());
    }

    [Fact]
    public void TakeDue_DailyInBerlinAcrossDst_SlotsFollowTheLocalClock()
    {
        var schedule = RuleSchedule.Parse("CRON_TZ=Europe/Berlin 0 6 * * *", TimeZoneInfo.Utc, "test");
        var start = new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(start);
        var book = new ScheduleBook();
        book.SetRules(new Dictionary<string, RuleSchedule> { ["A"] = schedule }, clock.GetUtcNow());
        var slots = new List<DateTimeOffset>();

        for (var i = 0; i < 48; i++)
        {
            clock.Advance(TimeSpan.FromHours(1));
            foreach (var d in book.TakeDue(clock.GetUtcNow()))
            {
                slots.Add(d.Slot.ToUniversalTime());
                book.Completed(d.RuleId, d.Slot);
            }
        }

        Assert.Equal([new DateTimeOffset(2026, 3, 29, 4, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 30, 4, 0, 0, TimeSpan.Zero)], slots);
    }
}
