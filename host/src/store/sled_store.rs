//! The [`Store`] on sled, the embedded default.
//!
//! One tree per kind of record; keys start with the tenant id and a NUL byte, so a
//! prefix scan never crosses tenants (tenant ids, plugin names and ticket ids are
//! checked by the API to hold no NUL). Values are JSON, readable with any sled tool.
//! Sequence numbers are zero-padded so that byte order is numeric order.
//!
//! Timers live in one tree for every tenant, keyed by due time first, so that the
//! soonest is the first key; `timer_index` finds a ticket's timers by name.
//!
//! What a plugin may ask during an event is answered from indexes, so that its cost
//! does not grow with what the tenant has stored: `tickets_by_created` (tickets by
//! creation time, for `tickets.recent`), `open_tickets_by_identity` (open tickets
//! by requester identity, for `tickets.open-by-identity`) and `plugin_storage_counts`
//! (each plugin's number of keys, for the storage quota). They are written in the
//! same transaction as the records they index ([`EventLog::commit_event`]), and built
//! once when a data directory written before them is opened (see [`SCHEMA_VERSION`]).
//!
//! The outbox is read the same way: `outbox_due` holds one key per queued delivery,
//! its due time first, so that the delivery worker reads only what is due, and
//! `meta` keeps the number of queued deliveries ([`BACKLOG_KEY`]) for the metrics.
//! Both change in the transaction that adds, moves or removes the delivery.
//!
//! `event_log` keeps the events received from outside after they are processed,
//! keyed by tenant, arrival time and sequence, for replays; `plugin_versions` keeps
//! every version of every plugin; `shadow_diffs` what shadow candidates decided,
//! keyed by tenant, plugin and event sequence.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::group_sync::GroupSync;
use super::{
    AuditRecord, Enqueued, EventCommit, EventLog, INBOUND_REFUSALS_KEPT, InboundDelivery,
    InboundEnqueued, InboundRefusal, InstalledPlugin, KpiFacts, OutboxItem, OutboxStore,
    PluginStorage, PluginStore, PluginVersion, Readiness, Role, ShadowRecord, StoreError,
    StoreResult, StoredEvent, Suspension, Tenant, TenantStore, TicketFilter, TicketStore, Timer,
    TimerChange, TimerStore, TokenRecord, Webhook, Workers, shadow_prefix,
};
use crate::diff::{DiffSummary, EventDiff, Verdict};
use crate::model::{Event, Identity, Ticket, Timestamp};

/// The layout of the data directory this build writes, kept in `meta` under
/// [`SCHEMA_KEY`]. 1 (no key): the records alone. 2: with the ticket indexes and the
/// plugin storage counters, which [`SledStore::open`] builds on a version-1
/// directory. 3: with `event_ids`, the ids of the events accepted from outside;
/// opening an older directory records the ids of its pending outside events (those
/// already processed were not kept, so they are not recognised if sent again).
/// 4: with `outbox_due`, the deliveries by due time, and the backlog counter
/// ([`BACKLOG_KEY`]), built from the outbox at open. 5: with plugin versions, the
/// event log and shadow diffs; opening an older directory makes version 1 of each
/// installed plugin from its settings (the events received before were not kept).
const SCHEMA_VERSION: u64 = 6;
const SCHEMA_KEY: &[u8] = b"schema_version";
/// The number of deliveries in the outbox (u64, big-endian), in `meta`.
const BACKLOG_KEY: &[u8] = b"outbox_backlog";

pub struct SledStore {
    db: sled::Db,
    /// The data directory, for the blob files' directory.
    dir: std::path::PathBuf,
    /// sled's log (`db` in the directory), opened again for `fdatasync`.
    log: std::fs::File,
    /// Concurrent [`EventLog::flush`] calls share one sync.
    group: GroupSync,
    /// What [`Workers::take_over`] has still to hand out of the events pending at
    /// open: `None` until its first call reads them.
    left_pending: std::sync::Mutex<Option<std::collections::VecDeque<StoredEvent>>>,
    /// The blob directory's modification time at the last sync: sled writes values
    /// over its blob threshold (128 KiB: components, large nodes) to files of their
    /// own, without syncing them.
    blobs_seen: std::sync::Mutex<Option<std::time::SystemTime>>,
    meta: sled::Tree,
    tenants: sled::Tree,
    tokens: sled::Tree,
    components: sled::Tree,
    plugins: sled::Tree,
    plugin_storage: sled::Tree,
    pending: sled::Tree,
    idempotency: sled::Tree,
    /// tenant, event id -> seq (u64, big-endian) of the event accepted under that id
    event_ids: sled::Tree,
    tickets: sled::Tree,
    audit: sled::Tree,
    webhooks: sled::Tree,
    outbox: sled::Tree,
    /// [`outbox_due_key`] -> nothing: the outbox by due time
    outbox_due: sled::Tree,
    dead_letters: sled::Tree,
    /// due key ([`due_key`]) -> [`Timer`]
    timers: sled::Tree,
    /// tenant, ticket, plugin, name -> due key
    timer_index: sled::Tree,
    /// tenant, plugin, schedule -> RFC 3339 time of the last tick
    schedule_marks: sled::Tree,
    /// [`created_key`] -> ticket id
    tickets_by_created: sled::Tree,
    /// [`open_keys`] -> ticket id, for tickets that are not solved, closed or merged
    open_by_identity: sled::Tree,
    /// tenant, plugin -> number of keys in `plugin_storage` (u64, big-endian); absent
    /// for none
    storage_counts: sled::Tree,
    /// tenant, adapter, conversation -> ticket id
    links: sled::Tree,
    /// inbound address -> tenant, plugin
    inbound: sled::Tree,
    /// tenant, adapter, slot (u64 big-endian, 0 to 99) -> [`InboundRefusal`]; the
    /// slot after the last written is in `meta`
    inbound_refusals: sled::Tree,
    event_log: sled::Tree,
    plugin_versions: sled::Tree,
    shadow_diffs: sled::Tree,
    /// KPI facts (`f`, tenant, time, event, place; a postcard `kpi::fact::Stored`
    /// per instant of an event), per-day backlog sums (`d`, tenant, UTC day; JSON)
    /// and breaches by ticket (`b`): see [`kpi_fact_key`].
    kpi: sled::Tree,
}

/// `syncfs(2)` on the filesystem that holds `file`.
fn syncfs(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for as long as `file` is borrowed.
    if unsafe { libc::syncfs(file.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn key(parts: &[&str]) -> Vec<u8> {
    parts.join("\0").into_bytes()
}

fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = key(parts);
    k.push(0);
    k
}

fn seq_key(tenant: &str, seq: u64) -> Vec<u8> {
    key(&[tenant, &format!("{seq:020}")])
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialise")
}

fn from_json<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(key, e))
}

/// The record at `key` cannot be read, for `reason`.
fn corrupt(key: &[u8], reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        key: String::from_utf8_lossy(key).replace('\0', "/"),
        reason: reason.to_string(),
    }
}

fn scan<T: DeserializeOwned>(tree: &sled::Tree, prefix: &[u8]) -> StoreResult<Vec<T>> {
    tree.scan_prefix(prefix)
        .map(|entry| {
            let (k, v) = entry.map_err(backend)?;
            from_json(&k, &v)
        })
        .collect()
}

fn get<T: DeserializeOwned>(tree: &sled::Tree, key: &[u8]) -> StoreResult<Option<T>> {
    tree.get(key)
        .map_err(backend)?
        .map(|v| from_json(key, &v))
        .transpose()
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => backend(e),
    }
}

const SEQ_PREFIX: &str = "seq";

/// A timer's key in the `timers` tree: its due time in milliseconds (sign bit
/// flipped, big-endian, so that byte order is time order, before 1970 included),
/// then its identity.
fn due_key(timer: &Timer) -> Vec<u8> {
    let millis = timer.due_at.timestamp_millis() as u64 ^ (1 << 63);
    let mut k = millis.to_be_bytes().to_vec();
    k.extend(timer_id(timer));
    k
}

/// A `plugin_versions` key: tenant, plugin, number.
fn version_key(tenant: &str, plugin: &str, number: u64) -> Vec<u8> {
    let mut k = prefix(&[tenant, plugin]);
    k.extend(number.to_be_bytes());
    k
}

/// What a `shadow_diffs` key holds after the tenant and the run: a diff (then the
/// event's sequence and its place in the commit), a timer's first firing waiting
/// for its other one (then the timer), or a count (then the verdict).
const SHADOW_DIFF: u8 = b'D';
const SHADOW_PAIR: u8 = b'P';
const SHADOW_COUNT: u8 = b'C';

fn shadow_key(tenant: &str, shadow: &str, kind: u8) -> Vec<u8> {
    let mut k = prefix(&[tenant, shadow]);
    k.push(kind);
    k
}

fn shadow_count_key(tenant: &str, shadow: &str, verdict: Verdict) -> Vec<u8> {
    let mut k = shadow_key(tenant, shadow, SHADOW_COUNT);
    k.extend(verdict.name().as_bytes());
    k
}

/// The first byte of a `kpi` key: a fact, a day's backlog sums, or a breach by
/// ticket.
const KPI_FACT: u8 = b'f';
const KPI_DAY: u8 = b'd';
const KPI_BREACH: u8 = b'b';

/// A breach's key: `b`, tenant, ticket, metric, time (ms).
fn kpi_breach_key(tenant: &str, ticket: &str, metric: &str, at: Timestamp) -> Vec<u8> {
    let mut k = vec![KPI_BREACH];
    k.extend(prefix(&[tenant, ticket, metric]));
    k.extend(ordered(at.timestamp_millis()));
    k
}

/// Milliseconds (or days) with the sign bit flipped, big-endian: byte order is number
/// order, before 1970 included.
fn ordered(n: i64) -> [u8; 8] {
    (n as u64 ^ (1 << 63)).to_be_bytes()
}

fn kpi_prefix(kind: u8, tenant: &str) -> Vec<u8> {
    let mut k = vec![kind];
    k.extend(prefix(&[tenant]));
    k
}

/// A facts record's key: `f`, tenant, its time (ms), the event's sequence number and
/// the record's place in the commit, so that a range of time is a range of keys.
fn kpi_fact_key(tenant: &str, at: Timestamp, seq: u64, n: usize) -> Vec<u8> {
    let mut k = kpi_prefix(KPI_FACT, tenant);
    k.extend(ordered(at.timestamp_millis()));
    k.extend(seq.to_be_bytes());
    k.extend((n as u32).to_be_bytes());
    k
}

/// A day's key: `d`, tenant, the UTC day (days since 1970-01-01).
fn kpi_day_key(tenant: &str, day: i64) -> Vec<u8> {
    let mut k = kpi_prefix(KPI_DAY, tenant);
    k.extend(ordered(day));
    k
}

fn utc_day(at: Timestamp) -> i64 {
    at.timestamp().div_euclid(86_400)
}

/// Stores an event's KPI facts, one record per instant, and adds their backlog
/// changes to their days' sums. O(f log n) for f facts.
fn record_kpi(
    tree: &sled::transaction::TransactionalTree,
    tenant: &str,
    seq: u64,
    facts: &[crate::kpi::Fact],
) -> Result<(), ConflictableTransactionError<StoreError>> {
    for (n, record) in crate::kpi::fact::Stored::pack(facts).iter().enumerate() {
        tree.insert(
            kpi_fact_key(tenant, record.at, seq, n),
            postcard::to_allocvec(record).expect("facts serialise"),
        )?;
    }
    for fact in facts {
        if let crate::kpi::FactKind::SlaBreach { metric } = &fact.kind {
            tree.insert(kpi_breach_key(tenant, &fact.ticket, metric, fact.at), &[])?;
        }
        if let crate::kpi::FactKind::Backlog { unsolved, awaiting } = fact.kind {
            let k = kpi_day_key(tenant, utc_day(fact.at));
            let mut sums: crate::kpi::Backlog = match tree.get(&k)? {
                Some(v) => from_json(&k, &v).map_err(ConflictableTransactionError::Abort)?,
                None => crate::kpi::Backlog::default(),
            };
            sums.unsolved += i64::from(unsolved);
            sums.awaiting += i64::from(awaiting);
            tree.insert(k, to_json(&sums))?;
        }
    }
    Ok(())
}

/// Keeps a shadow diff and counts it; the second firing of a timer completes the
/// diff of the first (and its count moves) instead of making another. O(log n).
fn record_shadow(
    shadow: &sled::transaction::TransactionalTree,
    tenant: &str,
    seq: u64,
    n: usize,
    record: &ShadowRecord,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let count = |verdict: Verdict, delta: i64| {
        let k = shadow_count_key(tenant, &record.shadow, verdict);
        let now = read_count(shadow.get(&k)?.as_deref()).saturating_add_signed(delta);
        shadow.insert(k, &now.to_be_bytes())?;
        Ok::<_, ConflictableTransactionError<StoreError>>(())
    };
    let pair_key = record.pair.as_ref().map(|pair| {
        let mut k = shadow_key(tenant, &record.shadow, SHADOW_PAIR);
        k.extend(pair.as_bytes());
        k
    });
    if let Some(pair_key) = &pair_key
        && let Some(first_key) = shadow.get(pair_key)?
        && let Some(first) = shadow.get(&first_key)?
    {
        let mut first: EventDiff =
            from_json(&first_key, &first).map_err(ConflictableTransactionError::Abort)?;
        let before = first.verdict;
        if crate::diff::complete(&mut first, record.diff.clone()) {
            shadow.insert(first_key.as_ref(), to_json(&first))?;
            shadow.remove(pair_key.as_slice())?;
            count(before, -1)?;
            count(first.verdict, 1)?;
            return Ok(());
        }
    }
    let mut k = shadow_key(tenant, &record.shadow, SHADOW_DIFF);
    k.extend(seq.to_be_bytes());
    k.extend((n as u32).to_be_bytes());
    shadow.insert(k.as_slice(), to_json(&record.diff))?;
    if let Some(pair_key) = pair_key {
        shadow.insert(pair_key, k)?;
    }
    count(record.diff.verdict, 1)
}

/// An `event_log` key: tenant, arrival time, sequence.
fn log_key(tenant: &str, received_at: Timestamp, seq: u64) -> Vec<u8> {
    let mut k = prefix(&[tenant]);
    k.extend(time_bytes(received_at));
    k.extend(seq.to_be_bytes());
    k
}

