using System.Text.Json;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;

namespace EvidenceBot.Runs;

/// <summary>What <c>bundle merge</c> was asked to do.</summary>
internal sealed record MergeOptions
{
    /// <summary>Every shard's bundle folder or archive.</summary>
    public required IReadOnlyList<string> Shards { get; init; }

    /// <summary>The output root the merged bundle is written to, and whose chain it joins.</summary>
    public required string OutDirectory { get; init; }

    /// <summary>The private key that signs the merged manifest (<c>--key</c>), else the environment's.</summary>
    public string? SigningKey { get; init; }

    /// <summary>Environment variable holding the key's passphrase.</summary>
    public string? PassphraseEnv { get; init; }

    /// <summary>The public key the shards were signed with (<c>--shard-key</c>); default: the signing key's public half.</summary>
    public string? ShardKey { get; init; }

    /// <summary>Also write the merged bundle as a <c>.tar.gz</c>.</summary>
    public bool Archive { get; init; }
}

/// <summary>What a merge ended with: exit code, the merged run and its bundle when written.</summary>
internal sealed record MergeOutcome(int ExitCode, RunResult? Merged, BundleWriteResult? Written);

/// <summary>
/// <c>bundle merge</c>: verifies a copy of every shard bundle, refuses a set that is not every shard of one run exactly
/// once, merges their results (<see cref="ShardMerge"/>), computes coverage over the union, and writes one signed bundle
/// holding the shards, chained in the output root.
/// </summary>
internal sealed class BundleMerge(TimeProvider time)
{
    public async Task<MergeOutcome> RunAsync(MergeOptions options, IRunReporter report, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(report);
        var signer = await RunEvidence.CreateSignerAsync(report, new EvidenceBotConfig(), options.SigningKey, options.PassphraseEnv, ct).ConfigureAwait(false)
            ?? throw new ConfigException("--key: a merged bundle is signed like any run's; give the signing key (--key or $" + RunEvidence.KeyEnvironmentVariable + ")");
        using var signerLifetime = signer as IDisposable;
        EvidencePublicKey shardKey;
        try
        {
            shardKey = options.ShardKey is null ? signer.PublicKey : EvidencePublicKey.FromPemFile(options.ShardKey);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ConfigException($"--shard-key {options.ShardKey}: {ex.Message}");
        }

        var staging = Path.Combine(Path.GetTempPath(), "evidencebot-merge-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Each shard is copied first and the copy verified: what is merged is exactly what was verified.
            var staged = new List<(string From, string Folder, string ManifestSha256, RunResult Result)>();
            var failed = false;
            for (var i = 0; i < options.Shards.Count; i++)
            {
                var from = options.Shards[i];
                var folder = Path.Combine(staging, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (Stage(from, folder, shardKey, report) is not { } verified)
                {
                    failed = true;
                    continue;
                }

                report.Message($"verified shard bundle {from}: {verified.Statements} statement(s), {verified.Checks.Count} check(s)");
                var results = RunResultJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(folder, BundleLayout.Results), ct).ConfigureAwait(false), $"{from}/{BundleLayout.Results}");
                staged.Add((from, folder, verified.ManifestSha256!, results));
            }

            if (failed)
            {
                report.Error("nothing merged: every shard bundle must verify first (see above)");
                return new MergeOutcome(ExitCodes.VerificationFailed, null, null);
            }

            try
            {
                ShardMerge.Check([.. staged.Select(s => s.Result)]);
            }
            catch (ShardMergeException ex)
            {
                report.Error("nothing merged: " + ex.Message);
                return new MergeOutcome(ExitCodes.UsageOrConfig, null, null);
            }

            var shards = staged.OrderBy(s => s.Result.Shard!.Index)
                .Select(s => new MergedShard(s.Result.Shard!.Index, s.Result.Shard.Count, s.Result.RunId, s.ManifestSha256, $"{BundleLayout.Shards}/{s.Result.Shard.Index}"))
                .ToList();
            RunResult merged;
            try
            {
                merged = ShardMerge.Merge([.. staged.Select(s => s.Result)], Guid.NewGuid().ToString("N"), shards);
            }
            catch (ShardMergeException ex)
            {
                report.Error("nothing merged: " + ex.Message);
                return new MergeOutcome(ExitCodes.UsageOrConfig, null, null);
            }

            var written = await MergedBundleWriter.WriteAsync(new MergedBundleRequest
            {
                Run = merged,
                ShardFolders = staged.ToDictionary(s => s.Result.Shard!.Index, s => s.Folder),
                Coverage = MergedCoverage.Json(merged, ControlCatalog.LoadDefault()),
                Signer = signer,
                OutputRoot = options.OutDirectory,
                Archive = options.Archive,
                Time = time,
            }, ct).ConfigureAwait(false);
            return new MergeOutcome(VerdictAggregator.ExitCode(merged.Rules.Select(r => r.Verdict)), merged, written);
        }
        finally
        {
            DeleteStaging(staging);
        }
    }

    /// <summary>Copies one shard bundle (a folder, or the folder in an archive) to <paramref name="folder"/> and verifies the copy; null when it does not verify.</summary>
    private static VerificationReport? Stage(string from, string folder, EvidencePublicKey key, IRunReporter report)
    {
        from = BundleOf(from, report);
        VerificationReport verified;
        if (Directory.Exists(from))
        {
            MergedBundleWriter.CopyRegularFiles(from, folder);
            verified = BundleVerifier.Verify(folder, key) with { Bundle = from };
        }
        else if (File.Exists(from))
        {
            // An archive is checked and unpacked by verify into a folder of its own; the verified folder is copied from there.
            verified = BundleVerifier.Verify(from, key, null, (unpacked, r) =>
            {
                if (r.Passed)
                    MergedBundleWriter.CopyRegularFiles(unpacked, folder);
            });
        }
        else
        {
            throw new ConfigException($"{from}: no such shard bundle folder or .tar.gz archive; give each shard's bundle (OUT/$(cat OUT/latest))");
        }

        if (verified.Passed)
            return verified;
        foreach (var f in verified.Failures.Take(10))
            report.Message("  " + f);
        report.Error($"shard bundle {from} does not verify ({verified.Failures.Count} problem(s) in {verified.Checks.Count} check(s)); run 'evidencebot verify {from} --key PUBLIC.pem' for all of them");
        return null;
    }

    /// <summary>A shard's output folder (no manifest, a <c>latest</c> file) stands for its latest bundle; anything else for itself.</summary>
    private static string BundleOf(string path, IRunReporter report)
    {
        var latest = Path.Combine(path, BundleLayout.Latest);
        if (!Directory.Exists(path) || File.Exists(Path.Combine(path, BundleLayout.Manifest)) || !File.Exists(latest))
            return path;
        var name = File.ReadAllText(latest).Trim();
        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name.StartsWith('.'))
            throw new ConfigException($"{latest}: '{name}' is not a bundle folder name; give the shard's bundle folder itself");
        report.Message($"{path}: an output folder; merging its latest bundle, {name}");
        return Path.Combine(path, name);
    }

    private static void DeleteStaging(string staging)
    {
        try
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A temp folder left behind holds only copies of signed bundles.
        }
    }
}

