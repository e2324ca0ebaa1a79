//! Compiled plugins shared across tenants, and what a plugin of a tenant may reach
//! (that tenant's tickets, its own storage) as the runtime's host services.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
pub struct PluginCache {
    runtime: Arc<Runtime>,
    store: Arc<dyn Store>,
    compiled: Mutex<HashMap<String, Arc<Slot>>>,
    /// The SHA-256 of each reference plugin's bytes, by name, once computed.
    references: Mutex<HashMap<&'static str, String>>,
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
        self.get_or_load(&self.sha256_of(source)?, || match source {
            PluginSource::Reference { name } => Ok(reference_plugins::find(name)
                .ok_or_else(|| PluginCacheError::UnknownReference(name.clone()))?
                .component
                .to_vec()),
            PluginSource::Uploaded { sha256 } => self
                .store
                .component(sha256)?
                .ok_or_else(|| PluginCacheError::MissingComponent(sha256.clone())),
        })
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

/// The environment of one call of `plugin` for `tenant`.
pub fn env_for(store: &Arc<dyn Store>, tenant: &str, plugin: &InstalledPlugin) -> PluginEnv {
    PluginEnv {
        tickets: Arc::new(TenantTickets {
            store: store.clone(),
            tenant: tenant.to_string(),
        }),
        storage: Arc::new(PluginStorage {
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

struct TenantTickets {
    store: Arc<dyn Store>,
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

struct PluginStorage {
    store: Arc<dyn Store>,
    tenant: String,
    plugin: String,
}

impl StorageSource for PluginStorage {
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
}
