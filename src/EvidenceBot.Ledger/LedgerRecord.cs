using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EvidenceBot.Ledger;

/// <summary>
/// Everything the ledger holds about one run, all of it read from the run's bundle: the run, each rule execution's
/// verdict and findings, and each control's status. <see cref="CanonicalText"/> is the one text form used for the row
/// hash chain, for checking a row against its bundle, and for comparing a rebuilt ledger with the original.
/// </summary>
internal sealed record LedgerRun
{
    public required string RunId { get; init; }
    public required string Bundle { get; init; }
    public required string StartedAt { get; init; }
    public required string EndedAt { get; init; }
    public required string CreatedAt { get; init; }
    public required string EngineVersion { get; init; }
    public bool Signed { get; init; }
    public string? KeyId { get; init; }
    public required string ManifestSha256 { get; init; }
    public string? PreviousSha256 { get; init; }
    public IReadOnlyList<LedgerExecution> Executions { get; init; } = [];
    public IReadOnlyList<LedgerControl> Controls { get; init; } = [];

    public int Count(string verdict) => Executions.Count(e => e.Verdict == verdict);

    /// <summary>One line per field and per row, tab-separated, in a fixed order; nulls as <c>-</c>.</summary>
    public string CanonicalText()
    {
        var s = new StringBuilder(256 + 96 * Executions.Count);
        s.Append("run\t").AppendJoin('\t', RunId, Bundle, StartedAt, EndedAt, CreatedAt, EngineVersion, Signed ? "1" : "0",
            KeyId ?? "-", ManifestSha256, PreviousSha256 ?? "-").Append('\n');
        foreach (var e in Executions)
        {
            s.Append("exec\t").Append(e.Index.ToString(CultureInfo.InvariantCulture)).Append('\t').AppendJoin('\t', e.RuleId, e.Target, e.Verdict,
                e.FreshnessSeconds?.ToString(CultureInfo.InvariantCulture) ?? "-").Append('\n');
            foreach (var f in e.Findings)
                s.Append("finding\t").AppendJoin('\t', f.Resource, f.Status).Append('\n');
        }

        foreach (var c in Controls)
            s.Append("control\t").AppendJoin('\t', c.ControlId, c.Status, c.FreshnessSeconds?.ToString(CultureInfo.InvariantCulture) ?? "-").Append('\n');
        return s.ToString();
    }

    /// <summary>The row hash: SHA-256 of the previous row's hash and this run's canonical text. Editing or removing a row breaks every later hash.</summary>
    public string RowHash(string? previousRowHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes((previousRowHash ?? "") + "\n" + CanonicalText())));

    /// <summary>Timestamps are stored as sortable UTC text with 7 fractional digits, so text order is time order.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

/// <summary>One rule execution of a run, as its statement says.</summary>
/// <param name="Index">Its position in the run (the statement's number).</param>
/// <param name="RuleId">The rule.</param>
/// <param name="Target">What it ran against.</param>
/// <param name="Verdict">Its verdict (wire name).</param>
/// <param name="FreshnessSeconds">How old its evidence may get, from the header of the rule source in the bundle; null when the header sets none.</param>
internal sealed record LedgerExecution(int Index, string RuleId, string Target, string Verdict, long? FreshnessSeconds)
{
    public IReadOnlyList<LedgerFinding> Findings { get; init; } = [];

    /// <summary>
    /// The controls its statement maps it to (the same ones <see cref="LedgerRun.Controls"/> counts it for). Kept for
    /// the newest execution of each (rule, target) only, so a control's current status combines every rule mapped to
    /// it, whichever run each last ran in; not part of <see cref="LedgerRun.CanonicalText"/>, which its run's
    /// control lines already cover.
    /// </summary>
    public IReadOnlyList<string> Controls { get; init; } = [];
}

/// <summary>One finding: the resource a rule looked at and its status.</summary>
internal sealed record LedgerFinding(string Resource, string Status);

/// <summary>
/// A control's status in one run, over the executions whose statements map to it (directly or through an equivalent
/// crosswalk link; never related evidence): <c>fail</c> if any failed, else <c>error</c> if any errored, else <c>waived</c>
/// if any rule's failures were all accepted by signed waivers (accepted risk is never a pass), else <c>pass</c> if any
/// passed, else <c>not_applicable</c>. <paramref name="FreshnessSeconds"/> is the shortest freshness of those rules.
/// </summary>
internal sealed record LedgerControl(string ControlId, string Status, long? FreshnessSeconds)
{
    public static string Combine(IEnumerable<string> verdicts)
    {
        var set = verdicts.ToHashSet(StringComparer.Ordinal);
        return set.Contains("fail") ? "fail" : set.Contains("error") ? "error" : set.Contains("waived") ? "waived"
            : set.Contains("pass") ? "pass" : "not_applicable";
    }
}
