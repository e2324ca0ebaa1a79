//! Intake: what a channel adapter read in one webhook delivery, turned into the
//! guichet events to store (`ticket_created`, `message_added`, `missed_call`,
//! `external_update`) and the links between the platform's conversations and
//! guichet's tickets. Pure but for two look-ups ([`Lookup`]), so the same rules hold
//! wherever a delivery comes from.
//!
//! Which ticket a message lands on, in this order:
//! 1. the guichet ticket it names (`ticket_ref`, e.g. a number in an e-mail's
//!    subject), if the tenant has it and it is not closed;
//! 2. the ticket its conversation is linked to: the platform's ticket
//!    (`external_ticket_id`, a helpdesk's own ticket, followed even when closed, since
//!    the helpdesk reopens it), or else the requester's first identity on the
//!    channel (a WhatsApp number: a closed or merged ticket is not reused, a new one
//!    is opened);
//! 3. a new ticket, linked to that conversation.
//!
//! A merged ticket is followed to the ticket it was merged into. A missed call lands
//! like a message of the caller's phone identity, opening a ticket (with no message)
//! when the caller has none. A helpdesk's `ticket-update` of a ticket opened by the
//! same delivery sets that ticket's initial state; one of a linked ticket becomes an
//! `external_update` event (the pipeline compares it with the ticket, see `apply`);
//! one of a conversation never seen is ignored.
//!
//! Event ids are `<adapter>:message:<id>`, `<adapter>:call:<id>` and
//! `<adapter>:change:<ticket>:<id>` from the platform's ids, so a message, call or
//! change delivered twice (even under another delivery id) is stored once.

use std::collections::HashMap;

use crate::model::{
    Channel, Event, EventKind, InboundBatch, InboundCall, InboundMessage, Message, Priority,
    Requester, Ticket, TicketStatus, TicketUpdate, Timestamp,
};
use crate::store::{Conversation, InboundDelivery, InboundGroup, Store, StoreError};

/// What intake reads of the tenant's data: O(log n) look-ups, never a scan.
pub trait Lookup {
    /// The ticket an adapter's conversation is linked to.
    fn linked(&self, conversation: &str) -> Result<Option<String>, StoreError>;
    /// A ticket of the tenant.
    fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError>;
}

/// [`Lookup`] over the store, for one adapter of one tenant.
pub struct StoreLookup<'a> {
    pub store: &'a dyn Store,
    pub tenant: &'a str,
    pub adapter: &'a str,
}

impl Lookup for StoreLookup<'_> {
    fn linked(&self, conversation: &str) -> Result<Option<String>, StoreError> {
        self.store
            .linked_ticket(self.tenant, self.adapter, conversation)
    }

    fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        self.store.ticket(self.tenant, id)
    }
}

/// A delivery ready to store, and what of it was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub delivery: InboundDelivery,
    /// Why each item left out was (a `ticket-update` of a ticket never seen).
    pub ignored: Vec<String>,
}

/// How many merges are followed from a ticket to the one it was merged into.
const MERGE_HOPS: usize = 8;

/// The events and links of `batch`, read by adapter `adapter`; `new_id` names each
/// ticket opened.
pub fn intake(
    adapter: &str,
    batch: InboundBatch,
    lookup: &impl Lookup,
    mut new_id: impl FnMut() -> String,
) -> Result<Intake, StoreError> {
    let mut plan = Plan {
        adapter,
        lookup,
        groups: Vec::new(),
        local: HashMap::new(),
        opened: HashMap::new(),
        ignored: Vec::new(),
    };
    for item in batch.items {
        match item {
            crate::model::Inbound::Message(m) => plan.message(m, &mut new_id)?,
            crate::model::Inbound::MissedCall(c) => plan.missed_call(c, &mut new_id)?,
            crate::model::Inbound::TicketUpdate(u) => plan.update(u)?,
        }
    }
    Ok(Intake {
        delivery: InboundDelivery {
            adapter: adapter.to_string(),
            delivery_id: batch.delivery_id,
            groups: plan.groups,
            storage_writes: Vec::new(),
        },
        ignored: plan.ignored,
    })
}

struct Plan<'a, L> {
    adapter: &'a str,
    lookup: &'a L,
    groups: Vec<InboundGroup>,
    /// Conversations resolved by this delivery, to their ticket.
    local: HashMap<Conversation, String>,
    /// Tickets this delivery opens, to the group that opens them.
    opened: HashMap<String, usize>,
    ignored: Vec<String>,
}

/// Where an item lands.
enum Target {
    Existing(String),
    New,
}

