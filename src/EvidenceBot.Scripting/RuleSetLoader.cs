using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Scripting;

/// <summary>How rules are found and compiled.</summary>
public sealed class RuleLoadOptions
{
    /// <summary>The rules folder; every <c>*.csx</c> below it is a rule (files under <c>_shared</c> folders are only <c>#load</c>ed).</summary>
    public required string RulesDirectory { get; init; }

    /// <summary>Where compiled rules are cached.</summary>
    public string CacheDirectory { get; init; } = RuleCache.DefaultDirectory();

    /// <summary>Compile (true) or only read headers (false).</summary>
    public bool Compile { get; init; } = true;

    /// <summary>Only load rules with these ids; all when empty.</summary>
    public IReadOnlyCollection<string> Only { get; init; } = [];

    /// <summary>
    /// The rule contract of every source module, by source name (<see cref="SourceContracts.Of"/>). A rule that lists a
    /// source not in here is an error at load time; a rule is compiled against its own sources' contracts only.
    /// </summary>
    public IReadOnlyDictionary<string, RuleContract> Contracts { get; init; } = new Dictionary<string, RuleContract>();
}

/// <summary>Builds <see cref="RuleLoadOptions.Contracts"/> from the modules.</summary>
public static class SourceContracts
{
    /// <summary>Each module's contract under its name.</summary>
    public static IReadOnlyDictionary<string, RuleContract> Of(IEnumerable<ISourceModule> modules) =>
        modules.ToDictionary(m => m.Name.ToLowerInvariant(), m => m.Contract, StringComparer.Ordinal);
}

/// <summary>What loading a rule set produced.</summary>
/// <param name="Rules">Every rule whose header could be read (ready or not).</param>
/// <param name="Diagnostics">Every problem found, in file order.</param>
/// <param name="Stats">Cache statistics.</param>
public sealed record RuleSet(IReadOnlyList<LoadedRule> Rules, IReadOnlyList<RuleDiagnostic> Diagnostics, RuleLoadStats Stats)
{
    /// <summary>True when any diagnostic is an error.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>
    /// The bytes of every rule file that was read, keyed by <see cref="RuleManifest.SourcePath"/>: what was parsed and
    /// compiled, and what <see cref="RuleManifest.SourceSha256"/> is the hash of. Evidence copies these rather than
    /// reading the files again, so it holds the source that ran even when a file changes during the run.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> Sources { get; init; } = new Dictionary<string, byte[]>(StringComparer.Ordinal);
}

/// <summary>How a load went: cache hits, compiles, time.</summary>
public sealed record RuleLoadStats(int CacheHits, int Compiled, long ElapsedMs);

