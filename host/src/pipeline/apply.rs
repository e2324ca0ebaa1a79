//! How an event and a plugin's actions change the host's copy of a ticket, and which
//! follow-up events those changes cause. Pure functions: no storage, no Wasm.

use crate::model::{
    Action, AuthorRole, ChannelChange, CustomField, Event, EventKind, FieldChange, Message,
    ObservedState, PriorityChange, Ticket, TicketStatus, Timestamp,
};

/// The ticket as the event leaves it: the host's stored copy (if any) brought up to
/// date by what the event says happened. An event about a ticket the host has never
/// seen takes the ticket the event carries.
///
/// An event's time is respected, field by field: a `status_changed` that happened
/// before the host's last change of the status (`status_changed_at`, set by events
/// and by plugins' actions) is *late* and leaves the status as it is; likewise an
/// `assignment_changed` and the assignment (`assignment_changed_at`), and in a
/// `fields_changed` the priority, the channel and each custom field, and in a
/// `tags_changed` each tag, one by one (`priority_changed_at`, `channel_changed_at`,
/// `fields_changed_at`, `tags_changed_at`). A change of
/// another field made since does not make it late: a status change of 10:19 still
/// applies after a message of 10:20. A message joins the conversation in the order of
/// the messages' times, once, and keeps the reply times (the latest, or for the first
/// reply the earliest). The plugins see every
/// event, late or not, with the ticket as it is now.
///
/// A `ticket_created` for a ticket the host keeps is a creation it already knows of:
/// its snapshot replaces the stored ticket's state only if it is newer than the
/// stored ticket's last change (the helpdesk knows more), keeping the stored messages;
/// otherwise it changes nothing (a redelivered creation no longer resets the ticket).
pub fn ticket_after_event(stored: Option<Ticket>, event: &Event) -> Option<Ticket> {
    let Some(stored) = stored else {
        let mut ticket = event.ticket.clone()?;
        apply_kind(&mut ticket, event);
        bump_activity(&mut ticket, event);
        return Some(ticket);
    };
    let mut ticket = match (&event.kind, &event.ticket) {
        (EventKind::TicketCreated, Some(carried)) if event.occurred_at > stored.updated_at => {
            let mut newer = carried.clone();
            newer.status_changed_at = Some(event.occurred_at);
            newer.assignment_changed_at = Some(event.occurred_at);
            newer.priority_changed_at = Some(event.occurred_at);
            newer.channel_changed_at = Some(event.occurred_at);
            // The snapshot tells every field as of its time, those it leaves out
            // included: each one known to either side changed no later than that.
            newer.fields_changed_at = newer
                .fields
                .iter()
                .chain(&stored.fields)
                .map(|f| &f.name)
                .chain(stored.fields_changed_at.keys())
                .map(|name| (name.clone(), event.occurred_at))
                .collect();
            newer.tags_changed_at = newer
                .tags
                .iter()
                .chain(&stored.tags)
                .chain(stored.tags_changed_at.keys())
                .map(|tag| (tag.clone(), event.occurred_at))
                .collect();
            // A merge is final: the snapshot does not undo it.
            if stays_merged(&stored) {
                newer.status = stored.status;
                newer.merged_into = stored.merged_into.clone();
                newer.status_changed_at = stored.status_changed_at;
            }
            for message in stored.messages {
                add_message(&mut newer, message);
            }
            newer
        }
        _ => stored,
    };
    apply_kind(&mut ticket, event);
    bump_activity(&mut ticket, event);
    Some(ticket)
}

/// The agent's public reply a `macro_applied` event stands for, on `ticket`'s
/// channel, with the event's id; `None` for other kinds.
pub fn macro_reply(ticket: &Ticket, event: &Event) -> Option<Message> {
    let EventKind::MacroApplied { agent, reply, .. } = &event.kind else {
        return None;
    };
    Some(Message {
        id: event.id.clone(),
        author_role: AuthorRole::Agent,
        author: Some(agent.clone()),
        channel: ticket.channel,
        body: reply.clone(),
        public: true,
        created_at: event.occurred_at,
        merged_from: None,
    })
}

