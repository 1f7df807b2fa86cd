using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceBot.Store;

/// <summary>
/// What a store already holds, one small JSON file per bundle under <c>OUT/.store/</c>. Kept outside the bundle folders
/// (an extra file in a bundle would fail its verification) and written only after the upload was read back, so a
/// bundle without a record is uploaded again by the next run.
/// </summary>
internal sealed class UploadRecords(string outputRoot, string storeKind)
{
    /// <summary>The folder, in the output root, that holds the records.</summary>
    public const string Folder = ".store";

    private string Dir => Path.Combine(outputRoot, Folder, storeKind);

    /// <summary>True when <paramref name="bundle"/> was uploaded to <paramref name="destination"/> with this manifest digest.</summary>
    public bool Has(string bundle, string destination, string manifestSha256)
    {
        var path = Path.Combine(Dir, bundle + ".json");
        try
        {
            var record = JsonSerializer.Deserialize<UploadRecord>(File.ReadAllBytes(path));
            // A record for another container, or for different manifest bytes, does not count: upload again.
            return record is not null && record.Destination == destination && record.ManifestSha256 == manifestSha256;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return false;
        }
    }

    /// <summary>Records <paramref name="record"/>, atomically (temp file and rename).</summary>
    public void Add(UploadRecord record)
    {
        Directory.CreateDirectory(Dir);
        var path = Path.Combine(Dir, record.Bundle + ".json");
        var tmp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(record, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>One bundle's upload, as recorded.</summary>
internal sealed record UploadRecord(
    [property: JsonPropertyName("bundle")] string Bundle,
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("location")] string Location,
    [property: JsonPropertyName("manifestSha256")] string ManifestSha256,
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("immutable")] bool Immutable,
    [property: JsonPropertyName("uploadedAt")] DateTimeOffset UploadedAt);