/// A timer's identity: tenant, ticket, plugin, name.
fn timer_id(timer: &Timer) -> Vec<u8> {
    key(&[&timer.tenant, &timer.ticket_id, &timer.plugin, &timer.name])
}

/// A moment as 12 bytes whose byte order is time order: the seconds since 1970 (sign
/// bit flipped, so that moments before 1970 sort first), then the nanoseconds, both
/// big-endian.
fn time_bytes(t: Timestamp) -> [u8; 12] {
    let mut bytes = [0; 12];
    bytes[..8].copy_from_slice(&(t.timestamp() as u64 ^ (1 << 63)).to_be_bytes());
    bytes[8..].copy_from_slice(&t.timestamp_subsec_nanos().to_be_bytes());
    bytes
}

/// A ticket id in reverse byte order: every byte complemented, then `0xFF` (so that
/// an id sorts after the longer ids it begins). Indexes are read newest first, that
/// is backwards; with this suffix the tickets of one moment still come in id order.
fn reversed_id(id: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> = id.bytes().map(|b| !b).collect();
    bytes.push(0xFF);
    bytes
}

/// A ticket's key in `tickets_by_created`: tenant, creation time, id reversed.
fn created_key(tenant: &str, ticket: &Ticket) -> Vec<u8> {
    let mut k = prefix(&[tenant]);
    k.extend(time_bytes(ticket.created_at));
    k.extend(reversed_id(&ticket.id));
    k
}

/// Where the open tickets of an identity are in `open_by_identity`: tenant, kind,
/// then the value as [`Identity::compared_value`] gives it (the rule of
/// [`Identity::same_as`]), length first so that no value's entries begin another's.
fn identity_prefix(tenant: &str, identity: &Identity) -> Vec<u8> {
    let value = identity.compared_value();
    let mut k = prefix(&[tenant, identity.kind.name()]);
    k.extend((value.len() as u32).to_be_bytes());
    k.extend(value.as_bytes());
    k
}

/// A ticket's keys in `open_by_identity`: one per distinct identity of its requester
/// ([`identity_prefix`], creation time, id reversed), none once it is solved, closed
/// or merged.
fn open_keys(tenant: &str, ticket: &Ticket) -> BTreeSet<Vec<u8>> {
    if !ticket.status.is_open() {
        return BTreeSet::new();
    }
    let suffix = [
        time_bytes(ticket.created_at).as_slice(),
        &reversed_id(&ticket.id),
    ]
    .concat();
    ticket
        .requester
        .identities
        .iter()
        .map(|identity| [identity_prefix(tenant, identity), suffix.clone()].concat())
        .collect()
}

/// Moves a ticket's index entries from what `old` had to what `new` has, inside
/// the transaction that writes `new`. O(i log n) for the i identities of the two.
fn reindex(
    by_created: &sled::transaction::TransactionalTree,
    open: &sled::transaction::TransactionalTree,
    tenant: &str,
    old: Option<&Ticket>,
    new: &Ticket,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let new_created = created_key(tenant, new);
    let old_created = old.map(|old| created_key(tenant, old));
    if old_created.as_ref() != Some(&new_created) {
        if let Some(old_created) = old_created {
            by_created.remove(old_created)?;
        }
        by_created.insert(new_created, new.id.as_bytes())?;
    }
    let old_open = old.map(|old| open_keys(tenant, old)).unwrap_or_default();
    let new_open = open_keys(tenant, new);
    for k in old_open.difference(&new_open) {
        open.remove(k.as_slice())?;
    }
    for k in new_open.difference(&old_open) {
        open.insert(k.as_slice(), new.id.as_bytes())?;
    }
    Ok(())
}

fn read_count(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

/// The `storage_counts` key of a `plugin_storage` key: its tenant and plugin (the
/// key up to its second NUL; the plugin's own key may hold NULs, tenant ids and
/// plugin names do not).
fn count_key_of(storage_key: &[u8]) -> Option<&[u8]> {
    let first = storage_key.iter().position(|b| *b == 0)?;
    let second = first + 1 + storage_key[first + 1..].iter().position(|b| *b == 0)?;
    Some(&storage_key[..second])
}

fn read_timer(k: &[u8], v: &[u8]) -> StoreResult<Timer> {
    let mut timer: Timer = from_json(k, v)?;
    // The tenant is in the key, not the value (the API shows timers without it).
    let id = &k[8..];
    timer.tenant = String::from_utf8_lossy(id.split(|b| *b == 0).next().unwrap_or(b"")).into();
    Ok(timer)
}

/// Stores an event pending inside a transaction; used for events the host makes
/// (follow-ups, timers, ticks).
fn push_pending(
    meta: &sled::transaction::TransactionalTree,
    pending: &sled::transaction::TransactionalTree,
    tenant: &str,
    event: &Event,
    depth: u32,
    received_at: Timestamp,
    target_plugin: Option<&str>,
) -> Result<StoredEvent, ConflictableTransactionError<StoreError>> {
    let seq = next_seq(meta, tenant)?;
    let stored = StoredEvent {
        seq,
        tenant: tenant.to_string(),
        event: event.clone(),
        depth,
        received_at,
        target_plugin: target_plugin.map(str::to_string),
    };
    pending.insert(seq_key(tenant, seq), to_json(&stored))?;
    Ok(stored)
}

/// Waits (at most 1 s) while the store in `dir` is locked. sled lets go of its lock
/// file from background threads a moment after its last handle is dropped, so the
/// same process reopening the store at once (a restart in a test, a bench) could
/// find it still locked. A store that stays locked (another process holds it) is
/// left for `open` to report.
fn wait_until_free(dir: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        match std::fs::File::open(dir.join("db")).map(|f| f.try_lock()) {
            Ok(Err(std::fs::TryLockError::WouldBlock)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            // Free (the probe's lock goes with its file), absent, or an error that
            // opening reports.
            _ => return,
        }
    }
}

impl SledStore {
    /// One sync: sled's flush, then `fdatasync(2)` of its log, or `syncfs(2)` when the
    /// blob directory changed since the last sync (its new files and their directory
    /// entries must be durable too). Run by [`GroupSync`] for every caller waiting.
    fn sync_now(&self) -> Result<(), String> {
        self.db
            .flush()
            .map_err(|e| format!("flushing the store: {e}"))?;
        let blobs = std::fs::metadata(self.dir.join("blobs"))
            .and_then(|m| m.modified())
            .ok();
        let mut seen = self.blobs_seen.lock().unwrap_or_else(|e| e.into_inner());
        if blobs.is_some() && blobs != *seen {
            syncfs(&self.log).map_err(|e| format!("syncfs of the store's filesystem: {e}"))?;
            *seen = blobs;
        } else {
            self.log
                .sync_data()
                .map_err(|e| format!("fdatasync of the store's log: {e}"))?;
        }
        Ok(())
    }

    /// (syncs run, flushes asked) since the store was opened: how many callers a
    /// sync served on average.
    pub fn sync_counts(&self) -> (u64, u64) {
        self.group.counts()
    }

    /// Opens (or creates) the store in `dir`. A directory written by an older
    /// guichet gets the indexes it lacks, built once (O(n log n) in what it holds);
    /// one written by a newer guichet is refused ([`StoreError::NewerSchema`]).
    pub fn open(dir: &Path) -> StoreResult<SledStore> {
        wait_until_free(dir);
        let db = sled::Config::new()
            .path(dir)
            .open()
            .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", dir.display())))?;
        let log = std::fs::File::open(dir.join("db"))
            .map_err(|e| StoreError::Backend(format!("cannot open {}/db: {e}", dir.display())))?;
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        let store = SledStore {
            dir: dir.to_path_buf(),
            log,
            group: GroupSync::default(),
            left_pending: std::sync::Mutex::new(None),
            blobs_seen: std::sync::Mutex::new(None),
            meta: tree("meta")?,
            tenants: tree("tenants")?,
            tokens: tree("tokens")?,
            components: tree("components")?,
            plugins: tree("plugins")?,
            plugin_storage: tree("plugin_storage")?,
            pending: tree("pending_events")?,
            idempotency: tree("idempotency")?,
            event_ids: tree("event_ids")?,
            tickets: tree("tickets")?,
            audit: tree("audit")?,
            webhooks: tree("webhooks")?,
            outbox: tree("outbox")?,
            outbox_due: tree("outbox_due")?,
            dead_letters: tree("dead_letters")?,
            timers: tree("timers")?,
            timer_index: tree("timer_index")?,
            schedule_marks: tree("schedule_marks")?,
            tickets_by_created: tree("tickets_by_created")?,
            open_by_identity: tree("open_tickets_by_identity")?,
            storage_counts: tree("plugin_storage_counts")?,
            links: tree("conversation_links")?,
            inbound: tree("inbound_addresses")?,
            inbound_refusals: tree("inbound_refusals")?,
            event_log: tree("event_log")?,
            plugin_versions: tree("plugin_versions")?,
            shadow_diffs: tree("shadow_diffs")?,
            kpi: tree("kpi")?,
            db,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Writes `plugin`, keeping the stored suspension unless `lift_suspension`, and the
    /// inbound address index with it, in one transaction; returns what was written.
    fn write_plugin(
        &self,
        tenant: &str,
        plugin: &InstalledPlugin,
        lift_suspension: bool,
    ) -> StoreResult<InstalledPlugin> {
        let k = key(&[tenant, &plugin.name]);
        (&self.plugins, &self.inbound)
            .transaction(|(plugins, inbound)| {
                let mut plugin = plugin.clone();
                // The address index follows the plugin's address, whatever it was.
                if let Some(old) = plugins.get(&k)? {
                    let old: InstalledPlugin =
                        from_json(&k, &old).map_err(ConflictableTransactionError::Abort)?;
                    if let Some(address) = &old.inbound_address
                        && plugin.inbound_address.as_deref() != Some(address.as_str())
                    {
                        inbound.remove(address.as_bytes())?;
                    }
                    if !lift_suspension {
                        plugin.suspended = old.suspended;
                    }
                }
                if let Some(address) = &plugin.inbound_address {
                    inbound.insert(address.as_bytes(), k.as_slice())?;
                }
                plugins.insert(k.as_slice(), to_json(&plugin))?;
                Ok(plugin)
            })
            .map_err(tx_error)
    }

    /// The schema version of the directory: 1 when none is recorded.
    fn schema_version(&self) -> StoreResult<u64> {
        match self.meta.get(SCHEMA_KEY).map_err(backend)? {
            None => Ok(1),
            Some(v) => <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::Corrupt {
                    key: "meta/schema_version".to_string(),
                    reason: format!("{} bytes where 8 were expected", v.len()),
                }),
        }
    }

    /// Brings a directory written by an older guichet to [`SCHEMA_VERSION`]; refuses
    /// one written by a newer guichet. Idempotent: a crash half-way leaves the old
    /// version recorded, and the next open starts over.
    fn migrate(&self) -> StoreResult<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < 2 {
            self.build_indexes()?;
        }
        if found < 3 {
            self.index_pending_event_ids()?;
        }
        if found < 4 {
            self.index_outbox()?;
        }
        if found < 5 {
            self.version_installed_plugins()?;
        }
        if found < 6 {
            self.count_open_tickets()?;
        }
        if found < SCHEMA_VERSION {
            self.meta
                .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                .map_err(backend)?;
            self.db.flush().map_err(backend)?;
        }
        Ok(())
    }

    /// The KPIs' backlog of a store written before KPI facts existed: each tenant's
    /// unsolved and awaiting tickets, counted once and written as the backlog sums of
    /// the day before the upgrade (UTC), so that the facts of the tickets open then
    /// bring the backlog down to zero, not below it. O(n) in the tickets, once, at
    /// open; a migration cut short writes the same sums again.
    fn count_open_tickets(&self) -> StoreResult<()> {
        let mut sums: BTreeMap<String, crate::kpi::Backlog> = BTreeMap::new();
        for entry in self.tickets.iter() {
            let (k, v) = entry.map_err(backend)?;
            let Ok(ticket) = from_json::<Ticket>(&k, &v) else {
                continue;
            };
            let tenant =
                String::from_utf8_lossy(k.split(|b| *b == 0).next().unwrap_or(b"")).into_owned();
            let sum = sums.entry(tenant).or_default();
            sum.unsolved += i64::from(ticket.status.is_open());
            sum.awaiting += i64::from(crate::kpi::fact::awaiting(ticket.status));
        }
        let day = utc_day(chrono::Utc::now()) - 1;
        for (tenant, sum) in sums {
            self.kpi
                .insert(kpi_day_key(&tenant, day), to_json(&sum))
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Makes version 1 of every installed plugin that has none, from its settings:
    /// O(p log p) in the plugins, once, at open.
    fn version_installed_plugins(&self) -> StoreResult<()> {
        for entry in self.plugins.iter() {
            let (k, v) = entry.map_err(backend)?;
            let mut plugin = match from_json::<InstalledPlugin>(&k, &v) {
                Ok(plugin) => plugin,
                Err(e) => {
                    // Reading it reports the error too; it gets a version at its next
                    // change.
                    tracing::warn!(error = %e, "an unreadable plugin record gets no version");
                    continue;
                }
            };
            if plugin.active_version != 0 {
                continue;
            }
            let tenant =
                String::from_utf8_lossy(k.split(|b| *b == 0).next().unwrap_or(b"")).into_owned();
            // A migration cut short after making the version finds it there.
            if let Some(made) = self.plugin_versions(&tenant, &plugin.name)?.last() {
                plugin.active_version = made.number;
                self.plugins.insert(k, to_json(&plugin)).map_err(backend)?;
                continue;
            }
            let version = self.add_plugin_version(
                &tenant,
                &plugin.name,
                &PluginVersion {
                    number: 0,
                    source: plugin.source.clone(),
                    sha256: plugin.version.clone(),
                    config: plugin.config.clone(),
                    label: Some("installed before versions were kept".to_string()),
                    created_by: "upgrade".to_string(),
                    created_at: plugin.updated_at,
                },
            )?;
            plugin.active_version = version.number;
            self.plugins.insert(k, to_json(&plugin)).map_err(backend)?;
        }
        Ok(())
    }

    /// Builds the ticket indexes and the plugin storage counters from the records:
    /// O(n log n) in the tickets and storage keys, once, at open.
    fn build_indexes(&self) -> StoreResult<()> {
        for tree in [
            &self.tickets_by_created,
            &self.open_by_identity,
            &self.storage_counts,
        ] {
            tree.clear().map_err(backend)?;
        }
        let (mut by_created, mut open) = (sled::Batch::default(), sled::Batch::default());
        let mut tickets = 0usize;
        for entry in self.tickets.iter() {
            let (k, v) = entry.map_err(backend)?;
            let ticket: Ticket = match from_json(&k, &v) {
                Ok(ticket) => ticket,
                Err(e) => {
                    // Left out of the indexes; reading it still reports the error.
                    tracing::warn!(error = %e, "an unreadable ticket is not indexed");
                    continue;
                }
            };
            let tenant = String::from_utf8_lossy(k.split(|b| *b == 0).next().unwrap_or(b""));
            by_created.insert(created_key(&tenant, &ticket), ticket.id.as_bytes());
            for key in open_keys(&tenant, &ticket) {
                open.insert(key, ticket.id.as_bytes());
            }
            tickets += 1;
        }
        let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for k in self.plugin_storage.iter().keys() {
            let k = k.map_err(backend)?;
            if let Some(count_key) = count_key_of(&k) {
                *counts.entry(count_key.to_vec()).or_default() += 1;
            }
        }
        let mut count_batch = sled::Batch::default();
        for (k, n) in &counts {
            count_batch.insert(k.as_slice(), &n.to_be_bytes());
        }
        self.tickets_by_created
            .apply_batch(by_created)
            .map_err(backend)?;
        self.open_by_identity.apply_batch(open).map_err(backend)?;
        self.storage_counts
            .apply_batch(count_batch)
            .map_err(backend)?;
        tracing::info!(
            tickets,
            plugins_with_storage = counts.len(),
            "store indexes built (schema version {SCHEMA_VERSION})"
        );
        Ok(())
    }

    /// Records the ids of the pending events that came from outside (not follow-ups,
    /// timers or ticks), so that a delivery of one of them again is a duplicate:
    /// O(p log n) for p pending events, once, at open. Ids of events processed before
    /// the upgrade are not kept anywhere, so they are not recognised.
    fn index_pending_event_ids(&self) -> StoreResult<()> {
        let mut batch = sled::Batch::default();
        // The keys put in `batch` so far: the tree does not see them until the batch
        // is applied, and the first pending event with an id (a tenant's events are
        // scanned in sequence order) is the one recorded.
        let mut batched: HashSet<Vec<u8>> = HashSet::new();
        let mut ids = 0usize;
        for stored in scan::<StoredEvent>(&self.pending, b"")? {
            if stored.depth == 0 && stored.target_plugin.is_none() {
                let k = key(&[&stored.tenant, &stored.event.id]);
                if !batched.contains(&k) && self.event_ids.get(&k).map_err(backend)?.is_none() {
                    batch.insert(k.as_slice(), &stored.seq.to_be_bytes());
                    batched.insert(k);
                    ids += 1;
                }
            }
        }
        self.event_ids.apply_batch(batch).map_err(backend)?;
        tracing::info!(ids, "pending event ids recorded (schema version 3)");
        Ok(())
    }

    /// Builds the outbox's due index and its backlog counter from the outbox: O(n log
    /// n) in the queued deliveries, once, at open. Starts from an empty index, so a
    /// crash half-way is repaired by the next open.
    fn index_outbox(&self) -> StoreResult<()> {
        self.outbox_due.clear().map_err(backend)?;
        let mut batch = sled::Batch::default();
        let mut queued = 0u64;
        for entry in self.outbox.iter() {
            let (k, v) = entry.map_err(backend)?;
            match from_json::<OutboxItem>(&k, &v) {
                Ok(item) => batch.insert(outbox_due_key(&item), b"".as_slice()),
                // Left out of the index: it could not be delivered anyway.
                Err(e) => tracing::warn!(error = %e, "an unreadable delivery is not indexed"),
            }
            queued += 1;
        }
        self.outbox_due.apply_batch(batch).map_err(backend)?;
        self.meta
            .insert(BACKLOG_KEY, &queued.to_be_bytes())
            .map_err(backend)?;
        tracing::info!(queued, "outbox due index built (schema version 4)");
        Ok(())
    }

    /// The tickets an index's entries name, in the entries' order, at most `limit`.
    /// An entry that no longer says what its ticket is (`current` gives the keys
    /// the ticket has now) is skipped and logged: the index is kept in the same
    /// transaction as the tickets, so that only follows an unreadable record.
    fn indexed_tickets<I, K>(
        &self,
        tenant: &str,
        entries: I,
        limit: usize,
        current: impl Fn(&Ticket) -> K,
    ) -> StoreResult<Vec<Ticket>>
    where
        I: Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        K: IndexKeys,
    {
        let mut found = Vec::new();
        for entry in entries {
            if found.len() >= limit {
                break;
            }
            let (k, id) = entry.map_err(backend)?;
            let id = String::from_utf8_lossy(&id);
            match self.ticket(tenant, &id)? {
                Some(ticket) if current(&ticket).has(&k) => found.push(ticket),
                _ => tracing::warn!(tenant, ticket = %id, "a stale ticket index entry is skipped"),
            }
        }
        Ok(found)
    }
}

/// The index keys a ticket has now, to check an index entry against.
trait IndexKeys {
    fn has(&self, key: &[u8]) -> bool;
}

impl IndexKeys for Vec<u8> {
    fn has(&self, key: &[u8]) -> bool {
        self.as_slice() == key
    }
}

impl IndexKeys for BTreeSet<Vec<u8>> {
    fn has(&self, key: &[u8]) -> bool {
        self.contains(key)
    }
}

impl SledStore {
    /// A timer record, or none if it cannot be read: then it is removed (and logged),
    /// because the timers of every tenant wait behind the soonest one.
    fn readable_timer(&self, k: &[u8], v: &[u8]) -> StoreResult<Option<Timer>> {
        match read_timer(k, v) {
            Ok(timer) => Ok(Some(timer)),
            Err(e) => {
                tracing::error!(error = %e, "an unreadable timer record is removed");
                self.timers.remove(k).map_err(backend)?;
                Ok(None)
            }
        }
    }
}

/// A delivery's key in `outbox`: tenant, id.
fn outbox_key(item: &OutboxItem) -> Vec<u8> {
    key(&[&item.tenant, &item.id])
}

/// A delivery's key in `outbox_due`: its due time ([`time_bytes`]), then its
/// `outbox` key.
fn outbox_due_key(item: &OutboxItem) -> Vec<u8> {
    let mut k = time_bytes(item.next_attempt_at).to_vec();
    k.extend(outbox_key(item));
    k
}

/// Adds `change` to the outbox backlog counter inside a transaction.
fn add_backlog(
    meta: &sled::transaction::TransactionalTree,
    change: i64,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    if change != 0 {
        let count = read_count(meta.get(BACKLOG_KEY)?.as_deref()).saturating_add_signed(change);
        meta.insert(BACKLOG_KEY, &count.to_be_bytes())?;
    }
    Ok(())
}

/// Writes `item` to the outbox and its due index inside a transaction, replacing
/// the entry of the version it replaces; returns whether it is new.
fn put_outbox(
    outbox: &sled::transaction::TransactionalTree,
    due: &sled::transaction::TransactionalTree,
    item: &OutboxItem,
) -> Result<bool, ConflictableTransactionError<StoreError>> {
    let k = outbox_key(item);
    let old = outbox.insert(k.as_slice(), to_json(item))?;
    if let Some(old) = &old
        && let Ok(old) = from_json::<OutboxItem>(&k, old)
    {
        due.remove(outbox_due_key(&old))?;
    }
    due.insert(outbox_due_key(item), b"".as_slice())?;
    Ok(old.is_none())
}

/// Removes the delivery at `k` from the outbox and its due index inside a
/// transaction; returns whether there was one.
fn take_outbox(
    outbox: &sled::transaction::TransactionalTree,
    due: &sled::transaction::TransactionalTree,
    k: &[u8],
) -> Result<bool, ConflictableTransactionError<StoreError>> {
    let Some(old) = outbox.remove(k)? else {
        return Ok(false);
    };
    if let Ok(old) = from_json::<OutboxItem>(k, &old) {
        due.remove(outbox_due_key(&old))?;
    }
    Ok(true)
}

/// Applies plugin storage writes (plugin, key, `Some` value to set or `None` to
/// delete) inside a transaction, keeping each plugin's key count.
fn write_plugin_storage(
    storage: &sled::transaction::TransactionalTree,
    counts: &sled::transaction::TransactionalTree,
    tenant: &str,
    writes: &[(String, String, Option<Vec<u8>>)],
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let mut added: BTreeMap<&str, i64> = BTreeMap::new();
    for (plugin, k, value) in writes {
        let k = key(&[tenant, plugin, k]);
        let change = match value {
            Some(v) => i64::from(storage.insert(k, v.as_slice())?.is_none()),
            None => -i64::from(storage.remove(k)?.is_some()),
        };
        *added.entry(plugin.as_str()).or_default() += change;
    }
    for (plugin, change) in added.into_iter().filter(|(_, c)| *c != 0) {
        let k = key(&[tenant, plugin]);
        let count = read_count(counts.get(&k)?.as_deref()).saturating_add_signed(change);
        if count == 0 {
            counts.remove(k)?;
        } else {
            counts.insert(k, &count.to_be_bytes())?;
        }
    }
    Ok(())
}

/// Takes the next sequence number of `tenant` inside a transaction.
fn next_seq(
    meta: &sled::transaction::TransactionalTree,
    tenant: &str,
) -> Result<u64, ConflictableTransactionError<StoreError>> {
    let k = key(&[SEQ_PREFIX, tenant]);
    let current = meta
        .get(&k)?
        .map(|v| u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8])))
        .unwrap_or(0);
    let next = current + 1;
    meta.insert(k, &next.to_be_bytes())?;
    Ok(next)
}

