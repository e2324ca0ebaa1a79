//! The [`Store`] on sled, the embedded default.
//!
//! One tree per kind of record; keys start with the tenant id and a NUL byte, so a
//! prefix scan never crosses tenants (tenant ids, plugin names and ticket ids are
//! checked by the API to hold no NUL). Values are JSON, readable with any sled tool.
//! Sequence numbers are zero-padded so that byte order is numeric order.
//!
//! Timers live in one tree for every tenant, keyed by due time first, so that the
//! soonest is the first key; `timer_index` finds a ticket's timers by name.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::{
    AuditRecord, Enqueued, EventCommit, InstalledPlugin, OutboxItem, Store, StoreError,
    StoreResult, StoredEvent, Tenant, TicketFilter, Timer, TimerChange, TokenRecord, Webhook,
};
use crate::model::{Event, Ticket, TicketStatus, Timestamp};

pub struct SledStore {
    db: sled::Db,
    meta: sled::Tree,
    tenants: sled::Tree,
    tokens: sled::Tree,
    components: sled::Tree,
    plugins: sled::Tree,
    plugin_storage: sled::Tree,
    pending: sled::Tree,
    idempotency: sled::Tree,
    tickets: sled::Tree,
    audit: sled::Tree,
    webhooks: sled::Tree,
    outbox: sled::Tree,
    dead_letters: sled::Tree,
    /// due key ([`due_key`]) -> [`Timer`]
    timers: sled::Tree,
    /// tenant, ticket, plugin, name -> due key
    timer_index: sled::Tree,
    /// tenant, plugin, schedule -> RFC 3339 time of the last tick
    schedule_marks: sled::Tree,
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
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).replace('\0', "/"),
        reason: e.to_string(),
    })
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

