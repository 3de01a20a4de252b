//! The PostgreSQL decision store: the same records as the file log, in one database that
//! several replicas share (ARCHITECTURE.md, invariants on the log).
//!
//! - **One chain across replicas.** An append takes the chain head (`arbiter_chain_head`, one
//!   row) `FOR UPDATE` in the transaction that inserts its records, so appends from every
//!   replica form one gap-free sequence; the commit (synchronous commit on) returns before the
//!   caller is answered. Within a replica, decisions waiting to be recorded are written by one
//!   writer thread, as many as are waiting in one transaction: one commit, one WAL flush, for
//!   all of them (group commit, as the file log shares one `fsync`).
//! - **The same records.** Each row holds the record's canonical line, byte for byte what the
//!   file log writes, so verify, show, replay and diff read rows (in `seq` order) exactly as
//!   they read lines, and the same tampering is found: an updated row (edited), a deleted row
//!   (a gap), an inserted row, rows whose records were swapped (reordered). Deleting the last
//!   rows is found too, against the chain head row.
//! - **Bundles** in `arbiter_bundles`/`arbiter_bundle_files`, stored once under their hash and
//!   hashed again when read back.
//! - **Failure.** A lost connection fails the append (the caller answers 503: never a decision
//!   answered but not recorded); connections are made again on the next use, after a backoff
//!   that doubles from 100 ms to 5 s while the database stays unreachable, and
//!   [`PgStore::ready`] says whether it is reachable now.

mod schema;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arbiter_engine::bundle::{Bundle, Files};
use postgres::{Client, NoTls, Statement};
use serde_json::Value;

use crate::archive::ArchiveError;
use crate::location::DatabaseUrl;
use crate::log::{self, Found, LogError, Problem, Record, Verification, sound_record};
use crate::query::Filter;
use crate::read::Lines;

/// The most records one transaction writes; more wait for the next.
const MAX_BATCH: usize = 256;
/// Rows read per query when reading the chain through.
const PAGE: i64 = 64;
/// Idle connections kept for reading.
const IDLE_READERS: usize = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A decision store in PostgreSQL, for appending and reading. Cheap to share (`Arc`).
pub struct PgStore {
    shared: Arc<Shared>,
    /// The writer thread's queue, started by the first append.
    writer: OnceLock<mpsc::Sender<Append>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.shared.url)
            .field("replica", &self.shared.replica)
            .finish_non_exhaustive()
    }
}

struct Shared {
    config: postgres::Config,
    url: DatabaseUrl,
    replica: Option<String>,
    readers: Mutex<Vec<Client>>,
    health: Mutex<Health>,
    /// Hashes of bundles known to be stored (so each is written once per process).
    stored_bundles: Mutex<HashSet<String>>,
    /// The tables were created or migrated by this process (on its first connection).
    migrated: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Health {
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<String>,
}

/// A decision waiting to be recorded, and where its outcome goes.
struct Append {
    decision_text: String,
    row: RowFields,
    reply: mpsc::SyncSender<Result<(u64, String), Failure>>,
}

/// Why the writer could not record a batch: the message, and whether the database is
/// unreachable (rather than refusing).
#[derive(Clone)]
struct Failure {
    message: String,
    unavailable: bool,
}

/// The record's fields copied into columns, for queries.
struct RowFields {
    decision_id: String,
    created_at: String,
    outcome: String,
    chosen: Option<String>,
    bundle_hash: String,
    task_name: String,
}

impl RowFields {
    fn of(decision: &Value) -> RowFields {
        let text = |pointer: &str| {
            decision
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        RowFields {
            decision_id: text("/decision_id").unwrap_or_default(),
            created_at: text("/created_at").unwrap_or_default(),
            outcome: text("/outcome").unwrap_or_default(),
            chosen: text("/chosen"),
            bundle_hash: text("/bundle/hash").unwrap_or_default(),
            task_name: text("/task/name").unwrap_or_default(),
        }
    }
}

/// Whether an error may pass by itself: no answer from the server (refused, reset, timed out)
/// or a state it leaves (connection exceptions, "starting up", "shutting down", too many
/// connections) — as opposed to a refusal (authentication, no such database, a constraint).
fn transient(e: &postgres::Error) -> bool {
    match e.as_db_error() {
        None => true,
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08") || code.starts_with("57") || code.starts_with("53")
        }
    }
}

fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity().to_lowercase(), db.message()),
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                let text = inner.to_string();
                if !s.contains(&text) {
                    s.push_str(": ");
                    s.push_str(&text);
                }
                source = inner.source();
            }
            s
        }
    }
}

