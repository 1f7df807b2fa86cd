using System.Security.Cryptography;
using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Runs.Waivers;

/// <summary>A key whose signature on a waiver counts, and whose waivers it may sign.</summary>
/// <param name="Approver">The approver this key belongs to; it signs only waivers that name this approver.</param>
/// <param name="Key">The public key.</param>
/// <param name="Path">Where the key was read from, for messages.</param>
public sealed record TrustedWaiverKey(string Approver, EvidencePublicKey Key, string Path);

/// <summary>
/// The waivers of one <c>waivers.yaml</c>, every one verified: schema-valid, signed (DSSE envelope in
/// <c>waivers/&lt;id&gt;.dsse.json</c>), by a trusted key of the approver it names, over exactly the entry as it is now.
/// <see cref="Load"/> refuses the whole file on any problem. The <c>status</c> and <c>history</c> commands list what
/// expires soon with <see cref="Expiring"/>.
/// </summary>
public sealed class WaiverSet
{
    private WaiverSet(string file, IReadOnlyList<SignedWaiver> waivers)
    {
        File = file;
        All = waivers;
    }

    /// <summary>The waivers file.</summary>
    public string File { get; }

    /// <summary>Every waiver in the file, verified, in file order (expired ones included).</summary>
    public IReadOnlyList<SignedWaiver> All { get; }

    /// <summary>
    /// Reads <paramref name="waiversFile"/> and verifies each waiver's envelope against <paramref name="trustedKeys"/>.
    /// Throws <see cref="WaiverException"/> listing every problem (file and line, what to do).
    /// </summary>
    public static WaiverSet Load(string waiversFile, IReadOnlyList<TrustedWaiverKey> trustedKeys)
    {
        ArgumentNullException.ThrowIfNull(waiversFile);
        ArgumentNullException.ThrowIfNull(trustedKeys);
        var entries = WaiverFile.Read(waiversFile);
        var problems = new List<string>();
        var signed = new List<SignedWaiver>();
        foreach (var w in entries)
        {
            if (Verify(waiversFile, w, trustedKeys, out var why) is { } ok)
                signed.Add(ok);
            else
                problems.Add($"{w.Where}: waiver {w.Id}: {why}");
        }

        if (problems.Count > 0)
            throw new WaiverException(string.Join(Environment.NewLine, problems));
        return new WaiverSet(waiversFile, signed);
    }

    /// <summary>
    /// The envelopes and approvers' keys of the waivers <paramref name="result"/>'s findings cite, for its bundle: an
    /// auditor checks each waiver's signature there, offline, without the operator's repository.
    /// </summary>
    public IReadOnlyList<EvidenceBot.Evidence.Bundles.BundleWaiver> CitedBy(EvidenceBot.Core.Engine.RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var cited = result.Rules.SelectMany(r => r.Findings).Select(f => f.Waiver).OfType<WaiverReference>().Select(w => w.Digest).ToHashSet(StringComparer.Ordinal);
        return [.. All.Where(w => cited.Contains(w.Digest)).Select(w => new EvidenceBot.Evidence.Bundles.BundleWaiver(w.Waiver.Id, w.Envelope, w.KeyId, w.KeyPem))];
    }

    /// <summary>Waivers that apply on <paramref name="today"/> (UTC).</summary>
    public IReadOnlyList<SignedWaiver> Active(DateOnly today) => [.. All.Where(w => !w.Waiver.IsExpired(today))];

    /// <summary>Waivers whose last day is before <paramref name="today"/>: not applied, reported.</summary>
    public IReadOnlyList<SignedWaiver> Expired(DateOnly today) => [.. All.Where(w => w.Waiver.IsExpired(today))];