/// <summary>
/// Reads every rule's header, then loads compiled rules from the cache and compiles the rest in parallel.
/// One broken rule never stops the others: it is returned without a program, with its diagnostics.
/// </summary>
public static class RuleSetLoader
{
    /// <summary>Loads the rule set.</summary>
    public static RuleSet Load(RuleLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(options.RulesDirectory);
        var diagnostics = new List<RuleDiagnostic>();
        if (!Directory.Exists(root))
        {
            diagnostics.Add(new RuleDiagnostic(new SourceLocation(options.RulesDirectory, 0), DiagnosticSeverity.Error, "EB0010",
                "the rules folder does not exist: pass --rules DIR or set 'rules' in the configuration"));
            return new RuleSet([], diagnostics, new RuleLoadStats(0, 0, clock.ElapsedMilliseconds));
        }

        var files = Directory.EnumerateFiles(root, "*.csx", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Contains("_shared"))
            .Order(StringComparer.Ordinal)
            .ToList();

        var cache = new RuleCache(options.CacheDirectory);
        var headers = new HeaderCache(cache);
        var parsed = new List<(RuleManifest Manifest, string Text)>();
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var workingFolder = Directory.GetCurrentDirectory();
        var sources = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var results0 = new List<LoadedRule>();
        foreach (var file in files)
        {
            var display = DisplayPath(file, workingFolder);
            byte[] bytes;
            try
            {
                // A FIFO, a device or a link to one has no size: opening it could block the load forever (a FIFO waits
                // for a writer) or never end (/dev/zero). Such a file is not a rule; an empty file is not one either.
                if (new FileInfo(file).Length == 0)
                {
                    // What was read is nothing: the evidence says so with an empty source, which its statement can name.
                    sources[display] = [];
                    diagnostics.Add(new RuleDiagnostic(new SourceLocation(display, 0), DiagnosticSeverity.Error, "EB0016",
                        "skipped: the file is empty or not a regular file (a FIFO, a device, a socket): a rule is a text file with a header; remove it or move it out of the rules folder"));
                    continue;
                }

                bytes = File.ReadAllBytes(file);
            }
            catch (IOException ex)
            {
                diagnostics.Add(new RuleDiagnostic(new SourceLocation(display, 0), DiagnosticSeverity.Error, "EB0011", $"cannot read the rule: {ex.Message}"));
                continue;
            }

            sources[display] = bytes;
            var text = Decode(bytes);
            var manifest = headers.Parse(display, text, Convert.ToHexStringLower(SHA256.HashData(bytes)), diagnostics);
            if (manifest is null)
                continue;
            if (seen.TryGetValue(manifest.Id, out var other))
            {
                diagnostics.Add(new RuleDiagnostic(new SourceLocation(display, 1), DiagnosticSeverity.Error, "EB0012",
                    $"rule id '{manifest.Id}' is already used by {other}: rule ids must be unique", manifest.Id));
                continue;
            }

            seen[manifest.Id] = display;
            if (options.Only.Count > 0 && !options.Only.Contains(manifest.Id, StringComparer.OrdinalIgnoreCase))
                continue;
            if (UnknownSources(manifest, options.Contracts, text) is { } unknown)
            {
                // Without a module nothing could ever answer the rule: it must not run, and must not look as if it could.
                diagnostics.Add(unknown);
                results0.Add(new LoadedRule(manifest, null, [unknown]));
                continue;
            }

            parsed.Add((manifest, text));
        }

        if (!options.Compile)
        {
            return new RuleSet([.. parsed.Select(p => new LoadedRule(p.Manifest, null, [])), .. results0], diagnostics, new RuleLoadStats(0, 0, clock.ElapsedMilliseconds))
            {
                Sources = sources,
            };
        }

        var results = new LoadedRule[parsed.Count];
        var keys = new string[parsed.Count];
        var loads = new List<string>[parsed.Count];
        var alc = new RuleLoadContext();
        // One by one: the load context takes a lock per assembly, and measured, threads only added their start-up.
        for (var i = 0; i < parsed.Count; i++)
        {
            var (manifest, text) = parsed[i];
            var loaded = LoadedSources(root, workingFolder, manifest.SourcePath, text, sources);
            loads[i] = [.. loaded.Where(l => l.Read).Select(l => l.Path)];
            keys[i] = RuleCache.KeyFor(text, loaded.Select(l => l.Text), RuleReferences.For(manifest.Sources, options.Contracts).Key);
            if (cache.TryGetImage(keys[i], out var image) && TryLoad(alc, image) is { } program)
                results[i] = LoadedRule.Ready(manifest, program);
            else if (cache.TryGetFailure(keys[i]) is { } failure)
                results[i] = new LoadedRule(manifest, null, CachedDiagnostics.Locate(failure, manifest.SourcePath));
        }

        var misses = Enumerable.Range(0, parsed.Count).Where(i => results[i] is null).ToList();
        var hits = parsed.Count - misses.Count;

        if (misses.Count > 0)
            CompileMisses(root, options.Contracts, parsed, keys, misses, cache, alc, results, i => loads[i].ToDictionary(Path.GetFullPath, p => sources[p], StringComparer.Ordinal));

        for (var i = 0; i < results.Length; i++)
        {
            diagnostics.AddRange(results[i].LoadErrors);
            if (loads[i].Count > 0)
                results[i] = results[i] with { LoadedSources = loads[i] };
        }

        return new RuleSet([.. results, .. results0], diagnostics, new RuleLoadStats(hits, misses.Count, clock.ElapsedMilliseconds)) { Sources = sources };
    }