/// Whether `event` is a change of status, assignment, tags or fields that later changes of
/// the same fields overtook, so that `ticket` (as [`ticket_after_event`] left it)
/// does not show it: its plugins are not run, since what it reports is no longer so.
/// A `fields_changed` is overtaken only when every change it reports is (one that
/// reports none is not). Other events are never overtaken.
pub fn overtaken(ticket: &Ticket, event: &Event) -> bool {
    let later = |applied_at: Option<Timestamp>| applied_at.is_some_and(|at| at > event.occurred_at);
    match &event.kind {
        EventKind::StatusChanged { .. } => later(ticket.status_changed_at),
        EventKind::TagsChanged { added, removed } => {
            !(added.is_empty() && removed.is_empty())
                && added
                    .iter()
                    .chain(removed)
                    .all(|t| later(ticket.tags_changed_at.get(t).copied()))
        }
        EventKind::AssignmentChanged { .. } => later(ticket.assignment_changed_at),
        EventKind::FieldsChanged {
            priority,
            channel,
            fields,
        } => {
            let reports_something = priority.is_some() || channel.is_some() || !fields.is_empty();
            reports_something
                && (priority.is_none() || later(ticket.priority_changed_at))
                && (channel.is_none() || later(ticket.channel_changed_at))
                && fields
                    .iter()
                    .all(|f| later(ticket.fields_changed_at.get(&f.name).copied()))
        }
        _ => false,
    }
}

/// `event` as the plugins are told it: a `tags_changed` or `fields_changed` without
/// the parts that came after a later change of the same tag or field (`stored`, the
/// ticket before the event, tells), since those parts did not happen to the ticket.
/// Other kinds are told as they are.
pub fn effective(stored: Option<&Ticket>, event: &Event) -> Event {
    let Some(stored) = stored else {
        return event.clone();
    };
    let at = event.occurred_at;
    let mut told = event.clone();
    match &mut told.kind {
        EventKind::TagsChanged { added, removed } => {
            let fresh = |tag: &String| current(stored.tags_changed_at.get(tag).copied(), at);
            added.retain(fresh);
            removed.retain(fresh);
        }
        EventKind::FieldsChanged {
            priority,
            channel,
            fields,
        } => {
            if !current(stored.priority_changed_at, at) {
                *priority = None;
            }
            if !current(stored.channel_changed_at, at) {
                *channel = None;
            }
            fields.retain(|f| current(stored.fields_changed_at.get(&f.name).copied(), at));
        }
        _ => {}
    }
    told
}

/// Whether something that happened at `at` comes after the last change at `last`.
fn current(last: Option<Timestamp>, at: Timestamp) -> bool {
    last.is_none_or(|last| at >= last)
}

/// What the event's kind says happened, applied to `ticket`, each field only if the
/// event is not older than that field's last change.
fn apply_kind(ticket: &mut Ticket, event: &Event) {
    let at = event.occurred_at;
    match &event.kind {
        EventKind::TicketCreated => {}
        EventKind::MessageAdded { message } => {
            add_message(ticket, message.clone());
        }
        EventKind::StatusChanged {
            current: status, ..
        } => {
            if current(ticket.status_changed_at, at) && !stays_merged(ticket) {
                ticket.status = *status;
                ticket.status_changed_at = Some(at);
            }
        }
        EventKind::AssignmentChanged {
            current_assignee,
            current_group,
            ..
        } => {
            if current(ticket.assignment_changed_at, at) {
                ticket.assignee = current_assignee.clone();
                ticket.group = current_group.clone();
                ticket.assignment_changed_at = Some(at);
            }
        }
        EventKind::TagsChanged { added, removed } => {
            for tag in removed {
                if current(ticket.tags_changed_at.get(tag).copied(), at) {
                    ticket.tags.retain(|t| t != tag);
                    ticket.tags_changed_at.insert(tag.clone(), at);
                }
            }
            for tag in added {
                if current(ticket.tags_changed_at.get(tag).copied(), at) {
                    if !ticket.tags.contains(tag) {
                        ticket.tags.push(tag.clone());
                    }
                    ticket.tags_changed_at.insert(tag.clone(), at);
                }
            }
        }
        EventKind::FieldsChanged {
            priority,
            channel,
            fields,
        } => {
            if let Some(change) = priority
                && current(ticket.priority_changed_at, at)
            {
                ticket.priority = change.current;
                ticket.priority_changed_at = Some(at);
            }
            if let Some(change) = channel
                && current(ticket.channel_changed_at, at)
            {
                ticket.channel = change.current;
                ticket.channel_changed_at = Some(at);
            }
            for change in fields {
                if current(ticket.fields_changed_at.get(&change.name).copied(), at) {
                    set_field(ticket, &change.name, change.current.clone());
                    ticket.fields_changed_at.insert(change.name.clone(), at);
                }
            }
        }
        EventKind::ExternalUpdate { observed } => apply_observed(ticket, observed, at),
        EventKind::MergedIn { messages, .. } => {
            land_merged(ticket, messages);
        }
        EventKind::MacroApplied { .. } => {
            if let Some(reply) = macro_reply(ticket, event) {
                add_message(ticket, reply);
            }
        }
        EventKind::TimerFired { .. }
        | EventKind::ScheduledTick { .. }
        | EventKind::MissedCall { .. } => {}
    }
}

