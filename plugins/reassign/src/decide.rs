//! What each event does to a ticket's watch, as actions and as the state kept in the
//! plugin's storage between calls.
//!
//! A ticket has at most one watch, with one timer pending:
//!
//! - **timeout**: the ticket is assigned and waits on its agent (the requester wrote
//!   last, no agent public reply since). The clock starts when the requester writes to
//!   an assigned ticket, or when a ticket already waiting is assigned to someone new;
//!   an agent's public reply, or the ticket being unassigned, stops it. When it runs
//!   out, the ticket goes back to its group's pool.
//! - **cascade**: a new, unassigned ticket of a group with a cascade is offered to
//!   the group's agents one after the other; the first public reply by an agent ends
//!   the cascade, and after the last agent the ticket goes back to the group's pool.
//!
//! The state exists only while a watch runs, so that tickets without one (most of
//! them) cost no actions: no `cancel-timer` for timers that were never set. The
//! plugin's own assignments come back as `assignment_changed` follow-ups; the state
//! names the agent it chose, which is how they are told from someone else's.

use business_hours::{format_duration, format_time};
use serde::{Deserialize, Serialize};

use crate::config::{Cascade, Config};
use crate::guichet::plugin::types::{
    Action, Assignment, AuthorRole, Event, EventKind, Notification, Recipient, Ticket,
    TicketStatus, Timer,
};

/// The timer of the timeout mode.
pub const TIMEOUT: &str = "reassign:timeout";
/// The timer of the current cascade step.
pub const CASCADE: &str = "reassign:cascade";

/// A running watch, as stored.
#[derive(Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Watch {
    /// `agent` has had the ticket waiting on them since `since` (epoch ms).
    Timeout { agent: String, since: i64 },
    /// `group`'s cascade offers the ticket to its agent at position `step` since
    /// `offered_at`; `offered` names everyone offered so far, the current agent last.
    Cascade {
        group: String,
        step: usize,
        offered: Vec<String>,
        offered_at: i64,
    },
}

impl Watch {
    /// The agent the plugin gave the ticket to, or whose answer it waits for.
    fn agent(&self) -> Option<&str> {
        match self {
            Watch::Timeout { agent, .. } => Some(agent),
            Watch::Cascade { offered, .. } => offered.last().map(String::as_str),
        }
    }

    fn timer(&self) -> &'static str {
        match self {
            Watch::Timeout { .. } => TIMEOUT,
            Watch::Cascade { .. } => CASCADE,
        }
    }
}

/// What to do with the stored state after the call.
pub enum StateChange {
    Keep,
    Save(Watch),
    Forget,
}

/// The outcome of one event.
pub struct Decision {
    pub actions: Vec<Action>,
    pub state: StateChange,
    /// Lines for the call's log (and so the audit trail).
    pub log: Vec<String>,
}

impl Decision {
    fn nothing() -> Decision {
        Decision {
            actions: Vec::new(),
            state: StateChange::Keep,
            log: Vec::new(),
        }
    }

    fn forget(log: String) -> Decision {
        Decision {
            actions: Vec::new(),
            state: StateChange::Forget,
            log: vec![log],
        }
    }

    /// This decision followed by `next`, for an event that ends one watch and starts
    /// another. A timer cancelled here and set again by `next` is just set (moved).
    fn then(mut self, next: Decision) -> Decision {
        let set_again: Vec<String> = next
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::SetTimer(t) => Some(t.name.clone()),
                _ => None,
            })
            .collect();
        self.actions
            .retain(|a| !matches!(a, Action::CancelTimer(name) if set_again.contains(name)));
        self.actions.extend(next.actions);
        if !matches!(next.state, StateChange::Keep) {
            self.state = next.state;
        }
        self.log.extend(next.log);
        self
    }
}

/// Whether the requester waits on an agent: of the public messages written by people,
/// the last is the requester's. Bots (a follow-up reminder, say) and internal notes do
/// not answer anyone.
fn waiting_on_agent(ticket: &Ticket) -> bool {
    ticket
        .messages
        .iter()
        .rev()
        .find(|m| match m.author_role {
            AuthorRole::Requester => true,
            AuthorRole::Agent => m.public,
            AuthorRole::System | AuthorRole::Bot => false,
        })
        .is_some_and(|m| matches!(m.author_role, AuthorRole::Requester))
}

/// Whether an agent has ever answered the requester publicly.
fn answered(ticket: &Ticket) -> bool {
    ticket
        .messages
        .iter()
        .any(|m| matches!(m.author_role, AuthorRole::Agent) && m.public)
}

/// Whether an agent has answered publicly at or after `since`.
fn agent_replied_since(ticket: &Ticket, since: i64) -> bool {
    ticket
        .messages
        .iter()
        .any(|m| matches!(m.author_role, AuthorRole::Agent) && m.public && m.created_at >= since)
}

