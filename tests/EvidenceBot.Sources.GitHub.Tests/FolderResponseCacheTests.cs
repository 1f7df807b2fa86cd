using System.Text.Json.Nodes;
using EvidenceBot.Sources.GitHub.Tests.Fake;

namespace EvidenceBot.Sources.GitHub.Tests;

/// <summary>The ETag cache answers a 304 only with an entry written for that URL, holding a body; anything else is a miss.</summary>
public sealed class FolderResponseCacheTests
{
    [Theory]
    [InlineData("another url")]
    [InlineData("no body")]
    [InlineData("no content type")]
    public async Task EtagCache_EntryNotUsableForThisUrl_IsAMissAndTheFullAnswerIsFetched(string damage)
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        using var cache = new TempDir();
        await TestSupport.FillEtagCacheAsync(fake, cache.Path);

        // The repositories entry keeps its ETag (so GitHub still answers 304) but its content is no longer that URL's answer.
        var files = Directory.GetFiles(cache.Path, "*.json").ToDictionary(f => f, f => JsonNode.Parse(File.ReadAllText(f))!.AsObject());
        var (reposFile, repos) = files.Single(f => f.Value["url"]!.GetValue<string>().Contains("/orgs/acme/repos", StringComparison.Ordinal));
        var org = files.Single(f => f.Value["url"]!.GetValue<string>().EndsWith("/orgs/acme", StringComparison.Ordinal)).Value;
        switch (damage)
        {
            case "another url":
                repos["url"] = org["url"]!.GetValue<string>();
                repos["body"] = org["body"]!.GetValue<string>();
                break;
            case "no body":
                repos["body"] = "";
                break;
            default:
                repos.Remove("contentType");
                break;
        }

        File.WriteAllText(reposFile, repos.ToJsonString());
        fake.ResetLog();

        using var run2 = new GitHubSession(TestSupport.Options(fake, b => b.EtagCacheDirectory = cache.Path), TimeProvider.System);
        var context = TestSupport.EnterContext();
        var result = await run2.Acme().RepositoriesAsync();

        Assert.Equal(3, result.Count);
        // Only the organisation object (read to check the repository count) is revalidated; the damaged entry is a miss.
        Assert.Equal(1, fake.NotModified);
        Assert.Empty(context.Faults);
        Assert.False(Assert.Single(context.Evidence, e => e.Url.Contains("/repos", StringComparison.Ordinal)).RequestHeaders.ContainsKey("If-None-Match"));
    }

    [Fact]
    public async Task EtagCache_NonJsonAnswer_IsNeverStored()
    {
        using var fake = FakeGitHub.Start();
        TestSupport.SimpleOrg(fake);
        fake.Always("/orgs/acme/actions", new FakeAnswer(200, "<html>sign in</html>", ContentType: "text/html"));
        using var cache = new TempDir();
        using var run = new GitHubSession(TestSupport.Options(fake, b => b.EtagCacheDirectory = cache.Path), TimeProvider.System);
        TestSupport.EnterContext();

        await Assert.ThrowsAsync<EvidenceBot.Core.Rules.SourceFaultException>(() => run.Acme().WorkflowPermissionsAsync());

        Assert.Empty(Directory.GetFiles(cache.Path, "*.json"));
    }
}
