namespace EvidenceBot.Bench;

/// <summary>
/// Bench commands: each measures one issue's performance targets in a single run and prints ratios.
/// <c>dotnet run -c Release --project bench/EvidenceBot.Bench -- NAME [args]</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var name = args.Length > 0 ? args[0] : "";
        var rest = args.Skip(1).ToArray();
        switch (name)
        {
            case "rules":
                return await RulesBench.RunAsync(rest);
            case "verify":
                return await VerifyBench.RunAsync(rest);
            case "report":
                return await ReportBench.RunAsync(rest);
            case "github":
                return await GitHubBench.RunAsync(rest);
            case "azure":
                return await AzureBench.RunAsync(rest);
            case "models":
                return await ModelsBench.RunAsync(rest);
            case "scale-sim":
                return ScaleSimulation.Run(rest);
            case "ledger":
                return await LedgerBench.RunAsync(rest);
            case "isolate":
                return await IsolateBench.RunAsync(rest);
            case "checkpoints":
                return await CheckpointBench.RunAsync(rest);
            default:
                Console.Error.WriteLine("usage: EvidenceBot.Bench rules | verify [N] | report [N] | github [record-demo] | azure [subs] [resources] [concurrency] | azure record-demo | models [concurrency] | scale-sim [--repos N] [--shards S] [--tokens T] [--per-repo R] | ledger [runs] [executions] | isolate [--rounds N] [--rules N] | checkpoints [--rounds N] [--rules N]");
                return 2;
        }
    }
}
