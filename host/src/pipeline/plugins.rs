//! Compiled plugins shared across tenants, and what a plugin of a tenant may reach
//! (that tenant's tickets, its own storage) as the runtime's host services.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Instant;

use crate::model::{Identity, Ticket, Timestamp};
use crate::reference_plugins;
use crate::runtime::{
    HostServiceError, LoadError, PluginComponent, PluginEnv, Runtime, StorageSource, TicketSource,
    World,
};
use crate::store::{InstalledPlugin, PluginSource, Store, StoreError};

/// Why an installed plugin could not be made ready to run.
#[derive(Debug, thiserror::Error)]
pub enum PluginCacheError {
    #[error("no reference plugin `{0}`")]
    UnknownReference(String),
    #[error("component {0} is missing from the store")]
    MissingComponent(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The plugin is of another kind than the call needs.
    #[error("plugin `{plugin}` is a {actual} plugin, not a {expected} one")]
    WrongWorld {
        plugin: String,
        expected: World,
        actual: World,
    },
}

/// Compiled components by the SHA-256 of their bytes: a component installed by a
/// thousand tenants is compiled (or loaded from the runtime's compile cache) once, and
/// held once in memory.
///
/// Each component has a slot with its own lock: two callers wanting the same component
/// at once (the start's warm-up and a first event, two uploads of the same bytes) wait
/// for one compilation instead of doing two; callers wanting different components do
/// not wait for each other. A failure is not remembered: the next caller tries again.
///
/// A component that exports `wizer-initialize` also gets, per configuration, a
/// pre-initialised copy (see `runtime::preinit`), made in the background the first
/// time an event needs it; until it is ready, and if it cannot be made, events run on
/// the plain component. The thread that makes them starts with the first; once the
/// cache is dropped it ends after the copy it is making.
pub struct PluginCache {
    runtime: Arc<Runtime>,
    store: Arc<dyn Store>,
    compiled: Mutex<HashMap<String, Arc<Slot>>>,
    /// The SHA-256 of each reference plugin's bytes, by name, once computed.
    references: Mutex<HashMap<&'static str, String>>,
    /// Pre-initialised copies, shared with the thread that makes them.
    snapshots: Arc<Snapshots>,
    /// Where snapshots to make are sent; the thread starts with the first.
    snapshot_jobs: OnceLock<Mutex<mpsc::Sender<SnapshotJob>>>,
}

/// At most this many pre-initialised copies are held (each is a compiled component,
/// about as large as the plain one): past it, one made earlier is dropped (which one
/// is left to the map's order), and made again when next needed.
pub const MAX_SNAPSHOTS: usize = 256;

/// At most this many copies wait or are being made at once (each job holds its
/// component's bytes): past it, an event runs on the plain component and a later one
/// asks again.
pub const MAX_SNAPSHOT_JOBS: usize = 4;

/// A copy that could not be made is tried again after this long: its initialiser may
/// have missed its deadline on a busy machine.
pub const SNAPSHOT_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(300);

/// Pre-initialised copies by component SHA-256, then configuration text.
#[derive(Default)]
struct Snapshots {
    by_component: Mutex<HashMap<String, HashMap<String, SnapshotState>>>,
}

impl Snapshots {
    /// Records what became of the copy of component `sha256` for `config`, unless its
    /// entry was dropped meanwhile.
    fn set(&self, sha256: &str, config: &str, state: SnapshotState) {
        let mut held = self.by_component.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = held.get_mut(sha256).and_then(|c| c.get_mut(config)) {
            *slot = state;
        }
    }
}

enum SnapshotState {
    /// Being made by the background thread.
    Making,
    Ready(Arc<PluginComponent>),
    /// Could not be made, at that instant (logged): the plain component serves this
    /// configuration until [`SNAPSHOT_RETRY_AFTER`] has passed.
    Failed(Instant),
}

/// One snapshot to make.
struct SnapshotJob {
    /// The component's bytes.
    bytes: Vec<u8>,
    plain: Arc<PluginComponent>,
    config: String,
}

/// One component's place in the cache: empty until it is first loaded.
type Slot = Mutex<Option<Arc<PluginComponent>>>;

impl PluginCache {
    pub fn new(runtime: Arc<Runtime>, store: Arc<dyn Store>) -> PluginCache {
        PluginCache {
            runtime,
            store,
            compiled: Mutex::new(HashMap::new()),
            references: Mutex::new(HashMap::new()),
            snapshots: Arc::default(),
            snapshot_jobs: OnceLock::new(),
        }
    }

