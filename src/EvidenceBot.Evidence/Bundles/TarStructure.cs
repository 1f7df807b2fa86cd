using System.Globalization;
using System.Text;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>
/// Checks the block structure of a decompressed tar stream on its own, before <see cref="System.Formats.Tar.TarReader"/>
/// reads it. TarReader takes any header whose checksum field reads as zero for the end of the archive and never checks
/// header checksums, while GNU tar skips such a header and unpacks what follows it: an entry appended there would be
/// extracted by the auditor's tar but never verified by us. So every header's checksum must match, every size must parse,
/// and after the end-of-archive block every remaining byte must be zero.
/// </summary>
internal static class TarStructure
{
    private const int Block = 512;

    /// <summary>The largest pax extended header we read (ours hold a few timestamps and maybe a long path).</summary>
    private const int MaxPaxHeader = 1024 * 1024;

    /// <summary>What a structurally valid archive holds.</summary>
    /// <param name="Entries">Entries a tar reader yields (headers other than pax and GNU long-name headers).</param>
    /// <param name="Bytes">Decompressed bytes, end-of-archive blocks and padding included.</param>
    internal readonly record struct Summary(int Entries, long Bytes);

    /// <summary>
    /// Reads <paramref name="tar"/> (decompressed) to its end. Returns null and the summary when the structure is valid,
    /// else the problem, naming the offset in the decompressed stream. Never reads more than <paramref name="maxBytes"/>
    /// bytes or more than <paramref name="maxEntries"/> entries. Throws only what the stream throws (e.g. corrupt gzip).
    /// </summary>
    public static string? Check(Stream tar, long maxBytes, int maxEntries, out Summary summary)
    {
        summary = default;
        var header = new byte[Block];
        long offset = 0;
        var entries = 0;
        long? paxSize = null;
        while (true)
        {
            var read = tar.ReadAtLeast(header, Block, throwOnEndOfStream: false);
            if (read == 0)
                return $"offset {offset}: the archive ends without an end-of-archive block (truncated?)";
            if (read < Block)
                return $"offset {offset}: the archive ends inside a header (truncated)";
            if (header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                break;

            if (!TryParseOctal(header.AsSpan(148, 8), out var recorded))
                return $"offset {offset}: the header checksum field is not an octal number";
            long unsignedSum = 0, signedSum = 0;
            for (var i = 0; i < Block; i++)
            {
                var b = i is >= 148 and < 156 ? (byte)' ' : header[i];
                unsignedSum += b;
                signedSum += (sbyte)b;
            }

            // POSIX says unsigned; some old tars summed signed chars, and GNU tar accepts either.
            if (recorded != unsignedSum && recorded != signedSum)
                return $"offset {offset}: header checksum mismatch (the header says {recorded}, its bytes sum to {unsignedSum}): a damaged or forged header";

            if (!TryParseSize(header.AsSpan(124, 12), out var size))
                return $"offset {offset}: the entry size field is not a valid octal or base-256 number";
            var type = (char)header[156];
            if (type is 'x' or 'g')
            {
                if (size > MaxPaxHeader)
                    return $"offset {offset}: a pax extended header of {size} bytes (at most {MaxPaxHeader} allowed)";
                var data = new byte[size];
                if (tar.ReadAtLeast(data, (int)size, throwOnEndOfStream: false) < size)
                    return $"offset {offset}: the archive ends inside a pax extended header (truncated)";
                var paxRecordSize = PaxSize(data, out var paxProblem);
                if (paxProblem is not null)
                    return $"offset {offset}: {paxProblem}";
                if (type == 'g' && paxRecordSize is not null)
                    return $"offset {offset}: a global pax header sets 'size', which tar readers disagree about";
                if (type == 'x')
                    paxSize = paxRecordSize;
                offset += Block + size;
                if (type == 'g')
                    entries++; // a tar reader yields it as an entry of its own
                if (!Skip(tar, Padding(size), ref offset, maxBytes, out var skipProblem))
                    return skipProblem;
                if (offset > maxBytes)
                    return $"offset {offset}: the archive unpacks to more than {maxBytes} bytes";
                continue;
            }

            if (type is 'L' or 'K')
            {
                // GNU long name / long link: the data is the name of the next entry.
                offset += Block;
                if (size > MaxPaxHeader)
                    return $"offset {offset - Block}: a GNU long-name header of {size} bytes (at most {MaxPaxHeader} allowed)";
                if (!Skip(tar, size + Padding(size), ref offset, maxBytes, out var longProblem))
                    return longProblem;
                continue;
            }

            var dataSize = paxSize ?? size;
            paxSize = null;
            switch (type)
            {
                case '0' or '\0':
                    break;
                case '1' or '2' or '3' or '4' or '5' or '6':
                    // Links, devices, folders and FIFOs carry no data; a size here would make readers disagree on where the next header is.
                    if (dataSize != 0)
                        return $"offset {offset}: an entry of type '{type}' with {dataSize} bytes of data (it should have none)";
                    break;
                default:
                    return $"offset {offset}: entry type '{Printable(type)}' (sparse, multi-volume, vendor-specific): only files and folders belong in a bundle";
            }

            if (++entries > maxEntries)
                return $"offset {offset}: more than {maxEntries} entries";
            offset += Block;
            if (dataSize > maxBytes - offset)
                return $"offset {offset - Block}: an entry of {dataSize} bytes: the archive would unpack to more than {maxBytes} bytes";
            if (!Skip(tar, dataSize + Padding(dataSize), ref offset, maxBytes, out var dataProblem))
                return dataProblem;
        }

        // The end-of-archive block: nothing but zeros may follow (GNU tar pads to a whole record with zeros).
        var endAt = offset;
        offset += Block;
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = tar.Read(buffer)) > 0)
        {
            var nonZero = buffer.AsSpan(0, n).IndexOfAnyExcept((byte)0);
            if (nonZero >= 0)
                return $"offset {offset + nonZero}: data after the end-of-archive block at offset {endAt}: something was appended to the archive";
            offset += n;
            if (offset > maxBytes)
                return $"offset {offset}: the archive unpacks to more than {maxBytes} bytes";
        }

