using System.Runtime.InteropServices;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>
/// What a path in a bundle folder is, without following a symbolic link at it. Only regular files belong in a bundle:
/// reading a FIFO blocks forever, and a link can point at <c>/dev/zero</c> or at anything outside the bundle.
/// </summary>
internal static class FileKind
{
    // The file-type bits of the mode the .NET runtime's own native layer reports (the same values on every Unix).
    private const int TypeMask = 0xF000;
    private const int Fifo = 0x1000;
    private const int CharacterDevice = 0x2000;
    private const int Directory = 0x4000;
    private const int BlockDevice = 0x6000;
    private const int Regular = 0x8000;
    private const int SymbolicLink = 0xA000;
    private const int Socket = 0xC000;

    /// <summary>Null when <paramref name="path"/> is a regular file; else what it is, for a failure message.</summary>
    public static string? NotRegular(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is { } target)
                return $"a symbolic link (to '{target}')";
            if (System.IO.Directory.Exists(path))
                return "a folder";
            return (info.Attributes & (FileAttributes.ReparsePoint | FileAttributes.Device)) != 0 ? "a reparse point or device" : null;
        }

        int mode;
        try
        {
            // Fail closed: if the shim's layout is not what this code assumes, no file is taken for a regular one.
            if (!LayoutHolds.Value)
                return "of a kind this platform cannot tell (the runtime's lstat layout is not the expected one); it is not read";
            if (Mode(path) is not { } m)
                return "unreadable (lstat failed)";
            mode = m;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Fail closed: a file whose kind cannot be told is not accepted as evidence.
            return $"of a kind this platform cannot tell ({ex.GetType().Name}); it is not read";
        }

        return (mode & TypeMask) switch
        {
            Regular => null,
            SymbolicLink when new FileInfo(path).LinkTarget is { } target => $"a symbolic link (to '{target}')",
            Fifo => "a FIFO (named pipe)",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Directory => "a folder",
            SymbolicLink => "a symbolic link",
            Socket => "a socket",
            var other => $"a file of type 0x{other:X}",
        };
    }

    // The layout is not a public contract: check it once on a file and a folder whose kinds are known.
    private static readonly Lazy<bool> LayoutHolds = new(() =>
        KnownRegularFile() is { } file && (Mode(file) & TypeMask) == Regular && (Mode(AppContext.BaseDirectory) & TypeMask) == Directory);

    // This assembly's file; in a single-file app, the executable (following links to the file itself).
    private static string? KnownRegularFile() =>
        typeof(FileKind).Assembly.Location is { Length: > 0 } location ? location
        : Environment.ProcessPath is { } process ? File.ResolveLinkTarget(process, returnFinalTarget: true)?.FullName ?? process
        : null;

    // One status buffer per thread: a bundle has thousands of files.
    [ThreadStatic]
    private static byte[]? Status;

    /// <summary>The lstat mode of <paramref name="path"/>, or null when lstat fails.</summary>
    private static int? Mode(string path)
    {
        // .NET exposes no file type beyond folder/link: FileInfo calls a FIFO or a device "Normal". The runtime's
        // native shim (shipped with every .NET on Unix) has lstat with a fixed layout: Flags, then Mode, as int32.
        var status = Status ??= new byte[256];
        return LStat(path, status) == 0 ? BitConverter.ToInt32(status, 4) : null;
    }

#pragma warning disable SYSLIB1054, CA5392, CA2101 // A byte buffer and a UTF-8 path need no generated marshalling; the shim ships with the runtime.
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int LStat(string path, byte[] status);
#pragma warning restore SYSLIB1054, CA5392, CA2101
}
