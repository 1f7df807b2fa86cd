using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs.Replay;

/// <summary>
/// Runs one rule against one target offline: each source the rule lists is opened from its configuration section with
/// <c>replay</c> pointing at a folder of recorded exchanges, on a fixed clock. Rule tests and <c>verify --replay</c> share
/// it, so a case and a bundle statement are re-run the same way a demo run is.
/// </summary>
internal static class ReplayedExecution
{
    /// <summary>The time bound of a replayed rule: nothing waits on a network, so a slow rule is a stuck one.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs the request's rule against its target. Every setup problem (a section missing, a target no source gives, a
    /// parameter the rule does not declare) is a <see cref="ConfigException"/> prefixed with the request's
    /// <see cref="ReplayRequest.Where"/> and naming the field.
    /// </summary>
    public static async Task<RuleExecutionResult> RunAsync(ReplayRequest request, IReadOnlyList<ISourceModule> modules, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rule = request.Rule;
        var sections = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var source in rule.Manifest.Sources.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!request.Sections.TryGetValue(source, out var section) || section.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException($"{request.Where}: {request.SectionPath}.{source} is missing: rule {rule.Manifest.Id} lists the source '{source}'; " +
                    "give its configuration section as in the configuration file (without credentials)");
            }

            sections[source] = WithReplay(section, request.ExchangesFolder);
        }

        var cfg = new EvidenceBotConfig
        {
            Sections = sections,
            Parameters = new Dictionary<string, Dictionary<string, JsonElement>>(StringComparer.Ordinal)
            {
                [rule.Manifest.Id] = new(request.Parameters, StringComparer.Ordinal),
            },
            BaseDirectory = request.BaseDirectory,
        };
        var time = new FixedTimeProvider(request.Now);
        var set = new RuleSet([rule], [], new RuleLoadStats(0, 0, 0));
        OpenSources sources;
        RunPlan plan;
        try
        {
            sources = OpenSources.Open(cfg, modules, RunPlanner.SourcesUsed(set), time, _ => null);
        }
        catch (ConfigException ex)
        {
            throw new ConfigException($"{request.Where}: {Relocate(ex.Message, request.SectionPath)}");
        }

        using (sources)
        {
            try
            {
                plan = RunPlanner.Plan(set, cfg, sources);
            }
            catch (ConfigException ex)
            {
                throw new ConfigException($"{request.Where}: {ex.Message.Replace($"$.parameters.{rule.Manifest.Id}", request.ParametersPath, StringComparison.Ordinal)}");
            }

            if (plan.Skipped.Count > 0)
                throw new ConfigException($"{request.Where}: {plan.Skipped[0].Reason}");
            var execution = plan.Executions.FirstOrDefault(e => string.Equals(e.Target, request.Target, StringComparison.Ordinal))
                ?? throw new ConfigException($"{request.Where}: {request.TargetPath} '{request.Target}' is not a target of the configured source(s); they give: " +
                    string.Join(", ", plan.Executions.Select(e => "'" + e.Target + "'").DefaultIfEmpty("(none)")));
            var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = Timeout, MaxParallelism = 1 }, time);
            return await engine.ExecuteAsync(execution, ct).ConfigureAwait(false);
        }
    }

    /// <summary>True when an execution's error is a request no recorded exchange answers; <paramref name="asked"/> is that request.</summary>
    public static bool IsReplayMiss(RuleExecutionResult result, out string asked)
    {
        ArgumentNullException.ThrowIfNull(result);
        const string marker = "no recorded exchange for ";
        foreach (var text in result.Faults.Append(result.Error ?? ""))
        {
            var i = text.IndexOf(marker, StringComparison.Ordinal);
            if (i >= 0)
            {
                asked = text[(i + marker.Length)..].Split(';')[0].Trim();
                return true;
            }
        }

        asked = "";
        return false;
    }

    private static JsonElement WithReplay(JsonElement section, string folder)
    {
        var node = JsonNode.Parse(section.GetRawText())!.AsObject();
        node["replay"] = folder;
        return JsonSerializer.SerializeToElement(node);
    }

    // The modules name their section "$.<source>"; in a case file it sits under "$.sources.<source>".
    private static string Relocate(string message, string sectionPath) =>
        message.StartsWith("$.", StringComparison.Ordinal) ? sectionPath + message[1..] : message;
}

/// <summary>One rule to replay: the rule, where it runs, with what, when, and against which recorded exchanges.</summary>
internal sealed record ReplayRequest
{
    public required LoadedRule Rule { get; init; }
    public required string Target { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Parameters { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Sections { get; init; }
    public required string ExchangesFolder { get; init; }
    public required DateTimeOffset Now { get; init; }

    /// <summary>Relative paths in the sections resolve against this folder.</summary>
    public required string BaseDirectory { get; init; }

    /// <summary>Names the input in setup errors, e.g. the case file.</summary>
    public required string Where { get; init; }

    public string SectionPath { get; init; } = "$.sources";
    public string ParametersPath { get; init; } = "$.parameters";
    public string TargetPath { get; init; } = "$.target";
}
