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

/// Compiled components by the SHA-256 of their bytes: a component uploaded by ten
/// tenants is compiled once.
pub struct PluginCache {
    runtime: Arc<Runtime>,
    store: Arc<dyn Store>,
    compiled: Mutex<HashMap<String, Arc<PluginComponent>>>,
}

impl PluginCache {
    pub fn new(runtime: Arc<Runtime>, store: Arc<dyn Store>) -> PluginCache {
        PluginCache {
            runtime,
            store,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// Validates and compiles `bytes` (an upload), keeping the result for later calls.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<PluginComponent>, LoadError> {
        let component = Arc::new(self.runtime.load(bytes)?);
        let sha256 = component.info().sha256.clone();
        self.compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(sha256)
            .or_insert_with(|| component.clone());
        Ok(component)
    }

    /// The compiled component of an installed plugin.
    pub fn get(&self, plugin: &InstalledPlugin) -> Result<Arc<PluginComponent>, PluginCacheError> {
        if let Some(found) = self
            .compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&plugin.version)
        {
            return Ok(found.clone());
        }
        let bytes: Vec<u8> = match &plugin.source {
            PluginSource::Reference { name } => reference_plugins::find(name)
                .ok_or_else(|| PluginCacheError::UnknownReference(name.clone()))?
                .component
                .to_vec(),
            PluginSource::Uploaded { sha256 } => self
                .store
                .component(sha256)?
                .ok_or_else(|| PluginCacheError::MissingComponent(sha256.clone()))?,
        };
        Ok(self.load(&bytes)?)
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
}
