//! The PostgreSQL store: the same records and guarantees as the sled store, in a
//! database that several guichet workers share.
//!
//! Client: `tokio-postgres` through a `deadpool-postgres` pool, without TLS (the
//! database is reached on a trusted network or a local socket). The store's methods
//! are synchronous, as the rest of the host expects; they run their queries on a
//! small runtime of the store's own and wait for the answer, so they may be called
//! from any thread, the HTTP server's included (like sled's, they block it: for
//! their round trips, at most 30 s for a pooled connection, at most 30 s for a
//! lock, `lock_timeout`).
//!
//! Why this client: it is asynchronous and pure Rust (no libpq, no TLS stack unless
//! asked), with a pool and a per-connection statement cache (a prepared statement
//! is one round trip, an unprepared one two: preparing them doubled the workers
//! bench's throughput on PostgreSQL). With the pool it adds 30 packages to
//! `Cargo.lock` (some for other platforms only); sqlx with only its `postgres` and
//! `runtime-tokio` features adds 41; diesel links the C libpq; the synchronous
//! `postgres` crate runs a runtime of its own per client, which panics when called
//! from inside the HTTP server's.
//!
//! Schema: `host/migrations/postgres/NNNN_*.sql`, applied in order at connection
//! under an advisory lock (workers starting together apply each once) and recorded
//! in `schema_migrations`; a database with a newer version than this build knows is
//! refused ([`StoreError::NewerSchema`]).
//!
//! Durability: a method returns once its transaction is committed, so with
//! PostgreSQL's default `synchronous_commit = on` an acknowledged event is on disk.
//!
//! Several workers: each registers under a random id and beats a heartbeat every
//! [`HEARTBEAT`]; the pending events a worker enqueued or took are its own, and
//! those of a worker whose heartbeat is older than [`STALE_AFTER`] (or that left)
//! are taken over by the others ([`Workers::take_over`]). An event is committed only
//! while it is pending and no earlier event of its ticket is ([`EventLog::commit_event`],
//! under a transaction-level advisory lock on its ticket), so each event is applied
//! once and a ticket's events in order, whoever processes them. A role
//! ([`Role`]) is held by the worker whose session holds its session-level advisory
//! lock: PostgreSQL lets go of it when that session ends: at once when the worker's
//! process dies (its connections close), within about 8 s when its machine is lost
//! (the server's TCP keepalives, [`SERVER_OPTIONS`]).
//!
//! Why a read of the ticket's first pending event, and not a lock or a claim per
//! event: measured side by side in `BENCHMARKS.md` (section 6, medians of one run:
//! 89, 98 and 305 µs), the read is one round trip, a session advisory lock taken
//! and let go two (and a session held per pipeline thread), a claim with `FOR
//! UPDATE SKIP LOCKED` a committed write (a WAL flush per event). The commit checks
//! the order again under the ticket's transaction-level lock, so the read only
//! saves work.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use deadpool_postgres::{Object, Pool};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::{
    AuditRecord, Enqueued, EventCommit, EventLog, INBOUND_REFUSALS_KEPT, InboundDelivery,
    InboundEnqueued, InboundRefusal, InstalledPlugin, KpiFacts, OutboxItem, OutboxStore,
    PluginStorage, PluginStore, PluginVersion, Readiness, Role, ShadowRecord, StoreError,
    StoreResult, StoredEvent, Suspension, Tenant, TenantStore, TicketFilter, TicketStore, Timer,
    TimerChange, TimerStore, TokenRecord, Webhook, Workers, shadow_prefix,
};
use crate::diff::{DiffSummary, EventDiff, Verdict};
use crate::model::{Event, Identity, Ticket, Timestamp};

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] =
    &[(1, include_str!("../../migrations/postgres/0001_schema.sql"))];

/// How often a worker beats its heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// After how long without a heartbeat a worker's pending events go to the others.
pub const STALE_AFTER: Duration = Duration::from_secs(3);

/// How many shards the outbox backlog counter has: commits of different tenants
/// add to different rows, so they do not wait on one row's lock.
const BACKLOG_SHARDS: u64 = 16;

/// How many times a transaction that PostgreSQL aborted for a deadlock or a
/// serialization failure is run again.
const RETRIES: usize = 5;

/// The PostgreSQL store. See the module documentation.
pub struct PgStore {
    pool: Pool,
    /// The runtime the queries run on; taken at drop (shut down in the background,
    /// so that dropping the store inside another runtime does not panic).
    _runtime: RuntimeGuard,
    handle: tokio::runtime::Handle,
    worker: String,
    /// The connection settings: the URL's, with timeouts and keepalives (see
    /// [`configure`]).
    config: tokio_postgres::Config,
    /// Per role: the session that holds it, or tries to.
    roles: Mutex<HashMap<Role, RoleSession>>,
}

/// A role's session: its own connection (not the pool's), whose session-level
/// advisory lock holds the role while it lives.
#[derive(Default)]
struct RoleSession {
    client: Option<tokio_postgres::Client>,
    held: bool,
    /// When this worker last tried to take the role: a worker that does not hold
    /// it tries at most every [`ROLE_RETRY`].
    tried: Option<std::time::Instant>,
}

/// How often a worker that does not hold a role tries to take it.
pub const ROLE_RETRY: Duration = Duration::from_secs(1);

/// The first key of the two-key advisory locks of roles and migrations: PostgreSQL
/// keeps two-key locks apart from the one-key locks of tickets, so no ticket id can
/// collide with them.
const LOCK_CLASS: i32 = 0x6775_6963; // "guic"

/// The settings guichet adds to every connection, after the URL's own `options`:
/// the server drops a connection whose client stopped answering within about 8 s
/// (TCP keepalives), ends a transaction left idle for 30 s and a lock wait of 30 s,
/// so that a worker whose machine is lost does not hold its locks for hours.
const SERVER_OPTIONS: &str = "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=1 \
     -c tcp_keepalives_count=3 -c idle_in_transaction_session_timeout=30000 \
     -c lock_timeout=30000";

/// The connection settings of `url` (libpq's URL form), with a connect timeout
/// (10 s), client keepalives and [`SERVER_OPTIONS`].
fn configure(url: &str) -> StoreResult<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Backend(format!("the store is not a PostgreSQL URL: {e}")))?;
    config
        .connect_timeout(Duration::from_secs(10))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(5))
        .keepalives_interval(Duration::from_secs(1))
        .keepalives_retries(3);
    let options = match config.get_options() {
        Some(own) if !own.is_empty() => format!("{own} {SERVER_OPTIONS}"),
        _ => SERVER_OPTIONS.to_string(),
    };
    config.options(&options);
    Ok(config)
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        match e.as_db_error() {
            Some(db) => {
                StoreError::Backend(format!("postgres: {} ({})", db.message(), db.code().code()))
            }
            None => StoreError::Backend(format!("postgres: {e}")),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> StoreError {
        StoreError::Backend(format!("postgres pool: {e}"))
    }
}

/// Whether PostgreSQL aborted a transaction that may succeed when run again.
fn retriable(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            || *c == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
    })
}

