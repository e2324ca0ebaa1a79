//! The storage contract: one suite of cases that checks what the documentation of
//! each method of the [`Store`] traits (`host/src/store/mod.rs`) promises, through
//! `&dyn Store` alone, so that it runs unchanged against every backend. Every
//! backend (sled, PostgreSQL, any other) must pass all of it.
//!
//! Each case is a plain function `fn case(store: &dyn Store)` given a fresh, empty
//! store; [`contract!`] makes one `#[test]` per case for a backend, from a factory
//! of fresh stores. The cases read and write nothing but the traits: no backend's
//! internals, no data directory.
//!
//! Times are whole minutes (the KPI facts keep milliseconds, a database column may
//! keep microseconds: the contract asks for no finer time than that). Where the
//! documentation says "byte order" or "id order", ids and keys are compared as bytes
//! (what `str`'s `Ord` does), so upper case sorts before lower case, whatever a
//! database's collation would say.
//!
//! Events are given tickets of their own unless a case makes them share one, and
//! each ticket's events are committed in order, so that a backend that keeps each
//! ticket's events in order across workers (`Workers::readiness`, and the conflict
//! of `commit_event` when an earlier event of the ticket is pending) finds no case
//! out of order.
//!
//! One case checks what the service relies on but the traits' documentation does
//! not say yet; it says so ("Not in the trait's documentation").

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use guichet::diff::{Decided, DiffSummary, EventDiff, Verdict};
use guichet::kpi::{Backlog, Fact, FactKind};
use guichet::model::{
    Action, Body, Channel, Event, EventKind, Header, Identity, IdentityKind, OutgoingRequest,
    Priority, Ticket, TicketStatus, Timestamp,
};
use guichet::store::{
    AuditRecord, Enqueued, EventCommit, EventLog, INBOUND_REFUSALS_KEPT, InboundDelivery,
    InboundEnqueued, InboundGroup, InboundRefusal, InstalledPlugin, OutboxItem, PgStore,
    PluginLimits, PluginSource, PluginVersion, Readiness, Role, Scope, Shadow, ShadowRecord,
    SledStore, Store, StoreError, StoredEvent, Suspension, Tenant, TicketFilter, TicketStore,
    Timer, TimerChange, TimerStore, TokenRecord, Webhook, Workers,
};

// ---------------------------------------------------------------------------------
// The backends.
// ---------------------------------------------------------------------------------

/// One `#[test]` per case for a backend: `contract!(name, factory)` makes
/// `mod name`, where each test calls `factory()` for a fresh store and runs the case
/// on it. `factory` is any expression that can be called with no argument and gives
/// a smart pointer to a store (`Arc<dyn Store>`, `Arc<PgStore>`, `Box<…>`).
///
/// Every case is listed here once: a case left out of the list is dead code, which
/// the build's `-D warnings` refuses.
macro_rules! contract {
    ($module:ident, $factory:expr) => {
        contract!(@cases $module, $factory, [
            // Tenants and tokens.
            a_tenant_is_created_once_and_a_second_create_changes_nothing,
            an_updated_tenant_reads_back_changed,
            every_tenant_is_listed,
            a_token_is_read_by_id_and_listed_with_its_tenant_only,
            a_token_is_deleted_only_through_its_own_tenant,
            the_operator_token_is_absent_until_set_and_then_replaced,
            // Components, plugins, versions, adapters' addresses.
            a_component_is_kept_under_its_sha256,
            an_installed_plugin_reads_back_with_every_setting,
            plugins_are_listed_in_run_order_then_by_name,
            a_deleted_plugin_keeps_its_storage,
            a_plugin_is_suspended_only_as_it_ran_and_only_once,
            an_admin_change_keeps_a_suspension_stored_since_unless_it_lifts_it,
            plugin_versions_are_numbered_from_one_per_plugin,
            an_adapter_is_found_by_its_inbound_address_while_it_has_it,
            a_removed_adapter_takes_its_links_refusals_and_delivery_ids_with_it,
            // Shadow runs.
            shadow_diffs_are_paged_in_event_order_and_counted,
            a_timers_two_firings_make_one_shadow_diff,
            clearing_a_shadow_forgets_its_diffs_storage_and_timers_only,
            // Plugin storage.
            plugin_storage_reads_back_what_commits_wrote,
            storage_keys_are_listed_by_literal_prefix_in_byte_order_up_to_the_limit,
            the_storage_count_follows_sets_overwrites_and_deletes,
            plugin_storage_is_private_to_its_tenant_and_plugin,
            // The event log.
            a_duplicate_idempotency_key_is_answered_with_the_first_seq,
            a_duplicate_event_id_is_answered_with_the_first_seq_whatever_the_key,
            sequence_numbers_start_at_one_and_count_per_tenant,
            pending_events_come_in_sequence_order_per_tenant,
            an_event_id_is_seen_once_accepted_from_outside_for_its_tenant,
            the_hosts_own_events_are_not_recorded_by_id,
            an_inbound_delivery_stores_its_groups_links_and_writes_at_once,
            an_inbound_group_whose_id_was_seen_is_skipped_with_its_link,
            a_seen_delivery_id_is_a_duplicate_for_its_adapter_only,
            inbound_refusals_keep_the_last_hundred_oldest_first,
            recorded_events_are_read_by_arrival_time_after_a_seq_up_to_a_limit,
            recorded_events_keep_outside_events_after_processing_and_no_host_events,
            flushing_keeps_everything_readable,
            // Commits.
            a_commit_takes_its_event_off_the_pending_list,
            a_commit_writes_the_ticket_and_its_audit_oldest_first,
            follow_ups_are_stored_pending_with_new_seqs_and_returned,
            a_commits_deliveries_are_queued_and_counted,
            a_commit_of_an_event_no_longer_pending_is_a_conflict_that_writes_nothing,
            // Workers.
            a_sole_worker_leads_every_role,
            a_pending_event_first_of_its_lane_is_ready_and_done_once_committed,
            // Timers and schedules.
            a_commit_sets_moves_and_cancels_timers,
            a_tickets_timers_come_soonest_first,
            due_timers_are_every_tenants_up_to_a_time_soonest_first_up_to_a_limit,
            the_next_timer_due_is_the_soonest_of_any_tenant,
            a_timer_is_removed_only_as_it_was_set,
            a_due_timer_fires_once_into_a_pending_event_for_its_plugin,
            a_moved_or_cancelled_timer_does_not_fire,
            a_schedule_tick_moves_its_mark_and_stores_its_event_for_the_plugin,
            clearing_schedule_marks_forgets_only_that_plugins,
            // Tickets.
            a_committed_ticket_reads_back_whole,
            tickets_are_filtered_by_status_group_assignee_and_requester_in_id_order,
            a_ticket_listing_stops_at_its_limit_of_matches,
            recent_tickets_are_newest_first_from_since_up_to_a_limit,
            a_ticket_whose_creation_time_changes_moves_in_the_recent_tickets,
            open_tickets_are_found_by_identity_with_emails_compared_without_case,
            a_ticket_leaves_the_open_tickets_once_solved_closed_or_merged,
            open_tickets_follow_the_requesters_identity_changes,
            // The outbox.
            webhooks_are_kept_read_listed_and_deleted_per_tenant,
            due_deliveries_come_in_due_order_up_to_a_time,
            due_deliveries_page_on_after_an_item_up_to_a_limit,
            a_failed_delivery_moves_to_its_new_due_time,
            a_delivered_item_leaves_the_outbox_and_the_backlog,
            a_dead_letter_leaves_the_outbox_and_is_replayed_due_now_with_attempts_reset,
            // KPI facts.
            kpi_facts_are_read_by_time_range_in_time_order,
            the_kpi_backlog_at_a_moment_sums_the_backlog_facts_before_it,
            sla_breaches_are_read_by_ticket_and_metric,
            // Tenants apart.
            another_tenant_reads_none_of_a_tenants_records,
        ]);
    };
    (@cases $module:ident, $factory:expr, [$($case:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    // Dropped last, after the store: removes the scratch directories
                    // the factory made on this thread.
                    let _scratch = super::Scratch;
                    let factory = $factory;
                    let store = factory();
                    super::$case(&*store);
                }
            )*
        }
    };
}

contract!(sled, || -> Arc<dyn Store> {
    Arc::new(SledStore::open(&fresh_dir()).unwrap())
});

thread_local! {
    /// The scratch directories made on this thread, removed by [`Scratch`].
    static SCRATCH_DIRS: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A fresh, unique directory for one test's store (removed at the end of the test).
fn fresh_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "guichet-store-contract-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    SCRATCH_DIRS.with(|dirs| dirs.borrow_mut().push(dir.clone()));
    dir
}

/// Removes this thread's scratch directories when dropped (after the store).
struct Scratch;

impl Drop for Scratch {
    fn drop(&mut self) {
        for dir in SCRATCH_DIRS.with(|dirs| std::mem::take(&mut *dirs.borrow_mut())) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

// ---------------------------------------------------------------------------------
// Builders.
// ---------------------------------------------------------------------------------

/// `minute` minutes after 2026-11-23 09:00 UTC.
fn at(minute: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

/// A ticket created at `minute`, in `status`, whose requester has `identities`
/// (kind, value).
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

/// An event `id` about `ticket`; without one, about a ticket of its own
/// (`for-<id>`), so that no two events of a case share a lane (see
/// [`Workers::readiness`]) unless the case says so.
fn event(id: &str, ticket: Option<&Ticket>) -> Event {
    let own;
    let ticket = match ticket {
        Some(ticket) => ticket,
        None => {
            own = self::ticket(&format!("for-{id}"), 0, TicketStatus::New, &[]);
            &own
        }
    };
    Event {
        id: id.to_string(),
        kind: EventKind::TicketCreated,
        ticket: Some(ticket.clone()),
        occurred_at: at(0),
    }
}

/// A unique event id, for events whose id the case does not name.
fn unique_id(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Enqueues `event` from outside (no idempotency key), received at `minute`; it
/// must be new.
fn accept(store: &dyn Store, tenant: &str, event: &Event, minute: i64) -> StoredEvent {
    match store
        .enqueue_event(tenant, event, None, at(minute))
        .unwrap()
    {
        Enqueued::New(stored) => *stored,
        Enqueued::Duplicate { seq } => panic!("{} is a duplicate of {seq}", event.id),
    }
}

/// A commit of event `seq` that changes nothing.
fn nothing(tenant: &str, seq: u64) -> EventCommit {
    EventCommit {
        tenant: tenant.to_string(),
        seq,
        ticket: None,
        timers: Vec::new(),
        audit: Vec::new(),
        follow_ups: Vec::new(),
        plugin_writes: Vec::new(),
        outbox: Vec::new(),
        shadow: Vec::new(),
        kpi: Vec::new(),
    }
}

/// Accepts a new event for `tenant` and commits its processing as `fill` makes
/// it; returns the commit and the follow-ups stored.
fn process(
    store: &dyn Store,
    tenant: &str,
    fill: impl FnOnce(&mut EventCommit),
) -> (EventCommit, Vec<StoredEvent>) {
    let stored = accept(store, tenant, &event(&unique_id("e"), None), 0);
    let mut commit = nothing(tenant, stored.seq);
    fill(&mut commit);
    let follow_ups = store.commit_event(&commit).unwrap();
    (commit, follow_ups)
}

/// Commits `ticket` as it stands after an event.
fn save(store: &dyn Store, tenant: &str, ticket: &Ticket) {
    process(store, tenant, |c| c.ticket = Some(ticket.clone()));
}

/// Commits plugin storage writes (plugin, key, `Some` value or `None` to delete).
fn write(store: &dyn Store, tenant: &str, writes: &[(&str, &str, Option<&str>)]) -> EventCommit {
    process(store, tenant, |c| c.plugin_writes = writes_of(writes)).0
}

fn writes_of(writes: &[(&str, &str, Option<&str>)]) -> Vec<(String, String, Option<Vec<u8>>)> {
    writes
        .iter()
        .map(|(p, k, v)| {
            (
                p.to_string(),
                k.to_string(),
                v.map(|v| v.as_bytes().to_vec()),
            )
        })
        .collect()
}

/// A timer of `plugin` named `name` on `ticket_id`, due at `minute`.
fn timer(tenant: &str, ticket_id: &str, plugin: &str, name: &str, minute: i64) -> Timer {
    Timer {
        tenant: tenant.to_string(),
        ticket_id: ticket_id.to_string(),
        plugin: plugin.to_string(),
        name: name.to_string(),
        due_at: at(minute),
        set_at: at(0),
    }
}

/// Commits timer changes on `ticket_id` (with an open ticket of that id).
fn change_timers(store: &dyn Store, tenant: &str, ticket_id: &str, changes: Vec<TimerChange>) {
    process(store, tenant, |c| {
        c.ticket = Some(ticket(ticket_id, 0, TicketStatus::Open, &[]));
        c.timers = changes;
    });
}

fn set(timers: &[&Timer]) -> Vec<TimerChange> {
    timers
        .iter()
        .map(|t| TimerChange::Set((*t).clone()))
        .collect()
}

/// The event a timer fires.
fn fired(timer: &Timer) -> Event {
    Event {
        id: unique_id(&format!("timer-{}", timer.name)),
        kind: EventKind::TimerFired {
            name: timer.name.clone(),
            due_at: timer.due_at,
        },
        ticket: Some(ticket(&timer.ticket_id, 0, TicketStatus::Open, &[])),
        occurred_at: timer.due_at,
    }
}

fn tick(schedule: &str, minute: i64) -> Event {
    Event {
        id: unique_id(&format!("tick-{schedule}")),
        kind: EventKind::ScheduledTick {
            schedule: schedule.to_string(),
            scheduled_at: at(minute),
        },
        ticket: None,
        occurred_at: at(minute),
    }
}

fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.to_string(),
        name: format!("{id} support"),
        time_zone: "Europe/Paris".to_string(),
        created_at: at(0),
        business_calendar: None,
    }
}

fn token(id: &str, tenant: &str) -> TokenRecord {
    TokenRecord {
        id: id.to_string(),
        tenant: tenant.to_string(),
        scope: Scope::Integration,
        secret_sha256: format!("{:0>64}", id.len()),
        created_at: at(0),
    }
}

fn plugin(name: &str, order: i64) -> InstalledPlugin {
    InstalledPlugin {
        name: name.to_string(),
        source: PluginSource::Reference {
            name: "triage".to_string(),
        },
        version: "abc".to_string(),
        config: "{}".to_string(),
        order,
        subscriptions: Vec::new(),
        schedules: BTreeMap::new(),
        enabled: true,
        updated_at: at(0),
        inbound_address: None,
        endpoints: Vec::new(),
        active_version: 1,
        shadow: None,
        suspended: None,
        suspend_after: None,
        limits: PluginLimits::default(),
    }
}

fn adapter(name: &str, address: &str) -> InstalledPlugin {
    InstalledPlugin {
        inbound_address: Some(address.to_string()),
        ..plugin(name, 0)
    }
}

fn suspension(minute: i64) -> Suspension {
    Suspension {
        at: at(minute),
        reason: "5 failed calls in a row; the last: trap: unreachable".to_string(),
        last_errors: vec!["trap: unreachable".to_string()],
    }
}

fn version(label: &str) -> PluginVersion {
    PluginVersion {
        // Ignored by `add_plugin_version`.
        number: 99,
        source: PluginSource::Uploaded {
            sha256: "e3b0".to_string(),
        },
        sha256: "e3b0".to_string(),
        config: format!("{{\"label\": \"{label}\"}}"),
        label: Some(label.to_string()),
        created_by: "token:tk-1".to_string(),
        created_at: at(0),
    }
}

fn audit_record(ticket_id: &str, plugin: &str, event_seq: u64, tag: &str) -> AuditRecord {
    AuditRecord {
        event_id: format!("e-{event_seq}"),
        event_seq,
        event_kind: "ticket_created".to_string(),
        ticket_id: ticket_id.to_string(),
        plugin: plugin.to_string(),
        plugin_version: "abc".to_string(),
        version_number: 1,
        actions: vec![Action::AddTags {
            tags: vec![tag.to_string()],
        }],
        error: None,
        fuel_used: 1234,
        duration_us: 56,
        logs: vec![format!("tagged {tag}")],
        at: at(event_seq as i64),
    }
}

fn webhook(name: &str) -> Webhook {
    Webhook {
        name: name.to_string(),
        url: format!("https://hooks.example/{name}"),
        secret: format!("secret-{name}"),
        created_at: at(0),
    }
}

/// A delivery `id` of `tenant` to `webhook`, due at `minute`.
fn delivery(tenant: &str, id: &str, webhook: &str, minute: i64) -> OutboxItem {
    OutboxItem {
        id: id.to_string(),
        tenant: tenant.to_string(),
        webhook: webhook.to_string(),
        body: format!("{{\"delivery\": \"{id}\"}}"),
        request: None,
        attempts: 0,
        next_attempt_at: at(minute),
        last_error: None,
    }
}

/// Queues deliveries of `tenant` with a commit.
fn queue(store: &dyn Store, tenant: &str, items: &[OutboxItem]) {
    process(store, tenant, |c| c.outbox = items.to_vec());
}

fn refusal(minute: i64, reason: &str) -> InboundRefusal {
    InboundRefusal {
        at: at(minute),
        status: 400,
        method: "POST".to_string(),
        path: "/".to_string(),
        reason: reason.to_string(),
    }
}

/// A KPI fact of ticket `ticket_id` at `minute`.
fn fact(ticket_id: &str, minute: i64, kind: FactKind) -> Fact {
    Fact {
        at: at(minute),
        ticket: ticket_id.into(),
        channel: Channel::Email,
        group: Some("billing".into()),
        agent: None,
        priority: Priority::High,
        sla_policy: None,
        sla_targets: Default::default(),
        kind,
    }
}

fn backlog(unsolved: i32, awaiting: i32) -> FactKind {
    FactKind::Backlog { unsolved, awaiting }
}

/// Commits KPI facts with one event.
fn record_facts(store: &dyn Store, tenant: &str, facts: Vec<Fact>) {
    process(store, tenant, |c| c.kpi = facts);
}

fn decided(tag: &str) -> Decided {
    Decided {
        version: None,
        sha256: String::new(),
        actions: vec![Action::AddTags {
            tags: vec![tag.to_string()],
        }],
        error: None,
    }
}

/// A shadow diff on `event_id`: what the active version and the candidate decided
/// (`None`: that version did not run).
fn diff(event_id: &str, active: Option<&str>, candidate: Option<&str>) -> EventDiff {
    let (active, candidate) = (active.map(decided), candidate.map(decided));
    EventDiff {
        event_id: event_id.to_string(),
        event_kind: "ticket_created".to_string(),
        ticket_id: "t-1".to_string(),
        at: at(0),
        plugin: "triage".to_string(),
        verdict: guichet::diff::verdict(active.as_ref(), candidate.as_ref()),
        active,
        candidate,
    }
}

fn shadow_record(shadow: &str, pair: Option<&str>, diff: EventDiff) -> ShadowRecord {
    ShadowRecord {
        shadow: shadow.to_string(),
        pair: pair.map(str::to_string),
        diff,
    }
}

fn ids(tickets: &[Ticket]) -> Vec<&str> {
    tickets.iter().map(|t| t.id.as_str()).collect()
}

fn event_ids(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event.id.as_str()).collect()
}

/// The tenant's pending events, in the order `pending_events` gives them.
fn pending_of(store: &dyn Store, tenant: &str) -> Vec<StoredEvent> {
    store
        .pending_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.tenant == tenant)
        .collect()
}

