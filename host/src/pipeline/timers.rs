//! The timer rules of the event path: which timer changes a plugin's actions ask for
//! and whether they may have them, and what happens to a ticket's timers when it is
//! closed or merged. Pure: the timers a ticket has are given, nothing is read here.

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::{Action, Ticket, TicketStatus};
use crate::store::{Timer, TimerChange};

/// Most timers one plugin may keep on one ticket.
pub const MAX_TIMERS_PER_TICKET: usize = 64;

/// The soonest a timer may fall due after it is set.
pub const MIN_TIMER_DELAY: TimeDelta = TimeDelta::seconds(1);

/// The timer changes `plugin`'s actions ask for, checked: names the store can key, a
/// ticket to set them on, and no more than [`MAX_TIMERS_PER_TICKET`] per plugin and
/// ticket, counted with the ticket's timers (`existing`, read only when a timer is
/// set). A timer due before `now` plus [`MIN_TIMER_DELAY`] is due then. An error
/// refuses the whole call.
pub fn changes(
    tenant: &str,
    ticket: Option<&Ticket>,
    plugin: &str,
    actions: &[Action],
    now: DateTime<Utc>,
    existing: impl FnOnce() -> Result<Vec<Timer>, String>,
) -> Result<Vec<TimerChange>, String> {
    let mut changes = Vec::new();
    for action in actions {
        let (name, change) = match action {
            Action::SetTimer { name, due_at } => {
                // A timer due now or in the past fires a second from now: soon, but a
                // plugin that sets one on each of its own timer events cannot spin.
                let due_at = (*due_at).max(now + MIN_TIMER_DELAY);
                (
                    name,
                    TimerChange::Set(Timer {
                        tenant: tenant.to_string(),
                        ticket_id: String::new(),
                        plugin: plugin.to_string(),
                        name: name.clone(),
                        due_at,
                        set_at: now,
                    }),
                )
            }
            Action::CancelTimer { name } => (
                name,
                TimerChange::Cancel {
                    plugin: plugin.to_string(),
                    name: name.clone(),
                },
            ),
            Action::Notify { .. } => continue,
            other if ticket.is_none() => {
                return Err(format!(
                    "`{}` needs a ticket, and a scheduled tick has none; only `notify` applies",
                    other.name()
                ));
            }
            _ => continue,
        };
        if ticket.is_none() {
            return Err("timers are set on a ticket, and a scheduled tick has none".into());
        }
        if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
            return Err(format!(
                "timer name `{name}` must be 1–128 characters without control characters"
            ));
        }
        changes.push(change);
    }
    if ticket.is_some() && changes.iter().any(|c| matches!(c, TimerChange::Set(_))) {
        let mut names: std::collections::BTreeSet<String> = existing()?
            .into_iter()
            .filter(|t| t.plugin == plugin)
            .map(|t| t.name)
            .collect();
        for change in &changes {
            match change {
                TimerChange::Set(t) => names.insert(t.name.clone()),
                TimerChange::Cancel { name, .. } => names.remove(name),
            };
        }
        if names.len() > MAX_TIMERS_PER_TICKET {
            return Err(format!(
                "a plugin may keep at most {MAX_TIMERS_PER_TICKET} timers on a ticket; this \
                 call would leave {}",
                names.len()
            ));
        }
    }
    Ok(changes)
}

/// Whether `ticket`'s timers all go: a closed or merged ticket has nothing left to
/// wait for, so its timers are cancelled, those set by the event itself included.
pub fn all_go(ticket: &Ticket) -> bool {
    matches!(ticket.status, TicketStatus::Closed | TicketStatus::Merged)
}

/// What a closed or merged ticket's timers become ([`all_go`]): every `pending` one
/// cancelled, and those the event's actions set (`changes`) never made; with the
/// number of timers dropped when there were any to say so about.
pub fn closing(pending: Vec<Timer>, changes: &[TimerChange]) -> (Vec<TimerChange>, Option<usize>) {
    let set_now = changes.iter().any(|c| matches!(c, TimerChange::Set(_)));
    let dropped = (!pending.is_empty() || set_now).then_some(pending.len());
    (cancel_all(pending), dropped)
}

/// The changes that cancel every timer in `pending`.
pub fn cancel_all(pending: Vec<Timer>) -> Vec<TimerChange> {
    pending
        .into_iter()
        .map(|t| TimerChange::Cancel {
            plugin: t.plugin,
            name: t.name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        serde_json::from_str(
            r#"{"id":"t-1","channel":"email","requester":{"identities":[]},
                "created_at":"2026-11-23T09:00:00Z","updated_at":"2026-11-23T09:00:00Z"}"#,
        )
        .unwrap()
    }

    fn set(name: &str, due_at: &str) -> Action {
        Action::SetTimer {
            name: name.into(),
            due_at: due_at.parse().unwrap(),
        }
    }

    #[test]
    fn timers_are_checked_and_a_past_one_is_due_a_second_from_now() {
        let now: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        let t = ticket();
        let none = || Ok(Vec::new());
        let changes = changes(
            "acme",
            Some(&t),
            "sla",
            &[set("a", "2026-11-23T09:00:00Z")],
            now,
            none,
        )
        .unwrap();
        let [TimerChange::Set(timer)] = changes.as_slice() else {
            panic!("{changes:?}");
        };
        assert_eq!(timer.due_at, now + MIN_TIMER_DELAY);
        assert!(changes_of(&t, &[set("", "2026-11-23T11:00:00Z")], now).is_err());
        assert!(changes_of(&t, &[set("a\nb", "2026-11-23T11:00:00Z")], now).is_err());
        // A scheduled tick has no ticket: only `notify` applies.
        let error = super::changes("acme", None, "p", &[Action::Close], now, none).unwrap_err();
        assert!(error.contains("only `notify` applies"), "{error}");
        // The bound counts the plugin's timers already on the ticket.
        let full = || {
            Ok((0..MAX_TIMERS_PER_TICKET)
                .map(|n| Timer {
                    tenant: "acme".into(),
                    ticket_id: "t-1".into(),
                    plugin: "sla".into(),
                    name: format!("t{n}"),
                    due_at: now,
                    set_at: now,
                })
                .collect())
        };
        let error = super::changes(
            "acme",
            Some(&t),
            "sla",
            &[set("one-more", "2026-11-23T11:00:00Z")],
            now,
            full,
        )
        .unwrap_err();
        assert!(error.contains("at most 64 timers"), "{error}");
    }

    fn changes_of(
        t: &Ticket,
        actions: &[Action],
        now: DateTime<Utc>,
    ) -> Result<Vec<TimerChange>, String> {
        changes("acme", Some(t), "p", actions, now, || Ok(Vec::new()))
    }
}
