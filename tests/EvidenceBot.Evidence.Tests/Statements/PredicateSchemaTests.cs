using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Evidence.Statements;
using EvidenceBot.Evidence.Tests.Bundles;
using NJsonSchema;

namespace EvidenceBot.Evidence.Tests.Statements;

/// <summary>The fast evaluator that <c>verify</c> uses must agree with NJsonSchema on every predicate.</summary>
public sealed class PredicateSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromJsonAsync(PredicateSchema.Text).GetAwaiter().GetResult();

    private static JsonObject Valid()
    {
        using var doc = JsonDocument.Parse(InTotoStatement.Serialize(EvidenceBundleWriterFacts.Statement()));
        return JsonNode.Parse(doc.RootElement.GetProperty("predicate").GetRawText())!.AsObject();
    }

    /// <summary>A valid predicate, and mutations of it: each removes, retypes or corrupts one thing.</summary>
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        var valid = Valid();
        data.Add("valid", valid.ToJsonString());
        foreach (var name in valid.Select(p => p.Key).ToList())
        {
            var removed = valid.DeepClone().AsObject();
            removed.Remove(name);
            data.Add("without " + name, removed.ToJsonString());
            foreach (var (kind, value) in new (string, JsonNode?)[] { ("null", null), ("number", 42), ("string", "x"), ("object", new JsonObject()), ("array", new JsonArray()), ("bool", true) })
            {
                var retyped = valid.DeepClone().AsObject();
                retyped[name] = value?.DeepClone();
                data.Add($"{name} as {kind}", retyped.ToJsonString());
            }
        }

        void Mutate(string label, Action<JsonObject> change)
        {
            var copy = valid.DeepClone().AsObject();
            change(copy);
            data.Add(label, copy.ToJsonString());
        }

        Mutate("extra top-level property", p => p["extra"] = 1);
        Mutate("verdict not in enum", p => p["verdict"] = "probably");
        Mutate("verdict waived", p => p["verdict"] = "waived");
        Mutate("severity uppercase", p => p["severity"] = "HIGH");
        Mutate("startedAt not a date", p => p["startedAt"] = "yesterday");
        Mutate("startedAt date only", p => p["startedAt"] = "2026-03-01");
        Mutate("ruleSource sha256 short", p => p["ruleSource"]!["sha256"] = "abc");
        Mutate("ruleSource sha256 empty", p => p["ruleSource"]!["sha256"] = "");
        Mutate("ruleSource extra field", p => p["ruleSource"]!["extra"] = "x");
        Mutate("empty ruleId", p => p["ruleId"] = "");
        Mutate("error string", p => p["error"] = "timed out");
        Mutate("finding status bad", p => p["findings"]![0]!["status"] = "meh");
        Mutate("finding observed null", p => p["findings"]![0]!["observed"] = null);
        Mutate("finding without observed", p => p["findings"]![0]!.AsObject().Remove("observed"));
        Mutate("control id malformed", p => p["controls"]![0]!["id"] = "A.8.32");
        Mutate("control relation bad", p => p["controls"]![0]!["relation"] = "maybe");
        Mutate("control derived as string", p => p["controls"]![0]!["derived"] = "false");
        Mutate("control via string", p => p["controls"]![0]!["via"] = "ISO27001:2022/A.5.1");
        Mutate("evidence path outside raw", p => p["evidence"]![0]!["path"] = "../etc/passwd");
        Mutate("evidence status fractional", p => p["evidence"]![0]!["status"] = 200.5);
        Mutate("evidence status as string", p => p["evidence"]![0]!["status"] = "200");
        Mutate("faults with a number", p => p["faults"] = new JsonArray(1));
        Mutate("parameters any shape", p => p["parameters"] = new JsonObject { ["a"] = new JsonArray(1, "x", null) });
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluator_AgreesWithNJsonSchema(string label, string json)
    {
        using var doc = JsonDocument.Parse(json);

        var fast = SchemaEvaluator.IsValid(doc.RootElement, Schema);
        var njson = Schema.Validate(json).Count == 0;

        Assert.True(fast == njson, $"{label}: evaluator says {(fast ? "valid" : "invalid")}, NJsonSchema says {(njson ? "valid" : "invalid")}");
    }

    [Fact]
    public void Evaluator_SupportsEveryKeywordOfThePublishedSchema()
    {
        Assert.True(SchemaEvaluator.Supports(Schema));
    }

    [Fact]
    public void Validate_InvalidPredicate_ReportsNJsonSchemasMessage()
    {
        var predicate = Valid();
        predicate.Remove("runId");
        using var doc = JsonDocument.Parse(predicate.ToJsonString());

        var errors = PredicateSchema.Validate(doc.RootElement);

        Assert.Contains(errors, e => e.Contains("runId", StringComparison.Ordinal) && e.Contains("PropertyRequired", StringComparison.Ordinal));
    }
}
