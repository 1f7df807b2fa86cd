using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Service.Tests;

public sealed class RuleScheduleTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void Parse_CronTzPrefix_FollowsThatZoneAcrossSeasons()
    {
        var schedule = RuleSchedule.Parse("CRON_TZ=Europe/Berlin 0 6 * * *", TimeZoneInfo.Utc, "r.csx");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero));

        var winter = schedule.Next(clock.GetUtcNow());
        clock.Advance(TimeSpan.FromDays(180));
        var summer = schedule.Next(clock.GetUtcNow());

        Assert.Equal(new DateTimeOffset(2026, 1, 10, 5, 0, 0, TimeSpan.Zero), winter!.Value.ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2026, 7, 9, 4, 0, 0, TimeSpan.Zero), summer!.Value.ToUniversalTime());
    }

    [Fact]
    public void Parse_NoPrefix_UsesConfiguredZone()
    {
        var schedule = RuleSchedule.Parse("0 6 * * *", Berlin, "$.serve.schedule");

        var next = schedule.Next(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2026, 1, 10, 5, 0, 0, TimeSpan.Zero), next!.Value.ToUniversalTime());
    }

    [Fact]
    public void Next_SpringForwardSkipsTheHour_RunsOnceAtTheChange()
    {
        // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
        var schedule = RuleSchedule.Parse("30 2 * * *", Berlin, "r.csx");

        var slots = schedule.Between(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 30, 12, 0, 0, TimeSpan.Zero)).ToList();

        Assert.Equal(
            [new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero)],
            slots.Select(s => s.ToUniversalTime()));
    }

    [Fact]
    public void Next_FallBackRepeatsTheHour_RunsOnce()
    {
        // 2026-10-25 in Berlin: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice on the wall clock.
        var schedule = RuleSchedule.Parse("30 2 * * *", Berlin, "r.csx");

        var slots = schedule.Between(new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 10, 25, 12, 0, 0, TimeSpan.Zero)).ToList();

        Assert.Single(slots);
    }

    [Fact]
    public void Parse_SixFields_IsASecondsSchedule()
    {
        var schedule = RuleSchedule.Parse("*/5 * * * * *", TimeZoneInfo.Utc, "r.csx");

        var next = schedule.Next(new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 5, TimeSpan.Zero), next);
    }

    [Theory]
    [InlineData("0 * *", "5 fields")]
    [InlineData("0 99 * * *", "'0 99 * * *'")]
    [InlineData("CRON_TZ=Mars/Olympus 0 6 * * *", "unknown time zone 'Mars/Olympus'")]
    [InlineData("CRON_TZ=Europe/Berlin", "must be followed by a cron expression")]
    public void Parse_BadSchedule_ErrorNamesWhereAndWhat(string text, string expected)
    {
        var ex = Assert.Throws<ScheduleException>(() => RuleSchedule.Parse(text, TimeZoneInfo.Utc, "rules/x.csx"));

        Assert.StartsWith("rules/x.csx", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
