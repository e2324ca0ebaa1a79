//! One call into a plugin: the store it runs in, the host interfaces it may use, and
//! how a trap or an exceeded limit becomes a typed [`CallError`].
//!
//! The store's data ([`CallState`]) is everything a plugin can reach: the tenant's
//! tickets and the plugin's storage through [`PluginEnv`], its configuration, a log,
//! and a WASI context with nothing of the machine in it (see `sandbox`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::convert;
use super::sandbox::{CapturedOutput, LogicalClock, MonotonicClock, VirtualTimeView};
use crate::model;

/// A failure of a host service a plugin called (e.g. the store is unavailable). It
/// ends the call: the plugin cannot tell "no ticket" from "could not look".
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HostServiceError(pub String);

/// The tenant's tickets, as a plugin may read them. Implementations answer within one
/// tenant only; the runtime never sees a tenant id.
pub trait TicketSource: Send + Sync {
    /// One ticket with its messages.
    fn get(&self, id: &str) -> Result<Option<model::Ticket>, HostServiceError>;
    /// Open tickets of a requester identity, newest first, at most `limit`.
    fn open_by_identity(
        &self,
        identity: &model::Identity,
        limit: usize,
    ) -> Result<Vec<model::Ticket>, HostServiceError>;
    /// Tickets created at or after `since`, newest first, at most `limit`.
    fn recent(
        &self,
        since: model::Timestamp,
        limit: usize,
    ) -> Result<Vec<model::Ticket>, HostServiceError>;
}

/// The committed contents of one plugin's private key-value store. Writes are not
/// made through this trait: they come back in the call's report, to be committed by
/// the caller together with the call's actions.
pub trait StorageSource: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, HostServiceError>;
    /// Keys starting with `prefix`, in byte order, at most `limit`.
    fn keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, HostServiceError>;
    /// How many keys are stored.
    fn count(&self) -> Result<usize, HostServiceError>;
}

/// What one plugin of one tenant can reach during a call.
#[derive(Clone)]
pub struct PluginEnv {
    pub tickets: Arc<dyn TicketSource>,
    pub storage: Arc<dyn StorageSource>,
    /// The plugin's configuration, JSON text.
    pub config: String,
}

impl PluginEnv {
    /// No tickets, empty storage, `{}` as configuration: what a plugin sees when it
    /// is tried at load time.
    pub fn empty() -> PluginEnv {
        PluginEnv {
            tickets: Arc::new(Nothing),
            storage: Arc::new(Nothing),
            config: "{}".to_string(),
        }
    }
}

/// The empty ticket set and storage of [`PluginEnv::empty`].
struct Nothing;

impl TicketSource for Nothing {
    fn get(&self, _: &str) -> Result<Option<model::Ticket>, HostServiceError> {
        Ok(None)
    }

    fn open_by_identity(
        &self,
        _: &model::Identity,
        _: usize,
    ) -> Result<Vec<model::Ticket>, HostServiceError> {
        Ok(Vec::new())
    }

    fn recent(
        &self,
        _: model::Timestamp,
        _: usize,
    ) -> Result<Vec<model::Ticket>, HostServiceError> {
        Ok(Vec::new())
    }
}

impl StorageSource for Nothing {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, HostServiceError> {
        Ok(None)
    }

    fn keys(&self, _: &str, _: usize) -> Result<Vec<String>, HostServiceError> {
        Ok(Vec::new())
    }

    fn count(&self) -> Result<usize, HostServiceError> {
        Ok(0)
    }
}

/// A change to the plugin's storage made by a successful call; `value: None` deletes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StorageWrite {
    pub key: String,
    pub value: Option<Vec<u8>>,
}

/// How important a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl std::fmt::Display for LogLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        })
    }
}

/// One line of a plugin's log: from the `log` interface, or from stdout (info) and
/// stderr (warn).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// Everything a call produced. `result` is the plugin's answer or why there is none;
/// the log and the measurements are kept either way, for the audit trail.
#[derive(Debug)]
pub struct CallReport<T> {
    pub result: Result<T, super::CallError>,
    pub logs: Vec<LogLine>,
    /// Storage changes to commit with the result; always empty when `result` is an
    /// error, so that a failed call leaves no half-written state.
    pub storage_writes: Vec<StorageWrite>,
    /// Fuel (roughly, WebAssembly instructions) the call consumed.
    pub fuel_used: u64,
    /// Wall-clock time of the call, instantiation included.
    pub duration: Duration,
}

