using Microsoft.Data.Sqlite;

namespace EvidenceBot.Ledger;

/// <summary>One point of a timeline: a verdict (or control status) of one subject in one run.</summary>
/// <param name="Seq">The run's position in the ledger.</param>
/// <param name="RunId">The run.</param>
/// <param name="At">When the run ended (UTC, sortable text).</param>
/// <param name="Subject">A control id, a rule target, or <c>run</c>.</param>
/// <param name="Status">pass, fail, error, not_applicable; for runs a count line.</param>
internal sealed record TimelineEntry(long Seq, string RunId, string At, string Subject, string Status);

/// <summary>A control's newest evidence and whether it is still fresh.</summary>
internal sealed record ControlPosture(string ControlId, string Status, string RunId, string At, TimeSpan Age, TimeSpan? Freshness)
{
    /// <summary>Older than its freshness: no longer counted as evidence.</summary>
    public bool Stale => Freshness is { } f && Age > f;

    /// <summary>The framework part of the id (<c>ISO27001:2022</c> of <c>ISO27001:2022/A.8.32</c>).</summary>
    public string Framework => ControlId.Split('/')[0];
}

/// <summary>A (rule, target)'s newest verdict and whether it is still fresh.</summary>
internal sealed record RulePosture(string RuleId, string Target, string Verdict, string At, TimeSpan Age, TimeSpan? Freshness)
{
    public bool Stale => Freshness is { } f && Age > f;
}

/// <summary>A change between two runs: a control, a rule execution, or one of its findings.</summary>
/// <param name="Kind"><c>control</c>, <c>rule</c> or <c>finding</c>.</param>
/// <param name="Subject">Control id; <c>RULE (target)</c>; <c>RULE (target) resource</c>.</param>
/// <param name="Before">Status in the first run; null when absent there.</param>
/// <param name="After">Status in the second run; null when absent there.</param>
internal sealed record DiffChange(string Kind, string Subject, string? Before, string? After)
{
    /// <summary>
    /// Worse than before: pass or not applicable became error or fail, error became fail, or a failing check now errs (its
    /// evidence is lost: no longer knowing is not an improvement). A subject that appears failing or erring counts too.
    /// </summary>
    public bool Regressed => After is not null && (Rank(After) > Rank(Before) || (After == "error" && Before != "error"));

    /// <summary>Better than before: now passing, waived or not applicable where it failed or erred.</summary>
    public bool Recovered => After is not null && After != "error" && Rank(After) < Rank(Before);

    // A fault is never a pass: error ranks between pass and fail, so pass → error is a regression.
    private static int Rank(string? status) => status switch { "fail" => 2, "error" => 1, _ => 0 };
}

/// <summary>What changed from run A to run B.</summary>
/// <param name="RunA">The earlier run.</param>
/// <param name="RunB">The later run.</param>
/// <param name="Changes">What changed.</param>
/// <param name="NotRunInB">
/// Rule executions run A had and run B did not (a run of some rules only: <c>--rule</c>, a shard, a service slot). Its
/// control statuses then rest on fewer rules than run A's, so controls are not compared; rules and findings are.
/// </param>
internal sealed record LedgerDiff(string RunA, string RunB, IReadOnlyList<DiffChange> Changes, int NotRunInB = 0)
{
    public bool ControlsCompared => NotRunInB == 0;

    public bool HasRegression => Changes.Any(c => c.Kind != "finding" && c.Regressed);
}

/// <summary>The read side of the ledger: timelines, the current posture, and run-to-run differences.</summary>
internal sealed class LedgerQueries(SqliteConnection connection)
{
    /// <summary>A control's status in every run since <paramref name="since"/> (oldest first).</summary>
    public List<TimelineEntry> ControlHistory(string controlId, string? since) => Read(
        "SELECT r.seq, r.run_id, r.ended_at, c.control_id, c.status FROM control_status c JOIN runs r ON r.seq = c.run_seq " +
        "WHERE c.control_id = $1 AND c.run_seq >= " + FirstSeq + " ORDER BY c.run_seq", controlId, since ?? "");