fn seqs(events: &[StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

fn item_keys(items: &[OutboxItem]) -> Vec<(&str, &str)> {
    items
        .iter()
        .map(|i| (i.tenant.as_str(), i.id.as_str()))
        .collect()
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

// ---------------------------------------------------------------------------------
// Tenants and tokens.
// ---------------------------------------------------------------------------------

fn a_tenant_is_created_once_and_a_second_create_changes_nothing(store: &dyn Store) {
    assert_eq!(store.tenant("acme").unwrap(), None);
    let acme = tenant("acme");
    assert!(store.create_tenant(&acme).unwrap());
    assert_eq!(store.tenant("acme").unwrap(), Some(acme.clone()));

    let mut again = tenant("acme");
    again.name = "Someone else".to_string();
    again.time_zone = "UTC".to_string();
    assert!(
        !store.create_tenant(&again).unwrap(),
        "a second tenant of the same id"
    );
    assert_eq!(
        store.tenant("acme").unwrap(),
        Some(acme),
        "nothing changed by the refused create"
    );
    assert_eq!(store.tenants().unwrap().len(), 1);
}

fn an_updated_tenant_reads_back_changed(store: &dyn Store) {
    assert!(store.create_tenant(&tenant("acme")).unwrap());
    assert!(store.create_tenant(&tenant("globex")).unwrap());
    let mut acme = tenant("acme");
    acme.name = "ACME Customer Care".to_string();
    acme.time_zone = "America/New_York".to_string();
    acme.business_calendar = Some(json!({
        "time_zone": "America/New_York",
        "hours": {"mon-fri": ["09:00-18:00"]},
        "holidays": ["2026-12-25"],
    }));
    store.update_tenant(&acme).unwrap();
    assert_eq!(store.tenant("acme").unwrap(), Some(acme));
    assert_eq!(
        store.tenant("globex").unwrap(),
        Some(tenant("globex")),
        "another tenant is not changed"
    );
}

fn every_tenant_is_listed(store: &dyn Store) {
    assert!(store.tenants().unwrap().is_empty());
    for id in ["globex", "acme", "acme-2"] {
        assert!(store.create_tenant(&tenant(id)).unwrap());
    }
    let mut listed = store.tenants().unwrap();
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        listed,
        [tenant("acme"), tenant("acme-2"), tenant("globex")],
        "every tenant, whole (in any order)"
    );
}

fn a_token_is_read_by_id_and_listed_with_its_tenant_only(store: &dyn Store) {
    let mut admin = token("tk-1", "acme");
    admin.scope = Scope::Admin;
    for t in [&admin, &token("tk-2", "acme"), &token("tk-3", "globex")] {
        store.put_token(t).unwrap();
    }
    assert_eq!(store.token("tk-1").unwrap(), Some(admin.clone()));
    assert_eq!(store.token("tk-3").unwrap(), Some(token("tk-3", "globex")));
    assert_eq!(store.token("tk-9").unwrap(), None);
    let listed = |tenant: &str| -> Vec<String> {
        sorted(
            store
                .tokens(tenant)
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect(),
        )
    };
    assert_eq!(listed("acme"), ["tk-1", "tk-2"]);
    assert_eq!(listed("globex"), ["tk-3"]);
    assert!(listed("acm").is_empty());
    assert!(listed("nobody").is_empty());
    // Replaced under its id.
    let mut replaced = admin.clone();
    replaced.secret_sha256 = "f".repeat(64);
    store.put_token(&replaced).unwrap();
    assert_eq!(store.token("tk-1").unwrap(), Some(replaced));
    assert_eq!(listed("acme"), ["tk-1", "tk-2"]);
}

fn a_token_is_deleted_only_through_its_own_tenant(store: &dyn Store) {
    store.put_token(&token("tk-1", "acme")).unwrap();
    store.put_token(&token("tk-2", "globex")).unwrap();
    assert!(
        !store.delete_token("globex", "tk-1").unwrap(),
        "another tenant's token"
    );
    assert_eq!(store.token("tk-1").unwrap(), Some(token("tk-1", "acme")));
    assert!(store.delete_token("acme", "tk-1").unwrap());
    assert_eq!(store.token("tk-1").unwrap(), None);
    assert!(store.tokens("acme").unwrap().is_empty());
    assert!(
        !store.delete_token("acme", "tk-1").unwrap(),
        "no longer there"
    );
    assert!(!store.delete_token("acme", "tk-9").unwrap(), "never there");
    assert_eq!(store.token("tk-2").unwrap(), Some(token("tk-2", "globex")));
}

fn the_operator_token_is_absent_until_set_and_then_replaced(store: &dyn Store) {
    assert_eq!(store.operator_token_sha256().unwrap(), None);
    let first = "a".repeat(64);
    store.set_operator_token_sha256(&first).unwrap();
    assert_eq!(store.operator_token_sha256().unwrap(), Some(first));
    let second = "b".repeat(64);
    store.set_operator_token_sha256(&second).unwrap();
    assert_eq!(store.operator_token_sha256().unwrap(), Some(second));
}

// ---------------------------------------------------------------------------------
// Components, plugins, versions, adapters' addresses.
// ---------------------------------------------------------------------------------

fn a_component_is_kept_under_its_sha256(store: &dyn Store) {
    // Every byte value, and a component larger than a database page or a blob
    // threshold (300 KiB).
    let small: Vec<u8> = (0..=255u8).collect();
    let large: Vec<u8> = (0..300 * 1024).map(|n| (n * 7 % 251) as u8).collect();
    store.put_component("aa11", &small).unwrap();
    store.put_component("bb22", &large).unwrap();
    assert_eq!(store.component("aa11").unwrap(), Some(small.clone()));
    assert_eq!(store.component("bb22").unwrap(), Some(large));
    assert_eq!(store.component("cc33").unwrap(), None);
    // The same bytes again (another tenant's upload): still there, once.
    store.put_component("aa11", &small).unwrap();
    assert_eq!(store.component("aa11").unwrap(), Some(small));
}

fn an_installed_plugin_reads_back_with_every_setting(store: &dyn Store) {
    let full = InstalledPlugin {
        name: "zendesk".to_string(),
        source: PluginSource::Uploaded {
            sha256: "0f".repeat(32),
        },
        version: "0f".repeat(32),
        config: "{\"subdomain\": \"acme\", \"token\": \"s3cret\"}".to_string(),
        order: -7,
        subscriptions: vec!["ticket_created".to_string(), "message_added".to_string()],
        schedules: BTreeMap::from([
            ("nightly".to_string(), "0 0 2 * * *".to_string()),
            ("hourly".to_string(), "0 0 * * * *".to_string()),
        ]),
        enabled: false,
        updated_at: at(42),
        inbound_address: Some("ab".repeat(32)),
        endpoints: vec!["https://acme.zendesk.com/api/v2/".to_string()],
        active_version: 3,
        shadow: Some(Shadow {
            run: "0123456789abcdef".to_string(),
            version: 4,
            sha256: "1e".repeat(32),
            source: PluginSource::Reference {
                name: "zendesk".to_string(),
            },
            config: "{}".to_string(),
            since: at(40),
        }),
        suspended: Some(suspension(41)),
        suspend_after: Some(0),
        limits: PluginLimits {
            fuel: Some(1_000_000),
            deadline_ms: Some(250),
            memory_bytes: None,
        },
    };
    store.put_plugin("acme", &full).unwrap();
    assert_eq!(store.plugin("acme", "zendesk").unwrap(), Some(full.clone()));
    assert_eq!(store.plugins("acme").unwrap(), std::slice::from_ref(&full));
    assert_eq!(store.plugin("acme", "zendesk-2").unwrap(), None);
    assert_eq!(store.plugin("globex", "zendesk").unwrap(), None);
    // Replaced whole.
    let plain = plugin("zendesk", 1);
    store.put_plugin("acme", &plain).unwrap();
    assert_eq!(store.plugin("acme", "zendesk").unwrap(), Some(plain));
}

fn plugins_are_listed_in_run_order_then_by_name(store: &dyn Store) {
    for p in [
        plugin("c", 0),
        plugin("a", 5),
        plugin("b", 0),
        plugin("z", -1),
        plugin("B", 0),
    ] {
        store.put_plugin("acme", &p).unwrap();
    }
    store.put_plugin("globex", &plugin("g", -100)).unwrap();
    let names = |tenant: &str| -> Vec<String> {
        store
            .plugins(tenant)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    assert_eq!(names("acme"), ["z", "B", "b", "c", "a"]);
    store.put_plugin("acme", &plugin("a", -3)).unwrap();
    assert_eq!(
        names("acme"),
        ["a", "z", "B", "b", "c"],
        "a new order moves it"
    );
    assert_eq!(names("globex"), ["g"]);
    assert!(names("acm").is_empty());
}

fn a_deleted_plugin_keeps_its_storage(store: &dyn Store) {
    store.put_plugin("acme", &plugin("dedup", 0)).unwrap();
    store.put_plugin("acme", &plugin("sla", 1)).unwrap();
    write(
        store,
        "acme",
        &[
            ("dedup", "seen/1", Some("1")),
            ("dedup", "seen/2", Some("2")),
        ],
    );
    assert!(store.delete_plugin("acme", "dedup").unwrap());
    assert_eq!(store.plugin("acme", "dedup").unwrap(), None);
    assert_eq!(
        store
            .plugins("acme")
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect::<Vec<_>>(),
        ["sla"]
    );
    assert!(
        !store.delete_plugin("acme", "dedup").unwrap(),
        "gone already"
    );
    assert!(
        !store.delete_plugin("globex", "sla").unwrap(),
        "not globex's"
    );
    assert!(store.plugin("acme", "sla").unwrap().is_some());
    // Its storage stays, and counts, for the plugin installed again.
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "seen/1").unwrap(),
        Some(b"1".to_vec())
    );
    assert_eq!(store.plugin_storage_count("acme", "dedup").unwrap(), 2);
    assert_eq!(
        store.plugin_storage_keys("acme", "dedup", "", 10).unwrap(),
        ["seen/1", "seen/2"]
    );
}

fn a_plugin_is_suspended_only_as_it_ran_and_only_once(store: &dyn Store) {
    let ran = plugin("triage", 0);
    store.put_plugin("acme", &ran).unwrap();
    let mut other_settings = ran.clone();
    other_settings.config = "{\"rules\": []}".to_string();
    assert!(
        !store
            .suspend_plugin("acme", &other_settings, &suspension(1))
            .unwrap(),
        "the failures were under other settings"
    );
    assert_eq!(
        store.plugin("acme", "triage").unwrap().unwrap().suspended,
        None
    );
    assert!(
        !store
            .suspend_plugin("globex", &ran, &suspension(1))
            .unwrap(),
        "not installed for globex"
    );
    assert!(store.suspend_plugin("acme", &ran, &suspension(1)).unwrap());
    let stored = store.plugin("acme", "triage").unwrap().unwrap();
    assert_eq!(stored.suspended, Some(suspension(1)));
    assert_eq!(
        InstalledPlugin {
            suspended: None,
            ..stored
        },
        ran,
        "only the suspension changed"
    );
    assert!(
        !store.suspend_plugin("acme", &ran, &suspension(2)).unwrap(),
        "suspended already"
    );
    assert_eq!(
        store.plugin("acme", "triage").unwrap().unwrap().suspended,
        Some(suspension(1)),
        "the first suspension stays"
    );
    let mut missing = ran.clone();
    missing.name = "missing".to_string();
    assert!(
        !store
            .suspend_plugin("acme", &missing, &suspension(3))
            .unwrap()
    );
    assert_eq!(store.plugin("acme", "missing").unwrap(), None);
}

fn an_admin_change_keeps_a_suspension_stored_since_unless_it_lifts_it(store: &dyn Store) {
    store.put_plugin("acme", &plugin("triage", 0)).unwrap();
    // The admin reads the record; the circuit breaker suspends the plugin meanwhile.
    let read = store.plugin("acme", "triage").unwrap().unwrap();
    assert!(store.suspend_plugin("acme", &read, &suspension(1)).unwrap());
    let mut changed = read.clone();
    changed.order = 3;
    let kept = store.change_plugin("acme", &changed, false).unwrap();
    assert_eq!(kept.order, 3);
    assert_eq!(
        kept.suspended,
        Some(suspension(1)),
        "the suspension is kept"
    );
    assert_eq!(
        store.plugin("acme", "triage").unwrap(),
        Some(kept.clone()),
        "returned as stored"
    );
    // Resumed: the change lifts it.
    let mut resumed = kept.clone();
    resumed.suspended = None;
    resumed.enabled = true;
    let lifted = store.change_plugin("acme", &resumed, true).unwrap();
    assert_eq!(lifted.suspended, None);
    assert_eq!(lifted.order, 3);
    assert_eq!(store.plugin("acme", "triage").unwrap(), Some(lifted));
    // A change of a plugin not installed yet installs it.
    let new = store
        .change_plugin("acme", &plugin("sla", 1), false)
        .unwrap();
    assert_eq!(new, plugin("sla", 1));
    assert_eq!(store.plugin("acme", "sla").unwrap(), Some(new));
}

fn plugin_versions_are_numbered_from_one_per_plugin(store: &dyn Store) {
    let add = |tenant: &str, plugin: &str, label: &str| {
        store
            .add_plugin_version(tenant, plugin, &version(label))
            .unwrap()
    };
    let first = add("acme", "triage", "a");
    assert_eq!(first.number, 1, "from 1, whatever number was given");
    assert_eq!(
        first,
        PluginVersion {
            number: 1,
            ..version("a")
        },
        "returned with its number"
    );
    assert_eq!(add("acme", "triage", "b").number, 2);
    assert_eq!(add("acme", "sla", "c").number, 1, "per plugin");
    assert_eq!(add("globex", "triage", "d").number, 1, "per tenant");
    assert_eq!(add("acme", "triage", "e").number, 3);
    let listed: Vec<(u64, String)> = store
        .plugin_versions("acme", "triage")
        .unwrap()
        .into_iter()
        .map(|v| (v.number, v.label.unwrap()))
        .collect();
    assert_eq!(
        listed,
        [(1, "a".into()), (2, "b".into()), (3, "e".into())],
        "oldest first"
    );
    assert_eq!(
        store.plugin_version("acme", "triage", 2).unwrap(),
        Some(PluginVersion {
            number: 2,
            ..version("b")
        })
    );
    assert_eq!(store.plugin_version("acme", "triage", 4).unwrap(), None);
    assert_eq!(store.plugin_version("acme", "triage", 0).unwrap(), None);
    assert_eq!(store.plugin_version("globex", "sla", 1).unwrap(), None);
    assert!(store.plugin_versions("acme", "tri").unwrap().is_empty());
    assert_eq!(store.plugin_versions("globex", "triage").unwrap().len(), 1);
}

fn an_adapter_is_found_by_its_inbound_address_while_it_has_it(store: &dyn Store) {
    let (first, second) = ("ab".repeat(32), "cd".repeat(32));
    assert_eq!(store.inbound_target(&first).unwrap(), None);
    store.put_plugin("acme", &adapter("wa", &first)).unwrap();
    store.put_plugin("acme", &plugin("triage", 0)).unwrap();
    store
        .put_plugin("globex", &adapter("wa", &"ef".repeat(32)))
        .unwrap();
    assert_eq!(
        store.inbound_target(&first).unwrap(),
        Some(("acme".to_string(), "wa".to_string()))
    );
    assert_eq!(
        store.inbound_target(&"ef".repeat(32)).unwrap(),
        Some(("globex".to_string(), "wa".to_string()))
    );
    assert_eq!(store.inbound_target(&first[..10]).unwrap(), None);
    // A new address: the old one belongs to no one.
    store
        .change_plugin("acme", &adapter("wa", &second), false)
        .unwrap();
    assert_eq!(store.inbound_target(&first).unwrap(), None);
    assert_eq!(
        store.inbound_target(&second).unwrap(),
        Some(("acme".to_string(), "wa".to_string()))
    );
    // Removed: neither.
    assert!(store.delete_plugin("acme", "wa").unwrap());
    assert_eq!(store.inbound_target(&second).unwrap(), None);
    assert_eq!(
        store.inbound_target(&"ef".repeat(32)).unwrap(),
        Some(("globex".to_string(), "wa".to_string()))
    );
}

/// Not in the trait's documentation (`delete_plugin` says only that the storage is
/// kept); the sled store does it, and says why: an adapter installed again under
/// the name (for another account, whose ids may be the same numbers) starts afresh.
/// Its conversation links, refusals, the ids of the events it received (`<name>:…`)
/// and its delivery ids go; another tenant's, another adapter's, and the storage,
/// stay.
fn a_removed_adapter_takes_its_links_refusals_and_delivery_ids_with_it(store: &dyn Store) {
    let address = "ab".repeat(32);
    store.put_plugin("acme", &adapter("wa", &address)).unwrap();
    let t = ticket("tk-1", 1, TicketStatus::New, &[("whatsapp", "336")]);
    let delivery = |adapter: &str| InboundDelivery {
        adapter: adapter.to_string(),
        delivery_id: Some("d-1".to_string()),
        groups: vec![InboundGroup {
            id: format!("{adapter}:message:m1"),
            events: vec![event(&format!("{adapter}:message:m1"), Some(&t))],
            link: Some(("identity:336".to_string(), "tk-1".to_string())),
        }],
        storage_writes: vec![(
            adapter.to_string(),
            "cursor".to_string(),
            Some(b"7".to_vec()),
        )],
    };
    for (tenant, adapter) in [("acme", "wa"), ("acme", "tg"), ("globex", "wa")] {
        assert!(matches!(
            store
                .enqueue_inbound(tenant, &delivery(adapter), at(2))
                .unwrap(),
            InboundEnqueued::Stored { duplicates: 0, .. }
        ));
        store
            .record_inbound_refusal(tenant, adapter, &refusal(3, "rejected: no signature"))
            .unwrap();
    }
    assert!(store.delete_plugin("acme", "wa").unwrap());

    assert_eq!(
        store.linked_ticket("acme", "wa", "identity:336").unwrap(),
        None
    );
    assert!(store.inbound_refusals("acme", "wa").unwrap().is_empty());
    assert!(!store.event_seen("acme", "wa:message:m1").unwrap());
    assert_eq!(
        store.plugin_storage_get("acme", "wa", "cursor").unwrap(),
        Some(b"7".to_vec()),
        "the storage is kept"
    );
    // Another adapter's and another tenant's stay.
    for (tenant, adapter) in [("acme", "tg"), ("globex", "wa")] {
        assert_eq!(
            store
                .linked_ticket(tenant, adapter, "identity:336")
                .unwrap()
                .as_deref(),
            Some("tk-1"),
            "{tenant}/{adapter}"
        );
        assert_eq!(store.inbound_refusals(tenant, adapter).unwrap().len(), 1);
        assert!(
            store
                .event_seen(tenant, &format!("{adapter}:message:m1"))
                .unwrap()
        );
    }
    // Installed again: the same delivery is new.
    store.put_plugin("acme", &adapter("wa", &address)).unwrap();
    assert!(matches!(
        store.enqueue_inbound("acme", &delivery("wa"), at(5)).unwrap(),
        InboundEnqueued::Stored { duplicates: 0, ref events } if events.len() == 1
    ));
    assert_eq!(
        store
            .enqueue_inbound("globex", &delivery("wa"), at(5))
            .unwrap(),
        InboundEnqueued::Duplicate
    );
}

// ---------------------------------------------------------------------------------
// Shadow runs.
// ---------------------------------------------------------------------------------

fn shadow_diffs_are_paged_in_event_order_and_counted(store: &dyn Store) {
    let (run, other_run) = ("triage~shadow~r1", "sla~shadow~r1");
    let mut seqs = Vec::new();
    for records in [
        vec![
            shadow_record(run, None, diff("d0", Some("a"), Some("a"))),
            shadow_record(other_run, None, diff("o0", Some("a"), Some("b"))),
        ],
        vec![shadow_record(run, None, diff("d1", Some("a"), Some("b")))],
        vec![shadow_record(run, None, diff("d2", Some("a"), None))],
        vec![shadow_record(
            run,
            None,
            EventDiff {
                candidate: Some(Decided {
                    error: Some("trap".to_string()),
                    ..decided("a")
                }),
                verdict: Verdict::CandidateFailed,
                ..diff("d3", Some("a"), Some("a"))
            },
        )],
    ] {
        let (commit, _) = process(store, "acme", |c| c.shadow = records);
        seqs.push(commit.seq);
    }
    let page_ids = |page: &[(u64, EventDiff)]| -> Vec<String> {
        page.iter().map(|(_, d)| d.event_id.clone()).collect()
    };
    let all = store.shadow_diffs("acme", run, 0, 10).unwrap();
    assert_eq!(page_ids(&all), ["d0", "d1", "d2", "d3"]);
    assert_eq!(
        all.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        seqs,
        "each diff with its event's seq"
    );
    assert_eq!(all[1].1, diff("d1", Some("a"), Some("b")), "whole");
    let first = store.shadow_diffs("acme", run, 0, 2).unwrap();
    assert_eq!(page_ids(&first), ["d0", "d1"]);
    let rest = store.shadow_diffs("acme", run, first[1].0, 10).unwrap();
    assert_eq!(page_ids(&rest), ["d2", "d3"]);
    assert!(store.shadow_diffs("acme", run, 0, 0).unwrap().is_empty());
    assert!(
        store
            .shadow_diffs("acme", run, seqs[3], 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.shadow_summary("acme", run).unwrap(),
        DiffSummary {
            events: 4,
            agree: 1,
            differ: 2,
            candidate_failed: 1
        }
    );
    assert_eq!(
        page_ids(&store.shadow_diffs("acme", other_run, 0, 10).unwrap()),
        ["o0"]
    );
    assert!(store.shadow_diffs("globex", run, 0, 10).unwrap().is_empty());
    assert_eq!(
        store.shadow_summary("globex", run).unwrap(),
        DiffSummary::default()
    );
}

fn a_timers_two_firings_make_one_shadow_diff(store: &dyn Store) {
    let run = "triage~shadow~r1";
    // The candidate's timer fires first, then another event, then the active
    // version's timer.
    for records in [
        vec![shadow_record(
            run,
            Some("t-1/x/1"),
            diff("tc", None, Some("a")),
        )],
        vec![shadow_record(run, None, diff("d", Some("a"), Some("a")))],
        vec![shadow_record(
            run,
            Some("t-1/x/1"),
            diff("ta", Some("a"), None),
        )],
    ] {
        process(store, "acme", |c| c.shadow = records);
    }
    let diffs = store.shadow_diffs("acme", run, 0, 10).unwrap();
    let names: Vec<&str> = diffs.iter().map(|(_, d)| d.event_id.as_str()).collect();
    // One diff, where the first firing was, named after the active version's.
    assert_eq!(names, ["ta", "d"]);
    assert_eq!(diffs[0].1.verdict, Verdict::Agree);
    assert_eq!(diffs[0].1.active, Some(decided("a")));
    assert_eq!(diffs[0].1.candidate, Some(decided("a")));
    assert_eq!(
        store.shadow_summary("acme", run).unwrap(),
        DiffSummary {
            events: 2,
            agree: 2,
            differ: 0,
            candidate_failed: 0
        }
    );
}

fn clearing_a_shadow_forgets_its_diffs_storage_and_timers_only(store: &dyn Store) {
    let (run, old_run, sla_run) = ("triage~shadow~r2", "triage~shadow~r1", "sla~shadow~r1");
    process(store, "acme", |c| {
        c.ticket = Some(ticket("t-1", 0, TicketStatus::Open, &[]));
        c.timers = set(&[
            &timer("acme", "t-1", run, "x", 10),
            &timer("acme", "t-1", "triage", "x", 10),
            &timer("acme", "t-1", sla_run, "x", 11),
        ]);
        c.plugin_writes = writes_of(&[
            (run, "k", Some("1")),
            (old_run, "k", Some("1")),
            ("triage", "k", Some("1")),
            (sla_run, "k", Some("1")),
        ]);
        c.shadow = vec![
            shadow_record(run, None, diff("d0", Some("a"), Some("b"))),
            shadow_record(old_run, None, diff("d0", Some("a"), Some("a"))),
            shadow_record(sla_run, None, diff("d0", Some("a"), Some("a"))),
        ];
    });
    process(store, "globex", |c| {
        c.plugin_writes = writes_of(&[(run, "k", Some("1"))]);
        c.shadow = vec![shadow_record(run, None, diff("g0", Some("a"), Some("b")))];
    });

    store.clear_shadow("acme", "triage").unwrap();

    for gone in [run, old_run] {
        assert!(store.shadow_diffs("acme", gone, 0, 10).unwrap().is_empty());
        assert_eq!(
            store.shadow_summary("acme", gone).unwrap(),
            DiffSummary::default()
        );
        assert_eq!(store.plugin_storage_get("acme", gone, "k").unwrap(), None);
        assert_eq!(store.plugin_storage_count("acme", gone).unwrap(), 0);
        assert!(
            store
                .plugin_storage_keys("acme", gone, "", 10)
                .unwrap()
                .is_empty()
        );
    }
    let timers: Vec<String> = store
        .timers("acme", "t-1")
        .unwrap()
        .into_iter()
        .map(|t| t.plugin)
        .collect();
    assert_eq!(timers, ["triage", sla_run], "the run's timer is gone");
    assert_eq!(
        store.due_timers(at(100), 10).unwrap().len(),
        2,
        "and is not due"
    );
    // The active version's, another plugin's run's, and another tenant's stay.
    assert_eq!(store.plugin_storage_count("acme", "triage").unwrap(), 1);
    assert_eq!(store.plugin_storage_count("acme", sla_run).unwrap(), 1);
    assert_eq!(store.shadow_diffs("acme", sla_run, 0, 10).unwrap().len(), 1);
    assert_eq!(store.shadow_diffs("globex", run, 0, 10).unwrap().len(), 1);
    assert_eq!(store.plugin_storage_count("globex", run).unwrap(), 1);
}

// ---------------------------------------------------------------------------------
// Plugin storage.
// ---------------------------------------------------------------------------------

fn plugin_storage_reads_back_what_commits_wrote(store: &dyn Store) {
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "a").unwrap(),
        None
    );
    write(
        store,
        "acme",
        &[("dedup", "a", Some("1")), ("dedup", "b", Some("2"))],
    );
    // Any bytes, not only text.
    let binary = vec![0u8, 255, 1, 0, 128];
    process(store, "acme", |c| {
        c.plugin_writes = vec![("dedup".into(), "bin".into(), Some(binary.clone()))];
    });
    write(
        store,
        "acme",
        &[("dedup", "a", Some("3")), ("dedup", "b", None)],
    );
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "a").unwrap(),
        Some(b"3".to_vec()),
        "overwritten"
    );
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "b").unwrap(),
        None,
        "deleted"
    );
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "bin").unwrap(),
        Some(binary)
    );
    // An empty value is a value.
    write(store, "acme", &[("dedup", "empty", Some(""))]);
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "empty").unwrap(),
        Some(Vec::new())
    );
    // Writes of one commit apply in order: set then delete leaves nothing.
    write(
        store,
        "acme",
        &[("dedup", "c", Some("1")), ("dedup", "c", None)],
    );
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "c").unwrap(),
        None
    );
    assert_eq!(store.plugin_storage_count("acme", "dedup").unwrap(), 3);
}

