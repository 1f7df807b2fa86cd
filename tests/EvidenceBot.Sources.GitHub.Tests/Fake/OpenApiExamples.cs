using System.Text.Json.Nodes;

namespace EvidenceBot.Sources.GitHub.Tests.Fake;

/// <summary>
/// Response examples from GitHub's official OpenAPI description (npm <c>@octokit/openapi</c>, installed in
/// tests/openapi by ./test.sh). The fake GitHub starts every answer from one of these, so its shapes are GitHub's own.
/// </summary>
public static class OpenApiExamples
{
    private static readonly Lazy<JsonObject> DotCom = new(() => Load("api.github.com.json"));
    private static readonly Lazy<JsonObject> Ghec = new(() => Load("ghec.json"));

    /// <summary>A fresh copy of <c>components.examples[name].value</c> from the api.github.com description.</summary>
    public static JsonNode Example(string name) => Find(DotCom.Value, name);

    /// <summary>The same from the GitHub Enterprise Cloud description (audit log, audit-log streams).</summary>
    public static JsonNode EnterpriseExample(string name) => Find(Ghec.Value, name);

    /// <summary>The first item of an array example, as an object.</summary>
    public static JsonObject FirstItem(string name) => (JsonObject)((JsonArray)Example(name))[0]!.DeepClone();

    private static JsonNode Find(JsonObject doc, string name)
    {
        var value = doc["components"]?["examples"]?[name]?["value"]
            ?? throw new InvalidOperationException($"GitHub's OpenAPI description has no example '{name}'");
        return value.DeepClone();
    }

    /// <summary>The folder of the generated descriptions; a clear error when ./test.sh has not installed them.</summary>
    public static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "openapi", "node_modules", "@octokit", "openapi", "generated");
            if (Directory.Exists(candidate))
                return candidate;
            if (File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                break;
        }

        throw new InvalidOperationException(
            "GitHub's OpenAPI description (@octokit/openapi) is not installed: run ./test.sh, or 'npm ci --prefix tests/openapi', from the repository root");
    }

    private static JsonObject Load(string file) =>
        (JsonObject)JsonNode.Parse(File.ReadAllBytes(Path.Combine(Folder(), file)))!;
}