    /// <summary>A rule's verdict per target in every run since <paramref name="since"/> (oldest first).</summary>
    public List<TimelineEntry> RuleHistory(string ruleId, string? since) => Read(
        "SELECT r.seq, r.run_id, r.ended_at, e.target, e.verdict FROM executions e JOIN runs r ON r.seq = e.run_seq " +
        "WHERE e.rule_id = $1 AND e.run_seq >= " + FirstSeq + " ORDER BY e.run_seq, e.idx", ruleId, since ?? "");

    /// <summary>Every run since <paramref name="since"/> with its verdict counts.</summary>
    public List<TimelineEntry> RunHistory(string? since) => Read(
        "SELECT seq, run_id, ended_at, 'run', pass || ' pass, ' || fail || ' fail, ' || error || ' error, ' || not_applicable || ' not applicable' " +
        "FROM runs WHERE seq >= " + FirstSeq.Replace("$2", "$1", StringComparison.Ordinal) + " ORDER BY seq", since ?? "");

    // The first run that ended at or after --since ($2), through the ended_at index; runs are appended in time order.
    // With no runs in range, a number past every run.
    private const string FirstSeq = "(SELECT COALESCE(MIN(seq), 9223372036854775807) FROM runs WHERE ended_at >= $2)";

    /// <summary>Every control's newest status, its age at <paramref name="now"/>, and its freshness (the rules' own, else <paramref name="defaultFreshness"/>).</summary>
    public List<ControlPosture> Controls(DateTimeOffset now, TimeSpan? defaultFreshness)
    {
        using var c = connection.CreateCommand();
        c.CommandText = "SELECT l.control_id, l.status, r.run_id, r.ended_at, l.freshness_s FROM latest_controls l JOIN runs r ON r.seq = l.run_seq ORDER BY l.control_id";
        using var r = c.ExecuteReader();
        var list = new List<ControlPosture>();
        while (r.Read())
        {
            var at = r.GetString(3);
            list.Add(new ControlPosture(r.GetString(0), r.GetString(1), r.GetString(2), at, now - LedgerRun.ParseTime(at),
                r.IsDBNull(4) ? defaultFreshness : TimeSpan.FromSeconds(r.GetInt64(4))));
        }

        return list;
    }

    /// <summary>Every (rule, target)'s newest verdict, its age, and its freshness.</summary>
    public List<RulePosture> Rules(DateTimeOffset now, TimeSpan? defaultFreshness)
    {
        using var c = connection.CreateCommand();
        c.CommandText = "SELECT l.rule_id, l.target, l.verdict, r.ended_at, l.freshness_s FROM latest_rules l JOIN runs r ON r.seq = l.run_seq ORDER BY l.rule_id, l.target";
        using var r = c.ExecuteReader();
        var list = new List<RulePosture>();
        while (r.Read())
        {
            var at = r.GetString(3);
            list.Add(new RulePosture(r.GetString(0), r.GetString(1), r.GetString(2), at, now - LedgerRun.ParseTime(at),
                r.IsDBNull(4) ? defaultFreshness : TimeSpan.FromSeconds(r.GetInt64(4))));
        }

        return list;
    }

