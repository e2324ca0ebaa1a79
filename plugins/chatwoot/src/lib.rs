//! `chatwoot`: a helpdesk bridge between Chatwoot and guichet.
//!
//! Inbound, it reads Chatwoot's account webhooks (`conversation_created`,
//! `message_created`, `conversation_updated`, `conversation_status_changed`), signed
//! with `X-Chatwoot-Signature`, into messages and ticket updates. Outbound, it renders
//! the actions guichet's plugins took into Chatwoot Application API calls (replies,
//! private notes, status, priority, assignment, labels, custom attributes). See
//! `plugins/chatwoot/README.md`.
//!
//! This file is the glue with the WIT bindings; the logic lives in plain modules
//! (`inbound`, `render`, `signature`, `config`, `time`) tested natively.

mod config;
#[cfg(test)]
mod fixture_tests;
mod inbound;
mod model;
mod render;
mod signature;
mod time;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

use exports::guichet::plugin::adapter::{
    self as wit, AdapterError, Guest, InboundBatch, IncomingRequest, Outbound, OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::config as host_config;
use guichet::plugin::types as t;

use config::Config;

struct Chatwoot;

fn load_config() -> Result<Config, String> {
    Config::parse(&host_config::get()).map_err(|problems| Config::describe(&problems))
}

fn wit_error(error: model::Error) -> AdapterError {
    match error {
        model::Error::Rejected(why) => AdapterError::Rejected(why),
        model::Error::Malformed(why) => AdapterError::Malformed(why),
    }
}

/// The host's clock (WASI wall clock: the time the request was received).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn channel_to_wit(channel: model::Channel) -> t::Channel {
    use model::Channel as C;
    match channel {
        C::Email => t::Channel::Email,
        C::Chat => t::Channel::Chat,
        C::Whatsapp => t::Channel::Whatsapp,
        C::Messenger => t::Channel::Messenger,
        C::Phone => t::Channel::Phone,
        C::Sms => t::Channel::Sms,
        C::Api => t::Channel::Api,
    }
}

fn status_to_wit(status: model::Status) -> t::TicketStatus {
    use model::Status as S;
    match status {
        S::New => t::TicketStatus::New,
        S::Open => t::TicketStatus::Open,
        S::WaitingOnRequester => t::TicketStatus::WaitingOnRequester,
        S::WaitingOnAgent => t::TicketStatus::WaitingOnAgent,
        S::OnHold => t::TicketStatus::OnHold,
        S::Solved => t::TicketStatus::Solved,
        S::Closed => t::TicketStatus::Closed,
        S::Merged => t::TicketStatus::Merged,
    }
}

fn status_from_wit(status: t::TicketStatus) -> model::Status {
    use model::Status as S;
    match status {
        t::TicketStatus::New => S::New,
        t::TicketStatus::Open => S::Open,
        t::TicketStatus::WaitingOnRequester => S::WaitingOnRequester,
        t::TicketStatus::WaitingOnAgent => S::WaitingOnAgent,
        t::TicketStatus::OnHold => S::OnHold,
        t::TicketStatus::Solved => S::Solved,
        t::TicketStatus::Closed => S::Closed,
        t::TicketStatus::Merged => S::Merged,
    }
}

fn priority_to_wit(priority: model::Priority) -> t::Priority {
    match priority {
        model::Priority::Low => t::Priority::Low,
        model::Priority::Normal => t::Priority::Normal,
        model::Priority::High => t::Priority::High,
        model::Priority::Urgent => t::Priority::Urgent,
    }
}

fn priority_from_wit(priority: t::Priority) -> model::Priority {
    match priority {
        t::Priority::Low => model::Priority::Low,
        t::Priority::Normal => model::Priority::Normal,
        t::Priority::High => model::Priority::High,
        t::Priority::Urgent => model::Priority::Urgent,
    }
}

fn identity_kind_to_wit(kind: model::IdentityKind) -> t::IdentityKind {
    use model::IdentityKind as K;
    match kind {
        K::Email => t::IdentityKind::Email,
        K::Phone => t::IdentityKind::Phone,
        K::Whatsapp => t::IdentityKind::Whatsapp,
        K::AppUser => t::IdentityKind::AppUser,
        K::External => t::IdentityKind::External,
    }
}

fn requester_to_wit(requester: model::Requester) -> t::Requester {
    t::Requester {
        name: requester.name,
        identities: requester
            .identities
            .into_iter()
            .map(|i| t::Identity {
                kind: identity_kind_to_wit(i.kind),
                value: i.value,
            })
            .collect(),
        language: requester.language,
    }
}

fn author_role_to_wit(role: model::AuthorRole) -> t::AuthorRole {
    match role {
        model::AuthorRole::Requester => t::AuthorRole::Requester,
        model::AuthorRole::Agent => t::AuthorRole::Agent,
        model::AuthorRole::System => t::AuthorRole::System,
        model::AuthorRole::Bot => t::AuthorRole::Bot,
    }
}

