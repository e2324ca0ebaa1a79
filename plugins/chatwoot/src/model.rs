//! Plain Rust mirrors of the WIT types the adapter reads and writes, so that the
//! logic (parsing, rendering) can be tested natively; `lib.rs` converts them to and
//! from the generated bindings.

/// Where a ticket or a message came from (`types.channel`; the channels Chatwoot
/// has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Chat,
    Whatsapp,
    Messenger,
    Phone,
    Sms,
    Api,
}

/// `types.ticket-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    New,
    Open,
    WaitingOnRequester,
    WaitingOnAgent,
    OnHold,
    Solved,
    Closed,
    Merged,
}

/// `types.priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

/// `types.identity-kind` (the kinds a Chatwoot contact gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Email,
    Phone,
    Whatsapp,
    AppUser,
    External,
}

/// `types.identity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

/// `types.requester`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requester {
    pub name: Option<String>,
    pub identities: Vec<Identity>,
    pub language: Option<String>,
}

/// `types.author-role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorRole {
    Requester,
    Agent,
    System,
    Bot,
}

/// `types.field-value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Number(i64),
    Flag(bool),
    /// Milliseconds since the Unix epoch.
    Time(i64),
}

/// `types.custom-field` (and `types.field-update`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: FieldValue,
}

/// `adapter.inbound-message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub external_ticket_id: Option<String>,
    pub external_message_id: String,
    pub channel: Channel,
    pub requester: Requester,
    pub author_role: AuthorRole,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub public: bool,
    pub created_at: i64,
    pub ticket_ref: Option<String>,
    pub fields: Vec<Field>,
}

/// `adapter.assignment-state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentState {
    pub agent: Option<String>,
    pub group: Option<String>,
}

/// `adapter.ticket-update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUpdate {
    pub external_ticket_id: String,
    pub external_change_id: String,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub assignment: Option<AssignmentState>,
    pub tags: Option<Vec<String>>,
    pub fields: Vec<Field>,
    pub updated_at: i64,
}

/// `adapter.inbound` (this adapter never reports missed calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Message(InboundMessage),
    TicketUpdate(TicketUpdate),
}

/// `adapter.inbound-batch`, without the answer (Chatwoot reads none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    pub delivery_id: Option<String>,
    pub items: Vec<Item>,
}

/// `adapter.adapter-error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Authentication failed: the platform is answered 401.
    Rejected(String),
    /// The request or the actions could not be read: 400.
    Malformed(String),
}

/// The parts of `types.ticket` the renderer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketView {
    pub id: String,
    pub external_id: Option<String>,
    pub tags: Vec<String>,
    pub fields: Vec<Field>,
}

/// `types.action`, with the actions this adapter ignores folded into `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    SetStatus(Status),
    SetPriority(Priority),
    Assign {
        agent: Option<String>,
        group: Option<String>,
    },
    Unassign,
    AddTags(Vec<String>),
    RemoveTags(Vec<String>),
    SetField(Field),
    PublicReply(String),
    InternalNote(String),
    MergeInto(String),
    Close,
    /// `notify`, `set-timer`, `cancel-timer`: nothing to send to Chatwoot.
    Other,
}

/// `adapter.outgoing-request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}
