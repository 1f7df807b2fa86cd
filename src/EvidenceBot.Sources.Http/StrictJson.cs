using System.Net;
using System.Text.Json;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// Reads an answer as JSON only when it is what a read endpoint returns: a 200, labelled JSON, a non-empty body that
/// parses, of the expected kind. A 204, a 202 or an uncached 304 read as success with no body, or a sign-in page read
/// as no data, would turn missing data into "no items"; each is refused with a message naming the URL, what came and
/// what was expected.
/// </summary>
public static class StrictJson
{
    /// <summary>The JSON of a successful GET, or an exception saying why the answer cannot be used.</summary>
    /// <param name="status">The answer's status.</param>
    /// <param name="contentType">Its Content-Type, null when absent.</param>
    /// <param name="body">Its body as text.</param>
    /// <param name="url">The (redacted) URL, for messages.</param>
    /// <param name="expected">The JSON kind expected (array for a list, object for a resource); any when null.</param>
    /// <param name="service">Who answered, for messages (e.g. <c>GitHub</c>).</param>
    /// <exception cref="UnusableAnswerException">Not a 200, not labelled JSON, empty, or of another kind.</exception>
    /// <exception cref="MalformedResponseException">Labelled JSON but does not parse.</exception>
    public static JsonElement Parse(HttpStatusCode status, string? contentType, string? body, string url, JsonValueKind? expected, string service)
    {
        var what = expected switch
        {
            JsonValueKind.Array => "a 200 with a JSON array (a list endpoint answers one even when empty)",
            JsonValueKind.Object => "a 200 with a JSON object",
            _ => "a 200 with a JSON body",
        };
        switch (status)
        {
            case HttpStatusCode.OK:
                break;
            case HttpStatusCode.NotModified:
                throw new UnusableAnswerException(url, $"{service} answered 304 Not Modified but the ETag cache holds no usable answer for it; expected {what}. "
                    + "Delete the etagCache folder and run again", service: service);
            case HttpStatusCode.Accepted:
                throw new UnusableAnswerException(url, $"{service} answered 202 Accepted (the answer is still being prepared); expected {what}. Run again later", transient: true, service: service);
            default:
                throw new UnusableAnswerException(url, $"{service} answered {(int)status} {status}; expected {what}", service: service);
        }

        var type = contentType ?? "";
        if (!type.Contains("json", StringComparison.OrdinalIgnoreCase))
            throw new UnusableAnswerException(url, $"it is {(type.Length == 0 ? "without a content type" : $"labelled '{type}'")}, not JSON (a sign-in or proxy page?); expected {what}", service: service);
        if (string.IsNullOrWhiteSpace(body))
            throw new UnusableAnswerException(url, $"the body is empty; expected {what}", service: service);
        JsonElement json;
        try
        {
            using var doc = JsonDocument.Parse(body);
            json = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new MalformedResponseException(url, ex.Message, service);
        }

        if (expected is { } kind && json.ValueKind != kind)
            throw new UnusableAnswerException(url, $"expected {what}, found a JSON {json.ValueKind.ToString().ToLowerInvariant()}", service: service);
        return json;
    }

    /// <summary>
    /// The next page a body names (Azure's <c>nextLink</c>, a <c>$skipToken</c>, ...): null when the property is absent
    /// or null, the value when it is a non-empty string. Anything else is refused: it may hide a next page.
    /// </summary>
    /// <param name="page">The page's JSON object.</param>
    /// <param name="property">The property naming the next page, e.g. <c>nextLink</c> or <c>$skipToken</c>.</param>
    /// <param name="url">The (redacted) URL of the page, for messages.</param>
    /// <param name="service">Who answered, for messages.</param>
    public static string? NextFromBody(JsonElement page, string property, string url, string service)
    {
        if (page.ValueKind != JsonValueKind.Object || !page.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new UnusableAnswerException(url, $"its '{property}' is {value.ValueKind.ToString().ToLowerInvariant()} '{value.GetRawText()}', not a next page, so further pages cannot be followed", service: service);
        return value.GetString();
    }
}
