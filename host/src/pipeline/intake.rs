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
//!    (`external_ticket_id`: a helpdesk's own ticket, an e-mail thread), or else the
//!    requester's first identity on the channel (a WhatsApp number);
//! 3. a new ticket, linked to that conversation.
//!
//! A merged ticket is followed to the ticket it was merged into; a closed one takes
//! no more messages from the requester (a new ticket is opened, and the conversation
//! linked to it), but still an agent's note. A requester's `ticket_ref` counts only
//! if they are that ticket's requester (one of their identities is): a number in a
//! subject is the sender's to write, and cannot put them on someone else's ticket.
//! A message, call or change whose event id was stored before is left out (and said
//! to be a duplicate) before anything else is decided. A missed call lands
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
    AuthorRole, Channel, Event, EventKind, InboundBatch, InboundCall, InboundMessage, Message,
    Priority, Requester, Ticket, TicketStatus, TicketUpdate, Timestamp,
};
use crate::store::{Conversation, InboundDelivery, InboundGroup, Store, StoreError};

/// What intake reads of the tenant's data: O(log n) look-ups, never a scan.
pub trait Lookup {
    /// The ticket an adapter's conversation is linked to.
    fn linked(&self, conversation: &str) -> Result<Option<String>, StoreError>;
    /// A ticket of the tenant.
    fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError>;
    /// Whether an event of this id was stored before (a message or call delivered
    /// again).
    fn seen(&self, event_id: &str) -> Result<bool, StoreError>;
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

    fn seen(&self, event_id: &str) -> Result<bool, StoreError> {
        self.store.event_seen(self.tenant, event_id)
    }
}

/// A delivery ready to store, and what of it was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub delivery: InboundDelivery,
    /// Why each item left out was (a `ticket-update` of a ticket never seen).
    pub ignored: Vec<String>,
    /// Items left out because they were stored before (their event ids were seen).
    pub duplicates: usize,
}

