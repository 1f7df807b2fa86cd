namespace EvidenceBot.Bench;

/// <summary>Issue 2: cold vs warm start of 100 generated rules. Filled in below.</summary>
public static class RulesBench
{
    public static Task<int> RunAsync(string[] args)
    {
        _ = args;
        Console.Error.WriteLine("rules bench: not built yet");
        return Task.FromResult(2);
    }
}
