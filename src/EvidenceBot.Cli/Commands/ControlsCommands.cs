using System.CommandLine;
using System.Text.Json;
using EvidenceBot.Runs;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Scripting;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot controls list|coverage|map</c>, and the control-id check every rule load goes through.</summary>
internal static class ControlsCommands
{
    public static Command Build(CliContext cli)
    {
        var controls = new Command("controls", "Control catalogs (ISO 27001:2022, ISO 42001:2023, EU AI Act, NIST AI RMF), their crosswalk, and rule coverage.");
        controls.Subcommands.Add(List(cli));
        controls.Subcommands.Add(Coverage(cli));
        controls.Subcommands.Add(Map(cli));
        return controls;
    }

    /// <summary>The rules' control ids checked against <paramref name="catalog"/> (<see cref="RuleControls.Check(RuleSet, ControlCatalog?)"/>).</summary>
    public static RuleSet CheckControls(RuleSet set, ControlCatalog? catalog = null) => RuleControls.Check(set, catalog);

    private static Option<string?> ControlsDir() =>
        new("--controls") { Description = "Folder of catalog JSON files to use instead of the catalogs built into evidencebot (e.g. rules/controls)." };

    private static Option<string?> FrameworkOption() =>
        new("--framework", "-f") { Description = "One framework, e.g. ISO27001:2022, ISO42001:2023, EUAIA:2024, NISTAIRMF:1.0 (default: all)." };

    private static Command List(CliContext cli)
    {
        var framework = FrameworkOption();
        var json = CommonOptions.Json();
        var controlsDir = ControlsDir();
        var command = new Command("list", "List the controls of one framework or all: id, title, group.") { framework, json, controlsDir };
        command.SetAction(parse => Guard(cli, () =>
        {
            var catalog = LoadCatalog(parse.GetValue(controlsDir));
            var frameworks = SelectFrameworks(catalog, parse.GetValue(framework));
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    frameworks = frameworks.Select(f => new
                    {
                        id = f.Id,
                        name = f.Name,
                        source = f.Source,
                        assessable = f.AssessableKinds,
                        count = catalog.Controls(f.Id).Count(c => c.Assessable),
                        controls = catalog.Controls(f.Id).Select(c => new
                        {
                            id = c.Id,
                            localId = c.LocalId,
                            title = c.Title,
                            kind = c.Kind,
                            group = c.Group,
                            groupTitle = c.GroupTitle,
                            parent = c.Parent,
                            assessable = c.Assessable,
                        }),
                    }),
                }, JsonOutput.Options));
                return ExitCodes.Ok;
            }

