using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Engine;
using EvidenceBot.Runs.Isolation;
using EvidenceBot.Runs.Replay;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary>The <c>--replay</c> half of <c>evidencebot verify</c>, run once every signature and digest has been checked.</summary>
internal static class ReplayCommand
{
    public static async Task<int> RunAsync(CliContext cli, string bundle, string? cacheDir, IsolationOptions? isolation, CancellationToken ct)
    {
        if (!Directory.Exists(bundle))
        {
            cli.Error($"--replay: {bundle} is an archive; extract it (tar -xzf) and give the folder");
            return ExitCodes.UsageOrConfig;
        }

        if (isolation is not null)
            cli.Out.WriteLine("replay: the bundle's rules run in a worker process (--isolate process)");
        var report = await new BundleReplayer(SourceModules.All, isolation, cli.Time).ReplayAsync(bundle, cacheDir ?? RuleCache.DefaultDirectory(), ct).ConfigureAwait(false);
        foreach (var d in report.Differences)
            cli.Out.WriteLine($"FAIL replay {d.RuleId} [{d.Target}] {d.Statement}: {d.What}");
        cli.Out.WriteLine(report.Passed
            ? $"OK: replay: {report.Statements} statement(s) re-derived from the bundle's evidence, 0 differences"
            : $"FAILED: replay: {report.Differences.Count} difference(s) in {report.Differences.Select(d => d.Statement).Distinct(StringComparer.Ordinal).Count()} of {report.Statements} statement(s); these verdicts do not follow from the evidence");

        return report.Passed ? ExitCodes.Ok : ExitCodes.VerificationFailed;
    }
}
