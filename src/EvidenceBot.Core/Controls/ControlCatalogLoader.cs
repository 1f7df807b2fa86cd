using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Json;
using NJsonSchema;
using NJsonSchema.Validation;

namespace EvidenceBot.Core.Controls;

/// <summary>
/// Reads catalog and crosswalk JSON, validates each against its published schema (NJsonSchema), then checks what a
/// schema cannot: unique ids, known groups and parents, crosswalk endpoints that exist in another framework.
/// Collects every problem before failing, each naming the file and JSON path.
/// </summary>
internal static class ControlCatalogLoader
{
    private const string ResourcePrefix = "controls/";

    private const string CatalogSchemaName = "schemas/control-catalog.schema.json";
    private const string CrosswalkSchemaName = "schemas/crosswalk.schema.json";

    public static ControlCatalog LoadEmbedded()
    {
        var assembly = typeof(ControlCatalogLoader).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return new SourceFile($"rules/controls/{n[ResourcePrefix.Length..]} (embedded)", n[ResourcePrefix.Length..], reader.ReadToEnd());
            })
            .ToList();
        // The embedded files are the repository's rules/controls, schema-checked by the tests that load that folder;
        // skipping the schema here keeps the validator off every start-up.
        return Load(files, validateSchemas: false);
    }

    public static ControlCatalog LoadDirectory(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir))
            throw new ControlCatalogException($"{dir}: the controls folder does not exist: pass a folder holding the catalog JSON files (e.g. rules/controls)");
        var files = new List<SourceFile>();
        foreach (var path in Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                files.Add(new SourceFile(path, Path.GetFileName(path), File.ReadAllText(path, Encoding.UTF8)));
            }
            catch (IOException ex)
            {
                throw new ControlCatalogException($"{path}: cannot read the file: {ex.Message}", ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new ControlCatalogException($"{path}: cannot read the file: {ex.Message}", ex);
            }
        }

        return Load(files);
    }

    internal static ControlCatalog Load(IReadOnlyList<SourceFile> files, bool validateSchemas = true)
    {
        var errors = new List<CatalogError>();
        var catalogs = files.Where(f => !IsCrosswalk(f.Name)).ToList();
        if (catalogs.Count == 0)
        {
            var where = files.Count == 0 ? "no JSON files" : "only crosswalk files";
            throw new ControlCatalogException($"the controls folder holds {where}: add at least one catalog file (see schemas/control-catalog.schema.json)");
        }

        var frameworks = new List<Framework>();
        var controls = new List<Control>();
        var frameworkFile = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in catalogs)
        {
            if (Parse(file, validateSchemas ? CatalogSchemaName : null, errors) is not { } root)
                continue;
            var (framework, list) = ReadCatalog(file, root, errors);
            if (frameworkFile.TryGetValue(framework.Id, out var other))
            {
                errors.Add(new CatalogError(file.Display, "$.framework", 0, $"framework '{framework.Id}' is already defined by {other}: one file per framework"));
                continue;
            }

            frameworkFile[framework.Id] = file.Display;
            frameworks.Add(framework);
            controls.AddRange(list);
        }

        var known = controls.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var links = new List<CrosswalkLink>();
        foreach (var file in files.Where(f => IsCrosswalk(f.Name)))
        {
            if (Parse(file, validateSchemas ? CrosswalkSchemaName : null, errors) is { } root)
                links.AddRange(ReadCrosswalk(file, root, known, controls, errors));
        }

        if (errors.Count > 0)
            throw new ControlCatalogException(errors);
        return new ControlCatalog(frameworks, controls, new Crosswalk(links));
    }

    private static bool IsCrosswalk(string name) =>
        name.Equals("crosswalk.json", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".crosswalk.json", StringComparison.OrdinalIgnoreCase);

    private static JsonElement? Parse(SourceFile file, string? schema, List<CatalogError> errors)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(file.Text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is { } l ? (int)l + 1 : 0;
            errors.Add(new CatalogError(file.Display, ex.Path ?? "$", line, $"not valid JSON: {FirstSentence(ex.Message)}"));
            return null;
        }

        return schema is null || SchemaCheck.Passes(file, schema, errors) ? root : null;
    }

    private static (Framework Framework, List<Control> Controls) ReadCatalog(SourceFile file, JsonElement root, List<CatalogError> errors)
    {
        var id = root.GetProperty("framework").GetString()!;
        var groups = root.TryGetProperty("groups", out var g)
            ? g.EnumerateArray().Select(x => new ControlGroup(x.GetProperty("id").GetString()!, x.GetProperty("title").GetString()!)).ToList()
            : [];
        var groupTitles = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < groups.Count; i++)
        {
            if (!groupTitles.TryAdd(groups[i].Id, groups[i].Title))
                errors.Add(new CatalogError(file.Display, $"$.groups[{i}].id", 0, $"group '{groups[i].Id}' is listed twice: group ids must be unique"));
        }

        var assessable = root.GetProperty("assessable").EnumerateArray().Select(x => x.GetString()!).ToList();
        var framework = new Framework
        {
            Id = id,
            Name = root.GetProperty("name").GetString()!,
            Source = root.TryGetProperty("source", out var s) ? s.GetString() : null,
            Groups = groups,
            AssessableKinds = assessable,
            SourceFile = file.Display,
        };

        var controls = new List<Control>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var c in root.GetProperty("controls").EnumerateArray())
        {
            var path = $"$.controls[{index++}]";
            var local = c.GetProperty("id").GetString()!;
            var kind = c.GetProperty("kind").GetString()!;
            string? group = c.TryGetProperty("group", out var gp) ? gp.GetString() : null;
            string? parent = c.TryGetProperty("parent", out var pp) ? pp.GetString() : null;
            if (!seen.Add(local))
            {
                errors.Add(new CatalogError(file.Display, path + ".id", 0, $"control '{local}' is listed twice in {id}: control ids must be unique"));
                continue;
            }

            if (group is not null && !groupTitles.ContainsKey(group))
                errors.Add(new CatalogError(file.Display, path + ".group", 0, $"group '{group}' is not one of 'groups' ({string.Join(", ", groupTitles.Keys.DefaultIfEmpty("none listed"))}): add it there or fix the id"));
            if (parent is not null && (parent == local || !seen.Contains(parent)))
                errors.Add(new CatalogError(file.Display, path + ".parent", 0, $"parent '{parent}' of '{local}' is not a control listed before it in this file: list the parent first or fix the id"));

            controls.Add(new Control
            {
                Id = $"{id}/{local}",
                Framework = id,
                LocalId = local,
                Title = c.GetProperty("title").GetString()!,
                Kind = kind,
                Group = group,
                GroupTitle = group is not null && groupTitles.TryGetValue(group, out var t) ? t : null,
                Parent = parent is null ? null : $"{id}/{parent}",
                Assessable = assessable.Contains(kind, StringComparer.Ordinal),
            });
        }

        for (var k = 0; k < assessable.Count; k++)
        {
            if (!controls.Any(c => c.Kind == assessable[k]))
                errors.Add(new CatalogError(file.Display, $"$.assessable[{k}]", 0, $"no control has kind '{assessable[k]}': list kinds that occur in 'controls' ({string.Join(", ", controls.Select(c => c.Kind).Distinct())})"));
        }

        return (framework, controls);
    }

    private static List<CrosswalkLink> ReadCrosswalk(SourceFile file, JsonElement root, HashSet<string> known, List<Control> controls, List<CatalogError> errors)
    {
        var links = new List<CrosswalkLink>();
        var pairs = new Dictionary<(string, string), int>();
        var i = 0;
        foreach (var r in root.GetProperty("relations").EnumerateArray())
        {
            var path = $"$.relations[{i}]";
            var from = r.GetProperty("from").GetString()!;
            var to = r.GetProperty("to").GetString()!;
            var ok = CheckEndpoint(file, path + ".from", from, known, controls, errors) & CheckEndpoint(file, path + ".to", to, known, controls, errors);
            if (ok && FrameworkOf(from) == FrameworkOf(to))
            {
                errors.Add(new CatalogError(file.Display, path, 0, $"'{from}' and '{to}' are in the same framework: the crosswalk relates controls of different frameworks"));
                ok = false;
            }

            var key = string.CompareOrdinal(from, to) < 0 ? (from, to) : (to, from);
            if (ok && pairs.TryGetValue(key, out var first))
            {
                errors.Add(new CatalogError(file.Display, path, 0, $"'{from}' and '{to}' are already related at $.relations[{first}]: keep one relation per pair"));
                ok = false;
            }

            if (ok)
            {
                pairs[key] = i;
                var relation = WireNames.Parse<CrosswalkRelation>(r.GetProperty("relation").GetString());
                links.Add(new CrosswalkLink(from, to, relation, r.GetProperty("rationale").GetString()!));
            }

            i++;
        }

        return links;
    }

    private static bool CheckEndpoint(SourceFile file, string path, string id, HashSet<string> known, List<Control> controls, List<CatalogError> errors)
    {
        if (known.Contains(id))
            return true;
        var closest = EditDistance.Closest(id, controls.Select(c => c.Id), 3);
        errors.Add(new CatalogError(file.Display, path, 0, $"'{id}' is not a control of any catalog; closest: {string.Join(", ", closest)}"));
        return false;
    }

    private static string FrameworkOf(string id) => id[..id.IndexOf('/', StringComparison.Ordinal)];

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    // NJsonSchema is only loaded when a catalog folder is validated, never on a run's start-up with the built-in catalogs.
    private static class SchemaCheck
    {
        private static readonly Dictionary<string, Lazy<JsonSchema>> Schemas = new(StringComparer.Ordinal)
        {
            [CatalogSchemaName] = new(() => ReadSchema(CatalogSchemaName)),
            [CrosswalkSchemaName] = new(() => ReadSchema(CrosswalkSchemaName)),
        };

        public static bool Passes(SourceFile file, string schema, List<CatalogError> errors)
        {
            var found = SchemaErrors.Flatten(Schemas[schema].Value.Validate(file.Text)).ToList();
            foreach (var e in found)
                errors.Add(new CatalogError(file.Display, JsonPath(e.Path), e.HasLineInfo ? e.LineNumber : 0, Describe(e)));
            return found.Count == 0;
        }

        private static JsonSchema ReadSchema(string name)
        {
            using var stream = typeof(ControlCatalogLoader).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException(name + " is not embedded");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
        }

        private static string JsonPath(string? path)
        {
            var p = (path ?? "#").TrimStart('#').TrimStart('/');
            return p.Length == 0 ? "$" : "$." + p;
        }

        private static string Describe(ValidationError e) => e.Kind switch
        {
            ValidationErrorKind.PropertyRequired => $"'{e.Property}' is required",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => $"'{e.Property}' is not a field here; allowed: {string.Join(", ", e.Schema?.Properties.Keys ?? [])}",
            ValidationErrorKind.NotInEnumeration => $"must be one of {string.Join(", ", e.Schema?.Enumeration.Select(x => x?.ToString()) ?? [])}",
            ValidationErrorKind.PatternMismatch => $"does not have the expected form {e.Schema?.Pattern}",
            ValidationErrorKind.StringTooShort => $"is shorter than {e.Schema?.MinLength} characters",
            ValidationErrorKind.StringTooLong => $"is longer than {e.Schema?.MaxLength} characters",
            ValidationErrorKind.TooFewItems => $"needs at least {e.Schema?.MinItems} item(s)",
            _ => SchemaErrors.Humanize(e.Kind),
        };
    }

    internal sealed record SourceFile(string Display, string Name, string Text);
}
