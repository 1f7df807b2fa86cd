using System.Globalization;
using System.Text.RegularExpressions;

namespace EvidenceBot.Core.Rules;

/// <summary>Durations as rule headers and configuration write them: a whole number and a unit (500ms, 30s, 2m, 1h, 7d).</summary>
public static partial class Duration
{
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(365);

    /// <summary>Parses <paramref name="text"/>; a <see cref="FormatException"/> says what to write instead.</summary>
    public static TimeSpan Parse(string text)
    {
        var m = DurationPattern().Match(text ?? "");
        if (!m.Success)
            throw new FormatException($"'{text}' is not a duration: write a whole number and a unit, e.g. 500ms, 30s, 2m, 1h, 7d");
        var unit = m.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(1),
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            "h" => TimeSpan.FromHours(1),
            _ => TimeSpan.FromDays(1),
        };
        // Anything longer than a year is a typo, not a timeout, and bigger numbers would overflow TimeSpan.
        if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > MaxDuration / unit)
            throw new FormatException($"'{text}' is too long a duration: at most 365d");
        return unit * n;
    }

    [GeneratedRegex("^([0-9]+)(ms|s|m|h|d)$")]
    private static partial Regex DurationPattern();
}
