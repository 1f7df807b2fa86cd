using System.Text.Json;

namespace EvidenceBot.Rules;

/// <summary>
/// Reads the parameter types rules use most (string, numbers, bool, string and number arrays) straight from the
/// JSON value. Anything else, or a value of another JSON kind, goes to the serializer, which gives the same
/// result or the error: this only spares each run the serializer's start-up for the common cases.
/// </summary>
internal static class ParameterValue
{
    public static bool TryRead<T>(JsonElement value, out T result)
    {
        object? read = value.ValueKind switch
        {
            JsonValueKind.String when typeof(T) == typeof(string) => value.GetString(),
            JsonValueKind.Number when typeof(T) == typeof(int) && value.TryGetInt32(out var i) => i,
            JsonValueKind.Number when typeof(T) == typeof(long) && value.TryGetInt64(out var l) => l,
            JsonValueKind.Number when typeof(T) == typeof(double) && value.TryGetDouble(out var d) => d,
            JsonValueKind.Number when typeof(T) == typeof(decimal) && value.TryGetDecimal(out var m) => m,
            JsonValueKind.True or JsonValueKind.False when typeof(T) == typeof(bool) => value.GetBoolean(),
            JsonValueKind.Array when typeof(T) == typeof(string[]) => Strings(value),
            JsonValueKind.Array when typeof(T) == typeof(int[]) => Ints(value),
            _ => null,
        };
        if (read is T typed)
        {
            result = typed;
            return true;
        }

        result = default!;
        return false;
    }

    private static string[]? Strings(JsonElement array)
    {
        var items = new string[array.GetArrayLength()];
        var i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String)
                return null;
            items[i++] = e.GetString()!;
        }

        return items;
    }

    private static int[]? Ints(JsonElement array)
    {
        var items = new int[array.GetArrayLength()];
        var i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out items[i++]))
                return null;
        }

        return items;
    }
}
