namespace EvidenceBot.Scripting.Tests;

/// <summary>A throw-away rules folder and cache folder for one test.</summary>
internal sealed class TempRules : IDisposable
{
    public TempRules()
    {
        Root = Path.Combine(Path.GetTempPath(), "eb-tests-" + Guid.NewGuid().ToString("N"));
        Rules = Path.Combine(Root, "rules");
        Cache = Path.Combine(Root, "cache");
        Directory.CreateDirectory(Rules);
    }

    public string Root { get; }

    public string Rules { get; }

    public string Cache { get; }

    public string Write(string relative, string text)
    {
        var path = Path.Combine(Rules, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string Rule(string file, string id, string body, string extraHeader = "") =>
        Write(file, $"/* ---\nid: {id}\ntitle: Test rule {id}\n{extraHeader}--- */\n{body}\n");

    public RuleSet Load(params string[] only) =>
        RuleSetLoader.Load(new RuleLoadOptions { RulesDirectory = Rules, CacheDirectory = Cache, Only = only });

    public RuleSet Load(IReadOnlyDictionary<string, EvidenceBot.Core.Sources.RuleContract> contracts) =>
        RuleSetLoader.Load(new RuleLoadOptions { RulesDirectory = Rules, CacheDirectory = Cache, Contracts = contracts });

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
