//! What a merge means, whichever plugin asks for it (`merge_into`): the rules the
//! step follows, as pure functions over tickets read by id.
//!
//! - A merge names a target that exists, is not the ticket itself, and is not
//!   closed; a target that was itself merged stands for the end of its chain of
//!   merges. A merge that would close a cycle, a second merge of a ticket, and a
//!   `set_status merged` (a merge that names no target) are refused: the plugin's
//!   call is refused whole and audited, like any action the host cannot carry out.
//! - The source keeps its messages and stays `merged` (`apply` keeps a merged
//!   ticket's status whatever comes later); the target gains a copy of each, marked
//!   `merged_from` the source, through a `merged_in` event processed in the target's
//!   own order (`landing`; never written from the source's step, which would race the
//!   target's events).
//! - A message later addressed to a merged ticket lands on the end of its chain of
//!   merges.
//!
//! [`chain_end`] reads at most [`MAX_CHAIN`] + 1 tickets, by id (O(log n) each);
//! [`resolve_targets`] that per merge, plus the target itself.

use crate::model::{Action, Event, EventKind, Message, Ticket, TicketStatus};

/// The longest chain of merges followed: a longer one is refused as if it looped.
pub const MAX_CHAIN: usize = 32;

/// Why the host refuses a `merge_into`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeRefused {
    #[error("merge of ticket {0} into itself refused")]
    Itself(String),
    #[error("merge into ticket {0} refused: the tenant has no such ticket")]
    NoTarget(String),
    #[error("merge into ticket {target} refused: ticket {source_id} is already merged into {into}")]
    AlreadyMerged {
        source_id: String,
        target: String,
        into: String,
    },
    #[error("merge into ticket {target} refused: {end} is closed")]
    Closed { target: String, end: String },
    #[error("merge into ticket {target} refused: it would make a cycle of merges ({path})")]
    Cycle { target: String, path: String },
    #[error(
        "set_status merged refused: a ticket is merged by merge_into, which names the ticket it \
         joins"
    )]
    StatusMerged,
}

/// The actions of a call as the host applies them (each merge naming the end of its
/// target's chain), and a note for the audit trail per merge whose target was itself
/// merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub actions: Vec<Action>,
    pub notes: Vec<String>,
}

/// Where a chain of merges ends.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainEnd {
    /// The last ticket of the chain: not merged, or merged without a target (a
    /// helpdesk's own merge, of which guichet knows no target). It may be the ticket
    /// the chain started from: callers that send something on compare ids.
    Ticket(Box<Ticket>),
    /// The chain comes back to a ticket it passed (the ids, in order), is longer
    /// than [`MAX_CHAIN`], or names a ticket that does not exist.
    Broken(Vec<String>),
}

/// Follows `start`'s merges (`merged_into`) to the first ticket that is not merged.
/// `avoid` counts as already visited: a chain that reaches it is broken.
pub fn chain_end<E>(
    start: Ticket,
    avoid: Option<&str>,
    mut read: impl FnMut(&str) -> Result<Option<Ticket>, E>,
) -> Result<ChainEnd, E> {
    let mut path: Vec<String> = avoid.into_iter().map(str::to_string).collect();
    let mut current = start;
    loop {
        path.push(current.id.clone());
        let next = match (&current.status, &current.merged_into) {
            (TicketStatus::Merged, Some(next)) => next.clone(),
            _ => return Ok(ChainEnd::Ticket(Box::new(current))),
        };
        if path.contains(&next) || path.len() > MAX_CHAIN {
            path.push(next);
            return Ok(ChainEnd::Broken(path));
        }
        match read(&next)? {
            Some(ticket) => current = ticket,
            None => {
                path.push(next);
                return Ok(ChainEnd::Broken(path));
            }
        }
    }
}

/// Whether `action` is one [`resolve_targets`] checks: a merge, or a status of
/// merged.
pub fn concerns_merges(action: &Action) -> bool {
    matches!(
        action,
        Action::MergeInto { .. }
            | Action::SetStatus {
                status: TicketStatus::Merged
            }
    )
}