    /// <summary>
    /// Finds a run by run id, bundle folder name, or a unique prefix of either; null picks from the end (<paramref name="fromEnd"/> 0 = last).
    /// </summary>
    public (long Seq, string RunId) FindRun(string? reference, int fromEnd)
    {
        using var c = connection.CreateCommand();
        if (reference is null)
        {
            c.CommandText = "SELECT seq, run_id FROM runs ORDER BY seq DESC LIMIT 1 OFFSET $1";
            c.Parameters.AddWithValue("$1", fromEnd);
        }
        else
        {
            c.CommandText = "SELECT seq, run_id FROM runs WHERE run_id = $1 OR bundle = $1 UNION SELECT seq, run_id FROM runs WHERE (substr(run_id, 1, length($1)) = $1 OR substr(bundle, 1, length($1)) = $1) AND NOT EXISTS (SELECT 1 FROM runs WHERE run_id = $1 OR bundle = $1) LIMIT 2";
            c.Parameters.AddWithValue("$1", reference);
        }

        using var r = c.ExecuteReader();
        if (!r.Read())
        {
            throw new LedgerException(reference is null
                ? $"the ledger holds fewer than {fromEnd + 1} run(s); diff needs two"
                : $"no run '{reference}' in the ledger; 'evidencebot history' lists the runs (give a run id, a bundle folder name, or a unique prefix)");
        }

        var found = (r.GetInt64(0), r.GetString(1));
        if (reference is not null && r.Read())
            throw new LedgerException($"'{reference}' matches more than one run; give more of the run id");
        return found;
    }

    /// <summary>Controls, rule executions and findings whose status differs between the two runs.</summary>
    public LedgerDiff Diff(long seqA, string runA, long seqB, string runB)
    {
        var changes = new List<DiffChange>();
        const string rules = "SELECT rule_id || ' (' || target || ')', verdict FROM executions WHERE run_seq = $1";
        var rulesA = Statuses(rules, seqA);
        var rulesB = Statuses(rules, seqB);
        var notRunInB = rulesA.Keys.Count(k => !rulesB.ContainsKey(k));
        if (notRunInB == 0)
        {
            Compare("control", Statuses("SELECT control_id, status FROM control_status WHERE run_seq = $1", seqA),
                Statuses("SELECT control_id, status FROM control_status WHERE run_seq = $1", seqB), changes);
        }

        // A rule execution run B did not run is not 'removed': it did not run. Only what both ran, or B added, is compared.
        Compare("rule", notRunInB == 0 ? rulesA : rulesA.Where(p => rulesB.ContainsKey(p.Key)).ToDictionary(), rulesB, changes);
        const string findings = "SELECT e.rule_id || ' (' || e.target || ') ' || f.resource, f.status FROM findings f JOIN executions e ON e.run_seq = f.run_seq AND e.idx = f.idx WHERE f.run_seq = $1";
        var findingsA = Statuses(findings, seqA);
        if (notRunInB > 0)
            findingsA = findingsA.Where(p => rulesB.Keys.Any(k => p.Key.StartsWith(k + " ", StringComparison.Ordinal))).ToDictionary();
        Compare("finding", findingsA, Statuses(findings, seqB), changes);
        return new LedgerDiff(runA, runB, changes, notRunInB);
    }

    private static void Compare(string kind, Dictionary<string, string> a, Dictionary<string, string> b, List<DiffChange> changes)
    {
        foreach (var key in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            var before = a.GetValueOrDefault(key);
            var after = b.GetValueOrDefault(key);
            if (before != after)
                changes.Add(new DiffChange(kind, key, before, after));
        }
    }

    private Dictionary<string, string> Statuses(string sql, long seq)
    {
        using var c = connection.CreateCommand();
        c.CommandText = sql;
        c.Parameters.AddWithValue("$1", seq);
        using var r = c.ExecuteReader();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read())
        {
            // A resource a rule reports twice keeps its worst status.
            var key = r.GetString(0);
            var status = r.GetString(1);
            map[key] = map.TryGetValue(key, out var seen) ? LedgerControl.Combine([seen, status]) : status;
        }

        return map;
    }

    private List<TimelineEntry> Read(string sql, params object[] args)
    {
        using var c = connection.CreateCommand();
        c.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
            c.Parameters.AddWithValue("$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), args[i]);
        using var r = c.ExecuteReader();
        var list = new List<TimelineEntry>();
        while (r.Read())
            list.Add(new TimelineEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)));
        return list;
    }
}