/// How many merges are followed from a ticket to the one it was merged into: as
/// many as the pipeline follows.
const MERGE_HOPS: usize = super::merge::MAX_CHAIN;

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
        duplicates: 0,
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
        duplicates: plan.duplicates,
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
    /// Items stored before under their own ids.
    duplicates: usize,
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
        let id = format!("{}:message:{}", self.adapter, m.external_message_id);
        if self.lookup.seen(&id)? {
            // Delivered before: stored once, and it says nothing of where the next
            // items land.
            self.duplicates += 1;
            return Ok(());
        }
        let by_ref = match &m.ticket_ref {
            Some(id) => self.referenced(id, &m.requester, m.author_role)?,
            None => None,
        };
        let target = match by_ref {
            Some(id) => Target::Existing(id),
            None => self.resolve(&conversation, m.author_role)?,
        };
        let message = Message {
            id: m.external_message_id.clone(),
            author_role: m.author_role,
            author: m.author.clone(),
            channel: m.channel,
            body: m.body.clone(),
            public: m.public,
            created_at: m.created_at,
            merged_from: None,
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
        if self.lookup.seen(&id)? {
            self.duplicates += 1;
            return Ok(());
        }
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
        let ticket_id = match self.resolve(&conversation, AuthorRole::Requester)? {
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
        if self.lookup.seen(&id)? {
            self.duplicates += 1;
            return Ok(());
        }
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

    /// The ticket `conversation` lands on: see the module's rules. A message by
    /// `role` lands on its conversation's ticket while it takes messages.
    fn resolve(&self, conversation: &str, role: AuthorRole) -> Result<Target, StoreError> {
        let linked = match self.local.get(conversation) {
            Some(id) => return Ok(Target::Existing(id.clone())),
            None => self.lookup.linked(conversation)?,
        };
        Ok(match linked {
            Some(id) => self
                .taking_messages(&id, role)?
                .map_or(Target::New, Target::Existing),
            None => Target::New,
        })
    }

    /// The ticket a message of `requester` (by `role`) that names ticket `id` lands
    /// on, if any: one the tenant has, whose requester shares an identity with the
    /// sender when the sender is the requester (a number in a subject is the
    /// sender's to write: it cannot put them on someone else's ticket), and that
    /// takes messages. Checked on the ticket named, before any merge is followed: a
    /// merge already said that its tickets are one person's.
    fn referenced(
        &self,
        id: &str,
        requester: &Requester,
        role: AuthorRole,
    ) -> Result<Option<String>, StoreError> {
        match self.lookup.ticket(id)? {
            Some(named) if role != AuthorRole::Requester || same_person(&named, requester) => {
                self.taking_messages(id, role)
            }
            _ => Ok(None),
        }
    }

    /// Ticket `id`, or the one it was merged into, if it takes a message by `role`:
    /// one not processed yet (opened by an earlier delivery) does; a closed one takes
    /// an agent's, the system's or a bot's (a note on a closed helpdesk ticket), but
    /// not the requester's, who gets a new ticket.
    fn taking_messages(&self, id: &str, role: AuthorRole) -> Result<Option<String>, StoreError> {
        let mut id = id.to_string();
        for _ in 0..MERGE_HOPS {
            match self.lookup.ticket(&id)? {
                None => return Ok(Some(id)),
                Some(t) if t.status == TicketStatus::Merged => match t.merged_into {
                    Some(into) => id = into,
                    None => return Ok(None),
                },
                Some(t) if t.status == TicketStatus::Closed && role == AuthorRole::Requester => {
                    return Ok(None);
                }
                Some(_) => return Ok(Some(id)),
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

/// Whether `requester` shares an identity with `ticket`'s requester (or either
/// side gives none to compare, as a helpdesk's anonymous contact may).
fn same_person(ticket: &Ticket, requester: &Requester) -> bool {
    requester.identities.is_empty()
        || ticket.requester.identities.is_empty()
        || requester
            .identities
            .iter()
            .any(|i| ticket.requester.identities.iter().any(|j| i.same_as(j)))
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
        seen: Vec<String>,
    }

    impl Lookup for Memory {
        fn linked(&self, conversation: &str) -> Result<Option<String>, StoreError> {
            Ok(self.links.get(conversation).cloned())
        }
        fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
            Ok(self.tickets.get(id).cloned())
        }
        fn seen(&self, event_id: &str) -> Result<bool, StoreError> {
            Ok(self.seen.contains(&event_id.to_string()))
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
            duplicates: 0,
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
    fn a_closed_ticket_takes_no_more_messages() {
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
                ("wa:message:m4".into(), "ticket_created", "tk-2".into()),
            ]
        );
        // The conversations now lead to the new tickets.
        let links: Vec<_> = found
            .delivery
            .groups
            .iter()
            .map(|g| g.link.clone().unwrap())
            .collect();
        assert_eq!(links[1], ("ticket:512".into(), "tk-2".into()));
    }

    #[test]
    fn a_reference_to_someone_elses_ticket_is_no_reference() {
        let mut memory = Memory::default();
        let mut theirs = stored("tk-theirs", TicketStatus::Open, None);
        theirs.requester.identities = vec![Identity {
            kind: IdentityKind::Whatsapp,
            value: "999".into(),
        }];
        memory.tickets.insert("tk-theirs".into(), theirs);
        memory.links.insert("ticket:77".into(), "tk-theirs".into());
        let Inbound::Message(mut by_ref) = message(None, "m8", "336") else {
            unreachable!()
        };
        by_ref.ticket_ref = Some("tk-theirs".into());
        let found = run(
            &memory,
            vec![Inbound::Message(by_ref), message(Some("77"), "m9", "336")],
        );
        let landed: Vec<(&str, String)> = kinds(&found).into_iter().map(|k| (k.1, k.2)).collect();
        // The reference is ignored; the platform's own conversation is its to vouch
        // for (a helpdesk's ticket, whose customer an agent may have changed).
        assert_eq!(
            landed,
            [
                ("ticket_created", "tk-1".into()),
                ("message_added", "tk-theirs".into())
            ]
        );
        // The owner's reference counts.
        let Inbound::Message(mut own) = message(None, "m10", "999") else {
            unreachable!()
        };
        own.ticket_ref = Some("tk-theirs".into());
        let found = run(&memory, vec![Inbound::Message(own)]);
        assert_eq!(kinds(&found)[0].2, "tk-theirs");
        // A reference to a ticket the tenant does not have is no reference.
        let Inbound::Message(mut unknown) = message(None, "m11", "336") else {
            unreachable!()
        };
        unknown.ticket_ref = Some("tk-unknown".into());
        let found = run(&memory, vec![Inbound::Message(unknown)]);
        assert_eq!(
            kinds(&found),
            [("wa:message:m11".into(), "ticket_created", "tk-1".into())]
        );
    }

    #[test]
    fn an_item_stored_before_is_left_out_before_anything_is_decided() {
        let mut memory = Memory::default();
        memory.seen.push("wa:message:m1".into());
        let found = run(
            &memory,
            vec![message(None, "m1", "336"), message(None, "m2", "336")],
        );
        // m1 is not planned at all (it would open a ticket that is never stored);
        // m2 opens the ticket itself.
        assert_eq!(
            kinds(&found),
            [("wa:message:m2".into(), "ticket_created", "tk-1".into())]
        );
        assert_eq!(found.duplicates, 1);
    }

    #[test]
    fn a_merge_is_followed_across_identities_and_an_agent_may_note_a_closed_ticket() {
        let mut memory = Memory::default();
        // The WhatsApp ticket was merged into the same person's e-mail ticket.
        memory
            .links
            .insert("identity:whatsapp:whatsapp:336".into(), "tk-wa".into());
        memory.tickets.insert(
            "tk-wa".into(),
            stored("tk-wa", TicketStatus::Merged, Some("tk-mail")),
        );
        let mut mail = stored("tk-mail", TicketStatus::Open, None);
        mail.requester.identities = vec![Identity {
            kind: IdentityKind::Email,
            value: "zoe@example.fr".into(),
        }];
        memory.tickets.insert("tk-mail".into(), mail);
        let found = run(&memory, vec![message(None, "m12", "336")]);
        assert_eq!(
            kinds(&found),
            [("wa:message:m12".into(), "message_added", "tk-mail".into())]
        );
        // A closed helpdesk ticket still takes an agent's note.
        memory.links.insert("ticket:512".into(), "tk-desk".into());
        memory.tickets.insert(
            "tk-desk".into(),
            stored("tk-desk", TicketStatus::Closed, None),
        );
        let Inbound::Message(mut note) = message(Some("512"), "m13", "1") else {
            unreachable!()
        };
        note.author_role = AuthorRole::Agent;
        note.public = false;
        let found = run(&memory, vec![Inbound::Message(note)]);
        assert_eq!(
            kinds(&found),
            [("wa:message:m13".into(), "message_added", "tk-desk".into())]
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
