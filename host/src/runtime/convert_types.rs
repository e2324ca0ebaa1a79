// Conversions between the host model (`crate::model`) and one version of the WIT
// bindings. Included by `convert.rs` once per version served, with `bindings` and
// `wit` naming that version's modules and `event_kind` defined beside it.

same_enum!(
    model::Channel,
    wit::Channel,
    [
        Email,
        Chat,
        Whatsapp,
        Messenger,
        Phone,
        AppStoreReview,
        Sms,
        WebForm,
        Api
    ]
);
same_enum!(
    model::TicketStatus,
    wit::TicketStatus,
    [
        New,
        Open,
        WaitingOnRequester,
        WaitingOnAgent,
        OnHold,
        Solved,
        Closed,
        Merged
    ]
);
same_enum!(model::Priority, wit::Priority, [Low, Normal, High, Urgent]);
same_enum!(
    model::IdentityKind,
    wit::IdentityKind,
    [
        Email, Phone, Whatsapp, Messenger, AppStore, AppUser, External
    ]
);
same_enum!(
    model::AuthorRole,
    wit::AuthorRole,
    [Requester, Agent, System, Bot]
);

impl From<&model::Identity> for wit::Identity {
    fn from(i: &model::Identity) -> Self {
        wit::Identity {
            kind: i.kind.into(),
            value: i.value.clone(),
        }
    }
}

impl From<wit::Identity> for model::Identity {
    fn from(i: wit::Identity) -> Self {
        model::Identity {
            kind: i.kind.into(),
            value: i.value,
        }
    }
}

impl From<&model::FieldValue> for wit::FieldValue {
    fn from(v: &model::FieldValue) -> Self {
        match v {
            model::FieldValue::Text(s) => wit::FieldValue::Text(s.clone()),
            model::FieldValue::Number(n) => wit::FieldValue::Number(*n),
            model::FieldValue::Flag(b) => wit::FieldValue::Flag(*b),
            model::FieldValue::Time(t) => wit::FieldValue::Time(millis(*t)),
        }
    }
}

impl From<wit::FieldValue> for model::FieldValue {
    fn from(v: wit::FieldValue) -> Self {
        match v {
            wit::FieldValue::Text(s) => model::FieldValue::Text(s),
            wit::FieldValue::Number(n) => model::FieldValue::Number(n),
            wit::FieldValue::Flag(b) => model::FieldValue::Flag(b),
            wit::FieldValue::Time(t) => model::FieldValue::Time(from_millis(t)),
        }
    }
}

impl From<&model::Message> for wit::Message {
    fn from(m: &model::Message) -> Self {
        wit::Message {
            id: m.id.clone(),
            author_role: m.author_role.into(),
            author: m.author.clone(),
            channel: m.channel.into(),
            body: m.body.clone(),
            public: m.public,
            created_at: millis(m.created_at),
        }
    }
}

impl From<&model::Ticket> for wit::Ticket {
    fn from(t: &model::Ticket) -> Self {
        wit::Ticket {
            id: t.id.clone(),
            external_id: t.external_id.clone(),
            channel: t.channel.into(),
            requester: wit::Requester {
                name: t.requester.name.clone(),
                identities: t.requester.identities.iter().map(Into::into).collect(),
                language: t.requester.language.clone(),
            },
            subject: t.subject.clone(),
            status: t.status.into(),
            priority: t.priority.into(),
            assignee: t.assignee.clone(),
            group: t.group.clone(),
            tags: t.tags.clone(),
            fields: t
                .fields
                .iter()
                .map(|f| wit::CustomField {
                    name: f.name.clone(),
                    value: (&f.value).into(),
                })
                .collect(),
            created_at: millis(t.created_at),
            updated_at: millis(t.updated_at),
            first_agent_response_at: t.first_agent_response_at.map(millis),
            last_requester_message_at: t.last_requester_message_at.map(millis),
            last_agent_message_at: t.last_agent_message_at.map(millis),
            merged_into: t.merged_into.clone(),
            messages: t.messages.iter().map(Into::into).collect(),
        }
    }
}

/// The kinds every version has; `None` for one that came later (see each version's
/// `event_kind`).
fn common_event_kind(k: &model::EventKind) -> Option<wit::EventKind> {
    use model::EventKind as K;
    Some(match k {
        K::TicketCreated => wit::EventKind::TicketCreated,
        K::MessageAdded { message } => wit::EventKind::MessageAdded(message.into()),
        K::StatusChanged { previous, current } => {
            wit::EventKind::StatusChanged(wit::StatusChange {
                previous: (*previous).into(),
                current: (*current).into(),
            })
        }
        K::AssignmentChanged {
            previous_assignee,
            current_assignee,
            previous_group,
            current_group,
        } => wit::EventKind::AssignmentChanged(wit::AssignmentChange {
            previous_assignee: previous_assignee.clone(),
            current_assignee: current_assignee.clone(),
            previous_group: previous_group.clone(),
            current_group: current_group.clone(),
        }),
        K::TagsChanged { added, removed } => wit::EventKind::TagsChanged(wit::TagsChange {
            added: added.clone(),
            removed: removed.clone(),
        }),
        K::TimerFired { name, due_at } => wit::EventKind::TimerFired(wit::TimerFired {
            name: name.clone(),
            due_at: millis(*due_at),
        }),
        K::ScheduledTick {
            schedule,
            scheduled_at,
        } => wit::EventKind::ScheduledTick(wit::ScheduledTick {
            schedule: schedule.clone(),
            scheduled_at: millis(*scheduled_at),
        }),
        K::MissedCall {
            caller,
            rang,
            waited_seconds,
        } => wit::EventKind::MissedCall(wit::MissedCall {
            caller: caller.clone(),
            rang: rang.clone(),
            waited_seconds: *waited_seconds,
        }),
        // Not in 0.1.0: `fields_changed_kind` gives it from 0.2.0 on.
        K::FieldsChanged { .. } => return None,
        // The host's own, never sent to plugins.
        K::ExternalUpdate { .. } | K::MergedIn { .. } | K::MacroApplied { .. } => return None,
    })
}

