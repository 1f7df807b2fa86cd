using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace EvidenceBot.Scripting.Tests;

/// <summary>A source's contract as a module would ship it: a service interface and a static class rules import.</summary>
public interface IWeatherSource
{
    /// <summary>The temperature at <paramref name="place"/>.</summary>
    int Temperature(string place);
}

/// <summary>What a rule listing <c>weather</c> sees: <c>Weather</c>.</summary>
public static class WeatherRuleGlobals
{
    /// <summary>The current execution's weather source.</summary>
    public static IWeatherSource Weather => SourceServices.Require<IWeatherSource>("weather");
}

public sealed class SourceContractTests
{
    private static readonly IReadOnlyDictionary<string, RuleContract> Weather = new Dictionary<string, RuleContract>
    {
        ["weather"] = new RuleContract
        {
            Assemblies = [typeof(WeatherRuleGlobals).Assembly.GetName().Name!],
            Imports = [typeof(WeatherRuleGlobals).FullName!],
            DeniedTypes = new Dictionary<string, string> { ["System.Text.StringBuilder"] = "a test entry of the weather source" },
        },
    };

    [Fact]
    public async Task Load_RuleListingASource_SeesItsGlobalAndRunsAgainstTheExecutionsService()
    {
        using var t = new TempRules();
        t.Rule("w.csx", "W-1", """Check("oslo", Weather.Temperature("oslo") < 30, "cool enough");""", "sources: [weather]\n");
        var weather = Substitute.For<IWeatherSource>();
        weather.Temperature("oslo").Returns(12);

        var rule = Assert.Single(t.Load(Weather).Rules);
        Assert.NotNull(rule.Program);
        var result = await new RuleEngine(new EngineOptions(), new FakeTimeProvider())
            .ExecuteAsync(new RuleExecution(rule, "north", rule.Manifest.Parameters, new Dictionary<Type, object> { [typeof(IWeatherSource)] = weather }));

        Assert.Equal(Verdict.Pass, result.Verdict);
        weather.Received(1).Temperature("oslo");
    }

    [Fact]
    public void Load_RuleNotListingTheSource_DoesNotSeeItsGlobal()
    {
        using var t = new TempRules();
        t.Rule("w.csx", "W-2", """Pass("x", Weather.Temperature("oslo").ToString());""");

        var set = t.Load(Weather);

        Assert.Null(Assert.Single(set.Rules).Program);
        Assert.Contains(set.Diagnostics, d => d.Code == "CS0103" && d.Message.Contains("Weather", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_SourcesDenyEntries_ApplyOnlyToRulesListingIt()
    {
        using var t = new TempRules();
        t.Rule("with.csx", "W-3", """Pass(new StringBuilder("x").ToString(), "m");""", "sources: [weather]\n");
        t.Rule("without.csx", "W-4", """Pass(new StringBuilder("x").ToString(), "m");""");

        var set = t.Load(Weather);

        Assert.Null(set.Rules.Single(r => r.Manifest.Id == "W-3").Program);
        Assert.Contains(set.Diagnostics, d => d.RuleId == "W-3" && d.Code == "EB0200" && d.Message.Contains("a test entry of the weather source", StringComparison.Ordinal));
        Assert.NotNull(set.Rules.Single(r => r.Manifest.Id == "W-4").Program);
    }

    [Fact]
    public void Load_SourceWithNoModule_IsALoadErrorAtTheSourcesLineNamingTheKnownSources()
    {
        using var t = new TempRules();
        t.Rule("typo.csx", "W-5", """Pass("x", "y");""", "severity: low\nsources: [wether]\n");

        var set = t.Load(Weather);

        var rule = Assert.Single(set.Rules);
        Assert.Null(rule.Program);
        var e = Assert.Single(set.Diagnostics);
        Assert.Equal("EB0014", e.Code);
        Assert.Equal(DiagnosticSeverity.Error, e.Severity);
        Assert.Equal(5, e.Location.Line);
        Assert.Contains("'wether'", e.Message, StringComparison.Ordinal);
        Assert.Contains("known sources: weather", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ExecutionWithoutTheService_IsAnErrorNotAPass()
    {
        using var t = new TempRules();
        t.Rule("w.csx", "W-6", """Pass("oslo", Weather.Temperature("oslo").ToString());""", "sources: [weather]\n");
        var rule = Assert.Single(t.Load(Weather).Rules);

        var result = await new RuleEngine(new EngineOptions(), new FakeTimeProvider())
            .ExecuteAsync(new RuleExecution(rule, "default", new Dictionary<string, JsonElement>()));

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("'weather' is not configured", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void CacheKey_SameTextOtherSources_IsAnotherEntry()
    {
        var none = RuleReferences.For([], Weather);
        var weather = RuleReferences.For(["weather"], Weather);

        Assert.NotEqual(RuleCache.KeyFor("Pass(\"a\",\"b\");", [], none.Key), RuleCache.KeyFor("Pass(\"a\",\"b\");", [], weather.Key));
        Assert.DoesNotContain(weather.AssemblyPaths, p => p.EndsWith("Octokit.dll", StringComparison.Ordinal));
    }
}
