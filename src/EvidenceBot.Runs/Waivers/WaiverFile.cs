using System.Globalization;
using System.Text.Json.Nodes;
using EvidenceBot.Core.Json;
using NJsonSchema;
using NJsonSchema.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EvidenceBot.Runs.Waivers;

/// <summary>
/// Reads <c>waivers.yaml</c> and validates it against <c>schemas/waivers.schema.json</c>. Every problem is reported,
/// each as <c>file(line): field: what is wrong</c>, in one <see cref="WaiverException"/>.
/// </summary>
internal static class WaiverFile
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(WaiverFile).Assembly.GetManifestResourceStream("waivers.schema.json")!;
        using var reader = new StreamReader(stream);
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    });

    /// <summary>The folder the envelopes of <paramref name="waiversFile"/> live in: <c>waivers/</c> beside it.</summary>
    public static string EnvelopeFolder(string waiversFile) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(waiversFile))!, "waivers");

    /// <summary>The envelope file of one waiver.</summary>
    public static string EnvelopePath(string waiversFile, string id) => Path.Combine(EnvelopeFolder(waiversFile), id + ".dsse.json");

    public static IReadOnlyList<Waiver> Read(string path)
    {
        if (!File.Exists(path))
            throw new WaiverException($"{path}: the waivers file does not exist; create it (see docs/operators/waivers.md) or remove 'waivers' from the configuration");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WaiverException($"{path}: cannot be read: {ex.Message}");
        }

        return Parse(path, text);
    }

    public static IReadOnlyList<Waiver> Parse(string path, string text)
    {
        YamlNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        }
        catch (YamlException ex)
        {
            throw new WaiverException($"{path}({ex.Start.Line}): not valid YAML: {(ex.InnerException ?? ex).Message}");
        }

        if (root is not YamlMappingNode)
            throw new WaiverException($"{path}(1): expected a mapping with a 'waivers:' list (see schemas/waivers.schema.json)");

        var lineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        JsonNode? json;
        try
        {
            json = ToJson(root, "#", lineOf);
        }
        catch (InvalidCastException)
        {
            throw new WaiverException($"{path}: a mapping key is not a plain value; keys are field names (id, rule, …)");
        }

        var errors = SchemaErrors.Flatten(Schema.Value.Validate(json?.ToJsonString() ?? "null")).ToList();
        var problems = errors.Select(e => $"{path}({LineFor(e.Path, lineOf)}): {Field(e)}: {Describe(e)}").ToList();
        if (problems.Count > 0)
            throw new WaiverException(string.Join(Environment.NewLine, problems));

        var list = new List<Waiver>();
        var items = json!["waivers"]!.AsArray();
        var ids = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < items.Count; i++)
        {
            var o = items[i]!.AsObject();
            var at = $"#/waivers[{i}]";
            var line = lineOf.GetValueOrDefault(at);
            var id = (string)o["id"]!;
            if (ids.TryGetValue(id, out var first))
            {
                problems.Add($"{path}({line}): waivers[{i}].id: '{id}' is already the id of the waiver on line {first}; give each waiver its own id");
                continue;
            }

            ids[id] = line;
            var created = Date(o, "created", at, i);
            var expires = Date(o, "expires", at, i);
            if (created is null || expires is null)
                continue;
            if (expires < created)
            {
                problems.Add($"{path}({lineOf.GetValueOrDefault(at + ".expires", line)}): waivers[{i}].expires: {Waiver.Day(expires.Value)} is before created {Waiver.Day(created.Value)}");
                continue;
            }

            list.Add(new Waiver(id, (string)o["rule"]!, (string?)o["resource"], (string)o["control"]!, (string)o["justification"]!,
                (string)o["approver"]!, created.Value, expires.Value)
            {
                File = path,
                Line = line,
                ControlLine = lineOf.GetValueOrDefault(at + ".control", line),
            });
        }

        if (problems.Count > 0)
            throw new WaiverException(string.Join(Environment.NewLine, problems));
        return list;

        DateOnly? Date(JsonObject o, string name, string at, int i)
        {
            var text = (string)o[name]!;
            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                return day;
            problems.Add($"{path}({lineOf.GetValueOrDefault(at + "." + name, lineOf.GetValueOrDefault(at))}): waivers[{i}].{name}: '{text}' is not a calendar day (YYYY-MM-DD)");
            return null;
        }
    }

    // Paths as NJsonSchema writes them: #/name at the root, then .name and [i].
    private static JsonNode? ToJson(YamlNode node, string path, Dictionary<string, int> lineOf)
    {
        lineOf[path] = (int)node.Start.Line;
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? "";
                    var childPath = path == "#" ? $"#/{name}" : $"{path}.{name}";
                    obj[name] = ToJson(value, childPath, lineOf);
                    lineOf[childPath] = (int)key.Start.Line;
                }

                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                var i = 0;
                foreach (var item in seq.Children)
                    arr.Add(ToJson(item, $"{path}[{i++}]", lineOf));
                return arr;
            case YamlScalarNode scalar:
                // Every field is text: a date or an id that looks like a number stays exactly as written.
                var v = scalar.Value ?? "";
                return scalar.Style == ScalarStyle.Plain && v is "" or "~" or "null" ? null : JsonValue.Create(v);
            default:
                return null;
        }
    }

    private static int LineFor(string? path, Dictionary<string, int> lineOf)
    {
        for (var p = path ?? "#"; p.Length > 0;)
        {
            if (lineOf.TryGetValue(p, out var line))
                return line;
            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            if (cut <= 0)
                break;
            p = p[..cut];
        }

        return 1;
    }

    private static string Field(ValidationError e)
    {
        var path = (e.Path ?? "#").TrimStart('#', '/');
        if (e.Kind == ValidationErrorKind.PropertyRequired && e.Property is { } missing && path.EndsWith(missing, StringComparison.Ordinal))
            path = path[..^missing.Length].TrimEnd('.', '/');
        return path.Length == 0 ? "(top level)" : path;
    }

    private static string Describe(ValidationError e) => e.Kind switch
    {
        ValidationErrorKind.PropertyRequired => $"'{e.Property}' is required",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => $"'{e.Property}' is not a waiver field (id, rule, resource, control, justification, approver, created, expires)",
        ValidationErrorKind.PatternMismatch => $"does not have the expected form {e.Schema?.Pattern}",
        ValidationErrorKind.StringExpected => "must be a text value (it is empty, a list or a mapping)",
        ValidationErrorKind.StringTooShort => "must not be empty",
        _ => SchemaErrors.Humanize(e.Kind),
    };
}