    /// <summary>
    /// Warnings on what makes each ready rule non-deterministic (the wall clock, unseeded randomness, new GUIDs, timers,
    /// parallel loops, findings from unordered collections), each with file(line,col) and what to use instead.
    /// </summary>
    public static IReadOnlyList<RuleDiagnostic> DeterminismWarnings(RuleSet set, RuleLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        var compiler = new RoslynRuleCompiler(Path.GetFullPath(options.RulesDirectory), options.Contracts);
        var warnings = new List<RuleDiagnostic>();
        foreach (var rule in set.Rules.Where(r => r.Program is not null).OrderBy(r => r.Manifest.SourcePath, StringComparer.Ordinal))
        {
            if (set.Sources.TryGetValue(rule.Manifest.SourcePath, out var bytes))
                warnings.AddRange(compiler.DeterminismWarnings(rule.Manifest, Decode(bytes)));
        }

        return warnings;
    }

    /// <summary>An error at the header's <c>sources</c> line when the rule lists a source no module provides, else null.</summary>
    private static RuleDiagnostic? UnknownSources(RuleManifest manifest, IReadOnlyDictionary<string, RuleContract> contracts, string text)
    {
        var unknown = manifest.Sources.Where(s => !contracts.ContainsKey(s.ToLowerInvariant())).ToList();
        if (unknown.Count == 0)
            return null;
        var lines = text.Split('\n');
        var line = Array.FindIndex(lines, l => l.TrimStart().StartsWith("sources:", StringComparison.Ordinal)) + 1;
        var known = contracts.Count == 0 ? "none are available to this command" : "known sources: " + string.Join(", ", contracts.Keys.Order(StringComparer.Ordinal));
        return new RuleDiagnostic(new SourceLocation(manifest.SourcePath, Math.Max(line, 1)), DiagnosticSeverity.Error, "EB0014",
            $"header field 'sources': no source module is named {string.Join(", ", unknown.Select(u => "'" + u + "'"))}; {known}", manifest.Id);
    }

    /// <summary>
    /// The text of a rule file as <see cref="File.ReadAllText(string, Encoding)"/> with UTF-8 reads it: a byte-order mark
    /// (UTF-8, UTF-16 or UTF-32) picks the encoding and is not part of the text.
    /// </summary>
    internal static string Decode(byte[] bytes)
    {
        if (bytes.AsSpan().StartsWith(Utf8Bom))
            return Encoding.UTF8.GetString(bytes, Utf8Bom.Length, bytes.Length - Utf8Bom.Length);
        if (bytes.Length >= 2 && (bytes[0] is 0xFE or 0xFF || (bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == 0)))
        {
            using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }

        return Encoding.UTF8.GetString(bytes);
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Relative to the working folder when below it (what a user typed), else absolute.</summary>
    private static string DisplayPath(string file, string workingFolder)
    {
        var relative = Path.GetRelativePath(workingFolder, file);
        return relative.StartsWith("..", StringComparison.Ordinal) ? file : relative;
    }

    private static ScriptRuleProgram? TryLoad(RuleLoadContext alc, string image)
    {
        try
        {
            // From the bytes rather than the path: mapping the file costs three times as much per assembly.
            return ScriptRuleProgram.FromAssembly(alc.LoadFromStream(new MemoryStream(File.ReadAllBytes(image))));
        }
        catch (Exception ex) when (ex is BadImageFormatException or IOException)
        {
            return null; // a damaged or vanished cache entry is a miss: it is compiled again and overwritten
        }
    }

    /// <summary>
    /// The files a rule <c>#load</c>s, directly or through another loaded file, each read once into <paramref name="sources"/>.
    /// Their texts are part of the rule's cache key. A file outside the rules folder is never read: the compiler refuses
    /// such a <c>#load</c>, and evidence must not copy a file from elsewhere on the machine.
    /// </summary>
    private static List<(string Path, string Text, bool Read)> LoadedSources(string root, string workingFolder, string display, string text,
        Dictionary<string, byte[]> sources)
    {
        var found = new List<(string Path, string Text, bool Read)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<(string File, string Text)>();
        pending.Enqueue((display, text));
        while (pending.TryDequeue(out var current))
        {
            // Only pay for a parse when the script has a #load at all.
            if (!current.Text.Contains("#load", StringComparison.Ordinal))
                continue;
            foreach (var full in Compiler.LoadedFiles(current.File, current.Text))
            {
                if (!seen.Add(full))
                    continue;
                var shown = DisplayPath(full, workingFolder);
                if (!RulesFolder.Contains(root, full))
                {
                    found.Add((shown, "<outside " + full + ">", false));
                    continue;
                }

                if (!sources.TryGetValue(shown, out var bytes))
                {
                    try
                    {
                        if (new FileInfo(full).Length == 0)
                            throw new IOException("empty or not a regular file"); // a FIFO would block the read forever
                        bytes = File.ReadAllBytes(full);
                        sources[shown] = bytes;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        found.Add((shown, "<missing " + full + ">", false)); // the compiler reports it
                        continue;
                    }
                }

                var loadedText = Decode(bytes);
                found.Add((shown, loadedText, true));
                pending.Enqueue((full, loadedText));
            }
        }

        return found;
    }

    private static void CompileMisses(string root, IReadOnlyDictionary<string, RuleContract> contracts, List<(RuleManifest Manifest, string Text)> parsed, string[] keys, List<int> misses,
        RuleCache cache, RuleLoadContext alc, LoadedRule[] results, Func<int, Dictionary<string, byte[]>> loadedFiles)
    {
        var compiler = new Compiler(root, contracts);
        Parallel.ForEach(misses, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (manifest, text) = parsed[i];
            var output = compiler.Compile(manifest, text, "evidencebot.rule." + keys[i][..16], loadedFiles(i));
            if (output.Image is null)
            {
                cache.PutFailure(keys[i], CachedDiagnostics.Portable(output.Diagnostics, manifest.SourcePath));
                results[i] = new LoadedRule(manifest, null, output.Diagnostics);
                return;
            }

            cache.PutImage(keys[i], output.Image);
            Assembly assembly;
            // From memory: the path may be one this context already failed to load (a corrupt entry).
            lock (alc)
                assembly = alc.LoadFromStream(new MemoryStream(output.Image));
            results[i] = new LoadedRule(manifest, ScriptRuleProgram.FromAssembly(assembly), output.Diagnostics);
        });
    }

