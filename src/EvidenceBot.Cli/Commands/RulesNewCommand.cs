using System.CommandLine;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Engine;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// <c>evidencebot rules new ID --source github|azure|models|none</c>: a rule with a valid header and a sample that works
/// against its source, and a test case beside it. Never overwrites: an existing file is the author's work.
/// </summary>
internal static partial class RulesNewCommand
{
    public static Command Build(CliContext cli)
    {
        var id = new Argument<string>("id") { Description = "The new rule's id, e.g. GH-REPO-DESCRIPTION (letters, digits, '.', '_', '-')." };
        var source = new Option<string>("--source", "-s") { Description = "The source the rule reads: github, azure, models or none.", Required = true };
        source.AcceptOnlyFromAmong(RuleTemplates.Sources);
        var rulesDir = CommonOptions.Rules();
        var config = CommonOptions.Config();
        var command = new Command("new", "Write a new rule with a working sample for its source, and a test case (<rule>.tests/pass/) that it passes.")
        {
            id, source, rulesDir, config,
        };
        command.SetAction(parse => RulesCommands.Guard(cli, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            return Write(cli, parse.GetValue(id)!, parse.GetValue(source)!, CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg));
        }));
        return command;
    }

    /// <summary>Writes the rule and its test case; returns the exit code.</summary>
    internal static int Write(CliContext cli, string id, string source, string rulesDirectory)
    {
        if (!IdPattern().IsMatch(id))
        {
            cli.Error($"'{id}' is not a rule id: start with a letter, then 1 to 80 letters, digits, '.', '_' or '-' (e.g. GH-REPO-DESCRIPTION)");
            return ExitCodes.UsageOrConfig;
        }

        // Rule ids are unique across the folder (EB0012): a second rule with this id would not load.
        if (Directory.Exists(rulesDirectory)
            && RuleSetLoader.Load(new RuleLoadOptions { RulesDirectory = rulesDirectory, Compile = false }).Rules
                .FirstOrDefault(r => string.Equals(r.Manifest.Id, id, StringComparison.OrdinalIgnoreCase)) is { } taken)
        {
            cli.Error($"rule id '{id}' is already used by {taken.Manifest.SourcePath}: nothing was written; pick another id");
            return ExitCodes.UsageOrConfig;
        }

        var folder = source == "none" ? rulesDirectory : Path.Combine(rulesDirectory, source);
        var name = id.ToLowerInvariant();
        var rulePath = Path.Combine(folder, name + ".csx");
        var casePath = Path.Combine(folder, name + ".tests", "pass");
        foreach (var existing in new[] { rulePath, Path.Combine(folder, name + ".tests") })
        {
            if (File.Exists(existing) || Directory.Exists(existing))
            {
                cli.Error($"{existing} already exists: nothing was written; pick another id or move the existing rule away");
                return ExitCodes.UsageOrConfig;
            }
        }

        var template = RuleTemplates.For(id, source);
        Directory.CreateDirectory(Path.Combine(casePath, "exchanges"));
        File.WriteAllText(rulePath, template.Rule);
        File.WriteAllText(Path.Combine(casePath, "case.json"), template.Case);
        File.WriteAllText(Path.Combine(casePath, "expect.json"), template.Expect);
        foreach (var (file, text) in template.Exchanges)
            File.WriteAllText(Path.Combine(casePath, "exchanges", file), text);

        cli.Out.WriteLine($"wrote {rulePath}");
        cli.Out.WriteLine($"wrote {casePath}{Path.DirectorySeparatorChar} (case.json, expect.json, {template.Exchanges.Count} recorded exchange(s))");
        cli.Out.WriteLine("next: edit the rule, then 'evidencebot rules check' and 'evidencebot rules test'");
        return ExitCodes.Ok;
    }

    // The header schema's id pattern (schemas/rule-header.schema.json).
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9._-]{1,80}$")]
    private static partial Regex IdPattern();
}
