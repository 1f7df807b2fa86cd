using System.Text.Json;
using EvidenceBot.Cli.Configuration;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Scripting;
using EvidenceBot.Sources.GitHub;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Cli.Commands;

/// <summary>Turns a rule set and a configuration into (rule × target) executions with effective parameters.</summary>
internal static class RunPlanner
{
    public const string DefaultTarget = "default";

    public const string GitHubSource = "github";

    /// <summary>
    /// One execution per rule; a rule whose header lists <c>github</c> runs once per configured organisation
    /// (target = the organisation login), with that organisation's <see cref="IGitHubSource"/> among its services.
    /// Without a <c>github</c> section such a rule still runs once, and its first GitHub call is a clear error.
    /// </summary>
    public static List<RuleExecution> Plan(RuleSet set, EvidenceBotConfig cfg, RunSources? sources = null)
    {
        var executions = new List<RuleExecution>();
        foreach (var rule in set.Rules)
        {
            var parameters = EffectiveParameters(rule.Manifest, cfg);
            if (rule.Manifest.Sources.Contains(GitHubSource, StringComparer.OrdinalIgnoreCase) && sources is { HasGitHub: true })
                executions.AddRange(PerOrganization(rule, parameters, sources));
            else
                executions.Add(new RuleExecution(rule, DefaultTarget, parameters));
        }

        return executions;
    }

    // Apart, so that runs without GitHub never load the GitHub source and Octokit.
    private static IEnumerable<RuleExecution> PerOrganization(LoadedRule rule, Dictionary<string, JsonElement> parameters, RunSources sources)
    {
        var github = sources.GitHub!;
        return github.Organizations.Select(org =>
            new RuleExecution(rule, org, parameters, new Dictionary<Type, object> { [typeof(IGitHubSource)] = github.For(org) }));
    }

    public static Dictionary<string, JsonElement> EffectiveParameters(RuleManifest manifest, EvidenceBotConfig cfg)
    {
        var result = new Dictionary<string, JsonElement>(manifest.Parameters, StringComparer.Ordinal);
        if (cfg.Parameters is null || !cfg.Parameters.TryGetValue(manifest.Id, out var overrides))
            return result;
        foreach (var (name, value) in overrides)
        {
            if (!manifest.Parameters.TryGetValue(name, out var declared))
                throw new ConfigException($"$.parameters.{manifest.Id}.{name}: rule {manifest.Id} declares no parameter '{name}'; it declares: {string.Join(", ", manifest.Parameters.Keys.DefaultIfEmpty("(none)"))}");
            if (declared.ValueKind != value.ValueKind && !(IsBool(declared) && IsBool(value)))
                throw new ConfigException($"$.parameters.{manifest.Id}.{name}: expected a {Kind(declared)} like the header default {declared.GetRawText()}, found {value.GetRawText()}");
            result[name] = value;
        }

        return result;
    }

    private static bool IsBool(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False;

    private static string Kind(JsonElement e) => IsBool(e) ? "boolean" : e.ValueKind.ToString().ToLowerInvariant();

    public static IEnumerable<RuleExecution> Unreadable(RuleSet set)
    {
        var readable = set.Rules.Select(r => r.Manifest.SourcePath).ToHashSet(StringComparer.Ordinal);
        foreach (var group in set.Diagnostics.Where(d => d.RuleId is null || !set.Rules.Any(r => r.Manifest.Id == d.RuleId))
                     .GroupBy(d => d.Location.File)
                     .Where(g => !readable.Contains(g.Key) && g.Key.EndsWith(".csx", StringComparison.OrdinalIgnoreCase)))
        {
            var manifest = new RuleManifest
            {
                Id = "file:" + group.Key,
                Title = "(rule header could not be read)",
                SourcePath = group.Key,
                SourceSha256 = "",
            };
            yield return new RuleExecution(new LoadedRule(manifest, null, [.. group]), DefaultTarget, new Dictionary<string, JsonElement>());
        }
    }
}

/// <summary>The sources one run opens from its configuration; disposed when the run ends.</summary>
internal sealed class RunSources : IDisposable
{
    // Typed object: a run without GitHub must not load the GitHub source (and Octokit) just to hold a null.
    private readonly IDisposable? _github;

    private RunSources(IDisposable? github, Redactor redactor)
    {
        _github = github;
        Redactor = redactor;
    }

    /// <summary>The GitHub session, when the configuration has a <c>github</c> section.</summary>
    public GitHubSession? GitHub => (GitHubSession?)_github;

    /// <summary>Masks every configured secret and every token the sources use.</summary>
    public Redactor Redactor { get; }

    /// <summary>
    /// Opens what the configuration asks for. Every problem is a <see cref="ConfigException"/> naming the JSON path
    /// and what to do. <paramref name="environment"/> reads environment variables (injectable for tests).
    /// </summary>
    public static RunSources Open(EvidenceBotConfig cfg, TimeProvider time, Func<string, string?>? environment = null, IExchangeSink? sink = null)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var env = environment ?? Environment.GetEnvironmentVariable;
        var redactor = new Redactor((cfg.Secrets ?? []).Select(name => env(name)).OfType<string>());
        return cfg.GitHub is null ? new RunSources(null, redactor) : WithGitHub(cfg, cfg.GitHub, time, env, redactor, sink);
    }

