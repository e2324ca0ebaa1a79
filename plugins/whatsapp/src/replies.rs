//! Renders a ticket's public replies as Cloud API text messages: `POST
//! {graph_base_url}/{api_version}/{phone_number_id}/messages`, to the requester's
//! WhatsApp id. WhatsApp has nothing for the other actions (status, assignment, tags,
//! fields, notes, merge, close): they stay in guichet.
//! See <https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/text-messages/>.

use serde_json::json;

use crate::config::Config;
use crate::exports::guichet::plugin::adapter::{AdapterError, Header, Outbound, OutgoingRequest};
use crate::guichet::plugin::types::{Action, Channel, IdentityKind, Requester};

/// The most characters a text message's body may have.
const MAX_TEXT: usize = 4096;

/// The requests that carry the public replies among `outbound.actions`, in order.
pub fn render(config: &Config, outbound: &Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
    let replies: Vec<&str> = outbound
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::PublicReply(reply)
                if matches!(reply.channel, None | Some(Channel::Whatsapp)) =>
            {
                Some(reply.body.trim())
            }
            _ => None,
        })
        .filter(|body| !body.is_empty())
        .collect();
    if replies.is_empty() {
        return Ok(Vec::new());
    }
    let to = recipient(&outbound.ticket.requester).ok_or_else(|| {
        AdapterError::Malformed(format!(
            "ticket {} has no whatsapp or phone identity to reply to",
            outbound.ticket.id
        ))
    })?;
    let url = config.messages_url();
    Ok(replies
        .into_iter()
        .flat_map(|body| meta_webhooks::pieces(body, MAX_TEXT))
        .map(|text| {
            let body = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": { "preview_url": false, "body": text },
            });
            OutgoingRequest {
                method: "POST".into(),
                url: url.clone(),
                headers: config
                    .send_headers()
                    .into_iter()
                    .map(|(name, value)| Header {
                        name: name.into(),
                        value,
                    })
                    .collect(),
                body: body.to_string().into_bytes(),
            }
        })
        .collect())
}

/// The WhatsApp id to write to: the requester's `whatsapp` identity, or else the
/// digits of a phone number (the Cloud API takes one too).
fn recipient(requester: &Requester) -> Option<String> {
    let of = |kind: IdentityKind| {
        requester
            .identities
            .iter()
            .find(|identity| identity.kind == kind)
            .map(|identity| identity.value.clone())
    };
    of(IdentityKind::Whatsapp)
        .or_else(|| {
            of(IdentityKind::Phone)
                .map(|phone| phone.chars().filter(char::is_ascii_digit).collect())
        })
        .filter(|id: &String| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guichet::plugin::types::{Identity, Priority, Reply, Ticket, TicketStatus};

    fn config() -> Config {
        crate::config::parse(
            r#"{"app_secret":"s","verify_token":"v","access_token":"TOKEN","phone_number_id":"106540352242922"}"#,
        )
        .unwrap()
    }

    fn ticket(identities: Vec<Identity>) -> Ticket {
        Ticket {
            id: "tk-8f3kq2m9zt".into(),
            external_id: None,
            channel: Channel::Whatsapp,
            requester: Requester {
                name: Some("Sheena Nelson".into()),
                identities,
                language: None,
            },
            subject: None,
            status: TicketStatus::Open,
            priority: Priority::Normal,
            assignee: None,
            group: None,
            tags: Vec::new(),
            fields: Vec::new(),
            created_at: 0,
            updated_at: 0,
            first_agent_response_at: None,
            last_requester_message_at: None,
            last_agent_message_at: None,
            merged_into: None,
            messages: Vec::new(),
        }
    }

    fn whatsapp(id: &str) -> Identity {
        Identity {
            kind: IdentityKind::Whatsapp,
            value: id.into(),
        }
    }

    fn outbound(identities: Vec<Identity>, actions: Vec<Action>) -> Outbound {
        Outbound {
            event_id: "evt-1".into(),
            ticket: ticket(identities),
            actions,
            related: Vec::new(),
        }
    }

    fn reply(body: &str, channel: Option<Channel>) -> Action {
        Action::PublicReply(Reply {
            body: body.into(),
            channel,
        })
    }

    fn json_body(request: &OutgoingRequest) -> serde_json::Value {
        serde_json::from_slice(&request.body).unwrap()
    }

    #[test]
    fn a_public_reply_is_a_text_message_to_the_wa_id() {
        let requests = render(
            &config(),
            &outbound(
                vec![whatsapp("16505551234")],
                vec![reply("Yes, in blue.", None)],
            ),
        )
        .unwrap();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://graph.facebook.com/v21.0/106540352242922/messages"
        );
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(
            headers,
            [
                ("authorization", "Bearer TOKEN"),
                ("content-type", "application/json")
            ]
        );
        assert_eq!(
            json_body(request),
            json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"text","text":{"preview_url":false,"body":"Yes, in blue."}})
        );
    }

    #[test]
    fn other_actions_and_other_channels_send_nothing() {
        let actions = vec![
            Action::SetStatus(TicketStatus::Solved),
            Action::InternalNote("checked the stock".into()),
            Action::AddTags(vec!["colour".into()]),
            Action::Close,
            reply("By e-mail", Some(Channel::Email)),
            reply("   ", None),
        ];
        let requests = render(&config(), &outbound(vec![whatsapp("1")], actions)).unwrap();
        assert!(requests.is_empty());
    }

    #[test]
    fn without_a_whatsapp_identity_the_phone_number_is_used() {
        let phone = Identity {
            kind: IdentityKind::Phone,
            value: "+33 6 12 34 56 78".into(),
        };
        let requests = render(&config(), &outbound(vec![phone], vec![reply("Hi", None)])).unwrap();
        assert_eq!(json_body(&requests[0])["to"], "33612345678");
        let email = Identity {
            kind: IdentityKind::Email,
            value: "a@example.com".into(),
        };
        assert!(matches!(
            render(&config(), &outbound(vec![email], vec![reply("Hi", None)])),
            Err(AdapterError::Malformed(_))
        ));
    }

    #[test]
    fn replies_keep_their_order_and_long_ones_are_cut() {
        let long = format!("{} {}", "a".repeat(4000), "b".repeat(200));
        let requests = render(
            &config(),
            &outbound(
                vec![whatsapp("1")],
                vec![reply("first", None), reply(&long, Some(Channel::Whatsapp))],
            ),
        )
        .unwrap();
        let bodies: Vec<String> = requests
            .iter()
            .map(|r| json_body(r)["text"]["body"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            bodies,
            ["first".to_string(), "a".repeat(4000), "b".repeat(200)]
        );
    }
}
