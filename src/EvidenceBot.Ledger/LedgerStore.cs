using Microsoft.Data.Sqlite;

namespace EvidenceBot.Ledger;

/// <summary>The last row of the ledger: what the next run must link to, and the hash the next row chains from.</summary>
internal sealed record LedgerTail(long Seq, string Bundle, string ManifestSha256, string RowHash);

/// <summary>
/// Reads and writes ledger rows. Writes go through prepared statements inside the caller's transaction, so appending a
/// run is one commit: a process killed meanwhile leaves the ledger as it was before that run.
/// </summary>
internal sealed class LedgerStore(SqliteConnection connection) : IDisposable
{
    private SqliteCommand? _run, _execution, _finding, _control, _latestControl, _latestRule, _mappedBefore, _unmap, _map, _combine, _dropControl;

    public SqliteConnection Connection => connection;

    public LedgerTail? Tail()
    {
        using var c = connection.CreateCommand();
        c.CommandText = "SELECT seq, bundle, manifest_sha256, row_hash FROM runs ORDER BY seq DESC LIMIT 1";
        using var r = c.ExecuteReader();
        return r.Read() ? new LedgerTail(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3)) : null;
    }

    public HashSet<string> Bundles()
    {
        using var c = connection.CreateCommand();
        c.CommandText = "SELECT bundle FROM runs";
        using var r = c.ExecuteReader();
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (r.Read())
            set.Add(r.GetString(0));
        return set;
    }

    /// <summary>Appends one run after <paramref name="tail"/> (inside the caller's transaction) and returns the new tail.</summary>
    public LedgerTail Append(LedgerRun run, LedgerTail? tail, SqliteTransaction transaction)
    {
        var seq = (tail?.Seq ?? 0) + 1;
        var rowHash = run.RowHash(tail?.RowHash);
        _run ??= Prepare("INSERT INTO runs(seq, run_id, bundle, started_at, ended_at, created_at, engine_version, signed, key_id, manifest_sha256, previous_sha256, pass, fail, error, not_applicable, row_hash) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)", 16);
        _execution ??= Prepare("INSERT INTO executions(run_seq, idx, rule_id, target, verdict, freshness_s) VALUES($1,$2,$3,$4,$5,$6)", 6);
        _finding ??= Prepare("INSERT INTO findings(run_seq, idx, n, resource, status) VALUES($1,$2,$3,$4,$5)", 5);
        _control ??= Prepare("INSERT INTO control_status(control_id, run_seq, status, freshness_s) VALUES($1,$2,$3,$4)", 4);
        _latestControl ??= Prepare("INSERT OR REPLACE INTO latest_controls(control_id, run_seq, status, freshness_s) VALUES($1,$2,$3,$4)", 4);
        _latestRule ??= Prepare("INSERT OR REPLACE INTO latest_rules(rule_id, target, run_seq, verdict, freshness_s) VALUES($1,$2,$3,$4,$5)", 5);
        _mappedBefore ??= Prepare("SELECT rule_id, target, control_id FROM latest_rule_controls", 0);
        _unmap ??= Prepare("DELETE FROM latest_rule_controls WHERE rule_id = $1 AND target = $2", 2);
        _map ??= Prepare("INSERT OR IGNORE INTO latest_rule_controls(rule_id, target, control_id) VALUES($1,$2,$3)", 3);
        _combine ??= Prepare(CombinedControl, 1);
        _dropControl ??= Prepare("DELETE FROM latest_controls WHERE control_id = $1", 1);
        foreach (var c in new[] { _run, _execution, _finding, _control, _latestControl, _latestRule, _mappedBefore, _unmap, _map, _combine, _dropControl })
            c.Transaction = transaction;

        Run(_run, seq, run.RunId, run.Bundle, run.StartedAt, run.EndedAt, run.CreatedAt, run.EngineVersion, run.Signed ? 1 : 0, run.KeyId,
            run.ManifestSha256, run.PreviousSha256, run.Count("pass"), run.Count("fail"), run.Count("error"), run.Count("not_applicable"), rowHash);
        // Controls whose current status may change: those this run's executions map to, and those they mapped to before.
        var touched = new SortedSet<string>(run.Controls.Select(c => c.ControlId), StringComparer.Ordinal);
        var mapped = new Dictionary<(string, string), List<string>>();
        using (var m = _mappedBefore.ExecuteReader())
        {
            while (m.Read())
            {
                var key = (m.GetString(0), m.GetString(1));
                if (!mapped.TryGetValue(key, out var list))
                    mapped[key] = list = [];
                list.Add(m.GetString(2));
            }
        }

        foreach (var e in run.Executions)
        {
            Run(_execution, seq, e.Index, e.RuleId, e.Target, e.Verdict, e.FreshnessSeconds);
            Run(_latestRule, e.RuleId, e.Target, seq, e.Verdict, e.FreshnessSeconds);
            for (var n = 0; n < e.Findings.Count; n++)
                Run(_finding, seq, e.Index, n, e.Findings[n].Resource, e.Findings[n].Status);
            var before = mapped.GetValueOrDefault((e.RuleId, e.Target)) ?? [];
            touched.UnionWith(before);
            touched.UnionWith(e.Controls);
            if (before.Count == e.Controls.Count && before.ToHashSet(StringComparer.Ordinal).SetEquals(e.Controls))
                continue; // the usual case: the rule maps to what it mapped to last time
            Run(_unmap, e.RuleId, e.Target);
            foreach (var control in e.Controls)
                Run(_map, e.RuleId, e.Target, control);
        }

        foreach (var c in run.Controls)
            Run(_control, c.ControlId, seq, c.Status, c.FreshnessSeconds);

        // Each touched control's current status: over the newest execution of every (rule, target) mapped to it.
        foreach (var control in touched)
        {
            _combine.Parameters[0].Value = control;
            using var r = _combine.ExecuteReader();
            if (r.Read() && !r.IsDBNull(0))
            {
                var (status, runSeq, freshness) = (r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? (long?)null : r.GetInt64(2));
                r.Close();
                Run(_latestControl, control, runSeq, status, freshness);
            }
            else
            {
                r.Close();
                Run(_dropControl, control);
            }
        }

        return new LedgerTail(seq, run.Bundle, run.ManifestSha256, rowHash);
    }

    /// <summary>
    /// A control's current status over the newest execution of every (rule, target) mapped to it, combined as
    /// <see cref="LedgerControl.Combine"/> does; the run of its oldest such evidence (its age is the oldest part's, so
    /// stale evidence anywhere shows); the shortest freshness. <c>ledger verify</c> derives the table with the same query.
    /// </summary>
    internal const string CombinedControl = "SELECT " + CombinedStatus + ", MIN(l.run_seq), MIN(l.freshness_s) " + MappedNewest + " WHERE m.control_id = $1";

    /// <summary>Every control's current status, as <c>latest_controls</c> holds it: what <c>ledger verify</c> derives the table from.</summary>
    internal const string CombinedControls = "SELECT m.control_id, MIN(l.run_seq), " + CombinedStatus + ", MIN(l.freshness_s) " + MappedNewest + " GROUP BY m.control_id";

    // LedgerControl.Combine in SQL: fail, else error, else waived, else pass, else not_applicable.
    private const string CombinedStatus =
        "CASE WHEN SUM(l.verdict = 'fail') > 0 THEN 'fail' WHEN SUM(l.verdict = 'error') > 0 THEN 'error' " +
        "WHEN SUM(l.verdict = 'waived') > 0 THEN 'waived' WHEN SUM(l.verdict = 'pass') > 0 THEN 'pass' ELSE 'not_applicable' END";

    // The newest execution of every (rule, target), with each control it maps to.
    private const string MappedNewest = "FROM latest_rule_controls m JOIN latest_rules l ON l.rule_id = m.rule_id AND l.target = m.target";

    /// <summary>Every run in order with its stored row hash, read back into the same shape the bundles give.</summary>
    public IEnumerable<(long Seq, LedgerRun Run, string RowHash)> Runs()
    {
        using var runs = connection.CreateCommand();
        runs.CommandText = "SELECT seq, run_id, bundle, started_at, ended_at, created_at, engine_version, signed, key_id, manifest_sha256, previous_sha256, row_hash FROM runs ORDER BY seq";
        using var executions = connection.CreateCommand();
        executions.CommandText = "SELECT idx, rule_id, target, verdict, freshness_s FROM executions WHERE run_seq = $1 ORDER BY idx";
        executions.Parameters.Add(new SqliteParameter("$1", 0L));
        using var findings = connection.CreateCommand();
        findings.CommandText = "SELECT idx, resource, status FROM findings WHERE run_seq = $1 ORDER BY idx, n";
        findings.Parameters.Add(new SqliteParameter("$1", 0L));
        using var controls = connection.CreateCommand();
        controls.CommandText = "SELECT control_id, status, freshness_s FROM control_status WHERE run_seq = $1 ORDER BY control_id";
        controls.Parameters.Add(new SqliteParameter("$1", 0L));
        using var r = runs.ExecuteReader();
        while (r.Read())
        {
            var seq = r.GetInt64(0);
            executions.Parameters[0].Value = seq;
            findings.Parameters[0].Value = seq;
            controls.Parameters[0].Value = seq;
            var byIndex = new Dictionary<int, List<LedgerFinding>>();
            using (var f = findings.ExecuteReader())
            {
                while (f.Read())
                {
                    var idx = f.GetInt32(0);
                    if (!byIndex.TryGetValue(idx, out var list))
                        byIndex[idx] = list = [];
                    list.Add(new LedgerFinding(f.GetString(1), f.GetString(2)));
                }
            }

            var execs = new List<LedgerExecution>();
            using (var e = executions.ExecuteReader())
            {
                while (e.Read())
                {
                    var idx = e.GetInt32(0);
                    execs.Add(new LedgerExecution(idx, e.GetString(1), e.GetString(2), e.GetString(3), e.IsDBNull(4) ? null : e.GetInt64(4))
                    {
                        Findings = byIndex.TryGetValue(idx, out var list) ? list : [],
                    });
                }
            }

            var ctrls = new List<LedgerControl>();
            using (var c = controls.ExecuteReader())
            {
                while (c.Read())
                    ctrls.Add(new LedgerControl(c.GetString(0), c.GetString(1), c.IsDBNull(2) ? null : c.GetInt64(2)));
            }

            yield return (seq, new LedgerRun
            {
                RunId = r.GetString(1),
                Bundle = r.GetString(2),
                StartedAt = r.GetString(3),
                EndedAt = r.GetString(4),
                CreatedAt = r.GetString(5),
                EngineVersion = r.GetString(6),
                Signed = r.GetInt64(7) != 0,
                KeyId = r.IsDBNull(8) ? null : r.GetString(8),
                ManifestSha256 = r.GetString(9),
                PreviousSha256 = r.IsDBNull(10) ? null : r.GetString(10),
                Executions = execs,
                Controls = ctrls,
            }, r.GetString(11));
        }
    }

    /// <summary>
    /// A canonical text of every table, row by row in key order: equal dumps mean equal ledgers, whatever the file bytes
    /// (page layout, free pages, WAL state) say. The schema version is part of it.
    /// </summary>
    public string Dump()
    {
        var s = new System.Text.StringBuilder();
        s.Append("user_version\t").Append(LedgerSchema.Version(connection)).Append('\n');
        foreach (var (table, order) in new[]
        {
            ("runs", "seq"), ("executions", "run_seq, idx"), ("findings", "run_seq, idx, n"), ("control_status", "control_id, run_seq"),
            ("latest_controls", "control_id"), ("latest_rules", "rule_id, target"),
        })
        {
            using var c = connection.CreateCommand();
            c.CommandText = $"SELECT * FROM {table} ORDER BY {order}";
            using var r = c.ExecuteReader();
            s.Append("table\t").Append(table).Append('\n');
            while (r.Read())
            {
                for (var i = 0; i < r.FieldCount; i++)
                    s.Append(i == 0 ? "" : "\t").Append(r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture));
                s.Append('\n');
            }
        }

        return s.ToString();
    }

    public void Dispose()
    {
        foreach (var c in new[] { _run, _execution, _finding, _control, _latestControl, _latestRule })
            c?.Dispose();
    }

    private SqliteCommand Prepare(string sql, int parameters)
    {
        var c = connection.CreateCommand();
        c.CommandText = sql;
        for (var i = 1; i <= parameters; i++)
            c.Parameters.Add(new SqliteParameter("$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
        return c;
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        command.ExecuteNonQuery();
    }
}
