using System.Security.Cryptography;
using EvidenceBot.Evidence.Signing;

namespace EvidenceBot.Evidence.Tests.Signing;

public sealed class EcdsaSignatureEncodingTests
{
    private static byte[] Half(params byte[] prefix)
    {
        var half = new byte[32];
        prefix.CopyTo(half, 0);
        for (var i = prefix.Length; i < 32; i++)
            half[i] = (byte)(i + 1);
        return half;
    }

    [Fact]
    public void P1363ToDer_PlainHalves_WritesTwoFullWidthIntegers()
    {
        var r = Half(0x11);
        var s = Half(0x22);

        var der = EcdsaSignatureEncoding.P1363ToDer([.. r, .. s]);

        Assert.Equal([0x30, 68, 0x02, 32, .. r, 0x02, 32, .. s], der);
    }

    [Fact]
    public void P1363ToDer_HighBitSet_PrependsAZeroByte()
    {
        var r = Half(0x80);
        var s = Half(0xFF);

        var der = EcdsaSignatureEncoding.P1363ToDer([.. r, .. s]);

        Assert.Equal([0x30, 70, 0x02, 33, 0x00, .. r, 0x02, 33, 0x00, .. s], der);
    }

    [Fact]
    public void P1363ToDer_LeadingZeros_AreTrimmedToAMinimalInteger()
    {
        var r = Half(0x00, 0x00, 0x7F); // two zero bytes, then a byte without the high bit
        var s = Half(0x00, 0x00, 0x00);

        var der = EcdsaSignatureEncoding.P1363ToDer([.. r, .. s]);

        // s is 00 00 00 04 05 …: three zero bytes dropped, 04 has no high bit so no pad.
        Assert.Equal([0x30, (byte)(2 + 30 + 2 + 29), 0x02, 30, .. r[2..], 0x02, 29, .. s[3..]], der);
    }

    [Fact]
    public void P1363ToDer_LeadingZeroThenHighBit_TrimsZerosButKeepsOnePad()
    {
        var r = Half(0x00, 0x00, 0x9A); // after trimming, 9A has the high bit set: one 0x00 goes back
        var s = Half(0x01);

        var der = EcdsaSignatureEncoding.P1363ToDer([.. r, .. s]);

        Assert.Equal([0x30, (byte)(2 + 31 + 2 + 32), 0x02, 31, 0x00, .. r[2..], 0x02, 32, .. s], der);
    }

    [Fact]
    public void P1363ToDer_ZeroHalf_KeepsOneZeroByte()
    {
        var der = EcdsaSignatureEncoding.P1363ToDer([.. new byte[32], .. Half(0x01)]);

        Assert.Equal([0x02, 0x01, 0x00], der[2..5]);
    }

    [Fact]
    public void P1363ToDer_OddLength_IsRefused()
    {
        Assert.Throws<FormatException>(() => EcdsaSignatureEncoding.P1363ToDer(new byte[63]));
    }

    [Fact]
    public void P1363ToDer_MatchesDotNetsOwnDerForRealSignatures()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var i = 0; i < 200; i++)
        {
            var data = BitConverter.GetBytes(i);
            var p1363 = key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

            var der = EcdsaSignatureEncoding.P1363ToDer(p1363);

            Assert.True(key.VerifyData(data, der, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            Assert.Equal(p1363, EcdsaSignatureEncoding.DerToP1363(der));
        }
    }

    [Fact]
    public void IsStrictDer_P1363Signature_IsRejectedAsP1363()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p1363 = key.SignData("x"u8, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        var strict = EcdsaSignatureEncoding.IsStrictDer(p1363, out var problem);

        Assert.False(strict);
        Assert.Contains("P1363", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void IsStrictDer_NonMinimalInteger_IsRejected()
    {
        // r written with a needless leading 0x00 before a byte without the high bit.
        byte[] sig = [0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x07];

        Assert.False(EcdsaSignatureEncoding.IsStrictDer(sig, out _));
    }

    [Fact]
    public void IsStrictDer_TrailingBytes_AreRejected()
    {
        byte[] sig = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00];

        Assert.False(EcdsaSignatureEncoding.IsStrictDer(sig, out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void IsStrictDer_MinimalSmallIntegers_AreAccepted()
    {
        byte[] sig = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07];

        Assert.True(EcdsaSignatureEncoding.IsStrictDer(sig, out var problem), problem);
    }
}