/// Checks the merges among `actions`, taken by `source` (the ticket as the earlier
/// actions of the event left it), and names in each the end of its target's chain.
/// The first refusal refuses them all.
pub fn resolve_targets<E>(
    source: &Ticket,
    actions: Vec<Action>,
    mut read: impl FnMut(&str) -> Result<Option<Ticket>, E>,
) -> Result<Result<Resolved, MergeRefused>, E> {
    let mut merged_into = match source.status {
        TicketStatus::Merged => source.merged_into.clone(),
        _ => None,
    };
    let mut resolved = Vec::with_capacity(actions.len());
    let mut notes = Vec::new();
    for action in actions {
        let target = match action {
            Action::SetStatus {
                status: TicketStatus::Merged,
            } => return Ok(Err(MergeRefused::StatusMerged)),
            Action::MergeInto { ticket_id } => ticket_id,
            other => {
                resolved.push(other);
                continue;
            }
        };
        if let Some(into) = &merged_into {
            return Ok(Err(MergeRefused::AlreadyMerged {
                source_id: source.id.clone(),
                target,
                into: into.clone(),
            }));
        }
        if target == source.id {
            return Ok(Err(MergeRefused::Itself(target)));
        }
        let Some(first) = read(&target)? else {
            return Ok(Err(MergeRefused::NoTarget(target)));
        };
        let end = match chain_end(first, Some(&source.id), &mut read)? {
            ChainEnd::Ticket(end) => end,
            ChainEnd::Broken(path) => {
                return Ok(Err(MergeRefused::Cycle {
                    target,
                    path: path.join(" → "),
                }));
            }
        };
        if end.status == TicketStatus::Closed {
            return Ok(Err(MergeRefused::Closed {
                target,
                end: end.id,
            }));
        }
        if end.id != target {
            notes.push(format!(
                "info: ticket {target} is merged: the merge goes to {}, the end of its chain",
                end.id
            ));
        }
        merged_into = Some(end.id.clone());
        resolved.push(Action::MergeInto { ticket_id: end.id });
    }
    Ok(Ok(Resolved {
        actions: resolved,
        notes,
    }))
}

/// Whether an event of this kind, for a merged ticket, goes to the end of its chain
/// of merges: a message, a missed call, a macro's reply.
pub fn follows_merges(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::MessageAdded { .. }
            | EventKind::MissedCall { .. }
            | EventKind::MacroApplied { .. }
    )
}

/// The id of the `merged_in` event a merge on event `cause` makes.
pub fn landing_id(cause: &str) -> String {
    format!("{cause}:merge")
}

/// The `merged_in` event that takes `source`'s messages to `target`, caused by event
/// `cause` (id [`landing_id`]) at `at`.
pub fn merged_in_event(
    cause: &str,
    source: &Ticket,
    target: Ticket,
    at: crate::model::Timestamp,
) -> Event {
    Event {
        id: landing_id(cause),
        kind: EventKind::MergedIn {
            source: source.id.clone(),
            messages: carried_messages(source),
        },
        ticket: Some(target),
        occurred_at: at,
    }
}

/// The `message_added` events that tell `target`'s plugins of the messages it
/// gained (`landed`) by `merged_in` event `landing` (ids `<landing>/<message id>`).
pub fn gained_messages(
    landing: &str,
    target: &Ticket,
    landed: Vec<Message>,
    at: crate::model::Timestamp,
) -> impl Iterator<Item = Event> {
    let landing = landing.to_string();
    let target = target.clone();
    landed.into_iter().map(move |message| Event {
        id: format!("{landing}/{}", message.id),
        kind: EventKind::MessageAdded { message },
        ticket: Some(target.clone()),
        occurred_at: at,
    })
}

