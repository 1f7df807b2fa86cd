using EvidenceBot.Cli;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.IntegrationTests;

/// <summary>Runs the CLI in-process with captured output, in a throw-away folder.</summary>
internal sealed class CliRunner : IDisposable
{
    public CliRunner()
    {
        Root = Path.Combine(Path.GetTempPath(), "eb-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "rules"));
    }

    public string Root { get; }

    public string Rules => Path.Combine(Root, "rules");

    public string Cache => Path.Combine(Root, "cache");

    public string Out => Path.Combine(Root, "out");

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    public string Write(string relative, string text)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string Rule(string file, string id, string body, string extraHeader = "") =>
        Write(Path.Combine("rules", file), $"/* ---\nid: {id}\ntitle: Test rule {id}\n{extraHeader}--- */\n{body}\n");

    public async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, Time);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>`run` with this folder's rules, cache and out.</summary>
    public Task<(int Exit, string Out, string Err)> RunRules(params string[] extra) =>
        Run(["run", "--rules", Rules, "--cache-dir", Cache, "--out", Out, .. extra]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
