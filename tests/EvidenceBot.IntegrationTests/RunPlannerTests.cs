using System.Text.Json;
using EvidenceBot.Cli.Commands;
using EvidenceBot.Runs;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Scripting;
using NSubstitute;

namespace EvidenceBot.IntegrationTests;

public sealed class RunPlannerTests
{
    private interface IOrgs;

    private interface ISubs;

    private static ISourceModule Module(string name, Type service, params string[] targets)
    {
        var session = Substitute.For<ISourceSession>();
        session.Targets.Returns(targets);
        session.ServicesFor(Arg.Any<string>()).Returns(ci => new Dictionary<Type, object> { [service] = "service of " + ci.Arg<string>() });
        var module = Substitute.For<ISourceModule>();
        module.Name.Returns(name);
        module.Open(Arg.Any<SourceSettings>()).Returns(session);
        return module;
    }

    private static LoadedRule Rule(string id, params string[] sources) =>
        LoadedRule.Ready(new RuleManifest { Id = id, Title = id, SourcePath = id + ".csx", SourceSha256 = "", Sources = sources }, Substitute.For<IRuleProgram>());

    private static EvidenceBotConfig Config(params string[] sections) => new()
    {
        Sections = sections.ToDictionary(s => s, _ => JsonDocument.Parse("{}").RootElement.Clone()),
    };

    [Fact]
    public void Plan_RuleWithTwoSources_RunsPerCombinationOfTheirTargetsWithBothServices()
    {
        ISourceModule[] modules = [Module("vcs", typeof(IOrgs), "acme", "globex"), Module("cloud", typeof(ISubs), "prod", "dev", "test")];
        var set = new RuleSet([Rule("BOTH", "vcs", "cloud")], [], new RuleLoadStats(0, 0, 0));
        var cfg = Config("vcs", "cloud");
        using var sources = OpenSources.Open(cfg, modules, RunPlanner.SourcesUsed(set), TimeProvider.System);

        var plan = RunPlanner.Plan(set, cfg, sources);

        Assert.Equal(6, plan.Executions.Count);
        Assert.Equal(["acme + prod", "acme + dev", "acme + test", "globex + prod", "globex + dev", "globex + test"], plan.Executions.Select(e => e.Target));
        var first = plan.Executions[0].Services!;
        Assert.Equal("service of acme", first[typeof(IOrgs)]);
        Assert.Equal("service of prod", first[typeof(ISubs)]);
    }

    [Fact]
    public void Plan_OneOfTwoSourcesNotConfigured_SkipsTheRuleNamingIt()
    {
        ISourceModule[] modules = [Module("vcs", typeof(IOrgs), "acme"), Module("cloud", typeof(ISubs), "prod")];
        var set = new RuleSet([Rule("BOTH", "vcs", "cloud"), Rule("VCS", "vcs")], [], new RuleLoadStats(0, 0, 0));
        var cfg = Config("vcs");
        using var sources = OpenSources.Open(cfg, modules, RunPlanner.SourcesUsed(set), TimeProvider.System);

        var plan = RunPlanner.Plan(set, cfg, sources);

        Assert.Equal(["VCS"], plan.Executions.Select(e => e.Rule.Manifest.Id));
        var skipped = Assert.Single(plan.Skipped);
        Assert.Equal("BOTH", skipped.RuleId);
        Assert.Contains("'cloud'", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Shard_WholeTargets_EachExecutionRunsInExactlyOneShardAndTheModuleIsToldItsShard()
    {
        var cloud = Module("cloud", typeof(ISubs), [.. Enumerable.Range(0, 12).Select(i => $"sub-{i}")]);
        var set = new RuleSet([Rule("SUB", "cloud"), Rule("PLAIN")], [], new RuleLoadStats(0, 0, 0));
        var cfg = Config("cloud");
        var all = new List<string>();

        for (var i = 0; i < 3; i++)
        {
            var shard = new ShardFilter(i, 3);
            using var sources = OpenSources.Open(cfg, [cloud], RunPlanner.SourcesUsed(set), TimeProvider.System, shard: shard);
            all.AddRange(RunPlanner.Shard(RunPlanner.Plan(set, cfg, sources).Executions, shard, sources).Select(e => $"{e.Rule.Manifest.Id} {e.Target}"));
            cloud.Received(1).Open(Arg.Is<SourceSettings>(s => s.Shard == shard));
        }

        Assert.Equal(13, all.Count);
        Assert.Equal(13, all.Distinct().Count());
        Assert.Contains("PLAIN default", all);
    }

    [Fact]
    public void Shard_SourceThatPartitionsInsideItsTargets_RunsItsRulesInEveryShard()
    {
        var vcs = Substitute.For<ISourceModule>();
        vcs.Name.Returns("vcs");
        vcs.Open(Arg.Any<SourceSettings>()).Returns(_ => new PartitioningSession());
        var set = new RuleSet([Rule("ORG", "vcs")], [], new RuleLoadStats(0, 0, 0));
        var cfg = Config("vcs");

        var perShard = Enumerable.Range(0, 4).Select(i =>
        {
            var shard = new ShardFilter(i, 4);
            using var sources = OpenSources.Open(cfg, [vcs], RunPlanner.SourcesUsed(set), TimeProvider.System, shard: shard);
            return RunPlanner.Shard(RunPlanner.Plan(set, cfg, sources).Executions, shard, sources).Count;
        }).ToList();

        Assert.Equal([1, 1, 1, 1], perShard);
    }

    /// <summary>A session like GitHub's: one organisation, whose inside it partitions itself.</summary>
    private sealed class PartitioningSession : ISourceSession
    {
        public IReadOnlyList<string> Targets { get; } = ["acme"];

        public bool PartitionsWithinTargets => true;

        public IReadOnlyDictionary<Type, object> ServicesFor(string target) => new Dictionary<Type, object> { [typeof(IOrgs)] = target };

        public string? Summary() => null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public void Open_ConfiguredSourceNoRuleUses_IsNeverOpened()
    {
        var unused = Module("cloud", typeof(ISubs), "prod");
        var set = new RuleSet([Rule("PLAIN")], [], new RuleLoadStats(0, 0, 0));

        using var sources = OpenSources.Open(Config("cloud"), [unused], RunPlanner.SourcesUsed(set), TimeProvider.System);

        unused.DidNotReceive().Open(Arg.Any<SourceSettings>());
        Assert.True(sources.IsConfigured("cloud"));
    }

    [Fact]
    public void Open_ModuleRefusesItsSection_IsAConfigErrorWithItsJsonPath()
    {
        var module = Module("cloud", typeof(ISubs), "prod");
        module.Open(Arg.Any<SourceSettings>()).Returns(_ => throw new SourceConfigException("$.cloud.subscriptions: list at least one"));
        var set = new RuleSet([Rule("C", "cloud")], [], new RuleLoadStats(0, 0, 0));

        var ex = Assert.Throws<ConfigException>(() => OpenSources.Open(Config("cloud"), [module], RunPlanner.SourcesUsed(set), TimeProvider.System));

        Assert.StartsWith("$.cloud.subscriptions", ex.Message, StringComparison.Ordinal);
    }
}