/// What a helpdesk shows (`observed`, at `at`), applied part by part where it
/// differs from `ticket` and is not older than that part's last change. A part that
/// does not differ records nothing, so a helpdesk echoing back what guichet's own
/// actions set changes nothing and causes no event.
fn apply_observed(ticket: &mut Ticket, observed: &ObservedState, at: Timestamp) {
    if let Some(status) = observed.status
        && status != ticket.status
        && current(ticket.status_changed_at, at)
        && !stays_merged(ticket)
    {
        ticket.status = status;
        ticket.status_changed_at = Some(at);
    }
    if let Some(priority) = observed.priority
        && priority != ticket.priority
        && current(ticket.priority_changed_at, at)
    {
        ticket.priority = priority;
        ticket.priority_changed_at = Some(at);
    }
    if let Some(shown) = &observed.assignment
        && (shown.agent != ticket.assignee || shown.group != ticket.group)
        && current(ticket.assignment_changed_at, at)
    {
        ticket.assignee = shown.agent.clone();
        ticket.group = shown.group.clone();
        ticket.assignment_changed_at = Some(at);
    }
    if let Some(shown) = &observed.tags {
        let shown: Vec<String> = shown.iter().map(|t| t.to_lowercase()).collect();
        let gone: Vec<String> = ticket
            .tags
            .iter()
            .filter(|t| !shown.contains(t))
            .cloned()
            .collect();
        for tag in gone {
            if current(ticket.tags_changed_at.get(&tag).copied(), at) {
                ticket.tags.retain(|t| *t != tag);
                ticket.tags_changed_at.insert(tag, at);
            }
        }
        for tag in shown {
            if !ticket.tags.contains(&tag) && current(ticket.tags_changed_at.get(&tag).copied(), at)
            {
                ticket.tags.push(tag.clone());
                ticket.tags_changed_at.insert(tag, at);
            }
        }
    }
    for field in &observed.fields {
        let differs = ticket
            .fields
            .iter()
            .find(|f| f.name == field.name)
            .is_none_or(|f| f.value != field.value);
        if differs && current(ticket.fields_changed_at.get(&field.name).copied(), at) {
            set_field(ticket, &field.name, Some(field.value.clone()));
            ticket.fields_changed_at.insert(field.name.clone(), at);
        }
    }
}

/// Sets custom field `name` to `value`, or removes it for `None`.
fn set_field(ticket: &mut Ticket, name: &str, value: Option<crate::model::FieldValue>) {
    match (ticket.fields.iter().position(|f| f.name == name), value) {
        (Some(n), Some(value)) => ticket.fields[n].value = value,
        (Some(n), None) => {
            ticket.fields.remove(n);
        }
        (None, Some(value)) => ticket.fields.push(CustomField {
            name: name.to_string(),
            value,
        }),
        (None, None) => {}
    }
}

/// Moves the ticket's last change to the event's time if it is later. Timers and
/// ticks are the host's own doing, not activity on the ticket: rules such as "no
/// activity for a day" must not see them as such.
fn bump_activity(ticket: &mut Ticket, event: &Event) {
    let activity = !matches!(
        event.kind,
        EventKind::TimerFired { .. } | EventKind::ScheduledTick { .. }
    );
    if activity && event.occurred_at > ticket.updated_at {
        ticket.updated_at = event.occurred_at;
    }
}

/// Adds `message` to the conversation, once (by id), after every message written at
/// or before its time, and keeps the reply times: the latest requester and agent
/// messages, the earliest public agent reply.
fn add_message(ticket: &mut Ticket, message: Message) -> bool {
    // A message carried by a merge is another message than the ticket's own of
    // the same id.
    if ticket
        .messages
        .iter()
        .any(|m| m.id == message.id && m.merged_from == message.merged_from)
    {
        return false;
    }
    let at = message.created_at;
    let latest = |current: &mut Option<Timestamp>| {
        if current.is_none_or(|c| c < at) {
            *current = Some(at);
        }
    };
    match message.author_role {
        AuthorRole::Requester => latest(&mut ticket.last_requester_message_at),
        // Internal notes are not answers: both times are about public replies.
        AuthorRole::Agent if message.public => {
            latest(&mut ticket.last_agent_message_at);
            if ticket
                .first_agent_response_at
                .is_none_or(|first| at < first)
            {
                ticket.first_agent_response_at = Some(at);
            }
        }
        AuthorRole::Agent => {}
        AuthorRole::System | AuthorRole::Bot => {}
    }
    insert_in_order(ticket, message);
    true
}

