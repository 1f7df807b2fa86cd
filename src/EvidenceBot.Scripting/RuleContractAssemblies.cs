using System.Reflection;

namespace EvidenceBot.Scripting;

/// <summary>
/// Assemblies every rule compiles against beyond its sources' contracts, added by a host (or a test) before loading
/// rules. Sources do not use this: each lists its contract assemblies in its module's <c>RuleContract</c>.
/// </summary>
public static class RuleContractAssemblies
{
    private static readonly List<Assembly> Added = [];

    internal static IReadOnlyList<Assembly> Extra
    {
        get
        {
            lock (Added)
                return [.. Added];
        }
    }

    /// <summary>Adds an assembly every rule may compile against. Call before loading rules.</summary>
    public static void Add(Assembly assembly)
    {
        lock (Added)
        {
            if (!Added.Contains(assembly))
                Added.Add(assembly);
        }
    }
}
