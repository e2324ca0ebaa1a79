//! Durable state of the service, behind one trait per concern: [`TenantStore`]
//! (tenants and their tokens), [`PluginStore`] (components, installed plugins,
//! their versions and shadow runs), [`PluginStorage`] (plugins' key-value storage),
//! [`EventLog`] (accepted and pending events, idempotency keys, inbound deliveries,
//! and the commit that applies an event's processing), [`TimerStore`] (timers and
//! schedule marks), [`TicketStore`] (tickets, their indexes and audit trail),
//! [`OutboxStore`] (webhooks, deliveries, dead letters), [`KpiFacts`] (what KPI
//! reports read) and [`Workers`] (what several workers sharing a store need). A
//! consumer takes the trait it uses; [`Store`] is all of them, for the places that
//! hand the store on.
//!
//! The traits speak the host's records, not bytes. Two backends implement them and
//! pass one contract suite (`tests/store_contract.rs`): [`SledStore`], embedded, the
//! default, for one process; and [`PgStore`], on PostgreSQL, which several `guichet
//! serve` workers share. Every method is scoped by tenant where the data belongs to
//! one: no method can return another tenant's records. Methods that must change
//! several things at once ([`EventLog::commit_event`]) are atomic.
//!
//! This module owns persistence only: no HTTP, no Wasm, no business rules.

mod group_sync;
mod postgres;
mod sled_store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::diff::{DiffSummary, EventDiff};
use crate::model::{Action, Event, Identity, OutgoingRequest, Ticket, TicketStatus, Timestamp};

pub use postgres::PgStore;
pub use sled_store::SledStore;

/// Why the store failed. A backend error is an operator's problem (disk, corruption),
/// never the caller's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage backend: {0}")]
    Backend(String),
    #[error("stored record {key} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
    /// The data directory was written by a newer guichet, in a layout this one does
    /// not know: opening it could corrupt it.
    #[error(
        "the store's schema version is {found}, newer than the {supported} this build reads: \
         run a newer guichet on it"
    )]
    NewerSchema {
        /// The schema version recorded in the data directory.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
    },
    /// Another worker sharing the store got there first (it committed the event, or
    /// one before it): nothing was written. The caller reads again and decides.
    #[error("conflict with another worker: {0}")]
    Conflict(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A customer of the service: a support team with its own plugins and tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tenant {
    /// Lower-case letters, digits and dashes; chosen by the operator.
    pub id: String,
    pub name: String,
    /// The IANA time zone its schedules (and business hours) are read in.
    #[serde(default = "utc")]
    #[schema(example = "Europe/Paris")]
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
    /// Its business calendar, for the KPIs' business times and business-hours calls:
    /// `{"time_zone": "Europe/Paris", "hours": {"mon-fri": ["09:00-18:00"]},
    /// "holidays": ["2026-12-25"]}`, the format of the reference plugins'
    /// calendars (days `mon` … `sun` or ranges, intervals `HH:MM-HH:MM` up to
    /// `24:00`, holidays as local dates). Absent: calendar hours only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub business_calendar: Option<serde_json::Value>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn utc() -> String {
    "UTC".to_string()
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Plugins, configuration, tokens, webhooks; and everything `integration` may.
    Admin,
    /// Events in, tickets and audit out.
    Integration,
}

/// A tenant's token as stored: its public id and the SHA-256 of its secret part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub tenant: String,
    pub scope: Scope,
    /// Hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_sha256: String,
    pub created_at: Timestamp,
}

/// Where an installed plugin's code comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PluginSource {
    /// A reference plugin shipped with guichet, by name.
    Reference { name: String },
    /// A component uploaded by the tenant, by the SHA-256 of its bytes.
    Uploaded { sha256: String },
}

/// A plugin installed for a tenant, with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstalledPlugin {
    /// The name the tenant gave it; unique within the tenant.
    pub name: String,
    pub source: PluginSource,
    /// SHA-256 of the component: the version recorded in the audit trail.
    pub version: String,
    /// JSON text handed to the plugin's `config.get`; never empty in the store (`{}`
    /// at least). Left out of the API's answers to integration tokens (it may hold
    /// platform credentials), where it is empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config: String,
    /// Plugins run in ascending order (ties by name).
    pub order: i64,
    /// Event kinds (`ticket_created`, `message_added`, …) it runs on; empty for all.
    pub subscriptions: Vec<String>,
    /// Cron schedules by name (`"nightly": "0 0 2 * * *"`), read in the tenant's
    /// time zone; each tick is a `scheduled_tick` event for this plugin alone.
    #[serde(default)]
    pub schedules: std::collections::BTreeMap<String, String>,
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
    /// A channel adapter's inbound address: the unguessable last segment of
    /// `/v1/inbound/{address}`, where its platform posts webhooks (256 random bits,
    /// 64 hex digits). Given when an adapter is installed; none for other plugins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_address: Option<String>,
    /// A channel adapter's endpoints: the URL prefixes (e.g.
    /// `https://acme.zammad.com/api/v1/`) its rendered requests may go to, set by the
    /// tenant's admin. A request to any other address is refused and audited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// The number of the [`PluginVersion`] it runs; 0 for a plugin installed before
    /// versions were kept (until its next change).
    #[serde(default)]
    pub active_version: u64,
    /// A candidate version run beside the active one on the same live events: its
    /// decisions are recorded next to the active version's, never applied or sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<Shadow>,
    /// Set when the circuit breaker suspended the plugin for the tenant: it does not
    /// run until an admin resumes it (its timers and ticks that come due meanwhile
    /// are recorded as not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<Suspension>,
    /// After how many failed calls in a row (traps, limits, errors, actions the host
    /// refused) the plugin is suspended; absent: the service's default (5); 0: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend_after: Option<u32>,
    /// The plugin's own limits per call, within the operator's maxima; absent
    /// fields are the service's defaults.
    #[serde(default, skip_serializing_if = "PluginLimits::is_empty")]
    pub limits: PluginLimits,
}

