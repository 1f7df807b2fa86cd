using EvidenceBot.Core.Engine;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs.Waivers;

/// <summary>The run pipeline's two calls into waivers: load and check before any rule runs, apply after they ran.</summary>
internal static class RunWaivers
{
    /// <summary>
    /// The configuration's verified waivers, or null when it has no <c>waivers</c> section. Throws
    /// <see cref="WaiverException"/> on any invalid, unsigned, untrusted or edited waiver.
    /// </summary>
    public static WaiverSet? Load(EvidenceBotConfig cfg)
    {
        if (cfg.Waivers is not { } section)
            return null;
        var keys = WaiverSet.ReadKeys(section.TrustedKeys.Select(k => (k.Approver, cfg.Resolve(k.Key)!)));
        return WaiverSet.Load(cfg.Resolve(section.File)!, keys);
    }

    /// <summary>
    /// Loads the waivers and checks them against the loaded rules; false (with every problem reported) when the run
    /// must not start.
    /// </summary>
    public static bool TryLoad(EvidenceBotConfig cfg, RuleSet rules, bool allRulesLoaded, IRunReporter report, out WaiverSet? waivers)
    {
        try
        {
            waivers = Load(cfg);
        }
        catch (WaiverException ex)
        {
            report.Error(ex.Message + Environment.NewLine + "the run did not start: fix or re-sign the waivers (docs/operators/waivers.md)");
            waivers = null;
            return false;
        }

        if (waivers is null)
            return true;
        var problems = waivers.CheckAgainst(rules.Rules.Select(r => r.Manifest), allRulesLoaded);
        if (problems.Count == 0)
            return true;
        report.Error(string.Join(Environment.NewLine, problems) + Environment.NewLine + "the run did not start: fix the waivers (docs/operators/waivers.md)");
        return false;
    }

    /// <summary>Applies the waivers to the results and says which ones expired.</summary>
    public static RunResult Apply(RunResult result, WaiverSet? waivers, TimeProvider time, IRunReporter report)
    {
        if (waivers is null)
            return result;
        var applied = WaiverApplication.Apply(result, waivers, WaiverApplication.Today(time));
        foreach (var e in applied.ExpiredWaivers ?? [])
            report.Message($"waiver {e.Id} expired on {Waiver.Day(e.Expires)}: not applied; failures of {e.RuleId} count as failures again");
        return applied;
    }
}