fn storage_keys_are_listed_by_literal_prefix_in_byte_order_up_to_the_limit(store: &dyn Store) {
    let mut keys: Vec<String> = (0..20).map(|n| format!("seen/{n:02}")).collect();
    // Byte order, not a collation's: `B` (0x42) < `_` (0x5F) < `a` (0x61) < `é`.
    keys.extend(["seen/a", "seen/B", "seen/_", "seen/é", "seen/"].map(String::from));
    let mut writes: Vec<(&str, &str, Option<&str>)> = keys
        .iter()
        .rev()
        .map(|k| ("dedup", k.as_str(), Some("1")))
        .collect();
    writes.extend([
        ("dedup", "seenX", Some("1")),
        ("dedup", "other", Some("1")),
        ("dedup", "Seen/1", Some("1")),
        ("dedup-2", "seen/zz", Some("1")),
        ("dedu", "seen/yy", Some("1")),
    ]);
    write(store, "acme", &writes);
    write(store, "globex", &[("dedup", "seen/xx", Some("1"))]);
    let list = |prefix: &str, limit: usize| {
        store
            .plugin_storage_keys("acme", "dedup", prefix, limit)
            .unwrap()
    };
    let in_byte_order = sorted(keys.clone());
    assert_eq!(in_byte_order[0], "seen/");
    assert_eq!(list("seen/", 100), in_byte_order);
    assert_eq!(list("seen/", 3), ["seen/", "seen/00", "seen/01"]);
    assert_eq!(list("seen/", 1), ["seen/"]);
    assert!(list("seen/", 0).is_empty());
    assert_eq!(
        list("seen/", 23)[20..],
        ["seen/19", "seen/B", "seen/_"].map(String::from)
    );
    assert_eq!(
        list("seen/", 100)[23..],
        ["seen/a", "seen/é"].map(String::from)
    );
    assert_eq!(
        list("seen/1", 100),
        (10..20).map(|n| format!("seen/{n}")).collect::<Vec<_>>()
    );
    assert_eq!(list("seen", 100).len(), keys.len() + 1, "`seenX` too");
    assert_eq!(
        list("", 100).len(),
        keys.len() + 3,
        "every key of the plugin"
    );
    assert_eq!(list("other", 10), ["other"]);
    assert_eq!(list("seen/é", 10), ["seen/é"]);
    // The prefix is literal: no wildcard, no case folding.
    assert!(list("seen_", 100).is_empty(), "`_` is no wildcard");
    assert!(list("seen%", 100).is_empty(), "`%` is no wildcard");
    assert_eq!(list("seen/_", 100), ["seen/_"]);
    assert_eq!(list("Seen/", 100), ["Seen/1"]);
    assert!(list("seen/zz", 10).is_empty(), "another plugin's");
    assert!(list("seen/xx", 10).is_empty(), "another tenant's");
    assert!(list("seen/000", 10).is_empty());
}

fn the_storage_count_follows_sets_overwrites_and_deletes(store: &dyn Store) {
    let count = |tenant: &str, plugin: &str| store.plugin_storage_count(tenant, plugin).unwrap();
    assert_eq!(count("acme", "dedup"), 0);
    write(store, "acme", &[("dedup", "a", Some("1"))]);
    assert_eq!(count("acme", "dedup"), 1);
    write(store, "acme", &[("dedup", "a", Some("2"))]);
    assert_eq!(count("acme", "dedup"), 1, "an overwrite adds no key");
    write(
        store,
        "acme",
        &[
            ("dedup", "b", Some("1")),
            ("dedup", "c", Some("1")),
            ("sla", "a", Some("1")),
        ],
    );
    assert_eq!((count("acme", "dedup"), count("acme", "sla")), (3, 1));
    write(
        store,
        "acme",
        &[
            ("dedup", "a", None),
            ("dedup", "zz", None),
            ("dedup", "d", Some("1")),
        ],
    );
    assert_eq!(
        count("acme", "dedup"),
        3,
        "a deleted key and a new one; deleting an absent key counts nothing"
    );
    write(
        store,
        "acme",
        &[
            ("dedup", "b", None),
            ("dedup", "c", None),
            ("dedup", "d", None),
            ("sla", "a", None),
        ],
    );
    assert_eq!((count("acme", "dedup"), count("acme", "sla")), (0, 0));
    // Keys with a NUL of their own; plugins whose name begins another's.
    write(
        store,
        "acme",
        &[
            ("dedup", "x\0y", Some("1")),
            ("dedup", "x", Some("1")),
            ("dedup-2", "x", Some("1")),
        ],
    );
    assert_eq!((count("acme", "dedup"), count("acme", "dedup-2")), (2, 1));
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "x\0y").unwrap(),
        Some(b"1".to_vec())
    );
    // Inbound deliveries' writes count too.
    store
        .enqueue_inbound(
            "acme",
            &InboundDelivery {
                adapter: "wa".to_string(),
                delivery_id: None,
                groups: Vec::new(),
                storage_writes: vec![
                    ("wa".into(), "cursor".into(), Some(b"1".to_vec())),
                    ("wa".into(), "token".into(), Some(b"x".to_vec())),
                ],
            },
            at(1),
        )
        .unwrap();
    assert_eq!(count("acme", "wa"), 2);
}

fn plugin_storage_is_private_to_its_tenant_and_plugin(store: &dyn Store) {
    write(store, "acme", &[("dedup", "k", Some("acme's"))]);
    write(store, "acme-2", &[("dedup", "k", Some("acme-2's"))]);
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "k").unwrap(),
        Some(b"acme's".to_vec())
    );
    assert_eq!(
        store.plugin_storage_get("acme-2", "dedup", "k").unwrap(),
        Some(b"acme-2's".to_vec())
    );
    for (tenant, plugin) in [
        ("globex", "dedup"),
        ("acm", "dedup"),
        ("acme", "dedup-2"),
        ("acme", "dedu"),
    ] {
        assert_eq!(
            store.plugin_storage_get(tenant, plugin, "k").unwrap(),
            None,
            "{tenant}/{plugin}"
        );
        assert!(
            store
                .plugin_storage_keys(tenant, plugin, "", 10)
                .unwrap()
                .is_empty(),
            "{tenant}/{plugin}"
        );
        assert_eq!(store.plugin_storage_count(tenant, plugin).unwrap(), 0);
    }
    // A write of one tenant leaves the other's value.
    write(store, "acme-2", &[("dedup", "k", None)]);
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "k").unwrap(),
        Some(b"acme's".to_vec())
    );
    assert_eq!(store.plugin_storage_count("acme", "dedup").unwrap(), 1);
}

// ---------------------------------------------------------------------------------
// The event log.
// ---------------------------------------------------------------------------------