/// A timer's identity: tenant, ticket, plugin, name.
fn timer_id(timer: &Timer) -> Vec<u8> {
    key(&[&timer.tenant, &timer.ticket_id, &timer.plugin, &timer.name])
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

impl SledStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> StoreResult<SledStore> {
        let db = sled::Config::new()
            .path(dir)
            .open()
            .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", dir.display())))?;
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        Ok(SledStore {
            meta: tree("meta")?,
            tenants: tree("tenants")?,
            tokens: tree("tokens")?,
            components: tree("components")?,
            plugins: tree("plugins")?,
            plugin_storage: tree("plugin_storage")?,
            pending: tree("pending_events")?,
            idempotency: tree("idempotency")?,
            tickets: tree("tickets")?,
            audit: tree("audit")?,
            webhooks: tree("webhooks")?,
            outbox: tree("outbox")?,
            dead_letters: tree("dead_letters")?,
            timers: tree("timers")?,
            timer_index: tree("timer_index")?,
            schedule_marks: tree("schedule_marks")?,
            db,
        })
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

impl Store for SledStore {
    fn flush(&self) -> StoreResult<()> {
        self.db.flush().map(drop).map_err(backend)
    }

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
        self.plugins
            .insert(key(&[tenant, &plugin.name]), to_json(plugin))
            .map(drop)
            .map_err(backend)
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
        Ok(self
            .plugins
            .remove(key(&[tenant, name]))
            .map_err(backend)?
            .is_some())
    }

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
    ) -> StoreResult<Vec<String>> {
        let base = prefix(&[tenant, plugin]);
        let mut full = base.clone();
        full.extend_from_slice(key_prefix.as_bytes());
        self.plugin_storage
            .scan_prefix(&full)
            .keys()
            .map(|k| {
                let k = k.map_err(backend)?;
                Ok(String::from_utf8_lossy(&k[base.len()..]).into_owned())
            })
            .collect()
    }

    fn enqueue_event(
        &self,
        tenant: &str,
        event: &Event,
        idempotency_key: Option<&str>,
        received_at: Timestamp,
    ) -> StoreResult<Enqueued> {
        (&self.meta, &self.pending, &self.idempotency)
            .transaction(|(meta, pending, idempotency)| {
                let idem_key = idempotency_key.map(|k| key(&[tenant, k]));
                if let Some(k) = &idem_key
                    && let Some(seq) = idempotency.get(k)?
                {
                    let seq = u64::from_be_bytes(seq.as_ref().try_into().unwrap_or([0; 8]));
                    return Ok(Enqueued::Duplicate { seq });
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
                pending.insert(seq_key(tenant, seq), to_json(&stored))?;
                if let Some(k) = &idem_key {
                    idempotency.insert(k.as_slice(), &seq.to_be_bytes())?;
                }
                Ok(Enqueued::New(Box::new(stored)))
            })
            .map_err(tx_error)
    }

    fn pending_events(&self) -> StoreResult<Vec<StoredEvent>> {
        scan(&self.pending, b"")
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
            &self.timers,
            &self.timer_index,
        )
            .transaction(
                |(meta, pending, tickets, audit, storage, outbox, timers, timer_index)| {
                    let done = pending.remove(seq_key(tenant, commit.seq))?;
                    if done.is_none() {
                        // Already committed (a retry after a crash between commit and
                        // acknowledgement): nothing to do twice.
                        return Ok(Vec::new());
                    }
                    if let Some(ticket) = &commit.ticket {
                        tickets.insert(key(&[tenant, &ticket.id]), to_json(ticket))?;
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
                    for (plugin, k, value) in &commit.plugin_writes {
                        let k = key(&[tenant, plugin, k]);
                        match value {
                            Some(v) => storage.insert(k, v.as_slice())?,
                            None => storage.remove(k)?,
                        };
                    }
                    for item in &commit.outbox {
                        outbox.insert(key(&[tenant, &item.id]), to_json(item))?;
                    }
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

    fn ticket(&self, tenant: &str, id: &str) -> StoreResult<Option<Ticket>> {
        get(&self.tickets, &key(&[tenant, id]))
    }

    fn tickets(&self, tenant: &str, filter: &TicketFilter) -> StoreResult<Vec<Ticket>> {
        let all: Vec<Ticket> = scan(&self.tickets, &prefix(&[tenant]))?;
        let limit = filter.limit.unwrap_or(usize::MAX);
        Ok(all
            .into_iter()
            .filter(|t| filter.matches(t))
            .take(limit)
            .collect())
    }

    fn open_tickets_of(&self, tenant: &str, identity_value: &str) -> StoreResult<Vec<Ticket>> {
        let all: Vec<Ticket> = scan(&self.tickets, &prefix(&[tenant]))?;
        Ok(all
            .into_iter()
            .filter(|t| {
                !matches!(
                    t.status,
                    TicketStatus::Solved | TicketStatus::Closed | TicketStatus::Merged
                ) && t
                    .requester
                    .identities
                    .iter()
                    .any(|i| i.value.eq_ignore_ascii_case(identity_value))
            })
            .collect())
    }

    fn audit(&self, tenant: &str, ticket_id: &str) -> StoreResult<Vec<AuditRecord>> {
        scan(&self.audit, &prefix(&[tenant, ticket_id]))
    }

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

    fn outbox(&self) -> StoreResult<Vec<OutboxItem>> {
        scan(&self.outbox, b"")
    }

    fn update_outbox(&self, item: &OutboxItem) -> StoreResult<()> {
        self.outbox
            .insert(key(&[&item.tenant, &item.id]), to_json(item))
            .map(drop)
            .map_err(backend)
    }

    fn remove_outbox(&self, tenant: &str, id: &str) -> StoreResult<()> {
        self.outbox
            .remove(key(&[tenant, id]))
            .map(drop)
            .map_err(backend)
    }

    fn dead_letter(&self, item: &OutboxItem) -> StoreResult<()> {
        let k = key(&[&item.tenant, &item.id]);
        (&self.outbox, &self.dead_letters)
            .transaction(|(outbox, dead)| {
                outbox.remove(k.as_slice())?;
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
        (&self.outbox, &self.dead_letters)
            .transaction(|(outbox, dead)| {
                let Some(bytes) = dead.remove(k.as_slice())? else {
                    return Ok(None);
                };
                let mut item: OutboxItem = from_json(&k, &bytes)
                    .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                item.attempts = 0;
                item.next_attempt_at = now;
                item.last_error = None;
                outbox.insert(k.as_slice(), to_json(&item))?;
                Ok(Some(item))
            })
            .map_err(tx_error)
    }
}