    /// The slot of the component whose SHA-256 is `sha256`, made if missing.
    fn slot(&self, sha256: &str) -> Arc<Slot> {
        self.compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(sha256.to_string())
            .or_default()
            .clone()
    }

    /// The component in `sha256`'s slot, loaded with `bytes()` the first time.
    fn get_or_load<E: From<LoadError>>(
        &self,
        sha256: &str,
        bytes: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Arc<PluginComponent>, E> {
        let slot = self.slot(sha256);
        let mut held = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = held.as_ref() {
            return Ok(found.clone());
        }
        match bytes().and_then(|bytes| Ok(self.runtime.load(&bytes)?)) {
            Ok(component) => {
                let component = Arc::new(component);
                *held = Some(component.clone());
                Ok(component)
            }
            Err(e) => {
                drop(held);
                self.forget_if_empty(sha256, &slot);
                Err(e)
            }
        }
    }

    /// Removes `slot` after a failed load unless another caller holds it (it will
    /// try again): refused uploads leave nothing behind. Slots are cloned under the
    /// map's lock, held here, so the count of holders is exact: the map and `slot`.
    fn forget_if_empty(&self, sha256: &str, slot: &Arc<Slot>) {
        let mut slots = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if slots
            .get(sha256)
            .is_some_and(|s| Arc::ptr_eq(s, slot) && Arc::strong_count(s) == 2)
        {
            slots.remove(sha256);
        }
    }

    /// Validates and compiles `bytes` (an upload), keeping the result for later calls.
    /// Bytes already loaded (by this tenant or another) are answered from memory:
    /// they were validated when first loaded. Cost: a SHA-256 of the bytes (about
    /// 1 ms per 2 MB) when known; else a load (see [`Runtime::load`]).
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<PluginComponent>, LoadError> {
        let sha256 = crate::runtime::sha256_hex(bytes);
        self.get_or_load(&sha256, || Ok::<_, LoadError>(bytes.to_vec()))
    }

    /// The compiled component of an installed plugin.
    pub fn get(&self, plugin: &InstalledPlugin) -> Result<Arc<PluginComponent>, PluginCacheError> {
        self.get_source(&plugin.source)
    }

    /// The compiled component of `source`: an installed plugin's, or its shadow
    /// candidate's.
    pub fn get_source(
        &self,
        source: &PluginSource,
    ) -> Result<Arc<PluginComponent>, PluginCacheError> {
        self.get_or_load(&self.sha256_of(source)?, || {
            component_bytes(&self.store, source)
        })
    }

    /// The component to run `plugin` on an event with, under a memory limit of
    /// `memory_limit` bytes: its pre-initialised copy for its configuration when one is
    /// ready and starts within that limit, else the plain component (and, the first
    /// time, a copy is asked of the background thread).
    ///
    /// Cost: [`PluginCache::get`], then one hash-map look-up of the configuration's
    /// text. The first event of a (component, configuration) pair also counts the
    /// copies held (O([`MAX_SNAPSHOTS`])) and reads the component's bytes from the
    /// store (once).
    pub fn get_for_events(
        &self,
        plugin: &InstalledPlugin,
        memory_limit: usize,
    ) -> Result<Arc<PluginComponent>, PluginCacheError> {
        let plain = self.get(plugin)?;
        if !Runtime::pre_initialisable(&plain) {
            return Ok(plain);
        }
        let sha256 = plain.info().sha256.as_str();
        let mut held = self
            .snapshots
            .by_component
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match held.get(sha256).and_then(|c| c.get(plugin.config.as_str())) {
            Some(SnapshotState::Ready(copy)) => {
                // A plugin given less memory than the initialiser left would fail to
                // start from the snapshot: it runs as it did before.
                let fits = copy.start_memory_bytes().unwrap_or(0) <= memory_limit;
                return Ok(if fits { copy.clone() } else { plain });
            }
            Some(SnapshotState::Making) => return Ok(plain),
            Some(SnapshotState::Failed(at)) if at.elapsed() < SNAPSHOT_RETRY_AFTER => {
                return Ok(plain);
            }
            Some(SnapshotState::Failed(_)) | None => {}
        }
        let states = || held.values().flat_map(HashMap::values);
        let making = states()
            .filter(|s| matches!(s, SnapshotState::Making))
            .count();
        if making >= MAX_SNAPSHOT_JOBS {
            return Ok(plain);
        }
        if states().count() >= MAX_SNAPSHOTS && !evict_one(&mut held) {
            return Ok(plain);
        }
        held.entry(sha256.to_string())
            .or_default()
            .insert(plugin.config.clone(), SnapshotState::Making);
        drop(held);
        // Read here, once per configuration: the thread holds no store, so a service
        // that stops leaves nothing open behind it.
        let job = component_bytes(&self.store, &plugin.source).map(|bytes| SnapshotJob {
            bytes,
            plain: plain.clone(),
            config: plugin.config.clone(),
        });
        match job {
            Ok(job) => self.make_snapshot(job),
            Err(e) => {
                tracing::warn!(error = %e, "could not read a component to pre-initialise it");
                self.snapshots.set(
                    &plain.info().sha256,
                    &plugin.config,
                    SnapshotState::Failed(Instant::now()),
                );
            }
        }
        Ok(plain)
    }

    /// Hands `job` to the thread that makes snapshots, started on first use. One
    /// thread: a snapshot costs compilations, which must not take every core from
    /// the events.
    fn make_snapshot(&self, job: SnapshotJob) {
        let jobs = self.snapshot_jobs.get_or_init(|| {
            let (send, receive) = mpsc::channel::<SnapshotJob>();
            let (runtime, snapshots) = (self.runtime.clone(), self.snapshots.clone());
            let started = std::thread::Builder::new()
                .name("guichet-snapshots".into())
                .spawn(move || {
                    // Below the event workers: a snapshot takes the cores they leave.
                    // (On Linux a thread has its own nice value; 0 names this one.)
                    #[cfg(target_os = "linux")]
                    // SAFETY: setpriority takes no pointer and only changes this
                    // thread's scheduling priority.
                    unsafe {
                        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
                    }
                    // Ends when the cache (the sender) is dropped.
                    for job in receive {
                        let state = make_one(&runtime, &job);
                        snapshots.set(&job.plain.info().sha256, &job.config, state);
                    }
                });
            if let Err(e) = started {
                tracing::warn!(error = %e, "could not start the snapshot thread");
            }
            Mutex::new(send)
        });
        let sent = jobs.lock().unwrap_or_else(|p| p.into_inner()).send(job);
        if let Err(mpsc::SendError(job)) = sent {
            // No thread: the plain component serves this configuration.
            self.snapshots.set(
                &job.plain.info().sha256,
                &job.config,
                SnapshotState::Failed(Instant::now()),
            );
        }
    }

    /// How many pre-initialised copies are ready, being made, and failed.
    /// O(copies held), at most [`MAX_SNAPSHOTS`].
    pub fn snapshot_counts(&self) -> SnapshotCounts {
        let held = self
            .snapshots
            .by_component
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut counts = SnapshotCounts::default();
        for state in held.values().flat_map(HashMap::values) {
            match state {
                SnapshotState::Ready(_) => counts.ready += 1,
                SnapshotState::Making => counts.making += 1,
                SnapshotState::Failed(_) => counts.failed += 1,
            }
        }
        counts
    }

    /// The SHA-256 of `source`'s bytes, which names its component here: an upload's
    /// is its store key; a reference plugin's is computed once per name (about 1 ms
    /// per 2 MB), then remembered. Not an installed plugin's `version`, which an older
    /// release may have recorded for other bytes of a reference plugin.
    pub fn sha256_of(&self, source: &PluginSource) -> Result<String, PluginCacheError> {
        match source {
            PluginSource::Uploaded { sha256 } => Ok(sha256.clone()),
            PluginSource::Reference { name } => {
                let mut known = self.references.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(sha256) = known.get(name.as_str()) {
                    return Ok(sha256.clone());
                }
                let found = reference_plugins::find(name)
                    .ok_or_else(|| PluginCacheError::UnknownReference(name.clone()))?;
                let sha256 = crate::runtime::sha256_hex(found.component);
                known.insert(found.name, sha256.clone());
                Ok(sha256)
            }
        }
    }

    /// Asks `component` what is wrong with `config` before it is set (the
    /// `check-config` of contract 0.2.0), under the runtime's default limits, its
    /// clock at `now`. `Ok(None)` for a component of contract 0.1.0, which cannot be
    /// asked; `Err` when the check itself failed (a trap, a limit).
    pub fn check_config(
        &self,
        component: &PluginComponent,
        config: &str,
        now: crate::model::Timestamp,
    ) -> Result<Option<Vec<crate::model::ConfigProblem>>, crate::runtime::CallError> {
        let limits = self.runtime.default_limits().clone();
        match self.runtime.check_config(component, config, now, &limits) {
            None => Ok(None),
            Some(report) => report.result.map(Some),
        }
    }
}

/// Counts of pre-initialised copies (see [`PluginCache::get_for_events`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotCounts {
    /// Made, and served to events.
    pub ready: usize,
    /// Waiting for the background thread, or being made.
    pub making: usize,
    /// Could not be made (the log says why): the plain component serves them.
    pub failed: usize,
}

/// The bytes of `source`'s component: a reference plugin's, or an upload's from the
/// store.
fn component_bytes(
    store: &Arc<dyn Store>,
    source: &PluginSource,
) -> Result<Vec<u8>, PluginCacheError> {
    match source {
        PluginSource::Reference { name } => Ok(reference_plugins::find(name)
            .ok_or_else(|| PluginCacheError::UnknownReference(name.clone()))?
            .component
            .to_vec()),
        PluginSource::Uploaded { sha256 } => store
            .component(sha256)?
            .ok_or_else(|| PluginCacheError::MissingComponent(sha256.clone())),
    }
}

/// Makes `job`'s snapshot, logging the outcome.
fn make_one(runtime: &Runtime, job: &SnapshotJob) -> SnapshotState {
    let started = Instant::now();
    let sha256 = &job.plain.info().sha256;
    let made = runtime.pre_initialise(&job.plain, &job.bytes, &job.config);
    match made {
        Ok(copy) => {
            tracing::info!(
                component = %sha256,
                took_ms = started.elapsed().as_millis() as u64,
                "pre-initialised a plugin for its configuration"
            );
            SnapshotState::Ready(Arc::new(copy))
        }
        Err(error) => {
            tracing::warn!(
                component = %sha256,
                %error,
                "could not pre-initialise a plugin: its plain component serves it"
            );
            SnapshotState::Failed(Instant::now())
        }
    }
}

/// Drops one finished copy (ready or failed) to make room: which one is left to the
/// map's order. Copies being made are kept. False when there was none to drop.
fn evict_one(held: &mut HashMap<String, HashMap<String, SnapshotState>>) -> bool {
    let found = held.iter().find_map(|(sha256, configs)| {
        configs
            .iter()
            .find(|(_, state)| !matches!(state, SnapshotState::Making))
            .map(|(config, _)| (sha256.clone(), config.clone()))
    });
    if let Some((sha256, config)) = found
        && let Some(configs) = held.get_mut(&sha256)
    {
        configs.remove(&config);
        if configs.is_empty() {
            held.remove(&sha256);
        }
        return true;
    }
    false
}

/// The environment of one call of `plugin` for `tenant`.
pub fn env_for(store: &Arc<dyn Store>, tenant: &str, plugin: &InstalledPlugin) -> PluginEnv {
    PluginEnv {
        tickets: Arc::new(TenantTickets {
            store: store.clone(),
            tenant: tenant.to_string(),
        }),
        storage: Arc::new(PluginStorageOf {
            store: store.clone(),
            tenant: tenant.to_string(),
            plugin: plugin.name.clone(),
        }),
        config: plugin.config.clone(),
    }
}

fn host_error(e: StoreError) -> HostServiceError {
    HostServiceError(e.to_string())
}

/// A plugin's `tickets` host services: one tenant's tickets, read only.
struct TenantTickets {
    store: Arc<dyn crate::store::TicketStore>,
    tenant: String,
}

impl TicketSource for TenantTickets {
    /// O(log n) in the tenant's tickets.
    fn get(&self, id: &str) -> Result<Option<Ticket>, HostServiceError> {
        self.store.ticket(&self.tenant, id).map_err(host_error)
    }