fn field_value_to_wit(value: model::FieldValue) -> t::FieldValue {
    match value {
        model::FieldValue::Text(s) => t::FieldValue::Text(s),
        model::FieldValue::Number(n) => t::FieldValue::Number(n),
        model::FieldValue::Flag(b) => t::FieldValue::Flag(b),
        model::FieldValue::Time(ms) => t::FieldValue::Time(ms),
    }
}

fn field_value_from_wit(value: t::FieldValue) -> model::FieldValue {
    match value {
        t::FieldValue::Text(s) => model::FieldValue::Text(s),
        t::FieldValue::Number(n) => model::FieldValue::Number(n),
        t::FieldValue::Flag(b) => model::FieldValue::Flag(b),
        t::FieldValue::Time(ms) => model::FieldValue::Time(ms),
    }
}

fn fields_to_wit(fields: Vec<model::Field>) -> Vec<t::CustomField> {
    fields
        .into_iter()
        .map(|f| t::CustomField {
            name: f.name,
            value: field_value_to_wit(f.value),
        })
        .collect()
}

fn item_to_wit(item: model::Item) -> wit::Inbound {
    match item {
        model::Item::Message(m) => wit::Inbound::Message(wit::InboundMessage {
            external_ticket_id: m.external_ticket_id,
            external_message_id: m.external_message_id,
            channel: channel_to_wit(m.channel),
            requester: requester_to_wit(m.requester),
            author_role: author_role_to_wit(m.author_role),
            author: m.author,
            subject: m.subject,
            body: m.body,
            public: m.public,
            created_at: m.created_at,
            ticket_ref: m.ticket_ref,
            fields: fields_to_wit(m.fields),
        }),
        model::Item::TicketUpdate(u) => wit::Inbound::TicketUpdate(wit::TicketUpdate {
            external_ticket_id: u.external_ticket_id,
            external_change_id: u.external_change_id,
            status: u.status.map(status_to_wit),
            priority: u.priority.map(priority_to_wit),
            assignment: u.assignment.map(|a| wit::AssignmentState {
                agent: a.agent,
                group: a.group,
            }),
            tags: u.tags,
            fields: fields_to_wit(u.fields),
            updated_at: u.updated_at,
        }),
    }
}

fn ticket_view(ticket: &t::Ticket) -> model::TicketView {
    model::TicketView {
        id: ticket.id.clone(),
        external_id: ticket.external_id.clone(),
        tags: ticket.tags.clone(),
        fields: ticket
            .fields
            .iter()
            .map(|f| model::Field {
                name: f.name.clone(),
                value: field_value_from_wit(f.value.clone()),
            })
            .collect(),
    }
}

fn action_from_wit(action: t::Action) -> model::Action {
    use model::Action as A;
    match action {
        t::Action::SetStatus(s) => A::SetStatus(status_from_wit(s)),
        t::Action::SetPriority(p) => A::SetPriority(priority_from_wit(p)),
        t::Action::Assign(a) => A::Assign {
            agent: a.agent,
            group: a.group,
        },
        t::Action::Unassign => A::Unassign,
        t::Action::AddTags(tags) => A::AddTags(tags),
        t::Action::RemoveTags(tags) => A::RemoveTags(tags),
        t::Action::SetField(f) => A::SetField(model::Field {
            name: f.name,
            value: field_value_from_wit(f.value),
        }),
        t::Action::PublicReply(reply) => A::PublicReply(reply.body),
        t::Action::InternalNote(body) => A::InternalNote(body),
        t::Action::MergeInto(target) => A::MergeInto(target),
        t::Action::Close => A::Close,
        t::Action::Notify(_) | t::Action::SetTimer(_) | t::Action::CancelTimer(_) => A::Other,
    }
}

impl Guest for Chatwoot {
    fn served_channel() -> t::Channel {
        // A bridge carries every channel Chatwoot has; each message says its own.
        t::Channel::Chat
    }

    fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
        let config = load_config().map_err(AdapterError::Rejected)?;
        let headers: Vec<(String, String)> = request
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect();
        let batch =
            inbound::handle(&config, &headers, &request.body, now_ms()).map_err(wit_error)?;
        Ok(InboundBatch {
            delivery_id: batch.delivery_id,
            items: batch.items.into_iter().map(item_to_wit).collect(),
            answer: None,
        })
    }

    fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
        let config = load_config().map_err(AdapterError::Malformed)?;
        let ticket = ticket_view(&outbound.ticket);
        let related: Vec<model::TicketView> = outbound.related.iter().map(ticket_view).collect();
        let actions: Vec<model::Action> =
            outbound.actions.into_iter().map(action_from_wit).collect();
        let requests = render::render(&config, &ticket, &actions, &related).map_err(wit_error)?;
        Ok(requests
            .into_iter()
            .map(|r| OutgoingRequest {
                method: r.method,
                url: r.url,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(name, value)| wit::Header { name, value })
                    .collect(),
                body: r.body,
            })
            .collect())
    }
}

impl config_check::Guest for Chatwoot {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        match Config::parse(&config) {
            Ok(_) => Vec::new(),
            Err(problems) => problems
                .into_iter()
                .map(|p| ConfigProblem {
                    path: p.path,
                    message: p.message,
                })
                .collect(),
        }
    }
}

export!(Chatwoot);
