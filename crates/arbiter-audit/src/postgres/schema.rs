//! The database's tables, created and migrated by the program: a versioned migration table,
//! each migration applied once, in order, under an advisory lock (replicas starting together
//! migrate once), and a database whose schema is newer than this program knows is refused.

use postgres::Client;

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`. Never edit one that shipped;
/// append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the chain, its head, and the bundle archive.
    r"
    CREATE TABLE arbiter_decisions (
        -- The record's sequence number (also inside the record, which the hash covers).
        seq         bigint PRIMARY KEY,
        -- The record's canonical JSON line, exactly as the file log writes it.
        record      text NOT NULL,
        -- Copies of the record's fields for `audit query`; the record is the evidence, and
        -- every row a query returns is checked against its own record.
        decision_id text NOT NULL,
        created_at  timestamptz NOT NULL,
        replica     text,
        outcome     text NOT NULL,
        chosen      text,
        bundle_hash text NOT NULL,
        task_name   text NOT NULL,
        -- When the row was committed (the database's clock; not covered by the hash).
        stored_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX arbiter_decisions_decision_id ON arbiter_decisions (decision_id);
    CREATE INDEX arbiter_decisions_created_at ON arbiter_decisions (created_at);
    CREATE INDEX arbiter_decisions_chosen ON arbiter_decisions (chosen, bundle_hash);
    CREATE INDEX arbiter_decisions_bundle_hash ON arbiter_decisions (bundle_hash);

    -- One row: the chain's last sequence number and hash. Appends take it FOR UPDATE, so that
    -- appends from every replica form one gap-free sequence.
    CREATE TABLE arbiter_chain_head (
        id   integer PRIMARY KEY CHECK (id = 1),
        seq  bigint NOT NULL,
        hash text NOT NULL
    );
    INSERT INTO arbiter_chain_head (id, seq, hash)
        VALUES (1, 0, 'sha256:0000000000000000000000000000000000000000000000000000000000000000');

    -- Every bundle that made a recorded decision, stored once under its hash, re-hashed when
    -- read back.
    CREATE TABLE arbiter_bundles (
        hash      text PRIMARY KEY,
        stored_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE arbiter_bundle_files (
        hash    text NOT NULL REFERENCES arbiter_bundles (hash),
        path    text NOT NULL,
        content bytea NOT NULL,
        PRIMARY KEY (hash, path)
    );
    ",
];

/// The schema version this program writes and reads.
pub(crate) const LATEST: i32 = MIGRATIONS.len() as i32;

/// A key for `pg_advisory_xact_lock`, so that concurrent starts migrate one at a time.
const MIGRATION_LOCK: i64 = 0x6172_6269_7465_7201; // "arbiter" + 1

/// Why the schema could not be brought to [`LATEST`].
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The database refused a statement.
    Database(postgres::Error),
    /// The database's schema is newer than this program's.
    Newer(i32),
}

impl From<postgres::Error> for MigrateError {
    fn from(e: postgres::Error) -> Self {
        MigrateError::Database(e)
    }
}

/// Creates or migrates the tables to [`LATEST`], in one transaction.
pub(crate) fn migrate(client: &mut Client) -> Result<(), MigrateError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS arbiter_schema_migrations (
            version    integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now(),
            applied_by text NOT NULL
        )",
    )?;
    let current: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM arbiter_schema_migrations",
            &[],
        )?
        .get(0);
    if current > LATEST {
        return Err(MigrateError::Newer(current));
    }
    let by = format!("arbiter {}", env!("CARGO_PKG_VERSION"));
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i32 + 1;
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO arbiter_schema_migrations (version, applied_by) VALUES ($1, $2)",
            &[&version, &by],
        )?;
        tracing::info!(version, "decision store: schema migrated");
    }
    tx.commit()?;
    Ok(())
}