    /// O((1 + limit) log n): read from the store's index of open tickets by identity.
    fn open_by_identity(
        &self,
        identity: &Identity,
        limit: usize,
    ) -> Result<Vec<Ticket>, HostServiceError> {
        self.store
            .open_tickets_of(&self.tenant, identity, limit)
            .map_err(host_error)
    }

    /// O((1 + limit) log n): read from the store's index of tickets by creation time.
    fn recent(&self, since: Timestamp, limit: usize) -> Result<Vec<Ticket>, HostServiceError> {
        self.store
            .recent_tickets(&self.tenant, since, limit)
            .map_err(host_error)
    }
}

/// A plugin's `storage` host services: its own keys, read here, written through
/// its actions' commit.
struct PluginStorageOf {
    store: Arc<dyn crate::store::PluginStorage>,
    tenant: String,
    plugin: String,
}

impl StorageSource for PluginStorageOf {
    /// O(log n) in the keys stored.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, HostServiceError> {
        self.store
            .plugin_storage_get(&self.tenant, &self.plugin, key)
            .map_err(host_error)
    }

    /// O(log n + limit): the listing stops at `limit`.
    fn keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, HostServiceError> {
        self.store
            .plugin_storage_keys(&self.tenant, &self.plugin, prefix, limit)
            .map_err(host_error)
    }

