using EvidenceBot.Core.Evidence;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.GitHub;

/// <summary>How to reach GitHub and which repositories rules see.</summary>
public sealed class GitHubSourceOptions
{
    /// <summary>The REST API base: <c>https://api.github.com/</c>, <c>https://HOST/api/v3/</c> for GitHub Enterprise Server, or a loopback fake.</summary>
    public Uri BaseUrl { get; init; } = new("https://api.github.com/");

    /// <summary>A personal access token or other bearer token. Ignored when <see cref="App"/> is set.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Further tokens besides <see cref="Token"/>: with two or more, every request goes out with the token that has the most
    /// rate limit left, and a token that reaches its limit rests until its reset while the others carry on.
    /// </summary>
    public IReadOnlyList<string> PoolTokens { get; init; } = [];

    /// <summary>
    /// Which request path reads per-repository data: organisation-wide endpoints and GraphQL (<see cref="GitHubApiPath.Org"/>),
    /// one REST call per repository (<see cref="GitHubApiPath.Repo"/>), or decided from the server's version (<see cref="GitHubApiPath.Auto"/>).
    /// </summary>
    public GitHubApiPath Path { get; init; } = GitHubApiPath.Auto;

    /// <summary>Repositories per GraphQL query on the organisation path (GitHub allows at most 100). Default 50.</summary>
    public int GraphQLPageSize { get; init; } = 50;

    /// <summary>GitHub App credentials: installation tokens are minted and refreshed from these.</summary>
    public GitHubAppCredentials? App { get; init; }

    /// <summary>The organisations rules run against, one execution per organisation.</summary>
    public IReadOnlyList<string> Organizations { get; init; } = [];

    /// <summary>Repository globs to keep (<c>*</c>, <c>?</c>); matched against the name, or the full name when the glob has a '/'. All when empty.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Repository globs to drop, applied after <see cref="Include"/>.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>When not empty, only repositories with at least one of these topics.</summary>
    public IReadOnlyList<string> Topics { get; init; } = [];

    /// <summary>Keep archived repositories (skipped by default: nobody can change them).</summary>
    public bool IncludeArchived { get; init; }

    /// <summary>Keep forks (skipped by default).</summary>
    public bool IncludeForks { get; init; }

    /// <summary>When set (<c>run --shard I/N</c>), only the repositories this shard owns by a stable hash of <c>org/name</c>.</summary>
    public EvidenceBot.Core.Sources.ShardFilter? Shard { get; init; }

    /// <summary>Folder of the persisted ETag cache; no cache when null.</summary>
    public string? EtagCacheDirectory { get; init; }

    /// <summary>The longest a request waits for a rate limit to reset before it gives up as an error. Default 60 s.</summary>
    public TimeSpan MaxRateLimitWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many requests may be in flight at once. Default 8.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Retries after the first attempt for 5xx, timeouts, connection failures and rate limits. Default 4.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay for 5xx and timeouts; doubled each retry, with jitter. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest one attempt may take (wall-clock). Default 30 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The transport under the source's own handlers: null for the network; a <c>ReplayHandler</c> to answer
    /// from recorded exchanges. Not disposed by the session.
    /// </summary>
    public HttpMessageHandler? Transport { get; init; }

    /// <summary>Receives every exchange that answered a rule (e.g. to record a demo estate).</summary>
    public IExchangeSink? Sink { get; init; }

    /// <summary>Masks secrets in evidence; every token the session uses is added to it.</summary>
    public Redactor Redactor { get; init; } = new();

    /// <summary>
    /// When false, every request goes to the network even if another rule made it already: only for measuring
    /// what coalescing saves.
    /// </summary>
    public bool CoalesceRequests { get; init; } = true;
}

/// <summary>A GitHub App's identity: app id and private key, optionally the installation to use.</summary>
/// <param name="AppId">The App's numeric id.</param>
/// <param name="PrivateKeyPem">The App's private key, PEM (PKCS#1 or PKCS#8).</param>
/// <param name="InstallationId">The installation; when null it is looked up per organisation (<c>GET /orgs/{org}/installation</c>).</param>
public sealed record GitHubAppCredentials(long AppId, string PrivateKeyPem, long? InstallationId = null)
{
    /// <inheritdoc />
    public override string ToString() => $"GitHubAppCredentials {{ AppId = {AppId}, InstallationId = {InstallationId}, PrivateKeyPem = {Redactor.Mask} }}";
}
