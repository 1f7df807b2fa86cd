using EvidenceBot.Core.Sources;

namespace EvidenceBot.Sources.Models;

/// <summary>
/// The model-registry source as the host sees it: section <c>models</c>, one target per configured registry, rules
/// compiled against <c>EvidenceBot.Rules.Models</c> and reaching the registry as <c>Models</c>.
/// </summary>
public sealed class ModelsSourceModule : ISourceModule
{
    private static readonly Lazy<string> Schema = new(() =>
    {
        using var stream = typeof(ModelsSourceModule).Assembly.GetManifestResourceStream("models.schema.json")
            ?? throw new InvalidOperationException("models.schema.json is not embedded in " + typeof(ModelsSourceModule).Assembly.GetName().Name);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <inheritdoc />
    public string Name => "models";

    /// <inheritdoc />
    public string ConfigSchema => Schema.Value;

    /// <inheritdoc />
    public RuleContract Contract { get; } = new()
    {
        Assemblies = ["EvidenceBot.Rules.Models"],
        Imports = ["EvidenceBot.Rules", "EvidenceBot.Rules.ModelsRuleGlobals"],
    };

    /// <inheritdoc />
    public ISourceSession Open(SourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ModelsSession(ModelsConfig.Parse(settings), settings.Time);
    }
}
