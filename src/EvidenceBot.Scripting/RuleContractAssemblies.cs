using System.Reflection;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;

namespace EvidenceBot.Scripting;

/// <summary>
/// The assemblies a rule compiles against beyond the runtime: the contract (globals) and what it exposes.
/// Their module version ids are part of the compile cache key, so a changed contract recompiles every rule.
/// </summary>
public static class RuleContractAssemblies
{
    private static readonly List<Assembly> Extra = [];

    /// <summary>The contract assemblies, in a stable order.</summary>
    public static IReadOnlyList<Assembly> All
    {
        get
        {
            lock (Extra)
                return [typeof(RuleGlobals).Assembly, typeof(Finding).Assembly, typeof(Octokit.Repository).Assembly, .. Extra];
        }
    }

    /// <summary>Adds an assembly rules may compile against (a source's types). Call before loading rules.</summary>
    public static void Add(Assembly assembly)
    {
        lock (Extra)
        {
            if (!Extra.Contains(assembly))
                Extra.Add(assembly);
        }
    }
}
