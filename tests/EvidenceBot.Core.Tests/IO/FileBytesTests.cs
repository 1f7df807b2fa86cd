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

    [Fact]
    public void Write_OverALongerFile_LeavesNoneOfItsOldTail()
    {
        var path = Path.Combine(_dir, "results.json.tmp");
        File.WriteAllText(path, "a much longer leftover from a run that was killed");

        FileBytes.Write(path, "new"u8);

        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void Write_EmptyContent_LeavesAnEmptyFile()
    {
        var path = Path.Combine(_dir, "empty");
        File.WriteAllText(path, "old");

        FileBytes.Write(path, ReadOnlySpan<byte>.Empty);

        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void Write_WhereAFolderIs_Throws()
    {
        var path = Path.Combine(_dir, "folder");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => FileBytes.Write(path, "x"u8));
        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void Write_IntoAMissingFolder_ThrowsAndCreatesNothing()
    {
        var path = Path.Combine(_dir, "missing", "file");

        Assert.Throws<DirectoryNotFoundException>(() => FileBytes.Write(path, "x"u8));
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing")));
    }
}
