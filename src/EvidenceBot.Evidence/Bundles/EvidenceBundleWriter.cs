using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.IO;
using EvidenceBot.Evidence.Signing;
using EvidenceBot.Evidence.Statements;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>What to put in a run's evidence bundle.</summary>
public sealed record BundleRequest
{
    /// <summary>The run: one statement is written per rule execution.</summary>
    public required RunResult Run { get; init; }

    /// <summary>The controls a rule execution's verdict maps to (direct and crosswalk-derived). Default: the rule's own.</summary>
    public Func<RuleExecutionResult, IReadOnlyList<PredicateControl>> ControlsFor { get; init; } = static r => PredicateControl.Direct(r.Controls);

    /// <summary>The rule source files that ran, keyed by <see cref="RuleExecutionResult.SourcePath"/>, with their bytes.</summary>
    public IReadOnlyDictionary<string, byte[]> RuleSources { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>The signed waivers the run's findings cite, copied into <c>waivers/</c> with their approvers' keys.</summary>
    public IReadOnlyList<BundleWaiver> Waivers { get; init; } = [];

    /// <summary>The signer; null writes an unsigned bundle that says so (and never verifies).</summary>
    public IEvidenceSigner? Signer { get; init; }

    /// <summary>The folder that holds one bundle folder per run and the chain head.</summary>
    public required string OutputRoot { get; init; }

    /// <summary>Also write <c>&lt;bundle&gt;.tar.gz</c>.</summary>
    public bool Archive { get; init; }

    /// <summary>The clock for the manifest's <c>createdAt</c>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The run summary to write as <c>results.json</c> in the output root once the bundle is committed, under the same
    /// lock: a run killed while its bundle was being written never leaves a summary of a run that has no bundle. Null: none.
    /// </summary>
    public byte[]? RootResults { get; init; }

    /// <summary>Test hook: runs with the temp folder path after everything is written, just before the rename.</summary>
    internal Func<string, Task>? BeforeCommit { get; init; }
}

/// <summary>A signed waiver a run's findings cite, as the bundle holds it.</summary>
/// <param name="Id">The waiver's id (its envelope is <c>waivers/&lt;id&gt;.dsse.json</c>).</param>
/// <param name="Envelope">The DSSE envelope's bytes, as the approver signed it.</param>
/// <param name="KeyId">The id of the approver's key that verified it.</param>
/// <param name="KeyPem">That key (SPKI PEM), written as <c>waivers/keys/&lt;keyid&gt;.pem</c>.</param>
public sealed record BundleWaiver(string Id, byte[] Envelope, string KeyId, string KeyPem)
{
    /// <summary>The DSSE payload type of a signed waiver.</summary>
    public const string PayloadType = "application/vnd.evidencebot.waiver+json";

    /// <summary>The envelope's path in a bundle.</summary>
    public static string EnvelopePath(string id) => $"{BundleLayout.Waivers}/{id}{BundleLayout.WaiverSuffix}";

    /// <summary>A waiver key's path in a bundle.</summary>
    public static string KeyPath(string keyId) => $"{BundleLayout.Waivers}/keys/{keyId}.pem";
}

/// <summary>What <see cref="EvidenceBundleWriter.WriteAsync"/> wrote.</summary>
/// <param name="BundlePath">The bundle folder.</param>
/// <param name="ArchivePath">The <c>.tar.gz</c>, when requested.</param>
/// <param name="ManifestSha256">Hex SHA-256 of <c>manifest.json</c>: the next run's chain link.</param>
/// <param name="PreviousManifestSha256">The previous run's manifest digest this bundle links to; null for the first.</param>
/// <param name="StatementCount">Statements written (one per rule execution).</param>
/// <param name="RawFileCount">Distinct raw evidence files written.</param>
/// <param name="Signed">False when no signer was given.</param>
/// <param name="KeyId">The signing key id; null when unsigned.</param>
public sealed record BundleWriteResult(
    string BundlePath,
    string? ArchivePath,
    string ManifestSha256,
    string? PreviousManifestSha256,
    int StatementCount,
    int RawFileCount,
    bool Signed,
    string? KeyId)
{
    /// <summary>Why the requested <c>.tar.gz</c> could not be written; the bundle folder is complete and chained regardless.</summary>
    public string? ArchiveError { get; init; }

    /// <summary>What an earlier, killed run had left in the output root and this run removed (partial bundles, partial files).</summary>
    public IReadOnlyList<string> CleanedUp { get; init; } = [];

    /// <summary>The output root's <c>results.json</c>, when <see cref="BundleRequest.RootResults"/> was given and written.</summary>
    public string? RootResultsPath { get; init; }

    /// <summary>Why the output root's <c>results.json</c> could not be written (the bundle holds its own copy).</summary>
    public string? RootResultsError { get; init; }

    /// <summary>
    /// The bytes this writer wrote for <c>manifest.json</c>, <c>results.json</c>, the statements and the rule sources, by
    /// bundle path (raw evidence is left out: it can be large, and what indexes a bundle does not read it). A reader in
    /// the same process, the run ledger, takes them from here instead of reading back 200 files it has just written; it
    /// still checks each against the manifest's digest.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> Files { get; init; } = new Dictionary<string, byte[]>();
}

/// <summary>
/// The chain head in the output root: the last bundle written there. It is written just before that bundle's folder
/// is renamed into place, so it also says what to link to if that rename never happened.
/// </summary>
/// <param name="ManifestSha256">Hex SHA-256 of that bundle's <c>manifest.json</c>.</param>
/// <param name="Bundle">The bundle folder name.</param>
/// <param name="RunId">Its run id.</param>
/// <param name="PreviousManifestSha256">The manifest digest that bundle links to.</param>
public sealed record ChainHead(
    [property: JsonPropertyName("manifestSha256")] string ManifestSha256,
    [property: JsonPropertyName("bundle")] string Bundle,
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("previousManifestSha256")] string? PreviousManifestSha256 = null);

