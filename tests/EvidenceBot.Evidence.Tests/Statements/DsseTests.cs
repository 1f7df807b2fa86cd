using System.Text;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Evidence.Tests.Statements;

public sealed class DsseTests
{
    [Fact]
    public void Pae_SpecExample_MatchesTheDsseProtocolText()
    {
        // The example of the DSSE protocol document.
        var pae = Dsse.Pae("http://example.com/HelloWorld", "hello world"u8);

        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void Pae_EmptyTypeAndBody_KeepsEverySeparator()
    {
        var pae = Dsse.Pae("", ReadOnlySpan<byte>.Empty);

        Assert.Equal("DSSEv1 0  0 ", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void Pae_NonAsciiTypeAndBody_CountsUtf8BytesNotCharacters()
    {
        var body = Encoding.UTF8.GetBytes("é€"); // 2 characters, 5 bytes

        var pae = Dsse.Pae("tÿpe", body); // 4 characters, 5 bytes

        Assert.Equal("DSSEv1 5 tÿpe 5 é€", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void Pae_InTotoPayload_HasTheInTotoTypeLength()
    {
        var payload = "{\"_type\":\"https://in-toto.io/Statement/v1\"}"u8.ToArray();

        var pae = Dsse.Pae(InTotoStatement.PayloadType, payload);

        Assert.Equal($"DSSEv1 28 application/vnd.in-toto+json {payload.Length} " + Encoding.UTF8.GetString(payload), Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void Pae_BinaryBody_IsCopiedVerbatim()
    {
        byte[] body = [0x00, 0xFF, 0x20, 0x0A];

        var pae = Dsse.Pae("t", body);

        Assert.Equal([.. "DSSEv1 1 t 4 "u8.ToArray(), .. body], pae);
    }
}
