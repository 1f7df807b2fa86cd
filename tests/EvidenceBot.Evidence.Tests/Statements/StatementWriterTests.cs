using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Bundles;
using EvidenceBot.Evidence.Statements;
using EvidenceBot.Evidence.Tests.Bundles;

namespace EvidenceBot.Evidence.Tests.Statements;

/// <summary>The hand-written writers produce exactly the serializer's bytes: the serializer defines the format.</summary>
public class StatementWriterTests
{
    [Fact]
    public void RuleExecutionStatement_IsByteForByteWhatTheSerializerWrites()
    {
        var fromFixture = EvidenceBundleWriterFacts.Statement();
        using var observed = JsonDocument.Parse("""{"a":[1,null,"x <y>"],"b":{"c":false}}""");
        var richer = fromFixture with
        {
            Predicate = fromFixture.Predicate with
            {
                Error = "timed out: 'slow' \"source\"",
                Findings = [new PredicateFinding("repo-ü", Verdict.Fail, "line\nbreak", observed.RootElement.Clone()), new PredicateFinding("r", Verdict.Pass, "m", null), new PredicateFinding("w", Verdict.Waived, "m", null, new WaiverReference("W-1", new string('f', 64), "alice@example.com", new DateOnly(2027, 1, 31)))],
                Faults = ["github: 403"],
                Controls = [new PredicateControl("ISO27001:2022/A.8.16", "satisfies", false, null), new PredicateControl("ISO42001:2023/A.6.2.6", "supports", true, "ISO27001:2022/A.8.16")],
                Evidence = [new PredicateEvidence("raw/ab.json", "github", "GET", "https://api.github.com/repos/o/r?x=1&y=2", 200)],
            },
        };

        foreach (var statement in new[] { fromFixture, richer })
            AssertSameBytes(JsonSerializer.SerializeToUtf8Bytes(statement, InTotoStatement.JsonOptions), InTotoStatement.Serialize(statement));
    }

    [Fact]
    public void ManifestStatement_IsByteForByteWhatTheSerializerWrites()
    {
        foreach (var (keyId, previous) in new[] { ((string?)null, (string?)null), ("k1", new string('a', 64)) })
        {
            var manifest = new InTotoStatement<ManifestPredicate>
            {
                Subject = [InTotoSubject.Sha256("results.json", new string('0', 64)), InTotoSubject.Sha256("rules/a b.csx", new string('1', 64))],
                PredicateType = InTotoStatement.ManifestPredicateType,
                Predicate = new ManifestPredicate
                {
                    RunId = "run-1",
                    EngineVersion = "0.1.0",
                    CreatedAt = new DateTimeOffset(2026, 11, 28, 1, 2, 3, 456, TimeSpan.FromHours(1)),
                    Signed = keyId is not null,
                    KeyId = keyId,
                    PreviousManifestSha256 = previous,
                    Files = [new ManifestFile("results.json", new string('0', 64), 12), new ManifestFile("rules/a b.csx", new string('1', 64), 3_000_000_000)],
                },
            };

            AssertSameBytes(JsonSerializer.SerializeToUtf8Bytes(manifest, InTotoStatement.JsonOptions), InTotoStatement.Serialize(manifest));
        }
    }

    [Fact]
    public void SigstoreBundle_IsByteForByteWhatTheSerializerWrites()
    {
        var bundle = SigstoreBundle.For(new DsseEnvelope("eyJhIjoxfQ==", InTotoStatement.PayloadType, [new DsseSignature("MEUCIQ+/=", "ab12")]), "ab12");
        var reference = new JsonSerializerOptions { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

        AssertSameBytes(JsonSerializer.SerializeToUtf8Bytes(bundle, reference), bundle.ToJsonBytes());
    }

    [Fact]
    public void ChainHead_RoundTripsAndIsByteForByteWhatTheSerializerWrites()
    {
        foreach (var head in new[] { new ChainHead(new string('c', 64), "20261128T010203Z-run", "run", null), new ChainHead(new string('c', 64), "b", "r", new string('d', 64)) })
        {
            var bytes = StatementWriter.Write(head);

            AssertSameBytes(JsonSerializer.SerializeToUtf8Bytes(head, new JsonSerializerOptions { WriteIndented = true }), bytes);
            Assert.Equal(head, StatementWriter.ReadChainHead(bytes));
        }
    }

    [Fact]
    public void ReadChainHead_FieldOfTheWrongType_NamesTheField()
    {
        var ex = Assert.Throws<InvalidDataException>(() => StatementWriter.ReadChainHead("""{"manifestSha256":5,"bundle":"b","runId":"r"}"""u8.ToArray()));

        Assert.Equal("manifestSha256 is a number, not a string", ex.Message);
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual) =>
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
}
