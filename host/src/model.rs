//! The ticket model as the host and its JSON interfaces see it: tickets, messages,
//! events and actions.
//!
//! This mirrors the latest `guichet:plugin` (`wit/v0.3.0/types.wit`), with serde for the JSON that
//! integrators write (event files for `guichet plugin run`) and that helpdesks send.
//! Keeping a host-owned model, instead of serialising the WIT bindings directly, lets
//! the WIT contract gain versions while the host speaks one model; the conversions
//! live in `runtime::convert`. This module holds data only: no I/O, no Wasm.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A point in time, UTC. JSON: RFC 3339 (`2026-11-23T09:30:00Z`).
///
/// Records that appear in the OpenAPI description spell their fields `DateTime<Utc>`:
/// the schema generator recognises that name as a date-time, not this alias.
pub type Timestamp = DateTime<Utc>;

/// Where a ticket or a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Chat,
    Whatsapp,
    Messenger,
    Phone,
    AppStoreReview,
    Sms,
    WebForm,
    Api,
}

/// Where a ticket stands in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    #[default]
    New,
    Open,
    WaitingOnRequester,
    WaitingOnAgent,
    OnHold,
    Solved,
    Closed,
    Merged,
}

impl TicketStatus {
    /// The name in JSON (`waiting_on_requester`).
    pub fn name(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Open => "open",
            Self::WaitingOnRequester => "waiting_on_requester",
            Self::WaitingOnAgent => "waiting_on_agent",
            Self::OnHold => "on_hold",
            Self::Solved => "solved",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }

    /// Whether the ticket still needs work (not solved, closed or merged).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Solved | Self::Closed | Self::Merged)
    }
}

/// How urgent a ticket is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// The kind of an identity a requester is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Email,
    Phone,
    Whatsapp,
    Messenger,
    AppStore,
    AppUser,
    External,
}

impl IdentityKind {
    /// Its name, as in JSON (`email`, `app_store`, …): stable, the stores key their
    /// indexes by it.
    pub fn name(self) -> &'static str {
        match self {
            IdentityKind::Email => "email",
            IdentityKind::Phone => "phone",
            IdentityKind::Whatsapp => "whatsapp",
            IdentityKind::Messenger => "messenger",
            IdentityKind::AppStore => "app_store",
            IdentityKind::AppUser => "app_user",
            IdentityKind::External => "external",
        }
    }
}

/// One way of reaching or recognising a requester.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

impl Identity {
    /// The value as identities are compared: an e-mail address without ASCII case
    /// (the domain is case-insensitive, RFC 5321 section 2.4; the local part in
    /// practice), any other kind as written. The one rule both the service's index of
    /// open tickets and the local harness follow.
    pub fn compared_value(&self) -> std::borrow::Cow<'_, str> {
        match self.kind {
            IdentityKind::Email => std::borrow::Cow::Owned(self.value.to_ascii_lowercase()),
            _ => std::borrow::Cow::Borrowed(&self.value),
        }
    }

    /// Whether two identities name the same person: the same kind and the same
    /// [`compared_value`](Identity::compared_value).
    pub fn same_as(&self, other: &Identity) -> bool {
        self.kind == other.kind && self.compared_value() == other.compared_value()
    }
}

/// The person who asked for help, with every identity known for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Requester {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    #[serde(default)]
    pub language: Option<String>,
}

/// A custom field value. JSON: `{"text": "L2"}`, `{"number": 3}`, `{"flag": true}`,
/// `{"time": "2026-11-23T09:30:00Z"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    Text(String),
    Number(i64),
    Flag(bool),
    Time(DateTime<Utc>),
}

/// A named custom field on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    pub name: String,
    pub value: FieldValue,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorRole {
    Requester,
    Agent,
    System,
    Bot,
}

/// One message on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub id: String,
    pub author_role: AuthorRole,
    #[serde(default)]
    pub author: Option<String>,
    pub channel: Channel,
    pub body: String,
    #[serde(default = "yes")]
    pub public: bool,
    pub created_at: DateTime<Utc>,
    /// The ticket this message was written on, when it came to this ticket with a
    /// merge of that one into it. Kept by the host; absent on the ticket's own
    /// messages. Plugins see the message itself (the WIT `message` has no such field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<String>,
}

