using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceBot.Cli.Configuration;

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
    [JsonPropertyName("github")] public JsonElement? GitHub { get; init; }

    /// <summary>The folder the file is in; relative paths in it are resolved against this.</summary>
    [JsonIgnore] public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    public string? Resolve(string? path) => path is null ? null : Path.GetFullPath(Path.Combine(BaseDirectory, path));
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