/// A query's failure inside a transaction: the database's error (maybe worth a
/// retry), or the store's own.
enum TxError {
    Db(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for TxError {
    fn from(e: tokio_postgres::Error) -> TxError {
        TxError::Db(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> TxError {
        TxError::Store(e)
    }
}

type TxResult<T> = Result<T, TxError>;

/// What a transaction's body returns (boxed: its borrow of the transaction is in
/// its type).
type TxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = TxResult<T>> + Send + 'a>>;

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("records serialise")
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        key: what.to_string(),
        reason: e.to_string(),
    })
}

/// Microseconds since 1970-01-01 UTC.
fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

fn from_micros(us: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_micros(us).unwrap_or_default()
}

fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The first byte string after every one that starts with `prefix`; none when
/// there is none (all 0xFF).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The lane of an event: its ticket's id, empty for a tick.
fn lane(event: &Event) -> String {
    event
        .ticket
        .as_ref()
        .map(|t| t.id.clone())
        .unwrap_or_default()
}

/// A 64-bit key for an advisory lock on `text` (FNV-1a: stable across builds).
fn lock_key(text: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

fn backlog_shard(tenant: &str) -> String {
    format!(
        "outbox_backlog/{}",
        (lock_key(tenant) as u64) % BACKLOG_SHARDS
    )
}

fn random_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    format!("{:016x}", u64::from_be_bytes(bytes))
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`, libpq's
    /// URL form), applies the migrations it lacks, and registers this process as a
    /// worker. Errors: [`StoreError::Backend`] when the database cannot be reached,
    /// [`StoreError::NewerSchema`] when a newer guichet migrated it.
    pub fn connect(url: &str) -> StoreResult<PgStore> {
        let config = configure(url)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("guichet-postgres")
            .enable_all()
            .build()
            .map_err(backend)?;
        let handle = runtime.handle().clone();
        // Until the store owns it: dropped on an error below, inside the service's
        // own runtime, it must not block.
        let runtime = RuntimeGuard(Some(runtime));
        let manager = deadpool_postgres::Manager::from_config(
            config.clone(),
            NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = {
            let _entered = handle.enter();
            Pool::builder(manager)
                .max_size(16)
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .wait_timeout(Some(Duration::from_secs(30)))
                .create_timeout(Some(Duration::from_secs(10)))
                .build()
                .map_err(backend)?
        };
        let store = PgStore {
            pool,
            _runtime: runtime,
            handle,
            config,
            worker: random_id(),
            roles: Mutex::new(HashMap::new()),
        };
        store.migrate()?;
        let worker = store.worker.clone();
        store.tx(move |tx| {
            let worker = worker.clone();
            Box::pin(async move {
                x_exec(
                    tx,
                    "INSERT INTO workers (id, heartbeat_at) VALUES ($1, now())",
                    &[&worker],
                )
                .await?;
                Ok(())
            })
        })?;
        // The heartbeat, on a connection of its own (a busy pool must not make a
        // live worker look dead): while this process lives, its events are its own.
        let (config, worker) = (store.config.clone(), store.worker.clone());
        store.handle.spawn(async move {
            let mut session: Option<tokio_postgres::Client> = None;
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if session.as_ref().is_none_or(|c| c.is_closed()) {
                    session = match config.connect(NoTls).await {
                        Ok((client, connection)) => {
                            tokio::spawn(connection);
                            Some(client)
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "postgres: heartbeat cannot connect");
                            None
                        }
                    };
                }
                let Some(client) = &session else { continue };
                let params: [&(dyn ToSql + Sync); 1] = [&worker];
                let beat = client.execute(
                    "UPDATE workers SET heartbeat_at = now() WHERE id = $1",
                    &params,
                );
                match tokio::time::timeout(HEARTBEAT, beat).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "postgres: heartbeat failed");
                        session = None;
                    }
                    Err(_) => {
                        tracing::warn!("postgres: heartbeat timed out");
                        session = None;
                    }
                }
            }
        });
        tracing::info!(worker = %store.worker, "joined the workers on postgres");
        Ok(store)
    }

    /// Runs `job` on the store's runtime and waits for its result.
    fn block<T, Fut>(&self, job: Fut) -> StoreResult<T>
    where
        T: Send + 'static,
        Fut: Future<Output = StoreResult<T>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(job.await);
        });
        rx.recv()
            .map_err(|_| backend("the store's runtime stopped"))?
    }

    /// Runs `f` with a pooled connection.
    fn with<T, F, Fut>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Object) -> Fut + Send + 'static,
        Fut: Future<Output = StoreResult<T>> + Send,
    {
        let pool = self.pool.clone();
        self.block(async move { f(pool.get().await?).await })
    }

    /// Runs `f` in a transaction on a pooled connection, and commits; runs it again
    /// (up to [`RETRIES`] times) when PostgreSQL aborted it for a deadlock or a
    /// serialization failure.
    fn tx<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> Fn(&'a deadpool_postgres::Transaction<'a>) -> TxFuture<'a, T> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.block(async move {
            let mut client = pool.get().await?;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let tx = client.transaction().await?;
                let outcome = match f(&tx).await {
                    Ok(value) => tx.commit().await.map(|()| value).map_err(TxError::Db),
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                };
                match outcome {
                    Ok(value) => return Ok(value),
                    Err(TxError::Db(e)) if retriable(&e) && attempt < RETRIES => continue,
                    Err(TxError::Db(e)) => return Err(e.into()),
                    Err(TxError::Store(e)) => return Err(e),
                }
            }
        })
    }

    /// Rows of one query with owned parameters.
    fn rows(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn ToSql + Sync + Send>>,
    ) -> StoreResult<Vec<tokio_postgres::Row>> {
        self.with(move |c| async move {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            let statement = c.prepare_cached(sql).await?;
            Ok(c.query(&statement, &refs).await?)
        })
    }

    /// The number of rows one statement changed.
    fn exec(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn ToSql + Sync + Send>>,
    ) -> StoreResult<u64> {
        self.with(move |c| async move {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            let statement = c.prepare_cached(sql).await?;
            Ok(c.execute(&statement, &refs).await?)
        })
    }

    /// The records (JSON text in column 0) of one query.
    fn records<T: DeserializeOwned>(
        &self,
        what: &str,
        sql: &'static str,
        params: Vec<Box<dyn ToSql + Sync + Send>>,
    ) -> StoreResult<Vec<T>> {
        self.rows(sql, params)?
            .iter()
            .map(|row| from_json(what, row.get::<_, &str>(0)))
            .collect()
    }

    fn record<T: DeserializeOwned>(
        &self,
        what: &str,
        sql: &'static str,
        params: Vec<Box<dyn ToSql + Sync + Send>>,
    ) -> StoreResult<Option<T>> {
        Ok(self.records(what, sql, params)?.into_iter().next())
    }

    fn migrate(&self) -> StoreResult<()> {
        self.tx(|tx| {
            Box::pin(async move {
                // Workers starting together migrate one after the other.
                x_exec(tx, "SELECT pg_advisory_xact_lock($1, 0)", &[&LOCK_CLASS]).await?;
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version bigint PRIMARY KEY,
                     applied_at timestamptz NOT NULL DEFAULT now())",
                )
                .await?;
                let found: i64 = x_one(
                    tx,
                    "SELECT COALESCE(max(version), 0) FROM schema_migrations",
                    &[],
                )
                .await?
                .get(0);
                let supported = MIGRATIONS.last().map_or(0, |(v, _)| *v);
                if found > supported {
                    return Err(StoreError::NewerSchema {
                        found: found as u64,
                        supported: supported as u64,
                    }
                    .into());
                }
                for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
                    tracing::info!(version, "postgres: applying a migration");
                    tx.batch_execute(sql).await?;
                    x_exec(
                        tx,
                        "INSERT INTO schema_migrations (version) VALUES ($1)",
                        &[version],
                    )
                    .await?;
                }
                Ok(())
            })
        })
    }
}

/// The store's runtime, shut down in the background when dropped: dropping a
/// runtime the usual way blocks, which tokio forbids inside another runtime (where
/// the service drops the store).
struct RuntimeGuard(Option<tokio::runtime::Runtime>);

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

// Statements run in a transaction, each prepared once per connection (the pool's
// statement cache): a query is then one round trip, not two (parse, then run).

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn x_exec(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.execute(&statement, params).await
}

async fn x_all(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.query(&statement, params).await
}

async fn x_one(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<tokio_postgres::Row, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.query_one(&statement, params).await
}

async fn x_opt(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<tokio_postgres::Row>, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.query_opt(&statement, params).await
}

/// Adds `delta` to counter `key` in a transaction.
async fn add_counter(
    tx: &deadpool_postgres::Transaction<'_>,
    key: &str,
    delta: i64,
) -> TxResult<()> {
    if delta == 0 {
        return Ok(());
    }
    // A counter back at 0 keeps its row: it reads as 0 either way.
    x_exec(
        tx,
        "INSERT INTO counters (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = counters.value + excluded.value",
        &[&key, &delta],
    )
    .await?;
    Ok(())
}

/// Takes `count` sequence numbers of `tenant`; returns the first. The row's lock
/// is held until the transaction ends.
async fn take_seqs(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    count: u64,
) -> TxResult<u64> {
    let last: i64 = x_one(
        tx,
        "INSERT INTO tenant_seqs (tenant, seq) VALUES ($1, $2)
             ON CONFLICT (tenant) DO UPDATE SET seq = tenant_seqs.seq + excluded.seq
             RETURNING seq",
        &[&tenant, &i(count)],
    )
    .await?
    .get(0);
    Ok(last as u64 + 1 - count)
}

/// Stores an event pending, held by `worker`.
async fn push_pending(
    tx: &deadpool_postgres::Transaction<'_>,
    worker: &str,
    stored: &StoredEvent,
) -> TxResult<()> {
    x_exec(
        tx,
        "INSERT INTO pending (tenant, seq, lane, worker, body) VALUES ($1, $2, $3, $4, $5)",
        &[
            &stored.tenant,
            &i(stored.seq),
            &lane(&stored.event),
            &worker,
            &to_json(stored),
        ],
    )
    .await?;
    Ok(())
}

/// Stores an event from outside pending, in the event log and by id.
async fn accept(
    tx: &deadpool_postgres::Transaction<'_>,
    worker: &str,
    stored: &StoredEvent,
) -> TxResult<()> {
    push_pending(tx, worker, stored).await?;
    x_exec(
        tx,
        "INSERT INTO event_log (tenant, received_at, seq, body) VALUES ($1, $2, $3, $4)",
        &[
            &stored.tenant,
            &micros(stored.received_at),
            &i(stored.seq),
            &to_json(stored),
        ],
    )
    .await?;
    x_exec(
        tx,
        "INSERT INTO event_ids (tenant, event_id, seq) VALUES ($1, $2, $3)
         ON CONFLICT (tenant, event_id) DO UPDATE SET seq = excluded.seq",
        &[&stored.tenant, &stored.event.id, &i(stored.seq)],
    )
    .await?;
    Ok(())
}

/// Applies plugin storage writes (the last write of a key wins), keeping the
/// plugins' key counts.
async fn write_storage(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    writes: &[(String, String, Option<Vec<u8>>)],
) -> TxResult<()> {
    // Sorted and one write per key: concurrent commits lock rows in one order.
    let mut last: BTreeMap<(&str, &[u8]), Option<&[u8]>> = BTreeMap::new();
    for (plugin, key, value) in writes {
        last.insert((plugin.as_str(), key.as_bytes()), value.as_deref());
    }
    let mut added: BTreeMap<&str, i64> = BTreeMap::new();
    for ((plugin, key), value) in last {
        let change = match value {
            Some(value) => {
                // `xmax = 0`: the row was inserted, not updated (a row another
                // transaction inserted meanwhile is updated, and counted once).
                let existed: bool = x_one(
                    tx,
                    "INSERT INTO plugin_storage (tenant, plugin, key, value)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (tenant, plugin, key) DO UPDATE SET value = excluded.value
                     RETURNING xmax <> 0",
                    &[&tenant, &plugin, &key, &value],
                )
                .await?
                .get(0);
                i64::from(!existed)
            }
            None => {
                -(x_exec(
                    tx,
                    "DELETE FROM plugin_storage WHERE tenant = $1 AND plugin = $2 AND key = $3",
                    &[&tenant, &plugin, &key],
                )
                .await? as i64)
            }
        };
        *added.entry(plugin).or_default() += change;
    }
    for (plugin, change) in added {
        add_counter(tx, &format!("storage/{tenant}/{plugin}"), change).await?;
    }
    Ok(())
}

/// Writes a ticket and its indexes (creation time; open tickets by identity).
async fn write_ticket(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    ticket: &Ticket,
) -> TxResult<()> {
    x_exec(
        tx,
        "INSERT INTO tickets (tenant, id, created_at, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, id) DO UPDATE
         SET created_at = excluded.created_at, body = excluded.body",
        &[
            &tenant,
            &ticket.id,
            &micros(ticket.created_at),
            &to_json(ticket),
        ],
    )
    .await?;
    x_exec(
        tx,
        "DELETE FROM open_identities WHERE tenant = $1 AND ticket = $2",
        &[&tenant, &ticket.id],
    )
    .await?;
    if ticket.status.is_open() {
        let seen: std::collections::BTreeSet<(&str, String)> = ticket
            .requester
            .identities
            .iter()
            .map(|identity| (identity.kind.name(), identity.compared_value().into_owned()))
            .collect();
        if !seen.is_empty() {
            let (kinds, values): (Vec<&str>, Vec<String>) = seen.into_iter().unzip();
            x_exec(
                tx,
                "INSERT INTO open_identities (tenant, kind, value, created_at, ticket)
                 SELECT $1, k, v, $2, $3 FROM unnest($4::text[], $5::text[]) AS u(k, v)",
                &[
                    &tenant,
                    &micros(ticket.created_at),
                    &ticket.id,
                    &kinds,
                    &values,
                ],
            )
            .await?;
        }
    }
    Ok(())
}

/// Keeps a shadow diff and counts it; the second firing of a timer completes the
/// diff of the first (see the sled store's `record_shadow`).
async fn record_shadow(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    seq: u64,
    n: usize,
    record: &ShadowRecord,
) -> TxResult<()> {
    let count_key =
        |verdict: Verdict| format!("shadow/{tenant}/{}/{}", record.shadow, verdict.name());
    if let Some(pair) = &record.pair {
        let first = x_opt(
            tx,
            "SELECT d.seq, d.n, d.body FROM shadow_pairs p
                 JOIN shadow_diffs d USING (tenant, shadow, seq, n)
                 WHERE p.tenant = $1 AND p.shadow = $2 AND p.pair = $3",
            &[&tenant, &record.shadow, pair],
        )
        .await?;
        if let Some(row) = first {
            let (first_seq, first_n): (i64, i32) = (row.get(0), row.get(1));
            let mut first: EventDiff = from_json("shadow diff", row.get::<_, &str>(2))?;
            let before = first.verdict;
            if crate::diff::complete(&mut first, record.diff.clone()) {
                x_exec(
                    tx,
                    "UPDATE shadow_diffs SET body = $5
                     WHERE tenant = $1 AND shadow = $2 AND seq = $3 AND n = $4",
                    &[
                        &tenant,
                        &record.shadow,
                        &first_seq,
                        &first_n,
                        &to_json(&first),
                    ],
                )
                .await?;
                x_exec(
                    tx,
                    "DELETE FROM shadow_pairs WHERE tenant = $1 AND shadow = $2 AND pair = $3",
                    &[&tenant, &record.shadow, pair],
                )
                .await?;
                add_counter(tx, &count_key(before), -1).await?;
                add_counter(tx, &count_key(first.verdict), 1).await?;
                return Ok(());
            }
        }
    }
    let n = n as i32;
    x_exec(
        tx,
        "INSERT INTO shadow_diffs (tenant, shadow, seq, n, body) VALUES ($1, $2, $3, $4, $5)",
        &[&tenant, &record.shadow, &i(seq), &n, &to_json(&record.diff)],
    )
    .await?;
    if let Some(pair) = &record.pair {
        x_exec(
            tx,
            "INSERT INTO shadow_pairs (tenant, shadow, pair, seq, n) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant, shadow, pair) DO UPDATE SET seq = excluded.seq, n = excluded.n",
            &[&tenant, &record.shadow, pair, &i(seq), &n],
        )
        .await?;
    }
    add_counter(tx, &count_key(record.diff.verdict), 1).await
}

/// Stores an event's KPI facts (one record per instant), its breaches, and adds
/// its backlog changes to their days' sums.
async fn record_kpi(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    seq: u64,
    facts: &[crate::kpi::Fact],
) -> TxResult<()> {
    let records = crate::kpi::fact::Stored::pack(facts);
    if !records.is_empty() {
        let ats: Vec<i64> = records.iter().map(|r| r.at.timestamp_millis()).collect();
        let ns: Vec<i32> = (0..records.len() as i32).collect();
        let bytes: Vec<Vec<u8>> = records
            .iter()
            .map(|r| postcard::to_allocvec(r).expect("facts serialise"))
            .collect();
        x_exec(
            tx,
            "INSERT INTO kpi_facts (tenant, at_ms, seq, n, record)
             SELECT $1, a, $2, n, r FROM unnest($3::bigint[], $4::int[], $5::bytea[]) AS u(a, n, r)",
            &[&tenant, &i(seq), &ats, &ns, &bytes],
        )
        .await?;
    }
    let mut days: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for fact in facts {
        if let crate::kpi::FactKind::SlaBreach { metric } = &fact.kind {
            x_exec(
                tx,
                "INSERT INTO kpi_breaches (tenant, ticket, metric, at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&tenant, &&*fact.ticket, metric, &fact.at.timestamp_millis()],
            )
            .await?;
        }
        if let crate::kpi::FactKind::Backlog { unsolved, awaiting } = fact.kind {
            let day = days
                .entry(fact.at.timestamp().div_euclid(86_400))
                .or_default();
            day.0 += i64::from(unsolved);
            day.1 += i64::from(awaiting);
        }
    }
    for (day, (unsolved, awaiting)) in days {
        x_exec(tx,
            "INSERT INTO kpi_days (tenant, day, unsolved, awaiting) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant, day) DO UPDATE SET unsolved = kpi_days.unsolved + excluded.unsolved,
                                                    awaiting = kpi_days.awaiting + excluded.awaiting",
            &[&tenant, &day, &unsolved, &awaiting],
        )
        .await?;
    }
    Ok(())
}

/// Writes an outbox item (new or replacing); returns whether it is new.
async fn put_outbox(tx: &deadpool_postgres::Transaction<'_>, item: &OutboxItem) -> TxResult<bool> {
    let existed: bool = x_one(
        tx,
        // `xmax <> 0`: an existing row was updated (see `write_storage`).
        "INSERT INTO outbox (tenant, id, due_at, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, id) DO UPDATE SET due_at = excluded.due_at, body = excluded.body
         RETURNING xmax <> 0",
        &[
            &item.tenant,
            &item.id,
            &micros(item.next_attempt_at),
            &to_json(item),
        ],
    )
    .await?
    .get(0);
    Ok(!existed)
}

impl Workers for PgStore {
    fn worker_id(&self) -> &str {
        &self.worker
    }

    /// Holds the role on a session of its own; a worker that does not hold it
    /// tries again at most every [`ROLE_RETRY`], on the same session. O(1) while
    /// held; one round trip to try (and a connection when the session was lost).
    fn lead(&self, role: Role) -> StoreResult<bool> {
        let mut roles = self.roles.lock().unwrap_or_else(|p| p.into_inner());
        let session = roles.entry(role).or_default();
        let alive = session.client.as_ref().is_some_and(|c| !c.is_closed());
        if session.held {
            if alive {
                return Ok(true);
            }
            tracing::warn!(
                role = role.name(),
                "postgres: the session holding a role closed"
            );
            session.held = false;
        }
        if session.tried.is_some_and(|at| at.elapsed() < ROLE_RETRY) {
            return Ok(false);
        }
        session.tried = Some(std::time::Instant::now());
        let client = if alive { session.client.take() } else { None };
        let (config, handle) = (self.config.clone(), self.handle.clone());
        let number = match role {
            Role::Timekeeper => 1i32,
            Role::Outbox => 2i32,
        };
        let (client, held) = self.block(async move {
            let client = match client {
                Some(client) => client,
                None => {
                    let (client, connection) = config.connect(NoTls).await?;
                    handle.spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::warn!(error = %e, "postgres: a role's session ended");
                        }
                    });
                    client
                }
            };
            let held: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, $2)",
                    &[&LOCK_CLASS, &number],
                )
                .await?
                .get(0);
            Ok((client, held))
        })?;
        session.client = Some(client);
        session.held = held;
        if held {
            tracing::info!(role = role.name(), worker = %self.worker, "took a role");
        }
        Ok(held)
    }

    fn take_over(&self, max: usize) -> StoreResult<Vec<StoredEvent>> {
        let worker = self.worker.clone();
        let stale = STALE_AFTER.as_secs_f64();
        let bodies: Vec<String> = self.tx(move |tx| {
            let worker = worker.clone();
            Box::pin(async move {
                let rows = x_all(
                    tx,
                    "UPDATE pending SET worker = $1
                         WHERE (tenant, seq) IN (
                             SELECT p.tenant, p.seq FROM pending p
                             WHERE p.worker IS NULL OR p.worker = ANY(ARRAY(
                                 SELECT id FROM workers
                                 WHERE heartbeat_at < now() - make_interval(secs => $2)
                                   AND id <> $1))
                             ORDER BY p.tenant, p.seq
                             LIMIT $3
                             FOR UPDATE SKIP LOCKED)
                         RETURNING tenant, seq, body",
                    &[&worker, &stale, &limit(max)],
                )
                .await?;
                let mut rows: Vec<(String, i64, String)> = rows
                    .iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect();
                rows.sort();
                Ok(rows.into_iter().map(|(_, _, body)| body).collect())
            })
        })?;
        let taken: Vec<StoredEvent> = bodies
            .iter()
            .map(|body| from_json("pending event", body))
            .collect::<StoreResult<_>>()?;
        if !taken.is_empty() {
            tracing::info!(events = taken.len(), worker = %self.worker, "took over pending events");
        }
        Ok(taken)
    }

    /// Two probes of the pending events' indexes: the event, and its ticket's first.
    fn readiness(&self, tenant: &str, seq: u64, lane: &str) -> StoreResult<Readiness> {
        let rows = self.rows(
            "SELECT EXISTS (SELECT 1 FROM pending WHERE tenant = $1 AND seq = $3),
                    (SELECT seq FROM pending WHERE tenant = $1 AND lane = $2
                     ORDER BY seq LIMIT 1)",
            vec![
                Box::new(tenant.to_string()),
                Box::new(lane.to_string()),
                Box::new(i(seq)),
            ],
        )?;
        let row = rows.first();
        let pending: bool = row.is_some_and(|r| r.get(0));
        let first: Option<i64> = row.and_then(|r| r.get(1));
        Ok(match first {
            _ if !pending => Readiness::Done,
            Some(first) if (first as u64) < seq => Readiness::Waiting {
                behind: first as u64,
            },
            _ => Readiness::Ready,
        })
    }

    /// Hands this worker's events back (held by no worker: any worker's next
    /// take-over, within a second, takes them) and leaves the workers; its roles'
    /// sessions close, which lets go of their locks. O(k log n) for its k events.
    fn leave(&self) -> StoreResult<()> {
        self.roles.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let worker = self.worker.clone();
        self.tx(move |tx| {
            let worker = worker.clone();
            Box::pin(async move {
                x_exec(
                    tx,
                    "UPDATE pending SET worker = NULL WHERE worker = $1",
                    &[&worker],
                )
                .await?;
                x_exec(tx, "DELETE FROM workers WHERE id = $1", &[&worker]).await?;
                Ok(())
            })
        })
    }

    /// Hands one of this worker's events back to the workers (held by none): the
    /// next take-over, within a second, takes it, this worker's included. O(log n).
    fn release(&self, tenant: &str, seq: u64) -> StoreResult<()> {
        self.exec(
            "UPDATE pending SET worker = NULL WHERE tenant = $1 AND seq = $2 AND worker = $3",
            vec![
                Box::new(tenant.to_string()),
                Box::new(i(seq)),
                Box::new(self.worker.clone()),
            ],
        )
        .map(drop)
    }
}

impl TenantStore for PgStore {
    fn operator_token_sha256(&self) -> StoreResult<Option<String>> {
        Ok(self
            .rows(
                "SELECT value FROM settings WHERE key = 'operator_token_sha256'",
                vec![],
            )?
            .first()
            .map(|r| r.get(0)))
    }

    fn set_operator_token_sha256(&self, sha256: &str) -> StoreResult<()> {
        self.exec(
            "INSERT INTO settings (key, value) VALUES ('operator_token_sha256', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![Box::new(sha256.to_string())],
        )
        .map(drop)
    }

    fn create_tenant(&self, tenant: &Tenant) -> StoreResult<bool> {
        Ok(self.exec(
            "INSERT INTO tenants (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            vec![Box::new(tenant.id.clone()), Box::new(to_json(tenant))],
        )? == 1)
    }

    fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        self.record(
            "tenant",
            "SELECT body FROM tenants WHERE id = $1",
            vec![Box::new(id.to_string())],
        )
    }

    fn update_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        self.exec(
            "INSERT INTO tenants (id, body) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            vec![Box::new(tenant.id.clone()), Box::new(to_json(tenant))],
        )
        .map(drop)
    }

    fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.records("tenant", "SELECT body FROM tenants ORDER BY id", vec![])
    }

    fn put_token(&self, token: &TokenRecord) -> StoreResult<()> {
        self.exec(
            "INSERT INTO tokens (id, tenant, body) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, body = excluded.body",
            vec![
                Box::new(token.id.clone()),
                Box::new(token.tenant.clone()),
                Box::new(to_json(token)),
            ],
        )
        .map(drop)
    }

    fn token(&self, id: &str) -> StoreResult<Option<TokenRecord>> {
        self.record(
            "token",
            "SELECT body FROM tokens WHERE id = $1",
            vec![Box::new(id.to_string())],
        )
    }

    fn tokens(&self, tenant: &str) -> StoreResult<Vec<TokenRecord>> {
        self.records(
            "token",
            "SELECT body FROM tokens WHERE tenant = $1 ORDER BY id",
            vec![Box::new(tenant.to_string())],
        )
    }

    fn delete_token(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        Ok(self.exec(
            "DELETE FROM tokens WHERE tenant = $1 AND id = $2",
            vec![Box::new(tenant.to_string()), Box::new(id.to_string())],
        )? == 1)
    }
}

impl PgStore {
    /// Writes a plugin's installation (keeping the stored suspension unless
    /// `lift_suspension`); returns what was written.
    fn write_plugin(
        &self,
        tenant: &str,
        plugin: &InstalledPlugin,
        lift_suspension: bool,
    ) -> StoreResult<InstalledPlugin> {
        let (tenant, plugin) = (tenant.to_string(), plugin.clone());
        self.tx(move |tx| {
            let (tenant, mut plugin) = (tenant.clone(), plugin.clone());
            Box::pin(async move {
                let old = x_opt(tx,
                        "SELECT body FROM plugins WHERE tenant = $1 AND name = $2 FOR UPDATE",
                        &[&tenant, &plugin.name],
                    )
                    .await?;
                if let Some(old) = old
                    && !lift_suspension
                {
                    let old: InstalledPlugin = from_json("plugin", old.get::<_, &str>(0))?;
                    plugin.suspended = old.suspended;
                }
                x_exec(tx,
                    "INSERT INTO plugins (tenant, name, inbound_address, body) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (tenant, name) DO UPDATE
                     SET inbound_address = excluded.inbound_address, body = excluded.body",
                    &[&tenant, &plugin.name, &plugin.inbound_address, &to_json(&plugin)],
                )
                .await?;
                Ok(plugin)
            })
        })
    }
}

impl PluginStore for PgStore {
    fn put_component(&self, sha256: &str, bytes: &[u8]) -> StoreResult<()> {
        self.exec(
            "INSERT INTO components (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            vec![Box::new(sha256.to_string()), Box::new(bytes.to_vec())],
        )
        .map(drop)
    }

    fn component(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .rows(
                "SELECT bytes FROM components WHERE sha256 = $1",
                vec![Box::new(sha256.to_string())],
            )?
            .first()
            .map(|r| r.get(0)))
    }

    fn put_plugin(&self, tenant: &str, plugin: &InstalledPlugin) -> StoreResult<()> {
        self.write_plugin(tenant, plugin, true).map(drop)
    }

    fn plugin(&self, tenant: &str, name: &str) -> StoreResult<Option<InstalledPlugin>> {
        self.record(
            "plugin",
            "SELECT body FROM plugins WHERE tenant = $1 AND name = $2",
            vec![Box::new(tenant.to_string()), Box::new(name.to_string())],
        )
    }

    fn plugins(&self, tenant: &str) -> StoreResult<Vec<InstalledPlugin>> {
        let mut plugins: Vec<InstalledPlugin> = self.records(
            "plugin",
            "SELECT body FROM plugins WHERE tenant = $1",
            vec![Box::new(tenant.to_string())],
        )?;
        plugins.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.name.cmp(&b.name)));
        Ok(plugins)
    }

    fn delete_plugin(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        let (tenant, name) = (tenant.to_string(), name.to_string());
        self.tx(move |tx| {
            let (tenant, name) = (tenant.clone(), name.clone());
            Box::pin(async move {
                let removed = x_exec(
                    tx,
                    "DELETE FROM plugins WHERE tenant = $1 AND name = $2",
                    &[&tenant, &name],
                )
                .await?;
                // As on sled: an adapter's links, refusals, received ids and delivery
                // ids go with it; its plugin storage is kept.
                x_exec(
                    tx,
                    "DELETE FROM links WHERE tenant = $1 AND adapter = $2",
                    &[&tenant, &name],
                )
                .await?;
                x_exec(
                    tx,
                    "DELETE FROM inbound_refusals WHERE tenant = $1 AND adapter = $2",
                    &[&tenant, &name],
                )
                .await?;
                x_exec(
                    tx,
                    "DELETE FROM event_ids WHERE tenant = $1 AND event_id >= $2 AND event_id < $3",
                    &[&tenant, &format!("{name}:"), &format!("{name};")],
                )
                .await?;
                x_exec(
                    tx,
                    "DELETE FROM idempotency WHERE tenant = $1 AND key >= $2 AND key < $3",
                    &[
                        &tenant,
                        &format!("\u{1}inbound/{name}/"),
                        &format!("\u{1}inbound/{name}0"),
                    ],
                )
                .await?;
                x_exec(
                    tx,
                    "DELETE FROM counters WHERE key = $1",
                    &[&format!("refusal_next/{tenant}/{name}")],
                )
                .await?;
                Ok(removed == 1)
            })
        })
    }

    fn suspend_plugin(
        &self,
        tenant: &str,
        ran: &InstalledPlugin,
        suspension: &Suspension,
    ) -> StoreResult<bool> {
        let (tenant, ran, suspension) = (tenant.to_string(), ran.clone(), suspension.clone());
        self.tx(move |tx| {
            let (tenant, ran, suspension) = (tenant.clone(), ran.clone(), suspension.clone());
            Box::pin(async move {
                let Some(row) = x_opt(
                    tx,
                    "SELECT body FROM plugins WHERE tenant = $1 AND name = $2 FOR UPDATE",
                    &[&tenant, &ran.name],
                )
                .await?
                else {
                    return Ok(false);
                };
                let mut plugin: InstalledPlugin = from_json("plugin", row.get::<_, &str>(0))?;
                if plugin.suspended.is_some() || plugin != ran {
                    return Ok(false);
                }
                plugin.suspended = Some(suspension);
                x_exec(
                    tx,
                    "UPDATE plugins SET body = $3 WHERE tenant = $1 AND name = $2",
                    &[&tenant, &ran.name, &to_json(&plugin)],
                )
                .await?;
                Ok(true)
            })
        })
    }

    fn change_plugin(
        &self,
        tenant: &str,
        plugin: &InstalledPlugin,
        lift_suspension: bool,
    ) -> StoreResult<InstalledPlugin> {
        self.write_plugin(tenant, plugin, lift_suspension)
    }

    fn add_plugin_version(
        &self,
        tenant: &str,
        plugin: &str,
        version: &PluginVersion,
    ) -> StoreResult<PluginVersion> {
        let (tenant, plugin, version) = (tenant.to_string(), plugin.to_string(), version.clone());
        self.tx(move |tx| {
            let (tenant, plugin, mut version) = (tenant.clone(), plugin.clone(), version.clone());
            Box::pin(async move {
                let next: i64 = x_one(tx,
                        "INSERT INTO counters (key, value) VALUES ($1, 1)
                         ON CONFLICT (key) DO UPDATE SET value = counters.value + 1
                         RETURNING value",
                        &[&format!("version_next/{tenant}/{plugin}")],
                    )
                    .await?
                    .get(0);
                version.number = next as u64;
                x_exec(tx,
                    "INSERT INTO plugin_versions (tenant, plugin, number, body) VALUES ($1, $2, $3, $4)",
                    &[&tenant, &plugin, &next, &to_json(&version)],
                )
                .await?;
                Ok(version)
            })
        })
    }

    fn plugin_version(
        &self,
        tenant: &str,
        plugin: &str,
        number: u64,
    ) -> StoreResult<Option<PluginVersion>> {
        self.record(
            "plugin version",
            "SELECT body FROM plugin_versions WHERE tenant = $1 AND plugin = $2 AND number = $3",
            vec![
                Box::new(tenant.to_string()),
                Box::new(plugin.to_string()),
                Box::new(i(number)),
            ],
        )
    }

    fn plugin_versions(&self, tenant: &str, plugin: &str) -> StoreResult<Vec<PluginVersion>> {
        self.records(
            "plugin version",
            "SELECT body FROM plugin_versions WHERE tenant = $1 AND plugin = $2 ORDER BY number",
            vec![Box::new(tenant.to_string()), Box::new(plugin.to_string())],
        )
    }

    fn shadow_diffs(
        &self,
        tenant: &str,
        shadow: &str,
        after_seq: u64,
        max: usize,
    ) -> StoreResult<Vec<(u64, EventDiff)>> {
        self.rows(
            "SELECT seq, body FROM shadow_diffs WHERE tenant = $1 AND shadow = $2 AND seq > $3
             ORDER BY seq, n LIMIT $4",
            vec![
                Box::new(tenant.to_string()),
                Box::new(shadow.to_string()),
                Box::new(i(after_seq)),
                Box::new(limit(max)),
            ],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.get::<_, i64>(0) as u64,
                from_json("shadow diff", r.get::<_, &str>(1))?,
            ))
        })
        .collect()
    }

    fn shadow_summary(&self, tenant: &str, shadow: &str) -> StoreResult<DiffSummary> {
        let rows = self.rows(
            "SELECT key, value FROM counters WHERE key = ANY($1)",
            vec![Box::new(
                [Verdict::Agree, Verdict::Differ, Verdict::CandidateFailed]
                    .map(|v| format!("shadow/{tenant}/{shadow}/{}", v.name()))
                    .to_vec(),
            )],
        )?;
        let count = |verdict: Verdict| {
            let key = format!("shadow/{tenant}/{shadow}/{}", verdict.name());
            rows.iter()
                .find(|r| r.get::<_, &str>(0) == key)
                .map_or(0, |r| r.get::<_, i64>(1).max(0) as u64)
        };
        let (agree, differ, candidate_failed) = (
            count(Verdict::Agree),
            count(Verdict::Differ),
            count(Verdict::CandidateFailed),
        );
        Ok(DiffSummary {
            events: agree + differ + candidate_failed,
            agree,
            differ,
            candidate_failed,
        })
    }

    fn clear_shadow(&self, tenant: &str, plugin: &str) -> StoreResult<()> {
        let (tenant, runs) = (tenant.to_string(), shadow_prefix(plugin));
        self.tx(move |tx| {
            let (tenant, runs) = (tenant.clone(), runs.clone());
            Box::pin(async move {
                // Names that start with `<plugin>~shadow~`: up to `<plugin>~shadow\x7f`
                // (`~` is 0x7e, the next byte 0x7f), read from the indexes.
                let end = format!("{}\u{7f}", runs.trim_end_matches('~'));
                for sql in [
                    "DELETE FROM shadow_diffs WHERE tenant = $1 AND shadow >= $2 AND shadow < $3",
                    "DELETE FROM shadow_pairs WHERE tenant = $1 AND shadow >= $2 AND shadow < $3",
                    "DELETE FROM plugin_storage WHERE tenant = $1 AND plugin >= $2 AND plugin < $3",
                    "DELETE FROM timers WHERE tenant = $1 AND plugin >= $2 AND plugin < $3",
                ] {
                    x_exec(tx, sql, &[&tenant, &runs, &end]).await?;
                }
                for under in [
                    format!("storage/{tenant}/{runs}"),
                    format!("shadow/{tenant}/{runs}"),
                ] {
                    x_exec(
                        tx,
                        "DELETE FROM counters WHERE key >= $1 AND key < $2",
                        &[&under, &format!("{}\u{7f}", under.trim_end_matches('~'))],
                    )
                    .await?;
                }
                Ok(())
            })
        })
    }

    fn inbound_target(&self, address: &str) -> StoreResult<Option<(String, String)>> {
        Ok(self
            .rows(
                "SELECT tenant, name FROM plugins WHERE inbound_address = $1",
                vec![Box::new(address.to_string())],
            )?
            .first()
            .map(|r| (r.get(0), r.get(1))))
    }
}

impl PluginStorage for PgStore {
    fn plugin_storage_get(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .rows(
                "SELECT value FROM plugin_storage WHERE tenant = $1 AND plugin = $2 AND key = $3",
                vec![
                    Box::new(tenant.to_string()),
                    Box::new(plugin.to_string()),
                    Box::new(key.as_bytes().to_vec()),
                ],
            )?
            .first()
            .map(|r| r.get(0)))
    }

    fn plugin_storage_keys(
        &self,
        tenant: &str,
        plugin: &str,
        prefix: &str,
        max: usize,
    ) -> StoreResult<Vec<String>> {
        let start = prefix.as_bytes().to_vec();
        let end = prefix_end(&start);
        let rows = self.rows(
            "SELECT key FROM plugin_storage
             WHERE tenant = $1 AND plugin = $2 AND key >= $3 AND ($4::bytea IS NULL OR key < $4)
             ORDER BY key LIMIT $5",
            vec![
                Box::new(tenant.to_string()),
                Box::new(plugin.to_string()),
                Box::new(start),
                Box::new(end),
                Box::new(limit(max)),
            ],
        )?;
        Ok(rows
            .iter()
            .map(|r| String::from_utf8_lossy(r.get::<_, &[u8]>(0)).into_owned())
            .collect())
    }

    fn plugin_storage_count(&self, tenant: &str, plugin: &str) -> StoreResult<usize> {
        Ok(self
            .rows(
                "SELECT value FROM counters WHERE key = $1",
                vec![Box::new(format!("storage/{tenant}/{plugin}"))],
            )?
            .first()
            .map_or(0, |r| r.get::<_, i64>(0).max(0) as usize))
    }
}

impl EventLog for PgStore {
    /// Nothing to do: every method returns once its transaction is committed.
    fn flush(&self) -> StoreResult<()> {
        Ok(())
    }

    fn enqueue_event(
        &self,
        tenant: &str,
        event: &Event,
        idempotency_key: Option<&str>,
        received_at: Timestamp,
    ) -> StoreResult<Enqueued> {
        let (tenant, event, key) = (
            tenant.to_string(),
            event.clone(),
            idempotency_key.map(str::to_string),
        );
        let worker = self.worker.clone();
        self.tx(move |tx| {
            let (tenant, event, key, worker) =
                (tenant.clone(), event.clone(), key.clone(), worker.clone());
            Box::pin(async move {
                // Under the tenant's sequence lock: two requests with one key wait for
                // each other, and the second finds the first's.
                take_seqs(tx, &tenant, 0).await?;
                let seen = |row: Option<tokio_postgres::Row>| row.map(|r| r.get::<_, i64>(0));
                if let Some(key) = &key
                    && let Some(first) = seen(
                        x_opt(
                            tx,
                            "SELECT seq FROM idempotency WHERE tenant = $1 AND key = $2",
                            &[&tenant, key],
                        )
                        .await?,
                    )
                {
                    return Ok(Enqueued::Duplicate { seq: first as u64 });
                }
                if let Some(first) = seen(
                    x_opt(
                        tx,
                        "SELECT seq FROM event_ids WHERE tenant = $1 AND event_id = $2",
                        &[&tenant, &event.id],
                    )
                    .await?,
                ) {
                    // The same event again, under a key of its own: that key now
                    // answers the same, without reading the ids.
                    if let Some(key) = &key {
                        x_exec(
                            tx,
                            "INSERT INTO idempotency (tenant, key, seq) VALUES ($1, $2, $3)",
                            &[&tenant, key, &first],
                        )
                        .await?;
                    }
                    return Ok(Enqueued::Duplicate { seq: first as u64 });
                }
                let seq = take_seqs(tx, &tenant, 1).await?;
                let stored = StoredEvent {
                    seq,
                    tenant: tenant.clone(),
                    event,
                    depth: 0,
                    received_at,
                    target_plugin: None,
                };
                accept(tx, &worker, &stored).await?;
                if let Some(key) = &key {
                    x_exec(
                        tx,
                        "INSERT INTO idempotency (tenant, key, seq) VALUES ($1, $2, $3)",
                        &[&tenant, key, &i(seq)],
                    )
                    .await?;
                }
                Ok(Enqueued::New(Box::new(stored)))
            })
        })
    }

    fn enqueue_inbound(
        &self,
        tenant: &str,
        delivery: &InboundDelivery,
        received_at: Timestamp,
    ) -> StoreResult<InboundEnqueued> {
        let (tenant, delivery) = (tenant.to_string(), delivery.clone());
        let worker = self.worker.clone();
        self.tx(move |tx| {
            let (tenant, delivery, worker) = (tenant.clone(), delivery.clone(), worker.clone());
            Box::pin(async move {
                // The sequence lock first: concurrent deliveries of a tenant queue here.
                take_seqs(tx, &tenant, 0).await?;
                let delivery_key = delivery
                    .delivery_id
                    .as_ref()
                    .map(|id| format!("\u{1}inbound/{}/{id}", delivery.adapter));
                if let Some(k) = &delivery_key
                    && x_opt(
                        tx,
                        "SELECT 1 FROM idempotency WHERE tenant = $1 AND key = $2",
                        &[&tenant, k],
                    )
                    .await?
                    .is_some()
                {
                    return Ok(InboundEnqueued::Duplicate);
                }
                let mut stored = Vec::new();
                let mut duplicates = 0;
                for group in &delivery.groups {
                    if x_opt(
                        tx,
                        "SELECT 1 FROM event_ids WHERE tenant = $1 AND event_id = $2",
                        &[&tenant, &group.id],
                    )
                    .await?
                    .is_some()
                    {
                        duplicates += 1;
                        continue;
                    }
                    for event in &group.events {
                        let one = StoredEvent {
                            seq: take_seqs(tx, &tenant, 1).await?,
                            tenant: tenant.clone(),
                            event: event.clone(),
                            depth: 0,
                            received_at,
                            target_plugin: None,
                        };
                        accept(tx, &worker, &one).await?;
                        stored.push(one);
                    }
                    if let Some((conversation, ticket)) = &group.link {
                        x_exec(
                            tx,
                            "INSERT INTO links (tenant, adapter, conversation, ticket)
                             VALUES ($1, $2, $3, $4)
                             ON CONFLICT (tenant, adapter, conversation)
                             DO UPDATE SET ticket = excluded.ticket",
                            &[&tenant, &delivery.adapter, conversation, ticket],
                        )
                        .await?;
                    }
                }
                write_storage(tx, &tenant, &delivery.storage_writes).await?;
                if let Some(k) = &delivery_key {
                    let first = stored.first().map_or(0, |e| i(e.seq));
                    x_exec(
                        tx,
                        "INSERT INTO idempotency (tenant, key, seq) VALUES ($1, $2, $3)",
                        &[&tenant, k, &first],
                    )
                    .await?;
                }
                Ok(InboundEnqueued::Stored {
                    events: stored,
                    duplicates,
                })
            })
        })
    }

    fn event_seen(&self, tenant: &str, event_id: &str) -> StoreResult<bool> {
        Ok(!self
            .rows(
                "SELECT 1 FROM event_ids WHERE tenant = $1 AND event_id = $2",
                vec![Box::new(tenant.to_string()), Box::new(event_id.to_string())],
            )?
            .is_empty())
    }

    fn linked_ticket(
        &self,
        tenant: &str,
        adapter: &str,
        conversation: &str,
    ) -> StoreResult<Option<String>> {
        Ok(self
            .rows(
                "SELECT ticket FROM links WHERE tenant = $1 AND adapter = $2 AND conversation = $3",
                vec![
                    Box::new(tenant.to_string()),
                    Box::new(adapter.to_string()),
                    Box::new(conversation.to_string()),
                ],
            )?
            .first()
            .map(|r| r.get(0)))
    }

    fn record_inbound_refusal(
        &self,
        tenant: &str,
        adapter: &str,
        refusal: &InboundRefusal,
    ) -> StoreResult<()> {
        let (tenant, adapter, body) = (tenant.to_string(), adapter.to_string(), to_json(refusal));
        self.tx(move |tx| {
            let (tenant, adapter, body) = (tenant.clone(), adapter.clone(), body.clone());
            Box::pin(async move {
                let next: i64 = x_one(tx,
                        "INSERT INTO counters (key, value) VALUES ($1, 1)
                         ON CONFLICT (key) DO UPDATE SET value = counters.value + 1
                         RETURNING value",
                        &[&format!("refusal_next/{tenant}/{adapter}")],
                    )
                    .await?
                    .get(0);
                let slot = (next - 1).rem_euclid(INBOUND_REFUSALS_KEPT as i64);
                x_exec(tx,
                    "INSERT INTO inbound_refusals (tenant, adapter, slot, body) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (tenant, adapter, slot) DO UPDATE SET body = excluded.body",
                    &[&tenant, &adapter, &slot, &body],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn inbound_refusals(&self, tenant: &str, adapter: &str) -> StoreResult<Vec<InboundRefusal>> {
        let mut kept: Vec<InboundRefusal> = self.records(
            "inbound refusal",
            "SELECT body FROM inbound_refusals WHERE tenant = $1 AND adapter = $2 ORDER BY slot",
            vec![Box::new(tenant.to_string()), Box::new(adapter.to_string())],
        )?;
        kept.sort_by_key(|r| r.at);
        Ok(kept)
    }

    fn pending_events(&self) -> StoreResult<Vec<StoredEvent>> {
        self.records(
            "pending event",
            "SELECT body FROM pending ORDER BY tenant, seq",
            vec![],
        )
    }

    fn recorded_events(
        &self,
        tenant: &str,
        from: Timestamp,
        until: Timestamp,
        after_seq: u64,
        max: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.records(
            "recorded event",
            "SELECT body FROM event_log
             WHERE tenant = $1 AND (received_at, seq) > ($2, $3) AND received_at < $4
             ORDER BY received_at, seq LIMIT $5",
            vec![
                Box::new(tenant.to_string()),
                Box::new(micros(from)),
                Box::new(i(after_seq)),
                Box::new(micros(until)),
                Box::new(limit(max)),
            ],
        )
    }

    fn commit_event(&self, commit: &EventCommit) -> StoreResult<Vec<StoredEvent>> {
        let commit = commit.clone();
        let worker = self.worker.clone();
        self.tx(move |tx| {
            let (commit, worker) = (commit.clone(), worker.clone());
            Box::pin(async move { commit_event(tx, &worker, &commit).await })
        })
    }
}

/// [`EventLog::commit_event`] in a transaction.
async fn commit_event(
    tx: &deadpool_postgres::Transaction<'_>,
    worker: &str,
    commit: &EventCommit,
) -> TxResult<Vec<StoredEvent>> {
    let tenant = commit.tenant.as_str();
    let row = x_opt(
        tx,
        "DELETE FROM pending WHERE tenant = $1 AND seq = $2 RETURNING lane",
        &[&tenant, &i(commit.seq)],
    )
    .await?;
    let Some(row) = row else {
        return Err(StoreError::Conflict(format!(
            "event {} of {tenant} is no longer pending",
            commit.seq
        ))
        .into());
    };
    let lane: String = row.get(0);
    // Commits of one ticket one at a time, and only the first of its pending events.
    x_exec(
        tx,
        "SELECT pg_advisory_xact_lock($1)",
        &[&lock_key(&format!("{tenant}/{lane}"))],
    )
    .await?;
    if let Some(earlier) = x_opt(
        tx,
        "SELECT seq FROM pending WHERE tenant = $1 AND lane = $2 AND seq < $3 LIMIT 1",
        &[&tenant, &lane, &i(commit.seq)],
    )
    .await?
    {
        return Err(StoreError::Conflict(format!(
            "event {} of {tenant} waits for event {} of its ticket",
            commit.seq,
            earlier.get::<_, i64>(0)
        ))
        .into());
    }
    // Every sequence number this commit takes, first: the tenant's row lock is the
    // first lock taken after the ticket's, in every transaction.
    let count = commit.follow_ups.len() as u64;
    let first_seq = if count > 0 {
        take_seqs(tx, tenant, count).await?
    } else {
        0
    };
    if let Some(ticket) = &commit.ticket {
        write_ticket(tx, tenant, ticket).await?;
        for change in &commit.timers {
            let (plugin, name) = match change {
                TimerChange::Set(timer) => (&timer.plugin, &timer.name),
                TimerChange::Cancel { plugin, name } => (plugin, name),
            };
            match change {
                TimerChange::Set(timer) => {
                    let mut timer = timer.clone();
                    timer.tenant = tenant.to_string();
                    timer.ticket_id = ticket.id.clone();
                    x_exec(
                        tx,
                        "INSERT INTO timers (tenant, ticket, plugin, name, due_at, body)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (tenant, ticket, plugin, name)
                         DO UPDATE SET due_at = excluded.due_at, body = excluded.body",
                        &[
                            &tenant,
                            &ticket.id,
                            plugin,
                            name,
                            &micros(timer.due_at),
                            &to_json(&timer),
                        ],
                    )
                    .await?;
                }
                TimerChange::Cancel { .. } => {
                    x_exec(
                        tx,
                        "DELETE FROM timers
                         WHERE tenant = $1 AND ticket = $2 AND plugin = $3 AND name = $4",
                        &[&tenant, &ticket.id, plugin, name],
                    )
                    .await?;
                }
            }
        }
    }
    if !commit.audit.is_empty() {
        // One statement for every record: the event's calls, in order.
        let tickets: Vec<&str> = commit.audit.iter().map(|r| r.ticket_id.as_str()).collect();
        let ns: Vec<i32> = (0..commit.audit.len() as i32).collect();
        let bodies: Vec<String> = commit.audit.iter().map(to_json).collect();
        x_exec(
            tx,
            "INSERT INTO audit (tenant, ticket, seq, n, body)
             SELECT $1, t, $2, n, b FROM unnest($3::text[], $4::int[], $5::text[]) AS u(t, n, b)",
            &[&tenant, &i(commit.seq), &tickets, &ns, &bodies],
        )
        .await?;
    }
    for (n, record) in commit.shadow.iter().enumerate() {
        record_shadow(tx, tenant, commit.seq, n, record).await?;
    }
    record_kpi(tx, tenant, commit.seq, &commit.kpi).await?;
    write_storage(tx, tenant, &commit.plugin_writes).await?;
    let mut queued = 0;
    for item in &commit.outbox {
        queued += i64::from(put_outbox(tx, item).await?);
    }
    add_counter(tx, &backlog_shard(tenant), queued).await?;
    let stored: Vec<StoredEvent> = commit
        .follow_ups
        .iter()
        .enumerate()
        .map(|(n, (event, depth))| StoredEvent {
            seq: first_seq + n as u64,
            tenant: tenant.to_string(),
            event: event.clone(),
            depth: *depth,
            received_at: event.occurred_at,
            target_plugin: None,
        })
        .collect();
    if !stored.is_empty() {
        let seqs: Vec<i64> = stored.iter().map(|e| i(e.seq)).collect();
        let lanes: Vec<String> = stored.iter().map(|e| self::lane(&e.event)).collect();
        let bodies: Vec<String> = stored.iter().map(to_json).collect();
        x_exec(
            tx,
            "INSERT INTO pending (tenant, seq, lane, worker, body)
             SELECT $1, s, l, $2, b FROM unnest($3::bigint[], $4::text[], $5::text[]) AS u(s, l, b)",
            &[&tenant, &worker, &seqs, &lanes, &bodies],
        )
        .await?;
    }
    Ok(stored)
}

impl TimerStore for PgStore {
    fn timers(&self, tenant: &str, ticket_id: &str) -> StoreResult<Vec<Timer>> {
        self.records(
            "timer",
            "SELECT body FROM timers WHERE tenant = $1 AND ticket = $2 ORDER BY due_at, name",
            vec![
                Box::new(tenant.to_string()),
                Box::new(ticket_id.to_string()),
            ],
        )
        .map(|timers: Vec<Timer>| {
            timers
                .into_iter()
                .map(|mut t| {
                    t.tenant = tenant.to_string();
                    t
                })
                .collect()
        })
    }

    fn due_timers(&self, up_to: Timestamp, max: usize) -> StoreResult<Vec<Timer>> {
        self.rows(
            "SELECT tenant, body FROM timers WHERE due_at <= $1
             ORDER BY due_at, tenant, ticket, plugin, name LIMIT $2",
            vec![Box::new(micros(up_to)), Box::new(limit(max))],
        )?
        .iter()
        .map(|r| {
            let mut timer: Timer = from_json("timer", r.get::<_, &str>(1))?;
            timer.tenant = r.get(0);
            Ok(timer)
        })
        .collect()
    }

    fn next_timer_due(&self) -> StoreResult<Option<Timestamp>> {
        Ok(self
            .rows("SELECT min(due_at) FROM timers", vec![])?
            .first()
            .and_then(|r| r.get::<_, Option<i64>>(0))
            .map(from_micros))
    }

    fn remove_timer(&self, timer: &Timer) -> StoreResult<bool> {
        Ok(self.exec(
            "DELETE FROM timers
             WHERE tenant = $1 AND ticket = $2 AND plugin = $3 AND name = $4 AND due_at = $5",
            vec![
                Box::new(timer.tenant.clone()),
                Box::new(timer.ticket_id.clone()),
                Box::new(timer.plugin.clone()),
                Box::new(timer.name.clone()),
                Box::new(micros(timer.due_at)),
            ],
        )? == 1)
    }

    fn fire_timer(
        &self,
        timer: &Timer,
        event: &Event,
        received_at: Timestamp,
    ) -> StoreResult<Option<StoredEvent>> {
        let (timer, event) = (timer.clone(), event.clone());
        let worker = self.worker.clone();
        self.tx(move |tx| {
            let (timer, event, worker) = (timer.clone(), event.clone(), worker.clone());
            Box::pin(async move {
                // The tenant's sequence row first, as a commit takes it before the
                // ticket's timers: one lock order, no deadlock.
                take_seqs(tx, &timer.tenant, 0).await?;
                let removed = x_exec(
                    tx,
                    "DELETE FROM timers WHERE tenant = $1 AND ticket = $2 AND plugin = $3
                         AND name = $4 AND due_at = $5",
                    &[
                        &timer.tenant,
                        &timer.ticket_id,
                        &timer.plugin,
                        &timer.name,
                        &micros(timer.due_at),
                    ],
                )
                .await?;
                if removed == 0 {
                    return Ok(None);
                }
                let stored = StoredEvent {
                    seq: take_seqs(tx, &timer.tenant, 1).await?,
                    tenant: timer.tenant.clone(),
                    event,
                    depth: 0,
                    received_at,
                    target_plugin: Some(timer.plugin.clone()),
                };
                push_pending(tx, &worker, &stored).await?;
                Ok(Some(stored))
            })
        })
    }

    fn schedule_mark(
        &self,
        tenant: &str,
        plugin: &str,
        schedule: &str,
    ) -> StoreResult<Option<Timestamp>> {
        Ok(self
            .rows(
                "SELECT mark FROM schedule_marks WHERE tenant = $1 AND plugin = $2 AND schedule = $3",
                vec![
                    Box::new(tenant.to_string()),
                    Box::new(plugin.to_string()),
                    Box::new(schedule.to_string()),
                ],
            )?
            .first()
            .map(|r| from_micros(r.get(0))))
    }

    fn clear_schedule_marks(&self, tenant: &str, plugin: &str) -> StoreResult<()> {
        self.exec(
            "DELETE FROM schedule_marks WHERE tenant = $1 AND plugin = $2",
            vec![Box::new(tenant.to_string()), Box::new(plugin.to_string())],
        )
        .map(drop)
    }

    /// A tick is stored only by the worker whose mark moves it forward: another
    /// that read the same mark finds it moved and stores nothing (`None`).
    fn fire_tick(
        &self,
        tenant: &str,
        plugin: &str,
        schedule: &str,
        mark: Timestamp,
        event: Option<&Event>,
        received_at: Timestamp,
    ) -> StoreResult<Option<StoredEvent>> {
        let (tenant, plugin, schedule, event) = (
            tenant.to_string(),
            plugin.to_string(),
            schedule.to_string(),
            event.cloned(),
        );
        let worker = self.worker.clone();
        self.tx(move |tx| {
            let (tenant, plugin, schedule, event, worker) = (
                tenant.clone(),
                plugin.clone(),
                schedule.clone(),
                event.clone(),
                worker.clone(),
            );
            Box::pin(async move {
                take_seqs(tx, &tenant, 0).await?;
                let moved = x_exec(
                    tx,
                    "INSERT INTO schedule_marks (tenant, plugin, schedule, mark)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (tenant, plugin, schedule) DO UPDATE SET mark = excluded.mark
                         WHERE schedule_marks.mark < excluded.mark",
                    &[&tenant, &plugin, &schedule, &micros(mark)],
                )
                .await?;
                let Some(event) = event.filter(|_| moved == 1) else {
                    return Ok(None);
                };
                let stored = StoredEvent {
                    seq: take_seqs(tx, &tenant, 1).await?,
                    tenant: tenant.clone(),
                    event,
                    depth: 0,
                    received_at,
                    target_plugin: Some(plugin.clone()),
                };
                push_pending(tx, &worker, &stored).await?;
                Ok(Some(stored))
            })
        })
    }
}

impl TicketStore for PgStore {
    fn ticket(&self, tenant: &str, id: &str) -> StoreResult<Option<Ticket>> {
        self.record(
            "ticket",
            "SELECT body FROM tickets WHERE tenant = $1 AND id = $2",
            vec![Box::new(tenant.to_string()), Box::new(id.to_string())],
        )
    }

    /// Reads the tenant's tickets in pages of 500 in id order, so that a listing
    /// with a limit stops once it has found that many.
    fn tickets(&self, tenant: &str, filter: &TicketFilter) -> StoreResult<Vec<Ticket>> {
        let max = filter.limit.unwrap_or(usize::MAX);
        let mut found = Vec::new();
        let mut after = String::new();
        while found.len() < max {
            let page: Vec<(String, String)> = self
                .rows(
                    "SELECT id, body FROM tickets WHERE tenant = $1 AND id > $2
                     ORDER BY id LIMIT 500",
                    vec![Box::new(tenant.to_string()), Box::new(after.clone())],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let Some((last, _)) = page.last() else {
                break;
            };
            after = last.clone();
            for (_, body) in &page {
                let ticket: Ticket = from_json("ticket", body)?;
                if found.len() < max && filter.matches(&ticket) {
                    found.push(ticket);
                }
            }
        }
        Ok(found)
    }

    fn recent_tickets(
        &self,
        tenant: &str,
        since: Timestamp,
        max: usize,
    ) -> StoreResult<Vec<Ticket>> {
        self.records(
            "ticket",
            "SELECT body FROM tickets WHERE tenant = $1 AND created_at >= $2
             ORDER BY created_at DESC, id LIMIT $3",
            vec![
                Box::new(tenant.to_string()),
                Box::new(micros(since)),
                Box::new(limit(max)),
            ],
        )
    }

    fn open_tickets_of(
        &self,
        tenant: &str,
        identity: &Identity,
        max: usize,
    ) -> StoreResult<Vec<Ticket>> {
        self.records(
            "ticket",
            "SELECT t.body FROM open_identities o
             JOIN tickets t ON t.tenant = o.tenant AND t.id = o.ticket
             WHERE o.tenant = $1 AND o.kind = $2 AND o.value = $3
             ORDER BY o.created_at DESC, o.ticket LIMIT $4",
            vec![
                Box::new(tenant.to_string()),
                Box::new(identity.kind.name().to_string()),
                Box::new(identity.compared_value().into_owned()),
                Box::new(limit(max)),
            ],
        )
    }

    fn audit(&self, tenant: &str, ticket_id: &str) -> StoreResult<Vec<AuditRecord>> {
        self.records(
            "audit record",
            "SELECT body FROM audit WHERE tenant = $1 AND ticket = $2 ORDER BY seq, n",
            vec![
                Box::new(tenant.to_string()),
                Box::new(ticket_id.to_string()),
            ],
        )
    }
}

impl OutboxStore for PgStore {
    fn put_webhook(&self, tenant: &str, webhook: &Webhook) -> StoreResult<()> {
        self.exec(
            "INSERT INTO webhooks (tenant, name, body) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, name) DO UPDATE SET body = excluded.body",
            vec![
                Box::new(tenant.to_string()),
                Box::new(webhook.name.clone()),
                Box::new(to_json(webhook)),
            ],
        )
        .map(drop)
    }

    fn webhook(&self, tenant: &str, name: &str) -> StoreResult<Option<Webhook>> {
        self.record(
            "webhook",
            "SELECT body FROM webhooks WHERE tenant = $1 AND name = $2",
            vec![Box::new(tenant.to_string()), Box::new(name.to_string())],
        )
    }

    fn webhooks(&self, tenant: &str) -> StoreResult<Vec<Webhook>> {
        self.records(
            "webhook",
            "SELECT body FROM webhooks WHERE tenant = $1 ORDER BY name",
            vec![Box::new(tenant.to_string())],
        )
    }

    fn delete_webhook(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        Ok(self.exec(
            "DELETE FROM webhooks WHERE tenant = $1 AND name = $2",
            vec![Box::new(tenant.to_string()), Box::new(name.to_string())],
        )? == 1)
    }

    fn due_outbox(
        &self,
        up_to: Timestamp,
        after: Option<&OutboxItem>,
        max: usize,
    ) -> StoreResult<Vec<OutboxItem>> {
        let (due, tenant, id) = match after {
            Some(a) => (micros(a.next_attempt_at), a.tenant.clone(), a.id.clone()),
            None => (i64::MIN, String::new(), String::new()),
        };
        self.records(
            "outbox item",
            "SELECT body FROM outbox WHERE (due_at, tenant, id) > ($1, $2, $3) AND due_at <= $4
             ORDER BY due_at, tenant, id LIMIT $5",
            vec![
                Box::new(due),
                Box::new(tenant),
                Box::new(id),
                Box::new(micros(up_to)),
                Box::new(limit(max)),
            ],
        )
    }

    fn outbox_backlog(&self) -> StoreResult<u64> {
        Ok(self
            .rows(
                "SELECT COALESCE(sum(value), 0)::bigint FROM counters
                 WHERE key >= 'outbox_backlog/' AND key < 'outbox_backlog0'",
                vec![],
            )?
            .first()
            .map_or(0, |r| r.get::<_, i64>(0).max(0) as u64))
    }

    fn update_outbox(&self, item: &OutboxItem) -> StoreResult<()> {
        let item = item.clone();
        self.tx(move |tx| {
            let item = item.clone();
            Box::pin(async move {
                let new = put_outbox(tx, &item).await?;
                add_counter(tx, &backlog_shard(&item.tenant), i64::from(new)).await
            })
        })
    }

    fn remove_outbox(&self, tenant: &str, id: &str) -> StoreResult<()> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.tx(move |tx| {
            let (tenant, id) = (tenant.clone(), id.clone());
            Box::pin(async move {
                let removed = x_exec(
                    tx,
                    "DELETE FROM outbox WHERE tenant = $1 AND id = $2",
                    &[&tenant, &id],
                )
                .await?;
                add_counter(tx, &backlog_shard(&tenant), -(removed as i64)).await
            })
        })
    }

    fn dead_letter(&self, item: &OutboxItem) -> StoreResult<()> {
        let item = item.clone();
        self.tx(move |tx| {
            let item = item.clone();
            Box::pin(async move {
                let removed = x_exec(
                    tx,
                    "DELETE FROM outbox WHERE tenant = $1 AND id = $2",
                    &[&item.tenant, &item.id],
                )
                .await?;
                add_counter(tx, &backlog_shard(&item.tenant), -(removed as i64)).await?;
                x_exec(
                    tx,
                    "INSERT INTO dead_letters (tenant, id, body) VALUES ($1, $2, $3)
                     ON CONFLICT (tenant, id) DO UPDATE SET body = excluded.body",
                    &[&item.tenant, &item.id, &to_json(&item)],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn dead_letters(&self, tenant: &str) -> StoreResult<Vec<OutboxItem>> {
        self.records(
            "dead letter",
            "SELECT body FROM dead_letters WHERE tenant = $1 ORDER BY id",
            vec![Box::new(tenant.to_string())],
        )
    }

    fn replay_dead_letter(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OutboxItem>> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.tx(move |tx| {
            let (tenant, id) = (tenant.clone(), id.clone());
            Box::pin(async move {
                let Some(row) = x_opt(
                    tx,
                    "DELETE FROM dead_letters WHERE tenant = $1 AND id = $2 RETURNING body",
                    &[&tenant, &id],
                )
                .await?
                else {
                    return Ok(None);
                };
                let mut item: OutboxItem = from_json("dead letter", row.get::<_, &str>(0))?;
                item.attempts = 0;
                item.next_attempt_at = now;
                item.last_error = None;
                let new = put_outbox(tx, &item).await?;
                add_counter(tx, &backlog_shard(&tenant), i64::from(new)).await?;
                Ok(Some(item))
            })
        })
    }
}

impl KpiFacts for PgStore {
    fn kpi_facts(
        &self,
        tenant: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<crate::kpi::Fact>> {
        let rows = self.rows(
            "SELECT record FROM kpi_facts WHERE tenant = $1 AND at_ms >= $2 AND at_ms < $3
             ORDER BY at_ms, seq, n",
            vec![
                Box::new(tenant.to_string()),
                Box::new(from.timestamp_millis()),
                Box::new(until.timestamp_millis()),
            ],
        )?;
        let mut facts = Vec::new();
        for row in &rows {
            let record: crate::kpi::fact::Stored = postcard::from_bytes(row.get::<_, &[u8]>(0))
                .map_err(|e| StoreError::Corrupt {
                    key: format!("kpi fact of {tenant}"),
                    reason: e.to_string(),
                })?;
            record.unpack(&mut facts);
        }
        Ok(facts)
    }

    fn kpi_backlog_at(&self, tenant: &str, at: Timestamp) -> StoreResult<crate::kpi::Backlog> {
        let day = at.timestamp().div_euclid(86_400);
        let rows = self.rows(
            "SELECT COALESCE(sum(unsolved), 0)::bigint, COALESCE(sum(awaiting), 0)::bigint
             FROM kpi_days WHERE tenant = $1 AND day < $2",
            vec![Box::new(tenant.to_string()), Box::new(day)],
        )?;
        let mut sums = crate::kpi::Backlog::default();
        if let Some(row) = rows.first() {
            sums.unsolved = row.get(0);
            sums.awaiting = row.get(1);
        }
        let day_start =
            chrono::DateTime::<chrono::Utc>::from_timestamp(day * 86_400, 0).unwrap_or(at);
        for fact in self.kpi_facts(tenant, day_start, at)? {
            if let crate::kpi::FactKind::Backlog { unsolved, awaiting } = fact.kind {
                sums.unsolved += i64::from(unsolved);
                sums.awaiting += i64::from(awaiting);
            }
        }
        Ok(sums)
    }

    fn kpi_breaches(
        &self,
        tenant: &str,
        ticket: &str,
        metric: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<Timestamp>> {
        Ok(self
            .rows(
                "SELECT at_ms FROM kpi_breaches
                 WHERE tenant = $1 AND ticket = $2 AND metric = $3 AND at_ms >= $4 AND at_ms < $5
                 ORDER BY at_ms",
                vec![
                    Box::new(tenant.to_string()),
                    Box::new(ticket.to_string()),
                    Box::new(metric.to_string()),
                    Box::new(from.timestamp_millis()),
                    Box::new(until.timestamp_millis()),
                ],
            )?
            .iter()
            .filter_map(|r| chrono::DateTime::from_timestamp_millis(r.get(0)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_after_its_last_byte_that_can_grow() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn lock_keys_are_stable() {
        // FNV-1a of "": its offset basis; a build that changed it would let two
        // versions of guichet hold one ticket's lock at once.
        assert_eq!(lock_key(""), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_ne!(lock_key("acme/tk-1"), lock_key("acme/tk-2"));
    }
}