/// The name of a status that ends the work on a ticket, if it is one.
fn done(status: TicketStatus) -> Option<&'static str> {
    match status {
        TicketStatus::Solved => Some("solved"),
        TicketStatus::Closed => Some("closed"),
        TicketStatus::Merged => Some("merged"),
        _ => None,
    }
}

/// Decides what `event` does to the watch of `ticket` (the ticket as it stands after
/// the event), whose stored state is `state`.
pub fn decide(config: &Config, event: &Event, ticket: &Ticket, state: Option<Watch>) -> Decision {
    let now = event.occurred_at;
    // A solved, closed or merged ticket is nobody's to answer: whichever event shows
    // it, a running watch ends and none starts (a requester's thank-you on a solved
    // ticket waits on no agent).
    if let Some(status) = done(ticket.status) {
        return match state {
            None => Decision::nothing(),
            // The host drops the timers of a closed or merged ticket itself, and a
            // timer that fired is gone: only the state goes.
            Some(_) if status != "solved" || matches!(event.kind, EventKind::TimerFired(_)) => {
                Decision::forget(format!("the ticket is {status}: watch ended"))
            }
            Some(watch) => stop(&watch, "the ticket is solved"),
        };
    }
    match &event.kind {
        EventKind::TicketCreated => match state {
            // A ticket id seen again (created twice by the helpdesk): keep the watch.
            Some(_) => Decision::nothing(),
            None => begin(config, ticket, now, true),
        },
        EventKind::MessageAdded(message) => match message.author_role {
            AuthorRole::Requester => match state {
                // The cascade's step timer governs, whoever writes.
                Some(Watch::Cascade { .. }) => Decision::nothing(),
                // The clock already runs: the requester has waited since their first
                // unanswered message, not since their latest.
                Some(Watch::Timeout { ref agent, .. })
                    if ticket.assignee.as_deref() == Some(agent.as_str()) =>
                {
                    Decision::nothing()
                }
                Some(watch) => stop(&watch, "the assignee changed unseen")
                    .then(begin(config, ticket, now, false)),
                None => begin(config, ticket, now, false),
            },
            AuthorRole::Agent if message.public => match state {
                Some(watch) => stop(
                    &watch,
                    &format!(
                        "{} answered the requester",
                        message.author.as_deref().unwrap_or("an agent")
                    ),
                ),
                None => Decision::nothing(),
            },
            _ => Decision::nothing(),
        },
        EventKind::AssignmentChanged(change) => match state {
            // The plugin's own assignment coming back as a follow-up, or the helpdesk
            // echoing it.
            Some(watch) if watch.agent() == change.current_assignee.as_deref() => {
                Decision::nothing()
            }
            Some(watch) => stop(&watch, "the ticket was reassigned by someone else").then(begin(
                config,
                ticket,
                now,
                change.previous_group != change.current_group,
            )),
            None => begin(
                config,
                ticket,
                now,
                change.previous_group != change.current_group,
            ),
        },
        // Reopened (solved, closed or merged before): if the requester waits on the
        // assignee, the timeout runs from the reopening. A reopened ticket is not new:
        // no cascade.
        EventKind::StatusChanged(change) if done(change.previous).is_some() => match state {
            Some(watch) => {
                stop(&watch, "the ticket was reopened").then(begin(config, ticket, now, false))
            }
            None => begin(config, ticket, now, false),
        },
        EventKind::TimerFired(timer) => fired(config, ticket, &timer.name, now, state),
        _ => Decision::nothing(),
    }
}

/// Starts the watch the ticket calls for, if any. `entered_group` says whether the
/// ticket has just arrived in its group (created there, or moved there): only then
/// may a cascade start.
fn begin(config: &Config, ticket: &Ticket, now: i64, entered_group: bool) -> Decision {
    match (&ticket.assignee, &ticket.group) {
        (None, Some(group)) if entered_group => match config.cascades.get(group) {
            // A new ticket: nobody answered it yet, and it has not been handed back to
            // a pool before (which the tag records).
            Some(cascade) if !answered(ticket) && !ticket.tags.contains(&config.tag) => {
                offer(config, ticket, group, cascade, 0, Vec::new(), now)
            }
            _ => Decision::nothing(),
        },
        (Some(agent), _) if waiting_on_agent(ticket) => match config.timeout {
            Some(timeout) => {
                let due_at = config.calendar.add(now, timeout);
                Decision {
                    actions: vec![Action::SetTimer(Timer {
                        name: TIMEOUT.to_string(),
                        due_at,
                    })],
                    state: StateChange::Save(Watch::Timeout {
                        agent: agent.clone(),
                        since: now,
                    }),
                    log: vec![format!(
                        "waiting on {agent}: back to the pool at {} without a public reply",
                        format_time(due_at)
                    )],
                }
            }
            None => Decision::nothing(),
        },
        _ => Decision::nothing(),
    }
}

