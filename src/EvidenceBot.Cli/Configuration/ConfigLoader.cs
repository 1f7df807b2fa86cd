using System.Text.Json;
using NJsonSchema;
using NJsonSchema.Validation;

namespace EvidenceBot.Cli.Configuration;

/// <summary>A configuration file that cannot be used; the message names the file and the JSON path.</summary>
internal sealed class ConfigException(string message) : Exception(message);

/// <summary>Reads a configuration file and validates it against the published schema (<c>schemas/config.schema.json</c>).</summary>
internal static class ConfigLoader
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream("config.schema.json")!;
        using var reader = new StreamReader(stream);
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    });

    public static EvidenceBotConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException($"{path}: the configuration file does not exist");
        var text = File.ReadAllText(path);
        try
        {
            using var _ = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{path}({(ex.LineNumber ?? 0) + 1},{(ex.BytePositionInLine ?? 0) + 1}): not valid JSON: {ex.Message.Split(" Path:")[0]}");
        }

        var errors = Schema.Value.Validate(text);
        if (errors.Count > 0)
        {
            var lines = errors.Select(e => $"{path}({e.LineNumber},{e.LinePosition}): {Where(e)}: {What(e)}");
            throw new ConfigException(string.Join(Environment.NewLine, lines));
        }

        var config = JsonSerializer.Deserialize<EvidenceBotConfig>(text) ?? new EvidenceBotConfig();
        return config with { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))! };
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
        ValidationErrorKind.PatternMismatch => $"must match {e.Schema?.Pattern}",
        ValidationErrorKind.NotInEnumeration => "is not one of the allowed values",
        _ => e.Kind.ToString(),
    };
}