fn a_duplicate_idempotency_key_is_answered_with_the_first_seq(store: &dyn Store) {
    let first = match store
        .enqueue_event("acme", &event("e-1", None), Some("key-1"), at(1))
        .unwrap()
    {
        Enqueued::New(stored) => *stored,
        other => panic!("the first is new: {other:?}"),
    };
    assert_eq!(first.seq, 1);
    accept(store, "acme", &event("e-2", None), 2);
    assert_eq!(
        store
            .enqueue_event("acme", &event("e-3", None), Some("key-1"), at(3))
            .unwrap(),
        Enqueued::Duplicate { seq: 1 },
        "another event under a key seen"
    );
    assert_eq!(event_ids(&pending_of(store, "acme")), ["e-1", "e-2"]);
    assert!(
        !store.event_seen("acme", "e-3").unwrap(),
        "a duplicate's id is not recorded"
    );
    // The key is the tenant's: another tenant's event under it is new.
    assert!(matches!(
        store
            .enqueue_event("globex", &event("e-3", None), Some("key-1"), at(3))
            .unwrap(),
        Enqueued::New(_)
    ));
    // Still a duplicate once the first is processed.
    store.commit_event(&nothing("acme", 1)).unwrap();
    assert_eq!(
        store
            .enqueue_event("acme", &event("e-4", None), Some("key-1"), at(4))
            .unwrap(),
        Enqueued::Duplicate { seq: 1 }
    );
}

fn a_duplicate_event_id_is_answered_with_the_first_seq_whatever_the_key(store: &dyn Store) {
    accept(store, "acme", &event("e-0", None), 0);
    let first = match store
        .enqueue_event("acme", &event("e-1", None), Some("key-1"), at(1))
        .unwrap()
    {
        Enqueued::New(stored) => *stored,
        other => panic!("the first is new: {other:?}"),
    };
    assert_eq!(first.seq, 2);
    for key in [Some("key-2"), None, Some("key-1")] {
        assert_eq!(
            store
                .enqueue_event("acme", &event("e-1", None), key, at(2))
                .unwrap(),
            Enqueued::Duplicate { seq: 2 },
            "under {key:?}"
        );
    }
    assert_eq!(event_ids(&pending_of(store, "acme")), ["e-0", "e-1"]);
    // Still a duplicate once processed.
    store.commit_event(&nothing("acme", 2)).unwrap();
    assert_eq!(
        store
            .enqueue_event("acme", &event("e-1", None), None, at(3))
            .unwrap(),
        Enqueued::Duplicate { seq: 2 }
    );
    // Ids are per tenant.
    assert_eq!(accept(store, "globex", &event("e-1", None), 3).seq, 1);
}

fn sequence_numbers_start_at_one_and_count_per_tenant(store: &dyn Store) {
    let t = ticket("t-1", 0, TicketStatus::New, &[]);
    let first = accept(store, "acme", &event("e-1", Some(&t)), 1);
    assert_eq!(
        first,
        StoredEvent {
            seq: 1,
            tenant: "acme".to_string(),
            event: event("e-1", Some(&t)),
            depth: 0,
            received_at: at(1),
            target_plugin: None,
        }
    );
    assert_eq!(accept(store, "acme", &event("e-2", None), 2).seq, 2);
    assert_eq!(accept(store, "globex", &event("g-1", None), 2).seq, 1);
    assert_eq!(accept(store, "acme-2", &event("h-1", None), 2).seq, 1);
    assert_eq!(accept(store, "acme", &event("e-3", None), 3).seq, 3);
    assert_eq!(accept(store, "globex", &event("g-2", None), 3).seq, 2);
    // A duplicate takes no number.
    store
        .enqueue_event("acme", &event("e-3", None), None, at(4))
        .unwrap();
    assert_eq!(accept(store, "acme", &event("e-4", None), 4).seq, 4);
    // Processing takes none either, and numbers are not reused.
    store.commit_event(&nothing("acme", 4)).unwrap();
    assert_eq!(accept(store, "acme", &event("e-5", None), 5).seq, 5);
}

fn pending_events_come_in_sequence_order_per_tenant(store: &dyn Store) {
    assert!(store.pending_events().unwrap().is_empty());
    for (tenant, id) in [
        ("globex", "g-1"),
        ("acme", "a-1"),
        ("globex", "g-2"),
        ("acme", "a-2"),
        ("acme", "a-3"),
        ("globex", "g-3"),
    ] {
        accept(store, tenant, &event(id, None), 1);
    }
    let all = store.pending_events().unwrap();
    assert_eq!(all.len(), 6);
    let acme = pending_of(store, "acme");
    assert_eq!(seqs(&acme), [1, 2, 3]);
    assert_eq!(event_ids(&acme), ["a-1", "a-2", "a-3"]);
    assert!(acme.iter().all(|e| e.received_at == at(1) && e.depth == 0));
    let globex = pending_of(store, "globex");
    assert_eq!(seqs(&globex), [1, 2, 3]);
    assert_eq!(event_ids(&globex), ["g-1", "g-2", "g-3"]);
    // One processed leaves; the others keep their order.
    store.commit_event(&nothing("acme", 2)).unwrap();
    assert_eq!(seqs(&pending_of(store, "acme")), [1, 3]);
    assert_eq!(seqs(&pending_of(store, "globex")), [1, 2, 3]);
}

fn an_event_id_is_seen_once_accepted_from_outside_for_its_tenant(store: &dyn Store) {
    assert!(!store.event_seen("acme", "e-1").unwrap());
    accept(store, "acme", &event("e-1", None), 1);
    assert!(store.event_seen("acme", "e-1").unwrap());
    assert!(!store.event_seen("globex", "e-1").unwrap());
    assert!(!store.event_seen("acme", "e-10").unwrap());
    assert!(!store.event_seen("acme", "e-").unwrap());
    // Still seen once processed.
    store.commit_event(&nothing("acme", 1)).unwrap();
    assert!(store.event_seen("acme", "e-1").unwrap());
}

fn the_hosts_own_events_are_not_recorded_by_id(store: &dyn Store) {
    let stored = accept(store, "acme", &event("e-1", None), 1);
    let mut commit = nothing("acme", stored.seq);
    commit.follow_ups = vec![(event("e-1/1", None), 1)];
    store.commit_event(&commit).unwrap();
    assert!(!store.event_seen("acme", "e-1/1").unwrap(), "a follow-up");
    // A timer's event and a tick's.
    change_timers(
        store,
        "acme",
        "t-1",
        set(&[&timer("acme", "t-1", "sla", "x", 5)]),
    );
    let mut timer_event = fired(&timer("acme", "t-1", "sla", "x", 5));
    timer_event.id = "timer-1".to_string();
    assert!(
        store
            .fire_timer(&timer("acme", "t-1", "sla", "x", 5), &timer_event, at(5))
            .unwrap()
            .is_some()
    );
    let mut tick_event = tick("nightly", 6);
    tick_event.id = "tick-1".to_string();
    store
        .fire_tick("acme", "sla", "nightly", at(6), Some(&tick_event), at(6))
        .unwrap();
    for id in ["timer-1", "tick-1"] {
        assert!(!store.event_seen("acme", id).unwrap(), "{id}");
    }
    // The same ids from outside are new.
    for id in ["e-1/1", "timer-1", "tick-1"] {
        assert!(
            matches!(
                store
                    .enqueue_event("acme", &event(id, None), None, at(7))
                    .unwrap(),
                Enqueued::New(_)
            ),
            "{id}"
        );
    }
}

fn an_inbound_delivery_stores_its_groups_links_and_writes_at_once(store: &dyn Store) {
    accept(store, "acme", &event("api-1", None), 0);
    let t1 = ticket("tk-1", 1, TicketStatus::New, &[("whatsapp", "336")]);
    let t2 = ticket("tk-2", 1, TicketStatus::New, &[("whatsapp", "337")]);
    let delivery = InboundDelivery {
        adapter: "wa".to_string(),
        delivery_id: Some("d-1".to_string()),
        groups: vec![
            InboundGroup {
                id: "wa:message:m1".to_string(),
                events: vec![
                    event("wa:message:m1", Some(&t1)),
                    event("wa:message:m1:status", Some(&t1)),
                ],
                link: Some(("identity:336".to_string(), "tk-1".to_string())),
            },
            InboundGroup {
                id: "wa:message:m2".to_string(),
                events: vec![event("wa:message:m2", Some(&t2))],
                link: None,
            },
        ],
        storage_writes: vec![
            ("wa".to_string(), "cursor".to_string(), Some(b"42".to_vec())),
            ("wa".to_string(), "old".to_string(), None),
        ],
    };
    let InboundEnqueued::Stored { events, duplicates } =
        store.enqueue_inbound("acme", &delivery, at(2)).unwrap()
    else {
        panic!("a new delivery is stored")
    };
    assert_eq!(duplicates, 0);
    assert_eq!(
        event_ids(&events),
        ["wa:message:m1", "wa:message:m1:status", "wa:message:m2"],
        "in order"
    );
    assert_eq!(seqs(&events), [2, 3, 4], "after the tenant's last seq");
    for stored in &events {
        assert_eq!(stored.tenant, "acme");
        assert_eq!(stored.received_at, at(2));
        assert_eq!(stored.depth, 0);
        assert_eq!(stored.target_plugin, None);
    }
    assert_eq!(events[0].event, delivery.groups[0].events[0]);
    assert_eq!(
        event_ids(&pending_of(store, "acme")),
        [
            "api-1",
            "wa:message:m1",
            "wa:message:m1:status",
            "wa:message:m2"
        ]
    );
    for id in ["wa:message:m1", "wa:message:m1:status", "wa:message:m2"] {
        assert!(store.event_seen("acme", id).unwrap(), "{id}");
    }
    assert_eq!(
        store
            .linked_ticket("acme", "wa", "identity:336")
            .unwrap()
            .as_deref(),
        Some("tk-1")
    );
    assert_eq!(
        store.linked_ticket("acme", "wa", "identity:337").unwrap(),
        None
    );
    assert_eq!(
        store.linked_ticket("acme", "tg", "identity:336").unwrap(),
        None
    );
    assert_eq!(
        store.linked_ticket("globex", "wa", "identity:336").unwrap(),
        None
    );
    assert_eq!(
        store.plugin_storage_get("acme", "wa", "cursor").unwrap(),
        Some(b"42".to_vec())
    );
    assert_eq!(store.plugin_storage_count("acme", "wa").unwrap(), 1);
    // The next event from the API numbers on.
    assert_eq!(accept(store, "acme", &event("api-2", None), 3).seq, 5);
    // A later delivery links the conversation to another ticket.
    let relink = InboundDelivery {
        adapter: "wa".to_string(),
        delivery_id: Some("d-2".to_string()),
        groups: vec![InboundGroup {
            id: "wa:message:m3".to_string(),
            events: vec![event("wa:message:m3", Some(&t2))],
            link: Some(("identity:336".to_string(), "tk-2".to_string())),
        }],
        storage_writes: Vec::new(),
    };
    store.enqueue_inbound("acme", &relink, at(4)).unwrap();
    assert_eq!(
        store
            .linked_ticket("acme", "wa", "identity:336")
            .unwrap()
            .as_deref(),
        Some("tk-2")
    );
}

fn an_inbound_group_whose_id_was_seen_is_skipped_with_its_link(store: &dyn Store) {
    // The message came first through the API (or an earlier delivery).
    accept(store, "acme", &event("wa:message:m1", None), 0);
    let delivery = InboundDelivery {
        adapter: "wa".to_string(),
        delivery_id: Some("d-1".to_string()),
        groups: vec![
            InboundGroup {
                id: "wa:message:m1".to_string(),
                events: vec![event("wa:message:m1", None)],
                link: Some(("identity:336".to_string(), "tk-1".to_string())),
            },
            InboundGroup {
                id: "wa:message:m2".to_string(),
                events: vec![event("wa:message:m2", None)],
                link: Some(("identity:337".to_string(), "tk-2".to_string())),
            },
        ],
        storage_writes: vec![("wa".into(), "k".into(), Some(b"v".to_vec()))],
    };
    let InboundEnqueued::Stored { events, duplicates } =
        store.enqueue_inbound("acme", &delivery, at(1)).unwrap()
    else {
        panic!("a new delivery id")
    };
    assert_eq!(duplicates, 1);
    assert_eq!(event_ids(&events), ["wa:message:m2"]);
    assert_eq!(
        event_ids(&pending_of(store, "acme")),
        ["wa:message:m1", "wa:message:m2"],
        "the seen group is not stored again"
    );
    assert_eq!(
        store.linked_ticket("acme", "wa", "identity:336").unwrap(),
        None,
        "a group is stored whole or not at all: its link too"
    );
    assert_eq!(
        store
            .linked_ticket("acme", "wa", "identity:337")
            .unwrap()
            .as_deref(),
        Some("tk-2")
    );
    assert_eq!(
        store.plugin_storage_get("acme", "wa", "k").unwrap(),
        Some(b"v".to_vec()),
        "the delivery's writes are kept"
    );
    // Another delivery id with the same messages: every group a duplicate.
    let again = InboundDelivery {
        delivery_id: Some("d-2".to_string()),
        storage_writes: Vec::new(),
        ..delivery.clone()
    };
    assert_eq!(
        store.enqueue_inbound("acme", &again, at(2)).unwrap(),
        InboundEnqueued::Stored {
            events: Vec::new(),
            duplicates: 2
        }
    );
    // So is an event from the API with a group's id.
    assert_eq!(
        store
            .enqueue_event("acme", &event("wa:message:m2", None), None, at(3))
            .unwrap(),
        Enqueued::Duplicate { seq: 2 }
    );
    // Another tenant's messages of the same ids are its own.
    assert!(matches!(
        store.enqueue_inbound("globex", &delivery, at(3)).unwrap(),
        InboundEnqueued::Stored { duplicates: 0, ref events } if events.len() == 2
    ));
}

fn a_seen_delivery_id_is_a_duplicate_for_its_adapter_only(store: &dyn Store) {
    let delivery = |adapter: &str, delivery_id: Option<&str>, message: &str| InboundDelivery {
        adapter: adapter.to_string(),
        delivery_id: delivery_id.map(str::to_string),
        groups: vec![InboundGroup {
            id: message.to_string(),
            events: vec![event(message, None)],
            link: None,
        }],
        storage_writes: vec![(
            adapter.to_string(),
            message.to_string(),
            Some(b"1".to_vec()),
        )],
    };
    assert!(matches!(
        store
            .enqueue_inbound("acme", &delivery("wa", Some("d-1"), "wa:m1"), at(1))
            .unwrap(),
        InboundEnqueued::Stored { duplicates: 0, .. }
    ));
    // The same delivery id, even with other messages and writes: nothing at all.
    assert_eq!(
        store
            .enqueue_inbound("acme", &delivery("wa", Some("d-1"), "wa:m2"), at(2))
            .unwrap(),
        InboundEnqueued::Duplicate
    );
    assert!(!store.event_seen("acme", "wa:m2").unwrap());
    assert_eq!(
        store.plugin_storage_get("acme", "wa", "wa:m2").unwrap(),
        None
    );
    assert_eq!(store.plugin_storage_count("acme", "wa").unwrap(), 1);
    assert_eq!(pending_of(store, "acme").len(), 1);
    // The same delivery id for another adapter, or another tenant: new.
    assert!(matches!(
        store
            .enqueue_inbound("acme", &delivery("tg", Some("d-1"), "tg:m1"), at(3))
            .unwrap(),
        InboundEnqueued::Stored { duplicates: 0, ref events } if events.len() == 1
    ));
    assert!(matches!(
        store
            .enqueue_inbound("globex", &delivery("wa", Some("d-1"), "wa:m1"), at(3))
            .unwrap(),
        InboundEnqueued::Stored { duplicates: 0, ref events } if events.len() == 1
    ));
    // A delivery id is not an idempotency key of the API's, nor an event id.
    assert!(matches!(
        store
            .enqueue_event("acme", &event("api-1", None), Some("d-1"), at(4))
            .unwrap(),
        Enqueued::New(_)
    ));
    // Deliveries without an id are told apart by their messages alone.
    assert!(matches!(
        store
            .enqueue_inbound("acme", &delivery("wa", None, "wa:m3"), at(5))
            .unwrap(),
        InboundEnqueued::Stored { duplicates: 0, .. }
    ));
    assert_eq!(
        store
            .enqueue_inbound("acme", &delivery("wa", None, "wa:m3"), at(6))
            .unwrap(),
        InboundEnqueued::Stored {
            events: Vec::new(),
            duplicates: 1
        }
    );
    // A delivery id whose messages were all duplicates is still seen.
    assert!(matches!(
        store
            .enqueue_inbound("acme", &delivery("wa", Some("d-3"), "wa:m3"), at(7))
            .unwrap(),
        InboundEnqueued::Stored { duplicates: 1, .. }
    ));
    assert_eq!(
        store
            .enqueue_inbound("acme", &delivery("wa", Some("d-3"), "wa:m4"), at(8))
            .unwrap(),
        InboundEnqueued::Duplicate
    );
}

fn inbound_refusals_keep_the_last_hundred_oldest_first(store: &dyn Store) {
    assert!(store.inbound_refusals("acme", "wa").unwrap().is_empty());
    let kept_count = INBOUND_REFUSALS_KEPT as i64;
    for n in 0..kept_count + 5 {
        store
            .record_inbound_refusal("acme", "wa", &refusal(n, &format!("malformed: {n}")))
            .unwrap();
    }
    store
        .record_inbound_refusal("acme", "tg", &refusal(0, "tg's"))
        .unwrap();
    store
        .record_inbound_refusal("globex", "wa", &refusal(0, "globex's"))
        .unwrap();
    let kept = store.inbound_refusals("acme", "wa").unwrap();
    assert_eq!(kept.len(), INBOUND_REFUSALS_KEPT as usize);
    let reasons: Vec<String> = kept.iter().map(|r| r.reason.clone()).collect();
    let expected: Vec<String> = (5..kept_count + 5)
        .map(|n| format!("malformed: {n}"))
        .collect();
    assert_eq!(reasons, expected, "the last hundred, oldest first");
    assert_eq!(kept[0], refusal(5, "malformed: 5"), "whole");
    assert_eq!(
        store.inbound_refusals("acme", "tg").unwrap(),
        [refusal(0, "tg's")]
    );
    assert_eq!(
        store.inbound_refusals("globex", "wa").unwrap(),
        [refusal(0, "globex's")]
    );
    assert!(store.inbound_refusals("acme", "w").unwrap().is_empty());
}

