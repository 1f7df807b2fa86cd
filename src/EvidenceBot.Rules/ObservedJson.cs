using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Core.Json;

namespace EvidenceBot.Rules;

/// <summary>
/// Turns a rule's <c>observed</c> object (usually an anonymous type, sometimes an SDK model) into JSON.
/// Written by hand rather than with JsonSerializer: every rule has its own anonymous types, and building
/// serializer metadata for each one costs more than the rule itself on a warm start. Cycles and very deep
/// SDK graphs are cut at <see cref="MaxDepth"/>; a property that throws is recorded as an error string.
/// </summary>
public static class ObservedJson
{
    /// <summary>How deep an object graph is followed.</summary>
    public const int MaxDepth = 12;

    // Weak keys: rule types live in a collectible load context and must not be pinned by this cache.
    private static readonly ConditionalWeakTable<Type, Member[]> Members = new();

    /// <summary>Serializes <paramref name="value"/> to a standalone JSON element.</summary>
    public static JsonElement ToElement(object? value)
    {
        using var doc = JsonDocument.Parse(JsonBytes.Write(w => Write(w, value, 0), capacity: 256));
        return doc.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter w, object? value, int depth)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                return;
            case string s:
                w.WriteStringValue(s);
                return;
            case bool b:
                w.WriteBooleanValue(b);
                return;
            case char c:
                w.WriteStringValue(c.ToString());
                return;
            case int or long or short or sbyte or byte or ushort or uint or ulong:
                w.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!);
                return;
            case double d:
                WriteFloat(w, d);
                return;
            case float f:
                WriteFloat(w, f);
                return;
            case decimal m:
                w.WriteNumberValue(m);
                return;
            case Enum e:
                w.WriteStringValue(e.ToString());
                return;
            case DateTimeOffset dto:
                w.WriteStringValue(dto);
                return;
            case DateTime dt:
                w.WriteStringValue(dt);
                return;
            case TimeSpan ts:
                w.WriteStringValue(ts.ToString("c", CultureInfo.InvariantCulture));
                return;
            case Guid g:
                w.WriteStringValue(g);
                return;
            case Uri u:
                w.WriteStringValue(u.ToString());
                return;
            case JsonElement je:
                je.WriteTo(w);
                return;
            case JsonNode jn:
                jn.WriteTo(w);
                return;
        }

        if (depth >= MaxDepth)
        {
            w.WriteStringValue($"<{value.GetType().Name}: deeper than {MaxDepth} levels>");
            return;
        }

        if (value is IDictionary dict)
        {
            w.WriteStartObject();
            foreach (DictionaryEntry entry in dict)
            {
                w.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                Write(w, entry.Value, depth + 1);
            }

            w.WriteEndObject();
            return;
        }

        if (value is IEnumerable items)
        {
            w.WriteStartArray();
            foreach (var item in items)
                Write(w, item, depth + 1);
            w.WriteEndArray();
            return;
        }

        var type = value.GetType();
        if (type.IsGenericType && type.FullName!.StartsWith("System.ValueTuple", StringComparison.Ordinal))
        {
            w.WriteStartObject();
            foreach (var field in type.GetFields())
            {
                w.WritePropertyName(CamelCase(field.Name));
                Write(w, field.GetValue(value), depth + 1);
            }

            w.WriteEndObject();
            return;
        }

        w.WriteStartObject();
        foreach (var m in Members.GetValue(type, MembersOf))
        {
            w.WritePropertyName(m.Name);
            object? v;
            try
            {
                v = m.Field is not null ? m.Field.GetValue(value) : m.Property.GetValue(value);
            }
            catch (TargetInvocationException ex)
            {
                w.WriteStringValue($"<error reading {m.Property.Name}: {ex.InnerException?.Message}>");
                continue;
            }

            Write(w, v, depth + 1);
        }

        w.WriteEndObject();
    }

    private static Member[] MembersOf(Type type)
    {
        // An anonymous type's getter only returns its backing field: read the field, which needs no code generated
        // or compiled for a getter that every rule's own anonymous types would otherwise each pay for.
        var anonymous = type.IsDefined(typeof(CompilerGeneratedAttribute), false) && type.Name.Contains("AnonymousType", StringComparison.Ordinal);
        return [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .Select(p => new Member(CamelCase(p.Name), p,
                anonymous ? type.GetField($"<{p.Name}>i__Field", BindingFlags.NonPublic | BindingFlags.Instance) : null))];
    }

    private sealed record Member(string Name, PropertyInfo Property, FieldInfo? Field);

    private static void WriteFloat(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d))
            w.WriteNumberValue(d);
        else
            w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
    }

    private static string CamelCase(string name) =>
        name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
