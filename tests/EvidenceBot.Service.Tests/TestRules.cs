namespace EvidenceBot.Service.Tests;

/// <summary>Rules without sources, so tests need no recordings and compile fast.</summary>
internal static class TestRules
{
    public static string Quick(string id, string? schedule = null, string message = "ok") => $$"""
        /* ---
        id: {{id}}
        title: A rule that passes at once
        severity: low
        sources: []
        {{(schedule is null ? "" : $"schedule: \"{schedule}\"")}}
        --- */
        Pass("thing", "{{message}}");
        """;

    /// <summary>Waits for its parameter <c>seconds</c>, cancellably, then passes.</summary>
    public static string Slow(string id) => $$"""
        /* ---
        id: {{id}}
        title: A rule that takes its time
        severity: low
        sources: []
        parameters: { seconds: 0 }
        timeout: 5m
        --- */
        await Task.Delay(TimeSpan.FromSeconds(Param<int>("seconds")), Ct);
        Pass("thing", "waited");
        """;

    /// <summary>Passes or fails as its parameter <c>pass</c> says, quoting the configured secret in its message.</summary>
    public static string Flip(string id) => $$"""
        /* ---
        id: {{id}}
        title: A rule whose verdict the configuration decides
        severity: high
        sources: []
        parameters: { pass: true, note: "" }
        --- */
        Check("thing", Param<bool>("pass"), "thing checked " + Param<string>("note"));
        """;

    public static void Write(string folder, string name, string text)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, name), text);
    }
}
