using System.Buffers;
using System.Text.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Json;

/// <summary>
/// The small pieces our hand-written JSON writers share (results, statements, the header cache, observed values):
/// they write over <see cref="Utf8JsonWriter"/> because the serializer's start-up cost more than a warm run's writing.
/// </summary>
public static class JsonBytes
{
    /// <summary>Runs <paramref name="write"/> over a fresh writer and returns the UTF-8 bytes it wrote.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write, bool indented = false, int capacity = 1024)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>(capacity);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
            write(w);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <c>"name": { key: value, … }</c> in the dictionary's order.</summary>
    public static void WriteElements(this Utf8JsonWriter w, string name, IReadOnlyDictionary<string, JsonElement> values)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(values);
        w.WriteStartObject(name);
        foreach (var (key, value) in values)
        {
            w.WritePropertyName(key);
            value.WriteTo(w);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes <c>"name": [ { "id": "…", "relation": "…" }, … ]</c>: direct control mappings, as results.json and the control answers hold them.</summary>
    public static void WriteControlMappings(this Utf8JsonWriter w, string name, IEnumerable<ControlMapping> controls)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(controls);
        w.WriteStartArray(name);
        foreach (var c in controls)
        {
            w.WriteStartObject();
            w.WriteString("id", c.Id);
            w.WriteString("relation", WireNames.Of(c.Relation));
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Writes <c>"name": [ "…", … ]</c>.</summary>
    public static void WriteStrings(this Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(values);
        w.WriteStartArray(name);
        foreach (var v in values)
            w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