/// <summary>
/// <c>coverage.json</c> of a merged run: for every control the union's executions are evidence for (directly, or through
/// an <c>equivalent</c> crosswalk link), the rules, execution counts per verdict, and the combined verdict, worst first.
/// </summary>
internal static class MergedCoverage
{
    public static byte[] Json(RunResult run, ControlCatalog catalog)
    {
        var byControl = new SortedDictionary<string, List<RuleExecutionResult>>(StringComparer.Ordinal);
        foreach (var execution in run.Rules)
        {
            foreach (var control in catalog.Expand(execution.Controls).Where(c => !c.Related).Select(c => c.Id).Distinct(StringComparer.Ordinal))
            {
                if (!byControl.TryGetValue(control, out var list))
                    byControl[control] = list = [];
                list.Add(execution);
            }
        }

        return JsonBytes.Write(
            w =>
            {
                w.WriteStartObject();
                w.WriteString("runId", run.RunId);
                w.WriteNumber("executions", run.Rules.Count);
                w.WriteStartArray("controls");
                foreach (var (id, executions) in byControl)
                {
                    w.WriteStartObject();
                    w.WriteString("id", id);
                    w.WriteString("verdict", WireNames.Of(Worst(executions.Select(e => e.Verdict))));
                    w.WriteNumber("executions", executions.Count);
                    foreach (var verdict in Enum.GetValues<Verdict>())
                        w.WriteNumber(WireNames.Of(verdict), executions.Count(e => e.Verdict == verdict));
                    w.WriteStartArray("rules");
                    foreach (var rule in executions.Select(e => e.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                        w.WriteStringValue(rule);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            },
            indented: true,
            capacity: 4096 + 256 * byControl.Count);
    }

    /// <summary>A failure or an error is never hidden by a pass.</summary>
    private static Verdict Worst(IEnumerable<Verdict> verdicts)
    {
        var list = verdicts.ToList();
        return list.Contains(Verdict.Fail) ? Verdict.Fail
            : list.Contains(Verdict.Error) ? Verdict.Error
            : list.Contains(Verdict.Pass) ? Verdict.Pass
            : Verdict.NotApplicable;
    }
}
