using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Sources;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs.RuleTests;

/// <summary>What <c>record</c> wrote.</summary>
/// <param name="Folder">The new case folder.</param>
/// <param name="Result">The outcome recorded as expected.</param>
/// <param name="Exchanges">How many exchanges were written.</param>
internal sealed record RecordedCase(string Folder, RuleExecutionResult Result, int Exchanges);

/// <summary>
/// <c>evidencebot record</c>: runs one rule against one target of a configuration, as a run would (live, or from the
/// configuration's own replay folders), and writes what it saw and concluded as a new test case beside the rule: the
/// exchanges (redacted where they were captured), <c>case.json</c> and <c>expect.json</c>. The author reviews it: the
/// expectation is the rule's current outcome, not a judgement that it is right.
/// </summary>
internal sealed class CaseRecorder(IReadOnlyList<ISourceModule> modules, TimeProvider time)
{
    private static readonly JsonSerializerOptions FileJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async Task<RecordedCase> RecordAsync(EvidenceBotConfig cfg, string rulesDirectory, string cacheDirectory, string ruleId, string caseName, string? target, bool force, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (caseName.Length == 0 || caseName.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) >= 0 || caseName is "." or "..")
            throw new ConfigException($"--case '{caseName}': not usable as a folder name; use letters, digits and dashes, e.g. fails-unprotected-branch");
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of(modules),
            RulesDirectory = rulesDirectory,
            CacheDirectory = cacheDirectory,
            Only = [ruleId],
        });
        var rule = set.Rules.FirstOrDefault(r => string.Equals(r.Manifest.Id, ruleId, StringComparison.OrdinalIgnoreCase))
            ?? throw new ConfigException($"--rule {ruleId}: no rule with this id in {rulesDirectory}; 'evidencebot rules list' shows the ids");
        if (rule.Program is null)
            throw new ConfigException(string.Join(Environment.NewLine, rule.LoadErrors.Select(d => d.ToString()).Prepend($"rule {rule.Manifest.Id} cannot be compiled; fix it first:")));

        var folder = Path.Combine(RuleTestCase.FolderOf(rule.Manifest.SourcePath), caseName);
        if (Directory.Exists(folder) && !force)
            throw new ConfigException($"{folder}: the case already exists; pass --force to record it again, or choose another --case");

        using var sources = OpenSources.Open(cfg, modules, RunPlanner.SourcesUsed(set), time);
        var plan = RunPlanner.Plan(set, cfg, sources);
        if (plan.Skipped.Count > 0)
            throw new ConfigException($"rule {rule.Manifest.Id}: {plan.Skipped[0].Reason}");
        var targets = plan.Executions.Select(e => e.Target).ToList();
        RuleExecution execution;
        if (target is null)
        {
            if (targets.Count != 1)
                throw new ConfigException($"--target: rule {rule.Manifest.Id} runs against {targets.Count} targets in this configuration; choose one: {string.Join(", ", targets)}");
            execution = plan.Executions[0];
        }
        else
        {
            execution = plan.Executions.FirstOrDefault(e => string.Equals(e.Target, target, StringComparison.Ordinal))
                ?? throw new ConfigException($"--target {target}: not a target of rule {rule.Manifest.Id} in this configuration; its targets: {string.Join(", ", targets)}");
        }

        var engine = new RuleEngine(new EngineOptions { MaxParallelism = 1 }, time);
        var raw = await engine.ExecuteAsync(execution, ct).ConfigureAwait(false);
        // What the rule wrote itself may quote a configured secret, like a run's results (exchanges are masked at capture).
        var result = RunResultRedaction.Apply(new RunResult { RunId = "record", EngineVersion = EngineInfo.Version, Rules = [raw] }, sources.Redactor).Rules[0];

        var staging = folder + ".partial";
        if (Directory.Exists(staging))
            Directory.Delete(staging, recursive: true);
        var exchanges = Path.Combine(staging, RuleTestCase.ExchangesFolder);
        Directory.CreateDirectory(exchanges);
        var written = 0;
        foreach (var e in result.Evidence.DistinctBy(e => e.Digest()).OrderBy(e => e.Url, StringComparer.Ordinal))
        {
            await File.WriteAllBytesAsync(Path.Combine(exchanges, FileName(e)), e.ToFileBytes(), ct).ConfigureAwait(false);
            written++;
        }

        // Git keeps no empty folder, and a case without its exchanges/ folder is refused: a rule that asked nothing still has one.
        if (written == 0)
            await File.WriteAllTextAsync(Path.Combine(exchanges, ".gitkeep"), "", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(staging, RuleTestCase.CaseFile), CaseJson(cfg, rule.Manifest.Sources, result, sources.Redactor), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(staging, RuleTestCase.ExpectFile), ExpectJson(result), ct).ConfigureAwait(false);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        Directory.Move(staging, folder);
        return new RecordedCase(folder, result, written);
    }

    /// <summary>A readable file name: method, the URL's path, and a short digest that keeps two answers to one path apart.</summary>
    internal static string FileName(Core.Evidence.HttpExchange e)
    {
        var uri = new Uri(e.Url);
        var sb = new StringBuilder(e.Method.ToLowerInvariant()).Append('_');
        foreach (var c in uri.AbsolutePath.Trim('/'))
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        var slug = sb.Length > 80 ? sb.ToString(0, 80) : sb.ToString();
        return $"{slug}-{e.Digest()[..10]}.json";
    }

    private static string CaseJson(EvidenceBotConfig cfg, IEnumerable<string> ruleSources, RuleExecutionResult result, Core.Evidence.Redactor redactor)
    {
        var sections = JsonSerializer.SerializeToNode(Replay.ReplaySettings.Sections(cfg, ruleSources, redactor));

        var root = new JsonObject
        {
            ["$schema"] = "https://evidencebot.dev/schemas/rule-test/case/v1",
            ["target"] = result.Target,
            ["parameters"] = JsonSerializer.SerializeToNode(result.Parameters),
            ["now"] = result.StartedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["sources"] = sections,
        };
        return root.ToJsonString(FileJson) + "\n";
    }

    private static string ExpectJson(RuleExecutionResult result)
    {
        var findings = new JsonObject();
        foreach (var group in result.Findings.GroupBy(f => f.Resource, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // One resource with findings of different statuses cannot be one entry; the worst is kept and the check shows the rest.
            findings[group.Key] = WireNames.Of(group.Select(f => f.Status).OrderByDescending(Rank).First());
        }

        var root = new JsonObject
        {
            ["$schema"] = "https://evidencebot.dev/schemas/rule-test/expect/v1",
            ["verdict"] = WireNames.Of(result.Verdict),
        };
        if (result.Error is not null)
            root["error"] = System.Text.RegularExpressions.Regex.Escape(result.Error).Replace("\\ ", " ", StringComparison.Ordinal);
        root["findings"] = findings;
        return root.ToJsonString(FileJson) + "\n";
    }

    private static int Rank(Core.Rules.Verdict v) => v switch
    {
        Core.Rules.Verdict.Error => 3,
        Core.Rules.Verdict.Fail => 2,
        Core.Rules.Verdict.Pass => 1,
        _ => 0,
    };
}
