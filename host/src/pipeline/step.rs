//! One event's step: from the event, the stored ticket and the tenant's plugins to
//! the commit that records what they decided. The worker (`super`) hands events in
//! order and reports outcomes; the rules this step follows live in the pure modules
//! beside it: `apply` (how the event and the actions change the ticket, which
//! follow-ups that makes), `timers` (which timer changes actions may make, what a
//! closed ticket's timers become), `audit` (the records and their wording), `notice`
//! (the webhooks' typed body) and `outbound` (what goes back through the ticket's
//! adapter, and where it may go). What the step reads (the ticket, the plugins, their
//! timers, the webhooks) is read by key, never by a scan.

use std::sync::Arc;
use std::time::Instant;

use super::merge::{self, ChainEnd};
use super::{
    ActionsNotice, Decision, EventOutcome, PipelineError, PluginCacheError, Shared, apply, audit,
    landing, outbound, plugins, timers,
};
use crate::diff::{self, Decided, EventDiff};
use crate::metrics::{Cause, Outcome};
use crate::model::{Action, Event, EventKind, Outbound, Ticket, TicketStatus};
use crate::runtime::{CallError, World};
use crate::store::{
    self, AuditRecord, EventCommit, InstalledPlugin, OutboxItem, Shadow, ShadowRecord, StoredEvent,
    Suspension, TimerChange,
};

