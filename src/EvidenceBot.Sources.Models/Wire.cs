using System.Globalization;
using System.Text.Json;

namespace EvidenceBot.Sources.Models;

/// <summary>
/// Tolerant readers for the registries' JSON: absent fields and empty arrays (proto2 JSON omits both) read as
/// null or empty; int64 timestamps arrive as numbers or strings.
/// </summary>
internal static class Wire
{
    public static JsonElement? Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static string? Str(this JsonElement e, string name) => e.Prop(name) is { } v ? Text(v) : null;

    public static string? Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => null,
    };

    public static bool? Bool(this JsonElement e, string name) => e.Prop(name) is { } v && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static IEnumerable<JsonElement> Array(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    /// <summary>A string or a list of strings (Hugging Face card fields allow both).</summary>
    public static IEnumerable<string> Strings(this JsonElement e, string name) => e.Prop(name) switch
    {
        { ValueKind: JsonValueKind.String } s => [s.GetString()!],
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(Text).OfType<string>(),
        _ => [],
    };

    /// <summary>MLflow epoch milliseconds (number or string); null when absent or unreadable.</summary>
    public static DateTimeOffset? Millis(this JsonElement e, string name)
    {
        if (e.Prop(name) is not { } v)
            return null;
        long ms;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out ms))
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out ms))
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return null;
    }

    /// <summary>An ISO 8601 timestamp (Azure ML, Hugging Face); null when absent or unreadable.</summary>
    public static DateTimeOffset? Iso(this JsonElement e, string name) =>
        e.Str(name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;

    /// <summary>MLflow tags <c>[{key,value}]</c> as a dictionary (the last one wins on a duplicate key).</summary>
    public static Dictionary<string, string> KeyValues(this JsonElement e, string name)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in e.Array(name))
        {
            if (t.Str("key") is { } k)
                d[k] = t.Str("value") ?? "";
        }

        return d;
    }

    /// <summary>An object of scalars (Azure ML tags and properties) as a dictionary.</summary>
    public static Dictionary<string, string> Scalars(this JsonElement e, string name)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.Prop(name) is { ValueKind: JsonValueKind.Object } o)
        {
            foreach (var p in o.EnumerateObject())
            {
                if (Text(p.Value) is { } t)
                    d[p.Name] = t;
            }
        }

        return d;
    }

    /// <summary>Later dictionaries override earlier ones.</summary>
    public static Dictionary<string, string> Overlay(params IReadOnlyDictionary<string, string>[] layers)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            foreach (var (k, v) in layer)
                d[k] = v;
        }

        return d;
    }

    /// <summary>
    /// A metric value: a finite JSON number reads as a value; anything else (<c>"NaN"</c>, <c>"Infinity"</c>, other
    /// strings, null) is kept as text with no value, so a rule can say it is malformed.
    /// </summary>
    public static (double? Value, string Text) MetricValue(JsonElement? v)
    {
        if (v is not { } e)
            return (null, "(absent)");
        if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && double.IsFinite(d))
            return (d, e.GetRawText());
        return (null, e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText());
    }

    public static string Query(string s) => Uri.EscapeDataString(s);
}