impl Shared {
    fn error(&self, message: impl Into<String>) -> LogError {
        LogError::Database {
            url: self.url.to_string(),
            message: message.into(),
            unavailable: false,
        }
    }

    fn unavailable(&self, message: impl Into<String>) -> LogError {
        LogError::Database {
            url: self.url.to_string(),
            message: message.into(),
            unavailable: true,
        }
    }

    /// A new connection, unless the database failed recently and the backoff has not passed.
    fn connect(&self) -> Result<Client, LogError> {
        {
            let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(at) = health.retry_at
                && let Some(wait) = at.checked_duration_since(Instant::now())
            {
                return Err(self.unavailable(format!(
                    "the database is unreachable ({}); next attempt in {} ms",
                    health.last_error.as_deref().unwrap_or("no detail"),
                    wait.as_millis()
                )));
            }
        }
        let connected = self.config.connect(NoTls).and_then(|mut c| {
            c.batch_execute("SET synchronous_commit TO on")?;
            Ok(c)
        });
        let mut client = match connected {
            Ok(c) => c,
            Err(e) => {
                let message = describe(&e);
                if !transient(&e) {
                    // Refused (a wrong password, no such database): retrying will not help.
                    return Err(
                        self.error(format!("the database refuses the connection: {message}"))
                    );
                }
                self.failed(&message);
                return Err(self.unavailable(format!("cannot connect: {message}")));
            }
        };
        if !self.migrated.load(std::sync::atomic::Ordering::Acquire) {
            schema::migrate(&mut client).map_err(|e| match e {
                schema::MigrateError::Database(e) if transient(&e) => {
                    let message = describe(&e);
                    self.failed(&message);
                    self.unavailable(message)
                }
                schema::MigrateError::Database(e) => {
                    self.error(format!("cannot create the tables: {}", describe(&e)))
                }
                schema::MigrateError::Newer(v) => self.error(format!(
                    "the database's schema is version {v}, newer than this arbiter knows ({}); upgrade arbiter",
                    schema::LATEST
                )),
            })?;
            self.migrated
                .store(true, std::sync::atomic::Ordering::Release);
        }
        self.recovered();
        Ok(client)
    }

    fn failed(&self, message: &str) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << health.failures.min(6))
            .min(MAX_BACKOFF);
        health.failures = health.failures.saturating_add(1);
        health.retry_at = Some(Instant::now() + backoff);
        health.last_error = Some(message.to_string());
        tracing::warn!(store = %self.url, backoff_ms = backoff.as_millis() as u64, "decision store: {message}");
    }

    fn recovered(&self) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        if health.failures > 0 {
            tracing::info!(store = %self.url, "decision store: reachable again");
        }
        *health = Health::default();
    }

    /// Runs `f` on a pooled reading connection (made when none is idle).
    fn read<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, LogError> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut client = match idle {
            Some(c) if !c.is_closed() => c,
            _ => self.connect()?,
        };
        let result = f(&mut client);
        match &result {
            Err(e) if client.is_closed() || transient(e) => {
                let message = describe(e);
                self.failed(&message);
                return Err(self.unavailable(message));
            }
            _ => {
                let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
                if readers.len() < IDLE_READERS {
                    readers.push(client);
                }
            }
        }
        result.map_err(|e| self.error(describe(&e)))
    }
}

