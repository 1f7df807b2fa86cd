using System.Reflection;
using System.Runtime.Loader;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;

namespace EvidenceBot.Scripting;

/// <summary>A compiled rule script, ready to run.</summary>
internal sealed class ScriptRuleProgram : IRuleProgram
{
    private readonly Func<object[], Task<object>> _factory;

    public ScriptRuleProgram(Func<object[], Task<object>> factory) => _factory = factory;

    public async Task ExecuteAsync(RuleContext context)
    {
        RuleCheckpoint.Enter(context.CancellationToken);
        var globals = new RuleGlobals(context);
        // A script submission's factory takes [globals, slot for this submission's state].
        await _factory([globals, null!]).ConfigureAwait(false);
    }

    /// <summary>Finds the script's entry point in an assembly loaded from the cache.</summary>
    public static ScriptRuleProgram FromAssembly(Assembly assembly)
    {
        var type = assembly.GetType("Submission#0", throwOnError: true)!;
        var method = type.GetMethod("<Factory>", BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no script entry point");
        return new ScriptRuleProgram(method.CreateDelegate<Func<object[], Task<object>>>());
    }
}

/// <summary>
/// One collectible load context for a whole rule set: loading each rule into a context of its own
/// costs several ms per rule on a warm start. Contract assemblies resolve from the default context.
/// </summary>
internal sealed class RuleLoadContext() : AssemblyLoadContext("evidencebot-rules", isCollectible: true)
{
    protected override Assembly? Load(AssemblyName assemblyName) => null;
}