    // Indirection so the warm path's JIT never touches Roslyn types.
    private sealed class Compiler(string root, IReadOnlyDictionary<string, RuleContract> contracts)
    {
        private readonly RoslynRuleCompiler _inner = new(root, contracts);

        public CompileOutput Compile(RuleManifest manifest, string text, string assemblyName, IReadOnlyDictionary<string, byte[]> loadedFiles) =>
            _inner.Compile(manifest, text, assemblyName, loadedFiles);

        public static IReadOnlyList<string> LoadedFiles(string path, string text) => RoslynRuleCompiler.LoadedFiles(path, text);
    }
}

/// <summary>
/// A compile failure is cached by content, so the same text in another place (a copied or renamed rule) hits it: its
/// diagnostics are stored with the rule's own path, and the folder it sits in, as placeholders, and read back at the
/// rule's current path. Errors then name the file the author has open, not where the text was first compiled.
/// </summary>
internal static class CachedDiagnostics
{
    private const string RuleFile = "{rule}";
    private const string RuleFolder = "{rule-folder}/";

    public static IReadOnlyList<RuleDiagnostic> Portable(IReadOnlyList<RuleDiagnostic> diagnostics, string sourcePath)
    {
        var folder = Folder(sourcePath);
        return [.. diagnostics.Select(d => d with
        {
            Location = d.Location with
            {
                File = d.Location.File == sourcePath ? RuleFile
                    : folder.Length > 0 && d.Location.File.StartsWith(folder, StringComparison.Ordinal) ? RuleFolder + d.Location.File[folder.Length..]
                    : d.Location.File,
            },
        })];
    }

    public static IReadOnlyList<RuleDiagnostic> Locate(IReadOnlyList<RuleDiagnostic> diagnostics, string sourcePath)
    {
        var folder = Folder(sourcePath);
        return [.. diagnostics.Select(d => d with
        {
            Location = d.Location with
            {
                File = d.Location.File == RuleFile ? sourcePath
                    : d.Location.File.StartsWith(RuleFolder, StringComparison.Ordinal) ? folder + d.Location.File[RuleFolder.Length..]
                    : d.Location.File,
            },
        })];
    }

    private static string Folder(string sourcePath)
    {
        var cut = sourcePath.LastIndexOfAny(['/', Path.DirectorySeparatorChar]);
        return cut < 0 ? "" : sourcePath[..(cut + 1)];
    }
}
