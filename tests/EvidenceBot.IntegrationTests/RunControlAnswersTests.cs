using System.Text.Json;
using EvidenceBot.Core.Controls;

namespace EvidenceBot.IntegrationTests;

public class RunControlAnswersTests
{
    private const string Monitoring = "controls:\n  - { id: \"ISO27001:2022/A.8.16\", relation: supports }\n";

    [Fact]
    public async Task Run_RemembersTheCatalogsAnswers_AndLaterRunsWriteTheSameControls()
    {
        using var cli = new CliRunner();
        cli.Rule("mon.csx", "MON-1", "Pass(\"siem\", \"alerts on\");", Monitoring);
        var answers = Path.Combine(cli.Cache, ControlAnswers.FileName);

        Assert.Equal(0, (await cli.RunRules()).Exit); // cold: asks the catalogs, keeps the answers
        Assert.True(File.Exists(answers));
        Assert.Equal(0, (await cli.RunRules()).Exit); // warm: answered from the file
        File.WriteAllText(answers, "{ damaged");
        Assert.Equal(0, (await cli.RunRules()).Exit); // a damaged file: asks the catalogs again

        var runs = Directory.GetDirectories(cli.Out).Order(StringComparer.Ordinal).Select(StatementControls).ToList();
        Assert.Equal(3, runs.Count);
        Assert.Contains("ISO27001:2022/A.8.16 supports direct", runs[0]);
        Assert.Contains("related: ISO42001:2023/A.6.2.6 supports derived via ISO27001:2022/A.8.16", runs[0]);
        Assert.Equal(runs[0], runs[1]);
        Assert.Equal(runs[0], runs[2]);
        Assert.False(ControlAnswers.Open(cli.Cache).IsEmpty); // the damaged file was replaced
    }

    [Fact]
    public async Task Run_UnknownControlId_IsAnErrorEveryRun()
    {
        using var cli = new CliRunner();
        cli.Rule("bad.csx", "BAD-1", "Pass(\"x\", \"y\");", "controls:\n  - { id: \"ISO27001:2022/A.8.99\", relation: supports }\n");

        var first = await cli.RunRules();
        var second = await cli.RunRules();

        Assert.Equal(3, first.Exit);
        Assert.Equal(3, second.Exit);
        Assert.Contains("EB0300", second.Err + second.Out);
        Assert.False(File.Exists(Path.Combine(cli.Cache, ControlAnswers.FileName)));
    }

    private static List<string> StatementControls(string bundle)
    {
        // Unsigned runs (as here) write the in-toto statement itself; signed ones wrap it in a Sigstore bundle.
        var file = Assert.Single(Directory.GetFiles(Path.Combine(bundle, "statements")));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        var statement = doc.RootElement.TryGetProperty("dsseEnvelope", out var envelope)
            ? JsonDocument.Parse(Convert.FromBase64String(envelope.GetProperty("payload").GetString()!)).RootElement
            : doc.RootElement;
        var predicate = statement.GetProperty("predicate");
        return [.. predicate.GetProperty("controls").EnumerateArray().Select(Describe),
            .. predicate.GetProperty("relatedControls").EnumerateArray().Select(c => "related: " + Describe(c))];

        static string Describe(JsonElement c) =>
            $"{c.GetProperty("id").GetString()} {c.GetProperty("relation").GetString()} " +
            (c.GetProperty("derived").GetBoolean() ? $"derived via {c.GetProperty("via").GetString()}" : "direct");
    }
}
