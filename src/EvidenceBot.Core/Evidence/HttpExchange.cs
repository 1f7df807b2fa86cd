using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceBot.Core.Evidence;

/// <summary>
/// One HTTP request a source made and the answer it got: the raw evidence a rule's verdict rests on.
/// Secrets are redacted before an exchange is created (see <see cref="Redactor"/>), so it is safe to store.
/// </summary>
public sealed record HttpExchange
{
    /// <summary>The source that made the request, e.g. <c>github</c>.</summary>
    [JsonPropertyName("source")] public required string Source { get; init; }

    /// <summary>HTTP method.</summary>
    [JsonPropertyName("method")] public required string Method { get; init; }

    /// <summary>Absolute URL, redacted.</summary>
    [JsonPropertyName("url")] public required string Url { get; init; }

    /// <summary>HTTP status code of the answer.</summary>
    [JsonPropertyName("status")] public int Status { get; init; }

    /// <summary>Request headers that matter (redacted).</summary>
    [JsonPropertyName("requestHeaders")] public IReadOnlyDictionary<string, string> RequestHeaders { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The request body (UTF-8, redacted) of a request that sent one, e.g. a Resource Graph query. Omitted from the
    /// file when null, so exchanges of bodiless requests keep their bytes and digests.
    /// </summary>
    [JsonPropertyName("requestBody")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestBody { get; init; }

    /// <summary>Response headers that matter (redacted).</summary>
    [JsonPropertyName("responseHeaders")] public IReadOnlyDictionary<string, string> ResponseHeaders { get; init; } = new Dictionary<string, string>();

    /// <summary>The response body as text (UTF-8), redacted. Null when the body is binary: see <see cref="BodyBase64"/>.</summary>
    [JsonPropertyName("body")] public string? Body { get; init; }

    /// <summary>A binary response body, base64.</summary>
    [JsonPropertyName("bodyBase64")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BodyBase64 { get; init; }

    /// <summary>When the answer arrived.</summary>
    [JsonPropertyName("at")] public DateTimeOffset At { get; init; }

    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = true };

    /// <summary>The canonical file bytes of this exchange: what is stored in a bundle and digested.</summary>
    public byte[] ToFileBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FileJson);

    /// <summary>Reads an exchange file; the message names what is wrong.</summary>
    public static HttpExchange FromFileBytes(ReadOnlySpan<byte> bytes, string fileName)
    {
        try
        {
            var exchange = JsonSerializer.Deserialize<HttpExchange>(bytes, FileJson)
                ?? throw new InvalidDataException($"{fileName}: empty exchange file");
            if (string.IsNullOrEmpty(exchange.Url) || string.IsNullOrEmpty(exchange.Method))
                throw new InvalidDataException($"{fileName}: an exchange needs 'method' and 'url'");
            return exchange;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{fileName}: not a recorded exchange ({ex.Message})", ex);
        }
    }

    /// <summary>Hex SHA-256 of <see cref="ToFileBytes"/>: the exchange's content address.</summary>
    public string Digest() => Convert.ToHexStringLower(SHA256.HashData(ToFileBytes()));
}