fn recorded_events_are_read_by_arrival_time_after_a_seq_up_to_a_limit(store: &dyn Store) {
    // Received at minutes 0, 10, 10, 20, 30 (and another tenant's at 10).
    for (id, minute) in [
        ("e0", 0),
        ("e10a", 10),
        ("e10b", 10),
        ("e20", 20),
        ("e30", 30),
    ] {
        accept(store, "acme", &event(id, None), minute);
    }
    accept(store, "acme-2", &event("g10", None), 10);
    let read = |from: i64, until: i64, after_seq: u64, limit: usize| -> Vec<String> {
        store
            .recorded_events("acme", at(from), at(until), after_seq, limit)
            .unwrap()
            .into_iter()
            .map(|e| e.event.id)
            .collect()
    };
    assert_eq!(read(0, 60, 0, 10), ["e0", "e10a", "e10b", "e20", "e30"]);
    assert_eq!(
        read(10, 30, 0, 10),
        ["e10a", "e10b", "e20"],
        "from included, until excluded"
    );
    assert_eq!(read(5, 20, 0, 10), ["e10a", "e10b"]);
    assert!(read(21, 30, 0, 10).is_empty());
    assert!(read(30, 30, 0, 10).is_empty());
    assert!(read(0, 60, 0, 0).is_empty());
    // Paged: the next page starts after the last one read, at its arrival time.
    let first = store.recorded_events("acme", at(0), at(60), 0, 2).unwrap();
    assert_eq!(event_ids(&first), ["e0", "e10a"]);
    let last = first.last().unwrap();
    assert_eq!(last.seq, 2);
    assert_eq!(
        event_ids(
            &store
                .recorded_events("acme", last.received_at, at(60), last.seq, 2)
                .unwrap()
        ),
        ["e10b", "e20"]
    );
    assert_eq!(read(10, 60, 3, 10), ["e20", "e30"]);
    // As they were stored.
    let e20 = &store.recorded_events("acme", at(20), at(21), 0, 1).unwrap()[0];
    assert_eq!(
        *e20,
        StoredEvent {
            seq: 4,
            tenant: "acme".to_string(),
            event: event("e20", None),
            depth: 0,
            received_at: at(20),
            target_plugin: None,
        }
    );
    assert_eq!(
        event_ids(
            &store
                .recorded_events("acme-2", at(0), at(60), 0, 10)
                .unwrap()
        ),
        ["g10"]
    );
    assert!(
        store
            .recorded_events("acme-", at(0), at(60), 0, 10)
            .unwrap()
            .is_empty()
    );
}

fn recorded_events_keep_outside_events_after_processing_and_no_host_events(store: &dyn Store) {
    let api = accept(store, "acme", &event("api-1", None), 1);
    store
        .enqueue_inbound(
            "acme",
            &InboundDelivery {
                adapter: "wa".to_string(),
                delivery_id: Some("d-1".to_string()),
                groups: vec![InboundGroup {
                    id: "wa:m1".to_string(),
                    events: vec![event("wa:m1", None)],
                    link: None,
                }],
                storage_writes: Vec::new(),
            },
            at(2),
        )
        .unwrap();
    // Processed, with a follow-up; a timer fires; a tick.
    let mut commit = nothing("acme", api.seq);
    commit.follow_ups = vec![(event("api-1/1", None), 1)];
    store.commit_event(&commit).unwrap();
    change_timers(
        store,
        "acme",
        "t-1",
        set(&[&timer("acme", "t-1", "sla", "x", 3)]),
    );
    let due = timer("acme", "t-1", "sla", "x", 3);
    store.fire_timer(&due, &fired(&due), at(3)).unwrap();
    store
        .fire_tick(
            "acme",
            "sla",
            "nightly",
            at(4),
            Some(&tick("nightly", 4)),
            at(4),
        )
        .unwrap();
    let recorded = store
        .recorded_events("acme", at(0), at(60), 0, 100)
        .unwrap();
    let outside: Vec<&str> = event_ids(&recorded)
        .into_iter()
        .filter(|id| !id.starts_with("e-"))
        .collect();
    assert_eq!(
        outside,
        ["api-1", "wa:m1"],
        "outside events, processed or not; no follow-up, timer or tick"
    );
    assert!(
        recorded
            .iter()
            .all(|e| e.depth == 0 && e.target_plugin.is_none())
    );
}

fn flushing_keeps_everything_readable(store: &dyn Store) {
    store.flush().unwrap();
    accept(store, "acme", &event("e-1", None), 1);
    write(store, "acme", &[("dedup", "k", Some("v"))]);
    store.flush().unwrap();
    store.flush().unwrap();
    assert!(store.event_seen("acme", "e-1").unwrap());
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "k").unwrap(),
        Some(b"v".to_vec())
    );
}

// ---------------------------------------------------------------------------------
// Commits.
// ---------------------------------------------------------------------------------

fn a_commit_takes_its_event_off_the_pending_list(store: &dyn Store) {
    for id in ["e-1", "e-2", "e-3"] {
        accept(store, "acme", &event(id, None), 1);
    }
    accept(store, "globex", &event("g-1", None), 1);
    assert_eq!(store.commit_event(&nothing("acme", 2)).unwrap(), []);
    assert_eq!(event_ids(&pending_of(store, "acme")), ["e-1", "e-3"]);
    assert_eq!(
        event_ids(&pending_of(store, "globex")),
        ["g-1"],
        "the same seq of another tenant stays"
    );
    store.commit_event(&nothing("acme", 1)).unwrap();
    store.commit_event(&nothing("acme", 3)).unwrap();
    assert!(pending_of(store, "acme").is_empty());
    assert_eq!(store.pending_events().unwrap().len(), 1);
}

fn a_commit_writes_the_ticket_and_its_audit_oldest_first(store: &dyn Store) {
    let mut t = ticket("t-1", 1, TicketStatus::New, &[("email", "zoe@example.fr")]);
    let (first, _) = process(store, "acme", |c| {
        c.ticket = Some(t.clone());
        c.audit = vec![
            audit_record("t-1", "triage", c.seq, "a"),
            audit_record("t-1", "sla", c.seq, "b"),
        ];
    });
    assert_eq!(store.ticket("acme", "t-1").unwrap(), Some(t.clone()));
    t.status = TicketStatus::Open;
    t.tags = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    t.updated_at = at(5);
    let (second, _) = process(store, "acme", |c| {
        c.ticket = Some(t.clone());
        c.audit = vec![audit_record("t-1", "triage", c.seq, "c")];
    });
    // The audit record of a ticket the commit does not carry (a host record).
    process(store, "acme", |c| {
        c.audit = vec![audit_record("t-2", "host", c.seq, "d")];
    });
    assert_eq!(
        store.ticket("acme", "t-1").unwrap(),
        Some(t),
        "as it stands now"
    );
    assert_eq!(
        store.audit("acme", "t-1").unwrap(),
        [
            audit_record("t-1", "triage", first.seq, "a"),
            audit_record("t-1", "sla", first.seq, "b"),
            audit_record("t-1", "triage", second.seq, "c"),
        ],
        "oldest first, whole"
    );
    assert_eq!(store.audit("acme", "t-2").unwrap().len(), 1);
    assert!(store.audit("acme", "t-").unwrap().is_empty());
    assert!(store.audit("globex", "t-1").unwrap().is_empty());
    assert_eq!(store.ticket("globex", "t-1").unwrap(), None);
    assert_eq!(store.ticket("acme", "t-").unwrap(), None);
}

fn follow_ups_are_stored_pending_with_new_seqs_and_returned(store: &dyn Store) {
    let first = accept(store, "acme", &event("e-1", None), 1);
    accept(store, "acme", &event("e-2", None), 1);
    accept(store, "globex", &event("g-1", None), 1);
    let t = ticket("t-1", 1, TicketStatus::Open, &[]);
    let changed = Event {
        id: "e-1/1".to_string(),
        kind: EventKind::TagsChanged {
            added: vec!["vip".to_string()],
            removed: Vec::new(),
        },
        ticket: Some(t.clone()),
        occurred_at: at(2),
    };
    let mut commit = nothing("acme", first.seq);
    commit.ticket = Some(t);
    commit.follow_ups = vec![(changed.clone(), 1), (event("e-1/2", None), 2)];
    let stored = store.commit_event(&commit).unwrap();
    assert_eq!(seqs(&stored), [3, 4], "after the tenant's last seq");
    assert_eq!(event_ids(&stored), ["e-1/1", "e-1/2"]);
    assert_eq!(stored[0].event, changed);
    assert_eq!(stored.iter().map(|e| e.depth).collect::<Vec<_>>(), [1, 2]);
    assert!(
        stored
            .iter()
            .all(|e| e.tenant == "acme" && e.target_plugin.is_none())
    );
    let pending = pending_of(store, "acme");
    assert_eq!(event_ids(&pending), ["e-2", "e-1/1", "e-1/2"]);
    assert_eq!(pending[1..], stored[..], "stored as returned");
    assert_eq!(seqs(&pending_of(store, "globex")), [1]);
    assert_eq!(accept(store, "acme", &event("e-3", None), 3).seq, 5);
    assert_eq!(accept(store, "globex", &event("g-2", None), 3).seq, 2);
}

fn a_commits_deliveries_are_queued_and_counted(store: &dyn Store) {
    assert_eq!(store.outbox_backlog().unwrap(), 0);
    let mut adapter_request = delivery("acme", "1-adapter:zd-0", "adapter:zd", 5);
    adapter_request.body = String::new();
    adapter_request.request = Some(OutgoingRequest {
        method: "PUT".to_string(),
        url: "https://acme.zendesk.com/api/v2/tickets/7".to_string(),
        headers: vec![Header {
            name: "content-type".to_string(),
            value: "application/json".to_string(),
        }],
        body: Body::Text("{\"ticket\": {\"status\": \"solved\"}}".to_string()),
    });
    // In due order: due time, then tenant and id (`1-adapter:…` < `1-crm`).
    let items = [adapter_request, delivery("acme", "1-crm", "crm", 5)];
    queue(store, "acme", &items);
    assert_eq!(store.outbox_backlog().unwrap(), 2);
    queue(store, "globex", &[delivery("globex", "1-crm", "crm", 5)]);
    assert_eq!(store.outbox_backlog().unwrap(), 3, "every tenant together");
    let due = store.due_outbox(at(5), None, 10).unwrap();
    assert_eq!(
        due.iter()
            .filter(|i| i.tenant == "acme")
            .cloned()
            .collect::<Vec<_>>(),
        items,
        "whole"
    );
}

fn a_commit_of_an_event_no_longer_pending_is_a_conflict_that_writes_nothing(store: &dyn Store) {
    let stored = accept(store, "acme", &event("e-1", None), 1);
    let mut commit = nothing("acme", stored.seq);
    commit.ticket = Some(ticket("t-1", 1, TicketStatus::Open, &[]));
    commit.plugin_writes = writes_of(&[("dedup", "a", Some("1")), ("dedup", "b", Some("1"))]);
    commit.follow_ups = vec![(event("e-1/1", None), 1)];
    commit.outbox = vec![delivery("acme", "1-crm", "crm", 5)];
    commit.audit = vec![audit_record("t-1", "triage", stored.seq, "a")];
    commit.kpi = vec![fact("t-1", 1, backlog(1, 1))];
    assert_eq!(store.commit_event(&commit).unwrap().len(), 1);
    // Again (another worker committed it; a retry), even with more to write.
    let mut again = commit.clone();
    again.ticket = Some(ticket("t-1", 1, TicketStatus::Solved, &[]));
    again.plugin_writes = writes_of(&[("dedup", "c", Some("1"))]);
    again.timers = set(&[&timer("acme", "t-1", "sla", "x", 10)]);
    again.outbox.push(delivery("acme", "1-slack", "slack", 5));
    for retried in [&commit, &again] {
        match store.commit_event(retried) {
            Err(StoreError::Conflict(_)) => {}
            other => panic!("a conflict, not {other:?}"),
        }
    }
    // A seq never given, too.
    assert!(matches!(
        store.commit_event(&nothing("acme", 99)),
        Err(StoreError::Conflict(_))
    ));
    // Nothing written twice, nothing of the retries written.
    assert_eq!(event_ids(&pending_of(store, "acme")), ["e-1/1"]);
    assert_eq!(
        store.ticket("acme", "t-1").unwrap().unwrap().status,
        TicketStatus::Open
    );
    assert!(store.timers("acme", "t-1").unwrap().is_empty());
    assert_eq!(store.plugin_storage_count("acme", "dedup").unwrap(), 2);
    assert_eq!(
        store.plugin_storage_get("acme", "dedup", "c").unwrap(),
        None
    );
    assert_eq!(store.outbox_backlog().unwrap(), 1);
    assert_eq!(store.audit("acme", "t-1").unwrap().len(), 1);
    assert_eq!(store.kpi_facts("acme", at(0), at(60)).unwrap().len(), 1);
    assert_eq!(
        store.kpi_backlog_at("acme", at(60)).unwrap(),
        Backlog {
            unsolved: 1,
            awaiting: 1
        }
    );
    // The next event numbers on after the one follow-up stored.
    assert_eq!(accept(store, "acme", &event("e-2", None), 2).seq, 3);
}

// ---------------------------------------------------------------------------------
// Workers (what sled, one process, and a shared database both answer).
// ---------------------------------------------------------------------------------

fn a_sole_worker_leads_every_role(store: &dyn Store) {
    for role in [Role::Timekeeper, Role::Outbox] {
        assert!(store.lead(role).unwrap(), "{}", role.name());
        assert!(
            store.lead(role).unwrap(),
            "{}: kept while alive",
            role.name()
        );
    }
    assert!(!store.worker_id().is_empty());
}

fn a_pending_event_first_of_its_lane_is_ready_and_done_once_committed(store: &dyn Store) {
    let t1 = ticket("t-1", 0, TicketStatus::New, &[]);
    let first = accept(store, "acme", &event("e-1", Some(&t1)), 1);
    let other = accept(store, "acme", &event("e-2", None), 1);
    let ready = |tenant: &str, stored: &StoredEvent, lane: &str| {
        store.readiness(tenant, stored.seq, lane).unwrap()
    };
    assert_eq!(ready("acme", &first, "t-1"), Readiness::Ready);
    assert_eq!(ready("acme", &other, "for-e-2"), Readiness::Ready);
    store.commit_event(&nothing("acme", first.seq)).unwrap();
    assert_eq!(ready("acme", &first, "t-1"), Readiness::Done);
    assert_eq!(ready("acme", &other, "for-e-2"), Readiness::Ready);
    // A seq of another tenant's log is not this one's.
    let globex = accept(store, "globex", &event("g-1", None), 1);
    assert_eq!(globex.seq, 1);
    assert_eq!(ready("globex", &globex, "for-g-1"), Readiness::Ready);
}

// ---------------------------------------------------------------------------------
// Timers and schedules.
// ---------------------------------------------------------------------------------

fn a_commit_sets_moves_and_cancels_timers(store: &dyn Store) {
    let x = timer("acme", "t-1", "sla", "x", 10);
    let y = timer("acme", "t-1", "sla", "y", 20);
    change_timers(store, "acme", "t-1", set(&[&x, &y]));
    assert_eq!(store.timers("acme", "t-1").unwrap(), [x.clone(), y.clone()]);
    // Set again under the same name: moved, not doubled.
    let mut moved = timer("acme", "t-1", "sla", "x", 30);
    moved.set_at = at(5);
    change_timers(store, "acme", "t-1", set(&[&moved]));
    assert_eq!(
        store.timers("acme", "t-1").unwrap(),
        [y.clone(), moved.clone()]
    );
    assert_eq!(
        store.due_timers(at(10), 10).unwrap(),
        [],
        "not due at its old time"
    );
    // Cancelled: gone; cancelling a timer not set changes nothing.
    change_timers(
        store,
        "acme",
        "t-1",
        vec![
            TimerChange::Cancel {
                plugin: "sla".to_string(),
                name: "y".to_string(),
            },
            TimerChange::Cancel {
                plugin: "sla".to_string(),
                name: "never".to_string(),
            },
            TimerChange::Cancel {
                plugin: "triage".to_string(),
                name: "x".to_string(),
            },
        ],
    );
    assert_eq!(store.timers("acme", "t-1").unwrap(), [moved.clone()]);
    assert_eq!(store.due_timers(at(100), 10).unwrap(), [moved]);
    // Set and cancelled in one commit, in order.
    let z = timer("acme", "t-1", "sla", "z", 40);
    change_timers(
        store,
        "acme",
        "t-1",
        vec![
            TimerChange::Set(z),
            TimerChange::Cancel {
                plugin: "sla".to_string(),
                name: "z".to_string(),
            },
        ],
    );
    assert_eq!(store.timers("acme", "t-1").unwrap().len(), 1);
}