/// Limits on a plugin's private storage, as documented in `wit/v0.2.0/host.wit` (the same in every version).
pub const MAX_KEY_BYTES: usize = 256;
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
pub const MAX_KEYS: usize = 10_000;
pub const MAX_LISTED_KEYS: usize = 1_000;
/// Bytes of keys and values one call may write or delete in total (4 MiB): bounds
/// what the host holds for a call's pending writes, whatever the plugin loops over.
pub const MAX_WRITTEN_BYTES: usize = 4 << 20;
pub const MAX_TICKETS_RETURNED: usize = 50;

/// The data of the store a call runs in.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    env: PluginEnv,
    writes: BTreeMap<String, Pending>,
    /// Keys the pending writes add to the committed ones (new keys set, less
    /// committed keys deleted): the quota check's O(1) part.
    keys_added: isize,
    /// Bytes of keys and values written or deleted by this call.
    written_bytes: usize,
    logs: Vec<LogLine>,
    log_bytes: usize,
    log_cap: usize,
    pub(crate) output: CapturedOutput,
    pub(crate) clock: LogicalClock,
    monotonic: MonotonicClock,
}

/// A write of this call to one key, not committed yet.
struct Pending {
    /// The new value; `None` deletes.
    value: Option<Vec<u8>>,
    /// Whether the key is among the committed ones.
    committed: bool,
}

