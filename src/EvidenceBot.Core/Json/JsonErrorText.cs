using System.Text.Json;

namespace EvidenceBot.Core.Json;

/// <summary>What a <see cref="JsonException"/> says is wrong, without the location suffixes System.Text.Json appends.</summary>
public static class JsonErrorText
{
    /// <summary>
    /// The message up to <c>Path:</c> or <c>LineNumber:</c>: those count lines and bytes from zero, while every message
    /// here names the place as <c>file(line,column)</c> counted from one, so the two would contradict each other.
    /// </summary>
    public static string Of(JsonException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var text = ex.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
                text = text[..at];
        }

        return text.Trim();
    }
}
