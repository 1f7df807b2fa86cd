using System.Reflection;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Json;

/// <summary>
/// The words our enums are written as (their <see cref="JsonStringEnumMemberNameAttribute"/>), read and written
/// without starting the JSON serializer: the same words in results.json, statements, rule headers, catalogs and the
/// CLI's tables. The four enums of the evidence format are spelled out (reading the attributes costs a warm run
/// ~8 ms); a test holds them equal to what the serializer writes.
/// </summary>
public static class WireNames
{
    /// <summary>The wire word of a verdict, e.g. <c>not_applicable</c>.</summary>
    public static string Of(Verdict value) => value switch
    {
        Verdict.Pass => "pass",
        Verdict.Fail => "fail",
        Verdict.Error => "error",
        Verdict.NotApplicable => "not_applicable",
        Verdict.Waived => "waived",
        _ => Attributed(value),
    };

    /// <summary>The wire word of a severity.</summary>
    public static string Of(Severity value) => value switch
    {
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        Severity.Critical => "critical",
        _ => Attributed(value),
    };

    /// <summary>The wire word of a rule-to-control relation.</summary>
    public static string Of(ControlRelation value) => value switch
    {
        ControlRelation.Satisfies => "satisfies",
        ControlRelation.Supports => "supports",
        ControlRelation.Partial => "partial",
        _ => Attributed(value),
    };

    /// <summary>The wire word of a crosswalk relation.</summary>
    public static string Of(CrosswalkRelation value) => value switch
    {
        CrosswalkRelation.Equivalent => "equivalent",
        CrosswalkRelation.Supports => "supports",
        CrosswalkRelation.Partial => "partial",
        _ => Attributed(value),
    };

    /// <summary>The wire word of any other enum value: its attribute's name, else the lowercased member name.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => value switch
        {
            Verdict v => Of(v),
            Severity s => Of(s),
            ControlRelation r => Of(r),
            CrosswalkRelation c => Of(c),
            _ => Attributed(value),
        };

    /// <summary>Reads a wire word; false when it is none of <typeparamref name="TEnum"/>'s words.</summary>
    public static bool TryParse<TEnum>(string? word, out TEnum value)
        where TEnum : struct, Enum =>
        Words<TEnum>.ByWord.TryGetValue(word ?? "", out value);

    /// <summary>Reads a wire word, or throws a <see cref="FormatException"/> that lists the words allowed.</summary>
    public static TEnum Parse<TEnum>(string? word)
        where TEnum : struct, Enum =>
        TryParse<TEnum>(word, out var value)
            ? value
            : throw new FormatException($"'{word}' is not one of {string.Join(", ", Words<TEnum>.ByWord.Keys)}");

    private static string Attributed<TEnum>(TEnum value)
        where TEnum : struct, Enum
    {
        var name = value.ToString();
        var field = typeof(TEnum).GetField(name, BindingFlags.Public | BindingFlags.Static);
        return field?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? name.ToLowerInvariant();
    }

    private static class Words<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly Dictionary<string, TEnum> ByWord = Enum.GetValues<TEnum>().ToDictionary(v => Of(v), StringComparer.Ordinal);
    }
}