/// Lands the messages of a ticket merged into `ticket` (each marked `merged_from`,
/// see `merge::carried_messages`): each once, in time order, keeping the reply
/// times as its own messages do (a requester who wrote on the merged ticket wrote on
/// this one). A message that came from `ticket` itself (two merges decided at once,
/// each into the other) is not landed again. Returns those landed. O(m·k) for m
/// messages landed on a ticket of k.
pub fn land_merged(ticket: &mut Ticket, messages: &[Message]) -> Vec<Message> {
    let mut landed = Vec::new();
    for message in messages {
        if message.merged_from.as_deref() == Some(ticket.id.as_str()) {
            continue;
        }
        if add_message(ticket, message.clone()) {
            landed.push(message.clone());
        }
    }
    landed
}

/// Whether `ticket` was merged into another (by a `merge_into`): that is final. A
/// later status, from an event, a helpdesk's echo or an action, changes nothing, so
/// that its messages keep going to the ticket it joined.
pub fn stays_merged(ticket: &Ticket) -> bool {
    ticket.status == TicketStatus::Merged && ticket.merged_into.is_some()
}

/// Inserts `message` after every message written at or before its time: at the end,
/// unless it comes late.
fn insert_in_order(ticket: &mut Ticket, message: Message) {
    let position = ticket
        .messages
        .iter()
        .rposition(|m| m.created_at <= message.created_at)
        .map_or(0, |n| n + 1);
    ticket.messages.insert(position, message);
}

/// Applies one plugin's actions to `ticket`, at time `now`. `author` names the
/// plugin on the messages it writes. Actions that do not change the ticket itself
/// (notify, timers) are left to the caller, and do not count as a change of the
/// ticket (its `updated_at`). An action that changes the status, the assignment, the
/// priority, a tag or a custom field records when that field changed, which tells a
/// late event about it from a current one; the time only moves forward (the event a
/// plugin acted on may itself be late), and an action that changes nothing records
/// nothing.
pub fn apply_actions(ticket: &mut Ticket, actions: &[Action], author: &str, now: Timestamp) {
    let mut changed = false;
    // The field's last change is now, unless it was later.
    let stamp = |at: &mut Option<Timestamp>| *at = Some(at.map_or(now, |at| at.max(now)));
    let stamp_key = |map: &mut std::collections::BTreeMap<String, Timestamp>, key: &str| {
        let at = map.entry(key.to_string()).or_insert(now);
        *at = (*at).max(now);
    };
    for (n, action) in actions.iter().enumerate() {
        changed |= !matches!(
            action,
            Action::Notify { .. } | Action::SetTimer { .. } | Action::CancelTimer { .. }
        );
        match action {
            Action::SetStatus { status } => {
                if ticket.status != *status && !stays_merged(ticket) {
                    ticket.status = *status;
                    stamp(&mut ticket.status_changed_at);
                }
            }
            Action::SetPriority { priority } => {
                if ticket.priority != *priority {
                    ticket.priority = *priority;
                    stamp(&mut ticket.priority_changed_at);
                }
            }
            Action::Assign { agent, group } => {
                let before = (ticket.assignee.clone(), ticket.group.clone());
                if agent.is_some() {
                    ticket.assignee = agent.clone();
                }
                if group.is_some() {
                    ticket.group = group.clone();
                }
                if before != (ticket.assignee.clone(), ticket.group.clone()) {
                    stamp(&mut ticket.assignment_changed_at);
                }
            }
            Action::Unassign => {
                if ticket.assignee.take().is_some() {
                    stamp(&mut ticket.assignment_changed_at);
                }
            }
            Action::AddTags { tags } => {
                for tag in tags {
                    if !ticket.tags.contains(tag) {
                        ticket.tags.push(tag.clone());
                        stamp_key(&mut ticket.tags_changed_at, tag);
                    }
                }
            }
            Action::RemoveTags { tags } => {
                for tag in tags {
                    if ticket.tags.contains(tag) {
                        ticket.tags.retain(|t| t != tag);
                        stamp_key(&mut ticket.tags_changed_at, tag);
                    }
                }
            }
            Action::SetField { name, value } => {
                let current = ticket.fields.iter().find(|f| &f.name == name);
                if current.is_none_or(|f| f.value != *value) {
                    set_field(ticket, name, Some(value.clone()));
                    stamp_key(&mut ticket.fields_changed_at, name);
                }
            }
            Action::PublicReply { body, channel } => insert_in_order(
                ticket,
                Message {
                    id: format!("{author}-{}-{n}", now.timestamp_millis()),
                    author_role: AuthorRole::Bot,
                    author: Some(author.to_string()),
                    channel: channel.unwrap_or(ticket.channel),
                    body: body.clone(),
                    public: true,
                    created_at: now,
                    merged_from: None,
                },
            ),
            Action::InternalNote { body } => insert_in_order(
                ticket,
                Message {
                    id: format!("{author}-{}-{n}", now.timestamp_millis()),
                    author_role: AuthorRole::System,
                    author: Some(author.to_string()),
                    channel: ticket.channel,
                    body: body.clone(),
                    public: false,
                    created_at: now,
                    merged_from: None,
                },
            ),
            Action::MergeInto { ticket_id } => {
                if ticket.status != TicketStatus::Merged {
                    ticket.status = TicketStatus::Merged;
                    stamp(&mut ticket.status_changed_at);
                }
                ticket.merged_into = Some(ticket_id.clone());
            }
            Action::Close => {
                if ticket.status != TicketStatus::Closed && !stays_merged(ticket) {
                    ticket.status = TicketStatus::Closed;
                    stamp(&mut ticket.status_changed_at);
                }
            }
            Action::Notify { .. } | Action::SetTimer { .. } | Action::CancelTimer { .. } => {}
        }
    }
    if changed {
        ticket.updated_at = ticket.updated_at.max(now);
    }
}