/// Ends a watch before its time.
fn stop(watch: &Watch, why: &str) -> Decision {
    Decision {
        actions: vec![Action::CancelTimer(watch.timer().to_string())],
        state: StateChange::Forget,
        log: vec![format!("watch stopped: {why}")],
    }
}

/// Offers the ticket to the first available agent of `group`'s cascade at or after
/// position `from`, or hands it to the group's pool when none is left. `offered`
/// names the agents offered before.
fn offer(
    config: &Config,
    ticket: &Ticket,
    group: &str,
    cascade: &Cascade,
    from: usize,
    mut offered: Vec<String>,
    now: i64,
) -> Decision {
    let Some(step) = cascade.next_available(from) else {
        let why = if offered.is_empty() {
            format!("no agent of the {group} cascade is available")
        } else {
            format!(
                "offered to {} in turn, {}{} each, with no public reply",
                offered.join(", "),
                format_duration(cascade.step),
                config.counted()
            )
        };
        return to_pool(config, ticket, &why);
    };
    let agent = cascade.agents[step].clone();
    let due_at = config.calendar.add(now, cascade.step);
    let then = if cascade.next_available(step + 1).is_some() {
        "it moves on to the next agent".to_string()
    } else {
        format!("it goes back to the {group} pool")
    };
    let subject = ticket
        .subject
        .as_deref()
        .map(|s| format!(" \"{s}\""))
        .unwrap_or_default();
    let actions = vec![
        Action::Assign(Assignment {
            agent: Some(agent.clone()),
            group: None,
        }),
        Action::Notify(Notification {
            recipient: Recipient::Agent(agent.clone()),
            message: format!(
                "Ticket {}{subject} is offered to you: answer it publicly within {}{}, or {then}.",
                ticket.id,
                format_duration(cascade.step),
                config.counted()
            ),
        }),
        Action::SetTimer(Timer {
            name: CASCADE.to_string(),
            due_at,
        }),
    ];
    let log = vec![format!(
        "{group} cascade: offered to {agent} until {}",
        format_time(due_at)
    )];
    offered.push(agent);
    Decision {
        actions,
        state: StateChange::Save(Watch::Cascade {
            group: group.to_string(),
            step,
            offered,
            offered_at: now,
        }),
        log,
    }
}

/// Back to the shared pool: the agent goes, the group stays; tagged, and a note says
/// why.
fn to_pool(config: &Config, ticket: &Ticket, why: &str) -> Decision {
    let pool = match &ticket.group {
        Some(group) => format!("the shared pool of {group}"),
        None => "the shared pool".to_string(),
    };
    let mut actions = Vec::new();
    if ticket.assignee.is_some() {
        actions.push(Action::Unassign);
    }
    actions.push(Action::AddTags(vec![config.tag.clone()]));
    actions.push(Action::InternalNote(format!("Back to {pool}: {why}.")));
    Decision {
        actions,
        state: StateChange::Forget,
        log: vec![format!("back to {pool}: {why}")],
    }
}

/// One of the plugin's timers came due.
fn fired(config: &Config, ticket: &Ticket, name: &str, now: i64, state: Option<Watch>) -> Decision {
    // Every way out of a watch cancels its timer, so a timer that finds its watch
    // gone or changed means events were missed (the plugin was disabled or
    // unsubscribed meanwhile): do nothing rather than move a ticket someone handled.
    match state {
        Some(Watch::Timeout { agent, since })
            if name == TIMEOUT
                && ticket.assignee.as_deref() == Some(agent.as_str())
                && waiting_on_agent(ticket) =>
        {
            let waited = config.calendar.between(since, now);
            to_pool(
                config,
                ticket,
                &format!(
                    "the requester has waited {}{} for a public reply from {agent} (since {})",
                    format_duration(waited),
                    config.counted(),
                    format_time(since)
                ),
            )
        }
        Some(Watch::Cascade {
            group,
            step,
            offered,
            offered_at,
        }) if name == CASCADE
            && ticket.assignee.as_deref() == offered.last().map(String::as_str)
            && !agent_replied_since(ticket, offered_at) =>
        {
            match config.cascades.get(&group) {
                Some(cascade) => offer(config, ticket, &group, cascade, step + 1, offered, now),
                None => to_pool(
                    config,
                    ticket,
                    &format!("the {group} cascade is no longer configured"),
                ),
            }
        }
        Some(_) => Decision::forget(format!(
            "timer {name} fired but the ticket changed meanwhile; watch ended"
        )),
        None => Decision {
            log: vec![format!("timer {name} fired with no watch running; ignored")],
            ..Decision::nothing()
        },
    }
}
