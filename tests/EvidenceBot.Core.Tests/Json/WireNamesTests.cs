using System.Text.Json;
using EvidenceBot.Core.Controls;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Tests.Json;

public class WireNamesTests
{
    [Fact]
    public void Of_EveryEnumValue_IsTheWordTheSerializerWrites()
    {
        AssertSameAsSerializer<Verdict>();
        AssertSameAsSerializer<Severity>();
        AssertSameAsSerializer<ControlRelation>();
        AssertSameAsSerializer<CrosswalkRelation>();
        Assert.Equal("not_applicable", WireNames.Of(Verdict.NotApplicable));
        Assert.Equal("waived", WireNames.Of(Verdict.Waived));
    }

    [Fact]
    public void Parse_EveryWord_RoundTrips()
    {
        foreach (var v in Enum.GetValues<Verdict>())
            Assert.Equal(v, WireNames.Parse<Verdict>(WireNames.Of(v)));
        foreach (var r in Enum.GetValues<CrosswalkRelation>())
            Assert.Equal(r, WireNames.Parse<CrosswalkRelation>(WireNames.Of(r)));
    }

    [Fact]
    public void Parse_UnknownWord_ThrowsListingTheWordsAllowed()
    {
        var ex = Assert.Throws<FormatException>(() => WireNames.Parse<ControlRelation>("Satisfies"));

        Assert.Equal("'Satisfies' is not one of satisfies, supports, partial", ex.Message);
        Assert.False(WireNames.TryParse<Severity>(null, out _));
    }

    private static void AssertSameAsSerializer<TEnum>()
        where TEnum : struct, Enum
    {
        foreach (var value in Enum.GetValues<TEnum>())
            Assert.Equal(JsonSerializer.Serialize(value).Trim('"'), WireNames.Of(value));
    }
}
