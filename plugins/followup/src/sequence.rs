//! The follow-up sequence of one ticket: what each event does to it, as actions and
//! as the state kept in the plugin's storage between calls.
//!
//! The sequence runs while the ticket waits on the requester: entering
//! `waiting_on_requester` sets the first timer; each timer, when it fires, sends its
//! reminder and sets the next; the last one closes the ticket. A requester message, or
//! the ticket leaving that status any other way, cancels the timer pending.
//!
//! Exactly one timer is pending while a sequence runs, and the state says which (by
//! the number of reminders sent). The state exists only while the sequence runs, so
//! that events of tickets with no sequence (most of them) cost no actions: no
//! `cancel-timer` for timers that were never set.

use business_hours::format_time;
use serde::{Deserialize, Serialize};

use crate::config::{Config, Template};
use crate::guichet::plugin::types::{
    Action, AuthorRole, Event, EventKind, Reply, Ticket, TicketStatus, Timer,
};

/// The timers, in the order the sequence sets them.
pub const FIRST: &str = "followup:first";
pub const SECOND: &str = "followup:second";
pub const CLOSE: &str = "followup:close";
const TIMERS: [&str; 3] = [FIRST, SECOND, CLOSE];

/// A running sequence, as stored.
#[derive(Serialize, Deserialize)]
pub struct Waiting {
    /// When the ticket entered `waiting_on_requester` (epoch ms).
    pub since: i64,
    /// When each reminder was sent, oldest first.
    pub reminded: Vec<i64>,
}

impl Waiting {
    /// The timer this sequence waits for.
    fn pending(&self) -> &'static str {
        TIMERS[self.reminded.len().min(TIMERS.len() - 1)]
    }
}

/// What to do with the stored state after the call.
pub enum StateChange {
    Keep,
    Save(Waiting),
    Forget,
}

/// The outcome of one event.
pub struct Decision {
    pub actions: Vec<Action>,
    pub state: StateChange,
    /// A line for the call's log (and so the audit trail), when something happened.
    pub log: Option<String>,
}

impl Decision {
    fn nothing() -> Decision {
        Decision {
            actions: Vec::new(),
            state: StateChange::Keep,
            log: None,
        }
    }
}

