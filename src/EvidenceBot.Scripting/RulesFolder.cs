namespace EvidenceBot.Scripting;

/// <summary>Which files belong to the rules folder: the one test the loader and the compiler share.</summary>
internal static class RulesFolder
{
    /// <summary>The folder as a full path without a trailing separator (<c>--rules rules/</c> names the same folder as <c>rules</c>).</summary>
    public static string Normalize(string folder) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));

    /// <summary>
    /// True when <paramref name="path"/> is below <paramref name="folder"/>, compared by whole path segments: a folder
    /// named <c>..lib</c> inside it is inside, <c>../lib</c> is not.
    /// </summary>
    public static bool Contains(string folder, string path) =>
        Path.GetFullPath(path).StartsWith(Normalize(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