/// The event in this version's terms; `None` for a kind this version does not have,
/// which its plugins are not sent.
pub fn event(e: &model::Event) -> Option<wit::Event> {
    Some(wit::Event {
        id: e.id.clone(),
        kind: event_kind(&e.kind)?,
        ticket: e.ticket.as_ref().map(Into::into),
        occurred_at: millis(e.occurred_at),
    })
}

impl From<wit::Recipient> for model::Recipient {
    fn from(r: wit::Recipient) -> Self {
        match r {
            wit::Recipient::Agent(a) => model::Recipient::Agent(a),
            wit::Recipient::Group(g) => model::Recipient::Group(g),
            wit::Recipient::GroupLead(g) => model::Recipient::GroupLead(g),
        }
    }
}

impl From<wit::Action> for model::Action {
    fn from(a: wit::Action) -> Self {
        use model::Action as A;
        match a {
            wit::Action::SetStatus(status) => A::SetStatus {
                status: status.into(),
            },
            wit::Action::SetPriority(priority) => A::SetPriority {
                priority: priority.into(),
            },
            wit::Action::Assign(assignment) => A::Assign {
                agent: assignment.agent,
                group: assignment.group,
            },
            wit::Action::Unassign => A::Unassign,
            wit::Action::AddTags(tags) => A::AddTags { tags },
            wit::Action::RemoveTags(tags) => A::RemoveTags { tags },
            wit::Action::SetField(update) => A::SetField {
                name: update.name,
                value: update.value.into(),
            },
            wit::Action::PublicReply(reply) => A::PublicReply {
                body: reply.body,
                channel: reply.channel.map(Into::into),
            },
            wit::Action::InternalNote(body) => A::InternalNote { body },
            wit::Action::MergeInto(ticket_id) => A::MergeInto { ticket_id },
            wit::Action::Notify(n) => A::Notify {
                recipient: n.recipient.into(),
                message: n.message,
            },
            wit::Action::SetTimer(timer) => A::SetTimer {
                name: timer.name,
                due_at: from_millis(timer.due_at),
            },
            wit::Action::CancelTimer(name) => A::CancelTimer { name },
            wit::Action::Close => A::Close,
        }
    }
}

impl From<bindings::macro_library::MacroInfo> for model::MacroInfo {
    fn from(info: bindings::macro_library::MacroInfo) -> Self {
        model::MacroInfo {
            id: info.id,
            title: info.title,
            description: info.description,
            channels: info.channels.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<bindings::macro_library::Rendered> for model::Rendered {
    fn from(rendered: bindings::macro_library::Rendered) -> Self {
        model::Rendered {
            body: rendered.body,
            actions: rendered.actions.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<bindings::macro_library::RenderError> for model::RenderError {
    fn from(error: bindings::macro_library::RenderError) -> Self {
        use bindings::macro_library::RenderError as Wit;
        match error {
            Wit::UnknownMacro(id) => model::RenderError::UnknownMacro(id),
            Wit::MissingValue(name) => model::RenderError::MissingValue(name),
            Wit::Failed(message) => model::RenderError::Failed(message),
        }
    }
}

impl From<wit::Requester> for model::Requester {
    fn from(requester: wit::Requester) -> Self {
        model::Requester {
            name: requester.name,
            identities: requester.identities.into_iter().map(Into::into).collect(),
            language: requester.language,
        }
    }
}

impl From<&model::IncomingRequest> for bindings::adapter::IncomingRequest {
    fn from(request: &model::IncomingRequest) -> Self {
        // The contract promises upper-case methods and lower-case header names.
        bindings::adapter::IncomingRequest {
            method: request.method.to_ascii_uppercase(),
            path: request.path.clone(),
            headers: request
                .headers
                .iter()
                .map(|h| bindings::adapter::Header {
                    name: h.name.to_ascii_lowercase(),
                    value: h.value.clone(),
                })
                .collect(),
            body: request.body.as_bytes().to_vec(),
        }
    }
}

impl From<bindings::adapter::OutgoingRequest> for model::OutgoingRequest {
    fn from(request: bindings::adapter::OutgoingRequest) -> Self {
        model::OutgoingRequest {
            method: request.method,
            url: request.url,
            headers: request
                .headers
                .into_iter()
                .map(|h| model::Header {
                    name: h.name,
                    value: h.value,
                })
                .collect(),
            body: model::Body::from_bytes(request.body),
        }
    }
}

impl From<bindings::adapter::AdapterError> for model::AdapterError {
    fn from(error: bindings::adapter::AdapterError) -> Self {
        use bindings::adapter::AdapterError as Wit;
        match error {
            Wit::Rejected(m) => model::AdapterError::Rejected(m),
            Wit::Malformed(m) => model::AdapterError::Malformed(m),
        }
    }
}
