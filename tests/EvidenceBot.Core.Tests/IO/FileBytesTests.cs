using EvidenceBot.Core.IO;

namespace EvidenceBot.Core.Tests.IO;

public sealed class FileBytesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evidencebot-filebytes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_NewFile_HoldsExactlyTheBytes()
    {
        var path = Path.Combine(_dir, "new.json");

        FileBytes.Write(path, "{\"a\":1}"u8);

        Assert.Equal("{\"a\":1}"u8.ToArray(), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_OverALongerFile_LeavesNoneOfItsOldTailAndNoOtherFile(bool atomically)
    {
        var path = Path.Combine(_dir, "results.json");
        File.WriteAllText(path, "a much longer leftover from a run that was killed");

        Write(atomically, path, "new"u8);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_EmptyContent_LeavesAnEmptyFile()
    {
        var path = Path.Combine(_dir, "empty");
        File.WriteAllText(path, "old");

        FileBytes.Write(path, ReadOnlySpan<byte>.Empty);

        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_WhereAFolderIs_ThrowsAndLeavesNoFile(bool atomically)
    {
        var path = Path.Combine(_dir, "chain-head.json");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => Write(atomically, path, "x"u8));

        Assert.True(Directory.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir)); // nor the atomic write's partial file
    }

    [Fact]
    public void Write_IntoAMissingFolder_ThrowsAndCreatesNothing()
    {
        var path = Path.Combine(_dir, "missing", "file");

        Assert.Throws<DirectoryNotFoundException>(() => FileBytes.Write(path, "x"u8));
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing")));
    }

    private static void Write(bool atomically, string path, ReadOnlySpan<byte> bytes)
    {
        if (atomically)
            FileBytes.WriteAtomically(path, bytes);
        else
            FileBytes.Write(path, bytes);
    }
}
