using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Scripting;

/// <summary>
/// Parsed rule headers, cached by the SHA-256 of the rule text: a warm start then reads a small JSON file
/// per rule and never loads the YAML parser or the schema validator.
/// </summary>
internal sealed class HeaderCache(RuleCache cache)
{
    // Bump when the parser or the header schema changes meaning.
    private const string Version = "h1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public RuleManifest? Parse(string display, string text, List<RuleDiagnostic> diagnostics)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var name = $"{sha}.{Version}.header.json";
        if (cache.TryRead(name) is { } bytes)
        {
            try
            {
                var entry = JsonSerializer.Deserialize<Entry>(bytes, Json);
                if (entry is not null)
                {
                    diagnostics.AddRange(entry.Diagnostics.Select(d => d with { Location = d.Location with { File = display } }));
                    return entry.Manifest is null ? null : entry.Manifest with { SourcePath = display };
                }
            }
            catch (JsonException)
            {
                // A damaged entry is a miss.
            }
        }

        var found = new List<RuleDiagnostic>();
        var manifest = RuleHeaderParser.Parse(display, text, found);
        diagnostics.AddRange(found);
        cache.Write(name, JsonSerializer.SerializeToUtf8Bytes(new Entry(manifest, found), Json));
        return manifest;
    }

    private sealed record Entry(RuleManifest? Manifest, List<RuleDiagnostic> Diagnostics);
}
