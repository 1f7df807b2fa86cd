using System.Globalization;
using System.Text.Json;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using NJsonSchema;
using NJsonSchema.Validation;

namespace EvidenceBot.Runs.RuleTests;

/// <summary>
/// One rule test case, the folder <c>&lt;rule&gt;.tests/&lt;case&gt;/</c> beside the rule: <c>case.json</c> (target,
/// parameters, clock, source sections), <c>expect.json</c> (verdict and findings) and <c>exchanges/</c> (the recorded
/// HTTP exchanges that answer every request). Schemas: <c>schemas/rule-test-case.schema.json</c>,
/// <c>schemas/rule-test-expect.schema.json</c>.
/// </summary>
internal sealed record RuleTestCase
{
    public const string CaseFile = "case.json";
    public const string ExpectFile = "expect.json";
    public const string ExchangesFolder = "exchanges";

    /// <summary>The suffix of the folder beside a rule that holds its cases: <c>branch-protection.csx</c> → <c>branch-protection.tests</c>.</summary>
    public const string FolderSuffix = ".tests";

    public required string Name { get; init; }
    public required string Folder { get; init; }
    public required string Target { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Parameters { get; init; }
    public required DateTimeOffset Now { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Sources { get; init; }
    public required RuleTestExpectation Expect { get; init; }

    public string CasePath => Path.Combine(Folder, CaseFile);

    /// <summary>The folder of a rule's cases.</summary>
    public static string FolderOf(string rulePath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(rulePath))!, Path.GetFileNameWithoutExtension(rulePath) + FolderSuffix);

    private static readonly Lazy<JsonSchema> CaseSchema = new(() => Schema("rule-test-case.schema.json"));
    private static readonly Lazy<JsonSchema> ExpectSchema = new(() => Schema("rule-test-expect.schema.json"));

    private static JsonSchema Schema(string name)
    {
        using var stream = typeof(RuleTestCase).Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Reads and validates a case folder. Every problem is a <see cref="RuleTestCaseException"/> naming the file, the line
    /// and the field, and what to do.
    /// </summary>
    public static RuleTestCase Load(string folder)
    {
        var casePath = Path.Combine(folder, CaseFile);
        var expectPath = Path.Combine(folder, ExpectFile);
        using var caseDoc = Read(casePath, CaseSchema.Value);
        using var expectDoc = Read(expectPath, ExpectSchema.Value);
        if (!Directory.Exists(Path.Combine(folder, ExchangesFolder)))
            throw new RuleTestCaseException($"{Path.Combine(folder, ExchangesFolder)}: the folder of recorded exchanges is missing; create it (empty when the rule asks nothing), or record the case with 'evidencebot record'");

        var root = caseDoc.RootElement;
        var nowText = root.GetProperty("now").GetString()!;
        if (!DateTimeOffset.TryParse(nowText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var now))
            throw new RuleTestCaseException($"{casePath}: $.now: '{nowText}' is not a date-time; write e.g. 2026-06-01T00:00:00Z");

        return new RuleTestCase
        {
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)),
            Folder = folder,
            Target = root.GetProperty("target").GetString()!,
            Parameters = Object(root, "parameters"),
            Now = now,
            Sources = Object(root, "sources"),
            Expect = RuleTestExpectation.Read(expectDoc.RootElement),
        };
    }

    private static Dictionary<string, JsonElement> Object(JsonElement root, string name) =>
        root.TryGetProperty(name, out var o)
            ? o.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal)
            : new Dictionary<string, JsonElement>(StringComparer.Ordinal);

    private static JsonDocument Read(string path, JsonSchema schema)
    {
        if (!File.Exists(path))
            throw new RuleTestCaseException($"{path}: missing; a case folder holds {CaseFile}, {ExpectFile} and {ExchangesFolder}/ (see docs/rule-authors/testing.md)");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RuleTestCaseException($"{path}: cannot be read: {ex.Message}");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw new RuleTestCaseException($"{path}({(ex.LineNumber ?? 0) + 1},{(ex.BytePositionInLine ?? 0) + 1}): not valid JSON: {EvidenceBot.Core.Json.JsonErrorText.Of(ex)}");
        }

        var errors = SchemaErrors.Flatten(schema.Validate(text)).ToList();
        if (errors.Count > 0)
        {
            doc.Dispose();
            throw new RuleTestCaseException(string.Join(Environment.NewLine, errors.Select(e => $"{path}({e.LineNumber},{e.LinePosition}): {Where(e)}: {What(e)}")));
        }

        return doc;
    }

    private static string Where(ValidationError e)
    {
        var path = (e.Path ?? "#").TrimStart('#', '/');
        return "$" + (path.Length > 0 ? "." + path.Replace('/', '.') : "");
    }

    private static string What(ValidationError e) => e.Kind switch
    {
        ValidationErrorKind.NoAdditionalPropertiesAllowed => "is not a known field (see schemas/rule-test-case.schema.json and schemas/rule-test-expect.schema.json)",
        ValidationErrorKind.PropertyRequired => "is required",
        ValidationErrorKind.NotInEnumeration => "is not one of pass, fail, error, not_applicable" + SchemaErrors.Found(e),
        ValidationErrorKind.DateTimeExpected => "must be a date-time with an offset, e.g. 2026-06-01T00:00:00Z",
        _ => SchemaErrors.Humanize(e.Kind),
    };
}

/// <summary>What a case must produce (<c>expect.json</c>).</summary>
/// <param name="Verdict">The execution's verdict.</param>
/// <param name="ErrorPattern">A regular expression the execution's error must match, or null.</param>
/// <param name="Findings">Every finding, by resource; null when only the verdict is checked.</param>
internal sealed record RuleTestExpectation(Verdict Verdict, string? ErrorPattern, IReadOnlyDictionary<string, ExpectedFinding>? Findings)
{
    public static RuleTestExpectation Read(JsonElement root)
    {
        Dictionary<string, ExpectedFinding>? findings = null;
        if (root.TryGetProperty("findings", out var f))
        {
            findings = new Dictionary<string, ExpectedFinding>(StringComparer.Ordinal);
            foreach (var p in f.EnumerateObject())
            {
                findings[p.Name] = p.Value.ValueKind == JsonValueKind.String
                    ? new ExpectedFinding(ParseVerdict(p.Value.GetString()!), null)
                    : new ExpectedFinding(ParseVerdict(p.Value.GetProperty("status").GetString()!),
                        p.Value.TryGetProperty("message", out var m) ? m.GetString() : null);
            }
        }

        return new RuleTestExpectation(
            ParseVerdict(root.GetProperty("verdict").GetString()!),
            root.TryGetProperty("error", out var e) ? e.GetString() : null,
            findings);
    }

    public static Verdict ParseVerdict(string word) => word switch
    {
        "pass" => Verdict.Pass,
        "fail" => Verdict.Fail,
        "error" => Verdict.Error,
        "not_applicable" => Verdict.NotApplicable,
        _ => throw new RuleTestCaseException($"'{word}' is not a verdict (pass, fail, error, not_applicable)"),
    };
}

/// <summary>An expected finding: its status, and a pattern its message must match.</summary>
internal sealed record ExpectedFinding(Verdict Status, string? MessagePattern);

/// <summary>A case folder that cannot be used; the message names the file, line and field.</summary>
internal sealed class RuleTestCaseException(string message) : Exception(message);
