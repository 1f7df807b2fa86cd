using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;
using EvidenceBot.Sources.GitHub.Tests.Fake;
using EvidenceBot.Sources.Http;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>Helpers shared by the source and rule tests.</summary>
internal static class TestSupport
{
    public const string Token = "ghp_testTokenValue0123456789abcdefABCDEF";

    /// <summary>The fake's "now" and the tests' clock agree on this instant.</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    public static GitHubSourceOptions Options(FakeGitHub fake, Action<OptionsBuilder>? tweak = null)
    {
        var b = new OptionsBuilder { BaseUrl = fake.BaseUrl };
        tweak?.Invoke(b);
        return new GitHubSourceOptions
        {
            BaseUrl = b.BaseUrl,
            Token = b.Token,
            App = b.App,
            Organizations = b.Organizations ?? [.. fake.Orgs.Select(o => o.Login)],
            Include = b.Include,
            Exclude = b.Exclude,
            Topics = b.Topics,
            IncludeArchived = b.IncludeArchived,
            IncludeForks = b.IncludeForks,
            EtagCacheDirectory = b.EtagCacheDirectory,
            MaxRateLimitWait = b.MaxRateLimitWait,
            MaxRetries = b.MaxRetries,
            RetryBaseDelay = b.RetryBaseDelay,
            AttemptTimeout = b.AttemptTimeout,
            Concurrency = b.Concurrency,
            Sink = b.Sink,
            Redactor = b.Redactor,
            Transport = b.Transport,
            Path = b.Path,
            PoolTokens = b.PoolTokens,
            GraphQLPageSize = b.GraphQLPageSize,
        };
    }

    /// <summary>A context like the engine's, made current on this flow, so the source attaches evidence and faults to it.</summary>
    public static RuleContext EnterContext(string target = "acme", TimeProvider? time = null)
    {
        var manifest = new RuleManifest { Id = "TEST", Title = "test", SourcePath = "test.csx", SourceSha256 = "" };
        var context = new RuleContext(manifest, target, new Dictionary<string, System.Text.Json.JsonElement>(), time ?? TimeProvider.System, CancellationToken.None);
        context.Enter();
        return context;
    }

    /// <summary>A first run that reads the organisation and its repositories with an ETag cache in <paramref name="cacheDirectory"/>.</summary>
    public static async Task FillEtagCacheAsync(FakeGitHub fake, string cacheDirectory)
    {
        using var run = new GitHubSession(Options(fake, b => b.EtagCacheDirectory = cacheDirectory), TimeProvider.System);
        EnterContext();
        await run.Acme().OrganizationAsync();
        await run.Acme().RepositoriesAsync();
    }

    /// <summary>Runs <paramref name="work"/> while moving a fake clock forward, so waits on it pass without sleeping.</summary>
    public static async Task<T> WhileClockRuns<T>(FakeTimeProvider clock, Func<Task<T>> work, TimeSpan? step = null)
    {
        var task = Task.Run(work);
        while (!task.IsCompleted)
        {
            clock.Advance(step ?? TimeSpan.FromSeconds(1));
            await Task.WhenAny(task, Task.Delay(5));
        }

        return await task;
    }

    public static FakeOrg SimpleOrg(FakeGitHub fake, string login = "acme", int repos = 3)
    {
        var org = fake.AddOrg(login);
        org.Members.Add(new FakeUser("alice", Admin: true));
        org.Members.Add(new FakeUser("bob"));
        for (var i = 0; i < repos; i++)
            org.Repos.Add(new FakeRepo { Name = $"repo-{i:D3}", Protection = new FakeProtection() });
        return org;
    }

    public sealed class OptionsBuilder
    {
        public Uri BaseUrl { get; set; } = new("http://127.0.0.1/");
        public string? Token { get; set; } = TestSupport.Token;
        public GitHubAppCredentials? App { get; set; }
        public IReadOnlyList<string>? Organizations { get; set; }
        public IReadOnlyList<string> Include { get; set; } = [];
        public IReadOnlyList<string> Exclude { get; set; } = [];
        public IReadOnlyList<string> Topics { get; set; } = [];
        public bool IncludeArchived { get; set; }
        public bool IncludeForks { get; set; }
        public string? EtagCacheDirectory { get; set; }
        public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromSeconds(60);
        public int MaxRetries { get; set; } = 3;
        public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(10);
        public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
        public int Concurrency { get; set; } = 4;
        public IExchangeSink? Sink { get; set; }
        public Redactor Redactor { get; set; } = new();
        public HttpMessageHandler? Transport { get; set; }

        /// <summary>The per-repository path unless a test asks for another: most tests script faults on per-repository endpoints.</summary>
        public GitHubApiPath Path { get; set; } = GitHubApiPath.Repo;

        public IReadOnlyList<string> PoolTokens { get; set; } = [];

        public int GraphQLPageSize { get; set; } = 50;
    }
}

/// <summary>Collects exchanges, e.g. to check nothing secret was captured.</summary>
internal sealed class ListSink : IExchangeSink
{
    private readonly List<HttpExchange> _items = [];

    public IReadOnlyList<HttpExchange> Items
    {
        get
        {
            lock (_items)
                return [.. _items];
        }
    }

    public void Add(HttpExchange exchange)
    {
        lock (_items)
            _items.Add(exchange);
    }
}

/// <summary>A temporary folder removed at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "eb-gh-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class SourceExtensions
{
    public static IGitHubSource Acme(this GitHubSession session) => session.For("acme");
}