    /// <summary>True when the configuration has a <c>github</c> section.</summary>
    public bool HasGitHub => _github is not null;

    /// <summary>The GitHub line of the run summary, when rules asked GitHub anything.</summary>
    public string? GitHubSummary() => _github is null ? null : GitHubSummary(_github);

    private static string? GitHubSummary(IDisposable session) => ((GitHubSession)session).Stats is { Asked: > 0 } gh
        ? $"GitHub: {gh.Asked} request(s) asked by rules, {gh.Fetched} distinct, {gh.Sent} sent, {gh.Revalidated} answered 304 from the ETag cache"
        : null;

    private static RunSources WithGitHub(EvidenceBotConfig cfg, GitHubConfig gh, TimeProvider time, Func<string, string?> env, Redactor redactor, IExchangeSink? sink)
    {
        var options = GitHubOptions(cfg, gh, env, redactor, sink);
        return new RunSources(new GitHubSession(options, time), redactor);
    }

    private static GitHubSourceOptions GitHubOptions(EvidenceBotConfig cfg, GitHubConfig gh, Func<string, string?> env, Redactor redactor, IExchangeSink? sink)
    {
        var baseUrl = new Uri("https://api.github.com/");
        if (gh.BaseUrl is not null && (!Uri.TryCreate(gh.BaseUrl, UriKind.Absolute, out baseUrl!) || baseUrl.Scheme is not ("http" or "https")))
            throw new ConfigException($"$.github.baseUrl: '{gh.BaseUrl}' is not an absolute http(s) URL; e.g. https://api.github.com/ or https://HOST/api/v3/ for GitHub Enterprise Server");

        var organizations = gh.Organizations ?? [];
        if (organizations.Count == 0)
            throw new ConfigException("$.github.organizations: list at least one organisation login");

        HttpMessageHandler? transport = null;
        string? token = null;
        GitHubAppCredentials? app = null;
        if (gh.Replay is not null)
        {
            var folder = cfg.Resolve(gh.Replay)!;
            try
            {
                transport = ReplayHandler.FromDirectory(folder);
            }
            catch (Exception ex) when (ex is DirectoryNotFoundException or InvalidDataException or IOException)
            {
                throw new ConfigException($"$.github.replay: {ex.Message}");
            }
        }
        else if (gh.TokenEnv is not null && gh.App is not null)
        {
            throw new ConfigException("$.github: set either tokenEnv or app, not both");
        }
        else if (gh.TokenEnv is not null)
        {
            token = env(gh.TokenEnv);
            if (string.IsNullOrWhiteSpace(token))
                throw new ConfigException($"$.github.tokenEnv: the environment variable {gh.TokenEnv} is not set; export a token that can read the organisations' settings (see docs/github.md)");
        }
        else if (gh.App is { } a)
        {
            app = new GitHubAppCredentials(a.AppId, AppKey(cfg, a, env), a.InstallationId);
        }
        else
        {
            throw new ConfigException("$.github: set tokenEnv (a token in an environment variable), app (a GitHub App) or replay (a folder of recorded exchanges)");
        }

        var maxWait = TimeSpan.FromSeconds(60);
        if (gh.MaxRateLimitWait is not null)
        {
            try
            {
                maxWait = RuleHeaderParser.ParseDuration(gh.MaxRateLimitWait);
            }
            catch (FormatException ex)
            {
                throw new ConfigException("$.github.maxRateLimitWait: " + ex.Message);
            }
        }

        return new GitHubSourceOptions
        {
            BaseUrl = baseUrl,
            Token = token,
            App = app,
            Organizations = organizations,
            Include = gh.Include ?? [],
            Exclude = gh.Exclude ?? [],
            Topics = gh.Topics ?? [],
            IncludeArchived = gh.IncludeArchived ?? false,
            IncludeForks = gh.IncludeForks ?? false,
            EtagCacheDirectory = cfg.Resolve(gh.EtagCache),
            MaxRateLimitWait = maxWait,
            Concurrency = gh.Concurrency ?? 8,
            Transport = transport,
            Redactor = redactor,
            Sink = sink,
        };
    }

    private static string AppKey(EvidenceBotConfig cfg, GitHubAppConfig app, Func<string, string?> env)
    {
        string pem;
        if (app.PrivateKeyEnv is not null)
        {
            pem = env(app.PrivateKeyEnv) ?? throw new ConfigException($"$.github.app.privateKeyEnv: the environment variable {app.PrivateKeyEnv} is not set");
        }
        else if (app.PrivateKeyFile is not null)
        {
            var path = cfg.Resolve(app.PrivateKeyFile)!;
            if (!File.Exists(path))
                throw new ConfigException($"$.github.app.privateKeyFile: {path} does not exist; download the App's private key (PEM) from its settings page");
            pem = File.ReadAllText(path);
        }
        else
        {
            throw new ConfigException("$.github.app: set privateKeyFile or privateKeyEnv (the App's private key, PEM)");
        }

        if (!pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            throw new ConfigException($"$.github.app.{(app.PrivateKeyEnv is not null ? "privateKeyEnv" : "privateKeyFile")}: not a PEM private key ('-----BEGIN RSA PRIVATE KEY-----' or '-----BEGIN PRIVATE KEY-----')");
        return pem;
    }

    public void Dispose() => _github?.Dispose();
}