/// Why and since when the circuit breaker suspended a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suspension {
    pub at: DateTime<Utc>,
    /// E.g. `5 failed calls in a row; the last: trap: unreachable`.
    pub reason: String,
    /// The errors of the failed calls, oldest first.
    pub last_errors: Vec<String>,
}

/// Limits of one plugin's calls, set by the tenant's admin within the maxima the
/// operator set; an absent field is the service's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Fuel per call (about one unit per Wasm instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Wall-clock deadline per call, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Largest linear memory of an instance, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
}

impl PluginLimits {
    /// Whether every field is the default.
    pub fn is_empty(&self) -> bool {
        self == &PluginLimits::default()
    }
}

/// A plugin's shadow run: which version is the candidate, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shadow {
    /// The run's id (16 hex digits, random): its storage, timers and diffs are kept
    /// under it, so that nothing of an earlier run reaches this one.
    pub run: String,
    /// The candidate's version number.
    pub version: u64,
    /// The candidate's component, SHA-256 (lower-case hex).
    pub sha256: String,
    pub source: PluginSource,
    /// The candidate's configuration (JSON text); empty to integration tokens.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config: String,
    pub since: DateTime<Utc>,
}

/// The name under which a plugin's shadow run `run` keeps its storage, its timers
/// and its diffs: `<plugin>~shadow~<run>`, which no plugin name can be (names are
/// slugs), so a candidate never reads or moves what the active version wrote, nor
/// what an earlier run left.
pub fn shadow_name(plugin: &str, run: &str) -> String {
    format!("{}{run}", shadow_prefix(plugin))
}

/// What the names of every shadow run of `plugin` start with.
pub fn shadow_prefix(plugin: &str) -> String {
    format!("{plugin}~shadow~")
}

/// The plugin and the run a [`shadow_name`] belongs to, if `name` is one.
pub fn shadowed_plugin(name: &str) -> Option<(&str, &str)> {
    name.split_once("~shadow~")
}

/// What a shadow candidate decided on one event, as a commit keeps it.
#[derive(Debug, Clone)]
pub struct ShadowRecord {
    /// The run's [`shadow_name`].
    pub shadow: String,
    /// For a timer's firing, which fires once for each version: what names the
    /// timer (ticket, name, due time), so that its two firings make one diff.
    pub pair: Option<String>,
    pub diff: EventDiff,
}

impl InstalledPlugin {
    /// Whether `url` is under one of the plugin's endpoints: it starts with one of
    /// them, and an endpoint that does not end in `/` is followed by `/`, `?` or
    /// nothing, so that `https://a.example` does not admit `https://a.example.evil`.
    /// A URL that a server could read as another place than its text says is never
    /// under any endpoint: one with credentials before its host (`user@`), a dot
    /// segment (`/../`, `/./`, `/..;/`) or an encoded dot, slash or backslash (`%2e`, `%2f`,
    /// `%5c`) in its path, a backslash, a fragment, white space or a control
    /// character.
    pub fn allows(&self, url: &str) -> bool {
        if !plain_url(url) {
            return false;
        }
        self.endpoints.iter().any(|endpoint| {
            url.strip_prefix(endpoint.as_str()).is_some_and(|rest| {
                endpoint.ends_with('/')
                    || rest.is_empty()
                    || rest.starts_with('/')
                    || rest.starts_with('?')
            })
        })
    }
}

/// One immutable version of a tenant's plugin: a component and the configuration it
/// runs with, made by every upload and every change of either. Versions are numbered
/// from 1 per plugin, in the order they were made; the plugin runs one of them (its
/// [`InstalledPlugin::active_version`]) and may shadow another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginVersion {
    /// From 1, per plugin; given by [`PluginStore::add_plugin_version`].
    pub number: u64,
    pub source: PluginSource,
    /// SHA-256 of the component (lower-case hex): the name of the code.
    pub sha256: String,
    /// The configuration (JSON text) this version runs with. Left out of the API's
    /// answers to integration tokens, where it is empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config: String,
    /// The author's label (e.g. `v2.1` or a commit), if given at upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Who made it: `token:<id>` for the tenant's token that made the change (the
    /// public part of the token); `upgrade` for the first version of a plugin
    /// installed before versions were kept.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Whether `url` says plainly where it goes (see [`InstalledPlugin::allows`]).
