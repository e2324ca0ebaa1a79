//! Compiled plugins shared across tenants, and what a plugin of a tenant may reach
//! (that tenant's tickets, its own storage) as the runtime's host services.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::model::{Identity, Ticket, Timestamp};
use crate::reference_plugins;
use crate::runtime::{
    HostServiceError, LoadError, PluginComponent, PluginEnv, Runtime, StorageSource, TicketSource,
};
use crate::store::{InstalledPlugin, PluginSource, Store, StoreError, TicketFilter};

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
    fn get(&self, id: &str) -> Result<Option<Ticket>, HostServiceError> {
        self.store.ticket(&self.tenant, id).map_err(host_error)
    }

    fn open_by_identity(
        &self,
        identity: &Identity,
        limit: usize,
    ) -> Result<Vec<Ticket>, HostServiceError> {
        let mut tickets = self
            .store
            .open_tickets_of(&self.tenant, &identity.value)
            .map_err(host_error)?;
        tickets.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        tickets.truncate(limit);
        Ok(tickets)
    }

    fn recent(&self, since: Timestamp, limit: usize) -> Result<Vec<Ticket>, HostServiceError> {
        let mut tickets: Vec<Ticket> = self
            .store
            .tickets(&self.tenant, &TicketFilter::default())
            .map_err(host_error)?
            .into_iter()
            .filter(|t| t.created_at >= since)
            .collect();
        tickets.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        tickets.truncate(limit);
        Ok(tickets)
    }
}

struct PluginStorage {
    store: Arc<dyn Store>,
    tenant: String,
    plugin: String,
}

impl StorageSource for PluginStorage {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, HostServiceError> {
        self.store
            .plugin_storage_get(&self.tenant, &self.plugin, key)
            .map_err(host_error)
    }

    fn keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, HostServiceError> {
        let mut keys = self
            .store
            .plugin_storage_keys(&self.tenant, &self.plugin, prefix)
            .map_err(host_error)?;
        keys.truncate(limit);
        Ok(keys)
    }

    fn count(&self) -> Result<usize, HostServiceError> {
        Ok(self
            .store
            .plugin_storage_keys(&self.tenant, &self.plugin, "")
            .map_err(host_error)?
            .len())
    }
}