pub(super) fn process(
    shared: &Shared,
    stored: &StoredEvent,
) -> Result<(EventOutcome, Vec<StoredEvent>), PipelineError> {
    let tenant = stored.tenant.as_str();
    if let EventKind::MergedIn { source, messages } = &stored.event.kind {
        return landing::merged_in(shared, stored, source, messages);
    }
    // A scheduled tick concerns no ticket; every other event names one.
    // What the plugins are told: a change without its parts that came late.
    let mut told = stored.event.clone();
    // A helpdesk's update is compared with the ticket as it was: what differs are
    // the changes its follow-ups report.
    let mut external_before = None;
    // The stored ticket before the event, for the KPI facts of the step.
    let mut stored_ticket = None;
    let mut ticket = match &stored.event.ticket {
        Some(carried) => {
            let current = shared.store.ticket(tenant, &carried.id)?;
            stored_ticket = current.clone();
            // A message (or a macro's reply) for a merged ticket goes to the end of
            // its chain of merges.
            if stored.depth == 0
                && merge::follows_merges(&stored.event.kind)
                && let Some(source) = current
                    .as_ref()
                    .filter(|t| t.status == TicketStatus::Merged)
                && let ChainEnd::Ticket(end) =
                    merge::chain_end(source.clone(), None, |id| shared.store.ticket(tenant, id))?
                && end.id != source.id
            {
                return landing::forward(shared, stored, source, *end);
            }
            if matches!(stored.event.kind, EventKind::ExternalUpdate { .. }) {
                external_before = current.clone();
            }
            let after = match current {
                // A follow-up reports a change already applied to the stored ticket;
                // applying it again would undo what events in between changed.
                Some(current) if stored.depth > 0 => Some(current),
                current => {
                    told = apply::effective(current.as_ref(), &stored.event);
                    apply::ticket_after_event(current, &stored.event)
                }
            };
            Some(after.ok_or_else(|| PipelineError::NoTicket(stored.event.id.clone()))?)
        }
        None if stored.target_plugin.is_some() => None,
        None => return Err(PipelineError::NoTicket(stored.event.id.clone())),
    };
    let ticket_id = ticket.as_ref().map(|t| t.id.clone()).unwrap_or_default();
    let before_plugins = ticket.clone();
    let kind = stored.event.kind.name();

    let mut audit = Vec::new();
    let mut decisions = Vec::new();
    let mut plugin_writes = Vec::new();
    let mut timer_changes = Vec::new();
    let mut shadow_diffs = Vec::new();
    // A status or assignment change that a later change of the same field overtook
    // is kept in the audit but runs no plugin: what it reports is no longer so.
    let overtaken = stored.depth == 0
        && ticket
            .as_ref()
            .is_some_and(|t| apply::overtaken(t, &stored.event));
    if overtaken {
        audit.push(audit::overtaken(stored, &ticket_id, shared.clock.now()));
    }
    let mut target_ran = false;
    // A macro an agent applied: its reply and bundled actions are the decision of
    // the `macros` plugin that rendered it (no plugin runs on the event itself).
    if let (
        EventKind::MacroApplied {
            plugin,
            version,
            macro_id,
            agent,
            reply,
            actions,
            fuel_used,
        },
        Some(ticket),
    ) = (&stored.event.kind, ticket.as_mut())
    {
        apply::apply_actions(ticket, actions, plugin, stored.event.occurred_at);
        let mut entry = audit::record(stored, &ticket_id, plugin, version, shared.clock.now());
        entry.fuel_used = *fuel_used;
        let mut applied = vec![Action::PublicReply {
            body: reply.clone(),
            channel: None,
        }];
        applied.extend(actions.iter().cloned());
        entry.actions = applied.clone();
        entry
            .logs
            .push(format!("info: agent {agent} applied macro `{macro_id}`"));
        audit.push(entry);
        decisions.push(Decision {
            plugin: plugin.clone(),
            actions: applied,
            error: None,
        });
    }
    // The decisions before this point are an agent's (a macro), not plugins'.
    let agents_decisions = decisions.len();
    let installed_plugins = if overtaken {
        Vec::new()
    } else {
        shared.store.plugins(tenant)?
    };
    // A timer a shadow candidate set fires for the candidate alone.
    let shadow_target = stored
        .target_plugin
        .as_deref()
        .and_then(store::shadowed_plugin);
    // What a plugin that runs is told: the event with the ticket as it stands.
    let told_now = |ticket: &Option<Ticket>| {
        let mut event = told.clone();
        event.ticket = ticket.clone();
        event
    };
    for installed in installed_plugins {
        let call = Call {
            shared,
            stored,
            tenant,
            ticket: ticket.as_ref(),
            ticket_id: &ticket_id,
        };
        if let Some((base, run)) = shadow_target {
            // Only the run that set it, still going, on a plugin that runs: a timer
            // left by an ended run (or fired while the plugin is off) goes unrecorded.
            if installed.name == base
                && installed.enabled
                && let Some(shadow) = installed.shadow.as_ref().filter(|s| s.run == run)
            {
                let event = told_now(&ticket);
                let candidate = call.shadow(
                    &installed,
                    shadow,
                    &event,
                    &mut timer_changes,
                    &mut plugin_writes,
                );
                shadow_diffs.push(call.shadow_record(&installed, shadow, None, candidate));
            }
            continue;
        }
        let runs = match &stored.target_plugin {
            // A timer or a tick is for the plugin that asked for it, whatever it
            // subscribed to.
            Some(target) => installed.enabled && installed.name == *target,
            None => {
                installed.enabled
                    && (installed.subscriptions.is_empty()
                        || installed.subscriptions.iter().any(|s| s == kind))
            }
        };
        if !runs {
            continue;
        }
        let event = told_now(&ticket);
        // A suspended plugin does not run until an admin resumes it; the trail says so.
        if installed.suspended.is_some() {
            target_ran = true;
            audit.push(audit::suspended(
                stored,
                &ticket_id,
                &installed,
                shared.clock.now(),
            ));
            shadow_diffs.extend(call.beside(
                &installed,
                &event,
                None,
                &mut timer_changes,
                &mut plugin_writes,
            ));
            continue;
        }
        if shared.lanes.is_closed() {
            // Stopping: nothing of this event is committed, so it is processed
            // whole at the next start.
            return Err(PipelineError::Stopping);
        }
        target_ran = true;
        let _call = tracing::info_span!("plugin", name = %installed.name).entered();
        let started = Instant::now();
        let limits = shared.config.limits_for(&installed.limits);
        let component = match shared
            .plugins
            .get_for_events(&installed, limits.memory_bytes)
        {
            // A plugin of an older contract is not sent a kind it cannot read (its
            // candidate, of a later one, may be).
            Ok(component) if component.world() == World::Automation => {
                if !component.info().contract.receives(&stored.event.kind) {
                    shadow_diffs.extend(call.beside(
                        &installed,
                        &event,
                        None,
                        &mut timer_changes,
                        &mut plugin_writes,
                    ));
                    continue;
                }
                component
            }
            // Macros and adapters are not event-driven: they are not run here.
            Ok(_) => continue,
            Err(e) => {
                let mut entry = audit::record(
                    stored,
                    &ticket_id,
                    &installed.name,
                    &installed.version,
                    shared.clock.now(),
                );
                entry.version_number = installed.active_version;
                entry.error = Some(e.to_string());
                // The store failing to give the component is the host's failure.
                if !matches!(e, PluginCacheError::Store(_)) {
                    call.count_for_breaker(&installed, Some(&e.to_string()), "load");
                }
                audit.push(entry);
                let active = Decided {
                    version: Some(installed.active_version),
                    sha256: installed.version.clone(),
                    actions: Vec::new(),
                    error: Some(e.to_string()),
                };
                shadow_diffs.extend(call.beside(
                    &installed,
                    &event,
                    Some(active),
                    &mut timer_changes,
                    &mut plugin_writes,
                ));
                decisions.push(Decision {
                    plugin: installed.name.clone(),
                    actions: Vec::new(),
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        let env = plugins::env_for(&shared.store, tenant, &installed);
        let report = shared.runtime.on_event(&component, env, &event, &limits);
        let mut entry = audit::record(
            stored,
            &ticket_id,
            &installed.name,
            &installed.version,
            shared.clock.now(),
        );
        entry.version_number = installed.active_version;
        audit::measure(&mut entry, &report, started.elapsed());
        shared
            .metrics
            .plugin_call_seconds
            .observe(started.elapsed().as_secs_f64());
        let outcome = match &report.result {
            Ok(_) => "ok",
            Err(e) if e.is_limit() => "limit",
            Err(_) => "error",
        };
        // What a failure of this call counts as for the circuit breaker; a host
        // service's failure is not the plugin's, and counts for nothing.
        let cause = match &report.result {
            Err(CallError::Host(_)) => None,
            Err(e) if e.is_limit() => Some("limit"),
            Err(CallError::Trap(_) | CallError::Instantiate(_)) => Some("trap"),
            _ => Some("error"),
        };
        shared
            .metrics
            .plugin_calls
            .get_or_create(&Outcome { outcome })
            .inc();
        // A call's actions are applied whole or not at all: one the host cannot carry
        // out refuses the call, like a plugin error.
        let result = report
            .result
            .map_err(|e| e.to_string())
            .and_then(|actions| call.decide(&installed.name, actions));
        if let Some(cause) = cause {
            call.count_for_breaker(&installed, result.as_ref().err().map(String::as_str), cause);
        }
        let active = Decided {
            version: Some(installed.active_version),
            sha256: installed.version.clone(),
            actions: match &result {
                Ok((resolved, _)) => resolved.actions.clone(),
                Err(_) => Vec::new(),
            },
            error: result.as_ref().err().cloned(),
        };
        shadow_diffs.extend(call.beside(
            &installed,
            &event,
            Some(active),
            &mut timer_changes,
            &mut plugin_writes,
        ));
        match result {
            Ok((merge::Resolved { actions, notes }, changes)) => {
                entry.logs.extend(notes);
                if let Some(ticket) = ticket.as_mut() {
                    apply::apply_actions(
                        ticket,
                        &actions,
                        &installed.name,
                        stored.event.occurred_at,
                    );
                }
                timer_changes.extend(changes);
                for write in report.storage_writes {
                    plugin_writes.push((installed.name.clone(), write.key, write.value));
                }
                entry.actions = actions.clone();
                decisions.push(Decision {
                    plugin: installed.name.clone(),
                    actions,
                    error: None,
                });
            }
            Err(e) => {
                tracing::warn!(plugin = %installed.name, error = %e, "plugin call failed");
                entry.error = Some(e.clone());
                decisions.push(Decision {
                    plugin: installed.name.clone(),
                    actions: Vec::new(),
                    error: Some(e),
                });
            }
        }
        audit.push(entry);
    }

    if let Some(target) = &stored.target_plugin
        && !target_ran
        && shadow_target.is_none()
    {
        // Its timer or tick came due while the plugin was disabled or removed: say so,
        // rather than lose it without a trace.
        audit.push(audit::target_not_enabled(
            stored,
            &ticket_id,
            target,
            shared.clock.now(),
        ));
    }

    if let Some(ticket) = &ticket
        && timers::all_go(ticket)
    {
        let pending = shared.store.timers(tenant, &ticket.id)?;
        let (cancelled, dropped) = timers::closing(pending, &timer_changes);
        if let Some(dropped) = dropped {
            audit.push(audit::timers_dropped(
                stored,
                &ticket_id,
                ticket.status,
                dropped,
                shared.clock.now(),
            ));
        }
        timer_changes = cancelled;
    }

    let mut follow_ups: Vec<(Event, u32)> = Vec::new();
    let before_changes = external_before.as_ref().or(before_plugins.as_ref());
    if let (Some(before), Some(after)) = (before_changes, &ticket) {
        let changes = apply::follow_ups(before, after, &stored.event);
        let depth = stored.depth + 1;
        if changes.is_empty() {
            // Nothing changed that others may react to.
        } else if depth > shared.config.cascade_limit {
            audit.push(audit::cascade_stopped(
                stored,
                &ticket_id,
                changes.len(),
                shared.config.cascade_limit,
                shared.clock.now(),
            ));
        } else {
            follow_ups = changes.into_iter().map(|e| (e, depth)).collect();
        }
    }

    // The plugins hear of a macro's reply as of any agent's message.
    if let (Some(before), Some(after)) = (&before_plugins, &ticket)
        && let Some(message) = apply::macro_reply(before, &stored.event)
        && stored.depth < shared.config.cascade_limit
    {
        follow_ups.push((
            Event {
                id: format!("{}:reply", stored.event.id),
                kind: EventKind::MessageAdded { message },
                ticket: Some(after.clone()),
                occurred_at: stored.event.occurred_at,
            },
            stored.depth + 1,
        ));
    }

    // A merge applied here takes its messages to the target, in the target's order;
    // the cascade limit does not drop them.
    if let (Some(before), Some(after)) = (&before_plugins, &ticket)
        && before.status != TicketStatus::Merged
        && after.status == TicketStatus::Merged
        && let Some(target_id) = &after.merged_into
        && let Some(target) = shared.store.ticket(tenant, target_id)?
    {
        let event =
            merge::merged_in_event(&stored.event.id, after, target, stored.event.occurred_at);
        follow_ups.push((event, stored.depth + 1));
    }

    let notice = ActionsNotice::of(stored, ticket.as_ref(), &decisions);
    let mut outbox = match &notice {
        Some(notice) => notice.deliveries(shared.store.webhooks(tenant)?, shared.clock.now()),
        None => Vec::new(),
    };
    let applied = outbound::applied_actions(&decisions);
    if let (Some(adapter), Some(ticket)) = (
        outbound::adapter_of(ticket.as_ref(), &applied),
        ticket.as_ref(),
    ) {
        let (items, record) = render_back(shared, stored, ticket, adapter, applied)?;
        outbox.extend(items);
        audit.push(record);
    }
    let timers_set = timer_changes
        .iter()
        .any(|c| matches!(c, TimerChange::Set(_)));
    let plugin_actions: Vec<&[Action]> = decisions[agents_decisions..]
        .iter()
        .filter(|d| d.error.is_none())
        .map(|d| d.actions.as_slice())
        .collect();
    let kpi = crate::kpi::derive(&crate::kpi::Step {
        kind: &stored.event.kind,
        occurred_at: stored.event.occurred_at,
        depth: stored.depth,
        stored: stored_ticket.as_ref(),
        after_event: before_plugins.as_ref(),
        after: ticket.as_ref(),
        plugin_actions: &plugin_actions,
    });
    let commit = EventCommit {
        tenant: tenant.to_string(),
        seq: stored.seq,
        ticket: ticket.clone(),
        timers: timer_changes,
        audit,
        follow_ups,
        plugin_writes,
        outbox,
        shadow: shadow_diffs,
        kpi,
    };
    let stored_follow_ups = shared.store.commit_event(&commit)?;
    if timers_set {
        // The new timer may be due before the time the timekeeper sleeps until.
        shared.bell.ring();
    }
    if let Some(notice) = notice {
        // No listener is not an error.
        let _ = shared.actions.send(Arc::new(notice));
    }
    Ok((
        EventOutcome {
            seq: stored.seq,
            event_id: stored.event.id.clone(),
            decisions,
            ticket,
        },
        stored_follow_ups,
    ))
}

/// Has the adapter that `ticket` came through render the actions applied on `stored`
/// into its platform's requests (see `outbound`): the outbox items to commit, and
/// the audit record of the call (its error when nothing is sent back).
fn render_back(
    shared: &Shared,
    stored: &StoredEvent,
    ticket: &Ticket,
    adapter: &str,
    actions: Vec<Action>,
) -> Result<(Vec<OutboxItem>, AuditRecord), PipelineError> {
    let tenant = stored.tenant.as_str();
    let now = shared.clock.now();
    let installed = shared.store.plugin(tenant, adapter)?;
    let version = installed.as_ref().map_or("", |p| p.version.as_str());
    let mut entry = audit::record(stored, &ticket.id, adapter, version, now);
    let count = actions.len();
    let not_sent = |why: String| format!("{count} actions not sent back: {why}");
    let Some(installed) = installed.filter(|p| p.enabled) else {
        entry.error = Some(not_sent(format!(
            "adapter `{adapter}` is not installed and enabled"
        )));
        return Ok((Vec::new(), entry));
    };
    let limits = shared.config.limits_for(&installed.limits);
    let component = match shared
        .plugins
        .get_for_events(&installed, limits.memory_bytes)
    {
        Ok(c) if c.world() == World::ChannelAdapter => c,
        Ok(c) => {
            entry.error = Some(not_sent(format!(
                "plugin `{adapter}` is a {} plugin, not a channel adapter",
                c.world()
            )));
            return Ok((Vec::new(), entry));
        }
        Err(e) => {
            entry.error = Some(not_sent(e.to_string()));
            return Ok((Vec::new(), entry));
        }
    };
    let mut related = Vec::new();
    for id in outbound::related_ids(&actions) {
        related.extend(shared.store.ticket(tenant, &id)?);
    }
    let request = Outbound {
        event_id: stored.event.id.clone(),
        ticket: ticket.clone(),
        actions,
        related,
    };
    let started = Instant::now();
    let env = plugins::env_for(&shared.store, tenant, &installed);
    let report = shared
        .runtime
        .render_actions(&component, env, &request, now, &limits);
    audit::measure(&mut entry, &report, started.elapsed());
    let items = match report.result {
        Ok(requests) => match outbound::refused(&installed, &requests) {
            Some(why) => {
                tracing::warn!(adapter, %why, "rendered request refused");
                entry.error = Some(not_sent(why));
                Vec::new()
            }
            None => {
                entry.logs.extend(outbound::summary(&requests));
                outbound::items(tenant, stored.seq, adapter, requests, now)
            }
        },
        Err(e) => {
            tracing::warn!(adapter, error = %e, "adapter could not render the actions");
            entry.error = Some(not_sent(e.to_string()));
            Vec::new()
        }
    };
    Ok((items, entry))
}

/// One plugin call's context within an event's step: the tenant and the ticket as
/// the plugins see it at this point of the event.
struct Call<'a> {
    shared: &'a Shared,
    stored: &'a StoredEvent,
    tenant: &'a str,
    ticket: Option<&'a Ticket>,
    ticket_id: &'a str,
}

impl Call<'_> {
    /// What the host makes of a call's `actions` for the plugin named `plugin`: the
    /// timer changes they ask for and their merges resolved to a target that can
    /// take them, or why the host refuses the call.
    fn decide(
        &self,
        plugin: &str,
        actions: Vec<Action>,
    ) -> Result<(merge::Resolved, Vec<TimerChange>), String> {
        let (shared, tenant) = (self.shared, self.tenant);
        let changes = timers::changes(
            tenant,
            self.ticket,
            plugin,
            &actions,
            shared.clock.now(),
            || {
                shared
                    .store
                    .timers(tenant, self.ticket_id)
                    .map_err(|e| e.to_string())
            },
        )?;
        // A merge names a target that can take it, at the end of its chain.
        let resolved = match self.ticket {
            Some(source) if actions.iter().any(merge::concerns_merges) => {
                merge::resolve_targets(source, actions, |id| shared.store.ticket(tenant, id))
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?
            }
            _ => merge::Resolved {
                actions,
                notes: Vec::new(),
            },
        };
        Ok((resolved, changes))
    }

    /// Runs `installed`'s shadow candidate on `event` as the active version saw it:
    /// its storage writes and timers go under the plugin's shadow name, its actions
    /// are only recorded. `None` when the candidate does not take this kind of event.
    fn shadow(
        &self,
        installed: &InstalledPlugin,
        shadow: &Shadow,
        event: &Event,
        timer_changes: &mut Vec<TimerChange>,
        plugin_writes: &mut Vec<(String, String, Option<Vec<u8>>)>,
    ) -> Option<Decided> {
        let name = store::shadow_name(&installed.name, &shadow.run);
        let candidate = InstalledPlugin {
            name: name.clone(),
            source: shadow.source.clone(),
            version: shadow.sha256.clone(),
            config: shadow.config.clone(),
            active_version: shadow.version,
            shadow: None,
            ..installed.clone()
        };
        let decided = |actions, error| Decided {
            version: Some(shadow.version),
            sha256: shadow.sha256.clone(),
            actions,
            error,
        };
        let limits = self.shared.config.limits_for(&candidate.limits);
        let component = match self
            .shared
            .plugins
            .get_for_events(&candidate, limits.memory_bytes)
        {
            Ok(component)
                if component.world() == World::Automation
                    && component.info().contract.receives(&event.kind) =>
            {
                component
            }
            Ok(_) => return None,
            Err(e) => return Some(decided(Vec::new(), Some(e.to_string()))),
        };
        let env = plugins::env_for(&self.shared.store, self.tenant, &candidate);
        let report = self
            .shared
            .runtime
            .on_event(&component, env, event, &limits);
        let result = report
            .result
            .map_err(|e| e.to_string())
            .and_then(|actions| self.decide(&name, actions));
        Some(match result {
            Ok((resolved, changes)) => {
                if self.ticket.is_some() {
                    timer_changes.extend(changes);
                }
                for write in report.storage_writes {
                    plugin_writes.push((name.clone(), write.key, write.value));
                }
                decided(resolved.actions, None)
            }
            Err(e) => decided(Vec::new(), Some(e)),
        })
    }

    /// The shadow record of `installed`'s candidate beside its active version, which
    /// decided `active` (`None`: it did not run) on `event`: the candidate is run,
    /// except on the active version's own timer (the candidate's timers are its own,
    /// and fire as events of their own). `None` without a shadow run.
    fn beside(
        &self,
        installed: &InstalledPlugin,
        event: &Event,
        active: Option<Decided>,
        timer_changes: &mut Vec<TimerChange>,
        plugin_writes: &mut Vec<(String, String, Option<Vec<u8>>)>,
    ) -> Option<ShadowRecord> {
        let shadow = installed.shadow.as_ref()?;
        let own_timer = matches!(self.stored.event.kind, EventKind::TimerFired { .. });
        let candidate = if own_timer {
            None
        } else {
            self.shadow(installed, shadow, event, timer_changes, plugin_writes)
        };
        Some(self.shadow_record(installed, shadow, active, candidate))
    }

    /// The record of one shadow diff on this event; a timer's firing names the timer,
    /// so that the active version's and the candidate's firings make one diff.
    fn shadow_record(
        &self,
        installed: &InstalledPlugin,
        shadow: &Shadow,
        active: Option<Decided>,
        candidate: Option<Decided>,
    ) -> ShadowRecord {
        let stored = self.stored;
        let pair = match &stored.event.kind {
            EventKind::TimerFired { name, due_at } => Some(format!(
                "{}\0{name}\0{}",
                self.ticket_id,
                due_at.timestamp_millis()
            )),
            _ => None,
        };
        ShadowRecord {
            shadow: store::shadow_name(&installed.name, &shadow.run),
            pair,
            diff: EventDiff {
                event_id: stored.event.id.clone(),
                event_kind: stored.event.kind.name().to_string(),
                ticket_id: self.ticket_id.to_string(),
                at: stored.received_at,
                plugin: installed.name.clone(),
                verdict: diff::verdict(active.as_ref(), candidate.as_ref()),
                active,
                candidate,
            },
        }
    }

    /// Counts a call of `installed` for the circuit breaker; on the failure that
    /// trips it, suspends the plugin for the tenant (stored at once: the next events
    /// skip it).
    fn count_for_breaker(
        &self,
        installed: &InstalledPlugin,
        error: Option<&str>,
        cause: &'static str,
    ) {
        let shared = self.shared;
        let threshold = installed
            .suspend_after
            .unwrap_or(shared.config.suspend_after);
        let Some((count, last_errors)) =
            shared
                .breaker
                .record(self.tenant, &installed.name, error, threshold)
        else {
            return;
        };
        let last = last_errors.last().cloned().unwrap_or_default();
        let suspension = Suspension {
            at: shared.clock.now(),
            reason: format!("{count} failed calls in a row; the last: {last}"),
            last_errors,
        };
        match shared
            .store
            .suspend_plugin(self.tenant, installed, &suspension)
        {
            Ok(true) => {
                tracing::warn!(
                    tenant = %self.tenant,
                    plugin = %installed.name,
                    reason = %suspension.reason,
                    "plugin suspended by the circuit breaker"
                );
                shared
                    .metrics
                    .plugin_suspensions
                    .get_or_create(&Cause { cause })
                    .inc();
            }
            Ok(false) => {}
            Err(e) => tracing::error!(
                tenant = %self.tenant,
                plugin = %installed.name,
                error = %e,
                "could not store the plugin's suspension"
            ),
        }
    }
}
