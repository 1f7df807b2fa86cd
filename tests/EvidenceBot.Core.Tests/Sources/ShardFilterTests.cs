using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Core.Tests.Sources;

public class ShardFilterTests
{
    [Fact]
    public void Parse_IndexOfCount_ReadsBoth()
    {
        var shard = ShardFilter.Parse("2/4");

        Assert.Equal(2, shard.Index);
        Assert.Equal(4, shard.Count);
        Assert.Equal("2/4", shard.ToString());
    }

    [Theory]
    [InlineData("4/4", "must be 0 to 3")]
    [InlineData("1/0", "count must be 1")]
    [InlineData("a/4", "is not I/N")]
    [InlineData("-1/4", "is not I/N")]
    [InlineData("1", "is not I/N")]
    [InlineData("1/2/3", "is not I/N")]
    public void Parse_BadText_IsRefusedSayingWhatIsExpected(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => ShardFilter.Parse(text));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Owns_ManyKeys_EachBelongsToExactlyOneShardAndShardsAreBalanced()
    {
        var shards = Enumerable.Range(0, 7).Select(i => new ShardFilter(i, 7)).ToList();
        var keys = Enumerable.Range(0, 7000).Select(i => $"orbital-labs/repo-{i}").ToList();

        var owners = keys.Select(k => shards.Count(s => s.Owns(k))).ToList();
        var perShard = shards.Select(s => keys.Count(s.Owns)).ToList();

        Assert.All(owners, n => Assert.Equal(1, n));
        Assert.All(perShard, n => Assert.InRange(n, 850, 1150));
    }

    [Fact]
    public void Of_AnyCase_IsTheFirstEightBytesOfSha256OfTheLowerCaseKeyModuloTheCount()
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("orbital-labs/api"));
        var expected = (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % 13);

        Assert.Equal(expected, ShardFilter.Of("Orbital-Labs/API", 13));
        Assert.Equal(expected, ShardFilter.Of("orbital-labs/api", 13));
    }
}