fn plain_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    // The query is the platform's to read: an encoded slash in a value is no path.
    let path = path.split('?').next().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    !authority.contains('@')
        && !url.contains(['\\', '#'])
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && !["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e))
        && !path.split('/').any(|segment| {
            // `..;x` is `..` to servers that take `;` for parameters.
            let segment = segment.split(';').next().unwrap_or_default();
            segment == "." || segment == ".."
        })
}

/// Where inbound deliveries of an adapter are dealt with: one conversation on the
/// platform (a helpdesk's ticket id, a requester's identity on a channel) is linked
/// to one guichet ticket.
pub type Conversation = String;

/// One thing an inbound delivery carries, as events to store: stored whole, or not at
/// all when an event of id `id` was stored before (the same message twice).
#[derive(Debug, Clone, PartialEq)]
pub struct InboundGroup {
    /// The id that makes the group a duplicate: its main event's.
    pub id: String,
    pub events: Vec<Event>,
    /// The conversation to link to a ticket id with the events.
    pub link: Option<(Conversation, String)>,
}

/// What one inbound delivery to an adapter carries, stored at once.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundDelivery {
    pub adapter: String,
    /// The platform's delivery id: a delivery already stored under it is a duplicate.
    pub delivery_id: Option<String>,
    pub groups: Vec<InboundGroup>,
    /// The adapter's storage writes while reading the delivery, as (plugin, key,
    /// `Some` value or `None` to delete): kept with it, or not at all.
    pub storage_writes: Vec<(String, String, Option<Vec<u8>>)>,
}

/// What [`EventLog::enqueue_inbound`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundEnqueued {
    /// The delivery id was seen before: nothing stored.
    Duplicate,
    /// The events stored (in order), and how many groups were duplicates.
    Stored {
        events: Vec<StoredEvent>,
        duplicates: usize,
    },
}

/// An inbound request an adapter refused, kept for the tenant's admin (the caller is
/// told only the status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InboundRefusal {
    pub at: DateTime<Utc>,
    /// 401 (not authentic) or 400 (unreadable), or 500 when the adapter failed.
    pub status: u16,
    pub method: String,
    /// The path below the address, without its query string.
    pub path: String,
    /// What the adapter said, as it said it.
    pub reason: String,
}

/// How many refused inbound requests are kept per adapter; older ones are dropped.
pub const INBOUND_REFUSALS_KEPT: u64 = 100;

/// An event accepted for a tenant, waiting to be processed or done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Position in the tenant's log, from 1.
    pub seq: u64,
    pub tenant: String,
    pub event: Event,
    /// How many follow-up steps separate it from an event received from outside (0).
    pub depth: u32,
    pub received_at: Timestamp,
    /// The one plugin the event is for (a timer it set, a tick of its schedule); the
    /// tenant's subscribed plugins when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_plugin: Option<String>,
}

/// A named timer a plugin set on a ticket. Names are the plugin's own: two plugins
/// may use the same name on one ticket without meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Timer {
    #[serde(skip)]
    pub tenant: String,
    pub ticket_id: String,
    pub plugin: String,
    pub name: String,
    pub due_at: DateTime<Utc>,
    /// When the plugin set (or last moved) it.
    pub set_at: DateTime<Utc>,
}

/// A change to a ticket's timers, committed with the event that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerChange {
    /// Sets the timer, or moves it if the plugin has one of that name on the ticket.
    Set(Timer),
    /// Removes the plugin's timer of that name from the ticket, if set.
    Cancel { plugin: String, name: String },
}

/// What [`EventLog::enqueue_event`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Enqueued {
    /// Stored under this sequence number.
    New(Box<StoredEvent>),
    /// The idempotency key, or the event's id, was seen before for this tenant:
    /// nothing stored; the first event's seq.
    Duplicate { seq: u64 },
}

/// One plugin call on one event, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub event_id: String,
    pub event_seq: u64,
    pub event_kind: String,
    pub ticket_id: String,
    pub plugin: String,
    /// SHA-256 of the component that ran (for the host's own records, its version).
    pub plugin_version: String,
    /// The number of the plugin's version that ran (see its versions): with
    /// `plugin_version`, which code and which configuration decided. Absent for the
    /// host's own records and for plugins installed before versions were kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version_number: u64,
    /// The actions the plugin returned (applied unless `error` is set).
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub fuel_used: u64,
    pub duration_us: u64,
    pub logs: Vec<String>,
    pub at: DateTime<Utc>,
}

