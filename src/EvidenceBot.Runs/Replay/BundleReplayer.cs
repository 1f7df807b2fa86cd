using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;
using EvidenceBot.Runs.Isolation;
using EvidenceBot.Runs.Waivers;
using EvidenceBot.Scripting;

namespace EvidenceBot.Runs.Replay;

/// <summary>One way a statement's verdict does not follow from its bundle's evidence.</summary>
/// <param name="Statement">The statement's path in the bundle.</param>
/// <param name="RuleId">The rule.</param>
/// <param name="Target">The target.</param>
/// <param name="What">What differs, e.g. <c>verdict: attested pass, replayed fail</c>.</param>
internal sealed record ReplayDifference(string Statement, string RuleId, string Target, string What);

/// <summary>What <c>verify --replay</c> found.</summary>
/// <param name="Statements">Statements in the bundle.</param>
/// <param name="Differences">Every difference; none when each verdict follows from the evidence.</param>
internal sealed record BundleReplayReport(int Statements, IReadOnlyList<ReplayDifference> Differences)
{
    public bool Passed => Differences.Count == 0;
}

/// <summary>
/// <c>verify --replay</c>: re-derives every statement of a verified bundle folder. Each rule source stored in the bundle
/// is compiled again (with the files it loads), run against the statement's own raw evidence through the replay
/// transport, on the statement's recorded clock (<c>startedAt</c>), parameters, target and source settings, and the
/// outcome is compared exactly with what the statement attests: the verdict and every finding's resource, status,
/// message and observed values. A request the statement's evidence does not answer is a difference of its own.
/// </summary>
internal sealed class BundleReplayer(IReadOnlyList<ISourceModule> modules, IsolationOptions? isolation = null, TimeProvider? time = null)
{
    public async Task<BundleReplayReport> ReplayAsync(string bundleFolder, string cacheDirectory, CancellationToken ct)
    {
        var manifest = InTotoStatement.Deserialize<ManifestPredicate>(File.ReadAllBytes(Path.Combine(bundleFolder, BundleLayout.Manifest)), BundleLayout.Manifest).Predicate;
        var statements = manifest.Files
            .Select(f => f.Path)
            .Where(p => p.StartsWith(BundleLayout.Statements + "/", StringComparison.Ordinal)
                && (p.EndsWith(BundleLayout.SignedSuffix, StringComparison.Ordinal) || p.EndsWith(BundleLayout.UnsignedSuffix, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToList();
        var rulesFolder = Path.Combine(bundleFolder, BundleLayout.Rules);
        // Started first, so its runtime starts while this process compiles the bundle's rules into the cache it reads.
        using var worker = isolation is null ? null
            : IsolatedRunner.ForReplays(isolation, rulesFolder, cacheDirectory, [], time ?? TimeProvider.System).Prestart();
        var set = RuleSetLoader.Load(new RuleLoadOptions
        {
            Contracts = SourceContracts.Of(modules),
            RulesDirectory = rulesFolder,
            CacheDirectory = cacheDirectory,
        });
        var byPath = set.Rules.ToDictionary(r => Path.GetFullPath(r.Manifest.SourcePath), StringComparer.Ordinal);
        var waivers = ReadWaivers(bundleFolder, manifest.Files);

        var differences = new List<ReplayDifference>();
        var deferred = new List<(string Path, RuleExecutionPredicate Predicate, ReplayRequest Request)>();
        var scratch = Path.Combine(Path.GetTempPath(), "evidencebot-replay-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var path in statements)
            {
                var bytes = File.ReadAllBytes(Path.Combine(bundleFolder, path));
                var payload = path.EndsWith(BundleLayout.SignedSuffix, StringComparison.Ordinal)
                    ? SigstoreBundle.Parse(bytes, path).DsseEnvelope.PayloadBytes()
                    : bytes;
                var p = InTotoStatement.Deserialize<RuleExecutionPredicate>(payload, path).Predicate;
                var (cannot, request) = Prepare(bundleFolder, path, p, byPath, Path.Combine(scratch, Path.GetFileNameWithoutExtension(path)));
                IReadOnlyList<string> found = cannot is not null ? [cannot]
                    : worker is null ? await ReplayInProcessAsync(p, request!, waivers, ct).ConfigureAwait(false)
                    : [];
                if (cannot is null && worker is not null)
                    deferred.Add((path, p, request!));
                differences.AddRange(found.Select(what => new ReplayDifference(path, p.RuleId, p.Target, what)));
            }

            if (worker is not null && deferred.Count > 0)
            {
                var outcomes = await worker.ReplayAsync([.. deferred.Select(d => d.Request)], ct).ConfigureAwait(false);
                for (var i = 0; i < deferred.Count; i++)
                {
                    var (path, p, _) = deferred[i];
                    var o = outcomes[i];
                    IReadOnlyList<string> found = o.SetupError is { } setup ? ["cannot replay: " + setup]
                        // In this process the rule would have ended verify itself: no verdict follows from a replay that never ended.
                        : o.WorkerError is { } died ? ["the rule's worker process ended before the replay finished: " + died]
                        : Compare(p, WithCitedWaivers(p, o.Result, waivers));
                    differences.AddRange(found.Select(what => new ReplayDifference(path, p.RuleId, p.Target, what)));
                }
            }
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }

        // Statement order, whichever process replayed each.
        var order = statements.Select((path, i) => (path, i)).ToDictionary(x => x.path, x => x.i, StringComparer.Ordinal);
        return new BundleReplayReport(statements.Count, [.. differences.OrderBy(d => order[d.Statement])]);
    }

    /// <summary>What replays one statement, with its own evidence copied to <paramref name="exchanges"/>; or why it cannot be replayed.</summary>
    private static (string? Cannot, ReplayRequest? Request) Prepare(string bundleFolder, string statementPath, RuleExecutionPredicate p,
        Dictionary<string, LoadedRule> rules, string exchanges)
    {
        if (p.RuleSource.Path.Length == 0)
            return ("cannot replay: the statement names no rule source (its header could not be read when it ran)", null);
        var full = Path.GetFullPath(Path.Combine(bundleFolder, p.RuleSource.Path.Replace('/', Path.DirectorySeparatorChar)));
        if (!rules.TryGetValue(full, out var rule))
            return ($"cannot replay: {p.RuleSource.Path} is not a rule the bundle's rules/ folder holds (or its header cannot be read)", null);
        if (rule.Program is null)
            return ($"cannot replay: {p.RuleSource.Path} does not compile: {string.Join("; ", rule.LoadErrors.Select(d => d.Message))}", null);
        if (p.Sources is null && rule.Manifest.Sources.Count > 0)
            return ("cannot replay: the statement records no source settings (written before 'sources' was recorded in statements); re-run the rules to produce replayable evidence", null);

        // Only this statement's own evidence answers: another statement's recording is not evidence for this verdict.
        Directory.CreateDirectory(exchanges);
        foreach (var e in p.Evidence)
            File.Copy(Path.Combine(bundleFolder, e.Path.Replace('/', Path.DirectorySeparatorChar)), Path.Combine(exchanges, Path.GetFileName(e.Path)), overwrite: true);

        return (null, new ReplayRequest
        {
            Rule = rule,
            Target = p.Target,
            Parameters = p.Parameters,
            Sections = p.Sources ?? new Dictionary<string, JsonElement>(),
            ExchangesFolder = exchanges,
            Now = p.StartedAt,
            BaseDirectory = exchanges,
            Where = statementPath,
            SectionPath = "$.predicate.sources",
            ParametersPath = "$.predicate.parameters",
            TargetPath = "$.predicate.target",
        });
    }

    private async Task<IReadOnlyList<string>> ReplayInProcessAsync(RuleExecutionPredicate p, ReplayRequest request, IReadOnlyDictionary<string, SignedWaiver> waivers, CancellationToken ct)
    {
        RuleExecutionResult replayed;
        try
        {
            replayed = await ReplayedExecution.RunAsync(request, modules, ct).ConfigureAwait(false);
        }
        catch (ConfigException ex)
        {
            return ["cannot replay: " + ex.Message];
        }

        return Compare(p, WithCitedWaivers(p, replayed, waivers));
    }

    /// <summary>
    /// The run applied its waivers after the rule ran, and the bundle holds each one its findings cite
    /// (<c>waivers/&lt;id&gt;.dsse.json</c>, whose signature <c>verify</c> checked before any replay). A replayed failure
    /// becomes waived again only when its statement cites a waiver for it that the bundle holds, with that digest,
    /// covering this rule and resource; the verdict is then aggregated as the run did. Anything else stays as replayed,
    /// so a waived finding the evidence and waivers do not support is a difference.
    /// </summary>
    internal static RuleExecutionResult WithCitedWaivers(RuleExecutionPredicate attested, RuleExecutionResult replayed, IReadOnlyDictionary<string, SignedWaiver> waivers)
    {
        var changed = false;
        var findings = replayed.Findings.Select((f, i) =>
        {
            if (f.Status != Verdict.Fail || i >= attested.Findings.Count || attested.Findings[i].Waiver is not { } cited
                || !waivers.TryGetValue(cited.Id, out var w) || w.Digest != cited.Digest || !w.Waiver.Covers(replayed.RuleId, f.Resource))
                return f;
            changed = true;
            return f with { Status = Verdict.Waived, Waiver = w.Reference };
        }).ToList();
        return changed ? replayed with { Findings = findings, Verdict = VerdictAggregator.Aggregate(findings, replayed.Error, replayed.Faults) } : replayed;
    }

    /// <summary>
    /// The signed waivers the bundle holds, by id: each <c>waivers/&lt;id&gt;.dsse.json</c> read as <c>verify</c> reads
    /// it (<see cref="WaiverEnvelopes.Read"/>). One that cannot be read is left out: verify failed it already.
    /// </summary>
    private static Dictionary<string, SignedWaiver> ReadWaivers(string bundleFolder, IReadOnlyList<ManifestFile> files)
    {
        var found = new Dictionary<string, SignedWaiver>(StringComparer.Ordinal);
        const string Prefix = BundleLayout.Waivers + "/";
        foreach (var file in files.Where(f => f.Path.StartsWith(Prefix, StringComparison.Ordinal) && f.Path.IndexOf('/', Prefix.Length) < 0
            && f.Path.EndsWith(BundleLayout.WaiverSuffix, StringComparison.Ordinal)))
        {
            var read = WaiverEnvelopes.Read(File.ReadAllBytes(Path.Combine(bundleFolder, file.Path)), file.Path[Prefix.Length..^BundleLayout.WaiverSuffix.Length]);
            if (read.Waiver is not { } w)
                continue;
            var waiver = new Waiver(w.Id, w.Rule, w.Resource, w.Control, w.Justification, w.Approver, w.Created, w.Expires);
            found[w.Id] = new SignedWaiver(waiver, read.Digest, read.Envelope!.Signatures.FirstOrDefault()?.KeyId ?? "");
        }

        return found;
    }

    /// <summary>Every difference between what a statement attests and what the replay produced; exact, in finding order.</summary>
    internal static IReadOnlyList<string> Compare(RuleExecutionPredicate attested, RuleExecutionResult replayed)
    {
        var lines = new List<string>();
        if (ReplayedExecution.IsReplayMiss(replayed, out var asked))
            lines.Add($"asked for {asked}, not in the evidence");
        if (attested.Verdict != replayed.Verdict)
            lines.Add($"verdict: attested {WireNames.Of(attested.Verdict)}, replayed {WireNames.Of(replayed.Verdict)}{(replayed.Error is null || lines.Count > 0 ? "" : $" ({replayed.Error})")}");
        var count = Math.Max(attested.Findings.Count, replayed.Findings.Count);
        for (var i = 0; i < count; i++)
        {
            var a = i < attested.Findings.Count ? attested.Findings[i] : null;
            var r = i < replayed.Findings.Count ? replayed.Findings[i] : null;
            if (r is null)
            {
                lines.Add($"finding {i + 1} ({a!.Resource}): attested {WireNames.Of(a.Status)} \"{a.Message}\", not produced by the replay");
                continue;
            }

            if (a is null)
            {
                lines.Add($"finding {i + 1} ({r.Resource}): replayed {WireNames.Of(r.Status)} \"{r.Message}\", not in the statement");
                continue;
            }

            if (a.Resource != r.Resource)
                lines.Add($"finding {i + 1}: resource attested {a.Resource}, replayed {r.Resource}");
            if (a.Status != r.Status)
                lines.Add($"finding {i + 1} ({a.Resource}): status attested {WireNames.Of(a.Status)}, replayed {WireNames.Of(r.Status)}");
            if (a.Message != r.Message)
                lines.Add($"finding {i + 1} ({a.Resource}): message attested \"{a.Message}\", replayed \"{r.Message}\"");
            if (!SameJson(a.Observed, r.Observed))
                lines.Add($"finding {i + 1} ({a.Resource}): observed attested {Text(a.Observed)}, replayed {Text(r.Observed)}");
        }

        return lines;
    }

    private static bool SameJson(JsonElement? a, JsonElement? b) =>
        IsNull(a) ? IsNull(b) : !IsNull(b) && JsonElement.DeepEquals(a!.Value, b!.Value);

    private static bool IsNull(JsonElement? e) => e is null || e.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    private static string Text(JsonElement? e) => IsNull(e) ? "null" : e!.Value.GetRawText();
}
