using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Reports.Tests;

/// <summary>A temp folder deleted after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "eb-reports-" + Guid.NewGuid().ToString("N")[..12]);
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

/// <summary>
/// A signed bundle with one rule per verdict, control mappings with related (partial) evidence, hostile strings
/// (HTML and XML markup in resources and messages) and one raw file larger than the embedding cap.
/// </summary>
internal static class ReportFixture
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 30, 0, TimeSpan.Zero);

    public const string Hostile = "octo-org/<script>alert(1)</script>";

    private static readonly Lazy<GeneratedKey> SharedKey = new(() => KeyGenerator.Generate());

    public static GeneratedKey Key => SharedKey.Value;

    private static readonly Lazy<(BundleWaiver Envelope, WaiverReference Reference)> SignedWaiver = new(SignWaiver);

    /// <summary>The waiver the fixture's waived finding carries.</summary>
    public static WaiverReference Waiver => SignedWaiver.Value.Reference;

    /// <summary>W-7, signed by its approver's own key, as a run copies it into the bundle (verify checks it there).</summary>
    private static (BundleWaiver, WaiverReference) SignWaiver()
    {
        var approverKey = KeyGenerator.Generate();
        using var approver = LocalKeySigner.FromPem(approverKey.PrivateKeyPem);
        var payload = Encoding.UTF8.GetBytes("{\"id\":\"W-7\",\"rule\":\"GH-WAIVED\",\"control\":\"ISO27001:2022/A.8.8\",\"justification\":\"legacy, archived in Q1\","
            + "\"approver\":\"alice@example.com\",\"created\":\"2026-01-15\",\"expires\":\"2027-01-31\"}");
        var envelope = DsseSigning.SignAsync(approver, BundleWaiver.PayloadType, payload).GetAwaiter().GetResult().DsseEnvelope;
        return (new BundleWaiver("W-7", JsonSerializer.SerializeToUtf8Bytes(envelope), approver.PublicKey.KeyId, approver.PublicKey.ToPem()),
            new WaiverReference("W-7", Convert.ToHexStringLower(SHA256.HashData(payload)), "alice@example.com", new DateOnly(2027, 1, 31)));
    }

    public static EvidencePublicKey PublicKey => EvidencePublicKey.FromPem(Key.PublicKeyPem);

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

    private static RuleExecutionResult Rule(string id, string path, byte[] source, Verdict verdict, IReadOnlyList<ControlMapping> controls, IReadOnlyList<Finding> findings, IReadOnlyCollection<HttpExchange> evidence, string? error = null) => new()
    {
        RuleId = id,
        Title = "Rule " + id,
        Severity = verdict == Verdict.Fail ? Severity.High : Severity.Medium,
        Target = "octo-org",
        Verdict = verdict,
        Error = error,
        StartedAt = Start,
        EndedAt = Start.AddMilliseconds(120),
        DurationMs = 120,
        Controls = controls,
        Findings = findings,
        Evidence = evidence,
        SourcePath = path,
        SourceSha256 = Convert.ToHexStringLower(SHA256.HashData(source)),
    };

    /// <summary>Writes the bundle; returns its folder.</summary>
    public static async Task<string> WriteBundleAsync(TempDir dir, bool archive = false, bool withWaived = false)
    {
        var rulesDir = dir.Sub("rules");
        var sources = new Dictionary<string, byte[]>();
        string Source(string name)
        {
            var path = Path.Combine(rulesDir, name);
            // gh-fail declares how old its evidence may get; the others take the default (7 days, or the report's --freshness).
            var freshness = name == "gh-fail.csx" ? "freshness: 30d\n" : "";
            var bytes = Encoding.UTF8.GetBytes($"/* ---\nid: {name}\ntitle: Rule {name}\n{freshness}--- */\nCheck(\"x\", true, \"<ok>\");\n");
            File.WriteAllBytes(path, bytes);
            sources[path] = bytes;
            return path;
        }

        var pass = Source("gh-pass.csx");
        var fail = Source("gh-fail.csx");
        var error = Source("gh-error.csx");
        var na = Source("gh-na.csx");
        var big = new string('x', 300 * 1024);
        var results = new List<RuleExecutionResult>
        {
            Rule("GH-PASS", pass, sources[pass], Verdict.Pass,
                [new ControlMapping("ISO27001:2022/A.8.32", ControlRelation.Satisfies)],
                [new Finding("octo-org/api", Verdict.Pass, "1 approving review required", JsonSerializer.SerializeToElement(new { approvals = 1 }))],
                [Exchange("https://api.github.com/repos/octo-org/api/branches/main/protection", "{\"required_pull_request_reviews\":{\"required_approving_review_count\":1}}")]),
            Rule("GH-FAIL", fail, sources[fail], Verdict.Fail,
                [new ControlMapping("ISO27001:2022/A.5.15", ControlRelation.Satisfies), new ControlMapping("EUAIA:2024/Art.15(5)", ControlRelation.Partial)],
                [new Finding(Hostile, Verdict.Fail, "admin <img src=x onerror=alert(2)> & \"quotes\"", JsonSerializer.SerializeToElement(new { admins = 7, note = "</pre><b>bold</b>" })),
                 new Finding("octo-org/web", Verdict.Pass, "fine", null)],
                [Exchange("https://api.github.com/orgs/octo-org/members?role=admin", "[{\"login\":\"<b>mallory</b>\"}]"), Exchange("https://api.github.com/orgs/octo-org/big", big)]),
            Rule("GH-ERROR", error, sources[error], Verdict.Error,
                [new ControlMapping("ISO27001:2022/A.8.16", ControlRelation.Satisfies)],
                [],
                [Exchange("https://api.github.com/orgs/octo-org/audit-log", "{\"message\":\"Service Unavailable\"}", 503)],
                "source fault (transient): 503"),
            Rule("GH-NA", na, sources[na], Verdict.NotApplicable,
                [new ControlMapping("ISO27001:2022/A.8.9", ControlRelation.Supports)],
                [new Finding("octo-org/archived", Verdict.NotApplicable, "archived repository", null)],
                []),
        };
        if (withWaived)
        {
            // A rule whose only failure a signed waiver accepted: waived, never pass.
            var waived = Source("gh-waived.csx");
            results.Add(Rule("GH-WAIVED", waived, sources[waived], Verdict.Waived,
                [new ControlMapping("ISO27001:2022/A.8.8", ControlRelation.Satisfies)],
                [new Finding("octo-org/legacy", Verdict.Waived, "no Dependabot alerts enabled", null, Waiver),
                 new Finding("octo-org/api", Verdict.Pass, "enabled", null)],
                []));
        }

        var run = new RunResult { RunId = "0123456789abcdef0123456789abcdef", StartedAt = Start, EndedAt = Start.AddSeconds(2), EngineVersion = "0.1.0", Rules = results };
        var catalog = ControlCatalog.LoadDefault();
        using var signer = LocalKeySigner.FromPem(Key.PrivateKeyPem);
        var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run,
            RuleSources = sources,
            Signer = signer,
            Waivers = withWaived ? [SignedWaiver.Value.Envelope] : [],
            ControlsFor = r => [.. catalog.Expand(r.Controls).Select(m => new PredicateControl(m.Id, PredicateControl.RelationName(m.Relation), m.Derived, m.Via, m.Related))],
            OutputRoot = dir.Sub("out"),
            Archive = archive,
            Time = new FakeTimeProvider(Start.AddMinutes(1)),
        }, CancellationToken.None);
        File.WriteAllText(Path.Combine(dir.Path, "public-key.pem"), Key.PublicKeyPem);
        return archive ? written.ArchivePath! : written.BundlePath;
    }

    /// <summary>Verifies and reports; returns the report folder.</summary>
    public static IReadOnlyList<string> Report(string bundle, string outDir, ReportFormats formats, string? soa = null, long? embedTotalCap = null, EvidencePublicKey? key = null,
        TimeSpan? after = null, IReadOnlyDictionary<string, TimeSpan>? freshness = null)
    {
        IReadOnlyList<string> written = [];
        BundleVerifier.Verify(bundle, key ?? PublicKey, null, (folder, verification) =>
            written = ReportWriter.Write(new ReportRequest
            {
                BundleFolder = folder,
                BundleName = bundle,
                OutDirectory = outDir,
                Formats = formats,
                Verification = verification,
                ApplicabilityFile = soa,
                Time = new FakeTimeProvider(Start + (after ?? TimeSpan.FromDays(3))),
                Freshness = freshness ?? new Dictionary<string, TimeSpan>(),
                EmbedTotalCap = embedTotalCap ?? HtmlReport.DefaultEmbedTotalCap,
            }));
        return written;
    }

    /// <summary>Runs a process; returns exit code, stdout and stderr.</summary>
    public static (int Exit, string Out, string Err) Exec(string file, IEnumerable<string> args, string? workingDirectory = null, int timeoutMs = 120_000)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in {timeoutMs} ms");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "EvidenceBot.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }

    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);
}
