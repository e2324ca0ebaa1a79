//! The audit trail of one event: a record per plugin call, and the host's own records
//! of what it did or refused to do on the event, each worded for the admin who reads
//! the ticket's trail to find out why something happened.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::TicketStatus;
use crate::runtime::CallReport;
use crate::store::{AuditRecord, InstalledPlugin, StoredEvent};

/// Fills `entry` with what a call cost and logged: fuel, time (µs) and log lines
/// (`level: message`).
pub fn measure<T>(entry: &mut AuditRecord, report: &CallReport<T>, took: Duration) {
    entry.fuel_used = report.fuel_used;
    entry.duration_us = took.as_micros() as u64;
    entry.logs = report
        .logs
        .iter()
        .map(|l| format!("{}: {}", l.level, l.message))
        .collect();
}

/// The name the host's own records carry in place of a plugin's.
pub const HOST: &str = "guichet";

/// A record of `plugin` (at `version`) on `stored`, about ticket `ticket_id` (empty
/// for a scheduled tick), at `now`, with nothing in it yet.
pub fn record(
    stored: &StoredEvent,
    ticket_id: &str,
    plugin: &str,
    version: &str,
    now: DateTime<Utc>,
) -> AuditRecord {
    AuditRecord {
        event_id: stored.event.id.clone(),
        event_seq: stored.seq,
        event_kind: stored.event.kind.name().to_string(),
        ticket_id: ticket_id.to_string(),
        plugin: plugin.to_string(),
        plugin_version: version.to_string(),
        version_number: 0,
        actions: Vec::new(),
        error: None,
        fuel_used: 0,
        duration_us: 0,
        logs: Vec::new(),
        at: now,
    }
}

/// A record of the host's own doing, with one log line.
fn host(stored: &StoredEvent, ticket_id: &str, now: DateTime<Utc>, line: String) -> AuditRecord {
    let mut entry = record(stored, ticket_id, HOST, env!("CARGO_PKG_VERSION"), now);
    entry.logs.push(line);
    entry
}

/// The event came after a later change of the same field: no plugin ran on it.
pub fn overtaken(stored: &StoredEvent, ticket_id: &str, now: DateTime<Utc>) -> AuditRecord {
    host(
        stored,
        ticket_id,
        now,
        format!(
            "info: this {} of {} came after a later change of the same field; the ticket \
             keeps the later one and no plugin was run",
            stored.event.kind.name(),
            stored.event.occurred_at.to_rfc3339()
        ),
    )
}

/// A timer or tick came due for `target`, which is not enabled (any more): dropped.
pub fn target_not_enabled(
    stored: &StoredEvent,
    ticket_id: &str,
    target: &str,
    now: DateTime<Utc>,
) -> AuditRecord {
    host(
        stored,
        ticket_id,
        now,
        format!(
            "warn: this {} was for plugin `{target}`, which is not enabled; dropped",
            stored.event.kind.name()
        ),
    )
}

/// `plugin` would have run on the event, but the circuit breaker suspended it: the
/// record is the plugin's (its version named), with the suspension's reason.
pub fn suspended(
    stored: &StoredEvent,
    ticket_id: &str,
    plugin: &InstalledPlugin,
    now: DateTime<Utc>,
) -> AuditRecord {
    let mut entry = record(stored, ticket_id, &plugin.name, &plugin.version, now);
    entry.version_number = plugin.active_version;
    let (since, reason) = plugin
        .suspended
        .as_ref()
        .map(|s| (s.at.to_rfc3339(), s.reason.as_str()))
        .unwrap_or_default();
    entry.logs.push(format!(
        "warn: not run: the plugin is suspended since {since} ({reason}); an admin \
         resumes it with POST /v1/tenants/{}/plugins/{}/resume",
        stored.tenant, plugin.name
    ));
    entry
}

/// The ticket is closed or merged: its `pending` timers were dropped.
pub fn timers_dropped(
    stored: &StoredEvent,
    ticket_id: &str,
    status: TicketStatus,
    pending: usize,
    now: DateTime<Utc>,
) -> AuditRecord {
    host(
        stored,
        ticket_id,
        now,
        format!(
            "info: the ticket is {}: {pending} pending timer(s) dropped",
            status.name()
        ),
    )
}

/// The event's follow-ups were not created: the cascade reached `limit` levels.
pub fn cascade_stopped(
    stored: &StoredEvent,
    ticket_id: &str,
    follow_ups: usize,
    limit: u32,
    now: DateTime<Utc>,
) -> AuditRecord {
    let mut entry = record(stored, ticket_id, HOST, env!("CARGO_PKG_VERSION"), now);
    entry.error = Some(format!(
        "cascade limit reached: {follow_ups} follow-up event(s) not created after {limit} levels"
    ));
    entry
}

/// The event was for a merged ticket: it went on to `to`, the end of its chain of
/// merges.
pub fn forwarded(
    stored: &StoredEvent,
    ticket_id: &str,
    to: &str,
    now: DateTime<Utc>,
) -> AuditRecord {
    host(
        stored,
        ticket_id,
        now,
        format!(
            "info: ticket {ticket_id} is merged: this {} went on to ticket {to}",
            stored.event.kind.name()
        ),
    )
}

/// `added` messages of `source`, merged into this ticket, were added to it.
pub fn merged_in(
    stored: &StoredEvent,
    ticket_id: &str,
    source: &str,
    added: usize,
    now: DateTime<Utc>,
) -> AuditRecord {
    host(
        stored,
        ticket_id,
        now,
        format!("info: ticket {source} was merged into this one: {added} of its messages added"),
    )
}

/// Landing `source`'s merge here found a cycle of merges (`path`): this ticket is
/// open again and keeps what `source` carried.
pub fn merge_cycle_broken(
    stored: &StoredEvent,
    ticket_id: &str,
    source: &str,
    path: &[String],
    now: DateTime<Utc>,
) -> AuditRecord {
    host(
        stored,
        ticket_id,
        now,
        format!(
            "warn: ticket {source} was merged into this one while this one was merged into \
             it ({}): this ticket is open again and keeps {source}'s messages",
            path.join(" → ")
        ),
    )
}

/// `source`'s merge lands on a ticket closed since the merge was decided.
pub fn merged_into_closed(
    stored: &StoredEvent,
    ticket_id: &str,
    source: &str,
    now: DateTime<Utc>,
) -> AuditRecord {
    host(
        stored,
        ticket_id,
        now,
        format!(
            "warn: this ticket was closed after ticket {source}'s merge into it was decided: \
             {source}'s messages are added all the same"
        ),
    )
}
