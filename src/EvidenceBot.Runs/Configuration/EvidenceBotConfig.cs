using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceBot.Runs;

/// <summary>The configuration file, after schema validation. Paths are resolved against the file's folder.</summary>
internal sealed record EvidenceBotConfig
{
    [JsonPropertyName("rules")] public string? Rules { get; init; }
    [JsonPropertyName("out")] public string? Out { get; init; }
    [JsonPropertyName("parallel")] public int? Parallel { get; init; }
    [JsonPropertyName("ruleTimeout")] public string? RuleTimeout { get; init; }
    [JsonPropertyName("only")] public List<string>? Only { get; init; }
    [JsonPropertyName("parameters")] public Dictionary<string, Dictionary<string, JsonElement>>? Parameters { get; init; }
    [JsonPropertyName("signing")] public SigningConfig? Signing { get; init; }
    [JsonPropertyName("secrets")] public List<string>? Secrets { get; init; }
    [JsonPropertyName("ledger")] public LedgerConfig? Ledger { get; init; }
    [JsonPropertyName("store")] public EvidenceBot.Store.StoreSettings? Store { get; init; }
    [JsonPropertyName("waivers")] public WaiversConfig? Waivers { get; init; }
    [JsonPropertyName("isolate")] public IsolateConfig? Isolate { get; init; }

    /// <summary>
    /// Every other top-level setting: a source module's section (<c>github</c>, <c>azure</c>, <c>models</c>). The schema,
    /// composed from the modules, has already refused anything else; each module reads its own section.
    /// </summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Sections { get; init; }

    /// <summary>The folder the file is in; relative paths in it are resolved against this.</summary>
    [JsonIgnore] public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    public string? Resolve(string? path) => path is null ? null : Path.GetFullPath(Path.Combine(BaseDirectory, path));

    /// <summary>The section of source <paramref name="source"/>, or null when the configuration has none.</summary>
    public JsonElement? Section(string source) =>
        Sections is not null && Sections.TryGetValue(source, out var section) ? section : null;
}

internal sealed record SigningConfig
{
    [JsonPropertyName("key")] public string? Key { get; init; }
    [JsonPropertyName("passphraseEnv")] public string? PassphraseEnv { get; init; }
    [JsonPropertyName("keyVault")] public KeyVaultConfig? KeyVault { get; init; }
}

internal sealed record KeyVaultConfig
{
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
}

/// <summary>The <c>ledger</c> section (see docs/operators/ledger.md).</summary>
internal sealed record LedgerConfig
{
    [JsonPropertyName("enabled")] public bool? Enabled { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("freshness")] public string? Freshness { get; init; }
}

/// <summary>The <c>waivers</c> section: the signed waivers file and whose keys may sign (docs/operators/waivers.md).</summary>
internal sealed record WaiversConfig
{
    [JsonPropertyName("file")] public required string File { get; init; }
    [JsonPropertyName("trustedKeys")] public List<TrustedKeyConfig> TrustedKeys { get; init; } = [];
}

internal sealed record TrustedKeyConfig
{
    [JsonPropertyName("approver")] public required string Approver { get; init; }
    [JsonPropertyName("key")] public required string Key { get; init; }
}

/// <summary>Where rules run (<c>run --isolate</c>): <c>none</c> (this process) or <c>process</c> (a worker the host can kill).</summary>
internal sealed record IsolateConfig
{
    [JsonPropertyName("mode")] public string? Mode { get; init; }
    [JsonPropertyName("memoryLimitMiB")] public int? MemoryLimitMiB { get; init; }
}