        summary = new Summary(entries, offset);
        return null;
    }

    private static long Padding(long size) => (Block - (size % Block)) % Block;

    private static bool Skip(Stream tar, long count, ref long offset, long maxBytes, out string? problem)
    {
        problem = null;
        if (count > maxBytes - offset)
        {
            problem = $"offset {offset}: the archive would unpack to more than {maxBytes} bytes";
            return false;
        }

        var buffer = new byte[Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            var n = tar.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n == 0)
            {
                problem = $"offset {offset}: the archive ends inside an entry's data (truncated)";
                return false;
            }

            count -= n;
            offset += n;
        }

        return true;
    }

    /// <summary>Octal digits, optionally led by spaces and ended by a NUL or space (as tar writers differ).</summary>
    private static bool TryParseOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var i = 0;
        while (i < field.Length && field[i] == ' ')
            i++;
        var digits = 0;
        for (; i < field.Length && field[i] is >= (byte)'0' and <= (byte)'7'; i++, digits++)
        {
            if (value > (long.MaxValue >> 3))
                return false;
            value = (value << 3) | (long)(field[i] - '0');
        }

        if (digits == 0)
            return false;
        for (; i < field.Length; i++)
        {
            if (field[i] is not (0 or (byte)' '))
                return false;
        }

        return true;
    }

    /// <summary>A size field: octal, or GNU base-256 (high bit of the first byte set) for sizes past 8 GiB.</summary>
    private static bool TryParseSize(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        if ((field[0] & 0x80) == 0)
            return TryParseOctal(field, out value);
        if (field[0] != 0x80)
            return false; // negative (0xFF…) or too large for a long
        for (var i = 1; i < field.Length; i++)
        {
            if (value > (long.MaxValue >> 8))
                return false;
            value = (value << 8) | field[i];
        }

        return true;
    }

    /// <summary>The 'size' record of a pax extended header, if any; records are "LEN key=value\n".</summary>
    private static long? PaxSize(byte[] data, out string? problem)
    {
        problem = null;
        long? size = null;
        var at = 0;
        while (at < data.Length)
        {
            if (data.AsSpan(at).IndexOfAnyExcept((byte)0) < 0)
                break; // NUL padding at the end
            var space = Array.IndexOf(data, (byte)' ', at);
            if (space < 0 || !int.TryParse(data.AsSpan(at, space - at), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space - at + 1 || at + length > data.Length || data[at + length - 1] != (byte)'\n')
            {
                problem = $"malformed pax extended header record at byte {at} of the header";
                return null;
            }

            var record = Encoding.UTF8.GetString(data, space + 1, at + length - space - 2);
            var eq = record.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                problem = $"malformed pax extended header record at byte {at} of the header (no '=')";
                return null;
            }

            if (record[..eq] == "size")
            {
                if (!long.TryParse(record[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                {
                    problem = $"pax 'size' record '{record[(eq + 1)..]}' is not a non-negative number";
                    return null;
                }

                size = parsed;
            }

            at += length;
        }

        return size;
    }

    private static string Printable(char c) => c is >= ' ' and <= '~' ? c.ToString() : $"\\x{(int)c:x2}";
}
