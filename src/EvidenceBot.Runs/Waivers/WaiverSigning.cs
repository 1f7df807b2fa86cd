using System.Text.Json;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Runs.Waivers;

/// <summary>What signing wrote for one waiver.</summary>
/// <param name="Id">The waiver id.</param>
/// <param name="EnvelopePath">The DSSE envelope file.</param>
/// <param name="Digest">Hex SHA-256 of the signed payload.</param>
internal sealed record SignedWaiverFile(string Id, string EnvelopePath, string Digest);

/// <summary><c>evidencebot waivers sign</c>: the approver's key signs entries of waivers.yaml into DSSE envelopes.</summary>
internal static class WaiverSigning
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Signs the waivers <paramref name="ids"/> name (all when empty) and writes <c>waivers/&lt;id&gt;.dsse.json</c>
    /// beside the file, replacing an older envelope. The file is schema-checked first; an unknown id is an error.
    /// </summary>
    public static async Task<IReadOnlyList<SignedWaiverFile>> SignAsync(string waiversFile, IReadOnlyCollection<string> ids, IEvidenceSigner signer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var entries = WaiverFile.Read(waiversFile);
        var unknown = ids.Where(id => !entries.Any(w => string.Equals(w.Id, id, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
            throw new WaiverException($"{waiversFile}: no waiver with id {string.Join(", ", unknown)} (ids in the file: {string.Join(", ", entries.Select(w => w.Id))})");
        var chosen = ids.Count == 0 ? entries : [.. entries.Where(w => ids.Contains(w.Id, StringComparer.OrdinalIgnoreCase))];
        Directory.CreateDirectory(WaiverFile.EnvelopeFolder(waiversFile));
        var written = new List<SignedWaiverFile>();
        foreach (var w in chosen)
        {
            var payload = w.Payload();
            var bundle = await DsseSigning.SignAsync(signer, Waiver.PayloadType, payload, ct).ConfigureAwait(false);
            var path = WaiverFile.EnvelopePath(waiversFile, w.Id);
            // Written aside and moved: a half-written envelope must never sit where a run reads it.
            var temp = path + ".tmp";
            await File.WriteAllBytesAsync(temp, JsonSerializer.SerializeToUtf8Bytes(bundle.DsseEnvelope, Indented), ct).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
            written.Add(new SignedWaiverFile(w.Id, path, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload))));
        }

        return written;
    }
}
