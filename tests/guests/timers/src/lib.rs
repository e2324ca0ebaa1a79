//! A guest that does with timers what the ticket's messages tell it, so that the
//! host's timers and schedules can be tested without a real plugin's rules.
//!
//! On `ticket_created` and `message_added`, each line of the newest message is a
//! command: `set NAME +SECONDS` (set or move a timer, relative to the event's time),
//! `cancel NAME`, `close` (close the ticket), `many N` (set N timers `t0`…),
//! `merge ID` (merge the ticket into ticket ID, tagged `merged-by-guest`),
//! `status merged` (set the status to merged, naming no target).
//! On `timer_fired` it tags the ticket `fired:NAME` and notes when it ran; with the
//! configuration `{"chain": {"a": ["b", 30]}}` timer `a` firing sets `b` 30 seconds
//! later. On `scheduled_tick` it notifies the group `ops` with the tick's time.

wit_bindgen::generate!({
    path: "../../../wit/v0.1.0",
    world: "guichet:plugin/automation@0.1.0",
});

use exports::guichet::plugin::rules::Guest;
use guichet::plugin::config;
use guichet::plugin::types::{
    Action, Event, EventKind, Notification, Recipient, TicketStatus, Timer,
};

struct Timers;

fn set(name: &str, due_at: i64) -> Action {
    Action::SetTimer(Timer {
        name: name.to_string(),
        due_at,
    })
}

/// `{"chain": {"a": ["b", 30]}}` → ("b", 30) for "a". A tiny reader, so that the
/// guest needs no JSON crate: the configuration is written by the tests.
fn chained(fired: &str) -> Option<(String, i64)> {
    let config: String = config::get()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let start = config.find(&format!("\"{fired}\":[\""))? + fired.len() + 5;
    let (next, rest) = config[start..].split_once('"')?;
    let seconds = rest
        .trim_start_matches(',')
        .split(']')
        .next()?
        .parse()
        .ok()?;
    Some((next.to_string(), seconds))
}

impl Guest for Timers {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        let now = event.occurred_at;
        match event.kind {
            EventKind::TicketCreated | EventKind::MessageAdded(_) => {
                let Some(ticket) = event.ticket else {
                    return Ok(Vec::new());
                };
                let Some(message) = ticket.messages.last() else {
                    return Ok(Vec::new());
                };
                let mut actions = Vec::new();
                for line in message.body.lines() {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    match words.as_slice() {
                        ["set", name, after] => {
                            let seconds: i64 = after
                                .trim_start_matches('+')
                                .parse()
                                .map_err(|_| format!("bad seconds in `{line}`"))?;
                            actions.push(set(name, now + seconds * 1000));
                        }
                        ["cancel", name] => actions.push(Action::CancelTimer(name.to_string())),
                        ["close"] => actions.push(Action::Close),
                        ["status", "merged"] => {
                            actions.push(Action::SetStatus(TicketStatus::Merged));
                        }
                        ["merge", into] => {
                            actions.push(Action::AddTags(vec!["merged-by-guest".to_string()]));
                            actions.push(Action::MergeInto(into.to_string()));
                        }
                        ["many", n] => {
                            let n: u32 = n.parse().map_err(|_| format!("bad count in `{line}`"))?;
                            for i in 0..n {
                                actions.push(set(&format!("t{i}"), now + 60_000));
                            }
                        }
                        _ => {}
                    }
                }
                Ok(actions)
            }
            EventKind::TimerFired(fired) => {
                let mut actions = vec![
                    Action::AddTags(vec![format!("fired:{}", fired.name)]),
                    Action::InternalNote(format!(
                        "{} fired at {now} (due {})",
                        fired.name, fired.due_at
                    )),
                ];
                if let Some((next, seconds)) = chained(&fired.name) {
                    actions.push(set(&next, now + seconds * 1000));
                }
                Ok(actions)
            }
            EventKind::ScheduledTick(tick) => Ok(vec![Action::Notify(Notification {
                recipient: Recipient::Group("ops".to_string()),
                message: format!("{} at {}", tick.schedule, tick.scheduled_at),
            })]),
            _ => Ok(Vec::new()),
        }
    }
}

export!(Timers);
