using System.Text.Json;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub;

/// <summary>
/// Octokit's serializer for its own models; raw calls ask for <see cref="JsonElement"/>, which the source parses
/// itself from the response text (so nothing is parsed twice and a malformed body is reported with its URL).
/// </summary>
internal sealed class SourceJsonSerializer : IJsonSerializer
{
    private readonly SimpleJsonSerializer _octokit = new();

    public string Serialize(object item) => _octokit.Serialize(item);

    public T Deserialize<T>(string json) => typeof(T) == typeof(JsonElement) ? default! : _octokit.Deserialize<T>(json);
}
