using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.IO;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service;

/// <summary>What the service remembers of one rule between runs and restarts.</summary>
internal sealed record RuleState
{
    /// <summary>The schedule slot the rule's last completed run stood for.</summary>
    [JsonPropertyName("lastSlot")] public DateTimeOffset LastSlot { get; init; }

    /// <summary>
    /// A slot whose run started and has not completed (it is running, or the process stopped or died during it).
    /// After a restart that slot is due again, once.
    /// </summary>
    [JsonPropertyName("pendingSlot")] public DateTimeOffset? PendingSlot { get; init; }

    /// <summary>The run that completed it.</summary>
    [JsonPropertyName("lastRunId")] public string? LastRunId { get; init; }

    /// <summary>Target → verdict of that run, to tell a regression (pass → fail) and a new error.</summary>
    [JsonPropertyName("verdicts")] public Dictionary<string, Verdict> Verdicts { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>
/// <c>schedule-state.json</c> in the output folder: per rule, the last slot that ran and its verdicts. Written
/// atomically (temp file and rename) after each bundle is committed. A process killed between the bundle and this
/// file is covered by <see cref="FromBundles"/>: the bundles themselves say which rules ran when.
/// </summary>
internal sealed class ScheduleState
{
    /// <summary>The file's name in the output folder.</summary>
    public const string FileName = "schedule-state.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly object _gate = new();
    private readonly string _path;
    private readonly Dictionary<string, RuleState> _rules;

    private ScheduleState(string path, Dictionary<string, RuleState> rules)
    {
        _path = path;
        _rules = rules;
    }

    /// <summary>The path of the state file.</summary>
    public string Path => _path;

    /// <summary>Reads the state in <paramref name="outDirectory"/>; an absent file is an empty state, an unreadable one an error naming it.</summary>
    public static ScheduleState Load(string outDirectory)
    {
        var path = System.IO.Path.Combine(outDirectory, FileName);
        if (!File.Exists(path))
            return new ScheduleState(path, new Dictionary<string, RuleState>(StringComparer.OrdinalIgnoreCase));
        try
        {
            var file = JsonSerializer.Deserialize<StateFile>(File.ReadAllBytes(path), Json);
            return new ScheduleState(path, new Dictionary<string, RuleState>(file?.Rules ?? [], StringComparer.OrdinalIgnoreCase));
        }
        catch (JsonException ex)
        {
            throw new ScheduleException($"{path}: not a schedule state file ({ex.Message}); move it away to start the schedule afresh (completed bundles still count as runs)");
        }
    }

    /// <summary>
    /// Per rule, the slot to schedule after: the last completed slot, or, when a later run started and never
    /// completed, just before that run's slot, so that it is due again.
    /// </summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LastSlots()
    {
        lock (_gate)
        {
            return _rules.ToDictionary(r => r.Key, r => r.Value.PendingSlot is { } pending && pending > r.Value.LastSlot ? pending.AddTicks(-1) : r.Value.LastSlot,
                StringComparer.OrdinalIgnoreCase);
        }
    }

    /// <summary>Records that runs of <paramref name="slots"/> (rule → slot) start now, and writes the file.</summary>
    public void MarkPending(IEnumerable<(string RuleId, DateTimeOffset Slot)> slots)
    {
        lock (_gate)
        {
            foreach (var (ruleId, slot) in slots)
            {
                // A rule never completed before keeps no last slot: MinValue, so only the pending one counts.
                _rules[ruleId] = _rules.TryGetValue(ruleId, out var known) ? known with { PendingSlot = slot } : new RuleState { LastSlot = DateTimeOffset.MinValue, PendingSlot = slot };
            }

            Save();
        }
    }

    /// <summary>The verdicts per target of the rule's last completed run; empty when it has none.</summary>
    public IReadOnlyDictionary<string, Verdict> LastVerdicts(string ruleId)
    {
        lock (_gate)
            return _rules.TryGetValue(ruleId, out var state) ? new Dictionary<string, Verdict>(state.Verdicts, StringComparer.Ordinal) : new Dictionary<string, Verdict>();
    }

    /// <summary>Records a completed run of <paramref name="ruleId"/> and writes the file atomically.</summary>
    public void Record(string ruleId, DateTimeOffset slot, string runId, IReadOnlyDictionary<string, Verdict> verdicts)
    {
        lock (_gate)
        {
            _rules[ruleId] = new RuleState { LastSlot = slot, LastRunId = runId, Verdicts = new Dictionary<string, Verdict>(verdicts, StringComparer.Ordinal) };
            Save();
        }
    }

    private void Save()
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new StateFile { Rules = new SortedDictionary<string, RuleState>(_rules, StringComparer.Ordinal) }, Json);
        FileBytes.WriteAtomically(_path, bytes);
    }

    /// <summary>
    /// When each rule last ran according to the committed bundles in <paramref name="outDirectory"/> (their
    /// <c>results.json</c> start time), looking only at bundles written since <paramref name="since"/> (all when null).
    /// <c>.partial-</c> folders never count: they are runs that did not finish.
    /// </summary>
    public static Dictionary<string, DateTimeOffset> FromBundles(string outDirectory, DateTimeOffset? since)
    {
        var last = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        if (!Directory.Exists(outDirectory))
            return last;
        foreach (var dir in new DirectoryInfo(outDirectory).EnumerateDirectories())
        {
            if (dir.Name.StartsWith('.') || (since is { } s && dir.LastWriteTimeUtc < s.UtcDateTime))
                continue;
            var results = System.IO.Path.Combine(dir.FullName, "results.json");
            if (!File.Exists(results) || !File.Exists(System.IO.Path.Combine(dir.FullName, "manifest.json")))
                continue;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(results));
                if (!doc.RootElement.TryGetProperty("startedAt", out var startedAt) || !doc.RootElement.TryGetProperty("rules", out var rules))
                    continue;
                var at = startedAt.GetDateTimeOffset();
                foreach (var rule in rules.EnumerateArray())
                {
                    if (rule.TryGetProperty("id", out var id) && id.GetString() is { } ruleId && (!last.TryGetValue(ruleId, out var known) || at > known))
                        last[ruleId] = at;
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException or FormatException or InvalidOperationException)
            {
                // A bundle whose summary cannot be read says nothing about when rules ran; verify reports it.
            }
        }

        return last;
    }

    private sealed class StateFile
    {
        [JsonPropertyName("version")] public int Version { get; init; } = 1;

        [JsonPropertyName("rules")] public SortedDictionary<string, RuleState>? Rules { get; init; }
    }
}
