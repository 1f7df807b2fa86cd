using System.Text.Json;
using EvidenceBot.Core.Rules;
using EvidenceBot.Rules;

namespace EvidenceBot.Scripting.Tests;

public class RuleGlobalsParamTests
{
    [Fact]
    public void Param_CommonTypes_ReadTheJsonValue()
    {
        var globals = Globals("""{ "n": 3, "big": 5000000000, "ratio": 0.25, "on": true, "name": "main", "names": ["a", "b"], "ids": [1, 2] }""");

        Assert.Equal(3, globals.Param<int>("n"));
        Assert.Equal(5_000_000_000L, globals.Param<long>("big"));
        Assert.Equal(0.25, globals.Param<double>("ratio"));
        Assert.Equal(0.25m, globals.Param<decimal>("ratio"));
        Assert.True(globals.Param<bool>("on"));
        Assert.Equal("main", globals.Param<string>("name"));
        Assert.Equal(["a", "b"], globals.Param<string[]>("names"));
        Assert.Equal([1, 2], globals.Param<int[]>("ids"));
    }

    [Fact]
    public void Param_OtherTypesAndLenientForms_GoToTheSerializer()
    {
        var globals = Globals("""{ "names": ["a", "b"], "n": "7", "map": { "x": 1 } }""");

        Assert.Equal(["a", "b"], globals.Param<List<string>>("names"));
        Assert.Equal(7, globals.Param<int>("n")); // the web defaults read numbers written as strings
        Assert.Equal(1, globals.Param<Dictionary<string, int>>("map")["x"]);
    }

    [Fact]
    public void Param_WrongKind_IsAClearErrorNotADefault()
    {
        var globals = Globals("""{ "n": 2.5, "names": ["a", 1], "on": "maybe" }""");

        Assert.Contains("parameter 'n' is number '2.5', not a Int32", Assert.Throws<InvalidOperationException>(() => globals.Param<int>("n")).Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'names'", Assert.Throws<InvalidOperationException>(() => globals.Param<string[]>("names")).Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'on'", Assert.Throws<InvalidOperationException>(() => globals.Param<bool>("on")).Message, StringComparison.Ordinal);
    }

    private static RuleGlobals Globals(string parameters)
    {
        using var doc = JsonDocument.Parse(parameters);
        var values = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        var manifest = new RuleManifest { Id = "P-1", Title = "Params", SourcePath = "p.csx", SourceSha256 = "" };
        return new RuleGlobals(new RuleContext(manifest, "default", values, TimeProvider.System, CancellationToken.None));
    }
}