fn yes() -> bool {
    true
}

/// A customer-care ticket as the host stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ticket {
    pub id: String,
    #[serde(default)]
    pub external_id: Option<String>,
    /// The channel adapter the ticket came through (its plugin name), which renders
    /// the plugins' actions back to the platform the ticket lives on. Kept by the
    /// host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    pub channel: Channel,
    pub requester: Requester,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub status: TicketStatus,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: Vec<CustomField>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub first_agent_response_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_requester_message_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_agent_message_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merged_into: Option<String>,
    #[serde(default)]
    pub messages: Vec<Message>,
    /// When the host last changed the status (from an event or a plugin's action): a
    /// `status_changed` that happened before it is late and changes nothing. Kept by
    /// the host; absent until it changes the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<DateTime<Utc>>,
    /// The same for the assignment (assignee and group) and `assignment_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_changed_at: Option<DateTime<Utc>>,
    /// When the host last changed the priority (RFC 3339): the priority of a
    /// `fields_changed` that happened before it is late. Kept by the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_changed_at: Option<DateTime<Utc>>,
    /// When the host last changed the channel, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_changed_at: Option<DateTime<Utc>>,
    /// When the host last changed each custom field, by name, likewise for the fields
    /// of a `fields_changed`. One entry per field the ticket ever had changed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields_changed_at: BTreeMap<String, DateTime<Utc>>,
    /// When the host last added or removed each tag, by tag, likewise for the tags of
    /// a `tags_changed`. One entry per tag the ticket ever had changed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags_changed_at: BTreeMap<String, DateTime<Utc>>,
}

/// A change of priority, in a `fields_changed` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityChange {
    /// The priority before the change.
    pub previous: Priority,
    /// The priority after it.
    pub current: Priority,
}

/// A change of the ticket's channel, in a `fields_changed` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelChange {
    /// The channel before the change.
    pub previous: Channel,
    /// The channel after it.
    pub current: Channel,
}

/// A change of one custom field, in a `fields_changed` event; `null` means not set
/// (before) or removed (now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    /// The custom field's name.
    pub name: String,
    /// Its value before; `null` when it was not set.
    #[serde(default)]
    pub previous: Option<FieldValue>,
    /// Its value after; `null` when it is removed.
    #[serde(default)]
    pub current: Option<FieldValue>,
}

/// What happened to a ticket. JSON: an object with a `type` field, e.g.
/// `{"type": "status_changed", "previous": "open", "current": "solved"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventKind {
    TicketCreated,
    MessageAdded {
        message: Message,
    },
    StatusChanged {
        previous: TicketStatus,
        current: TicketStatus,
    },
    AssignmentChanged {
        #[serde(default)]
        previous_assignee: Option<String>,
        #[serde(default)]
        current_assignee: Option<String>,
        #[serde(default)]
        previous_group: Option<String>,
        #[serde(default)]
        current_group: Option<String>,
    },
    TagsChanged {
        #[serde(default)]
        added: Vec<String>,
        #[serde(default)]
        removed: Vec<String>,
    },
    /// The priority, the channel or custom fields changed (by an agent in the
    /// helpdesk, or by a plugin's action): only what changed is given.
    FieldsChanged {
        #[serde(default)]
        priority: Option<PriorityChange>,
        #[serde(default)]
        channel: Option<ChannelChange>,
        #[serde(default)]
        fields: Vec<FieldChange>,
    },
    TimerFired {
        name: String,
        due_at: DateTime<Utc>,
    },
    ScheduledTick {
        schedule: String,
        scheduled_at: DateTime<Utc>,
    },
    MissedCall {
        caller: String,
        #[serde(default)]
        rang: Vec<String>,
        #[serde(default)]
        waited_seconds: u32,
    },
    /// What a helpdesk shows on the ticket after an agent changed it there, as its
    /// adapter read it from the helpdesk's webhook. Host-made, never sent to plugins:
    /// the pipeline compares it with its copy of the ticket, applies what differs
    /// (field by field, unless a later change of that field was applied) and sends
    /// plugins the change events of what it applied.
    ExternalUpdate {
        observed: ObservedState,
    },
    /// Ticket `source` was merged into this one: its `messages` (each marked with
    /// `merged_from`) join this ticket. Host-made when a plugin's `merge_into` is
    /// applied to `source`, processed in this ticket's order; never sent to plugins.
    /// If this ticket was itself merged meanwhile, the messages follow its merges to
    /// the end of the chain.
    MergedIn {
        source: String,
        messages: Vec<Message>,
    },
    /// Agent `agent` applied macro `macro_id` of the `macros` plugin `plugin` (at
    /// `version`), rendered for the ticket as `reply` with the bundled `actions`.
    /// Host-made by `POST …/tickets/{id}/macros/{macro}`; the pipeline adds the reply
    /// as the agent's public message and applies the actions as the plugin's decision
    /// (audited with the render call's `fuel_used`, sent back through the ticket's
    /// adapter); plugins then get the reply as a `message_added`.
    MacroApplied {
        plugin: String,
        version: String,
        macro_id: String,
        agent: String,
        reply: String,
        #[serde(default)]
        actions: Vec<Action>,
        #[serde(default)]
        fuel_used: u64,
    },
}

