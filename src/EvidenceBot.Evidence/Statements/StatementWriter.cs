using System.Text.Json;
using EvidenceBot.Core.Json;
using EvidenceBot.Evidence.Bundles;

namespace EvidenceBot.Evidence.Statements;

/// <summary>
/// Writes our two statement types, their Sigstore bundles and the chain head over <see cref="Utf8JsonWriter"/> by hand: a warm run writes a
/// hundred statements, and even generated serializer code spent more on its start-up than on writing them. Tests hold
/// these bytes equal to what <see cref="JsonSerializer"/> writes with <see cref="InTotoStatement.JsonOptions"/>, which
/// stays the definition of the format (and reads it back).
/// </summary>
internal static class StatementWriter
{
    public static byte[] Write(InTotoStatement<RuleExecutionPredicate> statement) =>
        Statement(statement.Type, statement.Subject, statement.PredicateType, statement.Predicate, RuleExecution);

    public static byte[] Write(InTotoStatement<ManifestPredicate> statement) =>
        Statement(statement.Type, statement.Subject, statement.PredicateType, statement.Predicate, Manifest);

    public static byte[] Write(ChainHead head)
    {
        return JsonBytes.Write(
            w =>
            {
                w.WriteStartObject();
                w.WriteString("manifestSha256", head.ManifestSha256);
                w.WriteString("bundle", head.Bundle);
                w.WriteString("runId", head.RunId);
                w.WriteString("previousManifestSha256", head.PreviousManifestSha256);
                w.WriteEndObject();
            },
            indented: true, capacity: 512);
    }

    public static byte[] Write(SigstoreBundle bundle)
    {
        return JsonBytes.Write(
            w =>
            {
                w.WriteStartObject();
                w.WriteString("mediaType", bundle.MediaType);
                w.WriteStartObject("verificationMaterial");
                w.WriteStartObject("publicKey");
                w.WriteString("hint", bundle.VerificationMaterial.PublicKey.Hint);
                w.WriteEndObject();
                w.WriteStartArray("tlogEntries");
                foreach (var entry in bundle.VerificationMaterial.TlogEntries)
                    entry.WriteTo(w);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject("dsseEnvelope");
                w.WriteString("payload", bundle.DsseEnvelope.Payload);
                w.WriteString("payloadType", bundle.DsseEnvelope.PayloadType);
                w.WriteStartArray("signatures");
                foreach (var signature in bundle.DsseEnvelope.Signatures)
                {
                    w.WriteStartObject();
                    w.WriteString("sig", signature.Sig);
                    if (signature.KeyId is not null)
                        w.WriteString("keyid", signature.KeyId);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            },
            capacity: 4096);
    }

    /// <summary>Reads a chain head; a missing or mistyped field is an <see cref="InvalidDataException"/> naming it.</summary>
    public static ChainHead ReadChainHead(byte[] bytes)
    {
        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("the chain head is not a JSON object");
        return new ChainHead(String(root, "manifestSha256") ?? "", String(root, "bundle") ?? "", String(root, "runId") ?? "", String(root, "previousManifestSha256"));

        static string? String(JsonElement root, string name) => root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => throw new InvalidDataException($"{name} is a {v.ValueKind.ToString().ToLowerInvariant()}, not a string"),
        } : null;
    }

    private static byte[] Statement<TPredicate>(string type, IReadOnlyList<InTotoSubject> subjects, string predicateType, TPredicate predicate, Action<Utf8JsonWriter, TPredicate> writePredicate)
    {
        return JsonBytes.Write(
            w =>
            {
                w.WriteStartObject();
                w.WriteString("_type", type);
                w.WriteStartArray("subject");
                foreach (var s in subjects)
                {
                    w.WriteStartObject();
                    w.WriteString("name", s.Name);
                    w.WriteStartObject("digest");
                    foreach (var (algorithm, hex) in s.Digest)
                        w.WriteString(algorithm, hex);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteString("predicateType", predicateType);
                w.WritePropertyName("predicate");
                writePredicate(w, predicate);
                w.WriteEndObject();
            },
            capacity: 2048);
    }

    private static void RuleExecution(Utf8JsonWriter w, RuleExecutionPredicate p)
    {
        w.WriteStartObject();
        w.WriteString("ruleId", p.RuleId);
        w.WriteString("title", p.Title);
        w.WriteString("severity", WireNames.Of(p.Severity));
        w.WriteStartObject("ruleSource");
        w.WriteString("path", p.RuleSource.Path);
        w.WriteString("sha256", p.RuleSource.Sha256);
        w.WriteEndObject();
        w.WriteString("engineVersion", p.EngineVersion);
        w.WriteString("runId", p.RunId);
        w.WriteString("startedAt", p.StartedAt);
        w.WriteString("endedAt", p.EndedAt);
        w.WriteString("target", p.Target);
        w.WriteElements("parameters", p.Parameters);
        w.WriteString("verdict", WireNames.Of(p.Verdict));
        w.WriteString("error", p.Error);
        w.WriteStartArray("findings");
        foreach (var f in p.Findings)
        {
            w.WriteStartObject();
            w.WriteString("resource", f.Resource);
            w.WriteString("status", WireNames.Of(f.Status));
            w.WriteString("message", f.Message);
            w.WritePropertyName("observed");
            if (f.Observed is { } observed)
                observed.WriteTo(w);
            else
                w.WriteNullValue();
            if (f.Waiver is { } waiver)
                Core.Engine.RunResultJson.WriteWaiver(w, waiver);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStrings("faults", p.Faults);
        // What the verdict is evidence for, and apart from it what it is only related to.
        WriteControls(w, "controls", p.Controls);
        WriteControls(w, "relatedControls", p.RelatedControls);
        w.WriteStartArray("evidence");
        foreach (var e in p.Evidence)
        {
            w.WriteStartObject();
            w.WriteString("path", e.Path);
            w.WriteString("source", e.Source);
            w.WriteString("method", e.Method);
            w.WriteString("url", e.Url);
            w.WriteNumber("status", e.Status);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (p.Sources is not null)
            w.WriteElements("sources", p.Sources);
        w.WriteEndObject();
    }

    private static void Manifest(Utf8JsonWriter w, ManifestPredicate p)
    {
        w.WriteStartObject();
        w.WriteString("runId", p.RunId);
        w.WriteString("engineVersion", p.EngineVersion);
        w.WriteString("createdAt", p.CreatedAt);
        w.WriteBoolean("signed", p.Signed);
        w.WriteString("keyId", p.KeyId);
        w.WriteString("previousManifestSha256", p.PreviousManifestSha256);
        w.WriteStartArray("files");
        foreach (var f in p.Files)
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteString("sha256", f.Sha256);
            w.WriteNumber("size", f.Size);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (p.Shards is { } shards)
            Core.Engine.MergedShard.WriteArray(w, shards);

        w.WriteEndObject();
    }

    private static void WriteControls(Utf8JsonWriter w, string name, IEnumerable<PredicateControl> controls)
    {
        w.WriteStartArray(name);
        foreach (var c in controls)
        {
            w.WriteStartObject();
            w.WriteString("id", c.Id);
            w.WriteString("relation", c.Relation);
            w.WriteBoolean("derived", c.Derived);
            w.WriteString("via", c.Via);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
