using System.Net;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Sources.Http;

/// <summary>No recorded exchange answers a request. A source turns this into an <c>error</c> verdict, never a pass.</summary>
public sealed class ReplayMissException(string message) : HttpRequestException(message);

/// <summary>
/// A transport that answers requests from recorded exchanges instead of the network. The same mechanism
/// serves rule tests, the demo estate and the re-checking of bundles. Requests match on method, path and
/// query (the host is ignored, so a recording from one base URL replays under another); a request other than
/// GET and HEAD also on its body, as canonical JSON (keys sorted, no whitespace) when it is JSON, so two Resource
/// Graph queries to one URL are told apart. A request with no recording fails loudly: a missing recording is
/// missing data, not an empty answer.
/// </summary>
public sealed class ReplayHandler : HttpMessageHandler
{
    private readonly Dictionary<string, HttpExchange> _byKey = new(StringComparer.Ordinal);

    /// <summary>Creates a transport over <paramref name="exchanges"/>; later ones win on duplicate keys.</summary>
    public ReplayHandler(IEnumerable<HttpExchange> exchanges)
    {
        ArgumentNullException.ThrowIfNull(exchanges);
        foreach (var e in exchanges)
            _byKey[Key(e.Method, new Uri(e.Url), e.RequestBody)] = e;
    }

    /// <summary>How many exchanges it can answer.</summary>
    public int Count => _byKey.Count;

    /// <summary>Loads every <c>*.json</c> exchange file below <paramref name="directory"/>.</summary>
    public static ReplayHandler FromDirectory(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: the replay folder does not exist");
        var exchanges = Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => HttpExchange.FromFileBytes(File.ReadAllBytes(f), f));
        return new ReplayHandler(exchanges);
    }

    /// <summary>The match key: method, path and query; the host is ignored.</summary>
    public static string Key(string method, Uri uri) => Key(method, uri, null);

    /// <summary>
    /// The match key: method, path and query, and for a method other than GET and HEAD the body in canonical form
    /// (see <see cref="CanonicalBody"/>); the host is ignored.
    /// </summary>
    public static string Key(string method, Uri uri, string? body)
    {
        ArgumentNullException.ThrowIfNull(method);
        var key = PathKey(method, uri);
        var m = method.ToUpperInvariant();
        return m is "GET" or "HEAD" ? key : $"{key} {CanonicalBody(body)}";
    }

    /// <summary>
    /// A request body as it is matched: JSON with object keys sorted (ordinal) and no whitespace, so property order and
    /// indentation do not matter; any other text as it is; an absent body as the empty string.
    /// </summary>
    public static string CanonicalBody(string? body)
    {
        if (string.IsNullOrEmpty(body))
            return "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
                WriteCanonical(writer, doc.RootElement);
            return Encoding.UTF8.GetString(stream.ToArray());
        }
        catch (JsonException)
        {
            return body;
        }
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var p in e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(p.Name);
                    WriteCanonical(writer, p.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in e.EnumerateArray())
                    WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            default:
                e.WriteTo(writer);
                break;
        }
    }

    private static string PathKey(string method, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var query = uri.Query.TrimStart('?');
        // Parameter order does not change meaning.
        var sorted = string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        return $"{method.ToUpperInvariant()} {uri.AbsolutePath.TrimEnd('/')}{(sorted.Length > 0 ? "?" + sorted : "")}";
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var key = Key(request.Method.Method, request.RequestUri!, body);
        if (!_byKey.TryGetValue(key, out var e))
            throw new ReplayMissException($"no recorded exchange for {key}");

        var response = new HttpResponseMessage((HttpStatusCode)e.Status) { RequestMessage = request };
        var bytes = e.Body is not null ? Encoding.UTF8.GetBytes(e.Body) : e.BodyBase64 is not null ? Convert.FromBase64String(e.BodyBase64) : [];
        response.Content = new ByteArrayContent(bytes);
        foreach (var (name, value) in e.ResponseHeaders)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
                response.Content.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }
}
