using EvidenceBot.Core.Rules;

namespace EvidenceBot.Service.Tests;

public sealed class ScheduleStateTests
{
    private static readonly DateTimeOffset Ten = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Record_ThenLoad_KeepsSlotsAndVerdictsAndLeavesNoTempFile()
    {
        using var dir = new TempFolder();
        var state = ScheduleState.Load(dir.Path);

        state.Record("GH-X", Ten, "run1", new Dictionary<string, Verdict> { ["org"] = Verdict.Pass });
        var loaded = ScheduleState.Load(dir.Path);

        Assert.Equal(Ten, loaded.LastSlots()["gh-x"]);
        Assert.Equal(Verdict.Pass, loaded.LastVerdicts("GH-X")["org"]);
        Assert.Equal([ScheduleState.FileName], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_NotJson_ErrorNamesTheFileAndWhatToDo()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.Combine(ScheduleState.FileName), "{ not json");

        var ex = Assert.Throws<ScheduleException>(() => ScheduleState.Load(dir.Path));

        Assert.Contains(dir.Combine(ScheduleState.FileName), ex.Message, StringComparison.Ordinal);
        Assert.Contains("move it away", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBundles_CommittedBundlesCount_PartialFoldersDoNot()
    {
        using var dir = new TempFolder();
        WriteBundle(dir.Combine("20260601T100007Z-aaa"), Ten.AddSeconds(7), "GH-X", "GH-Y");
        WriteBundle(dir.Combine("20260601T110005Z-bbb"), Ten.AddHours(1).AddSeconds(5), "GH-X");
        WriteBundle(dir.Combine(".partial-20260601T120005Z-ccc"), Ten.AddHours(2).AddSeconds(5), "GH-X");
        File.Delete(dir.Combine("20260601T110005Z-bbb", "manifest.json"));
        WriteBundle(dir.Combine("20260601T090005Z-ddd"), Ten.AddHours(-1), "GH-Y");

        var last = ScheduleState.FromBundles(dir.Path, since: null);

        Assert.Equal(Ten.AddSeconds(7), last["GH-X"]);
        Assert.Equal(Ten.AddSeconds(7), last["GH-Y"]);
    }

    private static void WriteBundle(string path, DateTimeOffset startedAt, params string[] rules)
    {
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "manifest.json"), "{}");
        var results = System.Text.Json.JsonSerializer.Serialize(new
        {
            runId = "x",
            startedAt,
            rules = rules.Select(id => new { id, target = "org", verdict = "pass" }),
        });
        File.WriteAllText(Path.Combine(path, "results.json"), results);
    }
}
