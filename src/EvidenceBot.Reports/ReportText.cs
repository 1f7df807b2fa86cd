using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EvidenceBot.Reports;

/// <summary>Small text helpers the writers share.</summary>
internal static class ReportText
{
    /// <summary>The banner every output carries when the bundle did not verify.</summary>
    public const string Unverified = "UNVERIFIED: this bundle did not pass verification; its evidence cannot be relied on.";

    /// <summary>HTML-escapes text for element content and quoted attributes.</summary>
    public static string Html(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>An id usable in HTML anchors and file names: letters, digits and '-' only.</summary>
    public static string Slug(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
            sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
        return sb.ToString();
    }

    /// <summary>Lowercase hex SHA-256 of UTF-8 text.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// A stable RFC 4122 version-5-shaped UUID for a name, so the same bundle always gives the same OSCAL uuids.
    /// </summary>
    public static string Uuid(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("evidencebot:" + name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    /// <summary>
    /// A recorded exchange pretty-printed: indented JSON, with a JSON response body shown as JSON rather than one
    /// escaped string. Text that is not JSON comes back as it is.
    /// </summary>
    public static string PrettyJson(ReadOnlySpan<byte> bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes.ToArray());
            var buffer = new ArrayBufferWriter<byte>(bytes.Length * 2 + 64);
            using (var w = new Utf8JsonWriter(buffer, IndentedRelaxed))
            {
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    w.WriteStartObject();
                    foreach (var p in doc.RootElement.EnumerateObject())
                    {
                        if (p.Name == "body" && p.Value.ValueKind == JsonValueKind.String && TryParse(p.Value.GetString()!) is { } body)
                        {
                            using (body)
                            {
                                w.WritePropertyName("body");
                                body.RootElement.WriteTo(w);
                            }
                        }
                        else
                        {
                            p.WriteTo(w);
                        }
                    }

                    w.WriteEndObject();
                }
                else
                {
                    doc.RootElement.WriteTo(w);
                }
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(bytes);
        }
    }

    private static JsonDocument? TryParse(string text)
    {
        var t = text.AsSpan().TrimStart();
        if (t.Length == 0 || (t[0] != '{' && t[0] != '['))
            return null;
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON value (observed values) as indented text.</summary>
    public static string Indented(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, IndentedRelaxed))
            value.WriteTo(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // Relaxed escaping keeps '<' and non-ASCII readable; the HTML writer escapes the result anyway.
    private static readonly JsonWriterOptions IndentedRelaxed = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An age as an auditor reads it: "3 h", "2 d".</summary>
    public static string Age(TimeSpan age) =>
        age.TotalMinutes < 1 ? "< 1 min"
        : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min"
        : age.TotalDays < 2 ? $"{(int)age.TotalHours} h"
        : $"{(int)age.TotalDays} d";
}
