namespace EvidenceBot.Sources.GitHub;

/// <summary>How the GitHub source reads per-repository data (configuration <c>github.path</c>).</summary>
public enum GitHubApiPath
{
    /// <summary>
    /// The organisation path on GitHub.com, GitHub Enterprise Cloud and GitHub Enterprise Server from
    /// <see cref="GitHubServerVersion.OrgPathMinimum"/>; the repository path on older servers.
    /// </summary>
    Auto,

    /// <summary>
    /// Organisation-wide alert lists and GraphQL (50 repositories per query), sliced per repository; a repository the
    /// organisation-wide answers do not cover is still read per repository.
    /// </summary>
    Org,

    /// <summary>One REST call per repository and question, as every GitHub Enterprise Server version supports.</summary>
    Repo,
}
