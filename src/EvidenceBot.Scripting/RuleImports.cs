namespace EvidenceBot.Scripting;

/// <summary>
/// Namespaces (or static classes) every rule sees without a using, beyond the base ones and its sources' imports, added
/// by a host (or a test) before loading rules. Sources do not use this: each lists its imports in its <c>RuleContract</c>.
/// </summary>
public static class RuleImports
{
    private static readonly List<string> Added = [];

    internal static IReadOnlyList<string> Extra
    {
        get
        {
            lock (Added)
                return [.. Added];
        }
    }

    /// <summary>Adds a namespace or static class every rule sees without a using.</summary>
    public static void Add(string ns)
    {
        lock (Added)
        {
            if (!Added.Contains(ns))
                Added.Add(ns);
        }
    }
}
