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
    [JsonPropertyName("github")] public GitHubConfig? GitHub { get; init; }

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

/// <summary>The <c>github</c> section: where GitHub is, how to authenticate, which organisations and repositories.</summary>
internal sealed record GitHubConfig
{
    [JsonPropertyName("baseUrl")] public string? BaseUrl { get; init; }
    [JsonPropertyName("tokenEnv")] public string? TokenEnv { get; init; }
    [JsonPropertyName("app")] public GitHubAppConfig? App { get; init; }
    [JsonPropertyName("replay")] public string? Replay { get; init; }
    [JsonPropertyName("organizations")] public List<string>? Organizations { get; init; }
    [JsonPropertyName("include")] public List<string>? Include { get; init; }
    [JsonPropertyName("exclude")] public List<string>? Exclude { get; init; }
    [JsonPropertyName("topics")] public List<string>? Topics { get; init; }
    [JsonPropertyName("includeArchived")] public bool? IncludeArchived { get; init; }
    [JsonPropertyName("includeForks")] public bool? IncludeForks { get; init; }
    [JsonPropertyName("etagCache")] public string? EtagCache { get; init; }
    [JsonPropertyName("maxRateLimitWait")] public string? MaxRateLimitWait { get; init; }
    [JsonPropertyName("concurrency")] public int? Concurrency { get; init; }
}

/// <summary>GitHub App authentication: the App's id, its private key file (or an environment variable holding the PEM), the installation.</summary>
internal sealed record GitHubAppConfig
{
    [JsonPropertyName("appId")] public long AppId { get; init; }
    [JsonPropertyName("privateKeyFile")] public string? PrivateKeyFile { get; init; }
    [JsonPropertyName("privateKeyEnv")] public string? PrivateKeyEnv { get; init; }
    [JsonPropertyName("installationId")] public long? InstallationId { get; init; }
}
