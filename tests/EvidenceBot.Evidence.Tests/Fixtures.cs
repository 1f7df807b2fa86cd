using System.Net;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Evidence.Tests;

/// <summary>A temp folder deleted after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "eb-evidence-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Answers every request with a fixed JSON body.</summary>
internal sealed class StubHandler(Func<HttpRequestMessage, string> body) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(body(request), Encoding.UTF8, "application/json"),
            RequestMessage = request,
        });
}

/// <summary>Builds runs, keys and bundles for tests.</summary>
internal static class Fixtures
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 30, 0, TimeSpan.Zero);

    private static readonly Lazy<GeneratedKey> SharedKey = new(() => KeyGenerator.Generate());
    private static readonly Lazy<GeneratedKey> OtherKey = new(() => KeyGenerator.Generate());

    public static GeneratedKey Key => SharedKey.Value;

    public static GeneratedKey Other => OtherKey.Value;

    public static LocalKeySigner Signer(GeneratedKey? key = null) => LocalKeySigner.FromPem((key ?? Key).PrivateKeyPem);

    public static EvidencePublicKey PublicKey(GeneratedKey? key = null) => EvidencePublicKey.FromPem((key ?? Key).PublicKeyPem);

    public static HttpExchange Exchange(string url, string body, int status = 200) => new()
    {
        Source = "github",
        Method = "GET",
        Url = url,
        Status = status,
        RequestHeaders = new SortedDictionary<string, string> { ["Accept"] = "application/json" },
        ResponseHeaders = new SortedDictionary<string, string> { ["Content-Type"] = "application/json" },
        Body = body,
        At = Start,
    };

    public static RuleExecutionResult Rule(string id, string sourcePath, byte[] source, IReadOnlyCollection<HttpExchange> evidence, Verdict verdict = Verdict.Pass) => new()
    {
        RuleId = id,
        Title = "Rule " + id,
        Severity = Severity.High,
        Target = "octo-org",
        Verdict = verdict,
        Error = verdict == Verdict.Error ? "source fault (transient): 503" : null,
        StartedAt = Start,
        EndedAt = Start.AddMilliseconds(120),
        DurationMs = 120,
        Parameters = new Dictionary<string, JsonElement> { ["minApprovals"] = JsonSerializer.SerializeToElement(1) },
        Controls = [new ControlMapping("ISO27001:2022/A.8.32", ControlRelation.Supports)],
        Findings = [new Finding("octo-org/api", verdict == Verdict.Fail ? Verdict.Fail : Verdict.Pass, "1 approving review(s) required", JsonSerializer.SerializeToElement(new { approvals = 1 }))],
        Evidence = evidence,
        SourcePath = sourcePath,
        SourceSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(source)),
    };

    /// <summary>A run of <paramref name="rules"/> rules whose sources live under <paramref name="rulesDir"/>; rules 0 and 1 saw the same exchange.</summary>
    public static (RunResult Run, Dictionary<string, byte[]> Sources) Run(string rulesDir, int rules = 3, string? runId = null)
    {
        var sources = new Dictionary<string, byte[]>();
        var results = new List<RuleExecutionResult>();
        var shared = Exchange("https://api.github.com/orgs/octo-org", "{\"login\":\"octo-org\",\"two_factor_requirement_enabled\":true}");
        for (var i = 0; i < rules; i++)
        {
            var path = System.IO.Path.Combine(rulesDir, i % 2 == 0 ? "github" : "azure", $"rule-{i}.csx");
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            var bytes = Encoding.UTF8.GetBytes($"/* ---\nid: R-{i}\ntitle: Rule {i}\n--- */\nCheck(\"x\", true, \"ok\");\n");
            File.WriteAllBytes(path, bytes);
            sources[path] = bytes;
            var evidence = i < 2
                ? new[] { shared, Exchange($"https://api.github.com/repos/octo-org/r{i}", $"{{\"id\":{i}}}") }
                : new[] { Exchange($"https://api.github.com/repos/octo-org/r{i}", $"{{\"id\":{i}}}") };
            results.Add(Rule($"R-{i}", path, bytes, evidence, i == 2 ? Verdict.Fail : Verdict.Pass));
        }

        var run = new RunResult
        {
            RunId = runId ?? Guid.NewGuid().ToString("N"),
            StartedAt = Start,
            EndedAt = Start.AddSeconds(2),
            EngineVersion = "0.1.0",
            Rules = results,
        };
        return (run, sources);
    }

    public static async Task<BundleWriteResult> WriteAsync(
        TempDir dir,
        IEvidenceSigner? signer,
        int rules = 3,
        bool archive = false,
        string? runId = null,
        string outputName = "out",
        FakeTimeProvider? time = null,
        Func<string, Task>? beforeCommit = null)
    {
        var (run, sources) = Run(dir.Sub("rules-" + (runId ?? Guid.NewGuid().ToString("N")[..6])), rules, runId);
        time ??= new FakeTimeProvider(Start.AddMinutes(1));
        return await EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run,
            RuleSources = sources,
            Signer = signer,
            OutputRoot = dir.Sub(outputName),
            Archive = archive,
            Time = time,
            BeforeCommit = beforeCommit,
        }, CancellationToken.None);
    }

    /// <summary>All files of a folder, relative with '/' separators.</summary>
    public static List<string> Files(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(p => System.IO.Path.GetRelativePath(folder, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];
}