/// Everything the processing of one event changes, written at once.
#[derive(Debug, Clone)]
pub struct EventCommit {
    pub tenant: String,
    pub seq: u64,
    /// The ticket as it stands after the event and the actions; none for an event
    /// that concerns no ticket (a scheduled tick).
    pub ticket: Option<Ticket>,
    /// Timers set, moved and cancelled on `ticket`.
    pub timers: Vec<TimerChange>,
    pub audit: Vec<AuditRecord>,
    /// Follow-up events, stored as pending in the same transaction.
    pub follow_ups: Vec<(Event, u32)>,
    /// Plugin storage writes, per plugin name: `Some(value)` sets, `None` deletes.
    pub plugin_writes: Vec<(String, String, Option<Vec<u8>>)>,
    /// Deliveries to the tenant's webhooks, queued with the actions they report.
    pub outbox: Vec<OutboxItem>,
    /// What shadow candidates decided on the event, beside the active versions.
    pub shadow: Vec<ShadowRecord>,
    /// What the event contributes to the tenant's KPIs (see [`crate::kpi::derive`]).
    pub kpi: Vec<crate::kpi::Fact>,
}

/// An endpoint of a tenant that receives its applied actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub name: String,
    pub url: String,
    /// The HMAC-SHA256 key of the signatures; shown to the admin once.
    pub secret: String,
    pub created_at: Timestamp,
}

/// One delivery to make: a JSON body for one webhook, with its attempts so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutboxItem {
    /// Unique, in creation order: `<event seq>-<webhook>`, or
    /// `<event seq>-adapter:<plugin>-<n>` for a channel adapter's requests.
    pub id: String,
    pub tenant: String,
    /// The endpoint: a webhook's name, or `adapter:<plugin>` for a channel adapter's
    /// requests (delivered in order, one at a time, like a webhook's).
    pub webhook: String,
    /// The notice sent to a webhook (empty for an adapter's request).
    pub body: String,
    /// A channel adapter's request, sent as it is (method, URL, headers, body) if the
    /// URL is still under the adapter's endpoints when it is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub request: Option<OutgoingRequest>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Which tickets to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketFilter {
    /// Only tickets in this status.
    #[serde(default)]
    pub status: Option<TicketStatus>,
    /// Only tickets of this group.
    #[serde(default)]
    pub group: Option<String>,
    /// Only tickets assigned to this agent.
    #[serde(default)]
    pub assignee: Option<String>,
    /// An identity value of the requester (e-mail, phone, handle).
    #[serde(default)]
    pub requester: Option<String>,
    /// At most this many tickets, 0 to 10,000 (all when absent).
    #[serde(default)]
    #[param(minimum = 0, maximum = 10_000)]
    pub limit: Option<usize>,
}

impl TicketFilter {
    pub fn matches(&self, ticket: &Ticket) -> bool {
        self.status.is_none_or(|s| ticket.status == s)
            && self
                .group
                .as_ref()
                .is_none_or(|g| ticket.group.as_ref() == Some(g))
            && self
                .assignee
                .as_ref()
                .is_none_or(|a| ticket.assignee.as_ref() == Some(a))
            && self.requester.as_ref().is_none_or(|r| {
                ticket
                    .requester
                    .identities
                    .iter()
                    .any(|i| i.value.eq_ignore_ascii_case(r))
            })
    }
}

/// The KPI facts the pipeline commits with each event (see [`EventCommit::kpi`]), as
/// the KPI reports read them: all a report needs of the store.
pub trait KpiFacts: Send + Sync {
    /// The tenant's KPI facts that happened in `[from, until)`, in time order.
    /// O(f log n) for the f facts of the range: the tenant's other facts are not read.
    fn kpi_facts(
        &self,
        tenant: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<crate::kpi::Fact>>;

    /// The tenant's unsolved and awaiting tickets at `at`, from its KPI facts: the sum
    /// of the per-day sums before `at`'s UTC day, then that day's facts up to `at`.
    /// O(d + f log n) for d days of history and f facts of that day.
    fn kpi_backlog_at(&self, tenant: &str, at: Timestamp) -> StoreResult<crate::kpi::Backlog>;

    /// When the tenant's `ticket` was marked breached on `metric` in `[from, until)`
    /// (its `SlaBreach` facts), in order. O(b + log n) for its b breaches.
    fn kpi_breaches(
        &self,
        tenant: &str,
        ticket: &str,
        metric: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<Timestamp>>;
}

/// A task that one worker among those sharing a store runs at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Fires due timers and schedule ticks (see `timekeeper`).
    Timekeeper,
    /// Delivers the outbox (see `outbox`): one worker sends, so each endpoint's
    /// deliveries go out one at a time, in order.
    Outbox,
}

impl Role {
    /// The role's name, in logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Role::Timekeeper => "timekeeper",
            Role::Outbox => "outbox",
        }
    }
}

/// Whether a pending event may be processed now (see [`Workers::readiness`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// It is pending and first of its lane.
    Ready,
    /// An earlier event of its lane (this seq) is still pending.
    Waiting { behind: u64 },
    /// It is no longer pending: it was committed (by another worker).
    Done,
}

