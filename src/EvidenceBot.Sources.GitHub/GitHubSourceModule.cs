using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// The GitHub source as a module: the <c>github</c> configuration section, one target per organisation, and the
/// rule contract (<c>GitHub</c>, Octokit's models). Touches no Octokit type until a run opens it, so a run whose
/// rules do not list <c>github</c> never loads Octokit.
/// </summary>
public sealed class GitHubSourceModule : ISourceModule
{
    /// <summary>The source's name in rule headers and the configuration.</summary>
    public const string SourceName = "github";

    private static readonly Lazy<string> Schema = new(() =>
    {
        using var stream = typeof(GitHubSourceModule).Assembly.GetManifestResourceStream("github.schema.json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <inheritdoc />
    public string Name => SourceName;

    /// <inheritdoc />
    public string ConfigSchema => Schema.Value;

    /// <inheritdoc />
    public RuleContract Contract { get; } = new()
    {
        Assemblies = ["EvidenceBot.Rules.GitHub", "Octokit"],
        Imports = ["Octokit", "EvidenceBot.Rules.GitHubRuleGlobals"],
        DeniedNamespaces = new Dictionary<string, string> { ["Octokit.Internal"] = "network access outside the sources" },
        DeniedTypes = new Dictionary<string, string>
        {
            ["Octokit.GitHubClient"] = "network access outside the sources (use GitHub)",
            ["Octokit.Connection"] = "network access outside the sources (use GitHub)",
            ["Octokit.ApiConnection"] = "network access outside the sources (use GitHub)",
            ["Octokit.Credentials"] = "credentials",
        },
    };

    /// <inheritdoc />
    public ISourceSession Open(SourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Session(new GitHubSession(Options(settings), settings.Time));
    }

    /// <summary>Reads the <c>github</c> section; every problem names its JSON path and what to do.</summary>
    internal static GitHubSourceOptions Options(SourceSettings settings)
    {
        var at = settings.Path;
        var gh = settings.Section.Deserialize<GitHubConfig>() ?? throw new SourceConfigException($"{at}: must be an object");
        var baseUrl = new Uri("https://api.github.com/");
        if (gh.BaseUrl is not null && (!Uri.TryCreate(gh.BaseUrl, UriKind.Absolute, out baseUrl!) || baseUrl.Scheme is not ("http" or "https")))
            throw new SourceConfigException($"{at}.baseUrl: '{gh.BaseUrl}' is not an absolute http(s) URL; e.g. https://api.github.com/ or https://HOST/api/v3/ for GitHub Enterprise Server");

        var organizations = gh.Organizations ?? [];
        if (organizations.Count == 0)
            throw new SourceConfigException($"{at}.organizations: list at least one organisation login");

        HttpMessageHandler? transport = null;
        string? token = null;
        GitHubAppCredentials? app = null;
        if (gh.Replay is not null)
        {
            try
            {
                transport = ReplayHandler.FromDirectory(settings.ResolvePath(gh.Replay));
            }
            catch (Exception ex) when (ex is DirectoryNotFoundException or InvalidDataException or IOException)
            {
                throw new SourceConfigException($"{at}.replay: {ex.Message}");
            }
        }
        else if (gh.TokenEnv is null && gh.App is null && gh.Tokens is { Count: > 0 })
        {
            // A pool alone: its tokens are read below.
        }
        else if (gh.TokenEnv is not null && gh.App is not null)
        {
            throw new SourceConfigException($"{at}: set either tokenEnv or app, not both");
        }
        else if (gh.TokenEnv is not null)
        {
            token = settings.Environment(gh.TokenEnv);
            if (string.IsNullOrWhiteSpace(token))
                throw new SourceConfigException($"{at}.tokenEnv: the environment variable {gh.TokenEnv} is not set; export a token that can read the organisations' settings (see docs/sources/github.md)");
        }
        else if (gh.App is { } a)
        {
            app = new GitHubAppCredentials(a.AppId, AppKey(settings, a), a.InstallationId);
        }
        else
        {
            throw new SourceConfigException($"{at}: set tokenEnv (a token in an environment variable), app (a GitHub App) or replay (a folder of recorded exchanges)");
        }

        List<string> pool = [];
        if (gh.Tokens is { Count: > 0 } tokens)
        {
            if (gh.Replay is null && gh.App is not null)
                throw new SourceConfigException($"{at}.tokens: a token pool and app cannot be combined; list tokens, or use one App");
            for (var i = 0; i < tokens.Count; i++)
            {
                var env = tokens[i].TokenEnv;
                if (string.IsNullOrWhiteSpace(env))
                    throw new SourceConfigException($"{at}.tokens[{i}].tokenEnv: name the environment variable holding this token");
                if (gh.Replay is not null)
                    continue; // a replay sends nothing: no token is needed
                var value = settings.Environment(env);
                if (string.IsNullOrWhiteSpace(value))
                    throw new SourceConfigException($"{at}.tokens[{i}].tokenEnv: the environment variable {env} is not set; export the token, or remove it from the pool");
                pool.Add(value);
            }
        }

        var path = gh.Path switch
        {
            null or "auto" => GitHubApiPath.Auto,
            "org" => GitHubApiPath.Org,
            "repo" => GitHubApiPath.Repo,
            _ => throw new SourceConfigException($"{at}.path: '{gh.Path}' is not one of auto, org, repo (see docs/sources/github.md)"),
        };

        var maxWait = TimeSpan.FromSeconds(60);
        if (gh.MaxRateLimitWait is not null)
        {
            try
            {
                maxWait = Duration.Parse(gh.MaxRateLimitWait);
            }
            catch (FormatException ex)
            {
                throw new SourceConfigException($"{at}.maxRateLimitWait: " + ex.Message);
            }
        }

        return new GitHubSourceOptions
        {
            BaseUrl = baseUrl,
            Token = token ?? pool.FirstOrDefault(),
            PoolTokens = token is null ? [.. pool.Skip(1)] : pool,
            Path = path,
            App = app,
            Organizations = organizations,
            Include = gh.Include ?? [],
            Exclude = gh.Exclude ?? [],
            Topics = gh.Topics ?? [],
            IncludeArchived = gh.IncludeArchived ?? false,
            IncludeForks = gh.IncludeForks ?? false,
            Shard = settings.Shard,
            EtagCacheDirectory = gh.EtagCache is null ? null : settings.ResolvePath(gh.EtagCache),
            MaxRateLimitWait = maxWait,
            Concurrency = gh.Concurrency ?? 8,
            Transport = transport,
            Redactor = settings.Redactor,
            Sink = settings.Sink,
        };
    }

    private static string AppKey(SourceSettings settings, GitHubAppConfig app)
    {
        var at = settings.Path + ".app";
        string pem;
        if (app.PrivateKeyEnv is not null)
        {
            pem = settings.Environment(app.PrivateKeyEnv) ?? throw new SourceConfigException($"{at}.privateKeyEnv: the environment variable {app.PrivateKeyEnv} is not set");
        }
        else if (app.PrivateKeyFile is not null)
        {
            var path = settings.ResolvePath(app.PrivateKeyFile);
            if (!File.Exists(path))
                throw new SourceConfigException($"{at}.privateKeyFile: {path} does not exist; download the App's private key (PEM) from its settings page");
            pem = File.ReadAllText(path);
        }
        else
        {
            throw new SourceConfigException($"{at}: set privateKeyFile or privateKeyEnv (the App's private key, PEM)");
        }

        if (!pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            throw new SourceConfigException($"{at}.{(app.PrivateKeyEnv is not null ? "privateKeyEnv" : "privateKeyFile")}: not a PEM private key ('-----BEGIN RSA PRIVATE KEY-----' or '-----BEGIN PRIVATE KEY-----')");
        return pem;
    }

    /// <summary>One run's GitHub: a target per organisation, each with its <see cref="Rules.IGitHubSource"/>.</summary>
    private sealed class Session(GitHubSession github) : ISourceSession
    {
        public IReadOnlyList<string> Targets => github.Organizations;

        public IReadOnlyDictionary<Type, object> ServicesFor(string target) =>
            new Dictionary<Type, object> { [typeof(Rules.IGitHubSource)] = github.For(target) };

        public string? Summary() => github.Stats is { Asked: > 0 } gh
            ? $"GitHub: {gh.Asked} request(s) asked by rules, {gh.Fetched} distinct, {gh.Sent} sent, {gh.Revalidated} answered 304 from the ETag cache"
              + (github.Usage.GraphQLQueries > 0 ? $", {github.Usage.GraphQLQueries} GraphQL quer{(github.Usage.GraphQLQueries == 1 ? "y" : "ies")} costing {github.Usage.GraphQLPoints} rate-limit point(s)" : "")
              + (github.Usage.Path is { } p ? $"; path {p}" : "")
            : null;

        public SourceUsage? Usage() => github.RateLimits;

        // Each shard sees every organisation and its own part of their repositories (GitHubSource.Keep).
        public bool PartitionsWithinTargets => true;

        public void Dispose() => github.Dispose();
    }
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
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("tokens")] public List<GitHubPoolTokenConfig>? Tokens { get; init; }
}

/// <summary>One token of a token pool: the environment variable holding it.</summary>
internal sealed record GitHubPoolTokenConfig
{
    [JsonPropertyName("tokenEnv")] public string? TokenEnv { get; init; }
}

/// <summary>GitHub App authentication: the App's id, its private key file (or an environment variable holding the PEM), the installation.</summary>
internal sealed record GitHubAppConfig
{
    [JsonPropertyName("appId")] public long AppId { get; init; }
    [JsonPropertyName("privateKeyFile")] public string? PrivateKeyFile { get; init; }
    [JsonPropertyName("privateKeyEnv")] public string? PrivateKeyEnv { get; init; }
    [JsonPropertyName("installationId")] public long? InstallationId { get; init; }
}