fn a_tickets_timers_come_soonest_first(store: &dyn Store) {
    let b30 = timer("acme", "t-1", "sla", "b", 30);
    let a10 = timer("acme", "t-1", "sla", "a", 10);
    // Names are the plugin's own: another plugin's `a` does not meet `sla`'s.
    let other_a20 = timer("acme", "t-1", "triage", "a", 20);
    change_timers(store, "acme", "t-1", set(&[&b30, &a10, &other_a20]));
    change_timers(
        store,
        "acme",
        "t-2",
        set(&[&timer("acme", "t-2", "sla", "a", 5)]),
    );
    change_timers(
        store,
        "acme",
        "t-10",
        set(&[&timer("acme", "t-10", "sla", "a", 6)]),
    );
    change_timers(
        store,
        "globex",
        "t-1",
        set(&[&timer("globex", "t-1", "sla", "a", 1)]),
    );
    assert_eq!(store.timers("acme", "t-1").unwrap(), [a10, other_a20, b30]);
    assert_eq!(store.timers("acme", "t-2").unwrap().len(), 1);
    assert_eq!(
        store.timers("globex", "t-1").unwrap(),
        [timer("globex", "t-1", "sla", "a", 1)]
    );
    assert!(store.timers("acme", "t-").unwrap().is_empty());
    assert!(store.timers("acme", "t-3").unwrap().is_empty());
}

fn due_timers_are_every_tenants_up_to_a_time_soonest_first_up_to_a_limit(store: &dyn Store) {
    assert!(store.due_timers(at(1000), 10).unwrap().is_empty());
    let a10 = timer("acme", "t-1", "sla", "a", 10);
    let g5 = timer("globex", "t-9", "sla", "a", 5);
    let a20 = timer("acme", "t-2", "triage", "b", 20);
    let g40 = timer("globex", "t-9", "sla", "b", 40);
    change_timers(store, "acme", "t-1", set(&[&a10]));
    change_timers(store, "globex", "t-9", set(&[&g40, &g5]));
    change_timers(store, "acme", "t-2", set(&[&a20]));
    assert_eq!(
        store.due_timers(at(20), 10).unwrap(),
        [g5.clone(), a10.clone(), a20.clone()],
        "up to the time included, soonest first, with their tenants"
    );
    assert_eq!(
        store.due_timers(at(20), 2).unwrap(),
        [g5.clone(), a10.clone()]
    );
    assert_eq!(store.due_timers(at(19), 10).unwrap().len(), 2);
    assert!(store.due_timers(at(4), 10).unwrap().is_empty());
    assert!(store.due_timers(at(100), 0).unwrap().is_empty());
    assert_eq!(store.due_timers(at(100), 10).unwrap(), [g5, a10, a20, g40]);
}

fn the_next_timer_due_is_the_soonest_of_any_tenant(store: &dyn Store) {
    assert_eq!(store.next_timer_due().unwrap(), None);
    let a10 = timer("acme", "t-1", "sla", "a", 10);
    let g5 = timer("globex", "t-1", "sla", "a", 5);
    change_timers(store, "acme", "t-1", set(&[&a10]));
    assert_eq!(store.next_timer_due().unwrap(), Some(at(10)));
    change_timers(store, "globex", "t-1", set(&[&g5]));
    assert_eq!(store.next_timer_due().unwrap(), Some(at(5)));
    assert!(store.remove_timer(&g5).unwrap());
    assert_eq!(store.next_timer_due().unwrap(), Some(at(10)));
    // Moved earlier.
    change_timers(
        store,
        "acme",
        "t-1",
        set(&[&timer("acme", "t-1", "sla", "a", 2)]),
    );
    assert_eq!(store.next_timer_due().unwrap(), Some(at(2)));
    assert!(
        store
            .remove_timer(&timer("acme", "t-1", "sla", "a", 2))
            .unwrap()
    );
    assert_eq!(store.next_timer_due().unwrap(), None);
}

fn a_timer_is_removed_only_as_it_was_set(store: &dyn Store) {
    let x = timer("acme", "t-1", "sla", "x", 10);
    let y = timer("acme", "t-1", "sla", "y", 10);
    change_timers(store, "acme", "t-1", set(&[&x, &y]));
    assert!(store.remove_timer(&x).unwrap());
    assert_eq!(
        store.timers("acme", "t-1").unwrap(),
        std::slice::from_ref(&y)
    );
    assert!(!store.remove_timer(&x).unwrap(), "removed already");
    // Moved since it was read: not removed.
    change_timers(
        store,
        "acme",
        "t-1",
        set(&[&timer("acme", "t-1", "sla", "y", 30)]),
    );
    assert!(!store.remove_timer(&y).unwrap());
    assert_eq!(
        store.timers("acme", "t-1").unwrap(),
        [timer("acme", "t-1", "sla", "y", 30)]
    );
    // Another tenant's, another ticket's, another plugin's timer of that name: no.
    for other in [
        timer("globex", "t-1", "sla", "y", 30),
        timer("acme", "t-2", "sla", "y", 30),
        timer("acme", "t-1", "triage", "y", 30),
    ] {
        assert!(!store.remove_timer(&other).unwrap(), "{other:?}");
    }
    assert_eq!(store.timers("acme", "t-1").unwrap().len(), 1);
    assert!(
        store
            .remove_timer(&timer("acme", "t-1", "sla", "y", 30))
            .unwrap()
    );
    assert!(store.timers("acme", "t-1").unwrap().is_empty());
}

fn a_due_timer_fires_once_into_a_pending_event_for_its_plugin(store: &dyn Store) {
    accept(store, "acme", &event("e-1", None), 0);
    let x = timer("acme", "t-1", "sla", "x", 10);
    let y = timer("acme", "t-1", "triage", "x", 10);
    change_timers(store, "acme", "t-1", set(&[&x, &y]));
    let due = store.due_timers(at(10), 10).unwrap();
    let read_x = due.iter().find(|t| t.plugin == "sla").unwrap();
    let fired_event = fired(read_x);
    let stored = store
        .fire_timer(read_x, &fired_event, at(11))
        .unwrap()
        .expect("fires");
    assert_eq!(stored.tenant, "acme");
    assert_eq!(stored.event, fired_event);
    assert_eq!(stored.received_at, at(11));
    assert_eq!(stored.target_plugin.as_deref(), Some("sla"));
    assert_eq!(stored.seq, 3, "the tenant's next seq");
    let pending = pending_of(store, "acme");
    assert_eq!(pending.last(), Some(&stored), "stored pending");
    assert_eq!(store.timers("acme", "t-1").unwrap(), [y], "removed");
    // Once.
    assert_eq!(
        store.fire_timer(read_x, &fired(read_x), at(12)).unwrap(),
        None
    );
    assert_eq!(
        pending_of(store, "acme").len(),
        pending.len(),
        "nothing changed"
    );
}

fn a_moved_or_cancelled_timer_does_not_fire(store: &dyn Store) {
    let read = timer("acme", "t-1", "sla", "x", 10);
    change_timers(store, "acme", "t-1", set(&[&read]));
    // Moved after it was read.
    let moved = timer("acme", "t-1", "sla", "x", 50);
    change_timers(store, "acme", "t-1", set(&[&moved]));
    let before = store.pending_events().unwrap();
    assert_eq!(
        store.fire_timer(&read, &fired(&read), at(10)).unwrap(),
        None
    );
    assert_eq!(store.pending_events().unwrap(), before, "nothing stored");
    assert_eq!(
        store.timers("acme", "t-1").unwrap(),
        std::slice::from_ref(&moved),
        "nothing removed"
    );
    // Cancelled after it was read.
    change_timers(
        store,
        "acme",
        "t-1",
        vec![TimerChange::Cancel {
            plugin: "sla".to_string(),
            name: "x".to_string(),
        }],
    );
    let before = store.pending_events().unwrap();
    assert_eq!(
        store.fire_timer(&moved, &fired(&moved), at(50)).unwrap(),
        None
    );
    assert_eq!(store.pending_events().unwrap(), before);
}

fn a_schedule_tick_moves_its_mark_and_stores_its_event_for_the_plugin(store: &dyn Store) {
    assert_eq!(store.schedule_mark("acme", "sla", "nightly").unwrap(), None);
    let first = tick("nightly", 60);
    let stored = store
        .fire_tick("acme", "sla", "nightly", at(60), Some(&first), at(61))
        .unwrap()
        .expect("an event given is stored");
    assert_eq!(stored.tenant, "acme");
    assert_eq!(stored.event, first);
    assert_eq!(stored.received_at, at(61));
    assert_eq!(stored.target_plugin.as_deref(), Some("sla"));
    assert_eq!(stored.seq, 1);
    assert_eq!(pending_of(store, "acme"), [stored]);
    assert_eq!(
        store.schedule_mark("acme", "sla", "nightly").unwrap(),
        Some(at(60))
    );
    // The mark alone (the moment a schedule started, a tick not run).
    assert_eq!(
        store
            .fire_tick("acme", "sla", "nightly", at(120), None, at(121))
            .unwrap(),
        None
    );
    assert_eq!(
        store.schedule_mark("acme", "sla", "nightly").unwrap(),
        Some(at(120))
    );
    assert_eq!(pending_of(store, "acme").len(), 1, "no event stored");
    // Per schedule, plugin and tenant.
    assert_eq!(store.schedule_mark("acme", "sla", "hourly").unwrap(), None);
    assert_eq!(
        store.schedule_mark("acme", "triage", "nightly").unwrap(),
        None
    );
    assert_eq!(
        store.schedule_mark("globex", "sla", "nightly").unwrap(),
        None
    );
    let next = store
        .fire_tick(
            "acme",
            "sla",
            "hourly",
            at(61),
            Some(&tick("hourly", 61)),
            at(61),
        )
        .unwrap()
        .unwrap();
    assert_eq!(next.seq, 2);
}

fn clearing_schedule_marks_forgets_only_that_plugins(store: &dyn Store) {
    for (tenant, plugin, schedule) in [
        ("acme", "sla", "nightly"),
        ("acme", "sla", "hourly"),
        ("acme", "sla-2", "nightly"),
        ("acme", "triage", "nightly"),
        ("globex", "sla", "nightly"),
    ] {
        store
            .fire_tick(tenant, plugin, schedule, at(60), None, at(60))
            .unwrap();
    }
    store.clear_schedule_marks("acme", "sla").unwrap();
    assert_eq!(store.schedule_mark("acme", "sla", "nightly").unwrap(), None);
    assert_eq!(store.schedule_mark("acme", "sla", "hourly").unwrap(), None);
    for (tenant, plugin) in [("acme", "sla-2"), ("acme", "triage"), ("globex", "sla")] {
        assert_eq!(
            store.schedule_mark(tenant, plugin, "nightly").unwrap(),
            Some(at(60)),
            "{tenant}/{plugin}"
        );
    }
    // Afresh: the next mark is whatever is set next.
    store
        .fire_tick("acme", "sla", "nightly", at(5), None, at(5))
        .unwrap();
    assert_eq!(
        store.schedule_mark("acme", "sla", "nightly").unwrap(),
        Some(at(5))
    );
}

// ---------------------------------------------------------------------------------
// Tickets.
// ---------------------------------------------------------------------------------

fn a_committed_ticket_reads_back_whole(store: &dyn Store) {
    let full: Ticket = serde_json::from_value(json!({
        "id": "t-1",
        "external_id": "ZD-7",
        "adapter": "zendesk",
        "channel": "whatsapp",
        "requester": {
            "name": "Zoé Durand",
            "identities": [
                {"kind": "email", "value": "Zoe@Example.fr"},
                {"kind": "whatsapp", "value": "+33600000000"}
            ],
            "language": "fr"
        },
        "subject": "Remboursement « urgent »",
        "status": "waiting_on_agent",
        "priority": "urgent",
        "assignee": "ana",
        "group": "billing",
        "tags": ["vip", "refund"],
        "fields": [
            {"name": "order", "value": {"text": "A-1"}},
            {"name": "amount", "value": {"number": 4200}},
            {"name": "fraud", "value": {"flag": false}},
            {"name": "promised", "value": {"time": at(90)}}
        ],
        "created_at": at(1),
        "updated_at": at(9),
        "first_agent_response_at": at(3),
        "last_requester_message_at": at(2),
        "last_agent_message_at": at(3),
        "messages": [
            {"id": "m-1", "author_role": "requester", "channel": "whatsapp",
             "body": "Bonjour,\nje voudrais être remboursée 💶", "created_at": at(1)},
            {"id": "m-2", "author_role": "agent", "author": "ana", "channel": "whatsapp",
             "body": "", "public": false, "created_at": at(3), "merged_from": "t-0"}
        ],
        "status_changed_at": at(4),
        "assignment_changed_at": at(5),
        "priority_changed_at": at(6),
        "channel_changed_at": at(7),
        "fields_changed_at": {"order": at(8)},
        "tags_changed_at": {"vip": at(8), "refund": at(9)}
    }))
    .unwrap();
    save(store, "acme", &full);
    assert_eq!(store.ticket("acme", "t-1").unwrap(), Some(full));
    assert_eq!(store.ticket("globex", "t-1").unwrap(), None);
    assert_eq!(store.ticket("acme", "T-1").unwrap(), None);
}

