using System.Collections.Concurrent;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;

namespace EvidenceBot.Scripting;

/// <summary>
/// What one rule compiles against: the base contract every rule sees, plus the contract of each source its header
/// lists, and nothing else. A rule without <c>github</c> never references Octokit, so running it never loads Octokit.
/// Free of Roslyn types: the cache key reads it on a warm start.
/// </summary>
internal sealed class RuleReferences
{
    private static readonly ConcurrentDictionary<string, RuleReferences> Known = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> Mvids = new(StringComparer.Ordinal);

    private static readonly string[] BaseImports =
    [
        "System", "System.Linq", "System.Collections.Generic", "System.Threading", "System.Threading.Tasks",
        "System.Text", "System.Text.RegularExpressions", "System.Text.Json", "EvidenceBot.Rules",
    ];

    private RuleReferences(IReadOnlyList<string> sources, IReadOnlyList<string> assemblyPaths, IReadOnlyList<string> imports, ApiDenyList denyList)
    {
        Sources = sources;
        AssemblyPaths = assemblyPaths;
        Imports = imports;
        DenyList = denyList;
        var key = new StringBuilder("sources=").Append(string.Join(',', sources))
            .Append(";deny=").Append(denyList.Fingerprint)
            .Append(";imports=").Append(string.Join(',', imports));
        foreach (var path in assemblyPaths)
            key.Append(';').Append(Path.GetFileNameWithoutExtension(path)).Append('=').Append(Mvid(path));
        Key = key.ToString();
    }

    /// <summary>The sources, lower-case, sorted.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The contract assemblies' files: the base contract's, then each source's.</summary>
    public IReadOnlyList<string> AssemblyPaths { get; }

    /// <summary>Namespaces and static classes the rule sees without a using.</summary>
    public IReadOnlyList<string> Imports { get; }

    /// <summary>The APIs the rule may not use.</summary>
    public ApiDenyList DenyList { get; }

    /// <summary>Part of the compile cache key: sources, deny list, imports and the contract assemblies' module version ids.</summary>
    public string Key { get; }

    /// <summary>
    /// The references of a rule that lists <paramref name="sources"/>. A source with no contract is skipped here: the loader
    /// reports it as an error before compiling.
    /// </summary>
    public static RuleReferences For(IEnumerable<string> sources, IReadOnlyDictionary<string, RuleContract> contracts)
    {
        var names = sources.Select(s => s.ToLowerInvariant()).Where(contracts.ContainsKey).Distinct().Order(StringComparer.Ordinal).ToList();
        var lookup = string.Join(',', names) + "|" + string.Join(',', names.Select(n => contracts[n].GetHashCode()))
            + "|" + RuleContractAssemblies.Extra.Count + "|" + RuleImports.Extra.Count;
        return Known.GetOrAdd(lookup, _ => Create(names, contracts));
    }

    private static RuleReferences Create(List<string> names, IReadOnlyDictionary<string, RuleContract> contracts)
    {
        var chosen = names.Select(n => contracts[n]).ToList();
        var paths = new List<string> { typeof(RuleGlobals).Assembly.Location, typeof(Finding).Assembly.Location };
        paths.AddRange(RuleContractAssemblies.Extra.Select(a => a.Location));
        foreach (var contract in chosen)
        {
            foreach (var name in contract.Assemblies)
            {
                var path = Resolve(name) ?? throw new InvalidOperationException(
                    $"the rule contract assembly '{name}' of source '{names[chosen.IndexOf(contract)]}' is not among the application's assemblies");
                if (!paths.Contains(path, StringComparer.Ordinal))
                    paths.Add(path);
            }
        }

        string[] imports = [.. BaseImports, .. RuleImports.Extra, .. chosen.SelectMany(c => c.Imports)];
        return new RuleReferences(names, paths, [.. imports.Distinct(StringComparer.Ordinal)], ApiDenyList.Base.With(chosen));
    }

    /// <summary>An assembly's file by simple name, from the application's trusted assemblies, without loading it.</summary>
    internal static string? Resolve(string simpleName)
    {
        var tpa = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator);
        var found = tpa.FirstOrDefault(p => string.Equals(Path.GetFileNameWithoutExtension(p), simpleName, StringComparison.OrdinalIgnoreCase));
        if (found is not null)
            return found;
        var beside = Path.Combine(AppContext.BaseDirectory, simpleName + ".dll");
        return File.Exists(beside) ? beside : null;
    }

    // Read from the file's metadata: asking the runtime would load the assembly, which is what this class avoids.
    private static string Mvid(string path) => Mvids.GetOrAdd(path, p =>
    {
        using var pe = new PEReader(File.OpenRead(p));
        var md = pe.GetMetadataReader();
        return md.GetGuid(md.GetModuleDefinition().Mvid).ToString("N");
    });
}
