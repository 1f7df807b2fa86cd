using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Sources;
using NJsonSchema;
using NJsonSchema.Validation;

namespace EvidenceBot.Runs;

/// <summary>A configuration file that cannot be used; the message names the file and the JSON path.</summary>
internal sealed class ConfigException(string message) : Exception(message);

/// <summary>Reads a configuration file and validates it against the published schema (<c>schemas/config.schema.json</c>).</summary>
internal static class ConfigLoader
{
    private static readonly Dictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    private static JsonSchema SchemaFor(IReadOnlyList<ISourceModule> modules)
    {
        var key = string.Join(',', modules.Select(m => m.Name));
        lock (Schemas)
        {
            if (!Schemas.TryGetValue(key, out var schema))
                Schemas[key] = schema = JsonSchema.FromJsonAsync(ComposedSchema(modules)).GetAwaiter().GetResult();
            return schema;
        }
    }

    /// <summary>
    /// The configuration schema: the settings every run has (<c>schemas/config.base.schema.json</c>) with each source
    /// module's section composed in under its name. <c>schemas/config.schema.json</c> is this text, for editors.
    /// </summary>
    public static string ComposedSchema(IEnumerable<ISourceModule> modules)
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream("config.base.schema.json")!;
        var root = JsonNode.Parse(stream)!.AsObject();
        root.Remove("description");
        var properties = root["properties"]!.AsObject();
        foreach (var module in modules)
        {
            var section = JsonNode.Parse(module.ConfigSchema)!.AsObject();
            foreach (var key in new[] { "$schema", "$id", "title" })
                section.Remove(key);
            // A module's own definitions move to the root, named after the module, and its references follow them.
            if (section["definitions"] is JsonObject definitions)
            {
                section.Remove("definitions");
                var rootDefinitions = root["definitions"] as JsonObject ?? (JsonObject)(root["definitions"] = new JsonObject());
                foreach (var (name, definition) in definitions.ToList())
                {
                    definitions.Remove(name);
                    rootDefinitions[$"{module.Name}-{name}"] = definition;
                    RenameReferences(definition, module.Name);
                }
            }

            RenameReferences(section, module.Name);
            properties[module.Name] = section;
        }

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static void RenameReferences(JsonNode? node, string module)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue r && r.TryGetValue<string>(out var target) && target.StartsWith("#/definitions/", StringComparison.Ordinal))
                    o["$ref"] = $"#/definitions/{module}-{target["#/definitions/".Length..]}";
                foreach (var (_, child) in o.ToList())
                    RenameReferences(child, module);
                break;
            case JsonArray a:
                foreach (var child in a)
                    RenameReferences(child, module);
                break;
        }
    }

    /// <summary>Reads and validates <paramref name="path"/> against the schema composed from <paramref name="modules"/>.</summary>
    public static EvidenceBotConfig Load(string path, IReadOnlyList<ISourceModule> modules)
    {
        if (Directory.Exists(path))
            throw new ConfigException($"{path}: is a folder; give the configuration file (e.g. {Path.Combine(path, "evidencebot.json")})");
        if (!File.Exists(path))
            throw new ConfigException($"{path}: the configuration file does not exist");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot be read: {ex.Message}");
        }

        try
        {
            // A setting given twice is refused: which one wins would be a guess, and the schema sees only one.
            using var _ = JsonDocument.Parse(text, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{path}({(ex.LineNumber ?? 0) + 1},{(ex.BytePositionInLine ?? 0) + 1}): not valid JSON: {EvidenceBot.Core.Json.JsonErrorText.Of(ex)}");
        }

        try
        {
            var errors = SchemaFor(modules).Validate(text);
            if (errors.Count > 0)
            {
                var lines = errors.Select(e => $"{path}({e.LineNumber},{e.LinePosition}): {Where(e)}: {What(e)}");
                throw new ConfigException(string.Join(Environment.NewLine, lines));
            }

            var config = JsonSerializer.Deserialize<EvidenceBotConfig>(text) ?? new EvidenceBotConfig();
            return config with { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))! };
        }
        catch (Exception ex) when (ex is InvalidCastException or OverflowException or FormatException or JsonException)
        {
            // The validator and the reader both choke on numbers too large for their types (e.g. "parallel": 1e20).
            var where = ex is JsonException { Path: { Length: > 0 } p } ? p : "a value";
            throw new ConfigException($"{path}: {where} cannot be read: {ex.Message.Split(" Path:")[0]} (a number too large, or of the wrong kind?)");
        }
    }

    private static string Where(ValidationError e)
    {
        var path = (e.Path ?? "#").TrimStart('#', '/');
        var json = "$" + (path.Length > 0 ? "." + path.Replace('/', '.') : "");
        return json;
    }

    private static string What(ValidationError e) => e.Kind switch
    {
        ValidationErrorKind.NoAdditionalPropertiesAllowed => "is not a known setting (see schemas/config.schema.json)",
        ValidationErrorKind.PropertyRequired => $"is required",
        ValidationErrorKind.PatternMismatch when DurationUnits(e) is { } units =>
            $"must be a duration: a whole number and a unit ({units}), e.g. 30s or 5m" + SchemaErrors.Found(e),
        ValidationErrorKind.PatternMismatch => $"must match {e.Schema?.Pattern}" + SchemaErrors.Found(e),
        ValidationErrorKind.NotInEnumeration => e.Schema?.Enumeration is { Count: > 0 } allowed
            ? $"must be one of {string.Join(", ", allowed.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)))}" + SchemaErrors.Found(e)
            : "is not one of the allowed values" + SchemaErrors.Found(e),
        ValidationErrorKind.NumberTooBig => $"must be at most {e.Schema?.Maximum}" + SchemaErrors.Found(e),
        ValidationErrorKind.NumberTooSmall => $"must be at least {e.Schema?.Minimum}" + SchemaErrors.Found(e),
        ValidationErrorKind.StringExpected => "must be a string" + (DurationUnits(e) is not null ? " holding a duration such as \"30s\"" : "") + SchemaErrors.Found(e),
        ValidationErrorKind.IntegerExpected => "must be a whole number" + SchemaErrors.Found(e),
        ValidationErrorKind.NumberExpected => "must be a number" + SchemaErrors.Found(e),
        ValidationErrorKind.BooleanExpected => "must be true or false" + SchemaErrors.Found(e),
        ValidationErrorKind.ArrayExpected => "must be a list ([...])" + SchemaErrors.Found(e),
        ValidationErrorKind.ObjectExpected => "must be an object ({...})" + SchemaErrors.Found(e),
        _ => SchemaErrors.Humanize(e.Kind) + SchemaErrors.Found(e),
    };

    /// <summary>The units of a duration setting (its pattern is <c>^[0-9]+(ms|s|…)$</c>), or null for any other setting.</summary>
    private static string? DurationUnits(ValidationError e) =>
        System.Text.RegularExpressions.Regex.Match(e.Schema?.Pattern ?? "", @"^\^\[0-9\]\+\(([a-z|]+)\)\$$") is { Success: true } m
            ? m.Groups[1].Value.Replace("|", ", ", StringComparison.Ordinal) : null;
}
