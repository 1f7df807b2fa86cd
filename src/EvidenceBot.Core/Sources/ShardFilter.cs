using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace EvidenceBot.Core.Sources;

/// <summary>
/// One shard of a run split over several processes (<c>run --shard I/N</c>): shard <see cref="Index"/> of
/// <see cref="Count"/>, counted from 0 like Kubernetes' <c>JOB_COMPLETION_INDEX</c>. A key (a target, or
/// <c>org/repository</c>) belongs to exactly one shard, chosen by its SHA-256, so the partition is the same on every
/// machine and in every run, whatever order the keys are listed in.
/// </summary>
public sealed record ShardFilter
{
    /// <summary>The most shards a run may be split into.</summary>
    public const int MaxCount = 10_000;

    /// <summary>Creates shard <paramref name="index"/> of <paramref name="count"/>; throws when out of range.</summary>
    public ShardFilter(int index, int count)
    {
        if (count is < 1 or > MaxCount)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"the shard count must be 1 to {MaxCount}");
        if (index < 0 || index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the shard index must be 0 to {count - 1} (shards count from 0)");
        Index = index;
        Count = count;
    }

    /// <summary>This shard, from 0 to <see cref="Count"/> − 1.</summary>
    [JsonPropertyName("index")] public int Index { get; }

    /// <summary>How many shards the run is split into.</summary>
    [JsonPropertyName("count")] public int Count { get; }

    /// <summary>True when <paramref name="key"/> belongs to this shard.</summary>
    public bool Owns(string key) => Of(key, Count) == Index;

    /// <summary>
    /// The shard of <paramref name="key"/> among <paramref name="count"/>: the first 8 bytes of SHA-256 of the key in
    /// lower case (GitHub and Azure names are case-insensitive), big-endian, modulo the count.
    /// </summary>
    public static int Of(string key, int count)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key.ToLowerInvariant()), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)count);
    }

    /// <summary>Reads <c>I/N</c> (e.g. <c>0/4</c>); the message says what is wrong and what is expected.</summary>
    public static ShardFilter Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            throw new FormatException($"'{text}' is not I/N: expected the shard index and the shard count, e.g. 0/4 (shards count from 0 to N-1)");
        if (count is < 1 or > MaxCount)
            throw new FormatException($"'{text}': the shard count must be 1 to {MaxCount}");
        if (index >= count)
            throw new FormatException($"'{text}': the shard index must be 0 to {count - 1} (shards count from 0, like JOB_COMPLETION_INDEX)");
        return new ShardFilter(index, count);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
