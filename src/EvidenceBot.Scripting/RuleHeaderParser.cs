using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using NJsonSchema;
using NJsonSchema.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EvidenceBot.Scripting;

/// <summary>
/// Reads a rule's YAML front matter (<c>/* --- … --- */</c>) without compiling the rule, and validates it
/// against the published rule-header JSON Schema. Every error names the file, the line and the field.
/// </summary>
public static partial class RuleHeaderParser
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(RuleHeaderParser).Assembly.GetManifestResourceStream("rule-header.schema.json")
            ?? throw new InvalidOperationException("rule-header.schema.json is not embedded");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    });

    /// <summary>The header schema, as published under <c>schemas/</c>.</summary>
    public static JsonSchema HeaderSchema => Schema.Value;

    /// <summary>Parses the header of <paramref name="text"/> read from <paramref name="path"/>.</summary>
    /// <returns>The manifest, or null with at least one error in <paramref name="diagnostics"/>.</returns>
    /// <remarks><see cref="RuleManifest.SourceSha256"/> is the hash of the text encoded as UTF-8 without a byte-order mark.</remarks>
    public static RuleManifest? Parse(string path, string text, List<RuleDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(path, text, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), diagnostics);
    }

    /// <summary>Parses the header of <paramref name="text"/>, decoded from a file whose bytes hash to <paramref name="sha"/>.</summary>
    internal static RuleManifest? Parse(string path, string text, string sha, List<RuleDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var lines = text.Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (start < 0 || !lines[start].TrimStart().StartsWith("/* ---", StringComparison.Ordinal))
        {
            diagnostics.Add(Error(path, start < 0 ? 1 : start + 1, "EB0001",
                "the rule has no header: start the file with a '/* ---' line, YAML fields (id, title, …), and a '--- */' line"));
            return null;
        }

        var end = -1;
        for (var i = start + 1; i < lines.Length; i++)
        {
            if (lines[i].Trim() == "--- */")
            {
                end = i;
                break;
            }
        }

        if (end < 0)
        {
            diagnostics.Add(Error(path, start + 1, "EB0002", "the header opened here is never closed: end it with a line '--- */'"));
            return null;
        }

        var yamlFirstLine = start + 2; // 1-based line of the first YAML line
        var yaml = string.Join('\n', lines[(start + 1)..end]);
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                diagnostics.Add(Error(path, yamlFirstLine, "EB0003", "the header must be a YAML mapping of fields (id: …, title: …)"));
                return null;
            }

            root = mapping;
        }
        catch (YamlException ex)
        {
            var line = yamlFirstLine + (int)Math.Max(0, ex.Start.Line - 1);
            diagnostics.Add(Error(path, line, "EB0004", $"the header is not valid YAML: {Innermost(ex).Message}", (int)ex.Start.Column));
            return null;
        }

        var lineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var json = ToJson(root, "#", lineOf, yamlFirstLine);
        var lineFor = (string p) => LineFor(p, lineOf, yamlFirstLine);

        if (json is not JsonObject)
        {
            diagnostics.Add(Error(path, yamlFirstLine, "EB0003", "the header must be a YAML mapping of fields (id: …, title: …)"));
            return null;
        }

        var errors = HeaderSchema.Validate(json.ToJsonString());
        var ruleId = (json as JsonObject)?["id"] is JsonValue idValue && idValue.GetValueKind() == JsonValueKind.String ? idValue.GetValue<string>() : null;
        if (errors.Count > 0)
        {
            foreach (var error in SchemaErrors.Flatten(errors))
            {
                var field = FieldName(error);
                diagnostics.Add(Error(path, lineFor(FieldPath(error)), "EB0100", $"header field '{field}': {Describe(error, json)}", 0, ruleId));
            }

            return null;
        }

        var obj = (JsonObject)json;
        TimeSpan? timeout = null;
        if (obj["timeout"] is JsonNode t)
            timeout = ParseDuration(t.GetValue<string>());

        var controls = new List<ControlMapping>();
        var controlLines = new Dictionary<string, int>(StringComparer.Ordinal);
        if (obj["controls"] is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                var id = array[i]!["id"]!.GetValue<string>();
                var relation = array[i]!["relation"]!.GetValue<string>();
                controls.Add(new ControlMapping(id, WireNames.Parse<ControlRelation>(relation)));
                controlLines.TryAdd(id, lineFor($"#/controls[{i}].id"));
            }
        }

        var parameters = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (obj["parameters"] is JsonObject ps)
        {
            foreach (var (name, value) in ps)
                parameters[name] = JsonSerializer.SerializeToElement(value);
        }

        return new RuleManifest
        {
            Id = obj["id"]!.GetValue<string>(),
            Title = obj["title"]!.GetValue<string>(),
            Description = obj["description"]?.GetValue<string>() ?? "",
            Severity = obj["severity"] is JsonNode s ? WireNames.Parse<Severity>(s.GetValue<string>()) : Severity.Medium,
            Sources = obj["sources"] is JsonArray src ? [.. src.Select(x => x!.GetValue<string>())] : [],
            Controls = controls,
            ControlLines = controlLines,
            Parameters = parameters,
            Timeout = timeout,
            Schedule = obj["schedule"]?.GetValue<string>(),
            Freshness = obj["freshness"] is JsonNode f ? ParseDuration(f.GetValue<string>()) : null,
            SourcePath = path,
            SourceSha256 = sha,
        };
    }

    /// <summary>Parses <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>, <c>7d</c>.</summary>
    public static TimeSpan ParseDuration(string text) => Duration.Parse(text);

    private static RuleDiagnostic Error(string path, int line, string code, string message, int column = 0, string? ruleId = null) =>
        new(new SourceLocation(path, line, column), DiagnosticSeverity.Error, code, message, ruleId);

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;

    private static JsonNode? ToJson(YamlNode node, string path, Dictionary<string, int> lineOf, int firstLine)
    {
        lineOf[path] = firstLine + (int)node.Start.Line - 1;
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? "";
                    var childPath = path == "#" ? $"#/{name}" : $"{path}.{name}";
                    obj[name] = ToJson(value, childPath, lineOf, firstLine);
                    lineOf[childPath] = firstLine + (int)key.Start.Line - 1;
                }

                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                var i = 0;
                foreach (var item in seq.Children)
                {
                    arr.Add(ToJson(item, path == "#" ? $"#/[{i}]" : $"{path}[{i}]", lineOf, firstLine));
                    i++;
                }

                return arr;
            case YamlScalarNode scalar:
                var v = scalar.Value ?? "";
                if (scalar.Style != ScalarStyle.Plain)
                    return JsonValue.Create(v);
                if (v is "" or "~" or "null")
                    return null;
                if (v is "true" or "false")
                    return JsonValue.Create(v == "true");
                if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
                    return JsonValue.Create(l);
                if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    return JsonValue.Create(d);
                return JsonValue.Create(v);
            default:
                return null;
        }
    }

    private static string FieldPath(ValidationError e) =>
        e.Kind == ValidationErrorKind.PropertyRequired ? (e.Path ?? "#").Replace("." + e.Property, "", StringComparison.Ordinal).Replace("#/" + e.Property, "#", StringComparison.Ordinal) : e.Path ?? "#";

    private static string FieldName(ValidationError e)
    {
        var p = (e.Path ?? "#").TrimStart('#', '/');
        return p.Length == 0 ? e.Property ?? "(header)" : p;
    }

    private static string Describe(ValidationError e, JsonNode? root)
    {
        var value = Lookup(root, e.Path);
        var shown = value is null ? "" : $" (found {value.ToJsonString()})";
        return e.Kind switch
        {
            ValidationErrorKind.PropertyRequired => "is required",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => "is not a header field; allowed: id, title, description, severity, sources, controls, parameters, timeout, schedule, freshness, tags",
            ValidationErrorKind.NotInEnumeration => $"must be one of {string.Join(", ", e.Schema?.Enumeration.Select(x => x?.ToString()) ?? [])}{shown}",
            ValidationErrorKind.PatternMismatch => $"does not have the expected form {e.Schema?.Pattern}{shown}",
            ValidationErrorKind.StringExpected or ValidationErrorKind.ArrayExpected or ValidationErrorKind.ObjectExpected
                or ValidationErrorKind.IntegerExpected or ValidationErrorKind.NumberExpected or ValidationErrorKind.BooleanExpected =>
                $"{SchemaErrors.Humanize(e.Kind)}{shown}",
            _ => $"{SchemaErrors.Humanize(e.Kind)}{shown}",
        };
    }

    private static JsonNode? Lookup(JsonNode? root, string? path)
    {
        if (root is null || string.IsNullOrEmpty(path) || path == "#")
            return null;
        JsonNode? node = root;
        foreach (Match m in PathSegment().Matches(path.TrimStart('#', '/')))
        {
            if (node is null)
                return null;
            node = m.Groups["index"].Success
                ? (node is JsonArray a && int.Parse(m.Groups["index"].Value, CultureInfo.InvariantCulture) is var i && i < a.Count ? a[i] : null)
                : (node as JsonObject)?[m.Groups["name"].Value];
        }

        return node;
    }

    [GeneratedRegex(@"(?<name>[^.\[\]]+)|\[(?<index>[0-9]+)\]")]
    private static partial Regex PathSegment();

    private static int LineFor(string path, Dictionary<string, int> lineOf, int fallback)
    {
        // Walk up the path until a known node: "#/controls[1].relation" → "#/controls[1]" → "#/controls".
        var p = path;
        while (true)
        {
            if (lineOf.TryGetValue(p, out var line))
                return line;
            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            if (cut <= 1)
                return lineOf.TryGetValue(p.Split('.', '[')[0], out var l) ? l : fallback;
            p = p[..cut];
        }
    }
}