impl PgStore {
    /// Connects, and creates or migrates the tables; refuses a database whose schema is newer
    /// than this program knows. `replica` names the replica in every record it appends. With
    /// `wait`, a database that cannot be reached yet is not an error: the store starts
    /// unready (the service answers 503 and `/readyz` says why) and connects, and migrates, when
    /// it first can; a database that refuses (authentication, a newer schema) still is.
    pub fn connect(
        url: &DatabaseUrl,
        replica: Option<String>,
        wait: bool,
    ) -> Result<PgStore, LogError> {
        let mut config: postgres::Config =
            url.secret()
                .parse()
                .map_err(|e: postgres::Error| LogError::Database {
                    url: url.to_string(),
                    message: format!("not a valid PostgreSQL URL: {}", describe(&e)),
                    unavailable: false,
                })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("arbiter");
        }
        let shared = Arc::new(Shared {
            config,
            url: url.clone(),
            replica,
            readers: Mutex::new(Vec::new()),
            health: Mutex::new(Health::default()),
            stored_bundles: Mutex::new(HashSet::new()),
            migrated: std::sync::atomic::AtomicBool::new(false),
        });
        match shared.connect() {
            Ok(client) => shared
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(client),
            Err(e) if wait && e.unavailable() => {
                tracing::warn!(store = %url, "decision store unreachable at start; not ready until it answers: {e}");
            }
            Err(e) => return Err(e),
        }
        Ok(PgStore {
            shared,
            writer: OnceLock::new(),
        })
    }

    /// The store's URL, password masked.
    pub fn url(&self) -> &DatabaseUrl {
        &self.shared.url
    }

    /// Whether the database answers now (a round trip, within a second).
    pub fn ready(&self) -> Result<(), String> {
        self.shared
            .read(|c| c.simple_query("SELECT 1").map(|_| ()))
            .map_err(|e| e.to_string())
    }

    /// Appends a serialised decision (already redacted); returns its record's sequence number
    /// and hash once the transaction holding it has committed.
    pub fn append(&self, decision: &Value) -> Result<(u64, String), LogError> {
        let decision_text = log::canonical_json(decision);
        let (reply, answer) = mpsc::sync_channel(1);
        let append = Append {
            decision_text,
            row: RowFields::of(decision),
            reply,
        };
        let queue = self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new()
                .name("arbiter-pg-writer".into())
                .spawn(move || writer(&shared, &rx));
            if let Err(e) = spawned {
                tracing::error!("decision store: cannot start the writer thread: {e}");
            }
            tx
        });
        queue
            .send(append)
            .map_err(|_| self.shared.error("the writer thread is gone"))?;
        match answer.recv() {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(f)) if f.unavailable => Err(self.shared.unavailable(f.message)),
            Ok(Err(f)) => Err(self.shared.error(f.message)),
            Err(_) => Err(self.shared.error("the writer thread is gone")),
        }
    }

    /// Stores a bundle unless a bundle with its hash is already there (one transaction: a
    /// reader never sees half a bundle; concurrent stores of one bundle all succeed).
    pub fn store_bundle(&self, bundle: &Bundle) -> Result<(), ArchiveError> {
        let known = |s: &Shared| {
            s.stored_bundles
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&bundle.hash)
        };
        if known(&self.shared) {
            return Ok(());
        }
        self.shared
            .read(|c| {
                let mut tx = c.transaction()?;
                let inserted = tx.execute(
                    "INSERT INTO arbiter_bundles (hash) VALUES ($1) ON CONFLICT DO NOTHING",
                    &[&bundle.hash],
                )?;
                if inserted == 1 {
                    let insert = tx.prepare(
                        "INSERT INTO arbiter_bundle_files (hash, path, content) VALUES ($1, $2, $3)",
                    )?;
                    for (path, content) in &bundle.files.0 {
                        tx.execute(&insert, &[&bundle.hash, path, content])?;
                    }
                }
                tx.commit()
            })
            .map_err(|e| ArchiveError::Database {
                unavailable: e.unavailable(),
                message: e.to_string(),
            })?;
        self.shared
            .stored_bundles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(bundle.hash.clone());
        Ok(())
    }

    /// The stored files of a bundle, `None` when none has this hash.
    pub(crate) fn bundle_files(&self, hash: &str) -> Result<Option<Files>, ArchiveError> {
        let rows = self
            .shared
            .read(|c| {
                c.query(
                    "SELECT path, content FROM arbiter_bundle_files WHERE hash = $1",
                    &[&hash],
                )
            })
            .map_err(|e| ArchiveError::Database {
                unavailable: e.unavailable(),
                message: e.to_string(),
            })?;
        if rows.is_empty() {
            return Ok(None);
        }
        let files: BTreeMap<String, Vec<u8>> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(Some(Files(files)))
    }

    /// The chain's rows in `seq` order as log lines (each row's record and a newline), read a
    /// page at a time: what verify, show, replay and diff read.
    pub fn lines(&self) -> Lines<Box<dyn Read + Send>> {
        Lines::new(Box::new(Rows {
            shared: Arc::clone(&self.shared),
            after: i64::MIN,
            buf: Vec::new(),
            pos: 0,
            done: false,
        }))
    }

    /// Verifies the chain from its first row (as [`log::verify`] a file, rows for lines), then
    /// checks that its last record is the chain head the appends continue from: deleting the
    /// newest rows breaks no link, but leaves the head pointing past them.
    pub fn verify(&self) -> Result<Verification, LogError> {
        let mut v = log::verify_with(|| Ok(self.lines())).map_err(|e| self.io(&e))?;
        if v.problem.is_some() {
            return Ok(v);
        }
        let head = self
            .shared
            .read(|c| c.query_opt("SELECT seq, hash FROM arbiter_chain_head WHERE id = 1", &[]))?;
        let Some(head) = head else {
            v.problem = Some(Problem::Edited {
                line: v.verified.max(1),
                detail: "the chain head row is gone".into(),
            });
            v.head = None;
            return Ok(v);
        };
        let (head_seq, head_hash): (i64, String) = (head.get(0), head.get(1));
        let head_seq = u64::try_from(head_seq).unwrap_or(0);
        let (last_seq, last_hash) = v.head.clone().unwrap_or((0, log::GENESIS.to_string()));
        let problem = if head_seq > last_seq {
            Some(Problem::Deleted {
                line: v.verified + 1,
                from: last_seq + 1,
                to: head_seq,
            })
        } else if head_seq < last_seq {
            Some(Problem::Inserted {
                line: usize::try_from(head_seq)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1),
            })
        } else if head_hash != last_hash {
            Some(Problem::Edited {
                line: v.verified.max(1),
                detail: format!(
                    "the chain head row holds hash {head_hash} for record {head_seq}, not its record's"
                ),
            })
        } else {
            None
        };
        if problem.is_some() {
            v.problem = problem;
            v.head = None;
        }
        Ok(v)
    }

    /// The first sound record with this decision id, its position in `seq` order, and what
    /// verifying the chain found; `None` when no row has it.
    pub fn find(&self, decision_id: &str) -> Result<Option<Found>, LogError> {
        let rows = self.shared.read(|c| {
            c.query(
                "SELECT seq, record, (SELECT count(*) FROM arbiter_decisions e WHERE e.seq <= d.seq)
                 FROM arbiter_decisions d WHERE decision_id = $1 ORDER BY seq",
                &[&decision_id],
            )
        })?;
        for row in rows {
            let text: String = row.get(1);
            if let Ok(record) = sound_record(text.as_bytes())
                && record.decision_id() == decision_id
            {
                let position: i64 = row.get(2);
                return Ok(Some(Found {
                    record,
                    line: usize::try_from(position).unwrap_or(usize::MAX),
                    verification: self.verify()?,
                }));
            }
        }
        Ok(None)
    }

    /// The record of this decision, checked against its own hash; `None` when no row has it.
    pub fn lookup(&self, decision_id: &str) -> Result<Option<Record>, LogError> {
        let row = self.shared.read(|c| {
            c.query_opt(
                "SELECT seq, record FROM arbiter_decisions WHERE decision_id = $1 ORDER BY seq LIMIT 1",
                &[&decision_id],
            )
        })?;
        row.map(|r| self.sound(&r)).transpose()
    }

    /// Up to `limit` records, newest first, numbered below `before` (the latest when `None`),
    /// and the number to pass as `before` for the next page, if older records remain.
    pub fn recent(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<(Vec<Record>, Option<u64>), LogError> {
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
        let rows = self.shared.read(|c| {
            c.query(
                "SELECT seq, record FROM arbiter_decisions WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
                &[&before, &fetch],
            )
        })?;
        let more = rows.len() > limit;
        let records = rows
            .iter()
            .take(limit)
            .map(|r| self.sound(r))
            .collect::<Result<Vec<_>, _>>()?;
        let next = more.then(|| records.last().map(|r| r.seq)).flatten();
        Ok((records, next))
    }

    /// The records a filter selects, oldest first: the filter narrows the rows by their
    /// columns, and each row's own record (checked against its hash) must match it too.
    pub fn query(&self, filter: &Filter) -> Result<Vec<Record>, LogError> {
        let mut sql = String::from("SELECT seq, record FROM arbiter_decisions WHERE true");
        let mut params: Vec<Box<dyn postgres::types::ToSql + Sync>> = Vec::new();
        let mut bind =
            |sql: &mut String, clause: &str, value: Box<dyn postgres::types::ToSql + Sync>| {
                params.push(value);
                sql.push_str(&clause.replace('?', &format!("${}", params.len())));
            };
        if let Some(since) = &filter.since {
            bind(
                &mut sql,
                " AND created_at >= ?::text::timestamptz",
                Box::new(since.clone()),
            );
        }
        if let Some(until) = &filter.until {
            bind(
                &mut sql,
                " AND created_at < ?::text::timestamptz",
                Box::new(until.clone()),
            );
        }
        if let Some(chosen) = &filter.chosen {
            bind(&mut sql, " AND chosen = ?", Box::new(chosen.clone()));
        }
        if let Some(outcome) = &filter.outcome {
            bind(&mut sql, " AND outcome = ?", Box::new(outcome.clone()));
        }
        if let Some(bundle) = &filter.bundle {
            bind(
                &mut sql,
                " AND bundle_hash LIKE ? || '%'",
                Box::new(bundle.clone()),
            );
        }
        if let Some(task) = &filter.task {
            bind(&mut sql, " AND task_name = ?", Box::new(task.clone()));
        }
        if let Some(replica) = &filter.replica {
            bind(&mut sql, " AND replica = ?", Box::new(replica.clone()));
        }
        sql.push_str(" ORDER BY seq");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p.as_ref()).collect();
        let rows = self.shared.read(|c| c.query(&sql, &refs))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = self.sound(row)?;
            if filter.matches(&record) {
                out.push(record);
            }
        }
        Ok(out)
    }

    fn sound(&self, row: &postgres::Row) -> Result<Record, LogError> {
        let seq: i64 = row.get(0);
        let text: String = row.get(1);
        sound_record(text.as_bytes()).map_err(|why| LogError::Unsound {
            path: self.shared.url.to_string().into(),
            seq: u64::try_from(seq).unwrap_or(0),
            why,
        })
    }

    fn io(&self, e: &std::io::Error) -> LogError {
        // Rows report database failures as I/O errors of the reader; say them as they are.
        self.shared.unavailable(e.to_string())
    }
}

