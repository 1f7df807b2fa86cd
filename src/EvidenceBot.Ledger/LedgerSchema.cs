using Microsoft.Data.Sqlite;

namespace EvidenceBot.Ledger;

/// <summary>
/// The ledger's tables and their migrations, in order. <c>PRAGMA user_version</c> holds the version a file is at; opening
/// a ledger applies the missing migrations in one transaction each. A file newer than this build is refused, not guessed at.
/// </summary>
internal static class LedgerSchema
{
    /// <summary>Migration <c>i</c> takes a ledger from version <c>i</c> to <c>i + 1</c>.</summary>
    internal static readonly string[] Migrations =
    [
        // v1: runs in chain order, their executions, findings, and per-control status.
        """
        CREATE TABLE runs(
            seq INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL UNIQUE,
            bundle TEXT NOT NULL UNIQUE,
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            engine_version TEXT NOT NULL,
            signed INTEGER NOT NULL,
            key_id TEXT,
            manifest_sha256 TEXT NOT NULL UNIQUE,
            previous_sha256 TEXT,
            pass INTEGER NOT NULL, fail INTEGER NOT NULL, error INTEGER NOT NULL, not_applicable INTEGER NOT NULL,
            row_hash TEXT NOT NULL);
        CREATE INDEX runs_ended ON runs(ended_at);
        CREATE TABLE executions(
            run_seq INTEGER NOT NULL REFERENCES runs(seq),
            idx INTEGER NOT NULL,
            rule_id TEXT NOT NULL,
            target TEXT NOT NULL,
            verdict TEXT NOT NULL,
            freshness_s INTEGER,
            PRIMARY KEY(run_seq, idx)) WITHOUT ROWID;
        CREATE INDEX executions_rule ON executions(rule_id, run_seq);
        CREATE TABLE findings(
            run_seq INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            n INTEGER NOT NULL,
            resource TEXT NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY(run_seq, idx, n)) WITHOUT ROWID;
        CREATE TABLE control_status(
            control_id TEXT NOT NULL,
            run_seq INTEGER NOT NULL,
            status TEXT NOT NULL,
            freshness_s INTEGER,
            PRIMARY KEY(control_id, run_seq)) WITHOUT ROWID;
        """,
        // v2: the newest status of every control and every (rule, target), kept up to date on append, so 'status' and
        // 'controls coverage --ledger' read a few hundred rows instead of scanning a year of executions.
        """
        CREATE TABLE latest_controls(
            control_id TEXT PRIMARY KEY,
            run_seq INTEGER NOT NULL,
            status TEXT NOT NULL,
            freshness_s INTEGER) WITHOUT ROWID;
        INSERT INTO latest_controls(control_id, run_seq, status, freshness_s)
            SELECT c.control_id, c.run_seq, c.status, c.freshness_s FROM control_status c
            WHERE c.run_seq = (SELECT MAX(run_seq) FROM control_status m WHERE m.control_id = c.control_id);
        CREATE TABLE latest_rules(
            rule_id TEXT NOT NULL,
            target TEXT NOT NULL,
            run_seq INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            freshness_s INTEGER,
            PRIMARY KEY(rule_id, target)) WITHOUT ROWID;
        INSERT INTO latest_rules(rule_id, target, run_seq, verdict, freshness_s)
            SELECT e.rule_id, e.target, e.run_seq, e.verdict, e.freshness_s FROM executions e
            WHERE e.run_seq = (SELECT MAX(run_seq) FROM executions m WHERE m.rule_id = e.rule_id AND m.target = e.target);
        """,
        // v3: a run's control statuses by run (diff reads two runs; the primary key is by control, for history).
        """
        CREATE INDEX control_status_run ON control_status(run_seq);
        """,
        // v4: the controls the newest execution of each (rule, target) maps to. latest_controls then combines every rule
        // mapped to a control, whichever run each last ran in: a run of some rules only (--rule, a shard, a service slot)
        // no longer stands for the whole control. A ledger from before v4 has no mappings: 'ledger verify' says so
        // (latest.stale) until 'ledger rebuild' reads them from the bundles.
        """
        CREATE TABLE latest_rule_controls(
            rule_id TEXT NOT NULL,
            target TEXT NOT NULL,
            control_id TEXT NOT NULL,
            PRIMARY KEY(rule_id, target, control_id)) WITHOUT ROWID;
        CREATE INDEX latest_rule_controls_control ON latest_rule_controls(control_id);
        """,
    ];

    public static int Current => Migrations.Length;

    /// <summary>Opens (creating when missing) a ledger file in WAL mode and brings its schema up to date.</summary>
    public static SqliteConnection Open(string path, int upTo = -1)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            // Runs that end together take turns at the write lock instead of failing.
            DefaultTimeout = 60,
        }.ToString());
        connection.Open();
        try
        {
            // WAL: readers (history, status) never block a run appending, and a killed writer leaves the last commit intact.
            Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=60000; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=8388608;");
            // Closing the last connection would copy the log into the file and sync both on every run, a third of an
            // append's time. Instead the log is kept, and CheckpointWhenLarge empties it every few runs.
            SQLitePCL.raw.sqlite3_db_config(connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
            var target = upTo < 0 ? Current : upTo;
            // The common case, a ledger already at this version, needs no write lock; an older one is migrated under it.
            if (Version(connection) != target)
                Migrate(connection, target, path);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing ledger without creating or migrating it (read-only commands on a ledger that must exist).</summary>
    public static SqliteConnection OpenExisting(string path)
    {
        if (!File.Exists(path))
            throw new LedgerException($"{path}: no ledger here; a run with the ledger enabled writes one, or 'evidencebot ledger rebuild --out DIR' builds it from the bundles");
        return Open(path);
    }

    /// <summary>The size of the write-ahead log past which a writer empties it into the file (about five runs of 200 executions).</summary>
    internal const long CheckpointAtBytes = 4L * 1024 * 1024;

    /// <summary>
    /// Copies the write-ahead log into the file and empties it once it is over <see cref="CheckpointAtBytes"/>. Called by
    /// a writer after its commit, on its own connection: a later connection cannot do it, as every first connection of a
    /// process rebuilds its index of the log and starts its checkpoint accounting from zero, so SQLite's own automatic
    /// checkpoint would never empty a log that no connection closes with a checkpoint. A reader holding the log back
    /// (a long query) only postpones it: the wait is short and the next run tries again.
    /// </summary>
    public static void CheckpointWhenLarge(SqliteConnection connection, string path, long atBytes = CheckpointAtBytes)
    {
        var wal = new FileInfo(path + "-wal");
        if (!wal.Exists || wal.Length < atBytes)
            return;
        Execute(connection, "PRAGMA busy_timeout=200; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA busy_timeout=60000;");
    }

    public static int Version(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Migrate(SqliteConnection connection, int target, string path)
    {
        using (var begin = connection.CreateCommand())
        {
            // Take the write lock before reading the version: two runs opening a new ledger must not both migrate it.
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        try
        {
            var version = Version(connection);
            if (version > Current)
                throw new LedgerException($"{path}: ledger schema version {version} is newer than this evidencebot understands ({Current}); use a newer evidencebot");
            for (var v = version; v < target; v++)
                Execute(connection, Migrations[v] + $"\nPRAGMA user_version = {v + 1};");
            Execute(connection, "COMMIT");
        }
        catch
        {
            Execute(connection, "ROLLBACK");
            throw;
        }
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>A ledger problem the user can act on; the message says what to do.</summary>
internal sealed class LedgerException(string message, Exception? inner = null) : Exception(message, inner);