impl EventKind {
    /// The kinds (by JSON name) the host makes and the JSON API refuses: timers and
    /// schedules' ticks, and the host's own records ([`EventKind::is_host_made`]).
    pub const NOT_SENDABLE: [&'static str; 5] = [
        "timer_fired",
        "scheduled_tick",
        "external_update",
        "merged_in",
        "macro_applied",
    ];

    /// Whether this kind is the host's own record of what it did (a helpdesk's
    /// observed state, a merge's messages, a macro applied): plugins are never sent
    /// it, and the JSON API refuses it (as it refuses `timer_fired` and
    /// `scheduled_tick`, which the host makes too but plugins do get).
    pub fn is_host_made(&self) -> bool {
        matches!(
            self,
            Self::ExternalUpdate { .. } | Self::MergedIn { .. } | Self::MacroApplied { .. }
        )
    }

    /// The kind's name as it appears in JSON (`ticket_created`, ...), used for
    /// subscriptions and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::TicketCreated => "ticket_created",
            Self::MessageAdded { .. } => "message_added",
            Self::StatusChanged { .. } => "status_changed",
            Self::AssignmentChanged { .. } => "assignment_changed",
            Self::TagsChanged { .. } => "tags_changed",
            Self::FieldsChanged { .. } => "fields_changed",
            Self::TimerFired { .. } => "timer_fired",
            Self::ScheduledTick { .. } => "scheduled_tick",
            Self::MissedCall { .. } => "missed_call",
            Self::ExternalUpdate { .. } => "external_update",
            Self::MergedIn { .. } => "merged_in",
            Self::MacroApplied { .. } => "macro_applied",
        }
    }
}

/// Something wrong with a plugin's configuration, as the plugin's `check-config`
/// found it (contract 0.2.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigProblem {
    /// Where, as a JSON Pointer (RFC 6901) into the configuration; empty for the
    /// whole of it.
    pub path: String,
    /// What is wrong, naming the value.
    pub message: String,
}

/// An event delivered to plugins: what happened, to which ticket, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    #[serde(default)]
    pub ticket: Option<Ticket>,
    pub occurred_at: DateTime<Utc>,
}

/// Whom a notification is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Agent(String),
    Group(String),
    GroupLead(String),
}

/// What a plugin asks the host to do to the ticket of the event. JSON: an object with
/// a `type` field, e.g. `{"type": "add_tags", "tags": ["fraud"]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    SetStatus {
        status: TicketStatus,
    },
    SetPriority {
        priority: Priority,
    },
    Assign {
        #[serde(default)]
        agent: Option<String>,
        #[serde(default)]
        group: Option<String>,
    },
    Unassign,
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    SetField {
        name: String,
        value: FieldValue,
    },
    PublicReply {
        body: String,
        #[serde(default)]
        channel: Option<Channel>,
    },
    InternalNote {
        body: String,
    },
    MergeInto {
        ticket_id: String,
    },
    Notify {
        recipient: Recipient,
        message: String,
    },
    SetTimer {
        name: String,
        due_at: DateTime<Utc>,
    },
    CancelTimer {
        name: String,
    },
    Close,
}

