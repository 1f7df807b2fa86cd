using System.Globalization;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EvidenceBot.Reports;

/// <summary>One control's applicability as the compliance lead states it.</summary>
/// <param name="Applicable">False when the control is excluded.</param>
/// <param name="Justification">Why it is included or excluded; required when excluded (ISO/IEC 27001 6.1.3 d).</param>
/// <param name="Manual">The manual part of the evidence, when stated.</param>
internal sealed record ControlApplicability(bool Applicable, string? Justification, string? Manual);

/// <summary>
/// The <c>--soa</c> file: YAML, checked against <c>schemas/soa-applicability.schema.json</c>; every problem names
/// the file and line.
/// </summary>
internal sealed class Applicability
{
    private readonly Dictionary<string, ControlApplicability> _controls;

    private Applicability(Dictionary<string, ControlApplicability> controls) => _controls = controls;

    /// <summary>No file: every control applicable, no justification stated.</summary>
    public static Applicability None { get; } = new(new Dictionary<string, ControlApplicability>(StringComparer.Ordinal));

    /// <summary>True when no file was given.</summary>
    public bool IsEmpty => _controls.Count == 0;

    /// <summary>What the file says about a control, or null.</summary>
    public ControlApplicability? For(string controlId) => _controls.GetValueOrDefault(controlId);

    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(Applicability).Assembly.GetManifestResourceStream("soa-applicability.schema.json")
            ?? throw new InvalidOperationException("soa-applicability.schema.json is not embedded");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    });

    /// <summary>Reads and checks the file. Throws <see cref="ReportException"/> naming the file and line of every problem.</summary>
    public static Applicability Load(string path, ControlCatalog catalog)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ReportException($"--soa {path}: cannot be read ({ex.Message})");
        }

        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new ReportException($"{path}:{ex.Start.Line}: not valid YAML ({ex.InnerException?.Message ?? ex.Message})");
        }

        if (yaml.Documents.Count == 0)
            throw new ReportException($"{path}:1: empty file; expected 'controls:' with one entry per control (see docs/auditors/reports.md)");
        var tokens = new List<(JToken Token, int Line)>();
        var json = ToJson(yaml.Documents[0].RootNode, tokens);
        // Paths as NJsonSchema reports them (Json.NET's: controls['ISO27001:2022/A.7.4'].applicable), each with its line;
        // a property's own line (its key) wins over its value's.
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, line) in tokens)
        {
            if (token is JProperty || !lines.ContainsKey(token.Path))
                lines[token.Path] = line;
        }

        var errors = SchemaErrors.Flatten(Schema.Value.Validate(json)).ToList();
        var problems = new List<(int Line, string Message)>();
        foreach (var e in errors)
        {
            var at = (e.Path ?? "#/").TrimStart('#', '/');
            var property = e.Property is { Length: > 0 } p && !at.EndsWith(p, StringComparison.Ordinal) ? (at.Length > 0 ? at + "." + p : p) : at;
            var line = LineOf(lines, property) ?? LineOf(lines, at) ?? 1;
            problems.Add((line, $"{(property.Length > 0 ? property : "document")}: {SchemaErrors.Humanize(e.Kind)}"));
        }

        var controls = new Dictionary<string, ControlApplicability>(StringComparer.Ordinal);
        if (problems.Count == 0 && json["controls"] is JObject map)
        {
            foreach (var (id, value) in map)
            {
                var line = LineOf(lines, map.Property(id)!.Path) ?? 1;
                if (catalog.Find(id) is null)
                {
                    problems.Add((line, $"controls.{id}: {catalog.DescribeUnknown(id)}"));
                    continue;
                }

                var entry = (JObject)value!;
                var applicable = entry.Value<bool>("applicable");
                var justification = entry.Value<string>("justification");
                if (!applicable && string.IsNullOrWhiteSpace(justification))
                    problems.Add((line, $"controls.{id}: excluded without a justification; ISO/IEC 27001 6.1.3 d requires one for every excluded control (add 'justification: ...')"));
                controls[id] = new ControlApplicability(applicable, justification, entry.Value<string>("manual"));
            }
        }

        if (problems.Count > 0)
            throw new ReportException(string.Join(Environment.NewLine, problems.OrderBy(p => p.Line).Select(p => $"{path}:{p.Line}: {p.Message}")));
        return new Applicability(controls);
    }

    private static int? LineOf(Dictionary<string, int> lines, string path)
    {
        while (true)
        {
            if (lines.TryGetValue(path, out var line))
                return line;
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
                return null;
            path = path[..cut];
        }
    }

    /// <summary>The YAML node as JSON; <paramref name="lines"/> gets each token and property with its YAML line.</summary>
    private static JToken ToJson(YamlNode node, List<(JToken Token, int Line)> lines)
    {
        JToken token;
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JObject();
                foreach (var (k, v) in map.Children)
                {
                    var key = (k as YamlScalarNode)?.Value ?? k.ToString();
                    var property = new JProperty(key, ToJson(v, lines));
                    obj.Add(property);
                    lines.Add((property, (int)k.Start.Line));
                }

                token = obj;
                break;
            case YamlSequenceNode seq:
                var arr = new JArray();
                foreach (var item in seq.Children)
                    arr.Add(ToJson(item, lines));
                token = arr;
                break;
            case YamlScalarNode scalar:
                token = Scalar(scalar);
                break;
            default:
                token = JValue.CreateNull();
                break;
        }

        lines.Add((token, (int)node.Start.Line));
        return token;
    }

    private static JValue Scalar(YamlScalarNode scalar)
    {
        var s = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.Plain)
        {
            if (s is "true" or "True" or "TRUE")
                return new JValue(true);
            if (s is "false" or "False" or "FALSE")
                return new JValue(false);
            if (s is "" or "~" or "null" or "Null" or "NULL")
                return JValue.CreateNull();
            if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                return new JValue(n);
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                return new JValue(d);
        }

        return new JValue(s);
    }
}