/// <summary>
/// Writes a run's evidence bundle: a folder per run with one signed in-toto statement per rule execution,
/// content-addressed raw evidence, the rule sources, the run summary, the public key and a signed manifest
/// chained to the previous run's. Built in a temp folder and renamed into place last.
/// </summary>
public static class EvidenceBundleWriter
{
    /// <summary>Writes the bundle (and archive); returns where and what. Throws on any failure, leaving no complete-looking folder.</summary>
    public static async Task<BundleWriteResult> WriteAsync(BundleRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Run);
        var run = request.Run;
        using var pending = await PendingBundle.BeginAsync(request.OutputRoot, run.RunId, request.Time, ct).ConfigureAwait(false);
        var (temp, previous, createdAt) = (pending.Temp, pending.Previous, pending.CreatedAt);

        Task sourcesWritten = Task.CompletedTask;
        try
        {
            var files = new ConcurrentDictionary<string, ManifestFile>(StringComparer.Ordinal);
            var kept = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
            void Write(string relative, byte[] bytes)
            {
                var full = Path.Combine(temp, relative.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                FileBytes.Write(full, bytes);
            }

            void List(string relative, byte[] bytes) => files[relative] = new ManifestFile(relative, Sha256Hex(bytes), bytes.Length);

            void Put(string relative, byte[] bytes)
            {
                Write(relative, bytes);
                List(relative, bytes);
            }

            // The rule sources' digests now (statements cite them); their files are written while the statements are,
            // into another folder, so that the two sets of file creations overlap.
            var sourcePaths = RuleSourcePaths(request.RuleSources.Keys);
            var sources = request.RuleSources.Select(s => (Path: sourcePaths[s.Key], Bytes: s.Value)).ToList();
            foreach (var (path, bytes) in sources)
            {
                List(path, bytes);
                kept[path] = bytes;
            }

            sourcesWritten = Task.Run(
                () =>
                {
                    foreach (var (path, bytes) in sources)
                        Write(path, bytes);
                },
                ct);

            var results = RunResultJson.Serialize(run);
            Put(BundleLayout.Results, results);
            kept[BundleLayout.Results] = results;
            var signer = request.Signer;
            if (signer is not null)
                Put(BundleLayout.PublicKey, Encoding.ASCII.GetBytes(signer.PublicKey.ToPem()));
            foreach (var w in request.Waivers)
            {
                Put(BundleWaiver.EnvelopePath(w.Id), w.Envelope);
                Put(BundleWaiver.KeyPath(w.KeyId), Encoding.ASCII.GetBytes(w.KeyPem));
            }

            // Raw evidence: content-addressed, so an exchange several rules saw is stored once.
            var rawOf = new Dictionary<RuleExecutionResult, List<(string Path, Core.Evidence.HttpExchange Exchange)>>(ReferenceEqualityComparer.Instance);
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var rule in run.Rules)
            {
                var list = new List<(string, Core.Evidence.HttpExchange)>();
                foreach (var exchange in rule.Evidence)
                {
                    var bytes = exchange.ToFileBytes();
                    var path = $"{BundleLayout.Raw}/{Sha256Hex(bytes)}.json";
                    if (written.Add(path))
                        Put(path, bytes);
                    list.Add((path, exchange));
                }

                rawOf[rule] = list;
            }

            var width = Math.Max(5, run.Rules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
            var suffix = signer is null ? BundleLayout.UnsignedSuffix : BundleLayout.SignedSuffix;
            await Parallel.ForEachAsync(
                Enumerable.Range(0, run.Rules.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount), CancellationToken = ct },
                async (i, token) =>
                {
                    var rule = run.Rules[i];
                    var statement = BuildStatement(run, rule, rawOf[rule], request, sourcePaths, files);
                    var payload = InTotoStatement.Serialize(statement);
                    var bytes = signer is null
                        ? payload
                        : (await DsseSigning.SignAsync(signer, InTotoStatement.PayloadType, payload, token).ConfigureAwait(false)).ToJsonBytes();
                    var index = i.ToString("D" + width, System.Globalization.CultureInfo.InvariantCulture);
                    var path = $"{BundleLayout.Statements}/{index}-{Safe(rule.RuleId, 60)}-{Safe(rule.Target, 40)}{suffix}";
                    Put(path, bytes);
                    kept[path] = bytes;
                }).ConfigureAwait(false);

            await sourcesWritten.ConfigureAwait(false);
            var listed = files.Values.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
            var manifest = new InTotoStatement<ManifestPredicate>
            {
                Subject = [.. listed.Select(f => InTotoSubject.Sha256(f.Path, f.Sha256))],
                PredicateType = InTotoStatement.ManifestPredicateType,
                Predicate = new ManifestPredicate
                {
                    RunId = run.RunId,
                    EngineVersion = run.EngineVersion,
                    CreatedAt = createdAt,
                    Signed = signer is not null,
                    KeyId = signer?.PublicKey.KeyId,
                    PreviousManifestSha256 = previous,
                    Files = listed,
                },
            };
            var manifestBytes = InTotoStatement.Serialize(manifest);
            kept[BundleLayout.Manifest] = manifestBytes;
            var result = await pending.CommitAsync(manifestBytes, signer, request.Archive, request.RootResults, request.BeforeCommit,
                run.Rules.Count, written.Count, ct).ConfigureAwait(false);
            return result with { Files = kept };
        }
        catch
        {
            // The sources' writer must be done before the folder goes; its own failure, if any, is this one's cause.
            await sourcesWritten.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// A bundle being written into an output root: holds the root's lock from <see cref="BeginAsync"/> until disposed,
    /// with the chain link decided and the <c>.partial-</c> folder to write into; <see cref="CommitAsync"/> signs the
    /// manifest, moves the chain head, renames the folder into place and writes the pointer and summary beside it.
    /// Shared by a run's bundle and a merged one, so both join the chain alike.
    /// </summary>
    internal sealed class PendingBundle : IDisposable
    {
        private readonly FileStream _lock;

        private PendingBundle(FileStream chainLock, string outputRoot, ChainHead? head, string? previous, List<string> cleaned,
            DateTimeOffset createdAt, string name, string runId)
        {
            _lock = chainLock;
            OutputRoot = outputRoot;
            Head = head;
            Previous = previous;
            Cleaned = cleaned;
            CreatedAt = createdAt;
            Name = name;
            RunId = runId;
        }

        public string OutputRoot { get; }

        public ChainHead? Head { get; }

        /// <summary>The manifest digest the new bundle links to; null for the first of its chain.</summary>
        public string? Previous { get; }

        public List<string> Cleaned { get; }

        public DateTimeOffset CreatedAt { get; }

        public string Name { get; }

        public string RunId { get; }

        public string Final => Path.GetFullPath(Path.Combine(OutputRoot, Name));

        /// <summary>The <c>.partial-</c> folder the bundle is built in.</summary>
        public string Temp => Path.Combine(OutputRoot, BundleLayout.PartialPrefix + Name);

        public static async Task<PendingBundle> BeginAsync(string outputRoot, string runId, TimeProvider time, CancellationToken ct)
        {
            Directory.CreateDirectory(outputRoot);
            // One writer per output folder at a time: two runs reading the same head would fork the chain.
            var chainLock = await LockAsync(outputRoot, ct).ConfigureAwait(false);
            try
            {
                var head = ReadChainHead(outputRoot);
                var previous = PreviousLink(outputRoot, head);
                // Under the lock no other run writes here: whatever is partial now was left by a run that was killed. Removed only
                // after the link is decided, which looks for the .partial- folder of a write that the head names but never finished.
                var cleaned = CleanUpLeftovers(outputRoot);
                var createdAt = time.GetUtcNow();
                var pending = new PendingBundle(chainLock, outputRoot, head, previous, cleaned, createdAt,
                    $"{createdAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Safe(runId, 64)}", runId);
                if (Directory.Exists(pending.Final))
                    throw new IOException($"{pending.Final} already exists; a run id is never reused");
                if (Directory.Exists(pending.Temp))
                    Directory.Delete(pending.Temp, recursive: true);
                Directory.CreateDirectory(pending.Temp);
                return pending;
            }
            catch
            {
                await chainLock.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async Task<BundleWriteResult> CommitAsync(byte[] manifestBytes, IEvidenceSigner? signer, bool archive, byte[]? rootResults,
            Func<string, Task>? beforeCommit, int statementCount, int rawFileCount, CancellationToken ct)
        {
            var temp = Temp;
            var final = Final;
            FileBytes.Write(Path.Combine(temp, BundleLayout.Manifest), manifestBytes);
            if (signer is not null)
            {
                var signed = await DsseSigning.SignAsync(signer, InTotoStatement.PayloadType, manifestBytes, ct).ConfigureAwait(false);
                FileBytes.Write(Path.Combine(temp, BundleLayout.ManifestSignature), signed.ToJsonBytes());
            }

            if (beforeCommit is not null)
                await beforeCommit(temp).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();

            // The head moves first: a crash between these two steps leaves a head naming a bundle that only exists
            // as its .partial- folder, and the next run then links to what this one linked to (see PreviousLink).
            var manifestSha = Sha256Hex(manifestBytes);
            WriteChainHead(OutputRoot, new ChainHead(manifestSha, Name, RunId, Previous));
            try
            {
                // The commit point: until this rename the bundle only exists as a .partial- folder, which never verifies.
                Directory.Move(temp, final);
            }
            catch
            {
                RestoreChainHead(OutputRoot, Head);
                throw;
            }

            // Committed and chained from here on: a failed archive is reported as such, never as a bundle not written.
            string? archivePath = null, archiveError = null;
            if (archive)
            {
                try
                {
                    archivePath = await WriteArchiveAsync(final, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    archiveError = ex.Message;
                }
            }

            // Last, still under the lock: the pointer to the newest bundle, then the run summary beside it.
            FileBytes.WriteAtomically(Path.Combine(OutputRoot, BundleLayout.Latest), Encoding.UTF8.GetBytes(Name + "\n"));
            string? rootResultsPath = null, rootResultsError = null;
            if (rootResults is { } summary)
            {
                var path = Path.Combine(OutputRoot, BundleLayout.Results);
                try
                {
                    FileBytes.WriteAtomically(path, summary);
                    rootResultsPath = path;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    rootResultsError = ex.Message;
                }
            }

            return new BundleWriteResult(final, archivePath, manifestSha, Previous, statementCount, rawFileCount, signer is not null, signer?.PublicKey.KeyId)
            {
                ArchiveError = archiveError,
                CleanedUp = Cleaned,
                RootResultsPath = rootResultsPath,
                RootResultsError = rootResultsError,
            };
        }

        public void Dispose() => _lock.Dispose();
    }

    /// <summary>
    /// The manifest digest a new bundle links to: the head's, unless the head names a bundle whose write was interrupted
    /// (its folder never got renamed from <c>.partial-</c>), in which case the link that bundle would have had. A head
    /// whose bundle was deleted keeps its digest, so the deletion shows as a broken link.
    /// </summary>
    public static string? PreviousLink(string outputRoot, ChainHead? head)
    {
        if (head is null)
            return null;
        var committed = Directory.Exists(Path.Combine(outputRoot, head.Bundle));
        var interrupted = !committed && Directory.Exists(Path.Combine(outputRoot, BundleLayout.PartialPrefix + head.Bundle));
        return interrupted ? head.PreviousManifestSha256 : head.ManifestSha256;
    }

    /// <summary>
    /// Removes what a killed run left in <paramref name="outputRoot"/>: <c>.partial-</c> bundle folders (they never verify)
    /// and the half-written files of an atomic write (<c>*.tmp</c> beside results.json, the chain head, the pointer).
    /// Only called under the output folder's lock, when no other run can be writing them. Returns what was removed.
    /// </summary>
    internal static List<string> CleanUpLeftovers(string outputRoot)
    {
        var removed = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(outputRoot, BundleLayout.PartialPrefix + "*"))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
                removed.Add(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the next run; it never verifies.
            }
        }

        foreach (var stem in new[] { BundleLayout.Results, BundleLayout.ChainHead, BundleLayout.Latest })
        {
            foreach (var file in Directory.EnumerateFiles(outputRoot, stem + ".*.tmp"))
            {
                try
                {
                    File.Delete(file);
                    removed.Add(file);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Left for the next run.
                }
            }
        }

        return removed;
    }

    /// <summary>Reads the chain head of an output root; null when there is none yet.</summary>
    public static ChainHead? ReadChainHead(string outputRoot)
    {
        var path = Path.Combine(outputRoot, BundleLayout.ChainHead);
        if (!File.Exists(path))
            return null;
        try
        {
            var head = StatementWriter.ReadChainHead(File.ReadAllBytes(path));
            if (!IsSha256Hex(head.ManifestSha256))
                throw new InvalidDataException("manifestSha256 is missing or not 64 hex digits");
            if (head.PreviousManifestSha256 is not null && !IsSha256Hex(head.PreviousManifestSha256))
                throw new InvalidDataException("previousManifestSha256 is not 64 hex digits");
            if (string.IsNullOrEmpty(head.Bundle) || head.Bundle.IndexOfAny(['/', '\\']) >= 0 || head.Bundle.StartsWith('.'))
                throw new InvalidDataException("bundle is not a bundle folder name");
            return head;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new InvalidDataException(
                $"{path}: the chain head is damaged ({ex.Message}); restore it from the last bundle (its manifest.json SHA-256), or delete it to start a new chain knowingly", ex);
        }
    }

    /// <summary>Writes <c>&lt;bundle&gt;.tar.gz</c> next to the bundle folder (atomically) and returns its path.</summary>
    public static async Task<string> WriteArchiveAsync(string bundleDirectory, CancellationToken ct)
    {
        var full = Path.GetFullPath(bundleDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var archive = full + ".tar.gz";
        await FileBytes.WriteAtomicallyAsync(archive, async (file, token) =>
        {
            await using var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
            await TarFile.CreateFromDirectoryAsync(full, gzip, includeBaseDirectory: true, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        return archive;
    }

    internal static InTotoStatement<RuleExecutionPredicate> BuildStatement(
        RunResult run,
        RuleExecutionResult rule,
        IReadOnlyList<(string Path, Core.Evidence.HttpExchange Exchange)> raw,
        BundleRequest request,
        IReadOnlyDictionary<string, string> sourcePaths,
        IReadOnlyDictionary<string, ManifestFile> files)
    {
        var subjects = new SortedDictionary<string, InTotoSubject>(StringComparer.Ordinal);
        foreach (var (path, _) in raw)
            subjects[path] = InTotoSubject.Sha256(path, files[path].Sha256);

        var sourcePath = "";
        var sourceSha = rule.SourceSha256;
        if (sourcePaths.TryGetValue(rule.SourcePath, out var inBundle))
        {
            var included = files[inBundle].Sha256;
            if (sourceSha.Length > 0 && !string.Equals(sourceSha, included, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{rule.SourcePath}: the rule source changed during the run (ran {sourceSha}, now {included}); run again so the bundle holds the source that ran");
            }

            sourcePath = inBundle;
            sourceSha = included;
            subjects[inBundle] = InTotoSubject.Sha256(inBundle, included);
        }

        // The files the rule #loads are part of the code that ran.
        foreach (var loaded in rule.LoadedSources)
        {
            if (sourcePaths.TryGetValue(loaded, out var loadedInBundle))
                subjects[loadedInBundle] = InTotoSubject.Sha256(loadedInBundle, files[loadedInBundle].Sha256);
        }

        // A statement needs a subject; a rule with no readable source and no raw evidence is about the run summary.
        if (subjects.Count == 0)
            subjects[BundleLayout.Results] = InTotoSubject.Sha256(BundleLayout.Results, files[BundleLayout.Results].Sha256);

        var controls = request.ControlsFor(rule);
        return new InTotoStatement<RuleExecutionPredicate>
        {
            Subject = [.. subjects.Values],
            PredicateType = InTotoStatement.RuleExecutionPredicateType,
            Predicate = new RuleExecutionPredicate
            {
                RuleId = rule.RuleId,
                Title = rule.Title,
                Severity = rule.Severity,
                RuleSource = new PredicateRuleSource(sourcePath, sourceSha.ToLowerInvariant()),
                EngineVersion = run.EngineVersion,
                RunId = run.RunId,
                StartedAt = rule.StartedAt,
                EndedAt = rule.EndedAt,
                Target = rule.Target,
                Parameters = rule.Parameters,
                Verdict = rule.Verdict,
                Error = rule.Error,
                Findings = [.. rule.Findings.Select(f => new PredicateFinding(f.Resource, f.Status, f.Message, f.Observed, f.Waiver))],
                Faults = rule.Faults,
                Controls = [.. controls.Where(c => !c.Related)],
                RelatedControls = [.. controls.Where(c => c.Related)],
                Evidence = [.. raw.DistinctBy(r => r.Path).OrderBy(r => r.Path, StringComparer.Ordinal)
                    .Select(r => new PredicateEvidence(r.Path, r.Exchange.Source, r.Exchange.Method, r.Exchange.Url, r.Exchange.Status))],
                Sources = rule.SourceSettings,
            },
        };
    }

    /// <summary>
    /// Where each rule source goes in the bundle: <c>rules/</c> + its path relative to the sources' common folder,
    /// so the layout of the rules folder is kept.
    /// </summary>
    internal static Dictionary<string, string> RuleSourcePaths(IEnumerable<string> sources)
    {
        var list = sources.ToList();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (list.Count == 0)
            return result;
        var split = list.Select(p => Path.GetFullPath(p).Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var common = 0;
        var shortest = split.Min(s => s.Length) - 1; // never consume a file name
        while (common < shortest && split.All(s => s[common] == split[0][common]))
            common++;
        // Case-insensitive: a bundle unpacked on Windows or macOS must not lose a file to another spelled alike.
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < list.Count; i++)
        {
            var segments = split[i][common..];
            var path = $"{BundleLayout.Rules}/{string.Join('/', segments.Select(seg => Safe(seg, 100)))}";
            if (!used.Add(path))
            {
                // The portable name is lossy (spaces, accents, case, length): two sources that meet are told apart by a
                // digest of the original name, and the manifest and statements name the file either way.
                var extension = Path.GetExtension(path);
                var tag = Sha256Hex(System.Text.Encoding.UTF8.GetBytes(string.Join('/', segments)))[..12];
                path = $"{path[..^extension.Length]}~{tag}{extension}";
                if (!used.Add(path))
                    throw new InvalidOperationException($"two rule sources map to {path}");
            }

            result[list[i]] = path;
        }

        return result;
    }

    internal static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    internal static bool IsSha256Hex(string? text) =>
        text is { Length: 64 } && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>
    /// How long a run waits for another writing to the same output folder. Signing every statement (one Key Vault call
    /// each) and archiving a large run take minutes; a scheduled run that overlaps one must wait its turn, not lose its
    /// evidence.
    /// </summary>
    internal static readonly TimeSpan LockWait = TimeSpan.FromMinutes(15);

    private static readonly int LockAttempts = (int)(LockWait / TimeSpan.FromMilliseconds(100));

    internal static async Task<FileStream> LockAsync(string outputRoot, CancellationToken ct)
    {
        var path = Path.Combine(outputRoot, ".chain.lock");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < LockAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new IOException($"{outputRoot}: another run has been writing a bundle here for over {LockWait.TotalMinutes:0} minutes ({path} is locked); wait for it, or give this run another --out", ex);
            }
        }
    }

    internal static void RestoreChainHead(string outputRoot, ChainHead? head)
    {
        if (head is not null)
            WriteChainHead(outputRoot, head);
        else
            File.Delete(Path.Combine(outputRoot, BundleLayout.ChainHead));
    }

    internal static void WriteChainHead(string outputRoot, ChainHead head)
    {
        FileBytes.WriteAtomically(Path.Combine(outputRoot, BundleLayout.ChainHead), StatementWriter.Write(head));
    }

    internal static string Safe(string text, int max)
    {
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray();
        var safe = new string(chars).Trim('.');
        if (safe.Length == 0)
            safe = "_";
        if (safe.Length <= max)
            return safe;
        // Cut the name, not its extension: rules/….csx stays a .csx file.
        var extension = Path.GetExtension(safe);
        return extension.Length < max / 2 ? safe[..(max - extension.Length)] + extension : safe[..max];
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a .partial- folder left behind never verifies.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