/// What several guichet workers sharing one store need of it: who runs the tasks
/// that only one may run, whose pending events a worker that stopped leaves, and
/// whether an event's turn has come. On sled, one process owns the store: it leads
/// every role, takes every pending event at start, and its lanes keep the order.
pub trait Workers: Send + Sync {
    /// This worker's id, in logs: 16 hex digits, random per start, on a shared
    /// store; `sled` on sled.
    fn worker_id(&self) -> &str;
    /// Whether this worker runs `role` now: takes it if no live worker holds it, and
    /// keeps it while alive. O(1) while held; a try costs one round trip, at most
    /// once a second.
    fn lead(&self, role: Role) -> StoreResult<bool>;
    /// Pending events that no live worker holds (those of workers that stopped or
    /// died, found by their missed heartbeats), now held by this one: at most
    /// `limit`, in sequence order per tenant. O(log n + k) for k events taken.
    fn take_over(&self, limit: usize) -> StoreResult<Vec<StoredEvent>>;
    /// Whether event `seq` of `tenant`, of lane `lane` (its ticket id, empty for a
    /// tick), may be processed now: still pending and, on a shared store, first of
    /// its lane (on sled, the process's lanes see to that). O(log n).
    fn readiness(&self, tenant: &str, seq: u64, lane: &str) -> StoreResult<Readiness>;
    /// Leaves the workers at a clean stop: the events this one still holds go to
    /// the others (their next take-over, within a second), and its roles are let
    /// go. O(k log n) for k events held.
    fn leave(&self) -> StoreResult<()>;
    /// Hands back one pending event this worker could not process (its store
    /// failed): on a shared store, the next take-over of any worker, within a
    /// second, takes it again; on sled, it waits for the next start, as before.
    /// O(log n).
    fn release(&self, tenant: &str, seq: u64) -> StoreResult<()>;
}

/// The service's durable state: every concern's trait together, for the places
/// that hand the store on (the service's start, the pipeline, the API's state).
/// A consumer that uses one concern takes that trait instead. Implemented by
/// every type that implements them all.
///
/// Each method's documentation gives its cost on the sled store, with n the number
/// of records in the tree it reads (a B-tree: a look-up is O(log n)); the
/// PostgreSQL store reads the same through B-tree indexes, at the same costs.
/// What the pipeline does for each event, and the host services a plugin calls
/// during one, never scan a tenant's tickets, keys or outbox: they read indexes.
pub trait Store:
    TenantStore
    + PluginStore
    + PluginStorage
    + EventLog
    + TimerStore
    + TicketStore
    + OutboxStore
    + KpiFacts
    + Workers
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: TenantStore
        + PluginStore
        + PluginStorage
        + EventLog
        + TimerStore
        + TicketStore
        + OutboxStore
        + KpiFacts
        + Workers
        + Send
        + Sync
        + 'static
{
}

/// Tenants and their tokens, and the operator's token.
pub trait TenantStore: Send + Sync {
    /// The SHA-256 (hex) of the operator token, if one was set. O(1).
    fn operator_token_sha256(&self) -> StoreResult<Option<String>>;

    /// O(1).
    fn set_operator_token_sha256(&self, sha256: &str) -> StoreResult<()>;

    /// Creates a tenant; `false` if one with that id exists (nothing changed).
    /// O(log n) in the tenants.
    fn create_tenant(&self, tenant: &Tenant) -> StoreResult<bool>;

    /// O(log n) in the tenants.
    fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>>;

    /// Replaces an existing tenant's record (its name, its time zone). O(log n).
    fn update_tenant(&self, tenant: &Tenant) -> StoreResult<()>;

    /// Every tenant. O(n) in the tenants.
    fn tenants(&self) -> StoreResult<Vec<Tenant>>;

    /// O(log n) in the tokens of every tenant.
    fn put_token(&self, token: &TokenRecord) -> StoreResult<()>;

    /// O(log n) in the tokens of every tenant.
    fn token(&self, id: &str) -> StoreResult<Option<TokenRecord>>;

    /// A tenant's tokens. O(n) in the tokens of every tenant.
    fn tokens(&self, tenant: &str) -> StoreResult<Vec<TokenRecord>>;

    /// Deletes a tenant's token; `false` if the tenant has no such token. O(log n).
    fn delete_token(&self, tenant: &str, id: &str) -> StoreResult<bool>;
}

/// Components, each tenant's installed plugins, their versions and shadow runs, and the inbound addresses of channel adapters.
pub trait PluginStore: Send + Sync {
    /// Keeps a component's bytes under their SHA-256 (shared by every tenant that
    /// uploads the same bytes). O(log n + size) in the components.
    fn put_component(&self, sha256: &str, bytes: &[u8]) -> StoreResult<()>;

