using System.Text.Json;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>The <c>github</c> section's request-budget settings: <c>path</c> and the token pool.</summary>
public sealed class GitHubConfigTests
{
    private static SourceSettings Settings(string json, Dictionary<string, string>? environment = null) => new()
    {
        Section = JsonDocument.Parse(json).RootElement.Clone(),
        Path = "$.github",
        ResolvePath = p => p,
        Environment = name => environment is not null && environment.TryGetValue(name, out var v) ? v : null,
        Time = TimeProvider.System,
        Redactor = new Redactor(),
    };

    [Fact]
    public void Options_UnknownPath_NamesTheFieldAndTheChoices()
    {
        var ex = Assert.Throws<SourceConfigException>(() => GitHubSourceModule.Options(Settings(
            """{"tokenEnv":"T","organizations":["acme"],"path":"graphql"}""", new() { ["T"] = "ghp_x" })));

        Assert.StartsWith("$.github.path: 'graphql' is not one of auto, org, repo", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto", GitHubApiPath.Auto)]
    [InlineData("org", GitHubApiPath.Org)]
    [InlineData("repo", GitHubApiPath.Repo)]
    public void Options_Path_IsRead(string written, GitHubApiPath expected)
    {
        var options = GitHubSourceModule.Options(Settings($$"""{"tokenEnv":"T","organizations":["acme"],"path":"{{written}}"}""", new() { ["T"] = "ghp_x" }));

        Assert.Equal(expected, options.Path);
    }

    [Fact]
    public void Options_PoolTokenNotSet_NamesItsIndexAndVariable()
    {
        var ex = Assert.Throws<SourceConfigException>(() => GitHubSourceModule.Options(Settings(
            """{"tokenEnv":"T","tokens":[{"tokenEnv":"T2"},{"tokenEnv":"T3"}],"organizations":["acme"]}""", new() { ["T"] = "ghp_a", ["T2"] = "ghp_b" })));

        Assert.StartsWith("$.github.tokens[1].tokenEnv: the environment variable T3 is not set", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_TokensWithoutTokenEnv_FirstIsTheTokenTheRestThePool()
    {
        var options = GitHubSourceModule.Options(Settings(
            """{"tokens":[{"tokenEnv":"T1"},{"tokenEnv":"T2"}],"organizations":["acme"]}""", new() { ["T1"] = "ghp_a", ["T2"] = "ghp_b" }));

        Assert.Equal("ghp_a", options.Token);
        Assert.Equal(["ghp_b"], options.PoolTokens);
    }

    [Fact]
    public void Options_TokensAndApp_IsRefused()
    {
        var ex = Assert.Throws<SourceConfigException>(() => GitHubSourceModule.Options(Settings(
            """{"app":{"appId":1,"privateKeyEnv":"K"},"tokens":[{"tokenEnv":"T1"}],"organizations":["acme"]}""",
            new() { ["T1"] = "ghp_a", ["K"] = "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----" })));

        Assert.StartsWith("$.github.tokens: a token pool and app cannot be combined", ex.Message, StringComparison.Ordinal);
    }
}