/// The messages a target gains from `source`: each of its messages, marked as coming
/// from it (a message that came to `source` by an earlier merge keeps its origin).
pub fn carried_messages(source: &Ticket) -> Vec<Message> {
    source
        .messages
        .iter()
        .map(|m| Message {
            merged_from: Some(m.merged_from.clone().unwrap_or_else(|| source.id.clone())),
            ..m.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::convert::Infallible;

    use super::*;
    use crate::model::{Channel, Requester};

    fn ticket(id: &str, status: TicketStatus, into: Option<&str>) -> Ticket {
        let at = "2026-11-23T09:00:00Z".parse().unwrap();
        Ticket {
            id: id.into(),
            external_id: None,
            adapter: None,
            channel: Channel::Email,
            requester: Requester::default(),
            subject: None,
            status,
            priority: Default::default(),
            assignee: None,
            group: None,
            tags: vec![],
            fields: vec![],
            created_at: at,
            updated_at: at,
            first_agent_response_at: None,
            last_requester_message_at: None,
            last_agent_message_at: None,
            merged_into: into.map(str::to_string),
            messages: vec![],
            status_changed_at: None,
            assignment_changed_at: None,
            priority_changed_at: None,
            channel_changed_at: None,
            fields_changed_at: Default::default(),
            tags_changed_at: Default::default(),
        }
    }

    fn store(tickets: &[Ticket]) -> HashMap<String, Ticket> {
        tickets.iter().map(|t| (t.id.clone(), t.clone())).collect()
    }

    fn resolve(
        source: &Ticket,
        target: &str,
        tickets: &HashMap<String, Ticket>,
    ) -> Result<Vec<Action>, MergeRefused> {
        let read = |id: &str| Ok::<_, Infallible>(tickets.get(id).cloned());
        let actions = vec![
            Action::AddTags {
                tags: vec!["duplicate".into()],
            },
            Action::MergeInto {
                ticket_id: target.into(),
            },
        ];
        resolve_targets(source, actions, read)
            .unwrap()
            .map(|r| r.actions)
    }

    fn merge(into: &str) -> Vec<Action> {
        vec![
            Action::AddTags {
                tags: vec!["duplicate".into()],
            },
            Action::MergeInto {
                ticket_id: into.into(),
            },
        ]
    }

    #[test]
    fn a_merge_into_an_open_ticket_stands_and_a_merged_target_stands_for_its_chain_end() {
        let s = ticket("s", TicketStatus::New, None);
        let tickets = store(&[
            ticket("a", TicketStatus::Open, None),
            ticket("b", TicketStatus::Merged, Some("c")),
            ticket("c", TicketStatus::Merged, Some("a")),
        ]);
        assert_eq!(resolve(&s, "a", &tickets), Ok(merge("a")));
        assert_eq!(resolve(&s, "b", &tickets), Ok(merge("a")));
        // The audit trail says where a merge into a merged ticket went.
        let read = |id: &str| Ok::<_, Infallible>(tickets.get(id).cloned());
        let resolved = resolve_targets(&s, merge("b"), read).unwrap().unwrap();
        assert_eq!(
            resolved.notes,
            ["info: ticket b is merged: the merge goes to a, the end of its chain"]
        );
    }

    #[test]
    fn a_merged_status_without_a_target_is_refused_and_a_targetless_merge_ends_a_chain() {
        let s = ticket("s", TicketStatus::Open, None);
        let tickets = store(&[ticket("z", TicketStatus::Merged, None)]);
        let read = |id: &str| Ok::<_, Infallible>(tickets.get(id).cloned());
        let status = vec![Action::SetStatus {
            status: TicketStatus::Merged,
        }];
        assert_eq!(
            resolve_targets(&s, status, read).unwrap(),
            Err(MergeRefused::StatusMerged)
        );
        // Merged in a helpdesk, with no target guichet knows: the chain ends there.
        let end = chain_end(tickets["z"].clone(), None, read).unwrap();
        assert!(matches!(end, ChainEnd::Ticket(t) if t.id == "z"));
    }

    #[test]
    fn itself_a_missing_or_closed_target_a_cycle_and_a_second_merge_are_refused() {
        let s = ticket("s", TicketStatus::Open, None);
        let tickets = store(&[
            ticket("closed", TicketStatus::Closed, None),
            ticket("via", TicketStatus::Merged, Some("closed")),
            ticket("back", TicketStatus::Merged, Some("s")),
            ticket("x", TicketStatus::Merged, Some("y")),
            ticket("y", TicketStatus::Merged, Some("x")),
            ticket("open", TicketStatus::Open, None),
        ]);
        assert_eq!(
            resolve(&s, "s", &tickets),
            Err(MergeRefused::Itself("s".into()))
        );
        assert_eq!(
            resolve(&s, "nope", &tickets),
            Err(MergeRefused::NoTarget("nope".into()))
        );
        let closed = resolve(&s, "via", &tickets).unwrap_err();
        assert_eq!(
            closed,
            MergeRefused::Closed {
                target: "via".into(),
                end: "closed".into()
            }
        );
        assert_eq!(
            closed.to_string(),
            "merge into ticket via refused: closed is closed"
        );
        let cycle = resolve(&s, "back", &tickets).unwrap_err();
        assert_eq!(
            cycle.to_string(),
            "merge into ticket back refused: it would make a cycle of merges (s → back → s)"
        );
        assert!(matches!(
            resolve(&s, "x", &tickets),
            Err(MergeRefused::Cycle { .. })
        ));
        let merged = ticket("s", TicketStatus::Merged, Some("open"));
        assert!(matches!(
            resolve(&merged, "open", &tickets),
            Err(MergeRefused::AlreadyMerged { .. })
        ));
        // Two merges in one call: the second is a second merge.
        let read = |id: &str| Ok::<_, Infallible>(tickets.get(id).cloned());
        let twice = [merge("open"), merge("open")].concat();
        assert!(matches!(
            resolve_targets(&s, twice, read).unwrap(),
            Err(MergeRefused::AlreadyMerged { .. })
        ));
    }

    #[test]
    fn a_chain_longer_than_the_limit_is_broken() {
        let mut tickets: Vec<Ticket> = (0..MAX_CHAIN + 5)
            .map(|n| {
                ticket(
                    &format!("t{n}"),
                    TicketStatus::Merged,
                    Some(&format!("t{}", n + 1)),
                )
            })
            .collect();
        tickets.push(ticket(
            &format!("t{}", MAX_CHAIN + 5),
            TicketStatus::Open,
            None,
        ));
        let tickets = store(&tickets);
        let read = |id: &str| Ok::<_, Infallible>(tickets.get(id).cloned());
        let end = chain_end(tickets["t0"].clone(), None, read).unwrap();
        assert!(matches!(end, ChainEnd::Broken(path) if path.len() == MAX_CHAIN + 2));
    }
}
