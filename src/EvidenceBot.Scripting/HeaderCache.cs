using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Scripting;

/// <summary>
/// Parsed rule headers, cached by the SHA-256 of the rule text: a warm start then reads a small JSON file
/// per rule and never loads the YAML parser or the schema validator.
/// </summary>
internal sealed class HeaderCache(RuleCache cache)
{
    // Bump when the parser or the header schema changes meaning.
    private const string Version = "h2";

    /// <param name="display">The rule's path, as diagnostics name it.</param>
    /// <param name="text">The rule's text.</param>
    /// <param name="sha">The SHA-256 of the file's bytes the text was decoded from: the cache key and <see cref="RuleManifest.SourceSha256"/>.</param>
    /// <param name="diagnostics">Receives the header's problems.</param>
    public RuleManifest? Parse(string display, string text, string sha, List<RuleDiagnostic> diagnostics)
    {
        var name = $"{sha}.{Version}.header.json";
        if (cache.TryRead(name) is { } bytes && TryReadEntry(bytes, sha, display, diagnostics, out var cached))
            return cached;

        var found = new List<RuleDiagnostic>();
        var manifest = RuleHeaderParser.Parse(display, text, sha, found);
        diagnostics.AddRange(found);
        cache.Write(name, WriteEntry(manifest, found));
        return manifest;
    }

    // Written by hand over Utf8JsonWriter / JsonDocument: the serializer's per-type start-up (even source-generated)
    // cost ~40 ms on every warm start, more than reading all the headers.
    private static byte[] WriteEntry(RuleManifest? m, List<RuleDiagnostic> diagnostics)
    {
        return JsonBytes.Write(w =>
        {
            w.WriteStartObject();
            if (m is not null)
            {
                w.WriteStartObject("manifest");
                w.WriteString("id", m.Id);
                w.WriteString("title", m.Title);
                w.WriteString("description", m.Description);
                w.WriteNumber("severity", (int)m.Severity);
                w.WriteStrings("sources", m.Sources);
                w.WriteStartArray("controls");
                foreach (var c in m.Controls)
                {
                    w.WriteStartObject();
                    w.WriteString("id", c.Id);
                    w.WriteNumber("relation", (int)c.Relation);
                    w.WriteNumber("line", m.ControlLines.TryGetValue(c.Id, out var line) ? line : 0);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartObject("parameters");
                foreach (var (k, v) in m.Parameters)
                {
                    w.WritePropertyName(k);
                    v.WriteTo(w);
                }

                w.WriteEndObject();
                if (m.Timeout is { } t)
                    w.WriteNumber("timeoutMs", (long)t.TotalMilliseconds);
                if (m.Freshness is { } f)
                    w.WriteNumber("freshnessMs", (long)f.TotalMilliseconds);
                if (m.Schedule is { } s)
                    w.WriteString("schedule", s);
                w.WriteEndObject();
            }

            w.WriteStartArray("diagnostics");
            foreach (var d in diagnostics)
            {
                w.WriteStartObject();
                w.WriteNumber("line", d.Location.Line);
                w.WriteNumber("column", d.Location.Column);
                w.WriteNumber("severity", (int)d.Severity);
                w.WriteString("code", d.Code);
                w.WriteString("message", d.Message);
                w.WriteString("ruleId", d.RuleId);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static bool TryReadEntry(byte[] bytes, string sha, string display, List<RuleDiagnostic> diagnostics, out RuleManifest? manifest)
    {
        manifest = null;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var found = new List<RuleDiagnostic>();
            foreach (var d in root.GetProperty("diagnostics").EnumerateArray())
            {
                found.Add(new RuleDiagnostic(
                    new SourceLocation(display, d.GetProperty("line").GetInt32(), d.GetProperty("column").GetInt32()),
                    (DiagnosticSeverity)d.GetProperty("severity").GetInt32(),
                    d.GetProperty("code").GetString()!,
                    d.GetProperty("message").GetString()!,
                    d.GetProperty("ruleId").GetString()));
            }

            if (root.TryGetProperty("manifest", out var m))
            {
                var controls = new List<ControlMapping>();
                var lines = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var c in m.GetProperty("controls").EnumerateArray())
                {
                    var id = c.GetProperty("id").GetString()!;
                    controls.Add(new ControlMapping(id, (ControlRelation)c.GetProperty("relation").GetInt32()));
                    lines.TryAdd(id, c.GetProperty("line").GetInt32());
                }

                var parameters = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var p in m.GetProperty("parameters").EnumerateObject())
                    parameters[p.Name] = p.Value.Clone();

                manifest = new RuleManifest
                {
                    Id = m.GetProperty("id").GetString()!,
                    Title = m.GetProperty("title").GetString()!,
                    Description = m.GetProperty("description").GetString() ?? "",
                    Severity = (Severity)m.GetProperty("severity").GetInt32(),
                    Sources = [.. m.GetProperty("sources").EnumerateArray().Select(x => x.GetString()!)],
                    Controls = controls,
                    ControlLines = lines,
                    Parameters = parameters,
                    Timeout = m.TryGetProperty("timeoutMs", out var t) ? TimeSpan.FromMilliseconds(t.GetInt64()) : null,
                    Freshness = m.TryGetProperty("freshnessMs", out var f) ? TimeSpan.FromMilliseconds(f.GetInt64()) : null,
                    Schedule = m.TryGetProperty("schedule", out var s) ? s.GetString() : null,
                    SourcePath = display,
                    SourceSha256 = sha,
                };
            }

            diagnostics.AddRange(found);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false; // a damaged entry is a miss
        }
    }
}