            foreach (var f in frameworks)
            {
                var table = new TextTable("Id", "Title", "Group", "Kind") { Title = $"{f.Id}: {f.Name}" };
                foreach (var c in catalog.Controls(f.Id))
                {
                    var indent = new string(' ', 2 * Depth(catalog, c));
                    table.AddRow(c.Id, indent + c.Title, c.GroupTitle ?? "", c.Kind);
                }

                table.Write(cli);
                cli.Out.WriteLine($"{f.Id}: {catalog.Controls(f.Id).Count(c => c.Assessable)} {string.Join("/", f.AssessableKinds)}(s), {catalog.Controls(f.Id).Count} entries");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Coverage(CliContext cli)
    {
        var framework = FrameworkOption();
        var rulesDir = CommonOptions.Rules();
        var config = CommonOptions.Config();
        var results = new Option<string?>("--results") { Description = "The results.json 'evidencebot run' wrote, to show each control's latest verdict." };
        var ledger = new Option<string?>("--ledger") { Description = "A run ledger (ledger.db) to show each control's newest fresh verdict; evidence older than its freshness is stale, not counted." };
        var json = CommonOptions.Json();
        var controlsDir = ControlsDir();
        var command = new Command("coverage",
            "Every control with the rules that evidence it (directly and through the crosswalk), the latest verdict when given results, " +
            "and totals: controls covered by automated evidence, controls left to manual evidence. Reads rule headers only.")
        {
            framework, rulesDir, config, results, ledger, json, controlsDir,
        };
        // A missing or damaged --ledger is a usage error with the ledger's own message, as for 'status' and 'history'.
        command.SetAction(parse => LedgerCommands.Guard(cli, () => Guard(cli, () =>
        {
            var catalog = LoadCatalog(parse.GetValue(controlsDir));
            var frameworks = SelectFrameworks(catalog, parse.GetValue(framework));
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config));
            var dir = CommonOptions.RulesDirectory(parse.GetValue(rulesDir), cfg);
            var set = CheckControls(RuleSetLoader.Load(new RuleLoadOptions { Contracts = SourceContracts.Of(SourceModules.All), RulesDirectory = dir, Compile = false }), catalog);
            CommonOptions.PrintDiagnostics(cli, set.Diagnostics);
            if (set.Diagnostics.Any(d => d.Code == "EB0010"))
                return ExitCodes.UsageOrConfig;
            var resultsPath = parse.GetValue(results);
            if (resultsPath is not null && parse.GetValue(ledger) is not null)
                throw new ConfigException("--results and --ledger: give one source of verdicts");
            var fromLedger = parse.GetValue(ledger) is { } ledgerPath
                ? LedgerCoverage.Read(Path.GetFullPath(ledgerPath), cli.Time.GetUtcNow(), LedgerLocation.Resolve(cfg, null, ledgerPath).DefaultFreshness)
                : null;
            var verdicts = fromLedger?.Verdicts ?? (resultsPath is null ? null : ReadLatestVerdicts(resultsPath));
            var manifests = set.Rules.Select(r => r.Manifest).ToList();
            var reports = frameworks.Select(f => ControlCoverage.Compute(catalog, f.Id, manifests, verdicts)).ToList();

            if (parse.GetValue(json))
                cli.Out.WriteLine(JsonSerializer.Serialize(CoverageJson(dir, resultsPath ?? parse.GetValue(ledger), manifests.Count, reports, fromLedger), JsonOutput.Options));
            else
                WriteCoverageTables(cli, reports, verdicts is not null, fromLedger);

            return set.HasErrors ? ExitCodes.UsageOrConfig : ExitCodes.Ok;
        })));
        return command;
    }

    private static Command Map(CliContext cli)
    {
        var from = new Option<string>("--from") { Description = "A control id, e.g. ISO27001:2022/A.8.16.", Required = true };
        var json = CommonOptions.Json();
        var controlsDir = ControlsDir();
        var command = new Command("map", "What a control relates to in the other frameworks, through the crosswalk, and whether its evidence is shown there.")
        {
            from, json, controlsDir,
        };
        command.SetAction(parse => Guard(cli, () =>
        {
            var catalog = LoadCatalog(parse.GetValue(controlsDir));
            var id = parse.GetValue(from)!;
            if (catalog.Find(id) is not { } control)
            {
                cli.Error(catalog.DescribeUnknown(id));
                return ExitCodes.UsageOrConfig;
            }

            var position = catalog.All.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
            var related = catalog.Crosswalk.Related(id).OrderBy(r => position[r.Id]).ToList();
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    id = control.Id,
                    title = control.Title,
                    framework = control.Framework,
                    parent = control.Parent,
                    related = related.Select(r => new
                    {
                        id = r.Id,
                        title = catalog.Find(r.Id)!.Title,
                        framework = catalog.Find(r.Id)!.Framework,
                        relation = r.Relation,
                        direction = r.Direction,
                        evidenceFlows = r.EvidenceFlows,
                        derivedRelation = r.EvidenceFlows ? ControlCatalog.ToControlRelation(r.Relation) : (ControlRelation?)null,
                        rationale = r.Rationale,
                    }),
                }, JsonOutput.Options));
                return ExitCodes.Ok;
            }

            cli.Out.WriteLine($"{control.Id}: {control.Title}");
            if (related.Count == 0)
            {
                cli.Out.WriteLine("No crosswalk relation: evidence for it is shown under no other framework.");
                return ExitCodes.Ok;
            }

            var table = new TextTable("Related control", "Title", "Relation", "Evidence shown there", "Why");
            foreach (var r in related)
            {
                var relation = r.Direction == CrosswalkDirection.Outgoing ? $"{WireNames.Of(r.Relation)} →" : $"← {WireNames.Of(r.Relation)}";
                var flows = r.EvidenceFlows ? $"yes, at most {WireNames.Of(ControlCatalog.ToControlRelation(r.Relation))}" : "no (supports is one-way)";
                table.AddRow(r.Id, catalog.Find(r.Id)!.Title, relation, flows, r.Rationale);
            }

            table.Write(cli);
            cli.Out.WriteLine($"{related.Count} relation(s); {related.Count(r => r.EvidenceFlows)} show evidence for {control.Id} as derived");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static object CoverageJson(string rulesDir, string? resultsPath, int ruleCount, List<ControlCoverageReport> reports, LedgerCoverage? ledger) => new
    {
        rules = rulesDir,
        ruleCount,
        results = resultsPath,
        stale = ledger?.Stale.Select(s => new { rule = s.RuleId, target = s.Target, verdict = s.Verdict, evidenceAt = s.At, ageSeconds = (long)s.Age.TotalSeconds, freshnessSeconds = (long?)s.Freshness?.TotalSeconds }),
        frameworks = reports.Select(r => new
        {
            framework = r.Framework.Id,
            name = r.Framework.Name,
            assessable = r.Framework.AssessableKinds,
            totals = new
            {
                controls = r.Totals.Controls,
                automated = r.Totals.Automated,
                direct = r.Totals.Direct,
                derivedOnly = r.Totals.DerivedOnly,
                partialOnly = r.Totals.PartialOnly,
                manual = r.Totals.Manual,
            },
            verdicts = r.Verdicts,
            controls = r.Rows.Select(row => new
            {
                id = row.Control.Id,
                title = row.Control.Title,
                kind = row.Control.Kind,
                assessable = row.Control.Assessable,
                status = row.Status,
                stale = ledger is not null && row.Verdict is null && row.Counting.Any(e => ledger.IsStale(e.RuleId)),
                strongest = row.Strongest,
                verdict = row.Verdict,
                direct = row.Direct.Select(e => new { rule = e.RuleId, relation = e.Relation, verdict = e.Verdict }),
                derived = row.Derived.Select(e => new { rule = e.RuleId, relation = e.Relation, via = e.Via, rationale = e.Rationale, verdict = e.Verdict }),
                related = row.Related.Select(e => new { rule = e.RuleId, relation = e.Relation, via = e.Via, rationale = e.Rationale, verdict = e.Verdict }),
            }),
        }),
    };

    private static void WriteCoverageTables(CliContext cli, List<ControlCoverageReport> reports, bool withVerdicts, LedgerCoverage? ledger)
    {
        foreach (var report in reports)
        {
            var table = new TextTable("Control", "Title", "Direct", "Equivalent", "Verdict", "Related evidence (not counted)") { Title = $"{report.Framework.Id}: {report.Framework.Name}" }
                .Style(4, Summary.Color);
            foreach (var row in report.Rows)
            {
                var direct = string.Join("\n", row.Direct.Select(e => $"{e.RuleId} ({WireNames.Of(e.Relation)})"));
                var derived = string.Join("\n", row.Derived.Select(e => $"{e.RuleId} ({WireNames.Of(e.Relation)} via {e.Via})"));
                var related = string.Join("\n", row.Related.Select(e => $"{e.RuleId} ({WireNames.Of(e.Relation)} via {e.Via})"));
                var id = row.Control.Assessable ? row.Control.Id : row.Control.Id + " *";
                var verdict = row.Status == CoverageStatus.Manual ? "manual"
                    : row.Verdict is { } v ? WireNames.Of(v)
                    : ledger is not null && row.Counting.Any(e => ledger.IsStale(e.RuleId)) ? "stale"
                    : withVerdicts ? "no result" : "";
                table.AddRow(id, row.Control.Title, direct, derived, verdict, related);
            }

            table.Write(cli);
            var t = report.Totals;
            cli.Out.WriteLine(
                $"{report.Framework.Id}: {t.Controls} {string.Join("/", report.Framework.AssessableKinds)}(s); {t.Automated} covered by automated evidence " +
                $"({t.Direct} direct, {t.DerivedOnly} through an equivalent control only; {t.PartialOnly} of them partial only), {t.Manual} left to manual evidence" +
                (report.Rows.Any(r => !r.Control.Assessable) ? "; * = not counted in totals" : ""));
            if (report.Verdicts is { } vt)
                cli.Out.WriteLine($"  latest verdicts of covered controls: {vt.Pass} pass, {vt.Fail} fail, {vt.Error} error, {vt.NotApplicable} not applicable, {vt.NoResult} without a result"
                    + (vt.Waived > 0 ? $", {vt.Waived} waived (accepted risk, not pass)" : "")
                    + (ledger is null ? "" : $" ({report.Rows.Count(r => r.Control.Assessable && r.Verdict is null && r.Counting.Any(e => ledger.IsStale(e.RuleId)))} of them stale: evidence older than its freshness is not counted)"));
        }
    }

    /// <summary>
    /// Reads <c>{ rules: [ { id, verdict, … } ] }</c> as written by <c>evidencebot run</c>. A rule run against several
    /// targets keeps its worst verdict: fail, then error, then waived, then pass, then not_applicable.
    /// </summary>
    internal static Dictionary<string, Verdict> ReadLatestVerdicts(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException($"{path}: the results file does not exist: pass the results.json that 'evidencebot run' wrote");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{path}({(ex.LineNumber ?? 0) + 1}): the results file is not valid JSON: {EvidenceBot.Core.Json.JsonErrorText.Of(ex)}");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("rules", out var rules) || rules.ValueKind != JsonValueKind.Array)
                throw new ConfigException($"{path}: $.rules: expected an array of rule results, as in the results.json 'evidencebot run' writes");
            var verdicts = new Dictionary<string, Verdict>(StringComparer.Ordinal);
            var i = 0;
            foreach (var entry in rules.EnumerateArray())
            {
                var at = $"{path}: $.rules[{i++}]";
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
                    throw new ConfigException($"{at}.id: every rule result needs its rule id as a string");
                if (!entry.TryGetProperty("verdict", out var v) || v.ValueKind != JsonValueKind.String || !WireNames.TryParse<Verdict>(v.GetString(), out var verdict))
                    throw new ConfigException($"{at}.verdict: expected one of pass, fail, error, not_applicable (found {(entry.TryGetProperty("verdict", out var found) ? found.GetRawText() : "nothing")})");
                var key = id.GetString()!;
                verdicts[key] = verdicts.TryGetValue(key, out var seen) && Worse(seen, verdict) ? seen : verdict;
            }

            return verdicts;
        }
    }

    private static bool Worse(Verdict a, Verdict b) => Severity(a) >= Severity(b);

    private static int Severity(Verdict v) => v switch
    {
        Verdict.Fail => 4,
        Verdict.Error => 3,
        Verdict.Waived => 2,
        Verdict.Pass => 1,
        _ => 0,
    };

    private static int Depth(ControlCatalog catalog, Control control)
    {
        var depth = 0;
        for (var p = control.Parent; p is not null; p = catalog.Find(p)?.Parent)
            depth++;
        return depth;
    }

    private static ControlCatalog LoadCatalog(string? dir) => dir is null ? ControlCatalog.LoadDefault() : ControlCatalog.LoadDirectory(dir);

    private static IReadOnlyList<Framework> SelectFrameworks(ControlCatalog catalog, string? framework)
    {
        if (framework is null)
            return catalog.Frameworks;
        return catalog.FindFramework(framework) is { } f
            ? [f]
            : throw new ConfigException($"--framework: unknown framework '{framework}'; known: {string.Join(", ", catalog.Frameworks.Select(x => x.Id))}");
    }

    /// <summary>Bad options, configuration, results or catalogs become exit code 2 with a message naming what to fix.</summary>
    private static int Guard(CliContext cli, Func<int> action)
    {
        try
        {
            return RulesCommands.Guard(cli, action);
        }
        catch (ControlCatalogException ex)
        {
            cli.Error("the control catalogs could not be loaded:" + Environment.NewLine + ex.Message);
            return ExitCodes.UsageOrConfig;
        }
    }
}
