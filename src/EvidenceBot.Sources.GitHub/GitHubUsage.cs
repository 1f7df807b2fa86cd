namespace EvidenceBot.Sources.GitHub;

/// <summary>What one run spent of GitHub's budgets beyond REST requests: GraphQL queries and their rate-limit points, and which path ran.</summary>
public sealed class GitHubUsage
{
    private int _queries;
    private int _points;

    /// <summary>GraphQL queries answered.</summary>
    public int GraphQLQueries => _queries;

    /// <summary>GraphQL rate-limit points those queries cost, as GitHub reported them (<c>rateLimit.cost</c>).</summary>
    public int GraphQLPoints => _points;

    /// <summary>The per-repository path the run took and why (e.g. <c>org (api.github.com)</c>), once decided.</summary>
    public string? Path { get; internal set; }

    internal void AddGraphQL(int cost)
    {
        Interlocked.Increment(ref _queries);
        Interlocked.Add(ref _points, cost);
    }
}