    /// O(log n): the counter the store keeps with the writes.
    fn count(&self) -> Result<usize, HostServiceError> {
        self.store
            .plugin_storage_count(&self.tenant, &self.plugin)
            .map_err(host_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, EventKind, IdentityKind};
    use crate::store::{Enqueued, EventCommit, SledStore};

    /// The host services a plugin calls answer from the store, within the tenant and
    /// for the plugin alone.
    #[test]
    fn a_plugin_reads_its_tenants_tickets_and_its_own_storage() {
        let dir = std::env::temp_dir().join(format!("guichet-plugin-env-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&dir).unwrap());
        let save = |tenant: &str,
                    id: &str,
                    minute: u32,
                    writes: Vec<(String, String, Option<Vec<u8>>)>| {
            let ticket: Ticket = serde_json::from_value(serde_json::json!({
                "id": id, "channel": "email",
                "requester": {"identities": [{"kind": "email", "value": "Zoe@example.fr"}]},
                "created_at": format!("2026-11-23T09:{minute:02}:00Z"),
                "updated_at": format!("2026-11-23T09:{minute:02}:00Z"),
            }))
            .unwrap();
            let event = Event {
                id: format!("e-{tenant}-{id}"),
                kind: EventKind::TicketCreated,
                ticket: Some(ticket.clone()),
                occurred_at: ticket.created_at,
            };
            let Enqueued::New(stored) = store
                .enqueue_event(tenant, &event, None, ticket.created_at)
                .unwrap()
            else {
                unreachable!("no idempotency key")
            };
            store
                .commit_event(&EventCommit {
                    tenant: tenant.to_string(),
                    seq: stored.seq,
                    ticket: Some(ticket),
                    timers: Vec::new(),
                    audit: Vec::new(),
                    follow_ups: Vec::new(),
                    plugin_writes: writes,
                    outbox: Vec::new(),
                    shadow: Vec::new(),
                    kpi: Vec::new(),
                })
                .unwrap();
        };
        let write =
            |plugin: &str, key: &str| (plugin.to_string(), key.to_string(), Some(b"1".to_vec()));
        save(
            "acme",
            "t-1",
            1,
            vec![write("dedup", "seen/1"), write("dedup", "seen/2")],
        );
        save(
            "acme",
            "t-2",
            2,
            vec![write("dedup", "other"), write("sla", "seen/9")],
        );
        save("globex", "t-3", 3, vec![write("dedup", "seen/3")]);

        let plugin: InstalledPlugin = serde_json::from_value(serde_json::json!({
            "name": "dedup", "source": {"type": "reference", "name": "triage"},
            "version": "v", "config": "{}", "order": 0, "subscriptions": [],
            "enabled": true, "updated_at": "2026-11-23T09:00:00Z",
        }))
        .unwrap();
        let env = env_for(&store, "acme", &plugin);
        let ids = |tickets: Vec<Ticket>| tickets.into_iter().map(|t| t.id).collect::<Vec<_>>();
        let since = "2026-11-23T09:00:00Z".parse().unwrap();
        assert_eq!(ids(env.tickets.recent(since, 50).unwrap()), ["t-2", "t-1"]);
        assert_eq!(ids(env.tickets.recent(since, 1).unwrap()), ["t-2"]);
        let zoe = Identity {
            kind: IdentityKind::Email,
            value: "zoe@EXAMPLE.fr".into(),
        };
        assert_eq!(
            ids(env.tickets.open_by_identity(&zoe, 50).unwrap()),
            ["t-2", "t-1"]
        );
        assert_eq!(
            env.storage.keys("seen/", 1000).unwrap(),
            ["seen/1", "seen/2"]
        );
        assert_eq!(env.storage.keys("", 2).unwrap(), ["other", "seen/1"]);
        assert_eq!(env.storage.count().unwrap(), 3);
        drop(env);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Callers wanting the same component at once share one compilation, and a
    /// refused component leaves no slot behind.
    #[test]
    fn one_component_is_compiled_once_for_concurrent_callers() {
        let dir = std::env::temp_dir().join(format!("guichet-plugin-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&dir).unwrap());
        let runtime = Arc::new(Runtime::new(crate::runtime::RuntimeConfig::default()).unwrap());
        let cache = PluginCache::new(runtime.clone(), store);
        let triage = PluginSource::Reference {
            name: "triage".into(),
        };
        let bytes = reference_plugins::find("triage").unwrap().component;
        let loaded: Vec<Arc<PluginComponent>> = std::thread::scope(|scope| {
            let callers: Vec<_> = (0..4)
                .map(|n| {
                    let (cache, triage) = (&cache, &triage);
                    scope.spawn(move || {
                        if n % 2 == 0 {
                            cache.get_source(triage).unwrap()
                        } else {
                            cache.load(bytes).unwrap()
                        }
                    })
                })
                .collect();
            callers.into_iter().map(|c| c.join().unwrap()).collect()
        });
        assert!(loaded.iter().all(|c| Arc::ptr_eq(c, &loaded[0])));
        assert_eq!(runtime.compilations().compiled, 1);
        assert_eq!(
            cache.sha256_of(&triage).unwrap(),
            crate::runtime::sha256_hex(bytes)
        );

        let junk = b"\0asm\x0d\0\x01\0 not a component".as_slice();
        assert!(cache.load(junk).is_err());
        assert!(cache.load(junk).is_err());
        let slots = cache.compiled.lock().unwrap();
        assert_eq!(slots.len(), 1, "only triage's slot is left");
        drop(slots);
        drop(cache);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Events get the plain component until the configuration's snapshot is ready,
    /// then the snapshot (unless their memory limit is below its start); another
    /// configuration gets its own; a component that does not ask for one never gets
    /// one (and no job is queued for it).
    #[test]
    fn events_move_to_the_snapshot_of_their_configuration_when_it_is_ready() {
        let dir = std::env::temp_dir().join(format!("guichet-plugin-snap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&dir).unwrap());
        let runtime = Arc::new(Runtime::new(crate::runtime::RuntimeConfig::default()).unwrap());
        let cache = PluginCache::new(runtime, store);
        let installed = |reference: &str, config: &str| -> InstalledPlugin {
            serde_json::from_value(serde_json::json!({
                "name": reference, "source": {"type": "reference", "name": reference},
                "version": "v", "config": config, "order": 0, "subscriptions": [],
                "enabled": true, "updated_at": "2026-11-23T09:00:00Z",
            }))
            .unwrap()
        };
        let ready = |plugin: &InstalledPlugin| {
            let until = Instant::now() + std::time::Duration::from_secs(60);
            loop {
                let got = cache.get_for_events(plugin, MEMORY).unwrap();
                if got.is_pre_initialised() || Instant::now() > until {
                    return got;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        };
        let a = installed("triage", r#"{"default": {"group": "a"}}"#);
        const MEMORY: usize = 64 << 20;
        let first = cache.get_for_events(&a, MEMORY).unwrap();
        assert!(
            !first.is_pre_initialised(),
            "the plain component serves first"
        );
        let copy = ready(&a);
        assert!(copy.is_pre_initialised());
        assert_eq!(copy.info().sha256, first.info().sha256);
        assert!(Arc::ptr_eq(
            &copy,
            &cache.get_for_events(&a, MEMORY).unwrap()
        ));

        let b = installed("triage", r#"{"default": {"group": "b"}}"#);
        let other = ready(&b);
        assert!(other.is_pre_initialised() && !Arc::ptr_eq(&other, &copy));

        // Less memory than the snapshot starts with: the plain component.
        let start = copy.start_memory_bytes().unwrap();
        assert!(
            !cache
                .get_for_events(&a, start - 1)
                .unwrap()
                .is_pre_initialised()
        );

        let followup = installed("followup", "{}");
        for _ in 0..3 {
            assert!(
                !cache
                    .get_for_events(&followup, MEMORY)
                    .unwrap()
                    .is_pre_initialised()
            );
        }
        assert_eq!(
            cache.snapshot_counts(),
            SnapshotCounts {
                ready: 2,
                making: 0,
                failed: 0
            }
        );
        drop(cache);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
