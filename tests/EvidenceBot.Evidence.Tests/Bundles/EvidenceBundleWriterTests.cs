using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;
using EvidenceBot.Sources.Http;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Evidence.Tests.Bundles;

public sealed class EvidenceBundleWriterTests
{
    [Fact]
    public void RuleSourcePaths_NamesThatMeetOncePortable_StayDistinctAndKeepTheirExtension()
    {
        // 'a b' and 'a_b' both become a_b; accents and case likewise: none may fail the bundle or overwrite another.
        var root = Path.Combine(Path.GetTempPath(), "rules");
        var long1 = new string('x', 120) + "1.csx";
        var long2 = new string('x', 120) + "2.csx";
        string[] names = ["a b.csx", "a_b.csx", "A_B.csx", "contrôle.csx", "contrõle.csx", long1, long2];

        var paths = EvidenceBundleWriter.RuleSourcePaths(names.Select(n => Path.Combine(root, n)));

        Assert.Equal("rules/a_b.csx", paths[Path.Combine(root, "a b.csx")]);
        Assert.Equal(names.Length, paths.Values.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(paths.Values, p => Assert.EndsWith(".csx", p, StringComparison.Ordinal));
        Assert.All(paths.Values, p => Assert.Matches(@"^rules/[A-Za-z0-9._~-]+$", p));
    }

    [Fact]
    public async Task WriteAsync_SignedRun_WritesTheDocumentedLayout()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();

        var written = await Fixtures.WriteAsync(dir, signer, rules: 3);
        var files = Fixtures.Files(written.BundlePath);

        Assert.Equal("20260301T093100Z-", Path.GetFileName(written.BundlePath)[..17]);
        Assert.Contains("manifest.json", files);
        Assert.Contains("manifest.sigstore.json", files);
        Assert.Contains("results.json", files);
        Assert.Contains("public-key.pem", files);
        Assert.Equal(3, files.Count(f => f.StartsWith("statements/", StringComparison.Ordinal) && f.EndsWith(".sigstore.json", StringComparison.Ordinal)));
        Assert.Contains("rules/github/rule-0.csx", files);
        Assert.Contains("rules/azure/rule-1.csx", files);
        Assert.All(files.Where(f => f.StartsWith("raw/", StringComparison.Ordinal)), f => Assert.Matches("^raw/[0-9a-f]{64}\\.json$", f));
        Assert.True(written.Signed);
        Assert.Equal(Fixtures.Key.KeyId, written.KeyId);
    }

    [Fact]
    public async Task WriteAsync_Files_HoldTheBytesOnDiskOfWhatIndexesTheBundleButNoRawEvidence()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();

        var written = await Fixtures.WriteAsync(dir, signer, rules: 3);
        var onDisk = Fixtures.Files(written.BundlePath);

        // Exactly the manifest, the run summary, the statements and the rule sources: what the run ledger reads.
        var expected = onDisk.Where(f => f is "manifest.json" or "results.json" || f.StartsWith("statements/", StringComparison.Ordinal) || f.StartsWith("rules/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, written.Files.Keys.Order(StringComparer.Ordinal).ToList());
        Assert.Contains(onDisk, f => f.StartsWith("raw/", StringComparison.Ordinal));
        foreach (var (path, bytes) in written.Files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(written.BundlePath, path)), bytes);
    }

    [Fact]
    public async Task WriteAsync_SameExchangeSeenByTwoRules_IsStoredOnceAndNamedByBoth()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();

        var written = await Fixtures.WriteAsync(dir, signer, rules: 3);

