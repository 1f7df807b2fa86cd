using System.Reflection;
using System.Text.Json.Serialization;

namespace EvidenceBot.Core.Json;

/// <summary>
/// The words our enums are written as (their <see cref="JsonStringEnumMemberNameAttribute"/>, else the lowercased
/// member name), read and written without starting the JSON serializer: the same words in results.json, statements,
/// rule headers, catalogs and the CLI's tables.
/// </summary>
public static class WireNames
{
    /// <summary>The wire word of <paramref name="value"/>, e.g. <c>not_applicable</c>.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Names<TEnum>.ByValue.TryGetValue(value, out var word) ? word : value.ToString().ToLowerInvariant();

    /// <summary>Reads a wire word; false when it is none of <typeparamref name="TEnum"/>'s words.</summary>
    public static bool TryParse<TEnum>(string? word, out TEnum value)
        where TEnum : struct, Enum =>
        Names<TEnum>.ByWord.TryGetValue(word ?? "", out value);

    /// <summary>Reads a wire word, or throws a <see cref="FormatException"/> that lists the words allowed.</summary>
    public static TEnum Parse<TEnum>(string? word)
        where TEnum : struct, Enum =>
        TryParse<TEnum>(word, out var value)
            ? value
            : throw new FormatException($"'{word}' is not one of {string.Join(", ", Names<TEnum>.ByValue.Values)}");

    private static class Names<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> ByValue = typeof(TEnum)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => (TEnum)f.GetValue(null)!, f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name.ToLowerInvariant());

        public static readonly Dictionary<string, TEnum> ByWord = ByValue.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}
