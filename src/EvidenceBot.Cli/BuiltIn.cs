using System.Security.Cryptography;
using System.Text;

namespace EvidenceBot.Cli;

/// <summary>
/// What ships with the tool besides its code, under <c>share/</c> beside <c>evidencebot.dll</c>: the built-in rules, the
/// control catalogs' source files, the schemas and the demo estate, laid out as in the repository. The same folder exists
/// in a build output (<c>dotnet run</c>) and in an installed tool, so the demo runs from either without the repository.
/// </summary>
internal static class BuiltIn
{
    /// <summary>The <c>share/</c> folder beside the executable.</summary>
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "share");

    /// <summary>The built-in rules folder, or null when this build carries none.</summary>
    public static string? RulesDirectory => Existing(Path.Combine(Root, "rules"));

    /// <summary>The demo estate's configuration file, or null when this build carries none.</summary>
    public static string? DemoConfig =>
        File.Exists(Path.Combine(Root, "examples", "demo", "evidencebot.json")) ? Path.Combine(Root, "examples", "demo", "evidencebot.json") : null;

    /// <summary>
    /// The built-in rule pack's identity: how many rules, and a SHA-256 over each rule file's relative path and bytes in
    /// ordinal order, so two installs with the same digest run the same rules.
    /// </summary>
    public static (int Rules, string Digest)? RulePack()
    {
        if (RulesDirectory is not { } dir)
            return null;
        var files = Directory.EnumerateFiles(dir, "*.csx", SearchOption.AllDirectories)
            .Select(f => (Relative: Path.GetRelativePath(dir, f).Replace('\\', '/'), Full: f))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (relative, full) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(relative + "\n"));
            hash.AppendData(File.ReadAllBytes(full));
        }
        return (files.Count, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static string? Existing(string dir) => Directory.Exists(dir) ? dir : null;
}
