using System.Runtime.CompilerServices;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NJsonSchema;

namespace EvidenceBot.Evidence.Statements;

/// <summary>The published JSON Schema of the rule-execution predicate (<c>schemas/evidence-predicate.schema.json</c>).</summary>
public static class PredicateSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromJsonAsync(Text).GetAwaiter().GetResult());
    private static readonly Lazy<bool> FastPathSupported = new(() => SchemaEvaluator.Supports(Schema.Value));

    /// <summary>The schema text, as published.</summary>
    public static string Text
    {
        get
        {
            using var stream = typeof(PredicateSchema).Assembly.GetManifestResourceStream("evidence-predicate.schema.json")
                ?? throw new InvalidOperationException("evidence-predicate.schema.json is not embedded");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Validates a predicate's JSON with NJsonSchema; returns one line per violation (<c>path: kind</c>), empty when valid.</summary>
    public static IReadOnlyList<string> Validate(string predicateJson) =>
        [.. Schema.Value.Validate(predicateJson).Select(e => $"{(string.IsNullOrEmpty(e.Path) ? "#" : e.Path)}: {e.Kind}")];

    /// <summary>
    /// Validates a predicate already parsed by System.Text.Json. The schema as NJsonSchema read it is evaluated directly
    /// over the element (verification of thousands of statements would otherwise spend most of its time re-parsing each
    /// predicate into Newtonsoft tokens); anything it rejects is re-validated by NJsonSchema itself, so the messages are
    /// NJsonSchema's. A schema using keywords the evaluator does not know is always handed to NJsonSchema.
    /// </summary>
    public static IReadOnlyList<string> Validate(JsonElement predicate)
    {
        if (FastPathSupported.Value && SchemaEvaluator.IsValid(predicate, Schema.Value))
            return [];
        var errors = Validate(predicate.GetRawText());
        // Both must agree that it is invalid; if only the evaluator objects, NJsonSchema's verdict stands.
        return errors;
    }
}

/// <summary>
/// Evaluates the subset of JSON Schema draft-07 our schemas use over <see cref="JsonElement"/>s. The schema as NJsonSchema
/// parsed it is compiled once into plain nodes, so evaluating a predicate allocates almost nothing.
/// </summary>
internal static class SchemaEvaluator
{
    private static readonly ConditionalWeakTable<JsonSchema, Node> Compiled = new();

    /// <summary>True when every keyword the schema uses is one the evaluator implements.</summary>
    public static bool Supports(JsonSchema schema) => Supports(schema, new HashSet<JsonSchema>(ReferenceEqualityComparer.Instance));

    private static bool Supports(JsonSchema schema, HashSet<JsonSchema> seen)
    {
        schema = schema.ActualSchema;
        if (!seen.Add(schema))
            return true;
        if (schema.AllOf.Count > 0 || schema.AnyOf.Count > 0 || schema.OneOf.Count > 0 || schema.Not is not null
            || schema.Minimum is not null || schema.Maximum is not null || schema.MultipleOf is not null
            || schema.MaxLength is not null || schema.MinItems > 0 || schema.MaxItems > 0 || schema.UniqueItems
            || schema.MinProperties > 0 || schema.MaxProperties > 0 || schema.PatternProperties.Count > 0
            || schema.AdditionalPropertiesSchema is not null || schema.Items.Count > 0 || schema.AdditionalItemsSchema is not null
            || schema.DictionaryKey is not null || schema.ExclusiveMinimum is not null || schema.ExclusiveMaximum is not null
            || schema.RequiredProperties.Count > 64
            || (schema.Format is not null && schema.Format != "date-time"))
            return false;
        return schema.Properties.Values.All(p => Supports(p, seen)) && (schema.Item is null || Supports(schema.Item, seen));
    }

    /// <summary>True when <paramref name="e"/> is valid against <paramref name="schema"/> (which <see cref="Supports(JsonSchema)"/> must accept).</summary>
    public static bool IsValid(JsonElement e, JsonSchema schema) =>
        Compiled.GetValue(schema, static s => Compile(s, new Dictionary<JsonSchema, Node>(ReferenceEqualityComparer.Instance))).IsValid(e);

    private static Node Compile(JsonSchema schema, Dictionary<JsonSchema, Node> done)
    {
        schema = schema.ActualSchema;
        if (done.TryGetValue(schema, out var existing))
            return existing;
        var node = new Node();
        done[schema] = node;
        node.Type = schema.Type;
        node.Enum = schema.Enumeration.Count > 0 ? [.. schema.Enumeration] : null;
        node.MinLength = schema.MinLength;
        node.Pattern = schema.Pattern is { } p ? new Regex(p, RegexOptions.CultureInvariant | RegexOptions.Compiled) : null;
        node.DateTime = schema.Format == "date-time";
        node.AllowAdditional = schema.AllowAdditionalProperties;
        var required = schema.RequiredProperties.ToList();
        node.RequiredMask = required.Count == 64 ? ulong.MaxValue : (1UL << required.Count) - 1;
        foreach (var (name, property) in schema.Properties)
        {
            var index = required.IndexOf(name);
            node.Properties[name] = (Compile(property, done), index >= 0 ? 1UL << index : 0);
        }

        // A required property without a schema of its own still has to be present.
        for (var i = 0; i < required.Count; i++)
        {
            if (!node.Properties.ContainsKey(required[i]))
                node.Properties[required[i]] = (new Node { Type = JsonObjectType.None }, 1UL << i);
        }

        node.Item = schema.Item is null ? null : Compile(schema.Item, done);
        return node;
    }

    private sealed class Node
    {
        public JsonObjectType Type;
        public object?[]? Enum;
        public int? MinLength;
        public Regex? Pattern;
        public bool DateTime;
        public bool AllowAdditional = true;
        public ulong RequiredMask;
        public readonly Dictionary<string, (Node Schema, ulong Bit)> Properties = new(StringComparer.Ordinal);
        public Node? Item;

        public bool IsValid(JsonElement e)
        {
            if (!TypeMatches(e, Type))
                return false;
            if (Enum is not null && !InEnum(e, Enum))
                return false;
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    if (MinLength is null && Pattern is null && !DateTime)
                        return true;
                    var s = e.GetString()!;
                    if (MinLength is { } min && s.Length < min)
                        return false;
                    if (Pattern is not null && !Pattern.IsMatch(s))
                        return false;
                    return !DateTime || DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
                case JsonValueKind.Object:
                    // Look each known property up (no string allocations); any property left over is an extra one.
                    ulong seen = 0;
                    var matched = 0;
                    foreach (var (name, sub) in Properties)
                    {
                        if (!e.TryGetProperty(name, out var value))
                            continue;
                        if (!sub.Schema.IsValid(value))
                            return false;
                        seen |= sub.Bit;
                        matched++;
                    }

                    if (!AllowAdditional && e.GetPropertyCount() != matched)
                        return false;
                    return seen == RequiredMask;
                case JsonValueKind.Array:
                    if (Item is not null)
                    {
                        foreach (var element in e.EnumerateArray())
                        {
                            if (!Item.IsValid(element))
                                return false;
                        }
                    }

                    return true;
                default:
                    return true;
            }
        }
    }

    private static bool InEnum(JsonElement e, object?[] values)
    {
        foreach (var v in values)
        {
            if (EnumMatches(e, v))
                return true;
        }

        return false;
    }

    private static bool TypeMatches(JsonElement e, JsonObjectType type)
    {
        if (type == JsonObjectType.None)
            return true;
        return e.ValueKind switch
        {
            JsonValueKind.Object => type.HasFlag(JsonObjectType.Object),
            JsonValueKind.Array => type.HasFlag(JsonObjectType.Array),
            JsonValueKind.String => type.HasFlag(JsonObjectType.String),
            JsonValueKind.True or JsonValueKind.False => type.HasFlag(JsonObjectType.Boolean),
            JsonValueKind.Null => type.HasFlag(JsonObjectType.Null),
            JsonValueKind.Number => type.HasFlag(JsonObjectType.Number) || (type.HasFlag(JsonObjectType.Integer) && IsInteger(e)),
            _ => false,
        };
    }

    private static bool IsInteger(JsonElement e) =>
        e.TryGetInt64(out _) || (e.TryGetDecimal(out var d) && decimal.Truncate(d) == d);

    private static bool EnumMatches(JsonElement e, object? value) => value switch
    {
        null => e.ValueKind == JsonValueKind.Null,
        string s => e.ValueKind == JsonValueKind.String && e.ValueEquals(s),
        bool b => e.ValueKind == (b ? JsonValueKind.True : JsonValueKind.False),
        _ => e.ValueKind == JsonValueKind.Number && e.TryGetDecimal(out var d)
             && decimal.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && d == v,
    };
}
