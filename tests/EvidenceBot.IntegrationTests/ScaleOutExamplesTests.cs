using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace EvidenceBot.IntegrationTests;

/// <summary>The scale-out examples parse as YAML, and each evidencebot command in them is one the CLI accepts.</summary>
public class ScaleOutExamplesTests
{
    public static TheoryData<string> Examples() =>
    [
        "examples/k8s-sharded/shards-job.yaml",
        "examples/k8s-sharded/merge-job.yaml",
        "examples/github-actions-matrix.yml",
    ];

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_ParsesAsYaml_AndItsEvidencebotCommandsParse(string relative)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, relative));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        var commands = text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("evidencebot ", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(yaml.Documents);
        Assert.NotEmpty(commands);
        using var cli = new CliRunner();
        foreach (var command in commands)
        {
            // Shell and workflow variables stand for a shard index or a folder; quotes only group.
            var concrete = Regex.Replace(command, @"\$\{\{ *matrix\.shard *\}\}|\$\{JOB_COMPLETION_INDEX\}", "0");
            concrete = concrete.Replace("\"$RUNNER_TEMP", "\"" + cli.Root, StringComparison.Ordinal).Replace("\"", "", StringComparison.Ordinal);
            var (_, _, err) = await cli.Run(concrete.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);
            Assert.DoesNotContain("for usage", err, StringComparison.Ordinal);
            Assert.DoesNotContain("Unrecognized", err, StringComparison.Ordinal);
        }
    }
}
