using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Sources.Azure;

/// <summary>
/// The Azure source module: subscriptions as targets, ARM (and Microsoft Graph, only to tell guests) through
/// Azure.ResourceManager's ArmClient and Azure.Identity credentials. Rules see it as <c>Azure</c>
/// (<see cref="EvidenceBot.Rules.IAzureSource"/>) through the <c>EvidenceBot.Rules.Azure</c> contract assembly,
/// which carries no Azure SDK type.
/// </summary>
public sealed class AzureSourceModule : ISourceModule
{
    private static readonly Lazy<string> Schema = new(() =>
    {
        using var stream = typeof(AzureSourceModule).Assembly.GetManifestResourceStream("azure.schema.json")
            ?? throw new InvalidOperationException("azure.schema.json is not embedded in EvidenceBot.Sources.Azure");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private const string SignsIn = "a rule reads Azure through Azure, with the run's identity; it may not sign in by itself";

    private static readonly RuleContract AzureContract = new()
    {
        Assemblies = ["EvidenceBot.Rules.Azure"],
        Imports = ["EvidenceBot.Rules.AzureRuleGlobals"],
        DeniedTypes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // These start processes (az, pwsh, azd, a browser) or wait for a person.
            ["Azure.Identity.AzureCliCredential"] = "starts the Azure CLI as a process; " + SignsIn,
            ["Azure.Identity.AzurePowerShellCredential"] = "starts PowerShell as a process; " + SignsIn,
            ["Azure.Identity.AzureDeveloperCliCredential"] = "starts the Azure Developer CLI as a process; " + SignsIn,
            ["Azure.Identity.InteractiveBrowserCredential"] = "opens a browser and waits for a person; " + SignsIn,
            ["Azure.Identity.DeviceCodeCredential"] = "waits for a person to enter a code; " + SignsIn,
            ["Azure.Identity.DefaultAzureCredential"] = "may start the Azure CLI, PowerShell or azd as processes; " + SignsIn,
            ["Azure.Identity.VisualStudioCredential"] = "starts a Visual Studio helper process; " + SignsIn,
            ["Azure.Identity.VisualStudioCodeCredential"] = "reads VS Code's token cache from disk; " + SignsIn,
            ["Azure.Identity.SharedTokenCacheCredential"] = "reads a token cache from disk; " + SignsIn,
            ["Azure.ResourceManager.ArmClient"] = "sends requests outside the recorded, coalesced source; use Azure",
            ["Azure.Core.Pipeline.HttpClientTransport"] = "sends requests outside the recorded source; use Azure",
            ["Azure.Core.Pipeline.HttpPipelineBuilder"] = "builds a pipeline outside the recorded source; use Azure",
        },
        DeniedNamespaces = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Azure.Identity"] = SignsIn,
            ["Azure.ResourceManager"] = "reads outside the recorded, coalesced source with unpinned api-versions; use Azure",
        },
    };

    /// <inheritdoc />
    public string Name => "azure";

    /// <inheritdoc />
    public string ConfigSchema => Schema.Value;

    /// <inheritdoc />
    public RuleContract Contract => AzureContract;

    /// <inheritdoc />
    public ISourceSession Open(SourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new AzureSession(AzureSourceOptions.Parse(settings), settings.Redactor, settings.Time, settings.Sink);
    }

    /// <summary>Opens with options already parsed (tests, bench).</summary>
    internal static AzureSession Open(AzureSourceOptions options, Redactor redactor, TimeProvider time, IExchangeSink? sink = null) =>
        new(options, redactor, time, sink);
}
