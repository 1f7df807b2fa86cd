using System.Security.Cryptography;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;

namespace EvidenceBot.Service;

/// <summary>What a look at the rules folder found and did.</summary>
/// <param name="Changed">Rule files added, edited or removed since the last look (relative paths).</param>
/// <param name="Refused">Changed files kept at their previous version (or left out, when new) because they did not compile, with why.</param>
internal sealed record ReloadOutcome(IReadOnlyList<string> Changed, IReadOnlyList<(string File, string Why)> Refused)
{
    public static ReloadOutcome None { get; } = new([], []);
}

/// <summary>
/// The rules the service runs: a copy of the configured rules folder's <c>*.csx</c> files, which runs read instead of
/// the folder itself. A change to the folder is compiled in a staging copy first; a changed rule that does not
/// compile keeps its previous version in the copy (a new one stays out) and is reported, so a broken edit never
/// replaces a working rule. Runs load rules under <see cref="Gate"/>, and the copy changes only under it.
/// </summary>
internal sealed class ActiveRules
{
    private readonly string _source;
    private readonly string _root;
    private readonly string _cache;
    private readonly RuleLoadOptions _template;

    // Files refused at their current content: not compiled or reported again until they change.
    private readonly Dictionary<string, string> _refused = new(StringComparer.Ordinal);

    /// <param name="sourceDirectory">The configured rules folder.</param>
    /// <param name="workDirectory">A folder of the service's own (under the cache) for the copy and its staging.</param>
    /// <param name="template">How to load rules (source contracts, cache); the folder is replaced.</param>
    public ActiveRules(string sourceDirectory, string workDirectory, RuleLoadOptions template)
    {
        _source = Path.GetFullPath(sourceDirectory);
        _root = workDirectory;
        _cache = template.CacheDirectory;
        _template = template;
        Directory = Path.Combine(_root, "rules");
    }

    /// <summary>The configured rules folder, watched for changes.</summary>
    public string SourceDirectory => _source;

    /// <summary>The folder runs read their rules from.</summary>
    public string Directory { get; }

    /// <summary>Held by a run while it loads its rules, and by a reload while it swaps files.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>
    /// A path in the copy (or its staging) as the operator knows it: under the configured rules folder. Messages name
    /// the file the operator edits, not the service's own copy of it.
    /// </summary>
    public string Shown(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var copy in new[] { Directory, Path.Combine(_root, "staging") })
            text = text.Replace(copy + Path.DirectorySeparatorChar, _source + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return text;
    }

    /// <summary>The copy's rules, headers only (no compile), with the schedule each sets.</summary>
    public IReadOnlyList<RuleManifest> Manifests()
    {
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            RulesDirectory = Directory,
            CacheDirectory = _cache,
            Compile = false,
            Contracts = _template.Contracts,
        });
        return [.. set.Rules.Select(r => r.Manifest)];
    }

    /// <summary>Makes the copy equal to the rules folder, as it is (at start: there is no older version to keep).</summary>
    public void Initialize()
    {
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var (relative, _) in Hashes(_source))
            CopyInto(_source, Directory, relative);
    }

    /// <summary>
    /// Compares the rules folder with the copy; compiles what changed in a staging copy and swaps in each changed file
    /// that compiles. Waits for <see cref="Gate"/> only for the swap.
    /// </summary>
    public async Task<ReloadOutcome> RefreshAsync(CancellationToken ct)
    {
        var wanted = Hashes(_source);
        var active = Hashes(Directory);
        foreach (var gone in _refused.Keys.Where(k => !wanted.TryGetValue(k, out var h) || h != _refused[k]).ToList())
            _refused.Remove(gone);
        // An empty file is one being written (an editor, a heredoc): taken when it has content. A file refused as it is
        // now was reported once; it is looked at again when it changes.
        var changed = wanted.Where(w => w.Value != EmptyHash && !_refused.ContainsKey(w.Key) && (!active.TryGetValue(w.Key, out var h) || h != w.Value)).Select(w => w.Key)
            .Concat(active.Keys.Where(a => !wanted.ContainsKey(a)))
            .Order(StringComparer.Ordinal).ToList();
        if (changed.Count == 0)
            return ReloadOutcome.None;

        var staging = Path.Combine(_root, "staging");
        if (System.IO.Directory.Exists(staging))
            System.IO.Directory.Delete(staging, recursive: true);
        System.IO.Directory.CreateDirectory(staging);
        foreach (var relative in wanted.Keys)
            CopyInto(_source, staging, relative);

        var set = RuleSetLoader.Load(new RuleLoadOptions { RulesDirectory = staging, CacheDirectory = _cache, Contracts = _template.Contracts });
        var refused = new List<(string File, string Why)>();
        foreach (var relative in changed.Where(wanted.ContainsKey))
        {
            var full = Path.GetFullPath(Path.Combine(staging, relative));
            var errors = set.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && SameFile(d.Location.File, full))
                .Concat(set.Rules.Where(r => r.Program is null && SameFile(r.Manifest.SourcePath, full)).SelectMany(r => r.LoadErrors))
                .Select(d => d.ToString()).Distinct().ToList();
            if (errors.Count > 0)
            {
                refused.Add((relative, Shown(string.Join("; ", errors))));
                _refused[relative] = wanted[relative];
            }
        }

        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var relative in changed)
            {
                if (refused.Any(r => r.File == relative))
                    continue;
                var target = Path.Combine(Directory, relative);
                if (wanted.ContainsKey(relative))
                    CopyInto(staging, Directory, relative);
                else
                    File.Delete(target);
            }
        }
        finally
        {
            Gate.Release();
        }

        System.IO.Directory.Delete(staging, recursive: true);
        return new ReloadOutcome(changed, refused);
    }

    private static bool SameFile(string display, string full) =>
        string.Equals(Path.GetFullPath(display), full, StringComparison.Ordinal);

    private static void CopyInto(string from, string to, string relative)
    {
        var target = Path.Combine(to, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // Through a temp file and a rename: a run never reads half a rule.
        var temp = target + ".tmp";
        File.Copy(Path.Combine(from, relative), temp, overwrite: true);
        File.Move(temp, target, overwrite: true);
    }

    private static readonly string EmptyHash = Convert.ToHexStringLower(SHA256.HashData([]));

    private static Dictionary<string, string> Hashes(string root)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!System.IO.Directory.Exists(root))
            return hashes;
        foreach (var file in System.IO.Directory.EnumerateFiles(root, "*.csx", SearchOption.AllDirectories))
        {
            try
            {
                hashes[Path.GetRelativePath(root, file)] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
            }
            catch (IOException)
            {
                // Being written right now: the next look takes it.
            }
        }

        return hashes;
    }
}