fn waiting(status: TicketStatus) -> bool {
    matches!(status, TicketStatus::WaitingOnRequester)
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

/// Decides what `event` does to the sequence of `ticket` (the ticket as it stands after
/// the event), whose stored state is `state`.
pub fn decide(config: &Config, event: &Event, ticket: &Ticket, state: Option<Waiting>) -> Decision {
    let now = event.occurred_at;
    // A solved, closed or merged ticket has no sequence, whichever event shows it: the
    // state goes and nothing is sent. (A requester's thank-you on a solved ticket does
    // not start anything either; if the helpdesk reopens the ticket and asks again, the
    // `status_changed` to `waiting_on_requester` starts a new sequence.)
    if let Some(status) = done(ticket.status) {
        return match state {
            None => Decision::nothing(),
            // The host drops the timers of a closed or merged ticket itself, and a
            // timer that fired is gone: only the state goes. (The sequence's own close
            // comes back here with no state left, and does nothing.)
            Some(_) if status != "solved" || matches!(event.kind, EventKind::TimerFired(_)) => {
                Decision {
                    actions: Vec::new(),
                    state: StateChange::Forget,
                    log: Some(format!("follow-up stopped: the ticket is {status}")),
                }
            }
            Some(state) => stop(&state, "the ticket is solved"),
        };
    }
    match &event.kind {
        // A ticket may be created already waiting, e.g. one an agent opened to ask the
        // customer something.
        EventKind::TicketCreated if waiting(ticket.status) => start(config, now, state),
        EventKind::StatusChanged(change) => {
            if waiting(change.current) && !waiting(change.previous) {
                start(config, now, state)
            } else if !waiting(change.current) {
                match state {
                    Some(state) => stop(&state, "the ticket no longer waits on the requester"),
                    None => Decision::nothing(),
                }
            } else {
                Decision::nothing()
            }
        }
        EventKind::MessageAdded(message)
            if matches!(message.author_role, AuthorRole::Requester) =>
        {
            match state {
                Some(state) => stop(&state, "the requester answered"),
                None => Decision::nothing(),
            }
        }
        EventKind::TimerFired(timer) => fired(config, ticket, &timer.name, now, state),
        _ => Decision::nothing(),
    }
}

/// (Re)starts the sequence at `now`: the first reminder is due after its delay.
fn start(config: &Config, now: i64, state: Option<Waiting>) -> Decision {
    let mut actions = Vec::new();
    // A sequence still running (its end was missed, say while the plugin was
    // disabled) is replaced: its pending timer must not fire into the new one.
    if let Some(previous) = &state
        && previous.pending() != FIRST
    {
        actions.push(Action::CancelTimer(previous.pending().to_string()));
    }
    let due_at = config.calendar.add(now, config.first.after);
    actions.push(Action::SetTimer(Timer {
        name: FIRST.to_string(),
        due_at,
    }));
    Decision {
        actions,
        state: StateChange::Save(Waiting {
            since: now,
            reminded: Vec::new(),
        }),
        log: Some(format!(
            "waiting on the requester: first reminder due {}",
            format_time(due_at)
        )),
    }
}

fn stop(state: &Waiting, why: &str) -> Decision {
    Decision {
        actions: vec![Action::CancelTimer(state.pending().to_string())],
        state: StateChange::Forget,
        log: Some(format!("follow-up stopped: {why}")),
    }
}

/// One of the sequence's timers came due.
fn fired(
    config: &Config,
    ticket: &Ticket,
    name: &str,
    now: i64,
    state: Option<Waiting>,
) -> Decision {
    // Every way out of the sequence cancels its timer, so a timer that finds no
    // matching sequence, or a ticket no longer waiting, means events were missed (the
    // plugin was disabled or unsubscribed meanwhile): do nothing rather than remind
    // someone who may have answered.
    let Some(mut state) = state.filter(|s| s.pending() == name) else {
        return Decision {
            log: Some(format!("timer {name} fired outside a follow-up; ignored")),
            ..Decision::nothing()
        };
    };
    if !waiting(ticket.status) {
        return Decision {
            actions: Vec::new(),
            state: StateChange::Forget,
            log: Some(format!(
                "timer {name} fired but the ticket no longer waits on the requester; ignored"
            )),
        };
    }
    let requester = |template: &Template| {
        template.render(ticket.requester.name.as_deref(), &config.requester_fallback)
    };
    let reply = |body: String| {
        Action::PublicReply(Reply {
            body,
            channel: None,
        })
    };
    match name {
        FIRST | SECOND => {
            let (reminder, next, next_after) = if name == FIRST {
                (&config.first, SECOND, config.second.after)
            } else {
                (&config.second, CLOSE, config.close_after)
            };
            let due_at = config.calendar.add(now, next_after);
            state.reminded.push(now);
            let sent = state.reminded.len();
            Decision {
                actions: vec![
                    reply(requester(&reminder.message)),
                    Action::SetTimer(Timer {
                        name: next.to_string(),
                        due_at,
                    }),
                ],
                state: StateChange::Save(state),
                log: Some(format!(
                    "reminder {sent} sent; {next} due {}",
                    format_time(due_at)
                )),
            }
        }
        _ => {
            let mut actions = Vec::new();
            if let Some(message) = &config.close_message {
                actions.push(reply(requester(message)));
            }
            if !config.close_tags.is_empty() {
                actions.push(Action::AddTags(config.close_tags.clone()));
            }
            actions.push(Action::InternalNote(closing_note(config, &state)));
            actions.push(Action::Close);
            Decision {
                actions,
                state: StateChange::Forget,
                log: Some("no answer after two reminders: ticket closed".to_string()),
            }
        }
    }
}

/// Why the ticket was closed, for the agents who find it closed.
fn closing_note(config: &Config, state: &Waiting) -> String {
    let reminders: Vec<String> = state.reminded.iter().map(|t| format_time(*t)).collect();
    format!(
        "Closed automatically by the follow-up: waiting on the requester since {}, with no \
         answer to the reminders sent {}{}.",
        format_time(state.since),
        reminders.join(" and "),
        if config.business_hours {
            " (delays counted in business hours)"
        } else {
            ""
        }
    )
}
