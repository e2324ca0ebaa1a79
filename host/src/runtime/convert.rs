//! Conversions between the host model (`crate::model`) and the WIT bindings of each
//! version of `guichet:plugin` (`convert_types.rs`, included once per version).
//!
//! Times cross the boundary as milliseconds since the Unix epoch. A time a plugin
//! returns that is out of chrono's range is clamped rather than refused: it can only
//! come from a buggy plugin, and a clamped timer still fires.

use chrono::{DateTime, Utc};

use crate::model;

pub fn millis(t: model::Timestamp) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> model::Timestamp {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

macro_rules! same_enum {
    ($model:ty, $wit:ty, [$($variant:ident),* $(,)?]) => {
        impl From<$model> for $wit {
            fn from(value: $model) -> Self {
                match value { $(<$model>::$variant => <$wit>::$variant,)* }
            }
        }
        impl From<$wit> for $model {
            fn from(value: $wit) -> Self {
                match value { $(<$wit>::$variant => <$model>::$variant,)* }
            }
        }
    };
}

/// `guichet:plugin@0.1.0`: every kind but `fields-changed`.
pub mod v0_1_0 {
    use super::{from_millis, millis};
    use crate::model;
    use crate::runtime::bindings::v0_1_0 as bindings;
    use bindings::types as wit;

    include!("convert_types.rs");
    include!("convert_adapter_v0.rs");

    fn event_kind(k: &model::EventKind) -> Option<wit::EventKind> {
        common_event_kind(k)
    }
}

/// `guichet:plugin@0.2.0`: every kind, and the problems `check-config` finds.
pub mod v0_2_0 {
    use super::{from_millis, millis};
    use crate::model;
    use crate::runtime::bindings::v0_2_0 as bindings;
    use bindings::types as wit;

    include!("convert_types.rs");
    include!("convert_adapter_v0.rs");
    include!("convert_since_v0_2_0.rs");
}

/// `guichet:plugin@0.3.0`: 0.2.0's, with the reworked `adapter` export.
pub mod v0_3_0 {
    use super::{from_millis, millis};
    use crate::model;
    use crate::runtime::bindings::v0_3_0 as bindings;
    use bindings::adapter as wit_adapter;
    use bindings::types as wit;

    include!("convert_types.rs");
    include!("convert_since_v0_2_0.rs");

    fn header(h: wit_adapter::Header) -> model::Header {
        model::Header {
            name: h.name,
            value: h.value,
        }
    }

    impl From<wit_adapter::InboundBatch> for model::InboundBatch {
        fn from(batch: wit_adapter::InboundBatch) -> Self {
            model::InboundBatch {
                delivery_id: batch.delivery_id,
                items: batch.items.into_iter().map(Into::into).collect(),
                answer: batch.answer.map(|a| model::HttpAnswer {
                    status: a.status,
                    headers: a.headers.into_iter().map(header).collect(),
                    body: model::Body::from_bytes(a.body),
                }),
            }
        }
    }

    fn fields(fields: Vec<wit::CustomField>) -> Vec<model::CustomField> {
        fields
            .into_iter()
            .map(|f| model::CustomField {
                name: f.name,
                value: f.value.into(),
            })
            .collect()
    }

    impl From<wit_adapter::Inbound> for model::Inbound {
        fn from(inbound: wit_adapter::Inbound) -> Self {
            use wit_adapter::Inbound as Wit;
            match inbound {
                Wit::Message(m) => model::Inbound::Message(model::InboundMessage {
                    external_ticket_id: m.external_ticket_id,
                    external_message_id: m.external_message_id,
                    channel: m.channel.into(),
                    requester: m.requester.into(),
                    author_role: m.author_role.into(),
                    author: m.author,
                    subject: m.subject,
                    body: m.body,
                    public: m.public,
                    created_at: from_millis(m.created_at),
                    ticket_ref: m.ticket_ref,
                    fields: fields(m.fields),
                }),
                Wit::MissedCall(c) => model::Inbound::MissedCall(model::InboundCall {
                    external_call_id: c.external_call_id,
                    requester: c.requester.into(),
                    rang: c.rang,
                    waited_seconds: c.waited_seconds,
                    started_at: from_millis(c.started_at),
                }),
                Wit::TicketUpdate(u) => model::Inbound::TicketUpdate(model::TicketUpdate {
                    external_ticket_id: u.external_ticket_id,
                    external_change_id: u.external_change_id,
                    state: model::ObservedState {
                        status: u.status.map(Into::into),
                        priority: u.priority.map(Into::into),
                        assignment: u.assignment.map(|a| model::AssignmentState {
                            agent: a.agent,
                            group: a.group,
                        }),
                        tags: u.tags,
                        fields: fields(u.fields),
                    },
                    updated_at: from_millis(u.updated_at),
                }),
            }
        }
    }

    impl From<&model::Outbound> for wit_adapter::Outbound {
        fn from(outbound: &model::Outbound) -> Self {
            wit_adapter::Outbound {
                event_id: outbound.event_id.clone(),
                ticket: (&outbound.ticket).into(),
                actions: outbound.actions.iter().map(Into::into).collect(),
                related: outbound.related.iter().map(Into::into).collect(),
            }
        }
    }

    impl From<&model::Action> for wit::Action {
        fn from(a: &model::Action) -> Self {
            use model::Action as A;
            match a {
                A::SetStatus { status } => wit::Action::SetStatus((*status).into()),
                A::SetPriority { priority } => wit::Action::SetPriority((*priority).into()),
                A::Assign { agent, group } => wit::Action::Assign(wit::Assignment {
                    agent: agent.clone(),
                    group: group.clone(),
                }),
                A::Unassign => wit::Action::Unassign,
                A::AddTags { tags } => wit::Action::AddTags(tags.clone()),
                A::RemoveTags { tags } => wit::Action::RemoveTags(tags.clone()),
                A::SetField { name, value } => wit::Action::SetField(wit::FieldUpdate {
                    name: name.clone(),
                    value: value.into(),
                }),
                A::PublicReply { body, channel } => wit::Action::PublicReply(wit::Reply {
                    body: body.clone(),
                    channel: channel.map(Into::into),
                }),
                A::InternalNote { body } => wit::Action::InternalNote(body.clone()),
                A::MergeInto { ticket_id } => wit::Action::MergeInto(ticket_id.clone()),
                A::Notify { recipient, message } => wit::Action::Notify(wit::Notification {
                    recipient: match recipient {
                        model::Recipient::Agent(a) => wit::Recipient::Agent(a.clone()),
                        model::Recipient::Group(g) => wit::Recipient::Group(g.clone()),
                        model::Recipient::GroupLead(g) => wit::Recipient::GroupLead(g.clone()),
                    },
                    message: message.clone(),
                }),
                A::SetTimer { name, due_at } => wit::Action::SetTimer(wit::Timer {
                    name: name.clone(),
                    due_at: millis(*due_at),
                }),
                A::CancelTimer { name } => wit::Action::CancelTimer(name.clone()),
                A::Close => wit::Action::Close,
            }
        }
    }
}
