using System.CommandLine;
using EvidenceBot.Core.Engine;
using EvidenceBot.Runs;

namespace EvidenceBot.Cli.Commands;

/// <summary><c>evidencebot bundle merge</c>: one signed bundle from the bundles of every shard of a split run.</summary>
internal static class BundleCommands
{
    public static Command Build(CliContext cli)
    {
        var shards = new Argument<string[]>("shards") { Description = "Every shard's bundle folder (or .tar.gz), one per shard 0 to N-1 of 'run --shard I/N'.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder of the merged bundle; it joins the chain there (chain-head.json).", Required = true };
        var key = new Option<string?>("--key") { Description = "PKCS#8 PEM private key that signs the merged bundle (else $EVIDENCEBOT_SIGNING_KEY)." };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding the signing key's passphrase." };
        var shardKey = new Option<string?>("--shard-key") { Description = "The public key the shards were signed with (default: the public half of --key)." };
        var archive = new Option<bool>("--archive") { Description = "Also write the merged bundle as <bundle>.tar.gz." };
        var merge = new Command("merge", "Verify every shard bundle of a split run, then write one signed bundle holding them, with one results.json (the union) and one coverage.json, chained in --out. Exits 4 when a shard does not verify, 2 when shards are missing, repeated or from different runs.")
        {
            shards, outDir, key, passphraseEnv, shardKey, archive,
        };
        merge.SetAction((parse, ct) => RulesCommands.GuardAsync(cli, async () =>
        {
            var outcome = await new BundleMerge(cli.Time).RunAsync(new MergeOptions
            {
                Shards = parse.GetValue(shards) ?? [],
                OutDirectory = Path.GetFullPath(parse.GetValue(outDir)!),
                SigningKey = parse.GetValue(key),
                PassphraseEnv = parse.GetValue(passphraseEnv),
                ShardKey = parse.GetValue(shardKey),
                Archive = parse.GetValue(archive),
            }, new MergeReporter(cli), ct).ConfigureAwait(false);
            if (outcome is { Merged: { } merged, Written: { } written })
            {
                var totals = merged.Totals();
                cli.Out.WriteLine($"Merged {merged.Shards!.Count} shard(s): {merged.Rules.Count} execution(s): {totals[Core.Rules.Verdict.Pass]} pass, {totals[Core.Rules.Verdict.Fail]} fail, "
                    + $"{totals[Core.Rules.Verdict.Error]} error, {totals[Core.Rules.Verdict.NotApplicable]} not applicable");
                if (written.RootResultsPath is not null)
                    cli.Out.WriteLine($"Results: {written.RootResultsPath}");
                BundleReport.Print(cli, new BundleOutcome(written, null));
            }

            return outcome.ExitCode;
        }));
        return new Command("bundle", "Work with evidence bundles.") { merge };
    }

    /// <summary>Progress and problems on stderr, as <c>run</c> prints them.</summary>
    private sealed class MergeReporter(CliContext cli) : IRunReporter
    {
        public void Message(string line) => cli.Err.WriteLine(line);

        public void Error(string line) => cli.Error(line);

        public void Phase(string name)
        {
        }

        public IRunObserver Progress(int executions) => throw new NotSupportedException("a merge runs no rules");

        public void Finished(RunResult result, string? resultsPath, IReadOnlyList<string> sourceSummaries)
        {
        }

        public void Bundle(BundleOutcome outcome) => BundleReport.Print(cli, outcome);
    }
}
