using Microsoft.Win32.SafeHandles;

namespace EvidenceBot.Core.IO;

/// <summary>
/// Writes a run's small files: bundle statements and rule sources, results.json, cache entries.
/// <see cref="File.WriteAllBytes(string, byte[])"/> truncates the file it opens and reserves its final size, even when
/// the file is new. On ext4 those two calls cost more than writing a few kilobytes, and a run writes two files per rule;
/// a new file here is only created and written.
/// </summary>
public static class FileBytes
{
    /// <summary>Creates <paramref name="path"/>, or replaces the content of the file already there, with <paramref name="bytes"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        SafeFileHandle handle;
        try
        {
            handle = Open(path, FileMode.CreateNew);
        }
        catch (IOException) when (File.Exists(path))
        {
            handle = Open(path, FileMode.Create);
        }

        using (handle)
            RandomAccess.Write(handle, bytes, fileOffset: 0);
    }

    private static SafeFileHandle Open(string path, FileMode mode) =>
        File.OpenHandle(path, mode, FileAccess.Write, FileShare.Read, FileOptions.None, preallocationSize: 0);
}
