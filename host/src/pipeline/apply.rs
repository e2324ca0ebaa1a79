//! How an event and a plugin's actions change the host's copy of a ticket, and which
//! follow-up events those changes cause. Pure functions: no storage, no Wasm.

use crate::model::{
    Action, AuthorRole, CustomField, Event, EventKind, Message, Ticket, TicketStatus, Timestamp,
};

/// The ticket as the event leaves it: the host's stored copy (if any) brought up to
/// date by what the event says happened. A `ticket_created` event, or an event about
/// a ticket the host has never seen, takes the ticket the event carries.
pub fn ticket_after_event(stored: Option<Ticket>, event: &Event) -> Option<Ticket> {
    let carried = event.ticket.clone();
    let mut ticket = match (stored, &event.kind) {
        (_, EventKind::TicketCreated) | (None, _) => carried?,
        (Some(stored), _) => stored,
    };
    match &event.kind {
        EventKind::TicketCreated => {}
        EventKind::MessageAdded { message } => add_message(&mut ticket, message.clone()),
        EventKind::StatusChanged { current, .. } => ticket.status = *current,
        EventKind::AssignmentChanged {
            current_assignee,
            current_group,
            ..
        } => {
            ticket.assignee = current_assignee.clone();
            ticket.group = current_group.clone();
        }
        EventKind::TagsChanged { added, removed } => {
            ticket.tags.retain(|t| !removed.contains(t));
            for tag in added {
                if !ticket.tags.contains(tag) {
                    ticket.tags.push(tag.clone());
                }
            }
        }
        EventKind::TimerFired { .. }
        | EventKind::ScheduledTick { .. }
        | EventKind::MissedCall { .. } => {}
    }
    // Timers and ticks are the host's own doing, not activity on the ticket: rules
    // such as "no activity for a day" must not see them as such.
    let activity = !matches!(
        event.kind,
        EventKind::TimerFired { .. } | EventKind::ScheduledTick { .. }
    );
    if activity && event.occurred_at > ticket.updated_at {
        ticket.updated_at = event.occurred_at;
    }
    Some(ticket)
}

fn add_message(ticket: &mut Ticket, message: Message) {
    if ticket.messages.iter().any(|m| m.id == message.id) {
        return;
    }
    match message.author_role {
        AuthorRole::Requester => ticket.last_requester_message_at = Some(message.created_at),
        // Internal notes are not answers: both times are about public replies.
        AuthorRole::Agent if message.public => {
            ticket.last_agent_message_at = Some(message.created_at);
            if ticket.first_agent_response_at.is_none() {
                ticket.first_agent_response_at = Some(message.created_at);
            }
        }
        AuthorRole::Agent => {}
        AuthorRole::System | AuthorRole::Bot => {}
    }
    ticket.messages.push(message);
}

/// Applies one plugin's actions to `ticket`, at time `now`. `author` names the
/// plugin on the messages it writes. Actions that do not change the ticket itself
/// (notify, timers) are left to the caller.
pub fn apply_actions(ticket: &mut Ticket, actions: &[Action], author: &str, now: Timestamp) {
    for (n, action) in actions.iter().enumerate() {
        match action {
            Action::SetStatus { status } => ticket.status = *status,
            Action::SetPriority { priority } => ticket.priority = *priority,
            Action::Assign { agent, group } => {
                if agent.is_some() {
                    ticket.assignee = agent.clone();
                }
                if group.is_some() {
                    ticket.group = group.clone();
                }
            }
            Action::Unassign => ticket.assignee = None,
            Action::AddTags { tags } => {
                for tag in tags {
                    if !ticket.tags.contains(tag) {
                        ticket.tags.push(tag.clone());
                    }
                }
            }
            Action::RemoveTags { tags } => ticket.tags.retain(|t| !tags.contains(t)),
            Action::SetField { name, value } => {
                match ticket.fields.iter_mut().find(|f| &f.name == name) {
                    Some(field) => field.value = value.clone(),
                    None => ticket.fields.push(CustomField {
                        name: name.clone(),
                        value: value.clone(),
                    }),
                }
            }
            Action::PublicReply { body, channel } => ticket.messages.push(Message {
                id: format!("{author}-{}-{n}", now.timestamp_millis()),
                author_role: AuthorRole::Bot,
                author: Some(author.to_string()),
                channel: channel.unwrap_or(ticket.channel),
                body: body.clone(),
                public: true,
                created_at: now,
            }),
            Action::InternalNote { body } => ticket.messages.push(Message {
                id: format!("{author}-{}-{n}", now.timestamp_millis()),
                author_role: AuthorRole::System,
                author: Some(author.to_string()),
                channel: ticket.channel,
                body: body.clone(),
                public: false,
                created_at: now,
            }),
            Action::MergeInto { ticket_id } => {
                ticket.status = TicketStatus::Merged;
                ticket.merged_into = Some(ticket_id.clone());
            }
            Action::Close => ticket.status = TicketStatus::Closed,
            Action::Notify { .. } | Action::SetTimer { .. } | Action::CancelTimer { .. } => {}
        }
    }
    ticket.updated_at = ticket.updated_at.max(now);
}

