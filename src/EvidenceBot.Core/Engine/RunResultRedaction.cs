using System.Buffers;
using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Engine;

/// <summary>
/// Masks configured secrets in what rules recorded: findings (resource, message, observed values), log lines, errors,
/// faults and parameters. Raw HTTP evidence is masked where it is captured; this covers what rules wrote themselves,
/// before it reaches results.json, the signed statements or the console.
/// </summary>
public static class RunResultRedaction
{
    /// <summary>The run with every configured secret in its rule output replaced by <see cref="Redactor.Mask"/>.</summary>
    public static RunResult Apply(RunResult run, Redactor redactor)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(redactor);
        if (!redactor.HasSecrets)
            return run;
        return run with
        {
            Rules = [.. run.Rules.Select(r => r with
            {
                Error = r.Error is null ? null : redactor.Text(r.Error),
                Faults = [.. r.Faults.Select(redactor.Text)],
                Log = [.. r.Log.Select(redactor.Text)],
                Parameters = r.Parameters.ToDictionary(p => p.Key, p => Json(p.Value, redactor)),
                Findings = [.. r.Findings.Select(f => f with
                {
                    Resource = redactor.Text(f.Resource),
                    Message = redactor.Text(f.Message),
                    Observed = f.Observed is { } o ? Json(o, redactor) : null,
                })],
            })],
        };
    }

    private static JsonElement Json(JsonElement value, Redactor redactor)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, value, redactor);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter w, JsonElement e, Redactor redactor)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject())
                {
                    w.WritePropertyName(redactor.Text(p.Name));
                    Write(w, p.Value, redactor);
                }

                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray())
                    Write(w, item, redactor);
                w.WriteEndArray();
                break;
            case JsonValueKind.String:
                w.WriteStringValue(redactor.Text(e.GetString()!));
                break;
            default:
                e.WriteTo(w);
                break;
        }
    }
}