impl KpiFacts for SledStore {
    fn kpi_facts(
        &self,
        tenant: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<crate::kpi::Fact>> {
        let start = kpi_fact_key(tenant, from, 0, 0);
        let end = kpi_fact_key(tenant, until, 0, 0);
        let mut facts = Vec::new();
        for entry in self.kpi.range(start..end) {
            let (k, v) = entry.map_err(backend)?;
            let record: crate::kpi::fact::Stored =
                postcard::from_bytes(&v).map_err(|e| corrupt(&k, e))?;
            record.unpack(&mut facts);
        }
        Ok(facts)
    }

    fn kpi_breaches(
        &self,
        tenant: &str,
        ticket: &str,
        metric: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<Timestamp>> {
        let start = kpi_breach_key(tenant, ticket, metric, from);
        let end = kpi_breach_key(tenant, ticket, metric, until);
        let mut found = Vec::new();
        for entry in self.kpi.range(start..end) {
            let (k, _) = entry.map_err(backend)?;
            let ms = u64::from_be_bytes(k[k.len() - 8..].try_into().expect("8 bytes"));
            if let Some(at) = chrono::DateTime::from_timestamp_millis((ms ^ (1 << 63)) as i64) {
                found.push(at);
            }
        }
        Ok(found)
    }

    fn kpi_backlog_at(&self, tenant: &str, at: Timestamp) -> StoreResult<crate::kpi::Backlog> {
        let day = utc_day(at);
        let mut sums = crate::kpi::Backlog::default();
        for entry in self
            .kpi
            .range(kpi_prefix(KPI_DAY, tenant)..kpi_day_key(tenant, day))
        {
            let (k, v) = entry.map_err(backend)?;
            let day: crate::kpi::Backlog = from_json(&k, &v)?;
            sums.unsolved += day.unsolved;
            sums.awaiting += day.awaiting;
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
}

/// One process owns a sled store (its lock file sees to it): it is the only worker.
impl Workers for SledStore {
    fn worker_id(&self) -> &str {
        "sled"
    }

    /// Always: no other worker shares the store.
    fn lead(&self, _role: Role) -> StoreResult<bool> {
        Ok(true)
    }

    /// The events pending at open, `limit` at a time, in sequence order per tenant;
    /// nothing once they are handed out (no other worker leaves any). O(n) in the
    /// pending events, at the first call.
    fn take_over(&self, limit: usize) -> StoreResult<Vec<StoredEvent>> {
        let mut left = self.left_pending.lock().unwrap_or_else(|p| p.into_inner());
        if left.is_none() {
            *left = Some(self.pending_events()?.into());
        }
        let left = left.as_mut().expect("read above");
        let n = limit.min(left.len());
        Ok(left.drain(..n).collect())
    }

    /// Ready while pending: the process's lanes keep each ticket's order. O(log n).
    fn readiness(&self, tenant: &str, seq: u64, _lane: &str) -> StoreResult<Readiness> {
        let pending = self
            .pending
            .contains_key(seq_key(tenant, seq))
            .map_err(backend)?;
        Ok(if pending {
            Readiness::Ready
        } else {
            Readiness::Done
        })
    }

    fn leave(&self) -> StoreResult<()> {
        Ok(())
    }

    /// Nothing: the event stays pending for the next start.
    fn release(&self, _tenant: &str, _seq: u64) -> StoreResult<()> {
        Ok(())
    }
}

impl TenantStore for SledStore {
    fn operator_token_sha256(&self) -> StoreResult<Option<String>> {
        Ok(self
            .meta
            .get("operator_token_sha256")
            .map_err(backend)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn set_operator_token_sha256(&self, sha256: &str) -> StoreResult<()> {
        self.meta
            .insert("operator_token_sha256", sha256.as_bytes())
            .map(drop)
            .map_err(backend)
    }

    fn create_tenant(&self, tenant: &Tenant) -> StoreResult<bool> {
        let swapped = self
            .tenants
            .compare_and_swap(
                tenant.id.as_bytes(),
                None as Option<&[u8]>,
                Some(to_json(tenant)),
            )
            .map_err(backend)?;
        Ok(swapped.is_ok())
    }

    fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        get(&self.tenants, id.as_bytes())
    }

    fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        scan(&self.tenants, b"")
    }

    fn update_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        self.tenants
            .insert(tenant.id.as_bytes(), to_json(tenant))
            .map(drop)
            .map_err(backend)
    }

    fn put_token(&self, token: &TokenRecord) -> StoreResult<()> {
        self.tokens
            .insert(token.id.as_bytes(), to_json(token))
            .map(drop)
            .map_err(backend)
    }

    fn token(&self, id: &str) -> StoreResult<Option<TokenRecord>> {
        get(&self.tokens, id.as_bytes())
    }

    fn tokens(&self, tenant: &str) -> StoreResult<Vec<TokenRecord>> {
        let all: Vec<TokenRecord> = scan(&self.tokens, b"")?;
        Ok(all.into_iter().filter(|t| t.tenant == tenant).collect())
    }

    fn delete_token(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        match self.token(id)? {
            Some(token) if token.tenant == tenant => {
                self.tokens.remove(id.as_bytes()).map_err(backend)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl PluginStore for SledStore {
    fn put_component(&self, sha256: &str, bytes: &[u8]) -> StoreResult<()> {
        self.components
            .insert(sha256.as_bytes(), bytes)
            .map(drop)
            .map_err(backend)
    }

    fn component(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .components
            .get(sha256.as_bytes())
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    fn put_plugin(&self, tenant: &str, plugin: &InstalledPlugin) -> StoreResult<()> {
        self.write_plugin(tenant, plugin, true).map(drop)
    }

    fn change_plugin(
        &self,
        tenant: &str,
        plugin: &InstalledPlugin,
        lift_suspension: bool,
    ) -> StoreResult<InstalledPlugin> {
        self.write_plugin(tenant, plugin, lift_suspension)
    }

    fn plugin(&self, tenant: &str, name: &str) -> StoreResult<Option<InstalledPlugin>> {
        get(&self.plugins, &key(&[tenant, name]))
    }

    fn plugins(&self, tenant: &str) -> StoreResult<Vec<InstalledPlugin>> {
        let mut plugins: Vec<InstalledPlugin> = scan(&self.plugins, &prefix(&[tenant]))?;
        plugins.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.name.cmp(&b.name)));
        Ok(plugins)
    }

    fn delete_plugin(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        let k = key(&[tenant, name]);
        let removed = (&self.plugins, &self.inbound)
            .transaction(|(plugins, inbound)| {
                let Some(old) = plugins.remove(k.as_slice())? else {
                    return Ok(false);
                };
                let old: InstalledPlugin =
                    from_json(&k, &old).map_err(ConflictableTransactionError::Abort)?;
                if let Some(address) = old.inbound_address {
                    inbound.remove(address.as_bytes())?;
                }
                Ok(true)
            })
            .map_err(tx_error)?;
        // An adapter's conversation links, refusals, the ids of the messages, calls
        // and changes it received (`<name>:…`) and its delivery ids go with it: a
        // plugin installed again under the name (for another account, whose ids may
        // be the same numbers) starts afresh. Its plugin storage is kept, like any
        // plugin's. O(k log n) in what it had, at removal only.
        let mut ids = format!("{tenant}\0{name}:").into_bytes();
        let deliveries = prefix(&[tenant, "\u{1}inbound", name]);
        for (tree, gone) in [
            (&self.links, prefix(&[tenant, name])),
            (&self.inbound_refusals, prefix(&[tenant, name])),
            (&self.event_ids, std::mem::take(&mut ids)),
            (&self.idempotency, deliveries),
        ] {
            for entry in tree.scan_prefix(gone) {
                let (stale, _) = entry.map_err(backend)?;
                tree.remove(stale).map_err(backend)?;
            }
        }
        self.meta
            .remove(key(&["inbound_refusal_next", tenant, name]))
            .map_err(backend)?;
        Ok(removed)
    }

    fn suspend_plugin(
        &self,
        tenant: &str,
        ran: &InstalledPlugin,
        suspension: &Suspension,
    ) -> StoreResult<bool> {
        let k = key(&[tenant, &ran.name]);
        self.plugins
            .transaction(|plugins| {
                let Some(v) = plugins.get(&k)? else {
                    return Ok(false);
                };
                let mut plugin: InstalledPlugin =
                    from_json(&k, &v).map_err(ConflictableTransactionError::Abort)?;
                if plugin.suspended.is_some() || plugin != *ran {
                    return Ok(false);
                }
                plugin.suspended = Some(suspension.clone());
                plugins.insert(k.as_slice(), to_json(&plugin))?;
                Ok(true)
            })
            .map_err(tx_error)
    }

    fn add_plugin_version(
        &self,
        tenant: &str,
        plugin: &str,
        version: &PluginVersion,
    ) -> StoreResult<PluginVersion> {
        let next_key = key(&["plugin_version_next", tenant, plugin]);
        (&self.meta, &self.plugin_versions)
            .transaction(|(meta, versions)| {
                let number = meta
                    .get(&next_key)?
                    .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                    .map_or(1, u64::from_be_bytes);
                let mut kept = version.clone();
                kept.number = number;
                versions.insert(version_key(tenant, plugin, number), to_json(&kept))?;
                meta.insert(next_key.as_slice(), &(number + 1).to_be_bytes())?;
                Ok(kept)
            })
            .map_err(tx_error)
    }

    fn plugin_version(
        &self,
        tenant: &str,
        plugin: &str,
        number: u64,
    ) -> StoreResult<Option<PluginVersion>> {
        let k = version_key(tenant, plugin, number);
        self.plugin_versions
            .get(&k)
            .map_err(backend)?
            .map(|v| from_json(&k, &v))
            .transpose()
    }

    fn plugin_versions(&self, tenant: &str, plugin: &str) -> StoreResult<Vec<PluginVersion>> {
        scan(&self.plugin_versions, &prefix(&[tenant, plugin]))
    }

    fn shadow_diffs(
        &self,
        tenant: &str,
        shadow: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<(u64, EventDiff)>> {
        let base = shadow_key(tenant, shadow, SHADOW_DIFF);
        let mut start = base.clone();
        start.extend(after_seq.saturating_add(1).to_be_bytes());
        let mut found = Vec::new();
        for entry in self.shadow_diffs.range(start..).take(limit) {
            let (k, v) = entry.map_err(backend)?;
            if !k.starts_with(&base) {
                break;
            }
            let seq = k
                .get(base.len()..base.len() + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_be_bytes);
            found.push((seq, from_json(&k, &v)?));
        }
        Ok(found)
    }

    fn shadow_summary(&self, tenant: &str, shadow: &str) -> StoreResult<DiffSummary> {
        let count = |verdict: Verdict| -> StoreResult<u64> {
            let k = shadow_count_key(tenant, shadow, verdict);
            Ok(read_count(
                self.shadow_diffs.get(k).map_err(backend)?.as_deref(),
            ))
        };
        let (agree, differ, candidate_failed) = (
            count(Verdict::Agree)?,
            count(Verdict::Differ)?,
            count(Verdict::CandidateFailed)?,
        );
        Ok(DiffSummary {
            events: agree + differ + candidate_failed,
            agree,
            differ,
            candidate_failed,
        })
    }

    fn clear_shadow(&self, tenant: &str, plugin: &str) -> StoreResult<()> {
        let runs = shadow_prefix(plugin);
        let mut under = prefix(&[tenant]);
        under.extend(runs.as_bytes());
        for tree in [
            &self.shadow_diffs,
            &self.plugin_storage,
            &self.storage_counts,
        ] {
            for k in tree.scan_prefix(&under).keys() {
                tree.remove(k.map_err(backend)?).map_err(backend)?;
            }
        }
        let mut gone = Vec::new();
        for entry in self.timer_index.scan_prefix(prefix(&[tenant])) {
            let (id, due) = entry.map_err(backend)?;
            let timer_plugin = id.split(|b| *b == 0).nth(2).unwrap_or(b"");
            if timer_plugin.starts_with(runs.as_bytes()) {
                gone.push((id, due));
            }
        }
        for (id, due) in gone {
            self.timers.remove(due).map_err(backend)?;
            self.timer_index.remove(id).map_err(backend)?;
        }
        Ok(())
    }

    fn inbound_target(&self, address: &str) -> StoreResult<Option<(String, String)>> {
        let Some(target) = self.inbound.get(address.as_bytes()).map_err(backend)? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&target).into_owned();
        Ok(text
            .split_once('\0')
            .map(|(tenant, plugin)| (tenant.to_string(), plugin.to_string())))
    }
}

impl PluginStorage for SledStore {
    fn plugin_storage_get(
        &self,
        tenant: &str,
        plugin: &str,
        k: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .plugin_storage
            .get(key(&[tenant, plugin, k]))
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    fn plugin_storage_keys(
        &self,
        tenant: &str,
        plugin: &str,
        key_prefix: &str,
        limit: usize,
    ) -> StoreResult<Vec<String>> {
        let base = prefix(&[tenant, plugin]);
        let mut full = base.clone();
        full.extend_from_slice(key_prefix.as_bytes());
        self.plugin_storage
            .scan_prefix(&full)
            .keys()
            .take(limit)
            .map(|k| {
                let k = k.map_err(backend)?;
                Ok(String::from_utf8_lossy(&k[base.len()..]).into_owned())
            })
            .collect()
    }

    fn plugin_storage_count(&self, tenant: &str, plugin: &str) -> StoreResult<usize> {
        let count = self
            .storage_counts
            .get(key(&[tenant, plugin]))
            .map_err(backend)?;
        Ok(usize::try_from(read_count(count.as_deref())).unwrap_or(usize::MAX))
    }
}

impl EventLog for SledStore {
    /// sled's own flush writes its log with `pwrite` and `sync_file_range`, which
    /// neither flushes the disk's write cache nor records the file's new size; its
    /// first `fsync` comes up to 500 ms later from its background thread. So after
    /// it, an `fdatasync` of the log (or a `syncfs` when sled wrote blob files since
    /// the last sync), shared between concurrent callers ([`GroupSync`]).
    fn flush(&self) -> StoreResult<()> {
        self.group
            .sync(|| self.sync_now())
            .map_err(StoreError::Backend)
    }

    fn enqueue_event(
        &self,
        tenant: &str,
        event: &Event,
        idempotency_key: Option<&str>,
        received_at: Timestamp,
    ) -> StoreResult<Enqueued> {
        (
            &self.meta,
            &self.pending,
            &self.idempotency,
            &self.event_ids,
            &self.event_log,
        )
            .transaction(|(meta, pending, idempotency, event_ids, log)| {
                let read_seq =
                    |v: sled::IVec| u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8]));
                let idem_key = idempotency_key.map(|k| key(&[tenant, k]));
                if let Some(k) = &idem_key
                    && let Some(seq) = idempotency.get(k)?
                {
                    return Ok(Enqueued::Duplicate { seq: read_seq(seq) });
                }
                let id_key = key(&[tenant, &event.id]);
                if let Some(seq) = event_ids.get(&id_key)? {
                    // The same event again, under a key of its own: that key now
                    // answers the same, without reading the ids.
                    if let Some(k) = &idem_key {
                        idempotency.insert(k.as_slice(), &seq)?;
                    }
                    return Ok(Enqueued::Duplicate { seq: read_seq(seq) });
                }
                let seq = next_seq(meta, tenant)?;
                let stored = StoredEvent {
                    seq,
                    tenant: tenant.to_string(),
                    event: event.clone(),
                    depth: 0,
                    received_at,
                    target_plugin: None,
                };
                let record = to_json(&stored);
                log.insert(log_key(tenant, received_at, seq), record.as_slice())?;
                pending.insert(seq_key(tenant, seq), record)?;
                event_ids.insert(id_key, &seq.to_be_bytes())?;
                if let Some(k) = &idem_key {
                    idempotency.insert(k.as_slice(), &seq.to_be_bytes())?;
                }
                Ok(Enqueued::New(Box::new(stored)))
            })
            .map_err(tx_error)
    }

    fn enqueue_inbound(
        &self,
        tenant: &str,
        delivery: &InboundDelivery,
        received_at: Timestamp,
    ) -> StoreResult<InboundEnqueued> {
        (
            &self.meta,
            &self.pending,
            &self.idempotency,
            &self.event_ids,
            &self.links,
            &self.plugin_storage,
            &self.storage_counts,
            &self.event_log,
        )
            .transaction(
                |(meta, pending, idempotency, event_ids, links, storage, counts, log)| {
                    // Beside the API's idempotency keys, in a namespace of their own.
                    let delivery_key = delivery
                        .delivery_id
                        .as_ref()
                        .map(|id| key(&[tenant, "\u{1}inbound", &delivery.adapter, id]));
                    if let Some(k) = &delivery_key
                        && idempotency.get(k)?.is_some()
                    {
                        return Ok(InboundEnqueued::Duplicate);
                    }
                    let mut stored = Vec::new();
                    let mut duplicates = 0;
                    for group in &delivery.groups {
                        if event_ids.get(key(&[tenant, &group.id]))?.is_some() {
                            duplicates += 1;
                            continue;
                        }
                        for event in &group.events {
                            let seq = next_seq(meta, tenant)?;
                            let one = StoredEvent {
                                seq,
                                tenant: tenant.to_string(),
                                event: event.clone(),
                                depth: 0,
                                received_at,
                                target_plugin: None,
                            };
                            let record = to_json(&one);
                            log.insert(log_key(tenant, received_at, seq), record.as_slice())?;
                            pending.insert(seq_key(tenant, seq), record)?;
                            event_ids.insert(key(&[tenant, &event.id]), &seq.to_be_bytes())?;
                            stored.push(one);
                        }
                        if let Some((conversation, ticket)) = &group.link {
                            links.insert(
                                key(&[tenant, &delivery.adapter, conversation]),
                                ticket.as_bytes(),
                            )?;
                        }
                    }
                    write_plugin_storage(storage, counts, tenant, &delivery.storage_writes)?;
                    if let Some(k) = &delivery_key {
                        let first = stored.first().map_or(0, |e| e.seq);
                        idempotency.insert(k.as_slice(), &first.to_be_bytes())?;
                    }
                    Ok(InboundEnqueued::Stored {
                        events: stored,
                        duplicates,
                    })
                },
            )
            .map_err(tx_error)
    }

    fn event_seen(&self, tenant: &str, event_id: &str) -> StoreResult<bool> {
        self.event_ids
            .contains_key(key(&[tenant, event_id]))
            .map_err(backend)
    }

    fn linked_ticket(
        &self,
        tenant: &str,
        adapter: &str,
        conversation: &str,
    ) -> StoreResult<Option<String>> {
        Ok(self
            .links
            .get(key(&[tenant, adapter, conversation]))
            .map_err(backend)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn record_inbound_refusal(
        &self,
        tenant: &str,
        adapter: &str,
        refusal: &InboundRefusal,
    ) -> StoreResult<()> {
        let next_key = key(&["inbound_refusal_next", tenant, adapter]);
        (&self.meta, &self.inbound_refusals)
            .transaction(|(meta, refusals)| {
                let slot = meta
                    .get(&next_key)?
                    .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                    .map_or(0, u64::from_be_bytes);
                let mut k = prefix(&[tenant, adapter]);
                k.extend_from_slice(&slot.to_be_bytes());
                refusals.insert(k, to_json(refusal))?;
                meta.insert(
                    next_key.as_slice(),
                    &((slot + 1) % INBOUND_REFUSALS_KEPT).to_be_bytes(),
                )?;
                Ok(())
            })
            .map_err(tx_error)
    }

    fn inbound_refusals(&self, tenant: &str, adapter: &str) -> StoreResult<Vec<InboundRefusal>> {
        let mut kept: Vec<InboundRefusal> =
            scan(&self.inbound_refusals, &prefix(&[tenant, adapter]))?;
        kept.sort_by_key(|r| r.at);
        Ok(kept)
    }

    fn pending_events(&self) -> StoreResult<Vec<StoredEvent>> {
        scan(&self.pending, b"")
    }

    fn recorded_events(
        &self,
        tenant: &str,
        from: Timestamp,
        until: Timestamp,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        let start = log_key(tenant, from, after_seq.saturating_add(1));
        let end = log_key(tenant, until, 0);
        let mut found = Vec::new();
        if start >= end {
            return Ok(found);
        }
        for entry in self.event_log.range(start..end).take(limit) {
            let (k, v) = entry.map_err(backend)?;
            found.push(from_json(&k, &v)?);
        }
        Ok(found)
    }

    fn commit_event(&self, commit: &EventCommit) -> StoreResult<Vec<StoredEvent>> {
        let tenant = commit.tenant.as_str();
        (
            &self.meta,
            &self.pending,
            &self.tickets,
            &self.audit,
            &self.plugin_storage,
            &self.outbox,
            &self.outbox_due,
            &self.timers,
            &self.timer_index,
            &self.tickets_by_created,
            &self.open_by_identity,
            &self.storage_counts,
            &self.shadow_diffs,
            &self.kpi,
        )
            .transaction(
                |(
                    meta,
                    pending,
                    tickets,
                    audit,
                    storage,
                    outbox,
                    outbox_due,
                    timers,
                    timer_index,
                    by_created,
                    open,
                    counts,
                    shadow,
                    kpi,
                )| {
                    let done = pending.remove(seq_key(tenant, commit.seq))?;
                    if done.is_none() {
                        // Already committed: nothing to do twice.
                        return Err(ConflictableTransactionError::Abort(StoreError::Conflict(
                            format!("event {} of {tenant} is no longer pending", commit.seq),
                        )));
                    }
                    if let Some(ticket) = &commit.ticket {
                        let k = key(&[tenant, &ticket.id]);
                        let old = tickets.insert(k.as_slice(), to_json(ticket))?;
                        // An unreadable previous record cannot say which entries it
                        // had: they stay, and are skipped when read.
                        let old: Option<Ticket> = old.and_then(|v| from_json(&k, &v).ok());
                        reindex(by_created, open, tenant, old.as_ref(), ticket)?;
                        for change in &commit.timers {
                            let (plugin, name) = match change {
                                TimerChange::Set(timer) => (&timer.plugin, &timer.name),
                                TimerChange::Cancel { plugin, name } => (plugin, name),
                            };
                            let id = key(&[tenant, &ticket.id, plugin, name]);
                            if let Some(old) = timer_index.remove(id.as_slice())? {
                                timers.remove(old)?;
                            }
                            if let TimerChange::Set(timer) = change {
                                let mut timer = timer.clone();
                                timer.tenant = tenant.to_string();
                                timer.ticket_id = ticket.id.clone();
                                let due = due_key(&timer);
                                timers.insert(due.as_slice(), to_json(&timer))?;
                                timer_index.insert(id, due)?;
                            }
                        }
                    }
                    for (n, record) in commit.audit.iter().enumerate() {
                        let k = key(&[
                            tenant,
                            &record.ticket_id,
                            &format!("{:020}", commit.seq),
                            &format!("{n:04}"),
                        ]);
                        audit.insert(k, to_json(record))?;
                    }
                    for (n, record) in commit.shadow.iter().enumerate() {
                        record_shadow(shadow, tenant, commit.seq, n, record)?;
                    }
                    record_kpi(kpi, tenant, commit.seq, &commit.kpi)?;
                    write_plugin_storage(storage, counts, tenant, &commit.plugin_writes)?;
                    let mut queued = 0;
                    for item in &commit.outbox {
                        queued += i64::from(put_outbox(outbox, outbox_due, item)?);
                    }
                    add_backlog(meta, queued)?;
                    let mut stored = Vec::new();
                    for (event, depth) in &commit.follow_ups {
                        stored.push(push_pending(
                            meta,
                            pending,
                            tenant,
                            event,
                            *depth,
                            event.occurred_at,
                            None,
                        )?);
                    }
                    Ok(stored)
                },
            )
            .map_err(tx_error)
    }
}

impl TimerStore for SledStore {
    fn timers(&self, tenant: &str, ticket_id: &str) -> StoreResult<Vec<Timer>> {
        let mut found = Vec::new();
        for entry in self.timer_index.scan_prefix(prefix(&[tenant, ticket_id])) {
            let (_, due) = entry.map_err(backend)?;
            if let Some(v) = self.timers.get(&due).map_err(backend)? {
                found.push(read_timer(&due, &v)?);
            }
        }
        found.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.name.cmp(&b.name)));
        Ok(found)
    }

    fn due_timers(&self, up_to: Timestamp, limit: usize) -> StoreResult<Vec<Timer>> {
        let mut due = Vec::new();
        for entry in self.timers.iter() {
            let (k, v) = entry.map_err(backend)?;
            let Some(timer) = self.readable_timer(&k, &v)? else {
                continue;
            };
            if timer.due_at > up_to || due.len() == limit {
                break;
            }
            due.push(timer);
        }
        Ok(due)
    }

    fn next_timer_due(&self) -> StoreResult<Option<Timestamp>> {
        for entry in self.timers.iter() {
            let (k, v) = entry.map_err(backend)?;
            if let Some(timer) = self.readable_timer(&k, &v)? {
                return Ok(Some(timer.due_at));
            }
        }
        Ok(None)
    }

    fn remove_timer(&self, timer: &Timer) -> StoreResult<bool> {
        let due = due_key(timer);
        let id = timer_id(timer);
        (&self.timers, &self.timer_index)
            .transaction(|(timers, timer_index)| {
                if timers.remove(due.as_slice())?.is_none() {
                    return Ok(false);
                }
                timer_index.remove(id.as_slice())?;
                Ok(true)
            })
            .map_err(tx_error)
    }

    fn fire_timer(
        &self,
        timer: &Timer,
        event: &Event,
        received_at: Timestamp,
    ) -> StoreResult<Option<StoredEvent>> {
        let due = due_key(timer);
        let id = timer_id(timer);
        (&self.meta, &self.pending, &self.timers, &self.timer_index)
            .transaction(|(meta, pending, timers, timer_index)| {
                if timers.remove(due.as_slice())?.is_none() {
                    return Ok(None);
                }
                timer_index.remove(id.as_slice())?;
                push_pending(
                    meta,
                    pending,
                    &timer.tenant,
                    event,
                    0,
                    received_at,
                    Some(&timer.plugin),
                )
                .map(Some)
            })
            .map_err(tx_error)
    }

    fn schedule_mark(
        &self,
        tenant: &str,
        plugin: &str,
        schedule: &str,
    ) -> StoreResult<Option<Timestamp>> {
        get(&self.schedule_marks, &key(&[tenant, plugin, schedule]))
    }

    fn clear_schedule_marks(&self, tenant: &str, plugin: &str) -> StoreResult<()> {
        for entry in self.schedule_marks.scan_prefix(prefix(&[tenant, plugin])) {
            let (k, _) = entry.map_err(backend)?;
            self.schedule_marks.remove(k).map_err(backend)?;
        }
        Ok(())
    }

    fn fire_tick(
        &self,
        tenant: &str,
        plugin: &str,
        schedule: &str,
        mark: Timestamp,
        event: Option<&Event>,
        received_at: Timestamp,
    ) -> StoreResult<Option<StoredEvent>> {
        let k = key(&[tenant, plugin, schedule]);
        (&self.meta, &self.pending, &self.schedule_marks)
            .transaction(|(meta, pending, marks)| {
                marks.insert(k.as_slice(), to_json(&mark))?;
                event
                    .map(|event| {
                        push_pending(meta, pending, tenant, event, 0, received_at, Some(plugin))
                    })
                    .transpose()
            })
            .map_err(tx_error)
    }
}

impl TicketStore for SledStore {
    fn ticket(&self, tenant: &str, id: &str) -> StoreResult<Option<Ticket>> {
        get(&self.tickets, &key(&[tenant, id]))
    }

    fn tickets(&self, tenant: &str, filter: &TicketFilter) -> StoreResult<Vec<Ticket>> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut found = Vec::new();
        // Read one at a time, so that a listing with a limit stops at it.
        for entry in self.tickets.scan_prefix(prefix(&[tenant])) {
            if found.len() >= limit {
                break;
            }
            let (k, v) = entry.map_err(backend)?;
            let ticket: Ticket = from_json(&k, &v)?;
            if filter.matches(&ticket) {
                found.push(ticket);
            }
        }
        Ok(found)
    }

    fn recent_tickets(
        &self,
        tenant: &str,
        since: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Ticket>> {
        let mut from = prefix(&[tenant]);
        from.extend(time_bytes(since));
        // Past the tenant's last key: its id, then 0x01 instead of the NUL separator.
        let mut to = tenant.as_bytes().to_vec();
        to.push(1);
        self.indexed_tickets(
            tenant,
            self.tickets_by_created.range(from..to).rev(),
            limit,
            |ticket| created_key(tenant, ticket),
        )
    }

    fn open_tickets_of(
        &self,
        tenant: &str,
        identity: &Identity,
        limit: usize,
    ) -> StoreResult<Vec<Ticket>> {
        self.indexed_tickets(
            tenant,
            self.open_by_identity
                .scan_prefix(identity_prefix(tenant, identity))
                .rev(),
            limit,
            |ticket| open_keys(tenant, ticket),
        )
    }

    fn audit(&self, tenant: &str, ticket_id: &str) -> StoreResult<Vec<AuditRecord>> {
        scan(&self.audit, &prefix(&[tenant, ticket_id]))
    }
}

impl OutboxStore for SledStore {
    fn put_webhook(&self, tenant: &str, webhook: &Webhook) -> StoreResult<()> {
        self.webhooks
            .insert(key(&[tenant, &webhook.name]), to_json(webhook))
            .map(drop)
            .map_err(backend)
    }

    fn webhook(&self, tenant: &str, name: &str) -> StoreResult<Option<Webhook>> {
        get(&self.webhooks, &key(&[tenant, name]))
    }

    fn webhooks(&self, tenant: &str) -> StoreResult<Vec<Webhook>> {
        scan(&self.webhooks, &prefix(&[tenant]))
    }

    fn delete_webhook(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        Ok(self
            .webhooks
            .remove(key(&[tenant, name]))
            .map_err(backend)?
            .is_some())
    }

    fn due_outbox(
        &self,
        up_to: Timestamp,
        after: Option<&OutboxItem>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>> {
        let mut end = time_bytes(up_to).to_vec();
        // Past every key due at `up_to` (ids hold no 0xFF: they are UTF-8).
        end.push(0xFF);
        let range = match after {
            Some(after) => {
                let mut start = outbox_due_key(after);
                start.push(0);
                self.outbox_due.range(start..end)
            }
            None => self.outbox_due.range(..end),
        };
        let mut due = Vec::new();
        for entry in range.keys() {
            if due.len() >= limit {
                break;
            }
            let k = entry.map_err(backend)?;
            let item = match get::<OutboxItem>(&self.outbox, &k[12..]) {
                Ok(Some(item)) if outbox_due_key(&item) == k.as_ref() => Some(item),
                Ok(_) => None,
                Err(e) => {
                    tracing::error!(error = %e, "an unreadable delivery is left out");
                    None
                }
            };
            match item {
                Some(item) => due.push(item),
                None => {
                    // Kept in the same transactions as the outbox, so this only
                    // follows an unreadable record: drop the entry, not the item.
                    tracing::warn!("a stale outbox index entry is removed");
                    self.outbox_due.remove(&k).map_err(backend)?;
                }
            }
        }
        Ok(due)
    }

    fn outbox_backlog(&self) -> StoreResult<u64> {
        Ok(read_count(
            self.meta.get(BACKLOG_KEY).map_err(backend)?.as_deref(),
        ))
    }

    fn update_outbox(&self, item: &OutboxItem) -> StoreResult<()> {
        (&self.meta, &self.outbox, &self.outbox_due)
            .transaction(|(meta, outbox, due)| {
                let new = put_outbox(outbox, due, item)?;
                add_backlog(meta, i64::from(new))
            })
            .map_err(tx_error)
    }

    fn remove_outbox(&self, tenant: &str, id: &str) -> StoreResult<()> {
        let k = key(&[tenant, id]);
        (&self.meta, &self.outbox, &self.outbox_due)
            .transaction(|(meta, outbox, due)| {
                let removed = take_outbox(outbox, due, &k)?;
                add_backlog(meta, -i64::from(removed))
            })
            .map_err(tx_error)
    }

    fn dead_letter(&self, item: &OutboxItem) -> StoreResult<()> {
        let k = outbox_key(item);
        (
            &self.meta,
            &self.outbox,
            &self.outbox_due,
            &self.dead_letters,
        )
            .transaction(|(meta, outbox, due, dead)| {
                let removed = take_outbox(outbox, due, &k)?;
                add_backlog(meta, -i64::from(removed))?;
                dead.insert(k.as_slice(), to_json(item))?;
                Ok(())
            })
            .map_err(tx_error)
    }

    fn dead_letters(&self, tenant: &str) -> StoreResult<Vec<OutboxItem>> {
        scan(&self.dead_letters, &prefix(&[tenant]))
    }

    fn replay_dead_letter(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OutboxItem>> {
        let k = key(&[tenant, id]);
        (
            &self.meta,
            &self.outbox,
            &self.outbox_due,
            &self.dead_letters,
        )
            .transaction(|(meta, outbox, due, dead)| {
                let Some(bytes) = dead.remove(k.as_slice())? else {
                    return Ok(None);
                };
                let mut item: OutboxItem = from_json(&k, &bytes)
                    .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                item.attempts = 0;
                item.next_attempt_at = now;
                item.last_error = None;
                let new = put_outbox(outbox, due, &item)?;
                add_backlog(meta, i64::from(new))?;
                Ok(Some(item))
            })
            .map_err(tx_error)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::model::{EventKind, IdentityKind, TicketStatus};

    /// A fresh directory for one test.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("guichet-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn ticket(id: &str, minute: i64, status: TicketStatus, identities: &[(&str, &str)]) -> Ticket {
        let identities: Vec<_> = identities
            .iter()
            .map(|(kind, value)| json!({"kind": kind, "value": value}))
            .collect();
        serde_json::from_value(json!({
            "id": id, "channel": "email", "status": status,
            "requester": {"identities": identities},
            "created_at": at(minute), "updated_at": at(minute),
        }))
        .unwrap()
    }

    fn identity(kind: IdentityKind, value: &str) -> Identity {
        Identity {
            kind,
            value: value.to_string(),
        }
    }

    /// Commits an event of `tenant` the way the pipeline does, with `ticket` and
    /// `writes` (plugin, key, value).
    fn commit(
        store: &SledStore,
        tenant: &str,
        ticket: Option<&Ticket>,
        writes: &[(&str, &str, Option<&str>)],
    ) -> EventCommit {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let event = Event {
            id: format!(
                "e-{}",
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
            kind: EventKind::TicketCreated,
            ticket: ticket.cloned(),
            occurred_at: at(0),
        };
        let Enqueued::New(stored) = store.enqueue_event(tenant, &event, None, at(0)).unwrap()
        else {
            unreachable!("no idempotency key")
        };
        let commit = EventCommit {
            tenant: tenant.to_string(),
            seq: stored.seq,
            ticket: ticket.cloned(),
            timers: Vec::new(),
            audit: Vec::new(),
            follow_ups: Vec::new(),
            plugin_writes: writes
                .iter()
                .map(|(p, k, v)| {
                    (
                        p.to_string(),
                        k.to_string(),
                        v.map(|v| v.as_bytes().to_vec()),
                    )
                })
                .collect(),
            outbox: Vec::new(),
            shadow: Vec::new(),
            kpi: Vec::new(),
        };
        store.commit_event(&commit).unwrap();
        commit
    }

    /// KPI facts are read by time range and tenant; the backlog at a moment is the
    /// sum of the days before it and of its day's facts up to it; a commit retried
    /// after it was made adds no fact twice.
    #[test]
    fn kpi_facts_by_range_and_the_backlog_at_a_moment() {
        use crate::kpi::{Backlog, Fact, FactKind};
        let dir = scratch("kpi");
        let store = SledStore::open(&dir).unwrap();
        let hour = |h: i64| at(h * 60);
        let fact = |h: i64, kind: FactKind| Fact {
            at: hour(h),
            ticket: format!("t-{h}").into(),
            channel: crate::model::Channel::Email,
            group: None,
            agent: None,
            priority: crate::model::Priority::Normal,
            sla_policy: None,
            sla_targets: Default::default(),
            kind,
        };
        let joined = || FactKind::Backlog {
            unsolved: 1,
            awaiting: 1,
        };
        let left = || FactKind::Backlog {
            unsolved: -1,
            awaiting: 0,
        };
        let save = |tenant: &str, facts: Vec<Fact>| {
            let mut commit = commit(&store, tenant, None, &[]);
            let Enqueued::New(stored) = store
                .enqueue_event(
                    tenant,
                    &Event {
                        id: format!("k-{}", facts[0].at),
                        kind: EventKind::TicketCreated,
                        ticket: None,
                        occurred_at: at(0),
                    },
                    None,
                    at(0),
                )
                .unwrap()
            else {
                unreachable!("no idempotency key")
            };
            commit.seq = stored.seq;
            commit.kpi = facts;
            store.commit_event(&commit).unwrap();
            // Committed again (a retry): a conflict, nothing more.
            assert!(matches!(
                store.commit_event(&commit),
                Err(StoreError::Conflict(_))
            ));
        };
        // Day 0 (from `at(0)`), hours 1 and 5; day 1, hours 25 and 30; day 3, hour 75.
        save("acme", vec![fact(1, joined()), fact(5, FactKind::Created)]);
        save("acme", vec![fact(25, joined()), fact(30, left())]);
        save("acme", vec![fact(75, joined())]);
        save("other", vec![fact(2, joined()), fact(26, joined())]);
        let hours = |from: i64, until: i64| -> Vec<DateTime<Utc>> {
            store
                .kpi_facts("acme", hour(from), hour(until))
                .unwrap()
                .iter()
                .map(|f| f.at)
                .collect()
        };
        assert_eq!(
            hours(0, 100),
            [hour(1), hour(5), hour(25), hour(30), hour(75)]
        );
        assert_eq!(
            hours(5, 30),
            [hour(5), hour(25)],
            "from included, until excluded"
        );
        assert!(hours(31, 75).is_empty());
        let backlog = |h: i64| store.kpi_backlog_at("acme", hour(h)).unwrap();
        assert_eq!(backlog(0), Backlog::default());
        assert_eq!(
            backlog(2),
            Backlog {
                unsolved: 1,
                awaiting: 1
            }
        );
        assert_eq!(
            backlog(26),
            Backlog {
                unsolved: 2,
                awaiting: 2
            }
        );
        assert_eq!(
            backlog(31),
            Backlog {
                unsolved: 1,
                awaiting: 2
            }
        );
        assert_eq!(
            backlog(100),
            Backlog {
                unsolved: 2,
                awaiting: 3
            }
        );
        assert_eq!(
            store.kpi_backlog_at("other", hour(100)).unwrap(),
            Backlog {
                unsolved: 2,
                awaiting: 2
            }
        );
    }

    /// Versions are numbered per plugin; the event log answers a tenant's outside
    /// events by arrival time; shadow diffs are paged per plugin and forgotten with
    /// the shadow's storage and timers; a suspension is stored once, for the version
    /// that failed.
    #[test]
    fn versions_the_event_log_shadow_diffs_and_suspensions() {
        let dir = scratch("lifecycle");
        let store = SledStore::open(&dir).unwrap();
        let version = |label: &str| PluginVersion {
            number: 99,
            source: super::super::PluginSource::Reference {
                name: "triage".into(),
            },
            sha256: "abc".into(),
            config: "{}".into(),
            label: Some(label.into()),
            created_by: "token:x".into(),
            created_at: at(0),
        };
        assert_eq!(
            store
                .add_plugin_version("acme", "triage", &version("a"))
                .unwrap()
                .number,
            1
        );
        assert_eq!(
            store
                .add_plugin_version("acme", "triage", &version("b"))
                .unwrap()
                .number,
            2
        );
        assert_eq!(
            store
                .add_plugin_version("acme", "sla", &version("c"))
                .unwrap()
                .number,
            1
        );
        assert_eq!(
            store
                .add_plugin_version("globex", "triage", &version("d"))
                .unwrap()
                .number,
            1
        );
        let listed: Vec<_> = store
            .plugin_versions("acme", "triage")
            .unwrap()
            .into_iter()
            .map(|v| (v.number, v.label.unwrap()))
            .collect();
        assert_eq!(listed, [(1, "a".to_string()), (2, "b".to_string())]);
        assert_eq!(
            store
                .plugin_version("acme", "triage", 2)
                .unwrap()
                .unwrap()
                .label
                .as_deref(),
            Some("b")
        );
        assert!(store.plugin_version("acme", "triage", 3).unwrap().is_none());

        // Events received at minutes 0, 10, 10, 20 (and another tenant's at 10).
        let event = |id: &str| Event {
            id: id.into(),
            kind: EventKind::TicketCreated,
            ticket: Some(ticket(id, 0, TicketStatus::Open, &[])),
            occurred_at: at(0),
        };
        for (id, minute) in [("e0", 0), ("e10a", 10), ("e10b", 10), ("e20", 20)] {
            store
                .enqueue_event("acme", &event(id), None, at(minute))
                .unwrap();
        }
        store
            .enqueue_event("globex", &event("g10"), None, at(10))
            .unwrap();
        let ids = |events: Vec<StoredEvent>| -> Vec<String> {
            events.into_iter().map(|e| e.event.id).collect()
        };
        assert_eq!(
            ids(store.recorded_events("acme", at(5), at(20), 0, 10).unwrap()),
            ["e10a", "e10b"]
        );
        let first = store.recorded_events("acme", at(0), at(60), 0, 2).unwrap();
        assert_eq!(ids(first.clone()), ["e0", "e10a"]);
        let last = first.last().unwrap();
        assert_eq!(
            ids(store
                .recorded_events("acme", last.received_at, at(60), last.seq, 10)
                .unwrap()),
            ["e10b", "e20"]
        );

        // Shadow diffs, with the shadow's storage; a timer's two firings, one diff.
        let decided = |tag: &str| crate::diff::Decided {
            version: None,
            sha256: String::new(),
            actions: vec![crate::model::Action::AddTags {
                tags: vec![tag.to_string()],
            }],
            error: None,
        };
        let diff = |event_id: &str, active: Option<&str>, candidate: Option<&str>| {
            let (active, candidate) = (active.map(decided), candidate.map(decided));
            EventDiff {
                event_id: event_id.into(),
                event_kind: "ticket_created".into(),
                ticket_id: "t".into(),
                at: at(0),
                plugin: "triage".into(),
                verdict: crate::diff::verdict(active.as_ref(), candidate.as_ref()),
                active,
                candidate,
            }
        };
        let record = |shadow: &str, pair: Option<&str>, diff: EventDiff| ShadowRecord {
            shadow: shadow.into(),
            pair: pair.map(str::to_string),
            diff,
        };
        let (run, sla_run) = ("triage~shadow~r1", "sla~shadow~r1");
        commit(&store, "acme", None, &[(run, "k", Some("v"))]);
        let mut commits = vec![
            vec![
                record(run, None, diff("d0", Some("a"), Some("a"))),
                record(sla_run, None, diff("other", Some("a"), Some("b"))),
            ],
            vec![record(run, None, diff("d1", Some("a"), Some("b")))],
            // The candidate's timer fires first, then the active version's.
            vec![record(run, Some("t/x/1"), diff("tc", None, Some("a")))],
            vec![record(run, None, diff("d2", Some("a"), None))],
            vec![record(run, Some("t/x/1"), diff("ta", Some("a"), None))],
        ];
        for (n, records) in commits.drain(..).enumerate() {
            let mut c = commit(&store, "acme", None, &[]);
            c.shadow = records;
            // Committed again under a new pending event, with its records.
            let Enqueued::New(stored) = store
                .enqueue_event("acme", &event(&format!("s{n}")), None, at(0))
                .unwrap()
            else {
                unreachable!()
            };
            c.seq = stored.seq;
            store.commit_event(&c).unwrap();
        }
        let ids_of = |page: &[(u64, EventDiff)]| -> Vec<String> {
            page.iter().map(|(_, d)| d.event_id.clone()).collect()
        };
        let page = store.shadow_diffs("acme", run, 0, 2).unwrap();
        assert_eq!(ids_of(&page), ["d0", "d1"]);
        let rest = store.shadow_diffs("acme", run, page[1].0, 10).unwrap();
        // The pair is one diff, named after the active version's firing, where the
        // first firing was.
        assert_eq!(ids_of(&rest), ["ta", "d2"]);
        assert_eq!(rest[0].1.verdict, crate::diff::Verdict::Agree);
        assert_eq!(
            store.shadow_summary("acme", run).unwrap(),
            DiffSummary {
                events: 4,
                agree: 2,
                differ: 2,
                candidate_failed: 0
            }
        );
        assert_eq!(store.plugin_storage_count("acme", run).unwrap(), 1);
        store.clear_shadow("acme", "triage").unwrap();
        assert!(store.shadow_diffs("acme", run, 0, 10).unwrap().is_empty());
        assert_eq!(
            store.shadow_summary("acme", run).unwrap(),
            DiffSummary::default()
        );
        assert_eq!(store.shadow_diffs("acme", sla_run, 0, 10).unwrap().len(), 1);
        assert_eq!(store.plugin_storage_count("acme", run).unwrap(), 0);
        assert!(
            store
                .plugin_storage_get("acme", run, "k")
                .unwrap()
                .is_none()
        );

        // A suspension, for the settings the failed calls ran with only, once.
        let plugin: InstalledPlugin = serde_json::from_value(json!({
            "name": "triage", "source": {"type": "reference", "name": "triage"},
            "version": "abc", "config": "{}", "order": 0, "subscriptions": [],
            "enabled": true, "updated_at": at(0),
        }))
        .unwrap();
        store.put_plugin("acme", &plugin).unwrap();
        let suspension = Suspension {
            at: at(1),
            reason: "3 failed calls in a row".into(),
            last_errors: vec!["trap".into()],
        };
        let mut other_config = plugin.clone();
        other_config.config = "{\"rules\": []}".into();
        assert!(
            !store
                .suspend_plugin("acme", &other_config, &suspension)
                .unwrap()
        );
        assert!(store.suspend_plugin("acme", &plugin, &suspension).unwrap());
        assert!(!store.suspend_plugin("acme", &plugin, &suspension).unwrap());
        let mut missing = plugin.clone();
        missing.name = "missing".into();
        assert!(!store.suspend_plugin("acme", &missing, &suspension).unwrap());
        // An admin's change made from the record read before keeps the suspension,
        // unless it lifts it.
        let mut changed = plugin.clone();
        changed.order = 3;
        let kept = store.change_plugin("acme", &changed, false).unwrap();
        assert_eq!(kept.suspended.as_ref(), Some(&suspension));
        assert_eq!(kept.order, 3);
        let stored = store.plugin("acme", "triage").unwrap().unwrap();
        assert_eq!(stored.suspended, Some(suspension));
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A directory of schema 4 gets version 1 of each installed plugin at open.
    #[test]
    fn an_older_directory_gets_a_first_version_of_each_plugin() {
        let dir = scratch("versions-upgrade");
        {
            let store = SledStore::open(&dir).unwrap();
            let plugin: InstalledPlugin = serde_json::from_value(json!({
                "name": "triage", "source": {"type": "reference", "name": "triage"},
                "version": "abc", "config": "{\"rules\": []}", "order": 0, "subscriptions": [],
                "enabled": true, "updated_at": at(3),
            }))
            .unwrap();
            store.put_plugin("acme", &plugin).unwrap();
            store.meta.insert(SCHEMA_KEY, &4u64.to_be_bytes()).unwrap();
            store.flush().unwrap();
        }
        let store = SledStore::open(&dir).unwrap();
        let plugin = store.plugin("acme", "triage").unwrap().unwrap();
        assert_eq!(plugin.active_version, 1);
        let versions = store.plugin_versions("acme", "triage").unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].sha256, "abc");
        assert_eq!(versions[0].config, "{\"rules\": []}");
        assert_eq!(versions[0].created_at, at(3));
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    mod same_answers {
        use proptest::prelude::*;

        use super::*;
        use crate::harness::MemoryTickets;
        use crate::runtime::TicketSource;

        /// An identity from a small pool, written in any case: what helpdesks send.
        fn identity() -> impl Strategy<Value = (usize, String)> {
            let values = [
                "zoe@example.fr",
                "+33600000000",
                "zoe@Example.FR",
                "Ana@example.fr",
            ];
            (0usize..3, 0usize..values.len(), any::<bool>()).prop_map(move |(kind, v, upper)| {
                let value = if upper {
                    values[v].to_uppercase()
                } else {
                    values[v].to_string()
                };
                (kind, value)
            })
        }

        fn kind(n: usize) -> &'static str {
            ["email", "phone", "whatsapp"][n]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// `tickets.open-by-identity` answers the same in the service (the store's
            /// index) and in `guichet plugin run` (the harness's memory), whatever the
            /// tickets, their statuses and the identities' case and kind.
            #[test]
            fn the_harness_and_the_service_find_the_same_open_tickets(
                tickets in proptest::collection::vec(
                    (0usize..8, proptest::collection::vec(identity(), 0..3)),
                    1..12,
                ),
                query in identity(),
            ) {
                let statuses = [
                    TicketStatus::New, TicketStatus::Open, TicketStatus::WaitingOnAgent,
                    TicketStatus::WaitingOnRequester, TicketStatus::OnHold,
                    TicketStatus::Solved, TicketStatus::Closed, TicketStatus::Merged,
                ];
                let dir = scratch("same-answers");
                let store = SledStore::open(&dir).unwrap();
                let memory = MemoryTickets::default();
                for (n, (status, identities)) in tickets.iter().enumerate() {
                    let identities: Vec<(&str, &str)> = identities
                        .iter()
                        .map(|(k, v)| (kind(*k), v.as_str()))
                        .collect();
                    // Two tickets a minute: ties are ordered alike too.
                    let t = ticket(&format!("t-{n}"), (n / 2) as i64, statuses[*status], &identities);
                    commit(&store, "acme", Some(&t), &[]);
                    memory.remember(t);
                }
                let asked: Identity = serde_json::from_value(
                    json!({"kind": kind(query.0), "value": query.1}),
                ).unwrap();
                let served = store.open_tickets_of("acme", &asked, 50).unwrap();
                let run = memory.open_by_identity(&asked, 50).unwrap();
                prop_assert_eq!(ids(&served), ids(&run));
                drop(store);
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }

    fn ids(tickets: &[Ticket]) -> Vec<&str> {
        tickets.iter().map(|t| t.id.as_str()).collect()
    }

    fn entries(tree: &sled::Tree) -> BTreeMap<Vec<u8>, Vec<u8>> {
        tree.iter()
            .map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
            .collect()
    }

    /// The indexes and counters hold exactly what the records say, nothing stale.
    fn assert_indexes_match_records(store: &SledStore) {
        let (mut by_created, mut open) = (BTreeMap::new(), BTreeMap::new());
        for entry in store.tickets.iter() {
            let (k, v) = entry.unwrap();
            let ticket: Ticket = from_json(&k, &v).unwrap();
            let tenant = String::from_utf8(k.split(|b| *b == 0).next().unwrap().to_vec()).unwrap();
            by_created.insert(
                created_key(&tenant, &ticket),
                ticket.id.clone().into_bytes(),
            );
            for key in open_keys(&tenant, &ticket) {
                open.insert(key, ticket.id.clone().into_bytes());
            }
        }
        let mut counts: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for k in store.plugin_storage.iter().keys() {
            let k = k.unwrap();
            let entry = counts
                .entry(count_key_of(&k).unwrap().to_vec())
                .or_insert_with(|| 0u64.to_be_bytes().to_vec());
            *entry = (read_count(Some(entry)) + 1).to_be_bytes().to_vec();
        }
        assert_eq!(
            entries(&store.tickets_by_created),
            by_created,
            "tickets_by_created"
        );
        assert_eq!(
            entries(&store.open_by_identity),
            open,
            "open_tickets_by_identity"
        );
        assert_eq!(
            entries(&store.storage_counts),
            counts,
            "plugin_storage_counts"
        );
    }

    #[test]
    fn an_inbound_delivery_is_stored_whole_once_and_its_links_go_with_its_adapter() {
        use crate::store::{InboundDelivery, InboundEnqueued, InboundGroup};
        let dir = scratch("inbound");
        let store = SledStore::open(&dir).unwrap();
        let created = |id: &str, ticket: &str| Event {
            id: id.to_string(),
            kind: crate::model::EventKind::TicketCreated,
            ticket: Some(ticket_of(ticket)),
            occurred_at: at(1),
        };
        fn ticket_of(id: &str) -> Ticket {
            super::tests::ticket(id, 1, TicketStatus::New, &[("whatsapp", "336")])
        }
        let delivery = InboundDelivery {
            adapter: "wa".into(),
            delivery_id: Some("d-1".into()),
            groups: vec![
                InboundGroup {
                    id: "wa:message:m1".into(),
                    events: vec![created("wa:message:m1", "tk-1")],
                    link: Some(("identity:x".into(), "tk-1".into())),
                },
                InboundGroup {
                    id: "wa:message:m2".into(),
                    events: vec![created("wa:message:m2", "tk-2")],
                    link: None,
                },
            ],
            storage_writes: vec![("wa".into(), "k".into(), Some(b"v".to_vec()))],
        };
        let InboundEnqueued::Stored { events, duplicates } =
            store.enqueue_inbound("acme", &delivery, at(2)).unwrap()
        else {
            panic!("a new delivery is stored")
        };
        assert_eq!((events.len(), duplicates), (2, 0));
        assert_eq!(
            store
                .linked_ticket("acme", "wa", "identity:x")
                .unwrap()
                .as_deref(),
            Some("tk-1")
        );
        assert!(store.event_seen("acme", "wa:message:m2").unwrap());
        assert_eq!(store.plugin_storage_count("acme", "wa").unwrap(), 1);
        // The same delivery id: nothing at all, the storage write included.
        let mut again = delivery.clone();
        again.storage_writes = vec![("wa".into(), "k2".into(), Some(b"v".to_vec()))];
        assert_eq!(
            store.enqueue_inbound("acme", &again, at(3)).unwrap(),
            InboundEnqueued::Duplicate
        );
        assert_eq!(store.plugin_storage_count("acme", "wa").unwrap(), 1);
        // Another delivery id, the same messages: each group once.
        again.delivery_id = Some("d-2".into());
        again.storage_writes.clear();
        assert_eq!(
            store.enqueue_inbound("acme", &again, at(3)).unwrap(),
            InboundEnqueued::Stored {
                events: Vec::new(),
                duplicates: 2
            }
        );
        // Another tenant's delivery of the same ids is its own.
        assert!(matches!(
            store.enqueue_inbound("globex", &delivery, at(3)).unwrap(),
            InboundEnqueued::Stored { duplicates: 0, .. }
        ));
        assert_eq!(store.pending_events().unwrap().len(), 4);
        // The adapter's links and refusals leave with it.
        let plugin: InstalledPlugin = serde_json::from_value(json!({
            "name": "wa", "source": {"type": "reference", "name": "whatsapp"},
            "version": "x", "config": "{}", "order": 0, "subscriptions": [],
            "enabled": true, "updated_at": at(0), "inbound_address": "ab12"
        }))
        .unwrap();
        store.put_plugin("acme", &plugin).unwrap();
        assert_eq!(
            store.inbound_target("ab12").unwrap(),
            Some(("acme".to_string(), "wa".to_string()))
        );
        store
            .record_inbound_refusal(
                "acme",
                "wa",
                &InboundRefusal {
                    at: at(4),
                    status: 401,
                    method: "POST".into(),
                    path: "/".into(),
                    reason: "rejected: no signature".into(),
                },
            )
            .unwrap();
        assert_eq!(store.inbound_refusals("acme", "wa").unwrap().len(), 1);
        assert!(store.delete_plugin("acme", "wa").unwrap());
        assert_eq!(store.inbound_target("ab12").unwrap(), None);
        assert!(!store.event_seen("acme", "wa:message:m2").unwrap());
        assert!(store.event_seen("globex", "wa:message:m2").unwrap());
        assert_eq!(
            store.linked_ticket("acme", "wa", "identity:x").unwrap(),
            None
        );
        assert!(store.inbound_refusals("acme", "wa").unwrap().is_empty());
        assert_eq!(
            store
                .linked_ticket("globex", "wa", "identity:x")
                .unwrap()
                .as_deref(),
            Some("tk-1"),
            "another tenant's links stay"
        );
        // Installed again, the adapter starts afresh: the same delivery is new.
        assert!(matches!(
            store.enqueue_inbound("acme", &delivery, at(5)).unwrap(),
            InboundEnqueued::Stored { duplicates: 0, .. }
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refusals_keep_the_last_hundred() {
        let dir = scratch("refusals");
        let store = SledStore::open(&dir).unwrap();
        for n in 0..(INBOUND_REFUSALS_KEPT as i64 + 5) {
            let refusal = InboundRefusal {
                at: at(n),
                status: 400,
                method: "POST".into(),
                path: "/".into(),
                reason: format!("malformed: {n}"),
            };
            store
                .record_inbound_refusal("acme", "wa", &refusal)
                .unwrap();
        }
        let kept = store.inbound_refusals("acme", "wa").unwrap();
        assert_eq!(kept.len(), INBOUND_REFUSALS_KEPT as usize);
        assert_eq!(kept[0].reason, "malformed: 5");
        assert_eq!(kept.last().unwrap().reason, "malformed: 104");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recent_is_newest_first_from_since_and_stops_at_limit() {
        let dir = scratch("recent");
        let store = SledStore::open(&dir).unwrap();
        for (id, minute) in [
            ("t-1", 1),
            ("t-2", 2),
            ("t-3b", 3),
            ("t-3a", 3),
            ("t-30", 3),
            ("t-3", 3),
            ("t-4", 4),
        ] {
            commit(
                &store,
                "acme",
                Some(&ticket(id, minute, TicketStatus::New, &[])),
                &[],
            );
        }
        commit(
            &store,
            "acme-2",
            Some(&ticket("other", 5, TicketStatus::New, &[])),
            &[],
        );
        let recent = |since, limit| store.recent_tickets("acme", at(since), limit).unwrap();
        // Newest first; the tickets of one moment in id (byte) order, an id before
        // the longer ids it begins; `since` included.
        assert_eq!(
            ids(&recent(2, 10)),
            ["t-4", "t-3", "t-30", "t-3a", "t-3b", "t-2"]
        );
        assert_eq!(ids(&recent(0, 3)), ["t-4", "t-3", "t-30"]);
        assert_eq!(ids(&recent(5, 10)), Vec::<&str>::new());
        assert_eq!(recent(0, 0).len(), 0);
        assert_eq!(
            ids(&store.recent_tickets("acme-2", at(0), 10).unwrap()),
            ["other"]
        );
        assert!(store.recent_tickets("acm", at(0), 10).unwrap().is_empty());

        // A ticket whose creation time is corrected moves in the index.
        commit(
            &store,
            "acme",
            Some(&ticket("t-1", 10, TicketStatus::Open, &[])),
            &[],
        );
        assert_eq!(ids(&recent(4, 10)), ["t-1", "t-4"]);
        assert_indexes_match_records(&store);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn open_by_identity_follows_status_and_identity_changes() {
        let dir = scratch("open");
        let store = SledStore::open(&dir).unwrap();
        let zoe = identity(IdentityKind::Email, "zoe@example.fr");
        let phone = identity(IdentityKind::Phone, "+33600000000");
        let open_of = |who: &Identity| {
            ids(&store.open_tickets_of("acme", who, 50).unwrap())
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let save = |t: &Ticket| {
            commit(&store, "acme", Some(t), &[]);
            assert_indexes_match_records(&store);
        };

        let mut t1 = ticket(
            "t-1",
            1,
            TicketStatus::New,
            &[
                ("email", "Zoe@Example.FR"),
                ("phone", "+33600000000"),
                ("email", "zoe@example.fr"),
            ],
        );
        save(&t1);
        save(&ticket(
            "t-2",
            2,
            TicketStatus::WaitingOnAgent,
            &[("email", "zoe@example.fr")],
        ));
        save(&ticket(
            "t-3",
            3,
            TicketStatus::Closed,
            &[("email", "zoe@example.fr")],
        ));
        commit(
            &store,
            "acme-2",
            Some(&ticket(
                "t-9",
                9,
                TicketStatus::New,
                &[("email", "zoe@example.fr")],
            )),
            &[],
        );

        // E-mail addresses without case, newest first, within the tenant.
        assert_eq!(open_of(&zoe), ["t-2", "t-1"]);
        assert_eq!(
            open_of(&identity(IdentityKind::Email, "ZOE@example.fr")),
            ["t-2", "t-1"]
        );
        assert_eq!(
            ids(&store.open_tickets_of("acme", &zoe, 1).unwrap()),
            ["t-2"]
        );
        // Other kinds compare exactly, and a value of another kind is not a match.
        assert_eq!(open_of(&phone), ["t-1"]);
        assert!(open_of(&identity(IdentityKind::Whatsapp, "+33600000000")).is_empty());
        assert!(open_of(&identity(IdentityKind::External, "zoe@example.fr")).is_empty());
        assert!(open_of(&identity(IdentityKind::Email, "zoe@example")).is_empty());

        // Solved, closed and merged leave the index; reopened, it comes back.
        for status in [
            TicketStatus::Solved,
            TicketStatus::Closed,
            TicketStatus::Merged,
        ] {
            t1.status = status;
            save(&t1);
            assert_eq!(open_of(&zoe), ["t-2"], "{status:?}");
            assert!(open_of(&phone).is_empty(), "{status:?}");
            t1.status = TicketStatus::Open;
            save(&t1);
            assert_eq!(open_of(&zoe), ["t-2", "t-1"], "reopened after {status:?}");
        }
        for status in [TicketStatus::WaitingOnRequester, TicketStatus::OnHold] {
            t1.status = status;
            save(&t1);
            assert_eq!(open_of(&phone), ["t-1"], "{status:?}");
        }

        // The requester's identities change: the old ones no longer find it.
        t1.requester.identities = vec![identity(IdentityKind::Whatsapp, "+33611111111")];
        save(&t1);
        assert_eq!(open_of(&zoe), ["t-2"]);
        assert!(open_of(&phone).is_empty());
        assert_eq!(
            open_of(&identity(IdentityKind::Whatsapp, "+33611111111")),
            ["t-1"]
        );
        t1.requester.identities.clear();
        save(&t1);
        assert!(open_of(&identity(IdentityKind::Whatsapp, "+33611111111")).is_empty());

        // Another tenant's ticket with the same identity stays its own.
        assert_eq!(
            ids(&store.open_tickets_of("acme-2", &zoe, 50).unwrap()),
            ["t-9"]
        );
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stale_index_entry_is_skipped() {
        let dir = scratch("stale");
        let store = SledStore::open(&dir).unwrap();
        let open = ticket("t-1", 1, TicketStatus::Open, &[("email", "a@b.c")]);
        commit(&store, "acme", Some(&open), &[]);
        // As if an unreadable earlier record had left its entries behind.
        let mut closed = open.clone();
        closed.status = TicketStatus::Closed;
        store
            .tickets
            .insert(key(&["acme", "t-1"]), to_json(&closed))
            .unwrap();
        let a = identity(IdentityKind::Email, "a@b.c");
        assert!(store.open_tickets_of("acme", &a, 50).unwrap().is_empty());
        store.tickets.remove(key(&["acme", "t-1"])).unwrap();
        assert!(store.recent_tickets("acme", at(0), 50).unwrap().is_empty());
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_storage_counter_follows_sets_overwrites_and_deletes() {
        let dir = scratch("counter");
        let store = SledStore::open(&dir).unwrap();
        let count = |tenant, plugin| store.plugin_storage_count(tenant, plugin).unwrap();
        let write = |writes: &[(&str, &str, Option<&str>)]| {
            let done = commit(&store, "acme", None, writes);
            assert_indexes_match_records(&store);
            done
        };
        assert_eq!(count("acme", "dedup"), 0);
        write(&[("dedup", "a", Some("1"))]);
        assert_eq!(count("acme", "dedup"), 1);
        write(&[("dedup", "a", Some("2"))]);
        assert_eq!(count("acme", "dedup"), 1, "an overwrite adds no key");
        let both = write(&[
            ("dedup", "b", Some("1")),
            ("dedup", "c", Some("1")),
            ("sla", "a", Some("1")),
        ]);
        assert_eq!((count("acme", "dedup"), count("acme", "sla")), (3, 1));
        // The same commit again (a retry after a crash) counts nothing twice.
        assert!(matches!(
            store.commit_event(&both),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!((count("acme", "dedup"), count("acme", "sla")), (3, 1));
        write(&[
            ("dedup", "a", None),
            ("dedup", "zz", None),
            ("dedup", "d", Some("1")),
        ]);
        assert_eq!(
            count("acme", "dedup"),
            3,
            "a deleted key and a new one; an absent key"
        );
        write(&[
            ("dedup", "b", None),
            ("dedup", "c", None),
            ("dedup", "d", None),
            ("sla", "a", None),
        ]);
        assert_eq!((count("acme", "dedup"), count("acme", "sla")), (0, 0));
        assert!(
            store.storage_counts.is_empty(),
            "no counter is kept at zero"
        );

        // Keys with a NUL of their own, other tenants, plugins whose name begins another's.
        write(&[
            ("dedup", "x\0y", Some("1")),
            ("dedup", "x", Some("1")),
            ("dedup-2", "x", Some("1")),
        ]);
        commit(&store, "acme-2", None, &[("dedup", "x", Some("1"))]);
        assert_eq!((count("acme", "dedup"), count("acme", "dedup-2")), (2, 1));
        assert_eq!((count("acme-2", "dedup"), count("acme", "sla")), (1, 0));
        assert_indexes_match_records(&store);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn listing_keys_stops_at_the_limit() {
        let dir = scratch("keys");
        let store = SledStore::open(&dir).unwrap();
        let keys: Vec<String> = (0..20).map(|n| format!("seen/{n:02}")).collect();
        let mut writes: Vec<(&str, &str, Option<&str>)> = keys
            .iter()
            .map(|k| ("dedup", k.as_str(), Some("1")))
            .collect();
        writes.push(("dedup", "other", Some("1")));
        writes.push(("dedup-2", "seen/zz", Some("1")));
        commit(&store, "acme", None, &writes);
        let list = |prefix, limit| {
            store
                .plugin_storage_keys("acme", "dedup", prefix, limit)
                .unwrap()
        };
        assert_eq!(list("seen/", 3), ["seen/00", "seen/01", "seen/02"]);
        assert_eq!(list("seen/", 100), keys);
        assert_eq!(list("", 100).len(), 21);
        assert!(list("seen/", 0).is_empty());
        assert_eq!(list("other", 10), ["other"]);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A data directory written before the indexes existed (schema version 1: the
    /// records, no `schema_version` in `meta`) gets them at open, once.
    #[test]
    fn a_store_written_before_the_indexes_gets_them_at_open() {
        let dir = scratch("migrate");
        {
            let db = sled::open(&dir).unwrap();
            let tickets = db.open_tree("tickets").unwrap();
            let storage = db.open_tree("plugin_storage").unwrap();
            for (tenant, t) in [
                (
                    "acme",
                    ticket("t-1", 1, TicketStatus::Open, &[("email", "Zoe@Example.fr")]),
                ),
                (
                    "acme",
                    ticket(
                        "t-2",
                        2,
                        TicketStatus::Solved,
                        &[("email", "zoe@example.fr")],
                    ),
                ),
                (
                    "acme",
                    ticket("t-3", 3, TicketStatus::New, &[("phone", "+336")]),
                ),
                (
                    "acme-2",
                    ticket("t-4", 4, TicketStatus::New, &[("email", "zoe@example.fr")]),
                ),
            ] {
                tickets.insert(key(&[tenant, &t.id]), to_json(&t)).unwrap();
            }
            for (tenant, plugin, k) in [
                ("acme", "dedup", "a"),
                ("acme", "dedup", "b"),
                ("acme", "sla", "a"),
                ("acme-2", "dedup", "a"),
            ] {
                storage
                    .insert(key(&[tenant, plugin, k]), b"1".as_slice())
                    .unwrap();
            }
            // What a crash half-way through an earlier migration could leave.
            db.open_tree("tickets_by_created")
                .unwrap()
                .insert(b"acme\0junk", b"t-0".as_slice())
                .unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(&dir).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_indexes_match_records(&store);
        assert_eq!(
            ids(&store.recent_tickets("acme", at(0), 50).unwrap()),
            ["t-3", "t-2", "t-1"]
        );
        let zoe = identity(IdentityKind::Email, "zoe@example.fr");
        assert_eq!(
            ids(&store.open_tickets_of("acme", &zoe, 50).unwrap()),
            ["t-1"]
        );
        assert_eq!(store.plugin_storage_count("acme", "dedup").unwrap(), 2);
        assert_eq!(store.plugin_storage_count("acme", "sla").unwrap(), 1);
        assert_eq!(store.plugin_storage_count("acme-2", "dedup").unwrap(), 1);

        // Once: a directory at the current version is not rebuilt at the next open.
        store
            .storage_counts
            .insert(key(&["acme", "marker"]), &7u64.to_be_bytes())
            .unwrap();
        drop(store);
        let store = SledStore::open(&dir).unwrap();
        assert_eq!(store.plugin_storage_count("acme", "marker").unwrap(), 7);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A store of schema version 5 (before KPI facts) gets each tenant's open
    /// tickets as its starting backlog at open, so that the facts of those tickets'
    /// later resolutions do not take the backlog below zero.
    #[test]
    fn an_older_store_starts_its_backlog_from_its_open_tickets() {
        let dir = scratch("kpi-migration");
        let store = SledStore::open(&dir).unwrap();
        for (tenant, id, status) in [
            ("acme", "t-1", TicketStatus::Open),
            ("acme", "t-2", TicketStatus::WaitingOnRequester),
            ("acme", "t-3", TicketStatus::Solved),
            ("globex", "t-1", TicketStatus::New),
        ] {
            commit(&store, tenant, Some(&ticket(id, 0, status, &[])), &[]);
        }
        store.meta.insert(SCHEMA_KEY, &5u64.to_be_bytes()).unwrap();
        store.db.flush().unwrap();
        drop(store);
        let store = SledStore::open(&dir).unwrap();
        let now = chrono::Utc::now();
        assert_eq!(
            store.kpi_backlog_at("acme", now).unwrap(),
            crate::kpi::Backlog {
                unsolved: 2,
                awaiting: 1
            }
        );
        assert_eq!(
            store.kpi_backlog_at("globex", now).unwrap(),
            crate::kpi::Backlog {
                unsolved: 1,
                awaiting: 1
            }
        );
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_events_pending_at_open_are_taken_over_once_in_batches() {
        let dir = scratch("take-over");
        let store = SledStore::open(&dir).unwrap();
        let seqs: Vec<u64> = (0..5)
            .map(|n| {
                let t = ticket(&format!("t-{n}"), 0, TicketStatus::New, &[]);
                let event = Event {
                    id: format!("e-{n}"),
                    kind: EventKind::TicketCreated,
                    ticket: Some(t),
                    occurred_at: at(0),
                };
                match store.enqueue_event("acme", &event, None, at(0)).unwrap() {
                    Enqueued::New(stored) => stored.seq,
                    Enqueued::Duplicate { .. } => unreachable!("a new id"),
                }
            })
            .collect();
        drop(store);
        let store = SledStore::open(&dir).unwrap();
        let mut taken = Vec::new();
        let mut batches = Vec::new();
        loop {
            let batch = store.take_over(2).unwrap();
            if batch.is_empty() {
                break;
            }
            batches.push(batch.len());
            taken.extend(batch.iter().map(|e| e.seq));
        }
        assert_eq!(batches, [2, 2, 1]);
        assert_eq!(taken, seqs);
        assert!(store.take_over(10).unwrap().is_empty(), "handed out once");
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_store_written_by_a_newer_guichet_is_refused() {
        let dir = scratch("newer");
        {
            let db = sled::open(&dir).unwrap();
            db.open_tree("meta")
                .unwrap()
                .insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes())
                .unwrap();
            db.flush().unwrap();
        }
        match SledStore::open(&dir) {
            Err(StoreError::NewerSchema { found, supported }) => {
                assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            Err(e) => panic!("unexpected error: {e}"),
            Ok(_) => panic!("a newer layout was opened"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A data directory of schema version 2 (no `event_ids`) gets the ids of its
    /// pending outside events at open: sent again, they are duplicates; the host's
    /// own pending events are not recorded by id, and new ids are accepted.
    #[test]
    fn a_store_written_before_event_ids_records_its_pending_ones_at_open() {
        let dir = scratch("migrate-event-ids");
        let event = |id: &str| -> Event {
            serde_json::from_value(serde_json::json!({
                "id": id, "kind": {"type": "ticket_created"}, "occurred_at": at(0),
                "ticket": ticket("t-1", 0, TicketStatus::New, &[])
            }))
            .unwrap()
        };
        {
            let store = SledStore::open(&dir).unwrap();
            for (seq, id, depth, target) in [
                (7, "e-1", 0, None),
                (8, "e-1/1", 1, None),
                (9, "t", 0, Some("p")),
            ] {
                let stored = StoredEvent {
                    seq,
                    tenant: "acme".into(),
                    event: event(id),
                    depth,
                    received_at: at(0),
                    target_plugin: target.map(str::to_string),
                };
                store
                    .pending
                    .insert(seq_key("acme", stored.seq), to_json(&stored))
                    .unwrap();
            }
            store.event_ids.clear().unwrap();
            store.meta.insert(SCHEMA_KEY, &2u64.to_be_bytes()).unwrap();
            store.flush().unwrap();
        }
        let store = SledStore::open(&dir).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let enqueue = |id: &str| {
            store
                .enqueue_event("acme", &event(id), None, at(1))
                .unwrap()
        };
        assert_eq!(enqueue("e-1"), Enqueued::Duplicate { seq: 7 });
        assert!(matches!(enqueue("e-1/1"), Enqueued::New(_)));
        assert!(matches!(enqueue("t"), Enqueued::New(_)));
        let Enqueued::New(new) = enqueue("e-2") else {
            panic!("a new id is new")
        };
        assert_eq!(enqueue("e-2"), Enqueued::Duplicate { seq: new.seq });
        assert!(matches!(
            store
                .enqueue_event("acme-2", &event("e-2"), None, at(1))
                .unwrap(),
            Enqueued::New(_)
        ));
    }
}
