using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.IO;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Scripting;

/// <summary>
/// Compiled rules on disk, keyed by SHA-256 of the script (and the files it <c>#load</c>s), its contract
/// (its sources' assemblies, imports and deny list), the Roslyn version, the deny-list and checkpoint versions and the compile options.
/// Writes are atomic (temp file + rename), so a killed process never leaves a half-written entry.
/// Failed compiles are cached too, as their diagnostics, so a broken rule does not pay Roslyn's start-up on every run.
/// </summary>
public sealed class RuleCache
{
    private static readonly Lazy<string> EnvironmentKey = new(ComputeEnvironmentKey);

    /// <summary>Creates a cache in <paramref name="directory"/>.</summary>
    public RuleCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>The default folder: the user's cache directory, <c>evidencebot/rules</c>.</summary>
    public static string DefaultDirectory() => Path.Combine(UserCacheRoot(), "rules");

    /// <summary>EvidenceBot's folder in the user's cache directory (<c>$XDG_CACHE_HOME</c> or <c>~/.cache</c>, <c>evidencebot</c>).</summary>
    public static string UserCacheRoot()
    {
        var xdg = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) ? xdg
            : OperatingSystem.IsWindows() ? System.Environment.GetFolderPath(System.Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "evidencebot");
    }

    /// <summary>
    /// The cache key of a rule whose full text is <paramref name="text"/>, compiled against the contract that
    /// <paramref name="contractKey"/> names (its sources' assemblies, imports and deny list).
    /// </summary>
    public static string KeyFor(string text, IEnumerable<string> loadedFileTexts, string contractKey = "")
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(EnvironmentKey.Value));
        if (CheckpointInjector.OffForBenchmark)
            sha.AppendData(";checkpoints=off"u8);
        sha.AppendData([0]);
        sha.AppendData(Encoding.UTF8.GetBytes(contractKey));
        sha.AppendData([0]);
        sha.AppendData(Encoding.UTF8.GetBytes(text));
        foreach (var t in loadedFileTexts)
        {
            sha.AppendData([0]);
            sha.AppendData(Encoding.UTF8.GetBytes(t));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The compiled image's path for <paramref name="key"/>.</summary>
    public string ImagePath(string key) => Path.Combine(Directory, key + ".dll");

    /// <summary>True when a compiled image exists for <paramref name="key"/>.</summary>
    public bool TryGetImage(string key, out string path)
    {
        path = ImagePath(key);
        return File.Exists(path);
    }

    /// <summary>Cached diagnostics of a failed compile, or null.</summary>
    public IReadOnlyList<RuleDiagnostic>? TryGetFailure(string key)
    {
        var path = Path.Combine(Directory, key + ".errors.json");
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<List<RuleDiagnostic>>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            return null; // a damaged entry is just a miss
        }
    }

    /// <summary>Stores a compiled image atomically.</summary>
    public void PutImage(string key, byte[] image) => WriteAtomically(ImagePath(key), image);

    /// <summary>Stores a failed compile's diagnostics atomically.</summary>
    public void PutFailure(string key, IReadOnlyList<RuleDiagnostic> diagnostics) =>
        WriteAtomically(Path.Combine(Directory, key + ".errors.json"), JsonSerializer.SerializeToUtf8Bytes(diagnostics));

    /// <summary>Reads a cached entry's bytes, or null.</summary>
    public byte[]? TryRead(string name)
    {
        var path = Path.Combine(Directory, name);
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Writes a cached entry atomically.</summary>
    public void Write(string name, byte[] bytes)
    {
        try
        {
            WriteAtomically(Path.Combine(Directory, name), bytes);
        }
        catch (IOException)
        {
            // A cache that cannot be written only costs time.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void WriteAtomically(string path, byte[] bytes)
    {
        System.IO.Directory.CreateDirectory(Directory);
        FileBytes.WriteAtomically(path, bytes);
    }

    private static string ComputeEnvironmentKey()
    {
        // The Roslyn version is read from our own reference list, so computing the key never loads Roslyn.
        var roslyn = typeof(RuleCache).Assembly.GetReferencedAssemblies()
            .FirstOrDefault(a => a.Name == "Microsoft.CodeAnalysis.CSharp")?.Version?.ToString() ?? "?";
        var sb = new StringBuilder();
        sb.Append("roslyn=").Append(roslyn)
          .Append(";checkpoint=").Append(CheckpointInjector.Version)
          .Append(";options=script,latest,debug,nounsafe");
        return sb.ToString();
    }
}
