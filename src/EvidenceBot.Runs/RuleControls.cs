using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs;

/// <summary>Checks the control ids rules map to against the catalogs.</summary>
internal static class RuleControls
{
    /// <summary>
    /// Each rule's control ids checked by <paramref name="validate"/>; a rule with an unknown control id keeps its
    /// diagnostics and loses its program, so it runs as an error rather than as evidence for a control that does not exist.
    /// </summary>
    public static RuleSet Check(RuleSet set, Func<RuleManifest, IReadOnlyList<RuleDiagnostic>> validate)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(validate);
        var added = new List<RuleDiagnostic>();
        var rules = set.Rules.Select(rule =>
        {
            var diagnostics = validate(rule.Manifest);
            if (diagnostics.Count == 0)
                return rule;
            added.AddRange(diagnostics);
            return rule with { Program = null, LoadErrors = [.. rule.LoadErrors, .. diagnostics] };
        }).ToList();
        return added.Count == 0 ? set : set with { Rules = rules, Diagnostics = [.. set.Diagnostics, .. added] };
    }

    /// <summary>As <see cref="Check(RuleSet, Func{RuleManifest, IReadOnlyList{RuleDiagnostic}})"/> against <paramref name="catalog"/> (the built-in catalogs when null).</summary>
    public static RuleSet Check(RuleSet set, ControlCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.Rules.All(r => r.Manifest.Controls.Count == 0))
            return set; // nothing to check: do not pay for loading the catalogs
        return Check(set, (catalog ?? ControlCatalog.LoadDefault()).Validate);
    }
}