impl Action {
    /// The action's `type` in JSON (`set_timer`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetStatus { .. } => "set_status",
            Self::SetPriority { .. } => "set_priority",
            Self::Assign { .. } => "assign",
            Self::Unassign => "unassign",
            Self::AddTags { .. } => "add_tags",
            Self::RemoveTags { .. } => "remove_tags",
            Self::SetField { .. } => "set_field",
            Self::PublicReply { .. } => "public_reply",
            Self::InternalNote { .. } => "internal_note",
            Self::MergeInto { .. } => "merge_into",
            Self::Notify { .. } => "notify",
            Self::SetTimer { .. } => "set_timer",
            Self::CancelTimer { .. } => "cancel_timer",
            Self::Close => "close",
        }
    }
}

/// A macro a `macros` plugin offers: what an agent picks from a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The channels it suits; empty for all.
    #[serde(default)]
    pub channels: Vec<Channel>,
}

/// A macro rendered for one ticket: the reply text and the actions that go with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rendered {
    pub body: String,
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// Why a macro could not be rendered, as the plugin said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum RenderError {
    #[error("no macro `{0}`")]
    UnknownMacro(String),
    #[error("the macro needs a value for `{0}`")]
    MissingValue(String),
    #[error("the macro failed: {0}")]
    Failed(String),
}

/// `text` cut to at most `max` bytes (on a character boundary), marked with `…`.
pub(crate) fn truncate_text(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push('…');
    }
    text
}

impl RenderError {
    /// The same error with its text cut to `max` bytes, so that a plugin cannot fill
    /// a log or an answer with one message.
    pub fn truncated(self, max: usize) -> RenderError {
        let cut = |text| truncate_text(text, max);
        match self {
            RenderError::UnknownMacro(id) => RenderError::UnknownMacro(cut(id)),
            RenderError::MissingValue(name) => RenderError::MissingValue(cut(name)),
            RenderError::Failed(message) => RenderError::Failed(cut(message)),
        }
    }
}

/// A header of an HTTP request a channel adapter reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// A request body. JSON: a string when it is UTF-8 text (nearly always: JSON, forms),
/// otherwise a list of bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    Text(String),
    Bytes(Vec<u8>),
}

impl Body {
    pub fn from_bytes(bytes: Vec<u8>) -> Body {
        match String::from_utf8(bytes) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Bytes(e.into_bytes()),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Text(text) => text.as_bytes(),
            Body::Bytes(bytes) => bytes,
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::Text(String::new())
    }
}

/// A raw request from a channel's platform (a webhook delivery), for an adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingRequest {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub headers: Vec<Header>,
    #[serde(default)]
    pub body: Body,
}

/// A message an adapter found in an inbound request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    #[serde(default)]
    pub external_ticket_id: Option<String>,
    pub external_message_id: String,
    pub channel: Channel,
    pub requester: Requester,
    pub author_role: AuthorRole,
    /// The author's name or id on the platform, when not the requester (from 0.3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    pub body: String,
    pub public: bool,
    pub created_at: Timestamp,
    /// A guichet ticket id the message says it continues (from 0.3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_ref: Option<String>,
    /// Custom fields the platform gives about the ticket (from 0.3.0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<CustomField>,
}

/// The assignment a helpdesk shows on a ticket: `None` is unassigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentState {
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
}

/// What a helpdesk shows on a ticket after an agent changed it there: each part
/// given is compared with the host's copy, and what differs becomes change events
/// (`status_changed`, `assignment_changed`, `tags_changed`, `fields_changed`).
/// Parts left out are not compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservedState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<AssignmentState>,
    /// The whole set of tags shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The fields shown; fields not given are left as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<CustomField>,
}