    /// <summary>
    /// Waivers still applying on <paramref name="today"/> whose last day is within <paramref name="within"/> of it
    /// (e.g. 30 days), soonest first.
    /// </summary>
    public IReadOnlyList<SignedWaiver> Expiring(DateOnly today, TimeSpan within)
    {
        var last = today.AddDays((int)Math.Floor(within.TotalDays));
        return [.. All.Where(w => !w.Waiver.IsExpired(today) && w.Waiver.Expires <= last).OrderBy(w => w.Waiver.Expires).ThenBy(w => w.Waiver.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Checks each waiver against the rules that were loaded: its rule must exist (when <paramref name="allRulesLoaded"/>)
    /// and its control must be one the rule maps to. Returns one line per problem (file and line).
    /// </summary>
    public IReadOnlyList<string> CheckAgainst(IEnumerable<RuleManifest> rules, bool allRulesLoaded)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var byId = rules.GroupBy(r => r.Id, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var w in All.Select(s => s.Waiver))
        {
            if (!byId.TryGetValue(w.RuleId, out var rule))
            {
                if (allRulesLoaded)
                    problems.Add($"{w.Where}: waiver {w.Id}: no rule has the id '{w.RuleId}'; 'evidencebot rules list' shows the ids");
                continue;
            }

            if (!rule.Controls.Any(c => string.Equals(c.Id, w.Control, StringComparison.Ordinal)))
                problems.Add($"{w.File}({w.ControlLine}): waiver {w.Id}: control '{w.Control}' is not one rule {rule.Id} maps to ({string.Join(", ", rule.Controls.Select(c => c.Id))}); a waiver accepts risk only for a control the rule evidences");
        }

        return problems;
    }

    /// <summary>Reads the trusted keys of a configuration: PEM files, each bound to an approver.</summary>
    internal static IReadOnlyList<TrustedWaiverKey> ReadKeys(IEnumerable<(string Approver, string Path)> keys)
    {
        var list = new List<TrustedWaiverKey>();
        foreach (var (approver, path) in keys)
        {
            if (!System.IO.File.Exists(path))
                throw new WaiverException($"{path}: trusted waiver key of '{approver}' not found (waivers.trustedKeys); give the approver's public-key.pem");
            try
            {
                list.Add(new TrustedWaiverKey(approver, EvidencePublicKey.FromPemFile(path), path));
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException or IOException)
            {
                throw new WaiverException($"{path}: trusted waiver key of '{approver}' cannot be used: {ex.Message}");
            }
        }

        return list;
    }

    private static SignedWaiver? Verify(string waiversFile, Waiver w, IReadOnlyList<TrustedWaiverKey> trusted, out string why)
    {
        var path = WaiverFile.EnvelopePath(waiversFile, w.Id);
        var sign = $"'evidencebot waivers sign --file {waiversFile} --id {w.Id} --key APPROVER-KEY.pem'";
        if (!System.IO.File.Exists(path))
        {
            why = $"not signed: {path} is missing; the approver signs it with {sign}";
            return null;
        }

        DsseEnvelope? envelope;
        byte[] payload;
        byte[] file;
        try
        {
            file = System.IO.File.ReadAllBytes(path);
            envelope = JsonSerializer.Deserialize<DsseEnvelope>(file);
            if (envelope is null || envelope.Payload is null || envelope.PayloadType is null || envelope.Signatures is null)
                throw new JsonException("payload, payloadType and signatures are required");
            payload = envelope.PayloadBytes();
        }
        catch (Exception ex) when (ex is JsonException or FormatException or IOException or UnauthorizedAccessException)
        {
            why = $"{path}: not a DSSE envelope ({ex.Message}); sign it again with {sign}";
            return null;
        }

        if (envelope.PayloadType != Waiver.PayloadType)
        {
            why = $"{path}: payloadType is '{envelope.PayloadType}', expected '{Waiver.PayloadType}'";
            return null;
        }

        if (!payload.AsSpan().SequenceEqual(w.Payload()))
        {
            why = $"the entry in {w.File} differs from what was signed in {path} (edited after signing); have the approver review and sign it again with {sign}";
            return null;
        }

        var pae = Dsse.Pae(envelope.PayloadType, payload);
        var reasons = new List<string>();
        foreach (var s in envelope.Signatures)
        {
            var keys = trusted.Where(k => string.Equals(k.Key.KeyId, s.KeyId, StringComparison.OrdinalIgnoreCase)).ToList();
            if (keys.Count == 0)
            {
                reasons.Add($"signed by key {s.KeyId}, which is not in waivers.trustedKeys");
                continue;
            }

            var mine = keys.FirstOrDefault(k => string.Equals(k.Approver, w.Approver, StringComparison.Ordinal));
            if (mine is null)
            {
                reasons.Add($"signed by the key of '{keys[0].Approver}' ({keys[0].Path}), but the approver is '{w.Approver}': only the approver's own key counts");
                continue;
            }

            byte[] sig;
            try
            {
                sig = Convert.FromBase64String(s.Sig ?? "");
            }
            catch (FormatException)
            {
                reasons.Add("the signature is not base64");
                continue;
            }

            if (mine.Key.Verify(pae, sig, out var problem))
            {
                why = "";
                return new SignedWaiver(w, Convert.ToHexStringLower(SHA256.HashData(payload)), mine.Key.KeyId) { Envelope = file, KeyPem = mine.Key.ToPem() };
            }

            reasons.Add($"bad signature by {mine.Path}: {problem}");
        }

        why = $"{path}: " + (reasons.Count == 0 ? "the envelope has no signature" : string.Join("; ", reasons)) + $"; the approver signs it with {sign}";
        return null;
    }
}
