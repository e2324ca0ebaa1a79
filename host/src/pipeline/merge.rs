//! What a merge means, whichever plugin asks for it (`merge_into`): the rules the
//! step follows, as pure functions over tickets read by id.
//!
//! - A merge names a target that exists, is not the ticket itself, and is not
//!   closed; a target that was itself merged stands for the end of its chain of
//!   merges. A merge that would close a cycle, or a ticket already merged, is
//!   refused: the plugin's call is refused whole and audited, like any action the
//!   host cannot carry out.
//! - The source keeps its messages and is `merged`; the target gains a copy of each,
//!   marked `merged_from` the source, through a `merged_in` event processed in the
//!   target's own order (never written from the source's step, which would race the
//!   target's events).
//! - A message later addressed to a merged ticket lands on the end of its chain of
//!   merges.
//!
//! Each function reads at most [`MAX_CHAIN`] tickets, by id (O(log n) each).

use crate::model::{Action, Message, Ticket, TicketStatus};

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
}

/// Where a chain of merges ends.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainEnd {
    /// The last ticket of the chain: not merged (any other status).
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

/// Checks the merges among `actions`, taken by `source` (the ticket as the earlier
/// actions of the event left it), and names in each the end of its target's chain.
/// The first refusal refuses them all.
pub fn resolve_targets<E>(
    source: &Ticket,
    actions: Vec<Action>,
    mut read: impl FnMut(&str) -> Result<Option<Ticket>, E>,
) -> Result<Result<Vec<Action>, MergeRefused>, E> {
    let mut merged_into = match source.status {
        TicketStatus::Merged => source.merged_into.clone(),
        _ => None,
    };
    let mut resolved = Vec::with_capacity(actions.len());
    for action in actions {
        let Action::MergeInto { ticket_id: target } = action else {
            resolved.push(action);
            continue;
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
        merged_into = Some(end.id.clone());
        resolved.push(Action::MergeInto { ticket_id: end.id });
    }
    Ok(Ok(resolved))
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

/// Adds `messages` to `ticket` in time order, skipping any it already has (the same
/// id from the same origin): landing the same merge twice changes nothing. Returns
/// how many were added.
pub fn land(ticket: &mut Ticket, messages: &[Message]) -> usize {
    let mut added = 0;
    for message in messages {
        let known = ticket
            .messages
            .iter()
            .any(|m| m.id == message.id && m.merged_from == message.merged_from);
        if known {
            continue;
        }
        let at = ticket
            .messages
            .partition_point(|m| m.created_at <= message.created_at);
        ticket.messages.insert(at, message.clone());
        added += 1;
    }
    added
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::convert::Infallible;

    use super::*;
    use crate::model::{AuthorRole, Channel, Requester};

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
        resolve_targets(source, actions, read).unwrap()
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

    #[test]
    fn landing_marks_keeps_time_order_and_is_idempotent() {
        let message = |id: &str, at: &str| Message {
            id: id.into(),
            author_role: AuthorRole::Requester,
            author: None,
            channel: Channel::Whatsapp,
            body: id.into(),
            public: true,
            created_at: at.parse().unwrap(),
            merged_from: None,
        };
        let mut source = ticket("s", TicketStatus::Merged, Some("t"));
        source.messages = vec![message("m2", "2026-11-23T10:00:00Z")];
        let mut target = ticket("t", TicketStatus::Open, None);
        target.messages = vec![
            message("m1", "2026-11-23T09:00:00Z"),
            message("m3", "2026-11-23T11:00:00Z"),
        ];
        let carried = carried_messages(&source);
        assert_eq!(carried[0].merged_from.as_deref(), Some("s"));
        assert_eq!(land(&mut target, &carried), 1);
        assert_eq!(land(&mut target, &carried), 0);
        let ids: Vec<_> = target.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m2", "m3"]);
        // Carried on again by a merge of the target, a message keeps its origin.
        assert_eq!(
            carried_messages(&target)[1].merged_from.as_deref(),
            Some("s")
        );
    }
}