/// A helpdesk's report that one of its tickets changed there (from 0.3.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketUpdate {
    pub external_ticket_id: String,
    /// The change's id on the helpdesk: the same change twice is applied once.
    pub external_change_id: String,
    #[serde(flatten)]
    pub state: ObservedState,
    pub updated_at: Timestamp,
}

/// A call that rang without an answer, as an adapter reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundCall {
    pub external_call_id: String,
    pub requester: Requester,
    pub rang: Vec<String>,
    pub waited_seconds: u32,
    pub started_at: Timestamp,
}

/// What an adapter normalised an inbound request into. JSON: `{"type": "message", …}`
/// or `{"type": "missed_call", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inbound {
    Message(InboundMessage),
    MissedCall(InboundCall),
    /// From 0.3.0.
    TicketUpdate(TicketUpdate),
}

/// The answer an adapter gives a platform that reads it (a handshake's challenge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpAnswer {
    /// 200 to 299; anything else is answered 200.
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<Header>,
    #[serde(default)]
    pub body: Body,
}

/// What an adapter read in one incoming request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundBatch {
    /// The platform's delivery id, when it sends one: the idempotency key of the
    /// delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    pub items: Vec<Inbound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<HttpAnswer>,
}

/// The actions plugins applied to a ticket on one event, for its adapter to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbound {
    pub event_id: String,
    pub ticket: Ticket,
    pub actions: Vec<Action>,
    /// The tickets the actions name (a merge's target), as they stand.
    #[serde(default)]
    pub related: Vec<Ticket>,
}

/// A reply to send out on an adapter's channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundReply {
    pub ticket: Ticket,
    pub body: String,
    #[serde(default = "yes")]
    pub public: bool,
}

/// The request an adapter wants sent to its platform to deliver a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutgoingRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    pub body: Body,
}

impl OutgoingRequest {
    /// Headers an adapter may not set: they would change where or how a request
    /// goes (`host`, proxies), or how its body is framed, which is the host's to say.
    pub const FORBIDDEN_HEADERS: &'static [&'static str] = &[
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
    ];

    /// The first header the request may not set (see
    /// [`OutgoingRequest::FORBIDDEN_HEADERS`], and any `proxy-` header), if any.
    pub fn forbidden_header(&self) -> Option<&Header> {
        self.headers.iter().find(|h| {
            let name = h.name.to_ascii_lowercase();
            Self::FORBIDDEN_HEADERS.contains(&name.as_str()) || name.starts_with("proxy-")
        })
    }
}

/// Why an adapter refused a request, as the plugin said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum AdapterError {
    /// Not for this adapter, or not authentic (a bad signature, say).
    #[error("rejected: {0}")]
    Rejected(String),
    /// For this adapter but unreadable.
    #[error("malformed: {0}")]
    Malformed(String),
}

impl AdapterError {
    /// The same error with its text cut to `max` bytes.
    pub fn truncated(self, max: usize) -> AdapterError {
        match self {
            AdapterError::Rejected(m) => AdapterError::Rejected(truncate_text(m, max)),
            AdapterError::Malformed(m) => AdapterError::Malformed(truncate_text(m, max)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_serialise_with_a_type_tag() {
        let action = Action::AddTags {
            tags: vec!["fraud".into()],
        };
        assert_eq!(
            serde_json::to_string(&action).unwrap(),
            r#"{"type":"add_tags","tags":["fraud"]}"#
        );
        let back: Action = serde_json::from_str(r#"{"type":"close"}"#).unwrap();
        assert_eq!(back, Action::Close);
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        let err = serde_json::from_str::<EventKind>(r#"{"type":"ticket_exploded"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ticket_exploded"), "{err}");
        let err = serde_json::from_str::<Identity>(r#"{"kind":"email","value":"a","x":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `x`"), "{err}");
    }

    #[test]
    fn email_identities_compare_without_case() {
        let a = Identity {
            kind: IdentityKind::Email,
            value: "Zoe@Example.com".into(),
        };
        let b = Identity {
            kind: IdentityKind::Email,
            value: "zoe@example.com".into(),
        };
        assert!(a.same_as(&b));
    }
}
