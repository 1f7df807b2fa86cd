using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Evidence.Statements;
using EvidenceBot.Runs.Replay;
using EvidenceBot.Runs.Waivers;

namespace EvidenceBot.IntegrationTests;

public class BundleReplayCompareTests
{
    private static RuleExecutionPredicate Attested(Verdict verdict, params PredicateFinding[] findings) => new()
    {
        RuleId = "R-1",
        Title = "t",
        RuleSource = new PredicateRuleSource("rules/r.csx", ""),
        EngineVersion = "0",
        RunId = "run",
        Target = "org",
        Verdict = verdict,
        Findings = findings,
    };

    private static RuleExecutionResult Replayed(Verdict verdict, params Finding[] findings) => new()
    {
        RuleId = "R-1",
        Title = "t",
        Target = "org",
        Verdict = verdict,
        Findings = findings,
    };

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Compare_SameOutcomeObservedInAnotherPropertyOrder_NoDifference()
    {
        var differences = BundleReplayer.Compare(
            Attested(Verdict.Pass, new PredicateFinding("org/a", Verdict.Pass, "ok", Json("""{"a":1,"b":[true,"x"]}"""))),
            Replayed(Verdict.Pass, new Finding("org/a", Verdict.Pass, "ok", Json("""{ "b": [true, "x"], "a": 1 }"""))));

        Assert.Empty(differences);
    }

    [Fact]
    public void Compare_ObservedMessageAndExtraFindingDiffer_EachIsADifference()
    {
        var differences = BundleReplayer.Compare(
            Attested(Verdict.Pass, new PredicateFinding("org/a", Verdict.Pass, "2 approvals", Json("""{"approvals":2}"""))),
            Replayed(Verdict.Fail,
                new Finding("org/a", Verdict.Pass, "0 approvals", Json("""{"approvals":0}""")),
                new Finding("org/b", Verdict.Fail, "not protected")));

        Assert.Equal(
        [
            "verdict: attested pass, replayed fail",
            "finding 1 (org/a): message attested \"2 approvals\", replayed \"0 approvals\"",
            "finding 1 (org/a): observed attested {\"approvals\":2}, replayed {\"approvals\":0}",
            "finding 2 (org/b): replayed fail \"not protected\", not in the statement",
        ], differences);
    }

    [Fact]
    public void Compare_ReplayMissedARequest_SaysAskedForNotInTheEvidence()
    {
        var replayed = Replayed(Verdict.Error) with
        {
            Error = "source fault (permanent): github: GET /orgs/x: no recorded exchange for GET /orgs/x; the replay folder has no recording of this request",
        };

        var differences = BundleReplayer.Compare(Attested(Verdict.Pass), replayed);

        Assert.Equal("asked for GET /orgs/x, not in the evidence", differences[0]);
        Assert.Contains("verdict: attested pass, replayed error", differences);
    }

    private static readonly SignedWaiver Legacy = new(
        new Waiver("W-1", "R-1", "org/legacy-*", "ISO27001:2022/A.8.32", "archived", "alice@example.com", new DateOnly(2026, 1, 1), new DateOnly(2027, 1, 31)),
        new string('a', 64), "key");

    [Fact]
    public void WithCitedWaivers_ReplayedFailureTheStatementWaives_IsWaivedAgainAndNoDifference()
    {
        var attested = Attested(Verdict.Waived,
            new PredicateFinding("org/legacy-app", Verdict.Waived, "no protection", null, Legacy.Reference),
            new PredicateFinding("org/api", Verdict.Pass, "ok", null));
        var replayed = Replayed(Verdict.Fail, new Finding("org/legacy-app", Verdict.Fail, "no protection"), new Finding("org/api", Verdict.Pass, "ok"));

        var rederived = BundleReplayer.WithCitedWaivers(attested, replayed, new Dictionary<string, SignedWaiver> { ["W-1"] = Legacy });

        Assert.Equal(Verdict.Waived, rederived.Verdict);
        Assert.Equal(Legacy.Reference, rederived.Findings[0].Waiver);
        Assert.Empty(BundleReplayer.Compare(attested, rederived));
    }

    [Theory]
    [InlineData("org/api", "W-1", "aaaa")]            // the waiver's glob does not cover the resource
    [InlineData("org/legacy-app", "W-2", "aaaa")]     // the bundle holds no such waiver
    [InlineData("org/legacy-app", "W-1", "bbbb")]     // the statement cites another digest
    public void WithCitedWaivers_WaiverThatDoesNotHold_StaysAFailureAndIsADifference(string resource, string id, string digestStart)
    {
        var cited = Legacy.Reference with { Id = id, Digest = digestStart + new string(digestStart[0], 60) };
        var attested = Attested(Verdict.Waived, new PredicateFinding(resource, Verdict.Waived, "no protection", null, cited));
        var replayed = Replayed(Verdict.Fail, new Finding(resource, Verdict.Fail, "no protection"));

        var rederived = BundleReplayer.WithCitedWaivers(attested, replayed, new Dictionary<string, SignedWaiver> { ["W-1"] = Legacy });

        Assert.Equal(Verdict.Fail, rederived.Verdict);
        Assert.Equal(["verdict: attested waived, replayed fail", $"finding 1 ({resource}): status attested waived, replayed fail"], BundleReplayer.Compare(attested, rederived));
    }
}

public class ReplaySettingsTests
{
    [Fact]
    public void Sections_CredentialsLocalFoldersAndSecrets_AreLeftOutOrMasked()
    {
        var cfg = new EvidenceBot.Runs.EvidenceBotConfig
        {
            Sections = new Dictionary<string, JsonElement>
            {
                ["github"] = JsonDocument.Parse("""
                    { "organizations": ["org"], "include": ["org/api"], "baseUrl": "https://bot:s3cret-password@ghe.example/api/v3/",
                      "tokenEnv": "GH_TOKEN", "replay": "recordings", "etagCache": "cache", "app": { "appId": 1 } }
                    """).RootElement.Clone(),
                ["models"] = JsonDocument.Parse("""{ "registries": [ { "name": "hub", "kind": "huggingface", "tokenEnv": "HF", "credential": { "type": "default" } } ] }""").RootElement.Clone(),
            },
        };

        var sections = ReplaySettings.Sections(cfg, ["github", "models", "azure"], new EvidenceBot.Core.Evidence.Redactor(["s3cret-password"]));

        Assert.Equal(["github", "models"], sections.Keys.Order());
        Assert.Equal("""{"organizations":["org"],"include":["org/api"],"baseUrl":"https://bot:[REDACTED]@ghe.example/api/v3/"}""", sections["github"].GetRawText());
        Assert.Equal("""{"registries":[{"name":"hub","kind":"huggingface"}]}""", sections["models"].GetRawText());
    }
}
