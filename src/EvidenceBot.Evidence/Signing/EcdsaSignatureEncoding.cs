using System.Formats.Asn1;

namespace EvidenceBot.Evidence.Signing;

/// <summary>
/// Converts ECDSA signatures between IEEE P1363 (<c>r || s</c>, fixed width, what Key Vault and .NET's default return)
/// and DER (<c>SEQUENCE { INTEGER r, INTEGER s }</c>, what DSSE/Sigstore tools expect).
/// </summary>
public static class EcdsaSignatureEncoding
{
    /// <summary>
    /// P1363 → DER. Each half becomes a minimal DER INTEGER: leading zero bytes are dropped (keeping one byte for
    /// zero), and a 0x00 is put back in front when the high bit is set, since DER integers are signed.
    /// </summary>
    public static byte[] P1363ToDer(ReadOnlySpan<byte> p1363)
    {
        if (p1363.IsEmpty || p1363.Length % 2 != 0)
            throw new FormatException($"a P1363 signature is r||s of equal halves; got {p1363.Length} byte(s)");
        var half = p1363.Length / 2;
        var r = Integer(p1363[..half]);
        var s = Integer(p1363[half..]);
        var bodyLength = r.Length + s.Length;
        var header = Length(bodyLength);
        var result = new byte[1 + header.Length + bodyLength];
        result[0] = 0x30;
        header.CopyTo(result, 1);
        r.CopyTo(result, 1 + header.Length);
        s.CopyTo(result, 1 + header.Length + r.Length);
        return result;
    }

    // The order of P-256's base point, and half of it: a signature (r, s) and its twin (r, n − s) both verify.
    private static readonly System.Numerics.BigInteger P256Order = System.Numerics.BigInteger.Parse(
        "0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    private static readonly System.Numerics.BigInteger P256HalfOrder = P256Order / 2;

    /// <summary>
    /// A P-256 P1363 signature with its s in the lower half (s ≤ n/2), the one form EvidenceBot writes: its twin
    /// (r, n − s) verifies as well, so accepting both would let a signature be altered without the key.
    /// </summary>
    public static byte[] ToLowS(ReadOnlySpan<byte> p1363)
    {
        if (p1363.Length != 64)
            throw new FormatException($"a P-256 P1363 signature is 64 bytes; got {p1363.Length}");
        var result = p1363.ToArray();
        var s = new System.Numerics.BigInteger(p1363[32..], isUnsigned: true, isBigEndian: true);
        if (s > P256HalfOrder)
        {
            var low = (P256Order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
            Array.Clear(result, 32, 32);
            low.CopyTo(result.AsSpan(64 - low.Length));
        }

        return result;
    }

    /// <summary>True when a strict DER P-256 signature has s ≤ n/2 (see <see cref="ToLowS"/>).</summary>
    public static bool IsLowS(ReadOnlySpan<byte> der)
    {
        if (!TryReadDer(der, 32, out _, out var s, out _))
            return false;
        return new System.Numerics.BigInteger(s, isUnsigned: true, isBigEndian: true) <= P256HalfOrder;
    }

    /// <summary>DER → P1363 with halves of <paramref name="fieldBytes"/> (32 for P-256).</summary>
    public static byte[] DerToP1363(ReadOnlySpan<byte> der, int fieldBytes = 32)
    {
        if (!TryReadDer(der, fieldBytes, out var r, out var s, out var problem))
            throw new FormatException(problem);
        var result = new byte[fieldBytes * 2];
        r.CopyTo(result.AsSpan(fieldBytes - r.Length));
        s.CopyTo(result.AsSpan(2 * fieldBytes - s.Length));
        return result;
    }

    /// <summary>
    /// True when <paramref name="signature"/> is a strict DER ECDSA signature: one SEQUENCE of two minimal, positive
    /// INTEGERs no wider than the field, and nothing after it. A P1363 <c>r||s</c> signature is rejected.
    /// </summary>
    public static bool IsStrictDer(ReadOnlySpan<byte> signature, out string? problem, int fieldBytes = 32) =>
        TryReadDer(signature, fieldBytes, out _, out _, out problem);

    private static bool TryReadDer(ReadOnlySpan<byte> der, int fieldBytes, out byte[] r, out byte[] s, out string? problem)
    {
        r = s = [];
        problem = null;
        if (der.Length == fieldBytes * 2 && (der.Length < 2 || der[0] != 0x30 || der[1] != der.Length - 2))
        {
            problem = $"signature is {der.Length} bytes and not a DER SEQUENCE: it looks like IEEE P1363 r||s; DER (RFC 3279) is required";
            return false;
        }

        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            r = Unsigned(sequence.ReadIntegerBytes().Span, fieldBytes, "r");
            s = Unsigned(sequence.ReadIntegerBytes().Span, fieldBytes, "s");
            if (sequence.HasData)
                throw new FormatException("extra data inside the SEQUENCE");
            if (reader.HasData)
                throw new FormatException("extra bytes after the SEQUENCE");
            return true;
        }
        catch (Exception ex) when (ex is AsnContentException or FormatException)
        {
            problem = "signature is not strict DER (RFC 3279 SEQUENCE of two INTEGERs): " + ex.Message;
            return false;
        }
    }

    private static byte[] Unsigned(ReadOnlySpan<byte> integer, int fieldBytes, string name)
    {
        if (integer.IsEmpty || (integer[0] & 0x80) != 0)
            throw new FormatException($"{name} is not a positive INTEGER");
        var trimmed = integer.Length > 1 && integer[0] == 0 ? integer[1..] : integer;
        if (trimmed.Length > fieldBytes)
            throw new FormatException($"{name} is {trimmed.Length} bytes, wider than the {fieldBytes}-byte field");
        if (trimmed.Length == 1 && trimmed[0] == 0)
            throw new FormatException($"{name} is zero");
        return trimmed.ToArray();
    }

    private static byte[] Integer(ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length - 1 && value[start] == 0)
            start++;
        var trimmed = value[start..];
        var pad = (trimmed[0] & 0x80) != 0 ? 1 : 0;
        var length = Length(trimmed.Length + pad);
        var result = new byte[1 + length.Length + pad + trimmed.Length];
        result[0] = 0x02;
        length.CopyTo(result, 1);
        trimmed.CopyTo(result.AsSpan(1 + length.Length + pad));
        return result;
    }

    private static byte[] Length(int length) => length switch
    {
        < 0x80 => [(byte)length],
        <= 0xFF => [0x81, (byte)length],
        _ => [0x82, (byte)(length >> 8), (byte)length],
    };
}