/// The events that the difference between `before` and `after` stands for, in a
/// fixed order (status, assignment, tags, fields: priority, channel and custom
/// fields), each carrying `after`.
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
    let value_of = |ticket: &Ticket, name: &str| {
        ticket
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
    };
    let mut names: Vec<&str> = before
        .fields
        .iter()
        .chain(&after.fields)
        .map(|f| f.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let fields: Vec<FieldChange> = names
        .into_iter()
        .filter_map(|name| {
            let (previous, current) = (value_of(before, name), value_of(after, name));
            (previous != current).then(|| FieldChange {
                name: name.to_string(),
                previous,
                current,
            })
        })
        .collect();
    let priority = (before.priority != after.priority).then_some(PriorityChange {
        previous: before.priority,
        current: after.priority,
    });
    let channel = (before.channel != after.channel).then_some(ChannelChange {
        previous: before.channel,
        current: after.channel,
    });
    if priority.is_some() || channel.is_some() || !fields.is_empty() {
        kinds.push(EventKind::FieldsChanged {
            priority,
            channel,
            fields,
        });
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

    fn message(id: &str, at: &str, from: Option<&str>) -> Message {
        Message {
            id: id.into(),
            author_role: AuthorRole::Requester,
            author: None,
            channel: crate::model::Channel::Whatsapp,
            body: id.into(),
            public: true,
            created_at: at.parse().unwrap(),
            merged_from: from.map(str::to_string),
        }
    }

    #[test]
    fn a_merge_lands_its_messages_marked_in_time_order_once_keeping_reply_times() {
        let mut target = ticket();
        add_message(&mut target, message("m1", "2026-11-23T09:00:00Z", None));
        add_message(&mut target, message("m3", "2026-11-23T11:00:00Z", None));
        let carried = [
            message("m2", "2026-11-23T10:00:00Z", Some("s")),
            // A message of the same id as one of the target's own is another one.
            message("m1", "2026-11-23T12:00:00Z", Some("s")),
            // What came from the target itself (two merges into each other) is not
            // landed again.
            message("m0", "2026-11-23T08:00:00Z", Some("t-1")),
        ];
        let landed = land_merged(&mut target, &carried);
        assert_eq!(landed.len(), 2);
        assert!(land_merged(&mut target, &carried).is_empty());
        let order: Vec<(&str, Option<&str>)> = target
            .messages
            .iter()
            .map(|m| (m.id.as_str(), m.merged_from.as_deref()))
            .collect();
        assert_eq!(
            order,
            [
                ("m1", None),
                ("m2", Some("s")),
                ("m3", None),
                ("m1", Some("s"))
            ]
        );
        assert_eq!(
            target.last_requester_message_at,
            Some("2026-11-23T12:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn a_merged_ticket_stays_merged_whatever_comes_later() {
        let mut merged = ticket();
        let at = "2026-11-23T10:00:00Z".parse().unwrap();
        apply_actions(
            &mut merged,
            &[
                Action::MergeInto {
                    ticket_id: "t-9".into(),
                },
                // Later in the same call: no effect.
                Action::SetStatus {
                    status: TicketStatus::Open,
                },
            ],
            "dedupe",
            at,
        );
        assert!(stays_merged(&merged));
        let later = |kind: EventKind| Event {
            occurred_at: "2026-11-23T11:00:00Z".parse().unwrap(),
            ..event(kind)
        };
        // A status change, a helpdesk's echo, an action, a newer snapshot.
        let status = later(EventKind::StatusChanged {
            previous: TicketStatus::Merged,
            current: TicketStatus::Solved,
        });
        let after = ticket_after_event(Some(merged.clone()), &status).unwrap();
        assert!(stays_merged(&after));
        let echo = later(EventKind::ExternalUpdate {
            observed: ObservedState {
                status: Some(TicketStatus::Solved),
                priority: None,
                assignment: None,
                tags: None,
                fields: Vec::new(),
            },
        });
        assert!(stays_merged(
            &ticket_after_event(Some(merged.clone()), &echo).unwrap()
        ));
        let mut closed = merged.clone();
        apply_actions(&mut closed, &[Action::Close], "followup", at);
        assert!(stays_merged(&closed));
        let mut snapshot = later(EventKind::TicketCreated);
        snapshot.ticket.as_mut().unwrap().status = TicketStatus::Open;
        let after = ticket_after_event(Some(merged), &snapshot).unwrap();
        assert_eq!(after.status, TicketStatus::Merged);
        assert_eq!(after.merged_into.as_deref(), Some("t-9"));
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
        // The priority's change is a `fields_changed`, last.
        assert_eq!(
            kinds,
            ["assignment_changed", "tags_changed", "fields_changed"]
        );
        let changes = follow_ups(&before, &after, &cause);
        assert_eq!(
            changes[2].kind,
            EventKind::FieldsChanged {
                priority: Some(PriorityChange {
                    previous: Priority::Normal,
                    current: Priority::High,
                }),
                channel: None,
                fields: Vec::new(),
            }
        );
        assert_eq!(after.priority_changed_at, Some(now));
    }

    #[test]
    fn a_late_tag_change_does_not_undo_a_newer_one() {
        let tags = |at: &str, added: &[&str], removed: &[&str]| Event {
            id: format!("tags-{at}"),
            kind: EventKind::TagsChanged {
                added: added.iter().map(|t| t.to_string()).collect(),
                removed: removed.iter().map(|t| t.to_string()).collect(),
            },
            ticket: Some(ticket()),
            occurred_at: at.parse().unwrap(),
        };
        // `-vip` at 10:05, then a `+vip` of 10:01 delivered late: vip stays off.
        let t = ticket_after_event(Some(ticket()), &tags("2026-11-23T10:05:00Z", &[], &["vip"]))
            .unwrap();
        let late = tags("2026-11-23T10:01:00Z", &["vip"], &[]);
        let t = ticket_after_event(Some(t), &late).unwrap();
        assert_eq!(t.tags, ["a"]);
        assert!(overtaken(&t, &late));
        // Part late, part new: the new part applies, and plugins hear of it alone.
        let mixed = tags("2026-11-23T10:02:00Z", &["vip", "fraud"], &[]);
        assert_eq!(
            effective(Some(&t), &mixed).kind,
            EventKind::TagsChanged {
                added: vec!["fraud".into()],
                removed: vec![],
            }
        );
        let t = ticket_after_event(Some(t), &mixed).unwrap();
        assert_eq!(t.tags, ["a", "fraud"]);
        assert!(!overtaken(&t, &mixed));
        // A plugin's action counts as a change of the tag at its time.
        let mut t = t;
        apply_actions(
            &mut t,
            &[Action::RemoveTags {
                tags: vec!["fraud".into()],
            }],
            "triage",
            "2026-11-23T10:03:00Z".parse().unwrap(),
        );
        let t =
            ticket_after_event(Some(t), &tags("2026-11-23T10:02:30Z", &["fraud"], &[])).unwrap();
        assert_eq!(t.tags, ["a"]);
    }

    #[test]
    fn a_fields_change_applies_field_by_field_and_a_late_one_is_overtaken() {
        use crate::model::FieldValue;
        let change =
            |at: &str, priority: Option<(Priority, Priority)>, field: Option<&str>| Event {
                id: format!("f-{at}"),
                kind: EventKind::FieldsChanged {
                    priority: priority
                        .map(|(previous, current)| PriorityChange { previous, current }),
                    channel: None,
                    fields: field
                        .map(|v| FieldChange {
                            name: "level".into(),
                            previous: None,
                            current: Some(FieldValue::Text(v.into())),
                        })
                        .into_iter()
                        .collect(),
                },
                ticket: Some(ticket()),
                occurred_at: at.parse().unwrap(),
            };
        let urgent = change(
            "2026-11-23T10:00:00Z",
            Some((Priority::Normal, Priority::Urgent)),
            None,
        );
        let t = ticket_after_event(Some(ticket()), &urgent).unwrap();
        assert_eq!(t.priority, Priority::Urgent);
        // Older than the priority's last change but the first of the field: the
        // field is set, the priority kept, and the event is not overtaken as a whole.
        let older = change(
            "2026-11-23T09:00:00Z",
            Some((Priority::Normal, Priority::Low)),
            Some("L2"),
        );
        let t = ticket_after_event(Some(t), &older).unwrap();
        assert_eq!(t.priority, Priority::Urgent);
        assert_eq!(t.fields[0].value, FieldValue::Text("L2".into()));
        assert!(!overtaken(&t, &older));
        // Older on every count: overtaken, nothing changes.
        let oldest = change(
            "2026-11-23T08:00:00Z",
            Some((Priority::Normal, Priority::High)),
            Some("L1"),
        );
        let after = ticket_after_event(Some(t.clone()), &oldest).unwrap();
        assert_eq!(after.priority, Priority::Urgent);
        assert_eq!(after.fields, t.fields);
        assert!(overtaken(&after, &oldest));
        // One that reports nothing is not late: there is nothing to be late about.
        assert!(!overtaken(
            &after,
            &change("2026-11-23T07:00:00Z", None, None)
        ));
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

    /// The stored ticket as a later change left it: set open and assigned to bo at
    /// 10:20.
    fn changed_at_10_20() -> Ticket {
        let mut stored = ticket();
        let at = "2026-11-23T10:20:00Z".parse().unwrap();
        stored.assignee = Some("bo".into());
        stored.group = Some("billing".into());
        stored.status = TicketStatus::Open;
        stored.updated_at = at;
        stored.status_changed_at = Some(at);
        stored.assignment_changed_at = Some(at);
        stored
    }

    #[test]
    fn a_late_event_does_not_roll_back_what_changed_after_it() {
        let stored = changed_at_10_20();
        let mut snapshot = ticket();
        snapshot.status = TicketStatus::WaitingOnRequester;
        snapshot.priority = Priority::Low;
        snapshot.tags = vec![];
        for kind in [
            EventKind::StatusChanged {
                previous: TicketStatus::Open,
                current: TicketStatus::WaitingOnRequester,
            },
            EventKind::AssignmentChanged {
                previous_assignee: None,
                current_assignee: Some("ana".into()),
                previous_group: None,
                current_group: Some("sales".into()),
            },
            EventKind::TicketCreated,
        ] {
            let mut late = event(kind);
            late.ticket = Some(snapshot.clone());
            late.occurred_at = "2026-11-23T10:05:00Z".parse().unwrap();
            let after = ticket_after_event(Some(stored.clone()), &late).unwrap();
            assert_eq!(after, stored, "{:?}", late.kind);
        }
        // At the same second it is not late.
        let mut now = event(EventKind::StatusChanged {
            previous: TicketStatus::Open,
            current: TicketStatus::WaitingOnRequester,
        });
        now.occurred_at = stored.updated_at;
        let after = ticket_after_event(Some(stored.clone()), &now).unwrap();
        assert_eq!(after.status, TicketStatus::WaitingOnRequester);
    }

    #[test]
    fn a_late_change_of_one_field_still_applies_after_a_newer_change_of_another() {
        // A message at 10:20 moved the ticket's last change; the status was last set
        // at 09:00. A status change of 10:19, delivered after the message, applies.
        let mut stored = ticket();
        stored.updated_at = "2026-11-23T10:20:00Z".parse().unwrap();
        stored.status_changed_at = Some("2026-11-23T09:00:00Z".parse().unwrap());
        let mut solved = event(EventKind::StatusChanged {
            previous: TicketStatus::Open,
            current: TicketStatus::Solved,
        });
        solved.occurred_at = "2026-11-23T10:19:00Z".parse().unwrap();
        let after = ticket_after_event(Some(stored.clone()), &solved).unwrap();
        assert_eq!(after.status, TicketStatus::Solved);
        assert_eq!(after.status_changed_at, Some(solved.occurred_at));
        assert_eq!(after.updated_at, stored.updated_at, "never goes back");
        // The assignment changed at 10:20; a late reassignment of 10:19 does not
        // apply, a status change of 10:19 does.
        let mut assigned = changed_at_10_20();
        assigned.status_changed_at = Some("2026-11-23T09:00:00Z".parse().unwrap());
        let after = ticket_after_event(Some(assigned.clone()), &solved).unwrap();
        assert_eq!(after.status, TicketStatus::Solved);
        let mut reassigned = event(EventKind::AssignmentChanged {
            previous_assignee: None,
            current_assignee: Some("ana".into()),
            previous_group: None,
            current_group: None,
        });
        reassigned.occurred_at = "2026-11-23T10:19:00Z".parse().unwrap();
        let after = ticket_after_event(Some(assigned.clone()), &reassigned).unwrap();
        assert_eq!(after.assignee.as_deref(), Some("bo"));
    }

    #[test]
    fn a_plugins_change_of_status_or_assignment_records_its_time() {
        let mut t = ticket();
        let at = "2026-11-23T11:00:00Z".parse().unwrap();
        apply_actions(
            &mut t,
            &[Action::SetStatus {
                status: TicketStatus::Open,
            }],
            "p",
            at,
        );
        assert_eq!(t.status_changed_at, Some(at));
        // Unassigning an unassigned ticket changes nothing, and records nothing.
        apply_actions(&mut t, &[Action::Unassign], "p", at);
        assert_eq!(t.assignment_changed_at, None);
        t.assignee = Some("ana".into());
        apply_actions(&mut t, &[Action::Unassign], "p", at);
        assert_eq!(t.assignment_changed_at, Some(at));
        // An action on a late event does not move the time back.
        let earlier = "2026-11-23T10:00:00Z".parse().unwrap();
        apply_actions(
            &mut t,
            &[
                Action::SetPriority {
                    priority: crate::model::Priority::Urgent,
                },
                Action::SetStatus {
                    status: TicketStatus::OnHold,
                },
            ],
            "p",
            earlier,
        );
        assert_eq!(t.status_changed_at, Some(at));
        assert_eq!(t.priority_changed_at, Some(earlier));
    }

    #[test]
    fn a_late_message_joins_the_conversation_in_order() {
        let mut stored = changed_at_10_20();
        let message = |id: &str, at: &str| -> Message {
            serde_json::from_str(&format!(
                r#"{{"id":"{id}","author_role":"agent","channel":"email","body":"hi",
                    "public":true,"created_at":"{at}"}}"#
            ))
            .unwrap()
        };
        add_message(&mut stored, message("m-1", "2026-11-23T10:00:00Z"));
        add_message(&mut stored, message("m-3", "2026-11-23T10:20:00Z"));
        let mut late = event(EventKind::MessageAdded {
            message: message("m-2", "2026-11-23T10:05:00Z"),
        });
        late.occurred_at = "2026-11-23T10:05:00Z".parse().unwrap();
        let after = ticket_after_event(Some(stored.clone()), &late).unwrap();
        let ids: Vec<_> = after.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["m-1", "m-2", "m-3"]);
        assert_eq!(after.last_agent_message_at, stored.last_agent_message_at);
        assert_eq!(
            after.first_agent_response_at,
            stored.first_agent_response_at
        );
        assert_eq!(after.updated_at, stored.updated_at);
        assert_eq!(after.assignee.as_deref(), Some("bo"));
    }

    #[test]
    fn a_newer_creation_snapshot_keeps_the_stored_messages() {
        let mut stored = changed_at_10_20();
        add_message(
            &mut stored,
            serde_json::from_str(
                r#"{"id":"m-1","author_role":"requester","channel":"email","body":"?",
                    "created_at":"2026-11-23T10:00:00Z"}"#,
            )
            .unwrap(),
        );
        let mut created = event(EventKind::TicketCreated);
        created.occurred_at = "2026-11-23T10:30:00Z".parse().unwrap();
        let after = ticket_after_event(Some(stored), &created).unwrap();
        assert_eq!(after.assignee, None);
        assert_eq!(after.messages.len(), 1);
        assert_eq!(after.updated_at, created.occurred_at);
    }

    #[test]
    fn actions_that_leave_the_ticket_alone_are_no_change_of_it() {
        let mut t = ticket();
        let later = "2026-11-23T11:00:00Z".parse().unwrap();
        apply_actions(
            &mut t,
            &[Action::CancelTimer {
                name: "remind".into(),
            }],
            "p",
            later,
        );
        assert_eq!(t.updated_at, ticket().updated_at);
        apply_actions(&mut t, &[Action::Unassign], "p", later);
        assert_eq!(t.updated_at, later);
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
