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

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="bytes"/> all at once: they are written to a file of their own
    /// beside it, which is then renamed over it. A reader sees the old content or the new, never part of either, and two
    /// writers at once never share a half-written file. On failure the partial file is removed and the error thrown.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = Beside(path);
        try
        {
            Write(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// As <see cref="WriteAtomically(string, ReadOnlySpan{byte})"/>, for content too large to hold in memory:
    /// <paramref name="write"/> streams it into the file beside <paramref name="path"/>.
    /// </summary>
    public static async Task WriteAtomicallyAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var temp = Beside(path);
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                await write(file, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    // A name of its own for each write: two writers at once never share a partial file.
    private static string Beside(string path) => $"{path}.{Guid.NewGuid():N}.tmp";

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
        {
            // the original error is the one that matters; a partial file is named .tmp and never read as the real one
        }
    }

    private static SafeFileHandle Open(string path, FileMode mode) =>
        File.OpenHandle(path, mode, FileAccess.Write, FileShare.Read, FileOptions.None, preallocationSize: 0);
}
