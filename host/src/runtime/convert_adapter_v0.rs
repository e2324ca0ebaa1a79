// The `adapter` conversions of the contracts before 0.3.0 (0.1.0 and 0.2.0), where an
// inbound request gives a list of messages and calls and a reply is rendered into one
// request. Included in `convert::v0_1_0` and `convert::v0_2_0`.

impl From<bindings::adapter::Inbound> for model::Inbound {
    fn from(inbound: bindings::adapter::Inbound) -> Self {
        use bindings::adapter::Inbound as Wit;
        match inbound {
            Wit::Message(m) => model::Inbound::Message(model::InboundMessage {
                external_ticket_id: m.external_ticket_id,
                external_message_id: m.external_message_id,
                channel: m.channel.into(),
                requester: m.requester.into(),
                author_role: m.author_role.into(),
                author: None,
                subject: m.subject,
                body: m.body,
                public: m.public,
                created_at: from_millis(m.created_at),
                ticket_ref: None,
                fields: Vec::new(),
            }),
            Wit::MissedCall(c) => model::Inbound::MissedCall(model::InboundCall {
                external_call_id: c.external_call_id,
                requester: c.requester.into(),
                rang: c.rang,
                waited_seconds: c.waited_seconds,
                started_at: from_millis(c.started_at),
            }),
        }
    }
}

impl From<&model::OutboundReply> for bindings::adapter::OutboundReply {
    fn from(reply: &model::OutboundReply) -> Self {
        bindings::adapter::OutboundReply {
            ticket: (&reply.ticket).into(),
            body: reply.body.clone(),
            public: reply.public,
        }
    }
}
