using System.Text.Json;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>Reading one GraphQL page: failures are faults, never an empty organisation; partial answers go to REST.</summary>
public sealed class GitHubGraphQLTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static string Page(string repository, bool hasNextPage = false, string? cursor = "Y3Vyc29yOjE=") =>
        "{\"data\":{\"rateLimit\":{\"cost\":2,\"remaining\":4998,\"resetAt\":\"2026-03-02T13:00:00Z\"},\"organization\":{\"repositories\":{\"pageInfo\":{\"hasNextPage\":"
        + (hasNextPage ? "true" : "false") + ",\"endCursor\":" + (cursor is null ? "null" : "\"" + cursor + "\"") + "},\"nodes\":[" + repository + "]}}}}";

    [Fact]
    public void Read_ErrorsBesideData_IsFaultNamingThem()
    {
        var ex = Assert.Throws<UnusableAnswerException>(() => GitHubGraphQL.Read(
            Json("""{"data":{"organization":null},"errors":[{"type":"FORBIDDEN","message":"Resource not accessible by integration"}]}"""), "acme", "POST /graphql"));

        Assert.Contains("FORBIDDEN: Resource not accessible by integration", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.Transient);
    }

    [Fact]
    public void Read_RateLimitedError_IsTransient() =>
        Assert.True(Assert.Throws<UnusableAnswerException>(() => GitHubGraphQL.Read(
            Json("""{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"""), "acme", "POST /graphql")).Transient);

    [Fact]
    public void Read_NoRepositories_IsFaultNotEmptyOrganisation() =>
        Assert.Throws<UnusableAnswerException>(() => GitHubGraphQL.Read(Json("""{"data":{"organization":{}}}"""), "acme", "POST /graphql"));

    [Fact]
    public void Read_NextPageWithoutCursor_IsFault() =>
        Assert.Throws<UnusableAnswerException>(() => GitHubGraphQL.Read(Json(Page("""{"name":"api"}""", hasNextPage: true, cursor: null)), "acme", "POST /graphql"));

    [Fact]
    public void Read_RuleWhoseRulesetIsNotShown_LeavesRulesToRest()
    {
        var page = GitHubGraphQL.Read(Json(Page("""
            {"name":"api","defaultBranchRef":{"name":"main","branchProtectionRule":null,
             "rules":{"pageInfo":{"hasNextPage":false},"nodes":[{"type":"DELETION","parameters":null,"repositoryRuleset":null}]}}}
            """)), "acme", "POST /graphql");

        Assert.Null(Assert.Single(page.Repositories).Rules);
        Assert.Equal(2, page.Cost);
    }

    [Fact]
    public void Read_PullRequestRule_InRestShapeWithSnakeCaseParameters()
    {
        var page = GitHubGraphQL.Read(Json(Page("""
            {"name":"api","defaultBranchRef":{"name":"main","branchProtectionRule":null,
             "rules":{"pageInfo":{"hasNextPage":false},"nodes":[{"type":"PULL_REQUEST","parameters":{"requiredApprovingReviewCount":2,"requireCodeOwnerReview":true},
               "repositoryRuleset":{"databaseId":42,"source":{"__typename":"Organization"}}}]}},
             "deployKeys":{"pageInfo":{"hasNextPage":true},"nodes":[]}}
            """)), "acme", "POST /graphql");

        var repo = Assert.Single(page.Repositories);
        var rule = Assert.Single(repo.Rules!);
        Assert.Equal("pull_request", rule.GetProperty("type").GetString());
        Assert.Equal(42, rule.GetProperty("ruleset_id").GetInt64());
        Assert.Equal("Organization", rule.GetProperty("ruleset_source_type").GetString());
        Assert.Equal(2, rule.GetProperty("parameters").GetProperty("required_approving_review_count").GetInt32());
        Assert.True(rule.GetProperty("parameters").GetProperty("require_code_owner_review").GetBoolean());
        // More deploy keys than one page: REST reads them, not a partial list.
        Assert.Null(repo.DeployKeys);
        Assert.Null(repo.Protection);
    }
}
