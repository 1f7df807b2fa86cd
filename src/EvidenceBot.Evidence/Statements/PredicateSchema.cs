using NJsonSchema;

namespace EvidenceBot.Evidence.Statements;

/// <summary>The published JSON Schema of the rule-execution predicate (<c>schemas/evidence-predicate.schema.json</c>).</summary>
public static class PredicateSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(PredicateSchema).Assembly.GetManifestResourceStream("evidence-predicate.schema.json")
            ?? throw new InvalidOperationException("evidence-predicate.schema.json is not embedded");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    });

    /// <summary>The schema text, as published.</summary>
    public static string Text
    {
        get
        {
            using var stream = typeof(PredicateSchema).Assembly.GetManifestResourceStream("evidence-predicate.schema.json")!;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Validates a predicate's JSON; returns one line per violation (<c>path: kind</c>), empty when valid.</summary>
    public static IReadOnlyList<string> Validate(string predicateJson) =>
        [.. Schema.Value.Validate(predicateJson).Select(e => $"{(string.IsNullOrEmpty(e.Path) ? "#" : e.Path)}: {e.Kind}")];
}