    /// O(log n + size) in the components.
    fn component(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Installs or replaces a plugin. O(log n) in the installed plugins.
    fn put_plugin(&self, tenant: &str, plugin: &InstalledPlugin) -> StoreResult<()>;

    /// O(log n) in the installed plugins.
    fn plugin(&self, tenant: &str, name: &str) -> StoreResult<Option<InstalledPlugin>>;

    /// A tenant's plugins in run order. O(log n + p log p) for its p plugins.
    fn plugins(&self, tenant: &str) -> StoreResult<Vec<InstalledPlugin>>;

    /// Removes a plugin's installation; its storage is kept (and counted), for a
    /// plugin installed again under that name. A channel adapter's conversation
    /// links, refused requests, the ids of the events it received and its delivery
    /// ids go with it: one installed again under the name (for another account,
    /// whose ids may be the same numbers) starts afresh. O(log n + k) for the k
    /// records of the adapter's.
    fn delete_plugin(&self, tenant: &str, name: &str) -> StoreResult<bool>;

    /// Suspends a plugin (the circuit breaker), if it is still installed exactly as
    /// `ran` (the settings its failed calls ran with) and not suspended yet; `false`
    /// otherwise (an admin changed it meanwhile: the failures were under other
    /// settings). O(log n).
    fn suspend_plugin(
        &self,
        tenant: &str,
        ran: &InstalledPlugin,
        suspension: &Suspension,
    ) -> StoreResult<bool>;

    /// Installs or replaces a plugin as an admin's change made from a record read
    /// earlier: the suspension stored now (the circuit breaker may have set one since)
    /// is kept, unless `lift_suspension`. Returns the plugin as stored. O(log n).
    fn change_plugin(
        &self,
        tenant: &str,
        plugin: &InstalledPlugin,
        lift_suspension: bool,
    ) -> StoreResult<InstalledPlugin>;

    /// Keeps a new version of a plugin, numbered after the plugin's last one (the
    /// number in `version` is ignored); returns it with its number. O(log n) in the
    /// versions of every plugin.
    fn add_plugin_version(
        &self,
        tenant: &str,
        plugin: &str,
        version: &PluginVersion,
    ) -> StoreResult<PluginVersion>;

    /// One version of a plugin. O(log n).
    fn plugin_version(
        &self,
        tenant: &str,
        plugin: &str,
        number: u64,
    ) -> StoreResult<Option<PluginVersion>>;

    /// A plugin's versions, oldest first. O(log n + v) for its v versions.
    fn plugin_versions(&self, tenant: &str, plugin: &str) -> StoreResult<Vec<PluginVersion>>;

    /// What a shadow run (by its [`shadow_name`]) decided, in event order: the diffs
    /// recorded after event `after_seq` (0 for the first), at most `limit`, a timer's
    /// two firings as one diff. O(log n + limit).
    fn shadow_diffs(
        &self,
        tenant: &str,
        shadow: &str,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<(u64, EventDiff)>>;

    /// The counts of a shadow run's diffs by verdict: counters kept by the commits.
    /// O(log n).
    fn shadow_summary(&self, tenant: &str, shadow: &str) -> StoreResult<DiffSummary>;

    /// Forgets every shadow run of a plugin: their diffs, storage and timers, when a
    /// new shadow run starts, one ends, or the plugin is removed. O(k + t): what the
    /// runs hold, and the tenant's pending timers (read to find theirs); an admin's
    /// action, never on the per-event path.
    fn clear_shadow(&self, tenant: &str, plugin: &str) -> StoreResult<()>;

    /// The tenant and plugin an inbound address belongs to (see
    /// [`InstalledPlugin::inbound_address`]). O(log n).
    fn inbound_target(&self, address: &str) -> StoreResult<Option<(String, String)>>;
}

/// Each plugin's private key-value storage (written only by [`EventLog::commit_event`] and inbound deliveries).
pub trait PluginStorage: Send + Sync {
    /// One value of a plugin's private key-value storage. O(log n) in the keys stored.
    fn plugin_storage_get(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
    ) -> StoreResult<Option<Vec<u8>>>;

    /// The plugin's keys that start with `prefix`, in byte order, at most `limit`.
    /// O(log n + limit): the listing stops at `limit`, whatever else is stored.
    fn plugin_storage_keys(
        &self,
        tenant: &str,
        plugin: &str,
        prefix: &str,
        limit: usize,
    ) -> StoreResult<Vec<String>>;

    /// How many keys the plugin has stored. O(log n): a counter kept in the same
    /// transaction as the storage writes ([`EventLog::commit_event`]), not a count.
    fn plugin_storage_count(&self, tenant: &str, plugin: &str) -> StoreResult<usize>;
}

/// The event log: events accepted and pending, their idempotency keys and ids, inbound deliveries and refusals, the recorded events a replay reads, and the commit that applies an event's processing.
pub trait EventLog: Send + Sync {
    /// Makes everything written so far durable: on sled, its flush and then an
    /// `fdatasync` of its log, one sync shared by concurrent callers (group commit).
    /// O(what was written since the last sync); about one disk sync of latency.
    fn flush(&self) -> StoreResult<()>;

    /// Stores an event as pending, unless it is a duplicate: its `idempotency_key`
    /// or its event id was seen before for the tenant (an event id is unique per
    /// tenant, whatever the key; a duplicate is answered with the first event's
    /// seq). Atomic: a crash leaves the event, its id and its key all stored or none.
    /// O(log n) in the pending events, idempotency keys and event ids. Only events
    /// from outside come here: the host's own (follow-ups, timers, ticks) are not
    /// recorded by id.
    fn enqueue_event(
        &self,
        tenant: &str,
        event: &Event,
        idempotency_key: Option<&str>,
        received_at: Timestamp,
    ) -> StoreResult<Enqueued>;

    /// Stores what an inbound delivery carries, at once: each group's events as
    /// pending (unless its `id` was seen, as an event id, for the tenant) and its
    /// link, and the delivery id; nothing if the delivery id was seen for the tenant's
    /// adapter. Atomic like [`EventLog::enqueue_event`]. O((1 + e) log n) for e events.
    fn enqueue_inbound(
        &self,
        tenant: &str,
        delivery: &InboundDelivery,
        received_at: Timestamp,
    ) -> StoreResult<InboundEnqueued>;

    /// Whether an event of id `event_id` was accepted from outside for the tenant
    /// (see [`EventLog::enqueue_event`]). O(log n).
    fn event_seen(&self, tenant: &str, event_id: &str) -> StoreResult<bool>;

    /// The ticket an adapter's conversation is linked to. O(log n).
    fn linked_ticket(
        &self,
        tenant: &str,
        adapter: &str,
        conversation: &str,
    ) -> StoreResult<Option<String>>;

    /// Keeps a refused inbound request for the admin: the last
    /// [`INBOUND_REFUSALS_KEPT`] per adapter. O(log n).
    fn record_inbound_refusal(
        &self,
        tenant: &str,
        adapter: &str,
        refusal: &InboundRefusal,
    ) -> StoreResult<()>;

    /// An adapter's refused inbound requests, oldest first. O(k log n) for the k kept.
    fn inbound_refusals(&self, tenant: &str, adapter: &str) -> StoreResult<Vec<InboundRefusal>>;

    /// Every pending event of every tenant, in sequence order per tenant (at start).
    /// O(n) in the pending events.
    fn pending_events(&self) -> StoreResult<Vec<StoredEvent>>;

    /// The events the tenant received from outside (its API, its adapters' inbound
    /// deliveries, its agents' macros), as they were stored on arrival, kept after
    /// they were processed so that a replay can run them again: those received at or
    /// after `from` and before `until`, after the event of sequence `after_seq` when
    /// two arrived at the same instant (0 for none), in order of arrival, at most
    /// `limit`. Follow-ups, timers and ticks are not kept: a replay makes its own.
    /// O(log n + limit).
    fn recorded_events(
        &self,
        tenant: &str,
        from: Timestamp,
        until: Timestamp,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>>;

    /// Applies the processing of a pending event: the ticket, the audit records, the
    /// plugin storage writes and the follow-up events are written, and the event
    /// leaves the pending list, all in one transaction, together with the indexes
    /// behind [`TicketStore::recent_tickets`], [`TicketStore::open_tickets_of`] and
    /// [`PluginStorage::plugin_storage_count`]. Returns the stored follow-ups.
    /// [`StoreError::Conflict`], with nothing written, when the event is no longer
    /// pending (another worker committed it), or, on a store several workers share,
    /// when an earlier event of its ticket is still pending (on sled, the one
    /// process's lanes keep each ticket's order).
    ///
    /// O((1 + w) log n) for w records written (timers, audit records, storage
    /// writes, outbox items, follow-ups, and the ticket's identities): nothing is
    /// scanned.
    fn commit_event(&self, commit: &EventCommit) -> StoreResult<Vec<StoredEvent>>;
}

/// Plugins' timers on tickets and the marks of their schedules.
pub trait TimerStore: Send + Sync {
    /// A ticket's pending timers, soonest first. O((1 + t) log n) for its t timers.
    fn timers(&self, tenant: &str, ticket_id: &str) -> StoreResult<Vec<Timer>>;

    /// Every tenant's pending timers due at or before `up_to`, soonest first; at most
    /// `limit`. O(log n + limit) in the timers of every tenant.
    fn due_timers(&self, up_to: Timestamp, limit: usize) -> StoreResult<Vec<Timer>>;

    /// When the soonest pending timer of any tenant is due. O(log n).
    fn next_timer_due(&self) -> StoreResult<Option<Timestamp>>;

    /// Removes a timer without firing it; `false` if it was not set as given.
    /// O(log n).
    fn remove_timer(&self, timer: &Timer) -> StoreResult<bool>;

    /// Fires a due timer: removes it and stores `event` pending for its plugin, in one
    /// transaction. `None`, with nothing changed, if the timer is no longer set as
    /// given (moved or cancelled since it was read). O(log n).
    fn fire_timer(
        &self,
        timer: &Timer,
        event: &Event,
        received_at: Timestamp,
    ) -> StoreResult<Option<StoredEvent>>;

    /// The tick a plugin's schedule last fired at, or the moment it started.
    /// O(log n) in the marks.
    fn schedule_mark(
        &self,
        tenant: &str,
        plugin: &str,
        schedule: &str,
    ) -> StoreResult<Option<Timestamp>>;

    /// Forgets the marks of a plugin's schedules: they start afresh, from the next
    /// time they are seen (after their schedules change, the plugin is enabled again
    /// or removed). O(log n + s) for the plugin's s schedules.
    fn clear_schedule_marks(&self, tenant: &str, plugin: &str) -> StoreResult<()>;

    /// Moves a schedule's mark to `mark` and, given an event, stores it pending for
    /// the plugin, in one transaction. On a store several workers share, only a
    /// mark that moves forward does: a worker that read the same mark as another
    /// finds it moved and stores nothing (`None`), so a tick is stored once. O(log n).
    fn fire_tick(
        &self,
        tenant: &str,
        plugin: &str,
        schedule: &str,
        mark: Timestamp,
        event: Option<&Event>,
        received_at: Timestamp,
    ) -> StoreResult<Option<StoredEvent>>;
}

/// Tickets, their indexes and their audit trail (written only by [`EventLog::commit_event`]).
pub trait TicketStore: Send + Sync {
    /// One ticket with its messages. O(log n) in the tickets stored.
    fn ticket(&self, tenant: &str, id: &str) -> StoreResult<Option<Ticket>>;

    /// The tenant's tickets that match `filter`, in id order. O(n) in the tenant's
    /// tickets (a listing with a limit stops once it has found that many): for the
    /// HTTP API, never on the per-event path.
    fn tickets(&self, tenant: &str, filter: &TicketFilter) -> StoreResult<Vec<Ticket>>;

    /// Tickets created at or after `since`, newest first (those created at the same
    /// moment in id order), at most `limit`. O((1 + limit) log n), from an index by
    /// creation time: no other ticket is read.
    fn recent_tickets(
        &self,
        tenant: &str,
        since: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Ticket>>;

    /// Tickets whose status is not solved, closed or merged and whose requester has
    /// an identity that is [`Identity::same_as`] `identity` (same kind; e-mail
    /// addresses compared without ASCII case, other values exactly), newest first
    /// (ties in id order), at most `limit`. O((1 + limit) log n), from an index of
    /// open tickets by identity: no other ticket is read.
    fn open_tickets_of(
        &self,
        tenant: &str,
        identity: &Identity,
        limit: usize,
    ) -> StoreResult<Vec<Ticket>>;

    /// A ticket's audit trail, oldest first. O(log n + a) for its a records.
    fn audit(&self, tenant: &str, ticket_id: &str) -> StoreResult<Vec<AuditRecord>>;
}

/// Each tenant's webhooks, the outbox of deliveries to them and to channel adapters' platforms, and its dead letters.
pub trait OutboxStore: Send + Sync {
    /// O(log n) in the webhooks.
    fn put_webhook(&self, tenant: &str, webhook: &Webhook) -> StoreResult<()>;

    /// O(log n) in the webhooks.
    fn webhook(&self, tenant: &str, name: &str) -> StoreResult<Option<Webhook>>;

    /// A tenant's webhooks. O(log n + w) for its w webhooks.
    fn webhooks(&self, tenant: &str) -> StoreResult<Vec<Webhook>>;

    /// O(log n) in the webhooks.
    fn delete_webhook(&self, tenant: &str, name: &str) -> StoreResult<bool>;

    /// Queued deliveries of every tenant due at or before `up_to`, in due order
    /// (due time, then tenant and id), starting after `after` (an item returned
    /// before, to page on); at most `limit`. Read from an index by due time:
    /// O(log n + limit) in the outbox, never a scan of what is not due.
    fn due_outbox(
        &self,
        up_to: Timestamp,
        after: Option<&OutboxItem>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>>;

    /// How many deliveries wait in the outbox, every tenant together. O(1): a
    /// counter kept in the transactions that add and remove them.
    fn outbox_backlog(&self) -> StoreResult<u64>;

    /// Replaces a queued delivery (after a failed attempt), moving its entry in the
    /// due index. O(log n).
    fn update_outbox(&self, item: &OutboxItem) -> StoreResult<()>;

    /// Removes a delivered item. O(log n).
    fn remove_outbox(&self, tenant: &str, id: &str) -> StoreResult<()>;

    /// Moves an item that will not be retried to the tenant's dead letters.
    /// O(log n).
    fn dead_letter(&self, item: &OutboxItem) -> StoreResult<()>;

    /// A tenant's dead letters. O(log n + d) for its d dead letters.
    fn dead_letters(&self, tenant: &str) -> StoreResult<Vec<OutboxItem>>;

    /// Moves a dead letter back to the outbox, due now, with its attempts reset;
    /// `None` if the tenant has no such dead letter. O(log n).
    fn replay_dead_letter(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OutboxItem>>;
}