/// The events that the difference between `before` and `after` stands for, in a
/// fixed order (status, assignment, tags), each carrying `after`.
pub fn follow_ups(before: &Ticket, after: &Ticket, cause: &Event) -> Vec<Event> {
    let mut kinds = Vec::new();
    if before.status != after.status {
        kinds.push(EventKind::StatusChanged {
            previous: before.status,
            current: after.status,
        });
    }
    if before.assignee != after.assignee || before.group != after.group {
        kinds.push(EventKind::AssignmentChanged {
            previous_assignee: before.assignee.clone(),
            current_assignee: after.assignee.clone(),
            previous_group: before.group.clone(),
            current_group: after.group.clone(),
        });
    }
    let added: Vec<String> = after
        .tags
        .iter()
        .filter(|t| !before.tags.contains(t))
        .cloned()
        .collect();
    let removed: Vec<String> = before
        .tags
        .iter()
        .filter(|t| !after.tags.contains(t))
        .cloned()
        .collect();
    if !added.is_empty() || !removed.is_empty() {
        kinds.push(EventKind::TagsChanged { added, removed });
    }
    kinds
        .into_iter()
        .enumerate()
        .map(|(n, kind)| Event {
            id: format!("{}/{}", cause.id, n + 1),
            kind,
            ticket: Some(after.clone()),
            occurred_at: cause.occurred_at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Priority;

    fn ticket() -> Ticket {
        serde_json::from_str(
            r#"{"id":"t-1","channel":"email","requester":{"identities":[]},
                "created_at":"2026-11-23T09:00:00Z","updated_at":"2026-11-23T09:00:00Z",
                "tags":["a"]}"#,
        )
        .unwrap()
    }

    fn event(kind: EventKind) -> Event {
        Event {
            id: "e".into(),
            kind,
            ticket: Some(ticket()),
            occurred_at: "2026-11-23T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn actions_change_the_ticket_and_the_changes_become_follow_ups() {
        let before = ticket();
        let mut after = before.clone();
        let now = "2026-11-23T10:00:00Z".parse().unwrap();
        apply_actions(
            &mut after,
            &[
                Action::SetPriority {
                    priority: Priority::High,
                },
                Action::Assign {
                    agent: None,
                    group: Some("fraud".into()),
                },
                Action::AddTags {
                    tags: vec!["b".into(), "a".into()],
                },
                Action::InternalNote { body: "why".into() },
            ],
            "triage",
            now,
        );
        assert_eq!(after.priority, Priority::High);
        assert_eq!(after.group.as_deref(), Some("fraud"));
        assert_eq!(after.tags, ["a", "b"]);
        assert!(!after.messages[0].public);
        let cause = event(EventKind::TicketCreated);
        let kinds: Vec<_> = follow_ups(&before, &after, &cause)
            .into_iter()
            .map(|e| e.kind.name())
            .collect();
        // A priority change is not an event kind of its own.
        assert_eq!(kinds, ["assignment_changed", "tags_changed"]);
    }

    #[test]
    fn a_message_event_updates_the_stored_ticket_once() {
        let message: Message = serde_json::from_str(
            r#"{"id":"m-9","author_role":"agent","channel":"email","body":"hi",
                "public":true,"created_at":"2026-11-23T10:00:00Z"}"#,
        )
        .unwrap();
        let e = event(EventKind::MessageAdded {
            message: message.clone(),
        });
        let once = ticket_after_event(Some(ticket()), &e).unwrap();
        let twice = ticket_after_event(Some(once.clone()), &e).unwrap();
        assert_eq!(twice.messages.len(), 1);
        assert_eq!(once.first_agent_response_at, Some(message.created_at));
    }

    #[test]
    fn an_internal_note_is_not_an_agent_reply() {
        let note: Message = serde_json::from_str(
            r#"{"id":"m-8","author_role":"agent","channel":"email","body":"checking",
                "public":false,"created_at":"2026-11-23T10:00:00Z"}"#,
        )
        .unwrap();
        let after = ticket_after_event(
            Some(ticket()),
            &event(EventKind::MessageAdded { message: note }),
        )
        .unwrap();
        assert_eq!(after.messages.len(), 1);
        assert_eq!(after.first_agent_response_at, None);
        assert_eq!(after.last_agent_message_at, None);
    }

    #[test]
    fn timers_and_ticks_are_not_activity_on_the_ticket() {
        let before = ticket();
        let mut fired = event(EventKind::TimerFired {
            name: "remind".into(),
            due_at: "2026-11-24T10:00:00Z".parse().unwrap(),
        });
        fired.occurred_at = "2026-11-24T10:00:00Z".parse().unwrap();
        let after = ticket_after_event(Some(before.clone()), &fired).unwrap();
        assert_eq!(after.updated_at, before.updated_at);
    }
}