impl CallState {
    pub(crate) fn new(
        wasi: WasiCtx,
        output: CapturedOutput,
        clock: LogicalClock,
        monotonic: MonotonicClock,
        limiter: Limiter,
        env: PluginEnv,
        log_cap: usize,
    ) -> Self {
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter,
            env,
            writes: BTreeMap::new(),
            keys_added: 0,
            written_bytes: 0,
            logs: Vec::new(),
            log_bytes: 0,
            log_cap,
            output,
            clock,
            monotonic,
        }
    }

    /// Whether the instance holds a host resource (a WASI stream, descriptor or
    /// timer) it has not dropped.
    pub(crate) fn holds_resources(&self) -> bool {
        !self.table.is_empty()
    }

    /// The call's virtual monotonic clock and the table its timers go in.
    pub(crate) fn virtual_time(&mut self) -> VirtualTimeView<'_> {
        VirtualTimeView {
            clock: &self.monotonic,
            table: &mut self.table,
        }
    }

    /// Starts a new call on the same store (warm instances): new environment, no
    /// pending writes, an empty log.
    pub(crate) fn reset(&mut self, env: PluginEnv) {
        self.env = env;
        self.monotonic.reset();
        self.writes.clear();
        self.keys_added = 0;
        self.written_bytes = 0;
        self.logs.clear();
        self.log_bytes = 0;
    }

    /// Takes the call's log (plugin log lines, then captured stdout and stderr).
    pub(crate) fn take_logs(&mut self) -> Vec<LogLine> {
        let mut logs = std::mem::take(&mut self.logs);
        let (stdout, stderr, dropped) = self.output.take();
        for (bytes, level) in [(stdout, LogLevel::Info), (stderr, LogLevel::Warn)] {
            for line in String::from_utf8_lossy(&bytes).lines() {
                if !line.is_empty() {
                    logs.push(LogLine {
                        level,
                        message: line.to_string(),
                    });
                }
            }
        }
        if dropped > 0 || self.log_bytes > self.log_cap {
            logs.push(LogLine {
                level: LogLevel::Warn,
                message: format!(
                    "log truncated: the plugin wrote more than {} bytes in this call",
                    self.log_cap
                ),
            });
        }
        self.log_bytes = 0;
        logs
    }

    /// Takes the pending storage writes, in key order.
    pub(crate) fn take_writes(&mut self) -> Vec<StorageWrite> {
        self.keys_added = 0;
        self.written_bytes = 0;
        std::mem::take(&mut self.writes)
            .into_iter()
            .map(|(key, pending)| StorageWrite {
                key,
                value: pending.value,
            })
            .collect()
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Enforces the memory and table limits of a call, and remembers which one was hit,
/// so that the trap that follows can be reported as the limit it is.
pub(crate) struct Limiter {
    pub memory_limit: usize,
    pub table_limit: usize,
    /// Bytes of linear memory of all the component's memories together.
    memory_total: usize,
    pub memory_hit: bool,
    pub table_hit: bool,
}

impl Limiter {
    /// Bytes of linear memory the instance holds now, all its memories together.
    pub fn memory_total(&self) -> usize {
        self.memory_total
    }

    pub fn new(memory_limit: usize, table_limit: usize) -> Self {
        Limiter {
            memory_limit,
            table_limit,
            memory_total: 0,
            memory_hit: false,
            table_hit: false,
        }
    }
}

/// Components built from several core modules (e.g. componentize-py) have several
/// memories and tables; these caps bound how many, the byte and element limits bound
/// their size.
const MAX_INSTANCES: usize = 100;
const MAX_MEMORIES: usize = 16;
const MAX_TABLES: usize = 100;

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory_total - current.min(self.memory_total) + desired;
        if total > self.memory_limit {
            // `memory.grow` returns -1, as the WebAssembly specification says it
            // may: a guest can free memory and try again, or fall back to a smaller
            // allocation. A guest that gives up (Rust aborts on a failed
            // allocation) then traps, and the trap is reported as this limit.
            self.memory_hit = true;
            return Ok(false);
        }
        self.memory_total = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_limit {
            // `table.grow` returns -1, like `memory.grow` above.
            self.table_hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

fn host_failure(e: HostServiceError) -> wasmtime::Error {
    wasmtime::Error::new(e)
}

/// Why a storage write was refused; each version's `storage-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StorageRefusal {
    InvalidKey,
    ValueTooLarge,
    QuotaExceeded,
}

/// What the host interfaces do, in the host's model; each version of the contract
/// binds them in `imports.rs`.
impl CallState {
    /// `tickets.get`: O(log n) in the tenant's tickets.
    pub(crate) fn ticket(&mut self, id: &str) -> wasmtime::Result<Option<model::Ticket>> {
        self.env.tickets.get(id).map_err(host_failure)
    }

    /// `tickets.open-by-identity`: at most [`MAX_TICKETS_RETURNED`], from an index.
    pub(crate) fn open_tickets_of(
        &mut self,
        identity: &model::Identity,
    ) -> wasmtime::Result<Vec<model::Ticket>> {
        let mut found = self
            .env
            .tickets
            .open_by_identity(identity, MAX_TICKETS_RETURNED)
            .map_err(host_failure)?;
        found.truncate(MAX_TICKETS_RETURNED);
        Ok(found)
    }

    /// `tickets.recent`: at most `limit` and [`MAX_TICKETS_RETURNED`], from an index.
    pub(crate) fn recent_tickets(
        &mut self,
        since_millis: i64,
        limit: u32,
    ) -> wasmtime::Result<Vec<model::Ticket>> {
        let limit = (limit as usize).min(MAX_TICKETS_RETURNED);
        let mut found = self
            .env
            .tickets
            .recent(convert::from_millis(since_millis), limit)
            .map_err(host_failure)?;
        found.truncate(limit);
        Ok(found)
    }

    /// Whether `key` holds a value now (pending writes first), and whether it is
    /// among the committed keys. O(log n).
    fn key_state(&self, key: &str) -> wasmtime::Result<(bool, bool)> {
        Ok(match self.writes.get(key) {
            Some(pending) => (pending.value.is_some(), pending.committed),
            None => {
                let committed = self.env.storage.get(key).map_err(host_failure)?.is_some();
                (committed, committed)
            }
        })
    }

    /// Records a pending write of `key`, keeping the key count and the byte budget.
    fn pend(&mut self, key: String, value: Option<Vec<u8>>, present: bool, committed: bool) {
        let present_after = value.is_some();
        self.keys_added += present_after as isize - present as isize;
        self.written_bytes += key.len() + value.as_ref().map_or(0, Vec::len);
        self.writes.insert(key, Pending { value, committed });
    }

    /// `storage.get`: O(log n) in the plugin's committed keys.
    pub(crate) fn storage_get(&mut self, key: &str) -> wasmtime::Result<Option<Vec<u8>>> {
        if let Some(pending) = self.writes.get(key) {
            return Ok(pending.value.clone());
        }
        self.env.storage.get(key).map_err(host_failure)
    }

    /// `storage.set`: O(log n) in the plugin's committed keys (the quota is the
    /// store's counter plus this call's running count); what one call writes is
    /// bounded by [`MAX_WRITTEN_BYTES`].
    pub(crate) fn storage_set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), StorageRefusal>> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Ok(Err(StorageRefusal::InvalidKey));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Ok(Err(StorageRefusal::ValueTooLarge));
        }
        if self.written_bytes + key.len() + value.len() > MAX_WRITTEN_BYTES {
            return Ok(Err(StorageRefusal::QuotaExceeded));
        }
        let (present, committed) = self.key_state(&key)?;
        if !present {
            let stored = self.env.storage.count().map_err(host_failure)?;
            if stored as isize + self.keys_added >= MAX_KEYS as isize {
                return Ok(Err(StorageRefusal::QuotaExceeded));
            }
        }
        self.pend(key, Some(value), present, committed);
        Ok(Ok(()))
    }

    /// `storage.delete`: O(log n) in the plugin's committed keys.
    pub(crate) fn storage_delete(&mut self, key: String) -> wasmtime::Result<()> {
        // A key that cannot be set cannot be there; past the call's byte budget,
        // the plugin's writes are refused anyway (its `set` says so).
        if key.is_empty()
            || key.len() > MAX_KEY_BYTES
            || self.written_bytes + key.len() > MAX_WRITTEN_BYTES
        {
            return Ok(());
        }
        let (present, committed) = self.key_state(&key)?;
        if !present && !committed {
            // Nothing to delete, and nothing to remember.
            return Ok(());
        }
        self.pend(key, None, present, committed);
        Ok(())
    }

    /// `storage.list-keys`: O(log n) plus the keys it returns, plus this call's own
    /// pending writes under the prefix.
    pub(crate) fn storage_keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        let pending: Vec<(&String, &Pending)> = self
            .writes
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .collect();
        let deleted = pending.iter().filter(|(_, p)| p.value.is_none()).count();
        let committed = self
            .env
            .storage
            .keys(&prefix, MAX_LISTED_KEYS + deleted)
            .map_err(host_failure)?;
        let mut keys: std::collections::BTreeSet<String> = committed.into_iter().collect();
        for (key, write) in pending {
            if write.value.is_some() {
                keys.insert(key.clone());
            } else {
                keys.remove(key);
            }
        }
        Ok(keys.into_iter().take(MAX_LISTED_KEYS).collect())
    }

    /// `config.get`.
    pub(crate) fn config_text(&self) -> String {
        self.env.config.clone()
    }

    /// `log.log`: kept up to the call's log cap.
    pub(crate) fn push_log(&mut self, level: LogLevel, message: String) {
        self.log_bytes += message.len();
        if self.log_bytes <= self.log_cap {
            self.logs.push(LogLine { level, message });
        }
    }
}

/// The host interfaces of `guichet:plugin@0.1.0`.
mod v0_1_0 {
    use super::super::bindings::v0_1_0::{config, log, storage, tickets, types};
    use super::{CallState, LogLevel, StorageRefusal};
    include!("imports.rs");
}

/// The host interfaces of `guichet:plugin@0.2.0` (the same as 0.1.0's, in its types).
mod v0_2_0 {
    use super::super::bindings::v0_2_0::{config, log, storage, tickets, types};
    use super::{CallState, LogLevel, StorageRefusal};
    include!("imports.rs");
}

/// The host interfaces of `guichet:plugin@0.3.0` (the same as 0.2.0's).
mod v0_3_0 {
    use super::super::bindings::v0_3_0::{config, log, storage, tickets, types};
    use super::{CallState, LogLevel, StorageRefusal};
    include!("imports.rs");
}