impl<L: Lookup> Plan<'_, L> {
    fn message(
        &mut self,
        m: InboundMessage,
        new_id: &mut impl FnMut() -> String,
    ) -> Result<(), StoreError> {
        let conversation = match &m.external_ticket_id {
            Some(external) => ticket_conversation(external),
            None => identity_conversation(m.channel, &m.requester)
                .unwrap_or_else(|| format!("message:{}", m.external_message_id)),
        };
        let helpdesk = m.external_ticket_id.is_some();
        let by_ref = match &m.ticket_ref {
            Some(id) => self.open_ticket(id)?,
            None => None,
        };
        let target = match by_ref {
            Some(id) => Target::Existing(id),
            None => self.resolve(&conversation, helpdesk)?,
        };
        let id = format!("{}:message:{}", self.adapter, m.external_message_id);
        let message = Message {
            id: m.external_message_id.clone(),
            author_role: m.author_role,
            author: m.author.clone(),
            channel: m.channel,
            body: m.body.clone(),
            public: m.public,
            created_at: m.created_at,
        };
        let ticket_id = match target {
            Target::Existing(ticket_id) => {
                let mut carried = self.stub(&ticket_id, &m.requester, m.channel, m.created_at);
                carried.external_id = m.external_ticket_id.clone();
                self.groups.push(InboundGroup {
                    id: id.clone(),
                    events: vec![Event {
                        id,
                        kind: EventKind::MessageAdded { message },
                        ticket: Some(carried),
                        occurred_at: m.created_at,
                    }],
                    link: Some((conversation.clone(), ticket_id.clone())),
                });
                ticket_id
            }
            Target::New => {
                let ticket_id = new_id();
                let mut ticket = self.stub(&ticket_id, &m.requester, m.channel, m.created_at);
                ticket.external_id = m.external_ticket_id.clone();
                ticket.subject = m.subject.clone();
                ticket.fields = m.fields.clone();
                ticket.messages = vec![message];
                self.open(id, ticket, Vec::new(), &conversation);
                ticket_id
            }
        };
        self.local.insert(conversation, ticket_id);
        Ok(())
    }

    fn missed_call(
        &mut self,
        c: InboundCall,
        new_id: &mut impl FnMut() -> String,
    ) -> Result<(), StoreError> {
        let conversation = identity_conversation(Channel::Phone, &c.requester)
            .unwrap_or_else(|| format!("call:{}", c.external_call_id));
        let caller = c
            .requester
            .identities
            .iter()
            .find(|i| i.kind == crate::model::IdentityKind::Phone)
            .or(c.requester.identities.first())
            .map(|i| i.value.clone())
            .unwrap_or_default();
        let id = format!("{}:call:{}", self.adapter, c.external_call_id);
        let missed = |ticket: Ticket| Event {
            id: id.clone(),
            kind: EventKind::MissedCall {
                caller: caller.clone(),
                rang: c.rang.clone(),
                waited_seconds: c.waited_seconds,
            },
            ticket: Some(ticket),
            occurred_at: c.started_at,
        };
        let ticket_id = match self.resolve(&conversation, false)? {
            Target::Existing(ticket_id) => {
                let carried = self.stub(&ticket_id, &c.requester, Channel::Phone, c.started_at);
                self.groups.push(InboundGroup {
                    id: id.clone(),
                    events: vec![missed(carried)],
                    link: Some((conversation.clone(), ticket_id.clone())),
                });
                ticket_id
            }
            Target::New => {
                let ticket_id = new_id();
                let mut ticket = self.stub(&ticket_id, &c.requester, Channel::Phone, c.started_at);
                ticket.subject = Some(format!("Missed call from {caller}"));
                let call =
                    missed(self.stub(&ticket_id, &c.requester, Channel::Phone, c.started_at));
                self.open(format!("{id}:ticket"), ticket, vec![call], &conversation);
                // The group's id is the call's: a call delivered twice opens nothing.
                if let Some(group) = self.groups.last_mut() {
                    group.id = id;
                }
                ticket_id
            }
        };
        self.local.insert(conversation, ticket_id);
        Ok(())
    }

    fn update(&mut self, u: TicketUpdate) -> Result<(), StoreError> {
        let conversation = ticket_conversation(&u.external_ticket_id);
        let known = match self.local.get(&conversation) {
            Some(id) => Some(id.clone()),
            None => self.lookup.linked(&conversation)?,
        };
        let Some(ticket_id) = known else {
            self.ignored.push(format!(
                "an update of ticket `{}`, which guichet has not seen",
                u.external_ticket_id
            ));
            return Ok(());
        };
        if let Some(&group) = self.opened.get(&ticket_id) {
            // Opened by this delivery: what the helpdesk shows is where it starts.
            if let Some(Event {
                ticket: Some(ticket),
                ..
            }) = self.groups[group].events.first_mut()
            {
                initial_state(ticket, &u);
            }
            return Ok(());
        }
        let id = format!(
            "{}:change:{}:{}",
            self.adapter, u.external_ticket_id, u.external_change_id
        );
        let carried = match self.lookup.ticket(&ticket_id)? {
            Some(mut stored) => {
                stored.messages.clear();
                stored
            }
            None => self.stub(
                &ticket_id,
                &Requester::default(),
                Channel::Api,
                u.updated_at,
            ),
        };
        self.groups.push(InboundGroup {
            id: id.clone(),
            events: vec![Event {
                id,
                kind: EventKind::ExternalUpdate { observed: u.state },
                ticket: Some(carried),
                occurred_at: u.updated_at,
            }],
            link: None,
        });
        Ok(())
    }

    /// The ticket `conversation` lands on: see the module's rules. `helpdesk` for a
    /// conversation that is the platform's own ticket.
    fn resolve(&self, conversation: &str, helpdesk: bool) -> Result<Target, StoreError> {
        let linked = match self.local.get(conversation) {
            Some(id) => return Ok(Target::Existing(id.clone())),
            None => self.lookup.linked(conversation)?,
        };
        let Some(mut id) = linked else {
            return Ok(Target::New);
        };
        for _ in 0..MERGE_HOPS {
            match self.lookup.ticket(&id)? {
                // Opened by an earlier delivery and not processed yet.
                None => return Ok(Target::Existing(id)),
                Some(t) if t.status == TicketStatus::Merged => match t.merged_into {
                    Some(into) => id = into,
                    None => return Ok(Target::New),
                },
                Some(t) if t.status == TicketStatus::Closed && !helpdesk => {
                    return Ok(Target::New);
                }
                Some(_) => return Ok(Target::Existing(id)),
            }
        }
        Ok(Target::New)
    }

    /// Ticket `id` if the tenant has it and it takes messages: merges followed, not
    /// closed.
    fn open_ticket(&self, id: &str) -> Result<Option<String>, StoreError> {
        let mut id = id.to_string();
        for _ in 0..MERGE_HOPS {
            match self.lookup.ticket(&id)? {
                Some(t) if t.status == TicketStatus::Merged => match t.merged_into {
                    Some(into) => id = into,
                    None => return Ok(None),
                },
                Some(t) if t.status == TicketStatus::Closed => return Ok(None),
                Some(_) => return Ok(Some(id)),
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Adds the group that opens `ticket` with `then` after it.
    fn open(&mut self, id: String, ticket: Ticket, then: Vec<Event>, conversation: &str) {
        let ticket_id = ticket.id.clone();
        let at = ticket.created_at;
        let mut events = vec![Event {
            id: id.clone(),
            kind: EventKind::TicketCreated,
            ticket: Some(ticket),
            occurred_at: at,
        }];
        events.extend(then);
        self.opened.insert(ticket_id.clone(), self.groups.len());
        self.groups.push(InboundGroup {
            id,
            events,
            link: Some((conversation.to_string(), ticket_id)),
        });
    }

    /// A ticket as an event carries it: what the adapter knows, the rest default.
    fn stub(&self, id: &str, requester: &Requester, channel: Channel, at: Timestamp) -> Ticket {
        Ticket {
            id: id.to_string(),
            external_id: None,
            adapter: Some(self.adapter.to_string()),
            channel,
            requester: requester.clone(),
            subject: None,
            status: TicketStatus::New,
            priority: Priority::Normal,
            assignee: None,
            group: None,
            tags: Vec::new(),
            fields: Vec::new(),
            created_at: at,
            updated_at: at,
            first_agent_response_at: None,
            last_requester_message_at: None,
            last_agent_message_at: None,
            merged_into: None,
            messages: Vec::new(),
            status_changed_at: None,
            assignment_changed_at: None,
            priority_changed_at: None,
            channel_changed_at: None,
            fields_changed_at: Default::default(),
            tags_changed_at: Default::default(),
        }
    }
}

/// A helpdesk's own ticket, as a conversation.
fn ticket_conversation(external: &str) -> Conversation {
    format!("ticket:{external}")
}

/// A requester's first identity on a channel, as a conversation (compared the way
/// the store's index of open tickets compares identities).
fn identity_conversation(channel: Channel, requester: &Requester) -> Option<Conversation> {
    let identity = requester.identities.first()?;
    let channel = serde_json::to_value(channel).ok()?;
    let kind = serde_json::to_value(identity.kind).ok()?;
    Some(format!(
        "identity:{}:{}:{}",
        channel.as_str()?,
        kind.as_str()?,
        identity.compared_value()
    ))
}

/// What a helpdesk shows on a ticket it just opened, as the ticket's initial state.
fn initial_state(ticket: &mut Ticket, update: &TicketUpdate) {
    let shown = &update.state;
    if let Some(status) = shown.status {
        ticket.status = status;
    }
    if let Some(priority) = shown.priority {
        ticket.priority = priority;
    }
    if let Some(assignment) = &shown.assignment {
        ticket.assignee = assignment.agent.clone();
        ticket.group = assignment.group.clone();
    }
    if let Some(tags) = &shown.tags {
        ticket.tags = Vec::new();
        for tag in tags.iter().map(|t| t.to_lowercase()) {
            if !ticket.tags.contains(&tag) {
                ticket.tags.push(tag);
            }
        }
    }
    for field in &shown.fields {
        match ticket.fields.iter_mut().find(|f| f.name == field.name) {
            Some(existing) => existing.value = field.value.clone(),
            None => ticket.fields.push(field.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::{
        AssignmentState, AuthorRole, Identity, IdentityKind, Inbound, ObservedState,
    };

    #[derive(Default)]
    struct Memory {
        links: HashMap<String, String>,
        tickets: HashMap<String, Ticket>,
    }

    impl Lookup for Memory {
        fn linked(&self, conversation: &str) -> Result<Option<String>, StoreError> {
            Ok(self.links.get(conversation).cloned())
        }
        fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
            Ok(self.tickets.get(id).cloned())
        }
    }

    fn at(minute: u32) -> Timestamp {
        format!("2026-11-30T10:{minute:02}:00Z").parse().unwrap()
    }

    fn message(ticket: Option<&str>, id: &str, from: &str) -> Inbound {
        Inbound::Message(InboundMessage {
            external_ticket_id: ticket.map(str::to_string),
            external_message_id: id.to_string(),
            channel: Channel::Whatsapp,
            requester: Requester {
                name: None,
                identities: vec![Identity {
                    kind: IdentityKind::Whatsapp,
                    value: from.to_string(),
                }],
                language: None,
            },
            author_role: AuthorRole::Requester,
            author: None,
            subject: None,
            body: format!("body of {id}"),
            public: true,
            created_at: at(1),
            ticket_ref: None,
            fields: Vec::new(),
        })
    }

    fn batch(items: Vec<Inbound>) -> InboundBatch {
        InboundBatch {
            delivery_id: None,
            items,
            answer: None,
        }
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("tk-{n}")
        }
    }

    fn run(memory: &Memory, items: Vec<Inbound>) -> Intake {
        intake("wa", batch(items), memory, ids()).unwrap()
    }

    fn kinds(intake: &Intake) -> Vec<(String, &'static str, String)> {
        intake
            .delivery
            .groups
            .iter()
            .flat_map(|g| &g.events)
            .map(|e| {
                (
                    e.id.clone(),
                    e.kind.name(),
                    e.ticket.as_ref().unwrap().id.clone(),
                )
            })
            .collect()
    }

    fn stored(id: &str, status: TicketStatus, merged_into: Option<&str>) -> Ticket {
        let mut plan_ticket = Plan {
            adapter: "wa",
            lookup: &Memory::default(),
            groups: Vec::new(),
            local: HashMap::new(),
            opened: HashMap::new(),
            ignored: Vec::new(),
        }
        .stub(id, &Requester::default(), Channel::Whatsapp, at(0));
        plan_ticket.status = status;
        plan_ticket.merged_into = merged_into.map(str::to_string);
        plan_ticket
    }

    #[test]
    fn a_conversation_opens_one_ticket_and_later_messages_join_it() {
        let memory = Memory::default();
        let found = run(
            &memory,
            vec![message(None, "m1", "336"), message(None, "m2", "336")],
        );
        assert_eq!(
            kinds(&found),
            [
                ("wa:message:m1".into(), "ticket_created", "tk-1".into()),
                ("wa:message:m2".into(), "message_added", "tk-1".into()),
            ]
        );
        let link = found.delivery.groups[0].link.clone().unwrap();
        assert_eq!(
            link,
            ("identity:whatsapp:whatsapp:336".into(), "tk-1".into())
        );
    }

    #[test]
    fn a_closed_ticket_is_not_reused_for_an_identity_but_is_for_a_helpdesk_ticket() {
        let mut memory = Memory::default();
        memory
            .links
            .insert("identity:whatsapp:whatsapp:336".into(), "tk-old".into());
        memory.links.insert("ticket:512".into(), "tk-desk".into());
        memory.tickets.insert(
            "tk-old".into(),
            stored("tk-old", TicketStatus::Closed, None),
        );
        memory.tickets.insert(
            "tk-desk".into(),
            stored("tk-desk", TicketStatus::Closed, None),
        );
        let found = run(
            &memory,
            vec![
                message(None, "m3", "336"),
                message(Some("512"), "m4", "336"),
            ],
        );
        assert_eq!(
            kinds(&found),
            [
                ("wa:message:m3".into(), "ticket_created", "tk-1".into()),
                ("wa:message:m4".into(), "message_added", "tk-desk".into()),
            ]
        );
    }

    #[test]
    fn a_merged_ticket_is_followed_and_a_pending_one_is_joined() {
        let mut memory = Memory::default();
        memory.links.insert("ticket:7".into(), "tk-a".into());
        memory.links.insert("ticket:8".into(), "tk-pending".into());
        memory.tickets.insert(
            "tk-a".into(),
            stored("tk-a", TicketStatus::Merged, Some("tk-b")),
        );
        memory
            .tickets
            .insert("tk-b".into(), stored("tk-b", TicketStatus::Open, None));
        let found = run(
            &memory,
            vec![message(Some("7"), "m5", "1"), message(Some("8"), "m6", "1")],
        );
        let landed: Vec<String> = kinds(&found).into_iter().map(|k| k.2).collect();
        assert_eq!(landed, ["tk-b", "tk-pending"]);
    }

    fn update(ticket: &str, change: &str) -> Inbound {
        Inbound::TicketUpdate(TicketUpdate {
            external_ticket_id: ticket.into(),
            external_change_id: change.into(),
            state: ObservedState {
                status: Some(TicketStatus::Open),
                priority: None,
                assignment: Some(AssignmentState {
                    agent: Some("marie".into()),
                    group: Some("billing".into()),
                }),
                tags: Some(vec!["VIP".into()]),
                fields: Vec::new(),
            },
            updated_at: at(2),
        })
    }

    #[test]
    fn an_update_sets_a_new_tickets_state_becomes_an_event_or_is_ignored() {
        let mut memory = Memory::default();
        memory.links.insert("ticket:9".into(), "tk-9".into());
        memory
            .tickets
            .insert("tk-9".into(), stored("tk-9", TicketStatus::New, None));
        let found = run(
            &memory,
            vec![
                message(Some("512"), "m7", "1"),
                update("512", "c1"),
                update("9", "c2"),
                update("404", "c3"),
            ],
        );
        assert_eq!(
            kinds(&found),
            [
                ("wa:message:m7".into(), "ticket_created", "tk-1".into()),
                ("wa:change:9:c2".into(), "external_update", "tk-9".into()),
            ]
        );
        let created = found.delivery.groups[0].events[0].ticket.as_ref().unwrap();
        assert_eq!(created.status, TicketStatus::Open);
        assert_eq!(created.assignee.as_deref(), Some("marie"));
        assert_eq!(created.group.as_deref(), Some("billing"));
        assert_eq!(created.tags, ["vip"]);
        assert_eq!(found.ignored.len(), 1);
        assert!(found.ignored[0].contains("`404`"), "{:?}", found.ignored);
    }

    #[test]
    fn a_missed_call_opens_a_ticket_once_per_call() {
        let memory = Memory::default();
        let call = |id: &str| {
            Inbound::MissedCall(InboundCall {
                external_call_id: id.into(),
                requester: Requester {
                    name: None,
                    identities: vec![Identity {
                        kind: IdentityKind::Phone,
                        value: "+33612345678".into(),
                    }],
                    language: None,
                },
                rang: vec!["marie".into()],
                waited_seconds: 20,
                started_at: at(3),
            })
        };
        let found = run(&memory, vec![call("CA1"), call("CA2")]);
        assert_eq!(
            kinds(&found),
            [
                ("wa:call:CA1:ticket".into(), "ticket_created", "tk-1".into()),
                ("wa:call:CA1".into(), "missed_call", "tk-1".into()),
                ("wa:call:CA2".into(), "missed_call", "tk-1".into()),
            ]
        );
        // A call delivered again is known by the call's id, not the ticket's.
        assert_eq!(found.delivery.groups[0].id, "wa:call:CA1");
        let EventKind::MissedCall { caller, rang, .. } = &found.delivery.groups[0].events[1].kind
        else {
            panic!("a missed call")
        };
        assert_eq!(
            (caller.as_str(), rang.as_slice()),
            ("+33612345678", &["marie".to_string()][..])
        );
    }
}
