using EvidenceBot.Core.Sources;
using EvidenceBot.Sources.Azure;
using EvidenceBot.Sources.GitHub;
using EvidenceBot.Sources.Models;

namespace EvidenceBot.Cli.Sources;

/// <summary>
/// The composition root of sources: the one place the host names them. Everything else (configuration, schema,
/// planning, compiling, the summary) goes through <see cref="ISourceModule"/>. Creating a module loads none of its SDK.
/// </summary>
internal static class SourceModules
{
    /// <summary>Every source module this build ships, in a stable order.</summary>
    public static IReadOnlyList<ISourceModule> All { get; } = [new GitHubSourceModule(), new AzureSourceModule(), new ModelsSourceModule()];

    /// <summary>The module named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static ISourceModule? Named(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