/// The writer thread: takes every decision waiting, writes them in one transaction, answers
/// each. Ends when the store is dropped.
fn writer(shared: &Shared, queue: &mpsc::Receiver<Append>) {
    let mut connection: Option<(Client, Statement)> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(a) => batch.push(a),
                Err(_) => break,
            }
        }
        let result = match connection.take() {
            Some(c) if !c.0.is_closed() => Ok(c),
            _ => shared.connect().map_err(|e| Failure { message: e.to_string(), unavailable: true }).and_then(|mut c| {
                match c.prepare(
                    "INSERT INTO arbiter_decisions
                         (seq, record, decision_id, created_at, replica, outcome, chosen, bundle_hash, task_name)
                     VALUES ($1, $2, $3, $4::text::timestamptz, $5, $6, $7, $8, $9)",
                ) {
                    Ok(s) => Ok((c, s)),
                    Err(e) => Err(Failure { message: describe(&e), unavailable: true }),
                }
            }),
        }
        .and_then(|(mut client, insert)| {
            let written = write_batch(shared, &mut client, &insert, &batch);
            match written {
                Ok(done) => {
                    connection = Some((client, insert));
                    Ok(done)
                }
                Err(e) => {
                    let message = describe(&e);
                    if client.is_closed() || transient(&e) {
                        shared.failed(&message);
                        Err(Failure { message, unavailable: true })
                    } else {
                        connection = Some((client, insert));
                        Err(Failure { message, unavailable: false })
                    }
                }
            }
        });
        match result {
            Ok(done) => {
                for (append, seq_hash) in batch.into_iter().zip(done) {
                    let _ = append.reply.send(Ok(seq_hash));
                }
            }
            Err(e) => {
                for append in batch {
                    let _ = append.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One transaction: the head locked, the records chained on from it and inserted, the head
/// moved, committed.
fn write_batch(
    shared: &Shared,
    client: &mut Client,
    insert: &Statement,
    batch: &[Append],
) -> Result<Vec<(u64, String)>, postgres::Error> {
    let mut tx = client.transaction()?;
    let head = tx.query_one(
        "SELECT seq, hash FROM arbiter_chain_head WHERE id = 1 FOR UPDATE",
        &[],
    )?;
    let (mut seq, mut prev): (i64, String) = (head.get(0), head.get(1));
    let mut done = Vec::with_capacity(batch.len());
    for a in batch {
        seq += 1;
        let n = u64::try_from(seq).unwrap_or(0);
        let (line, hash) = log::record_line(&a.decision_text, &prev, shared.replica.as_deref(), n);
        let r = &a.row;
        tx.execute(
            insert,
            &[
                &seq,
                &line,
                &r.decision_id,
                &r.created_at,
                &shared.replica,
                &r.outcome,
                &r.chosen,
                &r.bundle_hash,
                &r.task_name,
            ],
        )?;
        done.push((n, hash.clone()));
        prev = hash;
    }
    tx.execute(
        "UPDATE arbiter_chain_head SET seq = $1, hash = $2 WHERE id = 1",
        &[&seq, &prev],
    )?;
    tx.commit()?;
    Ok(done)
}

/// The chain's rows as the bytes of a log: each row's record and a newline, in `seq` order.
struct Rows {
    shared: Arc<Shared>,
    after: i64,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for Rows {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            let after = self.after;
            let rows = self
                .shared
                .read(|c| {
                    c.query(
                        "SELECT seq, record FROM arbiter_decisions WHERE seq > $1 ORDER BY seq LIMIT $2",
                        &[&after, &PAGE],
                    )
                })
                .map_err(std::io::Error::other)?;
            self.done = (rows.len() as i64) < PAGE;
            self.buf.clear();
            self.pos = 0;
            for row in &rows {
                self.after = row.get(0);
                let text: &str = row.get(1);
                self.buf.extend_from_slice(text.as_bytes());
                self.buf.push(b'\n');
            }
            if self.buf.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