        // Rules 0 and 1 share one exchange and have one each; rule 2 has one: 4 distinct files, not 5.
        Assert.Equal(4, written.RawFileCount);
        Assert.Equal(4, Fixtures.Files(written.BundlePath).Count(f => f.StartsWith("raw/", StringComparison.Ordinal)));
        var shared = Fixtures.Exchange("https://api.github.com/orgs/octo-org", "{\"login\":\"octo-org\",\"two_factor_requirement_enabled\":true}");
        var sharedPath = $"raw/{shared.Digest()}.json";
        var statements = Statements(written.BundlePath);
        Assert.Contains(statements[0].Subject, s => s.Name == sharedPath);
        Assert.Contains(statements[1].Subject, s => s.Name == sharedPath);
        Assert.DoesNotContain(statements[2].Subject, s => s.Name == sharedPath);
    }

    [Fact]
    public async Task WriteAsync_Statement_CarriesThePredicateAndMatchesTheSchema()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();

        var written = await Fixtures.WriteAsync(dir, signer, rules: 3);
        var bundle = SigstoreBundle.Parse(File.ReadAllBytes(Directory.GetFiles(Path.Combine(written.BundlePath, "statements")).Order().First()), "s");
        using var doc = JsonDocument.Parse(bundle.DsseEnvelope.PayloadBytes());
        var root = doc.RootElement;
        var predicate = root.GetProperty("predicate");

        Assert.Equal(SigstoreBundle.MediaTypeV03, bundle.MediaType);
        Assert.Equal(Fixtures.Key.KeyId, bundle.VerificationMaterial.PublicKey.Hint);
        Assert.Equal("application/vnd.in-toto+json", bundle.DsseEnvelope.PayloadType);
        Assert.Equal("https://in-toto.io/Statement/v1", root.GetProperty("_type").GetString());
        Assert.Equal("https://evidencebot.dev/evidence/rule-execution/v1", root.GetProperty("predicateType").GetString());
        Assert.Equal("R-0", predicate.GetProperty("ruleId").GetString());
        Assert.Equal("pass", predicate.GetProperty("verdict").GetString());
        Assert.Equal("rules/github/rule-0.csx", predicate.GetProperty("ruleSource").GetProperty("path").GetString());
        Assert.Equal(1, predicate.GetProperty("parameters").GetProperty("minApprovals").GetInt32());
        var control = predicate.GetProperty("controls")[0];
        Assert.Equal("ISO27001:2022/A.8.32", control.GetProperty("id").GetString());
        Assert.Equal("supports", control.GetProperty("relation").GetString());
        Assert.False(control.GetProperty("derived").GetBoolean());
        Assert.Empty(PredicateSchema.Validate(predicate.GetRawText()));
    }

    [Fact]
    public async Task WriteAsync_ControlsFor_PutsDerivedMappingsInThePredicate()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();
        var (run, sources) = Fixtures.Run(dir.Sub("rules"), 1);

        var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run,
            RuleSources = sources,
            Signer = signer,
            OutputRoot = dir.Sub("out"),
            ControlsFor = r => [.. PredicateControl.Direct(r.Controls), new PredicateControl("ISO42001:2023/A.6.2.6", "supports", true, "ISO27001:2022/A.8.32")],
        }, CancellationToken.None);

        var controls = Statements(written.BundlePath)[0].Predicate.Controls;
        Assert.Equal(2, controls.Count);
        Assert.Equal(new PredicateControl("ISO42001:2023/A.6.2.6", "supports", true, "ISO27001:2022/A.8.32"), controls[1]);
        Assert.True(BundleVerifier.Verify(written.BundlePath, Fixtures.PublicKey()).Passed);
    }

    [Fact]
    public void PredicateSchema_MissingRunIdOrUnknownVerdict_IsRejected()
    {
        var valid = InTotoStatement.Serialize(EvidenceBundleWriterFacts.Statement());
        using var doc = JsonDocument.Parse(valid);
        var predicate = System.Text.Json.Nodes.JsonNode.Parse(doc.RootElement.GetProperty("predicate").GetRawText())!.AsObject();
        Assert.Empty(PredicateSchema.Validate(predicate.ToJsonString()));

        var noRun = predicate.DeepClone().AsObject();
        noRun.Remove("runId");
        var badVerdict = predicate.DeepClone().AsObject();
        badVerdict["verdict"] = "probably";

        Assert.Contains(PredicateSchema.Validate(noRun.ToJsonString()), e => e.Contains("runId", StringComparison.Ordinal));
        Assert.NotEmpty(PredicateSchema.Validate(badVerdict.ToJsonString()));
    }

    [Fact]
    public void PredicateSchema_PublishedFile_IsTheEmbeddedOne()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "EvidenceBot.sln")))
            root = Path.GetDirectoryName(root)!;

        Assert.Equal(File.ReadAllText(Path.Combine(root, "schemas", "evidence-predicate.schema.json")), PredicateSchema.Text);
    }

    [Fact]
    public async Task WriteAsync_CanarySecret_AppearsNowhereInTheBundleOrArchive()
    {
        const string Canary = "canary-5ecret-7f3a9c21d4";
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();
        var time = new FakeTimeProvider(Fixtures.Start);
        var redactor = new Redactor([Canary]);
        var manifest = new RuleManifest { Id = "R-CANARY", Title = "Canary", SourcePath = "canary.csx", SourceSha256 = "" };
        var context = new RuleContext(manifest, "octo-org", new Dictionary<string, JsonElement>(), time, CancellationToken.None);
        using var capturing = new CapturingHandler("github", redactor, time, inner: new StubHandler(req =>
            $"{{\"echo\":\"{req.RequestUri}\",\"token\":\"{Canary}\",\"auth\":\"{req.Headers.Authorization}\"}}"));
        using var http = new HttpClient(capturing);

        await Task.Run(async () =>
        {
            context.Enter();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"https://api.github.com/orgs/octo-org?access_token={Canary}&per_page=100");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Canary);
            using var response = await http.SendAsync(request);
            Assert.Contains(Canary, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal); // the rule still sees the real answer
        });
        var rule = Fixtures.Rule("R-CANARY", "canary.csx", "x"u8.ToArray(), context.Evidence);
        var run = new RunResult { RunId = "canary-run", EngineVersion = "0.1.0", Rules = [rule] };

        var written = await EvidenceBundleWriter.WriteAsync(new BundleRequest
        {
            Run = run,
            Signer = signer,
            OutputRoot = dir.Sub("out"),
            Archive = true,
            Time = time,
        }, CancellationToken.None);

        Assert.Single(context.Evidence);
        var needles = new[] { Canary, Convert.ToBase64String(Encoding.UTF8.GetBytes(Canary)) };
        foreach (var file in Directory.EnumerateFiles(written.BundlePath, "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            var decoded = file.EndsWith(".sigstore.json", StringComparison.Ordinal)
                ? Encoding.UTF8.GetString(SigstoreBundle.Parse(File.ReadAllBytes(file), file).DsseEnvelope.PayloadBytes())
                : "";
            foreach (var needle in needles)
            {
                Assert.DoesNotContain(needle, text, StringComparison.Ordinal);
                Assert.DoesNotContain(needle, decoded, StringComparison.Ordinal);
            }
        }

        var tar = Untar(written.ArchivePath!);
        foreach (var needle in needles)
            Assert.DoesNotContain(needle, tar, StringComparison.Ordinal);
        var raw = Directory.GetFiles(Path.Combine(written.BundlePath, "raw")).Single();
        Assert.Contains(Redactor.Mask, File.ReadAllText(raw), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_CrashBeforeRename_LeavesNoFolderThatVerifies()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();
        var snapshot = dir.Sub("snapshot");
        string? partialName = null;

        var ex = await Assert.ThrowsAsync<IOException>(() => Fixtures.WriteAsync(dir, signer, beforeCommit: temp =>
        {
            // What a kill at this instant would leave on disk: everything written and signed, not yet renamed.
            partialName = Path.GetFileName(temp);
            CopyDirectory(temp, Path.Combine(snapshot, partialName));
            throw new IOException("simulated crash");
        }));

        var output = Path.Combine(dir.Path, "out");
        Assert.Equal("simulated crash", ex.Message);
        Assert.StartsWith(".partial-", partialName, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetDirectories(output), d => !Path.GetFileName(d).StartsWith(".partial-", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(output, BundleLayout.ChainHead)));
        var report = BundleVerifier.Verify(Path.Combine(snapshot, partialName!), Fixtures.PublicKey());
        Assert.False(report.Passed);
        Assert.Contains(report.Failures, f => f.Check == "complete");
    }

    [Fact]
    public async Task WriteAsync_ArchiveCannotBeWritten_ReturnsTheCommittedChainedBundleWithTheArchiveError()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();

        var written = await Fixtures.WriteAsync(dir, signer, archive: true, beforeCommit: temp =>
        {
            // A folder where the archive goes: the archive fails after the bundle is committed.
            var final = Path.Combine(Path.GetDirectoryName(temp)!, Path.GetFileName(temp)[BundleLayout.PartialPrefix.Length..]);
            Directory.CreateDirectory(final + ".tar.gz");
            return Task.CompletedTask;
        });

        Assert.Null(written.ArchivePath);
        Assert.NotNull(written.ArchiveError);
        Assert.True(BundleVerifier.Verify(written.BundlePath, Fixtures.PublicKey()).Passed);
        var head = File.ReadAllText(Path.Combine(dir.Path, "out", BundleLayout.ChainHead));
        Assert.Contains(written.ManifestSha256, head, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "out"), "*.tmp"));
    }

    [Fact]
    public async Task WriteAsync_TwoRuns_ChainsTheSecondToTheFirstManifest()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();
        var time = new FakeTimeProvider(Fixtures.Start);

        var first = await Fixtures.WriteAsync(dir, signer, time: time);
        time.Advance(TimeSpan.FromHours(1));
        var second = await Fixtures.WriteAsync(dir, signer, time: time);

        Assert.Null(first.PreviousManifestSha256);
        Assert.Equal(first.ManifestSha256, second.PreviousManifestSha256);
        Assert.Equal(EvidenceBundleWriter.Sha256Hex(File.ReadAllBytes(Path.Combine(first.BundlePath, "manifest.json"))), first.ManifestSha256);
        Assert.Equal(second.ManifestSha256, EvidenceBundleWriter.ReadChainHead(Path.Combine(dir.Path, "out"))!.ManifestSha256);
        Assert.True(BundleVerifier.Verify(second.BundlePath, Fixtures.PublicKey(), first.BundlePath).Passed);
        Assert.True(BundleVerifier.Verify(second.BundlePath, Fixtures.PublicKey(), first.ManifestSha256).Passed);
    }

    [Fact]
    public async Task WriteAsync_HeadNamesAnInterruptedWrite_LinksToWhatThatWriteLinkedTo()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();
        var time = new FakeTimeProvider(Fixtures.Start);
        var first = await Fixtures.WriteAsync(dir, signer, time: time);
        var output = Path.Combine(dir.Path, "out");
        // What a kill between moving the head and the rename leaves: a head naming a bundle that is still .partial-.
        Directory.CreateDirectory(Path.Combine(output, ".partial-20260301T100000Z-killed"));
        File.WriteAllText(Path.Combine(output, BundleLayout.ChainHead), JsonSerializer.Serialize(
            new ChainHead(new string('b', 64), "20260301T100000Z-killed", "killed", first.ManifestSha256)));
        time.Advance(TimeSpan.FromHours(1));

        var next = await Fixtures.WriteAsync(dir, signer, time: time);

        Assert.Equal(first.ManifestSha256, next.PreviousManifestSha256);
        Assert.True(BundleVerifier.Verify(next.BundlePath, Fixtures.PublicKey(), first.BundlePath).Passed);
    }

    [Fact]
    public async Task WriteAsync_LastBundleDeleted_KeepsTheLinkSoTheGapShows()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();
        var time = new FakeTimeProvider(Fixtures.Start);
        var first = await Fixtures.WriteAsync(dir, signer, time: time);
        time.Advance(TimeSpan.FromHours(1));
        var second = await Fixtures.WriteAsync(dir, signer, time: time);
        Directory.Delete(second.BundlePath, recursive: true);
        time.Advance(TimeSpan.FromHours(1));

        var third = await Fixtures.WriteAsync(dir, signer, time: time);

        Assert.Equal(second.ManifestSha256, third.PreviousManifestSha256);
        Assert.Contains(BundleVerifier.Verify(third.BundlePath, Fixtures.PublicKey(), first.BundlePath).Failures, f => f.Check == "chain");
    }

    [Fact]
    public async Task WriteAsync_ConcurrentRunsIntoOneFolder_FormOneChain()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();

        var written = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Fixtures.WriteAsync(dir, signer, rules: 2))));

        // Every bundle links to a different predecessor: one chain, no fork.
        var links = written.Select(w => w.PreviousManifestSha256).ToList();
        Assert.Equal(4, links.Distinct().Count());
        Assert.Single(links, l => l is null);
        Assert.All(written.Where(w => w.PreviousManifestSha256 is not null), w => Assert.Contains(written, p => p.ManifestSha256 == w.PreviousManifestSha256));
    }

    [Fact]
    public async Task WriteAsync_DamagedChainHead_RefusesWithWhatToDo()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Sub("out"), BundleLayout.ChainHead), "{ not json");

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => Fixtures.WriteAsync(dir, null));

        Assert.Contains("chain-head.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("restore", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_Archive_IsATarGzOfTheFolderThatVerifies()
    {
        using var dir = new TempDir();
        using var signer = Fixtures.Signer();

        var written = await Fixtures.WriteAsync(dir, signer, archive: true);

        Assert.Equal(written.BundlePath + ".tar.gz", written.ArchivePath);
        var report = BundleVerifier.Verify(written.ArchivePath!, Fixtures.PublicKey());
        Assert.True(report.Passed, string.Join("\n", report.Failures));
        Assert.Equal(3, report.Statements);
    }

    [Fact]
    public async Task WriteAsync_NoSigner_WritesAnUnsignedBundleThatSaysSoAndNeverVerifies()
    {
        using var dir = new TempDir();

        var written = await Fixtures.WriteAsync(dir, null);
        var files = Fixtures.Files(written.BundlePath);
        var manifest = InTotoStatement.Deserialize<ManifestPredicate>(File.ReadAllBytes(Path.Combine(written.BundlePath, "manifest.json")), "m");

        Assert.False(written.Signed);
        Assert.False(manifest.Predicate.Signed);
        Assert.Null(manifest.Predicate.KeyId);
        Assert.DoesNotContain("manifest.sigstore.json", files);
        Assert.DoesNotContain("public-key.pem", files);
        Assert.Equal(3, files.Count(f => f.EndsWith(".intoto.json", StringComparison.Ordinal)));
        var report = BundleVerifier.Verify(written.BundlePath, Fixtures.PublicKey());
        Assert.False(report.Passed);
        Assert.Contains(report.Failures, f => f.Check == "manifest.signed" && f.Detail.Contains("UNSIGNED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteAsync_RuleSourceChangedDuringTheRun_Refuses()
    {
        using var dir = new TempDir();
        var (run, sources) = Fixtures.Run(dir.Sub("rules"), 1);
        var path = sources.Keys.Single();
        sources[path] = "changed"u8.ToArray();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => EvidenceBundleWriter.WriteAsync(
            new BundleRequest { Run = run, RuleSources = sources, OutputRoot = dir.Sub("out") }, CancellationToken.None));

        Assert.Contains("changed during the run", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir.Path, "out")));
    }

    private static List<InTotoStatement<RuleExecutionPredicate>> Statements(string bundle) =>
        [.. Directory.GetFiles(Path.Combine(bundle, "statements")).Order(StringComparer.Ordinal)
            .Select(f => InTotoStatement.Deserialize<RuleExecutionPredicate>(SigstoreBundle.Parse(File.ReadAllBytes(f), f).DsseEnvelope.PayloadBytes(), f))];

    internal static string Untar(string archive)
    {
        using var file = File.OpenRead(archive);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var all = new StringBuilder();
        while (tar.GetNextEntry() is { } entry)
        {
            all.Append(entry.Name).Append('\n');
            if (entry.DataStream is null)
                continue;
            using var reader = new StreamReader(entry.DataStream);
            var text = reader.ReadToEnd();
            all.Append(text).Append('\n');
            if (entry.Name.EndsWith(".sigstore.json", StringComparison.Ordinal))
                all.Append(Encoding.UTF8.GetString(SigstoreBundle.Parse(Encoding.UTF8.GetBytes(text), entry.Name).DsseEnvelope.PayloadBytes())).Append('\n');
        }

        return all.ToString();
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

internal static class EvidenceBundleWriterFacts
{
    public static InTotoStatement<RuleExecutionPredicate> Statement()
    {
        using var dir = new TempDir();
        var (run, _) = Fixtures.Run(dir.Path, 1);
        var rule = run.Rules[0];
        var files = new Dictionary<string, ManifestFile>();
        var raw = rule.Evidence.Select(e => ($"raw/{e.Digest()}.json", e)).ToList();
        foreach (var (p, e) in raw)
            files[p] = new ManifestFile(p, e.Digest(), 1);
        files["results.json"] = new ManifestFile("results.json", new string('0', 64), 1);
        return EvidenceBundleWriter.BuildStatement(run, rule, raw, new BundleRequest { Run = run, OutputRoot = "." }, new Dictionary<string, string>(), files);
    }
}
