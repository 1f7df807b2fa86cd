namespace EvidenceBot.Scripting;

/// <summary>Namespaces every rule sees without a <c>using</c>. Free of Roslyn types so the cache key can read it.</summary>
public static class RuleImports
{
    private static readonly List<string> Extra = [];

    /// <summary>The imports, in a stable order.</summary>
    public static IReadOnlyList<string> Namespaces
    {
        get
        {
            lock (Extra)
            {
                return
                [
                    "System", "System.Linq", "System.Collections.Generic", "System.Threading", "System.Threading.Tasks",
                    "System.Text", "System.Text.RegularExpressions", "System.Text.Json", "EvidenceBot.Rules", "Octokit", .. Extra,
                ];
            }
        }
    }

    /// <summary>Adds a namespace (a source's) that rules see without a using.</summary>
    public static void Add(string ns)
    {
        lock (Extra)
        {
            if (!Extra.Contains(ns))
                Extra.Add(ns);
        }
    }
}
