using EvidenceBot.Rules;

namespace EvidenceBot.Scripting.Tests;

public class ObservedJsonTests
{
    private enum Level
    {
        High,
    }

    private sealed class Node
    {
        public Node? Next { get; set; }

        public int Value { get; set; }
    }

    private sealed class Throws
    {
        public int Fine => 1;

        public int Broken => throw new InvalidOperationException("not loaded");
    }

    [Fact]
    public void ToElement_AnonymousObject_KeepsShapeAndCamelCase()
    {
        var e = ObservedJson.ToElement(new
        {
            Approvals = 2,
            ratio = 0.5,
            Names = new[] { "a", "b" },
            Map = new Dictionary<string, int> { ["x"] = 1 },
            Level = Level.High,
            At = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Missing = (string?)null,
        });

        Assert.Equal(2, e.GetProperty("approvals").GetInt32());
        Assert.Equal(0.5, e.GetProperty("ratio").GetDouble());
        Assert.Equal("b", e.GetProperty("names")[1].GetString());
        Assert.Equal(1, e.GetProperty("map").GetProperty("x").GetInt32());
        Assert.Equal("High", e.GetProperty("level").GetString());
        Assert.Equal("2026-01-02T03:04:05+00:00", e.GetProperty("at").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, e.GetProperty("missing").ValueKind);
    }

    [Fact]
    public void ToElement_AnonymousObjectsOfManyShapes_ReadEveryMemberInDeclarationOrder()
    {
        var json = ObservedJson.ToElement(new { zeta = 1, Alpha = "a", nested = new { when = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero), none = (string?)null }, list = new[] { new { k = 1 } } });

        Assert.Equal("""{"zeta":1,"alpha":"a","nested":{"when":"2026-11-28T00:00:00+00:00","none":null},"list":[{"k":1}]}""", json.GetRawText());
    }

    [Fact]
    public void ToElement_Cycle_IsCutAtMaxDepthInsteadOfFailingTheRule()
    {
        var a = new Node { Value = 1 };
        a.Next = a;

        var e = ObservedJson.ToElement(a);

        Assert.Contains("deeper than", e.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToElement_PropertyThatThrows_IsRecordedAsAnErrorString()
    {
        var e = ObservedJson.ToElement(new Throws());

        Assert.Equal(1, e.GetProperty("fine").GetInt32());
        Assert.Contains("not loaded", e.GetProperty("broken").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToElement_ValueTuple_UsesItsFieldNames()
    {
        var e = ObservedJson.ToElement((3, "x"));

        Assert.Equal(3, e.GetProperty("item1").GetInt32());
    }
}
