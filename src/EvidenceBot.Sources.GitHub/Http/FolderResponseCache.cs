using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.IO;
using Octokit.Caching;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub.Http;

/// <summary>
/// Octokit's <see cref="IResponseCache"/>, persisted to a folder: one file per (URL, Accept) holding the last
/// 200 JSON answer that carried an ETag. Octokit sends its ETag as <c>If-None-Match</c>, and a 304 (which costs no
/// rate limit) is answered from here. Writes are atomic; a damaged file, or one whose URL, body or ETag does not
/// fit the request, is a miss (a 304 that still arrives is then a fault at the source, never an empty answer). Bodies only, never request
/// headers, so no credential is ever written.
/// </summary>
internal sealed class FolderResponseCache : IResponseCache
{
    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = false };
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, CacheEntry?> _memory = new(StringComparer.Ordinal);

    public FolderResponseCache(string directory)
    {
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    public Task<CachedResponse.V1> GetAsync(IRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var entry = Load(Key(request));
        return Task.FromResult(entry is not null && Usable(entry, Url(request)) ? ToResponse(entry) : null!);
    }

    /// <summary>
    /// Only an entry written for this very URL, with an ETag and a JSON body, may answer a 304. Anything else (a
    /// damaged file, one copied from another URL, one emptied) is a miss: the request goes out without
    /// <c>If-None-Match</c> and GitHub sends the full answer, rather than another URL's data or none being served.
    /// </summary>
    private static bool Usable(CacheEntry entry, string url) =>
        string.Equals(entry.Url, url, StringComparison.Ordinal) && Keepable(entry.Body, entry.ContentType, entry.Headers);

    /// <summary>What the cache keeps, and answers with: a JSON body, and an ETag to ask GitHub whether it still holds.</summary>
    private static bool Keepable(string? body, string? contentType, IEnumerable<KeyValuePair<string, string>>? headers) =>
        !string.IsNullOrWhiteSpace(body)
        && contentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true
        && headers is not null
        && headers.Any(h => string.Equals(h.Key, "ETag", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(h.Value));

    public Task SetAsync(IRequest request, CachedResponse.V1 cachedResponse)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cachedResponse);
        // Octokit does not await this call: finish the write before returning so a run that ends next leaves it whole.
        if (cachedResponse.StatusCode != HttpStatusCode.OK || cachedResponse.Body is not string body
            || !Keepable(body, cachedResponse.ContentType, cachedResponse.Headers))
            return Task.CompletedTask;
        var key = Key(request);
        var entry = new CacheEntry
        {
            Url = Url(request),
            ContentType = cachedResponse.ContentType,
            Headers = cachedResponse.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase),
            Body = body,
        };
        var path = Path.Combine(_directory, key + ".json");
        FileBytes.WriteAtomically(path, JsonSerializer.SerializeToUtf8Bytes(entry, FileJson));
        _memory[key] = entry;
        return Task.CompletedTask;
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

    private static CachedResponse.V1 ToResponse(CacheEntry entry) =>
        new(entry.Body, entry.Headers, null, HttpStatusCode.OK, entry.ContentType);

    private static string Url(IRequest request) => new Uri(request.BaseAddress, request.Endpoint).ToString();

    /// <summary>The cache key: SHA-256 of method, absolute URL and the Accept header.</summary>
    public static string Key(IRequest request)
    {
        var url = Url(request);
        request.Headers.TryGetValue("Accept", out var accept);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{request.Method.Method} {url}\n{accept}")));
    }

    private sealed record CacheEntry
    {
        [JsonPropertyName("url")] public string Url { get; init; } = "";
        [JsonPropertyName("contentType")] public string? ContentType { get; init; }
        [JsonPropertyName("headers")] public Dictionary<string, string> Headers { get; init; } = [];
        [JsonPropertyName("body")] public string Body { get; init; } = "";
    }
}
