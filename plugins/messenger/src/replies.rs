//! Renders a ticket's public replies as Send API requests: `POST
//! {graph_base_url}/{api_version}/{page_id}/messages`, to the requester's page-scoped id,
//! as answers (`messaging_type` `RESPONSE`). Messenger has nothing for the other actions
//! (status, assignment, tags, fields, notes, merge, close): they stay in guichet.
//! See <https://developers.facebook.com/docs/messenger-platform/reference/send-api>.

use serde_json::json;

use crate::config::Config;
use crate::exports::guichet::plugin::adapter::{AdapterError, Header, Outbound, OutgoingRequest};
use crate::guichet::plugin::types::{Action, Channel, IdentityKind};

/// The most characters a text message may have.
const MAX_TEXT: usize = 2000;

/// The requests that carry the public replies among `outbound.actions`, in order.
pub fn render(config: &Config, outbound: &Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
    let replies: Vec<&str> = outbound
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::PublicReply(reply)
                if matches!(reply.channel, None | Some(Channel::Messenger)) =>
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
    let psid = outbound
        .ticket
        .requester
        .identities
        .iter()
        .find(|identity| identity.kind == IdentityKind::Messenger)
        .map(|identity| identity.value.clone())
        .ok_or_else(|| {
            AdapterError::Malformed(format!(
                "ticket {} has no messenger identity to reply to",
                outbound.ticket.id
            ))
        })?;
    let url = config.messages_url();
    Ok(replies
        .into_iter()
        .flat_map(|body| meta_webhooks::pieces(body, MAX_TEXT))
        .map(|text| {
            let body = json!({
                "recipient": { "id": psid },
                "messaging_type": "RESPONSE",
                "message": { "text": text },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guichet::plugin::types::{
        Identity, Priority, Reply, Requester, Ticket, TicketStatus,
    };

    fn config() -> Config {
        crate::config::parse(
            r#"{"app_secret":"s","verify_token":"v","page_access_token":"PAGE-TOKEN","page_id":"682498302938465"}"#,
        )
        .unwrap()
    }

    fn outbound(identities: Vec<Identity>, actions: Vec<Action>) -> Outbound {
        Outbound {
            event_id: "evt-1".into(),
            ticket: Ticket {
                id: "tk-8f3kq2m9zt".into(),
                external_id: None,
                channel: Channel::Messenger,
                requester: Requester {
                    name: None,
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
            },
            actions,
            related: Vec::new(),
        }
    }

    fn psid(id: &str) -> Identity {
        Identity {
            kind: IdentityKind::Messenger,
            value: id.into(),
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
    fn a_public_reply_is_a_send_api_response() {
        let requests = render(
            &config(),
            &outbound(vec![psid("7165838946801234")], vec![reply("hello!", None)]),
        )
        .unwrap();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://graph.facebook.com/v21.0/682498302938465/messages"
        );
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(
            headers,
            [
                ("authorization", "Bearer PAGE-TOKEN"),
                ("content-type", "application/json")
            ]
        );
        assert_eq!(
            json_body(request),
            json!({"recipient":{"id":"7165838946801234"},"messaging_type":"RESPONSE","message":{"text":"hello!"}})
        );
    }

    #[test]
    fn other_actions_and_other_channels_send_nothing() {
        let actions = vec![
            Action::SetStatus(TicketStatus::Solved),
            Action::InternalNote("checked".into()),
            Action::Close,
            reply("By e-mail", Some(Channel::Email)),
            reply("", None),
        ];
        assert!(
            render(&config(), &outbound(vec![psid("1")], actions))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_ticket_without_a_psid_cannot_be_answered() {
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
    fn long_replies_are_cut_at_2000_characters() {
        let long = format!("{}\n{}", "a".repeat(1990), "b".repeat(30));
        let requests = render(
            &config(),
            &outbound(
                vec![psid("1")],
                vec![reply(&long, Some(Channel::Messenger))],
            ),
        )
        .unwrap();
        let texts: Vec<String> = requests
            .iter()
            .map(|r| {
                json_body(r)["message"]["text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(texts, ["a".repeat(1990), "b".repeat(30)]);
    }
}