fn tickets_are_filtered_by_status_group_assignee_and_requester_in_id_order(store: &dyn Store) {
    let with = |id: &str, status: TicketStatus, group: &str, assignee: &str, email: &str| {
        let mut t = ticket(id, 1, status, &[("email", email)]);
        t.group = (!group.is_empty()).then(|| group.to_string());
        t.assignee = (!assignee.is_empty()).then(|| assignee.to_string());
        t
    };
    // Saved out of order; ids in byte order: `T-9` < `t-1` < `t-10` < `t-2` < `t-3`.
    for t in [
        with(
            "t-3",
            TicketStatus::Open,
            "billing",
            "ana",
            "zoe@example.fr",
        ),
        with("t-1", TicketStatus::Solved, "billing", "", "Zoe@Example.FR"),
        with("T-9", TicketStatus::Open, "sales", "bob", "max@example.fr"),
        with("t-2", TicketStatus::Open, "", "ana", "max@example.fr"),
        with(
            "t-10",
            TicketStatus::New,
            "billing",
            "bob",
            "zoe@example.fr",
        ),
    ] {
        save(store, "acme", &t);
    }
    save(
        store,
        "acme-2",
        &with(
            "t-0",
            TicketStatus::Open,
            "billing",
            "ana",
            "zoe@example.fr",
        ),
    );
    let list = |filter: TicketFilter| -> Vec<String> {
        store
            .tickets("acme", &filter)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    assert_eq!(
        list(TicketFilter::default()),
        ["T-9", "t-1", "t-10", "t-2", "t-3"],
        "every ticket of the tenant, in id (byte) order"
    );
    assert_eq!(
        list(TicketFilter {
            status: Some(TicketStatus::Open),
            ..Default::default()
        }),
        ["T-9", "t-2", "t-3"]
    );
    assert_eq!(
        list(TicketFilter {
            group: Some("billing".to_string()),
            ..Default::default()
        }),
        ["t-1", "t-10", "t-3"]
    );
    assert_eq!(
        list(TicketFilter {
            assignee: Some("ana".to_string()),
            ..Default::default()
        }),
        ["t-2", "t-3"]
    );
    assert_eq!(
        list(TicketFilter {
            requester: Some("zoe@example.fr".to_string()),
            ..Default::default()
        }),
        ["t-1", "t-10", "t-3"],
        "an identity value, without ASCII case"
    );
    assert_eq!(
        list(TicketFilter {
            status: Some(TicketStatus::Open),
            group: Some("billing".to_string()),
            assignee: Some("ana".to_string()),
            requester: Some("ZOE@example.fr".to_string()),
            limit: None,
        }),
        ["t-3"],
        "every condition at once"
    );
    assert!(
        list(TicketFilter {
            group: Some("bill".to_string()),
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        store
            .tickets("acme-2", &TicketFilter::default())
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .tickets("acme-", &TicketFilter::default())
            .unwrap()
            .is_empty()
    );
}

fn a_ticket_listing_stops_at_its_limit_of_matches(store: &dyn Store) {
    for (id, status) in [
        ("t-1", TicketStatus::Solved),
        ("t-2", TicketStatus::Open),
        ("t-3", TicketStatus::Solved),
        ("t-4", TicketStatus::Open),
        ("t-5", TicketStatus::Open),
    ] {
        save(store, "acme", &ticket(id, 1, status, &[]));
    }
    let list = |status: Option<TicketStatus>, limit: usize| -> Vec<String> {
        store
            .tickets(
                "acme",
                &TicketFilter {
                    status,
                    limit: Some(limit),
                    ..Default::default()
                },
            )
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    assert_eq!(list(None, 2), ["t-1", "t-2"]);
    assert_eq!(
        list(Some(TicketStatus::Open), 2),
        ["t-2", "t-4"],
        "the first two that match"
    );
    assert!(list(None, 0).is_empty());
    assert_eq!(list(None, 10_000).len(), 5);
}

fn recent_tickets_are_newest_first_from_since_up_to_a_limit(store: &dyn Store) {
    for (id, minute) in [
        ("t-1", 1),
        ("t-2", 2),
        ("t-3b", 3),
        ("t-3a", 3),
        ("t-30", 3),
        ("t-3", 3),
        ("T-3", 3),
        ("t-4", 4),
    ] {
        save(store, "acme", &ticket(id, minute, TicketStatus::New, &[]));
    }
    save(store, "acme-2", &ticket("other", 5, TicketStatus::New, &[]));
    let recent = |since: i64, limit: usize| -> Vec<String> {
        store
            .recent_tickets("acme", at(since), limit)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    // Newest first; the tickets of one moment in id (byte) order, an id before the
    // longer ids it begins; `since` included.
    assert_eq!(
        recent(2, 10),
        ["t-4", "T-3", "t-3", "t-30", "t-3a", "t-3b", "t-2"]
    );
    assert_eq!(recent(0, 3), ["t-4", "T-3", "t-3"]);
    assert_eq!(recent(3, 100).len(), 6);
    assert!(recent(5, 10).is_empty());
    assert!(recent(0, 0).is_empty());
    // Solved or not: every ticket.
    save(store, "acme", &ticket("t-4", 4, TicketStatus::Closed, &[]));
    assert_eq!(recent(4, 10), ["t-4"]);
    assert_eq!(
        store.recent_tickets("acme", at(4), 10).unwrap()[0].status,
        TicketStatus::Closed,
        "as it stands now"
    );
    assert_eq!(
        ids(&store.recent_tickets("acme-2", at(0), 10).unwrap()),
        ["other"]
    );
    assert!(store.recent_tickets("acm", at(0), 10).unwrap().is_empty());
}

fn a_ticket_whose_creation_time_changes_moves_in_the_recent_tickets(store: &dyn Store) {
    for (id, minute) in [("t-1", 1), ("t-2", 2), ("t-4", 4)] {
        save(store, "acme", &ticket(id, minute, TicketStatus::New, &[]));
    }
    save(store, "acme", &ticket("t-1", 10, TicketStatus::Open, &[]));
    let recent = |since: i64| -> Vec<String> {
        store
            .recent_tickets("acme", at(since), 10)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    assert_eq!(recent(4), ["t-1", "t-4"]);
    assert_eq!(recent(0), ["t-1", "t-4", "t-2"], "once, at its new time");
}

fn open_tickets_are_found_by_identity_with_emails_compared_without_case(store: &dyn Store) {
    let zoe = identity(IdentityKind::Email, "zoe@example.fr");
    let phone = identity(IdentityKind::Phone, "+33600000000");
    let open_of = |tenant: &str, who: &Identity, limit: usize| -> Vec<String> {
        store
            .open_tickets_of(tenant, who, limit)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    save(
        store,
        "acme",
        &ticket(
            "t-1",
            1,
            TicketStatus::New,
            &[
                ("email", "Zoe@Example.FR"),
                ("phone", "+33600000000"),
                ("email", "zoe@example.fr"),
            ],
        ),
    );
    save(
        store,
        "acme",
        &ticket(
            "t-2",
            2,
            TicketStatus::WaitingOnAgent,
            &[("email", "zoe@example.fr")],
        ),
    );
    // Two of the same moment: in id order.
    save(
        store,
        "acme",
        &ticket(
            "t-3b",
            3,
            TicketStatus::OnHold,
            &[("email", "ZOE@EXAMPLE.FR")],
        ),
    );
    save(
        store,
        "acme",
        &ticket(
            "t-3a",
            3,
            TicketStatus::WaitingOnRequester,
            &[("email", "zoe@example.fr")],
        ),
    );
    save(
        store,
        "acme",
        &ticket(
            "t-5",
            5,
            TicketStatus::Closed,
            &[("email", "zoe@example.fr")],
        ),
    );
    save(
        store,
        "acme-2",
        &ticket("t-9", 9, TicketStatus::New, &[("email", "zoe@example.fr")]),
    );

    assert_eq!(
        open_of("acme", &zoe, 50),
        ["t-3a", "t-3b", "t-2", "t-1"],
        "newest first, ties in id order, each once"
    );
    assert_eq!(
        open_of("acme", &identity(IdentityKind::Email, "ZOE@example.fr"), 50),
        ["t-3a", "t-3b", "t-2", "t-1"]
    );
    assert_eq!(open_of("acme", &zoe, 2), ["t-3a", "t-3b"]);
    assert!(open_of("acme", &zoe, 0).is_empty());
    // Other kinds compare exactly, and a value of another kind is no match.
    assert_eq!(open_of("acme", &phone, 50), ["t-1"]);
    assert!(
        open_of(
            "acme",
            &identity(IdentityKind::Whatsapp, "+33600000000"),
            50
        )
        .is_empty()
    );
    assert!(
        open_of(
            "acme",
            &identity(IdentityKind::External, "zoe@example.fr"),
            50
        )
        .is_empty()
    );
    assert!(open_of("acme", &identity(IdentityKind::Email, "zoe@example"), 50).is_empty());
    assert!(
        open_of(
            "acme",
            &identity(IdentityKind::Email, "zoe@example.fr2"),
            50
        )
        .is_empty()
    );
    save(
        store,
        "acme",
        &ticket(
            "t-6",
            6,
            TicketStatus::New,
            &[("external", "Ana"), ("external", "ana")],
        ),
    );
    assert_eq!(
        open_of("acme", &identity(IdentityKind::External, "Ana"), 50),
        ["t-6"]
    );
    assert!(open_of("acme", &identity(IdentityKind::External, "ANA"), 50).is_empty());
    // Another tenant's ticket with the same identity stays its own.
    assert_eq!(open_of("acme-2", &zoe, 50), ["t-9"]);
    assert!(open_of("acm", &zoe, 50).is_empty());
}

fn a_ticket_leaves_the_open_tickets_once_solved_closed_or_merged(store: &dyn Store) {
    let zoe = identity(IdentityKind::Email, "zoe@example.fr");
    let open_of = || -> Vec<String> {
        store
            .open_tickets_of("acme", &zoe, 50)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    let mut t1 = ticket("t-1", 1, TicketStatus::New, &[("email", "zoe@example.fr")]);
    save(store, "acme", &t1);
    save(
        store,
        "acme",
        &ticket("t-2", 2, TicketStatus::Open, &[("email", "zoe@example.fr")]),
    );
    for status in [
        TicketStatus::Solved,
        TicketStatus::Closed,
        TicketStatus::Merged,
    ] {
        t1.status = status;
        save(store, "acme", &t1);
        assert_eq!(open_of(), ["t-2"], "{status:?}");
        t1.status = TicketStatus::Open;
        save(store, "acme", &t1);
        assert_eq!(open_of(), ["t-2", "t-1"], "reopened after {status:?}");
    }
    for status in [
        TicketStatus::New,
        TicketStatus::WaitingOnRequester,
        TicketStatus::WaitingOnAgent,
        TicketStatus::OnHold,
    ] {
        t1.status = status;
        save(store, "acme", &t1);
        assert_eq!(open_of(), ["t-2", "t-1"], "{status:?}");
        assert_eq!(
            store.open_tickets_of("acme", &zoe, 50).unwrap()[1].status,
            status,
            "as it stands now"
        );
    }
}

fn open_tickets_follow_the_requesters_identity_changes(store: &dyn Store) {
    let zoe = identity(IdentityKind::Email, "zoe@example.fr");
    let phone = identity(IdentityKind::Phone, "+33600000000");
    let wa = identity(IdentityKind::Whatsapp, "+33611111111");
    let open_of = |who: &Identity| -> Vec<String> {
        store
            .open_tickets_of("acme", who, 50)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    let mut t1 = ticket(
        "t-1",
        1,
        TicketStatus::Open,
        &[("email", "zoe@example.fr"), ("phone", "+33600000000")],
    );
    save(store, "acme", &t1);
    save(
        store,
        "acme",
        &ticket("t-2", 2, TicketStatus::Open, &[("email", "zoe@example.fr")]),
    );
    assert_eq!(open_of(&phone), ["t-1"]);
    // The identities change: the old ones no longer find it, the new ones do.
    t1.requester.identities = vec![wa.clone()];
    save(store, "acme", &t1);
    assert_eq!(open_of(&zoe), ["t-2"]);
    assert!(open_of(&phone).is_empty());
    assert_eq!(open_of(&wa), ["t-1"]);
    // One added back.
    t1.requester.identities.push(zoe.clone());
    save(store, "acme", &t1);
    assert_eq!(open_of(&zoe), ["t-2", "t-1"]);
    assert_eq!(open_of(&wa), ["t-1"]);
    // None left.
    t1.requester.identities.clear();
    save(store, "acme", &t1);
    assert!(open_of(&wa).is_empty());
    assert_eq!(open_of(&zoe), ["t-2"]);
}

// ---------------------------------------------------------------------------------
// The outbox.
// ---------------------------------------------------------------------------------

fn webhooks_are_kept_read_listed_and_deleted_per_tenant(store: &dyn Store) {
    assert_eq!(store.webhook("acme", "crm").unwrap(), None);
    for name in ["crm", "slack"] {
        store.put_webhook("acme", &webhook(name)).unwrap();
    }
    store.put_webhook("globex", &webhook("crm")).unwrap();
    assert_eq!(store.webhook("acme", "crm").unwrap(), Some(webhook("crm")));
    let names = |tenant: &str| -> Vec<String> {
        sorted(
            store
                .webhooks(tenant)
                .unwrap()
                .into_iter()
                .map(|w| w.name)
                .collect(),
        )
    };
    assert_eq!(names("acme"), ["crm", "slack"]);
    assert_eq!(names("globex"), ["crm"]);
    assert!(names("acm").is_empty());
    // Replaced under its name.
    let mut moved = webhook("crm");
    moved.url = "https://hooks.example/v2/crm".to_string();
    store.put_webhook("acme", &moved).unwrap();
    assert_eq!(store.webhook("acme", "crm").unwrap(), Some(moved));
    assert_eq!(names("acme"), ["crm", "slack"]);
    assert!(store.delete_webhook("acme", "crm").unwrap());
    assert!(!store.delete_webhook("acme", "crm").unwrap());
    assert!(!store.delete_webhook("acme", "nothing").unwrap());
    assert_eq!(store.webhook("acme", "crm").unwrap(), None);
    assert_eq!(names("acme"), ["slack"]);
    assert_eq!(
        store.webhook("globex", "crm").unwrap(),
        Some(webhook("crm")),
        "another tenant's of the same name stays"
    );
}

fn due_deliveries_come_in_due_order_up_to_a_time(store: &dyn Store) {
    assert!(store.due_outbox(at(1000), None, 10).unwrap().is_empty());
    queue(
        store,
        "acme",
        &[
            delivery("acme", "1-crm", "crm", 10),
            delivery("acme", "2-crm", "crm", 5),
            delivery("acme", "3-slack", "slack", 30),
            delivery("acme", "0-slack", "slack", 10),
        ],
    );
    queue(store, "globex", &[delivery("globex", "1-crm", "crm", 10)]);
    queue(store, "acme-2", &[delivery("acme-2", "1-crm", "crm", 10)]);
    assert_eq!(
        item_keys(&store.due_outbox(at(10), None, 10).unwrap()),
        [
            ("acme", "2-crm"),
            ("acme", "0-slack"),
            ("acme", "1-crm"),
            ("acme-2", "1-crm"),
            ("globex", "1-crm"),
        ],
        "due time, then tenant and id; up to the time included"
    );
    assert_eq!(
        item_keys(&store.due_outbox(at(9), None, 10).unwrap()),
        [("acme", "2-crm")]
    );
    assert!(store.due_outbox(at(4), None, 10).unwrap().is_empty());
    assert_eq!(store.due_outbox(at(30), None, 10).unwrap().len(), 6);
    assert_eq!(
        item_keys(&store.due_outbox(at(30), None, 2).unwrap()),
        [("acme", "2-crm"), ("acme", "0-slack")]
    );
    assert!(store.due_outbox(at(30), None, 0).unwrap().is_empty());
    assert_eq!(store.outbox_backlog().unwrap(), 6);
}

fn due_deliveries_page_on_after_an_item_up_to_a_limit(store: &dyn Store) {
    queue(
        store,
        "acme",
        &[
            delivery("acme", "1-a", "a", 1),
            delivery("acme", "2-a", "a", 2),
            delivery("acme", "3-a", "a", 2),
            delivery("acme", "4-a", "a", 3),
            delivery("acme", "5-a", "a", 50),
        ],
    );
    queue(store, "globex", &[delivery("globex", "1-a", "a", 2)]);
    let mut pages = Vec::new();
    let mut after: Option<OutboxItem> = None;
    loop {
        let page = store.due_outbox(at(10), after.as_ref(), 2).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        after = page.last().cloned();
        pages.push(
            page.iter()
                .map(|i| format!("{}/{}", i.tenant, i.id))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        pages,
        [
            vec!["acme/1-a", "acme/2-a"],
            vec!["acme/3-a", "globex/1-a"],
            vec!["acme/4-a"],
        ]
    );
    // After the last one due: nothing more.
    let last = store.due_outbox(at(10), None, 10).unwrap().pop().unwrap();
    assert!(
        store
            .due_outbox(at(10), Some(&last), 10)
            .unwrap()
            .is_empty()
    );
}

fn a_failed_delivery_moves_to_its_new_due_time(store: &dyn Store) {
    let item = delivery("acme", "1-crm", "crm", 10);
    queue(
        store,
        "acme",
        &[item.clone(), delivery("acme", "2-crm", "crm", 20)],
    );
    let mut failed = item.clone();
    failed.attempts = 1;
    failed.next_attempt_at = at(50);
    failed.last_error = Some("503 Service Unavailable".to_string());
    store.update_outbox(&failed).unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 2, "the same delivery");
    assert!(
        store.due_outbox(at(10), None, 10).unwrap().is_empty(),
        "no longer due at its old time"
    );
    assert_eq!(
        item_keys(&store.due_outbox(at(50), None, 10).unwrap()),
        [("acme", "2-crm"), ("acme", "1-crm")],
        "due at its new time, once"
    );
    assert_eq!(
        store.due_outbox(at(50), None, 10).unwrap()[1],
        failed,
        "as replaced"
    );
    // Moved earlier again.
    let mut sooner = failed.clone();
    sooner.attempts = 2;
    sooner.next_attempt_at = at(15);
    store.update_outbox(&sooner).unwrap();
    assert_eq!(store.due_outbox(at(15), None, 10).unwrap(), [sooner]);
    assert_eq!(store.due_outbox(at(100), None, 10).unwrap().len(), 2);
}

fn a_delivered_item_leaves_the_outbox_and_the_backlog(store: &dyn Store) {
    queue(
        store,
        "acme",
        &[
            delivery("acme", "1-crm", "crm", 10),
            delivery("acme", "2-crm", "crm", 10),
        ],
    );
    queue(store, "globex", &[delivery("globex", "1-crm", "crm", 10)]);
    assert_eq!(store.outbox_backlog().unwrap(), 3);
    store.remove_outbox("acme", "1-crm").unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 2);
    assert_eq!(
        item_keys(&store.due_outbox(at(10), None, 10).unwrap()),
        [("acme", "2-crm"), ("globex", "1-crm")],
        "another tenant's of the same id stays"
    );
    // Removing what is not there counts nothing.
    store.remove_outbox("acme", "1-crm").unwrap();
    store.remove_outbox("acme", "9-crm").unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 2);
    store.remove_outbox("acme", "2-crm").unwrap();
    store.remove_outbox("globex", "1-crm").unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 0);
    assert!(store.due_outbox(at(1000), None, 10).unwrap().is_empty());
}

fn a_dead_letter_leaves_the_outbox_and_is_replayed_due_now_with_attempts_reset(store: &dyn Store) {
    let item = delivery("acme", "1-crm", "crm", 10);
    queue(
        store,
        "acme",
        &[item.clone(), delivery("acme", "2-crm", "crm", 10)],
    );
    assert!(store.dead_letters("acme").unwrap().is_empty());
    let mut given_up = item.clone();
    given_up.attempts = 8;
    given_up.next_attempt_at = at(70);
    given_up.last_error = Some("410 Gone".to_string());
    store.dead_letter(&given_up).unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 1, "left the outbox");
    assert_eq!(
        item_keys(&store.due_outbox(at(1000), None, 10).unwrap()),
        [("acme", "2-crm")]
    );
    assert_eq!(store.dead_letters("acme").unwrap(), [given_up.clone()]);
    assert!(store.dead_letters("globex").unwrap().is_empty());
    assert!(store.dead_letters("acm").unwrap().is_empty());

    assert_eq!(
        store
            .replay_dead_letter("globex", "1-crm", at(100))
            .unwrap(),
        None,
        "not globex's"
    );
    assert_eq!(
        store.replay_dead_letter("acme", "9-crm", at(100)).unwrap(),
        None
    );
    let replayed = store
        .replay_dead_letter("acme", "1-crm", at(100))
        .unwrap()
        .expect("acme's dead letter");
    assert_eq!(replayed.attempts, 0);
    assert_eq!(replayed.next_attempt_at, at(100), "due now");
    assert_eq!(
        (
            replayed.id.as_str(),
            replayed.tenant.as_str(),
            replayed.webhook.as_str()
        ),
        ("1-crm", "acme", "crm")
    );
    assert_eq!(replayed.body, item.body);
    assert!(store.dead_letters("acme").unwrap().is_empty(), "moved back");
    assert_eq!(store.outbox_backlog().unwrap(), 2);
    assert_eq!(
        item_keys(&store.due_outbox(at(100), None, 10).unwrap()),
        [("acme", "2-crm"), ("acme", "1-crm")]
    );
    assert_eq!(store.due_outbox(at(100), None, 10).unwrap()[1], replayed);
    assert!(store.due_outbox(at(99), None, 10).unwrap().len() == 1);
    assert_eq!(
        store.replay_dead_letter("acme", "1-crm", at(101)).unwrap(),
        None,
        "replayed already"
    );
}

// ---------------------------------------------------------------------------------
// KPI facts.
// ---------------------------------------------------------------------------------

fn kpi_facts_are_read_by_time_range_in_time_order(store: &dyn Store) {
    let hour = |h: i64| h * 60;
    let created = fact("t-1", hour(1), FactKind::Created);
    let mut joined = fact("t-1", hour(1), backlog(1, 1));
    joined.agent = Some("ana".into());
    let resolved = fact("t-1", hour(30), FactKind::Resolved { since: at(hour(1)) });
    let other = fact("t-2", hour(5), FactKind::Call { missed: true });
    let late = fact("t-3", hour(75), FactKind::Created);
    // Committed out of time order, across events.
    record_facts(store, "acme", vec![resolved.clone(), late.clone()]);
    record_facts(store, "acme", vec![created.clone(), joined.clone()]);
    record_facts(store, "acme", vec![other.clone()]);
    record_facts(
        store,
        "globex",
        vec![fact("t-1", hour(2), FactKind::Created)],
    );
    let facts = |from: i64, until: i64| {
        store
            .kpi_facts("acme", at(hour(from)), at(hour(until)))
            .unwrap()
    };
    let all = facts(0, 100);
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
    assert_eq!(all[2..], [other.clone(), resolved.clone(), late.clone()]);
    // The two facts of hour 1, whole, in any order between them.
    let mut first_two = all[..2].to_vec();
    first_two.sort_by_key(|f| matches!(f.kind, FactKind::Created));
    assert_eq!(first_two, [joined, created]);
    assert_eq!(facts(5, 30), [other], "from included, until excluded");
    assert!(facts(31, 75).is_empty());
    assert_eq!(facts(75, 76), [late]);
    assert_eq!(
        store
            .kpi_facts("globex", at(0), at(hour(100)))
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .kpi_facts("acm", at(0), at(hour(100)))
            .unwrap()
            .is_empty()
    );
}

fn the_kpi_backlog_at_a_moment_sums_the_backlog_facts_before_it(store: &dyn Store) {
    let hour = |h: i64| h * 60;
    // Day 0 (from 2026-11-23 09:00 UTC), hours 1 and 5; day 1, hours 25 and 30;
    // day 3, hour 75.
    record_facts(
        store,
        "acme",
        vec![
            fact("t-1", hour(1), backlog(1, 1)),
            fact("t-1", hour(5), FactKind::Created),
        ],
    );
    record_facts(
        store,
        "acme",
        vec![
            fact("t-2", hour(25), backlog(1, 1)),
            fact("t-1", hour(30), backlog(-1, 0)),
        ],
    );
    record_facts(store, "acme", vec![fact("t-3", hour(75), backlog(1, 1))]);
    record_facts(
        store,
        "globex",
        vec![
            fact("t-1", hour(2), backlog(1, 1)),
            fact("t-2", hour(26), backlog(1, 0)),
        ],
    );
    let at_hour = |h: i64| store.kpi_backlog_at("acme", at(hour(h))).unwrap();
    let sums = |unsolved, awaiting| Backlog { unsolved, awaiting };
    assert_eq!(at_hour(0), Backlog::default());
    assert_eq!(
        at_hour(1),
        Backlog::default(),
        "a fact at the moment itself is after it"
    );
    assert_eq!(at_hour(2), sums(1, 1));
    assert_eq!(at_hour(26), sums(2, 2));
    assert_eq!(at_hour(31), sums(1, 2));
    assert_eq!(at_hour(74), sums(1, 2));
    assert_eq!(at_hour(100), sums(2, 3));
    assert_eq!(
        store.kpi_backlog_at("globex", at(hour(100))).unwrap(),
        sums(2, 1)
    );
    assert_eq!(
        store.kpi_backlog_at("acm", at(hour(100))).unwrap(),
        Backlog::default()
    );
}

fn sla_breaches_are_read_by_ticket_and_metric(store: &dyn Store) {
    let breach = |ticket: &str, minute: i64, metric: &str| {
        fact(
            ticket,
            minute,
            FactKind::SlaBreach {
                metric: metric.to_string(),
            },
        )
    };
    record_facts(
        store,
        "acme",
        vec![
            breach("t-1", 30, "next_reply"),
            breach("t-1", 10, "next_reply"),
            breach("t-1", 20, "first_reply"),
        ],
    );
    record_facts(store, "acme", vec![breach("t-1", 50, "next_reply")]);
    record_facts(store, "acme", vec![breach("t-10", 15, "next_reply")]);
    record_facts(store, "globex", vec![breach("t-1", 12, "next_reply")]);
    let breaches = |tenant: &str, ticket: &str, metric: &str, from: i64, until: i64| {
        store
            .kpi_breaches(tenant, ticket, metric, at(from), at(until))
            .unwrap()
    };
    assert_eq!(
        breaches("acme", "t-1", "next_reply", 0, 100),
        [at(10), at(30), at(50)],
        "in order"
    );
    assert_eq!(
        breaches("acme", "t-1", "next_reply", 10, 50),
        [at(10), at(30)],
        "from included, until excluded"
    );
    assert_eq!(breaches("acme", "t-1", "first_reply", 0, 100), [at(20)]);
    assert_eq!(breaches("acme", "t-10", "next_reply", 0, 100), [at(15)]);
    assert_eq!(breaches("globex", "t-1", "next_reply", 0, 100), [at(12)]);
    assert!(breaches("acme", "t-1", "resolution", 0, 100).is_empty());
    assert!(breaches("acme", "t-", "next_reply", 0, 100).is_empty());
    assert!(breaches("acme", "t-1", "next", 0, 100).is_empty());
}

// ---------------------------------------------------------------------------------
// Tenants apart.
// ---------------------------------------------------------------------------------

/// Tenant `acme` has one of everything; tenants whose ids begin or extend its id
/// (`acm`, `acme-2`) and an unrelated one read none of it.
fn another_tenant_reads_none_of_a_tenants_records(store: &dyn Store) {
    let address = "ab".repeat(32);
    store.put_plugin("acme", &adapter("wa", &address)).unwrap();
    store
        .add_plugin_version("acme", "wa", &version("a"))
        .unwrap();
    store.put_webhook("acme", &webhook("crm")).unwrap();
    store.put_token(&token("tk-1", "acme")).unwrap();
    let zoe = identity(IdentityKind::Email, "zoe@example.fr");
    let t = ticket("t-1", 1, TicketStatus::Open, &[("email", "zoe@example.fr")]);
    store
        .enqueue_event("acme", &event("e-1", None), Some("key-1"), at(1))
        .unwrap();
    store
        .enqueue_inbound(
            "acme",
            &InboundDelivery {
                adapter: "wa".to_string(),
                delivery_id: Some("d-1".to_string()),
                groups: vec![InboundGroup {
                    id: "wa:m1".to_string(),
                    events: vec![event("wa:m1", None)],
                    link: Some(("identity:336".to_string(), "t-1".to_string())),
                }],
                storage_writes: Vec::new(),
            },
            at(1),
        )
        .unwrap();
    store
        .record_inbound_refusal("acme", "wa", &refusal(1, "rejected"))
        .unwrap();
    process(store, "acme", |c| {
        c.ticket = Some(t.clone());
        c.audit = vec![audit_record("t-1", "sla", c.seq, "a")];
        c.timers = set(&[&timer("acme", "t-1", "sla", "x", 10)]);
        c.plugin_writes = writes_of(&[("sla", "k", Some("v"))]);
        c.outbox = vec![delivery("acme", "1-crm", "crm", 10)];
        c.kpi = vec![
            fact("t-1", 1, backlog(1, 1)),
            fact(
                "t-1",
                2,
                FactKind::SlaBreach {
                    metric: "first_reply".to_string(),
                },
            ),
        ];
        c.shadow = vec![shadow_record(
            "sla~shadow~r1",
            None,
            diff("e", Some("a"), Some("b")),
        )];
    });
    let dead = delivery("acme", "0-crm", "crm", 10);
    queue(store, "acme", std::slice::from_ref(&dead));
    store.dead_letter(&dead).unwrap();
    store
        .fire_tick("acme", "sla", "nightly", at(60), None, at(60))
        .unwrap();

    for other in ["acm", "acme-2", "globex"] {
        assert_eq!(store.tenant(other).unwrap(), None);
        assert!(store.tokens(other).unwrap().is_empty(), "{other}");
        assert!(!store.delete_token(other, "tk-1").unwrap(), "{other}");
        assert_eq!(store.plugin(other, "wa").unwrap(), None, "{other}");
        assert!(store.plugins(other).unwrap().is_empty(), "{other}");
        assert!(!store.delete_plugin(other, "wa").unwrap(), "{other}");
        assert!(
            store.plugin_versions(other, "wa").unwrap().is_empty(),
            "{other}"
        );
        assert_eq!(
            store.plugin_version(other, "wa", 1).unwrap(),
            None,
            "{other}"
        );
        assert!(
            store
                .shadow_diffs(other, "sla~shadow~r1", 0, 10)
                .unwrap()
                .is_empty(),
            "{other}"
        );
        assert_eq!(
            store.plugin_storage_get(other, "sla", "k").unwrap(),
            None,
            "{other}"
        );
        assert!(
            store
                .plugin_storage_keys(other, "sla", "", 10)
                .unwrap()
                .is_empty(),
            "{other}"
        );
        assert_eq!(
            store.plugin_storage_count(other, "sla").unwrap(),
            0,
            "{other}"
        );
        assert!(!store.event_seen(other, "e-1").unwrap(), "{other}");
        assert!(!store.event_seen(other, "wa:m1").unwrap(), "{other}");
        assert_eq!(
            store.linked_ticket(other, "wa", "identity:336").unwrap(),
            None,
            "{other}"
        );
        assert!(
            store.inbound_refusals(other, "wa").unwrap().is_empty(),
            "{other}"
        );
        assert!(
            store
                .recorded_events(other, at(0), at(1000), 0, 10)
                .unwrap()
                .is_empty(),
            "{other}"
        );
        assert!(store.timers(other, "t-1").unwrap().is_empty(), "{other}");
        assert_eq!(
            store.schedule_mark(other, "sla", "nightly").unwrap(),
            None,
            "{other}"
        );
        assert_eq!(store.ticket(other, "t-1").unwrap(), None, "{other}");
        assert!(
            store
                .tickets(other, &TicketFilter::default())
                .unwrap()
                .is_empty(),
            "{other}"
        );
        assert!(
            store.recent_tickets(other, at(0), 10).unwrap().is_empty(),
            "{other}"
        );
        assert!(
            store.open_tickets_of(other, &zoe, 10).unwrap().is_empty(),
            "{other}"
        );
        assert!(store.audit(other, "t-1").unwrap().is_empty(), "{other}");
        assert_eq!(store.webhook(other, "crm").unwrap(), None, "{other}");
        assert!(store.webhooks(other).unwrap().is_empty(), "{other}");
        assert!(!store.delete_webhook(other, "crm").unwrap(), "{other}");
        assert!(store.dead_letters(other).unwrap().is_empty(), "{other}");
        assert_eq!(
            store.replay_dead_letter(other, "0-crm", at(100)).unwrap(),
            None,
            "{other}"
        );
        assert!(
            store.kpi_facts(other, at(0), at(1000)).unwrap().is_empty(),
            "{other}"
        );
        assert_eq!(
            store.kpi_backlog_at(other, at(1000)).unwrap(),
            Backlog::default(),
            "{other}"
        );
        assert!(
            store
                .kpi_breaches(other, "t-1", "first_reply", at(0), at(1000))
                .unwrap()
                .is_empty(),
            "{other}"
        );
        // Its first event is its own seq 1, and acme's key is not its key.
        let Enqueued::New(first) = store
            .enqueue_event(other, &event("e-1", None), Some("key-1"), at(2))
            .unwrap()
        else {
            panic!("{other}: acme's key and id are not {other}'s")
        };
        assert_eq!(first.seq, 1, "{other}");
    }
    // And acme still has all of it.
    assert_eq!(store.tokens("acme").unwrap().len(), 1);
    assert_eq!(store.plugins("acme").unwrap().len(), 1);
    assert_eq!(store.webhooks("acme").unwrap().len(), 1);
    assert_eq!(store.dead_letters("acme").unwrap().len(), 1);
    assert_eq!(store.timers("acme", "t-1").unwrap().len(), 1);
    assert_eq!(store.audit("acme", "t-1").unwrap().len(), 1);
    assert_eq!(store.open_tickets_of("acme", &zoe, 10).unwrap().len(), 1);
    assert_eq!(
        store.inbound_target(&address).unwrap(),
        Some(("acme".to_string(), "wa".to_string()))
    );
}

// ---------------------------------------------------------------------------------
// PostgreSQL: each test on a fresh, empty database of the test process's server.
// ---------------------------------------------------------------------------------
contract!(postgres, || Arc::new(
    PgStore::connect(&common::postgres::server().database()).unwrap()
));

// ---------------------------------------------------------------------------------
// Several workers on one PostgreSQL database: what only a shared store must do.
// ---------------------------------------------------------------------------------

mod shared_postgres {
    use super::*;
    use guichet::store::PluginStorage;

    /// Two workers (two connections, as two `guichet serve` processes make) on one
    /// fresh database.
    fn two_workers() -> (PgStore, PgStore) {
        let url = common::postgres::server().database();
        (
            PgStore::connect(&url).unwrap(),
            PgStore::connect(&url).unwrap(),
        )
    }

    #[test]
    fn a_tickets_later_event_waits_for_its_earlier_one_whoever_holds_it() {
        let (a, b) = two_workers();
        let t1 = ticket("t-1", 0, TicketStatus::New, &[]);
        let first = accept(&a, "acme", &event("e-1", Some(&t1)), 1);
        let second = accept(&b, "acme", &event("e-2", Some(&t1)), 1);
        assert_eq!(
            b.readiness("acme", second.seq, "t-1").unwrap(),
            Readiness::Waiting { behind: first.seq }
        );
        // Committed out of order: refused, and nothing of it written.
        let mut early = nothing("acme", second.seq);
        early.ticket = Some(t1.clone());
        assert!(matches!(
            b.commit_event(&early),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(b.ticket("acme", "t-1").unwrap(), None);
        assert_eq!(
            b.readiness("acme", second.seq, "t-1").unwrap(),
            Readiness::Waiting { behind: first.seq }
        );
        a.commit_event(&nothing("acme", first.seq)).unwrap();
        assert_eq!(
            b.readiness("acme", second.seq, "t-1").unwrap(),
            Readiness::Ready
        );
        b.commit_event(&early).unwrap();
        assert_eq!(b.ticket("acme", "t-1").unwrap(), Some(t1));
        // The same event committed by the other worker too: a conflict.
        assert!(matches!(
            a.commit_event(&early),
            Err(StoreError::Conflict(_))
        ));
    }

    #[test]
    fn a_live_workers_events_stay_its_own_and_a_leaving_ones_are_taken_over() {
        let (a, b) = two_workers();
        let mine: Vec<u64> = (0..3)
            .map(|n| accept(&a, "acme", &event(&format!("e-{n}"), None), 1).seq)
            .collect();
        // What a worker holds, a live worker does not take.
        assert_eq!(b.take_over(100).unwrap(), []);
        // Events of no worker (left by an earlier run) are anyone's, once.
        a.leave().unwrap();
        let taken: Vec<u64> = b.take_over(100).unwrap().iter().map(|e| e.seq).collect();
        assert_eq!(taken, mine, "in sequence order");
        assert_eq!(b.take_over(100).unwrap(), [], "taken once");
    }

    #[test]
    fn a_dead_workers_events_and_roles_go_to_a_live_one() {
        let (a, b) = two_workers();
        let held = accept(&a, "acme", &event("e-1", None), 1).seq;
        assert!(a.lead(Role::Timekeeper).unwrap());
        assert!(!b.lead(Role::Timekeeper).unwrap());
        // Dropped without leaving, as a killed process: its heartbeat stops and its
        // sessions close.
        drop(a);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let mut taken = Vec::new();
        while taken.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the dead worker's event was never taken over"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
            taken = b.take_over(10).unwrap();
        }
        assert_eq!(taken.iter().map(|e| e.seq).collect::<Vec<_>>(), [held]);
        while !b.lead(Role::Timekeeper).unwrap() {
            assert!(
                std::time::Instant::now() < deadline,
                "the dead worker's role never came free"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    #[test]
    fn concurrent_writes_of_one_key_count_it_once() {
        let (a, b) = two_workers();
        // Two events of two tickets, committed at once by two workers, each writing
        // the same new key: one key, counted once.
        for round in 0..20 {
            let key = format!("k-{round}");
            let commits: Vec<(&PgStore, EventCommit)> = [&a, &b]
                .into_iter()
                .map(|store| {
                    let stored = accept(store, "acme", &event(&unique_id("w"), None), 1);
                    let mut commit = nothing("acme", stored.seq);
                    commit.plugin_writes = vec![("dedup".into(), key.clone(), Some(b"1".to_vec()))];
                    (store, commit)
                })
                .collect();
            std::thread::scope(|scope| {
                for (store, commit) in &commits {
                    scope.spawn(move || store.commit_event(commit).unwrap());
                }
            });
            assert_eq!(
                a.plugin_storage_count("acme", "dedup").unwrap(),
                round + 1,
                "after round {round}"
            );
        }
    }

    #[test]
    fn a_role_is_held_by_one_worker_until_it_leaves() {
        let (a, b) = two_workers();
        assert!(a.lead(Role::Outbox).unwrap());
        assert!(!b.lead(Role::Outbox).unwrap(), "held by a");
        assert!(b.lead(Role::Timekeeper).unwrap(), "another role is free");
        assert!(a.lead(Role::Outbox).unwrap(), "kept while held");
        a.leave().unwrap();
        // The session that held it is gone: its advisory lock with it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !b.lead(Role::Outbox).unwrap() {
            assert!(
                std::time::Instant::now() < deadline,
                "the role never came free"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn a_database_migrated_by_a_newer_guichet_is_refused() {
        let url = common::postgres::server().database();
        drop(PgStore::connect(&url).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
                .execute("INSERT INTO schema_migrations (version) VALUES (999)", &[])
                .await
                .unwrap();
        });
        match PgStore::connect(&url) {
            Err(StoreError::NewerSchema { found: 999, .. }) => {}
            Err(e) => panic!("refused for another reason: {e}"),
            Ok(_) => panic!("a newer schema was opened"),
        }
    }

    #[test]
    fn a_timer_and_a_tick_fire_once_across_workers() {
        let (a, b) = two_workers();
        let x = timer("acme", "t-1", "sla", "x", 10);
        change_timers(&a, "acme", "t-1", set(&[&x]));
        let fired = event("fired", None);
        let first = a.fire_timer(&x, &fired, at(10)).unwrap();
        let second = b.fire_timer(&x, &fired, at(10)).unwrap();
        assert!(first.is_some() && second.is_none());
        let tick = event("tick", None);
        let one = a
            .fire_tick("acme", "digest", "nightly", at(60), Some(&tick), at(60))
            .unwrap();
        let two = b
            .fire_tick("acme", "digest", "nightly", at(60), Some(&tick), at(60))
            .unwrap();
        assert!(one.is_some() && two.is_none(), "the mark moved once");
    }
}
