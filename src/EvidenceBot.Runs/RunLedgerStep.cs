using EvidenceBot.Core.Rules;
using EvidenceBot.Ledger;
using Microsoft.Data.Sqlite;

namespace EvidenceBot.Runs;

/// <summary>Where an output folder's ledger is, and whether runs append to it.</summary>
/// <param name="Path">The ledger file.</param>
/// <param name="OutDirectory">The output folder whose bundles it indexes.</param>
/// <param name="Enabled">False when the config says <c>"ledger": { "enabled": false }</c>.</param>
/// <param name="DefaultFreshness">How old evidence may get when its rule sets no freshness.</param>
internal sealed record LedgerLocation(string Path, string OutDirectory, bool Enabled, TimeSpan DefaultFreshness)
{
    /// <summary>Evidence older than this is stale when neither its rule nor the config says otherwise.</summary>
    public static readonly TimeSpan BuiltInFreshness = TimeSpan.FromDays(7);

    /// <summary><c>--ledger</c>, else the config's <c>ledger.path</c>, else <c>ledger.db</c> in the output folder (<c>--out</c>, the config's <c>out</c>, ./evidence).</summary>
    public static LedgerLocation Resolve(EvidenceBotConfig cfg, string? outOption, string? ledgerOption)
    {
        var outDir = outOption is not null ? System.IO.Path.GetFullPath(outOption) : cfg.Resolve(cfg.Out) ?? System.IO.Path.GetFullPath("evidence");
        var path = ledgerOption is not null ? System.IO.Path.GetFullPath(ledgerOption)
            : cfg.Resolve(cfg.Ledger?.Path) ?? System.IO.Path.Combine(outDir, RunLedger.DefaultFileName);
        TimeSpan freshness;
        try
        {
            freshness = cfg.Ledger?.Freshness is { } f ? Duration.Parse(f) : BuiltInFreshness;
        }
        catch (FormatException ex)
        {
            throw new ConfigException("ledger.freshness: " + ex.Message);
        }

        return new LedgerLocation(path, outDir, cfg.Ledger?.Enabled ?? true, freshness);
    }
}

/// <summary>
/// The ledger half of a run: after the bundle is committed, append it (and any bundle an earlier run failed to append).
/// A ledger failure never touches the bundle: it is reported, the run exits 3, and the next run or <c>ledger rebuild</c>
/// catches the bundle up.
/// </summary>
internal static class RunLedgerStep
{
    public static bool Append(LedgerLocation ledger, EvidenceBot.Evidence.Bundles.BundleWriteResult written, IRunReporter report)
    {
        if (!ledger.Enabled)
            return true;
        var bundlePath = written.BundlePath;
        try
        {
            var result = RunLedger.CatchUp(ledger.Path, ledger.OutDirectory, System.IO.Path.GetFileName(bundlePath), written.Files);
            var caughtUp = result.Appended.Where(b => b != System.IO.Path.GetFileName(bundlePath)).ToList();
            if (caughtUp.Count > 0)
                report.Message($"ledger {ledger.Path}: also appended {caughtUp.Count} earlier bundle(s) it did not hold ({string.Join(", ", caughtUp.Take(5))}{(caughtUp.Count > 5 ? ", …" : "")})");
            foreach (var problem in result.Problems)
                report.Error($"ledger {ledger.Path}: a bundle was left out: {problem}");
            return result.Problems.Count == 0;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or LedgerException)
        {
            report.Error($"ledger {ledger.Path}: the run could not be appended ({ex.Message}); the bundle is complete and chained; the next run appends it, or run 'evidencebot ledger rebuild --out {ledger.OutDirectory}'");
            return false;
        }
    }
}
