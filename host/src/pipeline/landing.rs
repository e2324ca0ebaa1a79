//! Where messages land when tickets are merged: the `merged_in` event that carries a
//! merged ticket's messages to the ticket it joined, and a message sent for a merged
//! ticket, sent on to the end of its chain of merges. Both are committed by the host
//! alone (no plugin runs on them); what they may do is decided by `merge` and
//! `apply`, pure. Each reads the tickets of one chain of merges, by id.

use super::merge::{self, ChainEnd};
use super::{EventOutcome, PipelineError, Shared, apply, audit};
use crate::model::{Event, Message, Ticket, TicketStatus};
use crate::store::{AuditRecord, EventCommit, StoredEvent};

/// What the step returns: the outcome and the follow-ups stored.
type Committed = Result<(EventOutcome, Vec<StoredEvent>), PipelineError>;

/// `stored` (a message, a missed call or a macro's reply) is for `source`, merged
/// into `end` (the end of its chain, another ticket): it is committed on `end`'s lane
/// as its own event, with the same id and depth, and `source`'s trail says where it
/// went.
pub(super) fn forward(
    shared: &Shared,
    stored: &StoredEvent,
    source: &Ticket,
    end: Ticket,
) -> Committed {
    let record = audit::forwarded(stored, &source.id, &end.id, shared.clock.now());
    let mut event = stored.event.clone();
    event.ticket = Some(end);
    commit_host(
        shared,
        stored,
        None,
        vec![record],
        vec![(event, stored.depth)],
    )
}

/// Lands the messages of `source`, merged into the event's ticket:
/// - if that ticket was merged into another meanwhile, they go on to the end of its
///   chain;
/// - if its chain comes back to it (two merges decided at once, each into the
///   other), the cycle is broken here: this ticket is open again and keeps them (the
///   other, whose messages come back to their own ticket, lands none);
/// - otherwise they land, and the tenant's plugins get each as a `message_added` (a
///   requester who wrote on the merged ticket wrote on this one), within the cascade
///   limit. A target closed since the merge was decided takes them all the same, and
///   its trail says so.
pub(super) fn merged_in(
    shared: &Shared,
    stored: &StoredEvent,
    source: &str,
    messages: &[Message],
) -> Committed {
    let tenant = stored.tenant.as_str();
    let no_ticket = || PipelineError::NoTicket(stored.event.id.clone());
    let carried = stored.event.ticket.as_ref().ok_or_else(no_ticket)?;
    let mut target = shared
        .store
        .ticket(tenant, &carried.id)?
        .ok_or_else(no_ticket)?;
    let before = target.clone();
    let now = shared.clock.now();
    let mut records = Vec::new();
    if target.status == TicketStatus::Merged {
        match merge::chain_end(target.clone(), None, |id| shared.store.ticket(tenant, id))? {
            ChainEnd::Ticket(end) if end.id != target.id => {
                let record = audit::forwarded(stored, &target.id, &end.id, now);
                let mut event = stored.event.clone();
                event.ticket = Some(*end);
                // Not a cascade: the messages must arrive, and a chain ends.
                return commit_host(
                    shared,
                    stored,
                    None,
                    vec![record],
                    vec![(event, stored.depth + 1)],
                );
            }
            // Merged in its helpdesk, to a ticket guichet does not know: they land.
            ChainEnd::Ticket(_) => {}
            ChainEnd::Broken(path) => {
                target.status = TicketStatus::Open;
                target.merged_into = None;
                target.status_changed_at = Some(stored.event.occurred_at);
                records.push(audit::merge_cycle_broken(
                    stored, &target.id, source, &path, now,
                ));
            }
        }
    }
    if target.status == TicketStatus::Closed {
        records.push(audit::merged_into_closed(stored, &target.id, source, now));
    }
    let landed = apply::land_merged(&mut target, messages);
    if !landed.is_empty() {
        target.updated_at = target.updated_at.max(stored.event.occurred_at);
    }
    records.push(audit::merged_in(
        stored,
        &target.id,
        source,
        landed.len(),
        now,
    ));

    let mut caused = apply::follow_ups(&before, &target, &stored.event);
    caused.extend(merge::gained_messages(
        &stored.event.id,
        &target,
        landed,
        stored.event.occurred_at,
    ));
    let depth = stored.depth + 1;
    let follow_ups = if caused.is_empty() {
        Vec::new()
    } else if depth > shared.config.cascade_limit {
        records.push(audit::cascade_stopped(
            stored,
            &target.id,
            caused.len(),
            shared.config.cascade_limit,
            now,
        ));
        Vec::new()
    } else {
        caused.into_iter().map(|e| (e, depth)).collect()
    };
    commit_host(shared, stored, Some(target), records, follow_ups)
}

/// Commits what the host itself did on `stored`: the ticket (if it changed), the
/// audit records and the events it caused, in one transaction.
fn commit_host(
    shared: &Shared,
    stored: &StoredEvent,
    ticket: Option<Ticket>,
    audit: Vec<AuditRecord>,
    follow_ups: Vec<(Event, u32)>,
) -> Committed {
    let commit = EventCommit {
        tenant: stored.tenant.clone(),
        seq: stored.seq,
        ticket: ticket.clone(),
        timers: Vec::new(),
        audit,
        follow_ups,
        plugin_writes: Vec::new(),
        outbox: Vec::new(),
        shadow: Vec::new(),
        kpi: Vec::new(),
    };
    let stored_follow_ups = shared.store.commit_event(&commit)?;
    Ok((
        EventOutcome {
            seq: stored.seq,
            event_id: stored.event.id.clone(),
            decisions: Vec::new(),
            ticket,
        },
        stored_follow_ups,
    ))
}
