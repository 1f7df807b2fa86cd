using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.IO;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// The persisted ETag cache, between runs: one file per (method, URL, Accept) holding the last 200 JSON answer that
/// carried an ETag. A GET with an entry is sent with <c>If-None-Match</c>; a 304 (which costs no rate limit on GitHub)
/// is answered with the cached 200, marked by <see cref="SourceHttpStack.RevalidatedHeader"/>. Everything written
/// passes the same <see cref="Redactor"/> as the evidence bundle (body, URL, header values; secret headers are not
/// written at all), so no credential a service echoes reaches the disk. Writes are atomic; a damaged file, or one
/// whose URL, body or ETag does not fit the request, is a miss (a 304 that still arrives is then a fault above,
/// never an empty answer).
/// </summary>
internal sealed class EtagCacheHandler : DelegatingHandler
{
    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = false };
    private readonly string _directory;
    private readonly Redactor _redactor;
    private readonly ConcurrentDictionary<string, CacheEntry?> _memory = new(StringComparer.Ordinal);

    public EtagCacheHandler(string directory, Redactor redactor, HttpMessageHandler inner) : base(inner)
    {
        _directory = Path.GetFullPath(directory);
        _redactor = redactor;
        Directory.CreateDirectory(_directory);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get || request.RequestUri is null)
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

        var key = Key(request);
        var url = _redactor.Url(request.RequestUri.AbsoluteUri);
        var entry = Load(key);
        if (entry is not null && !Usable(entry, url))
            entry = null;
        if (entry is not null)
        {
            request.Headers.Remove("If-None-Match");
            request.Headers.TryAddWithoutValidation("If-None-Match", Etag(entry.Headers));
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotModified && entry is not null)
        {
            var cached = FromEntry(entry, request);
            response.Dispose();
            return cached;
        }

        if (response.StatusCode == HttpStatusCode.OK)
            await StoreAsync(key, url, response, cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <summary>
    /// Only an entry written for this very URL, with an ETag and a JSON body, may answer a 304. Anything else (a damaged
    /// file, one copied from another URL, one emptied) is a miss: the request goes out without <c>If-None-Match</c> and
    /// the full answer comes back, rather than another URL's data or none being served.
    /// </summary>
    private static bool Usable(CacheEntry entry, string url) =>
        string.Equals(entry.Url, url, StringComparison.Ordinal) && Keepable(entry.Body, entry.ContentType, entry.Headers);

    /// <summary>What the cache keeps, and answers with: a JSON body, and an ETag to ask whether it still holds.</summary>
    private static bool Keepable(string? body, string? contentType, IReadOnlyDictionary<string, string>? headers) =>
        !string.IsNullOrWhiteSpace(body)
        && contentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true
        && !string.IsNullOrWhiteSpace(Etag(headers));

    private static string? Etag(IReadOnlyDictionary<string, string>? headers) =>
        headers?.FirstOrDefault(h => string.Equals(h.Key, "ETag", StringComparison.OrdinalIgnoreCase)).Value;

    private async Task StoreAsync(string key, string url, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var contentType = response.Content?.Headers.ContentType?.ToString();
        // Only response headers, never the request's: no credential is written. Values pass the redactor like evidence.
        var headers = response.Headers
            .Where(h => !Redactor.IsSecretHeader(h.Key))
            .ToDictionary(h => h.Key, h => _redactor.Header(h.Key, h.Value.First()), StringComparer.OrdinalIgnoreCase);
        if (response.Content is null || !Keepable("x", contentType, headers))
            return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!Keepable(body, contentType, headers))
            return;
        var entry = new CacheEntry { Url = url, ContentType = contentType, Headers = headers, Body = _redactor.Text(body) };
        FileBytes.WriteAtomically(Path.Combine(_directory, key + ".json"), JsonSerializer.SerializeToUtf8Bytes(entry, FileJson));
        _memory[key] = entry;
    }

    private static HttpResponseMessage FromEntry(CacheEntry entry, HttpRequestMessage request)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent(Encoding.UTF8.GetBytes(entry.Body)) };
        if (entry.ContentType is not null)
            response.Content.Headers.TryAddWithoutValidation("Content-Type", entry.ContentType);
        foreach (var (name, value) in entry.Headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
                response.Content.Headers.TryAddWithoutValidation(name, value);
        }

        response.Headers.TryAddWithoutValidation(SourceHttpStack.RevalidatedHeader, SourceHttpStack.RevalidatedNote);
        return response;
    }

    private CacheEntry? Load(string key) => _memory.GetOrAdd(key, k =>
    {
        var path = Path.Combine(_directory, k + ".json");
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<CacheEntry>(File.ReadAllBytes(path), FileJson);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    });

    /// <summary>The cache key: SHA-256 of method, absolute URL and the Accept header.</summary>
    internal static string Key(HttpRequestMessage request)
    {
        var accept = request.Headers.TryGetValues("Accept", out var values) ? string.Join(", ", values) : "";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{request.Method.Method} {request.RequestUri!.AbsoluteUri}\n{accept}")));
    }

    private sealed record CacheEntry
    {
        [JsonPropertyName("url")] public string Url { get; init; } = "";
        [JsonPropertyName("contentType")] public string? ContentType { get; init; }
        [JsonPropertyName("headers")] public Dictionary<string, string> Headers { get; init; } = [];
        [JsonPropertyName("body")] public string Body { get; init; } = "";
    }
}
