using Cronos;

namespace EvidenceBot.Service;

/// <summary>A schedule that cannot be used; the message names where it was written and what to do.</summary>
internal sealed class ScheduleException(string message) : Exception(message);

/// <summary>
/// When a rule runs: a cron expression in a time zone. Written as <c>"0 6 * * *"</c> (five fields, the configured
/// zone), <c>"CRON_TZ=Europe/Berlin 0 6 * * *"</c> (its own zone), or with six fields, seconds first, which is meant
/// for tests (<c>"*/5 * * * * *"</c>). Occurrences follow the zone's clock: across a DST change an hour that does not
/// exist is run at the change, one that repeats runs once (Cronos' rules).
/// </summary>
internal sealed record RuleSchedule(string Text, CronExpression Cron, TimeZoneInfo Zone)
{
    private const string ZonePrefix = "CRON_TZ=";

    /// <summary>Parses <paramref name="text"/>; <paramref name="where"/> names its origin in errors (a rule file, a config path).</summary>
    public static RuleSchedule Parse(string text, TimeZoneInfo defaultZone, string where)
    {
        var rest = text.Trim();
        var zone = defaultZone;
        if (rest.StartsWith(ZonePrefix, StringComparison.Ordinal))
        {
            var end = rest.IndexOf(' ', StringComparison.Ordinal);
            if (end < 0)
                throw new ScheduleException($"{where}: schedule '{text}': CRON_TZ=<zone> must be followed by a cron expression, e.g. 'CRON_TZ=Europe/Berlin 0 6 * * *'");
            zone = FindZone(rest[ZonePrefix.Length..end], $"{where}: schedule '{text}'");
            rest = rest[(end + 1)..].Trim();
        }

        var fields = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        if (fields is not (5 or 6) && !rest.StartsWith('@'))
            throw new ScheduleException($"{where}: schedule '{text}': a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first (for tests); found {fields}");
        try
        {
            return new RuleSchedule(text, CronExpression.Parse(rest, format), zone);
        }
        catch (CronFormatException ex)
        {
            throw new ScheduleException($"{where}: schedule '{text}': {ex.Message}");
        }
    }

    /// <summary>The time zone named <paramref name="id"/> (IANA, e.g. <c>Europe/Berlin</c>, or <c>UTC</c>).</summary>
    public static TimeZoneInfo FindZone(string id, string where)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ScheduleException($"{where}: unknown time zone '{id}'; give an IANA name such as 'UTC' or 'Europe/Berlin'");
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null when there is none (e.g. Feb 30).</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => Cron.GetNextOccurrence(after, Zone);

    /// <summary>Occurrences in (<paramref name="after"/>, <paramref name="upTo"/>], oldest first.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset after, DateTimeOffset upTo) =>
        upTo <= after ? [] : Cron.GetOccurrences(after, upTo, Zone, fromInclusive: false, toInclusive: true);
}
