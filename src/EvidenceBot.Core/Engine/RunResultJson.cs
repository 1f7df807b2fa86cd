using System.Text.Json;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Engine;

/// <summary>
/// The one way a <see cref="RunResult"/> becomes <c>results.json</c>, in the output folder and in the evidence bundle:
/// camelCase, indented, nulls left out. Written over <see cref="Utf8JsonWriter"/> by hand: even generated serializer
/// code cost a warm run ~20 ms of start-up, more than everything else the file takes. A test holds these bytes equal
/// to what <see cref="JsonSerializer"/> writes with the web defaults.
/// </summary>
public static class RunResultJson
{
    /// <summary>Serializes a run to the bytes of <c>results.json</c>.</summary>
    public static byte[] Serialize(RunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return JsonBytes.Write(
            w =>
            {
                w.WriteStartObject();
                w.WriteString("runId", run.RunId);
                w.WriteString("startedAt", run.StartedAt);
                w.WriteString("endedAt", run.EndedAt);
                w.WriteString("engineVersion", run.EngineVersion);
                w.WriteStartArray("rules");
                foreach (var rule in run.Rules)
                    WriteRule(w, rule);
                w.WriteEndArray();
                if (run.Skipped is { Count: > 0 })
                {
                    // Only when there are any: a run that skipped nothing writes what it always wrote.
                    w.WriteStartArray("skipped");
                    foreach (var s in run.Skipped)
                    {
                        w.WriteStartObject();
                        w.WriteString("id", s.RuleId);
                        w.WriteString("sourcePath", s.SourcePath);
                        w.WriteString("reason", s.Reason);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }

                if (run.Shard is { } shard)
                {
                    w.WriteStartObject("shard");
                    w.WriteNumber("index", shard.Index);
                    w.WriteNumber("count", shard.Count);
                    w.WriteString("rulesSha256", shard.RulesSha256);
                    w.WriteEndObject();
                }

                if (run.Shards is { } shards)
                    MergedShard.WriteArray(w, shards);

                if (run.ExpiredWaivers is { Count: > 0 })
                {
                    w.WriteStartArray("expiredWaivers");
                    foreach (var e in run.ExpiredWaivers)
                    {
                        w.WriteStartObject();
                        w.WriteString("id", e.Id);
                        w.WriteString("rule", e.RuleId);
                        w.WriteString("digest", e.Digest);
                        w.WriteString("expires", e.Expires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            },
            indented: true,
            capacity: 4096 + 2048 * run.Rules.Count);
    }

    /// <summary>Reads a <c>results.json</c> back; the message names <paramref name="where"/> and what is wrong.</summary>
    public static RunResult Deserialize(ReadOnlySpan<byte> bytes, string where)
    {
        try
        {
            var run = JsonSerializer.Deserialize<RunResult>(bytes, ReadOptions) ?? throw new InvalidDataException($"{where}: empty run summary");
            if (run.Rules is null || run.Rules.Any(r => r is null || r.Findings is null || r.Faults is null || r.Log is null))
                throw new InvalidDataException($"{where}: 'rules' (and each execution's findings, faults, log) must be arrays");
            return run;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{where}: not a run summary this tool wrote ({ex.Message})", ex);
        }
    }

    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web);

    private static void WriteRule(Utf8JsonWriter w, RuleExecutionResult r)
    {
        w.WriteStartObject();
        w.WriteString("id", r.RuleId);
        w.WriteString("title", r.Title);
        w.WriteString("severity", WireNames.Of(r.Severity));
        w.WriteString("target", r.Target);
        w.WriteString("verdict", WireNames.Of(r.Verdict));
        if (r.Error is not null)
            w.WriteString("error", r.Error);
        w.WriteString("startedAt", r.StartedAt);
        w.WriteString("endedAt", r.EndedAt);
        w.WriteNumber("durationMs", r.DurationMs);
        w.WriteElements("parameters", r.Parameters);
        w.WriteControlMappings("controls", r.Controls);
        w.WriteStartArray("findings");
        foreach (var f in r.Findings)
            WriteFinding(w, f);
        w.WriteEndArray();
        w.WriteStrings("faults", r.Faults);
        w.WriteStrings("log", r.Log);
        w.WriteString("sourcePath", r.SourcePath);
        w.WriteString("sourceSha256", r.SourceSha256);
        w.WriteStrings("loadedSources", r.LoadedSources);
        w.WriteEndObject();
    }

    private static void WriteFinding(Utf8JsonWriter w, Finding f)
    {
        w.WriteStartObject();
        w.WriteString("resource", f.Resource);
        w.WriteString("status", WireNames.Of(f.Status));
        w.WriteString("message", f.Message);
        if (f.Observed is { } observed)
        {
            w.WritePropertyName("observed");
            observed.WriteTo(w);
        }

        if (f.Waiver is { } waiver)
            WriteWaiver(w, waiver);
        w.WriteEndObject();
    }

    /// <summary>A waived finding's <c>waiver</c> object, the same in results.json and in statements.</summary>
    public static void WriteWaiver(Utf8JsonWriter w, WaiverReference waiver)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(waiver);
        w.WriteStartObject("waiver");
        w.WriteString("id", waiver.Id);
        w.WriteString("digest", waiver.Digest);
        w.WriteString("approver", waiver.Approver);
        w.WriteString("expires", waiver.Expires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }
}
