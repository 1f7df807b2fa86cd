using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceBot.Core.Engine;

/// <summary>
/// The one way a <see cref="RunResult"/> becomes <c>results.json</c> (in the output folder and in the evidence bundle):
/// camelCase, indented, nulls left out. The serializer code is generated at build time, so a run does not spend its
/// start-up building reflection metadata for the result types.
/// </summary>
public static class RunResultJson
{
    /// <summary>The options results.json is written with.</summary>
    public static JsonSerializerOptions Options => RunResultJsonContext.Default.Options;

    /// <summary>Serializes a run to the bytes of <c>results.json</c>.</summary>
    public static byte[] Serialize(RunResult run) => JsonSerializer.SerializeToUtf8Bytes(run, RunResultJsonContext.Default.RunResult);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(RunResult))]
internal sealed partial class RunResultJsonContext : JsonSerializerContext;
