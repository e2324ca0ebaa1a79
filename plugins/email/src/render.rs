//! The actions plugins applied to an e-mail ticket, as Postmark send-email requests
//! (<https://postmarkapp.com/developer/api/email-api>): a public reply is an e-mail to
//! the requester, in the ticket's thread. E-mail has nothing for the other actions
//! (status, priority, assignment, tags, fields, internal notes, merges, closing):
//! they stay in guichet.

use serde::Serialize;

use crate::config::Config;
use crate::exports::guichet::plugin::adapter::{Header, Outbound, OutgoingRequest};
use crate::guichet::plugin::types::{Action, Channel, IdentityKind, Ticket};
use crate::threading;

/// The JSON body of `POST /email`, field names as Postmark spells them.
#[derive(Serialize)]
struct SendEmail<'a> {
    #[serde(rename = "From")]
    from: &'a str,
    #[serde(rename = "To")]
    to: &'a str,
    #[serde(rename = "Subject")]
    subject: &'a str,
    #[serde(rename = "TextBody")]
    text_body: &'a str,
    #[serde(rename = "MessageStream")]
    message_stream: &'a str,
    #[serde(rename = "Headers", skip_serializing_if = "Vec::is_empty")]
    headers: Vec<MailHeader>,
}

#[derive(Serialize)]
struct MailHeader {
    #[serde(rename = "Name")]
    name: &'static str,
    #[serde(rename = "Value")]
    value: String,
}

/// The requests that carry `outbound`'s actions to Postmark, in order: one e-mail per
/// public reply on the e-mail channel (or on the ticket's channel). `Err` when a reply
/// cannot be addressed (the requester has no e-mail address).
pub fn render(config: &Config, outbound: &Outbound) -> Result<Vec<OutgoingRequest>, String> {
    let replies: Vec<&str> = outbound
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::PublicReply(reply)
                if matches!(reply.channel, None | Some(Channel::Email))
                    && !reply.body.trim().is_empty() =>
            {
                Some(reply.body.as_str())
            }
            _ => None,
        })
        .collect();
    if replies.is_empty() {
        return Ok(Vec::new());
    }
    let ticket = &outbound.ticket;
    let to = requester_address(ticket).ok_or_else(|| {
        format!(
            "ticket {} has no e-mail address to reply to (its requester has no email identity)",
            ticket.id
        )
    })?;
    let subject = reply_subject(ticket.subject.as_deref(), &ticket.id);
    let url = format!("{}/email", config.api_base_url);
    let headers = vec![
        header("x-postmark-server-token", &config.server_token),
        header("accept", "application/json"),
        header("content-type", "application/json"),
    ];
    Ok(replies
        .into_iter()
        .map(|body| {
            let email = SendEmail {
                from: &config.from_address,
                to: &to,
                subject: &subject,
                text_body: body,
                message_stream: &config.message_stream,
                headers: thread_headers(ticket.external_id.as_deref()),
            };
            OutgoingRequest {
                method: "POST".to_string(),
                url: url.clone(),
                headers: headers.clone(),
                body: serde_json::to_vec(&email).expect("a struct of strings serialises"),
            }
        })
        .collect())
}

fn header(name: &str, value: &str) -> Header {
    Header {
        name: name.to_string(),
        value: value.to_string(),
    }
}

/// The requester's first e-mail address.
fn requester_address(ticket: &Ticket) -> Option<String> {
    ticket
        .requester
        .identities
        .iter()
        .find(|i| matches!(i.kind, IdentityKind::Email) && i.value.contains('@'))
        .map(|i| i.value.trim().to_string())
}

/// `Re: <subject> [#<ticket id>]`: one `Re:` (not added again to a subject that has
/// one), the ticket's number at the end (any `[#…]` already in the subject removed),
/// so that an answer that loses its threading headers still finds the ticket.
pub fn reply_subject(subject: Option<&str>, ticket_id: &str) -> String {
    let base = threading::without_refs(subject.unwrap_or(""));
    let reference = format!("[#{ticket_id}]");
    if base.is_empty() {
        return format!("Re: {reference}");
    }
    let has_re = base
        .get(..3)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("re:"));
    if has_re {
        format!("{base} {reference}")
    } else {
        format!("Re: {base} {reference}")
    }
}

/// `In-Reply-To` and `References` naming the thread's root (the ticket's external
/// id), so that the requester's mailer files the reply in the conversation and their
/// answer's `References` start with the root again. None for a ticket without one.
fn thread_headers(external_id: Option<&str>) -> Vec<MailHeader> {
    let Some(id) = external_id
        .map(|id| id.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|id| !id.trim().is_empty())
    else {
        return Vec::new();
    };
    let id = threading::bracketed(&id);
    vec![
        MailHeader {
            name: "In-Reply-To",
            value: id.clone(),
        },
        MailHeader {
            name: "References",
            value: id,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guichet::plugin::types::{Identity, Priority, Reply, Requester, TicketStatus};
    use serde_json::json;

    fn config() -> Config {
        Config::parse(
            r#"{"username": "u", "password": "p", "server_token": "TEST-TOKEN",
                "from_address": "Support <support@example.com>"}"#,
        )
        .unwrap()
    }

    fn ticket(
        subject: Option<&str>,
        external_id: Option<&str>,
        identities: Vec<Identity>,
    ) -> Ticket {
        Ticket {
            id: "tk-8f3kq2m9zt".into(),
            external_id: external_id.map(str::to_string),
            channel: Channel::Email,
            requester: Requester {
                name: Some("Zoé Martin".into()),
                identities,
                language: None,
            },
            subject: subject.map(str::to_string),
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

    fn email(value: &str) -> Identity {
        Identity {
            kind: IdentityKind::Email,
            value: value.into(),
        }
    }

    fn reply(body: &str, channel: Option<Channel>) -> Action {
        Action::PublicReply(Reply {
            body: body.into(),
            channel,
        })
    }

    fn outbound(ticket: Ticket, actions: Vec<Action>) -> Outbound {
        Outbound {
            event_id: "ev-1".into(),
            ticket,
            actions,
            related: Vec::new(),
        }
    }

    #[test]
    fn a_public_reply_is_an_email_in_the_thread() {
        let requests = render(
            &config(),
            &outbound(
                ticket(
                    Some("Commande 4521 jamais livrée"),
                    Some("<CAKx7Rp2F9vQ@mail.example.com>"),
                    vec![
                        Identity {
                            kind: IdentityKind::Phone,
                            value: "+33612345678".into(),
                        },
                        email("Zoe.Martin@example.com"),
                    ],
                ),
                vec![
                    Action::SetStatus(TicketStatus::WaitingOnRequester),
                    Action::InternalNote("vu avec le transporteur".into()),
                    reply("Bonjour Zoé,\nle colis part demain.", None),
                    Action::AddTags(vec!["livraison".into()]),
                    Action::Close,
                ],
            ),
        )
        .unwrap();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://api.postmarkapp.com/email");
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(
            headers,
            [
                ("x-postmark-server-token", "TEST-TOKEN"),
                ("accept", "application/json"),
                ("content-type", "application/json")
            ]
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            json!({
                "From": "Support <support@example.com>",
                "To": "Zoe.Martin@example.com",
                "Subject": "Re: Commande 4521 jamais livrée [#tk-8f3kq2m9zt]",
                "TextBody": "Bonjour Zoé,\nle colis part demain.",
                "MessageStream": "outbound",
                "Headers": [
                    {"Name": "In-Reply-To", "Value": "<CAKx7Rp2F9vQ@mail.example.com>"},
                    {"Name": "References", "Value": "<CAKx7Rp2F9vQ@mail.example.com>"}
                ]
            })
        );
    }

    #[test]
    fn only_email_replies_are_sent_in_order() {
        let requests = render(
            &config(),
            &outbound(
                ticket(Some("Hi"), Some("<a@x>"), vec![email("zoe@example.com")]),
                vec![
                    reply("one", Some(Channel::Email)),
                    reply("by sms", Some(Channel::Sms)),
                    reply("   ", None),
                    reply("two", None),
                ],
            ),
        )
        .unwrap();
        let bodies: Vec<String> = requests
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                v["TextBody"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(bodies, ["one", "two"]);
    }

    #[test]
    fn nothing_to_send_without_a_reply() {
        let requests = render(
            &config(),
            &outbound(
                ticket(None, None, Vec::new()),
                vec![
                    Action::InternalNote("note".into()),
                    Action::SetPriority(Priority::High),
                    Action::MergeInto("tk-other".into()),
                ],
            ),
        )
        .unwrap();
        assert!(requests.is_empty());
    }

    #[test]
    fn a_reply_needs_an_address() {
        let err = render(
            &config(),
            &outbound(ticket(Some("Hi"), None, Vec::new()), vec![reply("x", None)]),
        )
        .unwrap_err();
        assert!(err.contains("no e-mail address"), "{err}");
    }

    #[test]
    fn without_an_external_id_there_are_no_thread_headers() {
        let requests = render(
            &config(),
            &outbound(
                ticket(None, None, vec![email("zoe@example.com")]),
                vec![reply("x", None)],
            ),
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body.get("Headers"), None);
        assert_eq!(body["Subject"], "Re: [#tk-8f3kq2m9zt]");
        // A Postmark MessageID kept as the external id gets its brackets.
        let headers = thread_headers(Some("73e6d360-66eb"));
        assert_eq!(headers[0].value, "<73e6d360-66eb>");
        assert!(thread_headers(Some("\r\n")).is_empty());
    }

    #[test]
    fn the_base_url_and_stream_come_from_the_configuration() {
        let config = Config::parse(
            r#"{"username": "u", "password": "p", "server_token": "T", "from_address": "s@x.y",
                "api_base_url": "http://127.0.0.1:9000/postmark/", "message_stream": "support"}"#,
        )
        .unwrap();
        let requests = render(
            &config,
            &outbound(
                ticket(None, None, vec![email("a@b.c")]),
                vec![reply("x", None)],
            ),
        )
        .unwrap();
        assert_eq!(requests[0].url, "http://127.0.0.1:9000/postmark/email");
        let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["MessageStream"], "support");
    }

    #[test]
    fn reply_subjects() {
        let id = "tk-8f3kq2m9zt";
        assert_eq!(
            reply_subject(Some("Commande"), id),
            "Re: Commande [#tk-8f3kq2m9zt]"
        );
        assert_eq!(
            reply_subject(Some("RE: Commande"), id),
            "RE: Commande [#tk-8f3kq2m9zt]"
        );
        assert_eq!(
            reply_subject(Some("Re: Commande [#tk-8f3kq2m9zt]"), id),
            "Re: Commande [#tk-8f3kq2m9zt]"
        );
        assert_eq!(
            reply_subject(Some("Question [#tk-unknown00]"), id),
            "Re: Question [#tk-8f3kq2m9zt]"
        );
        assert_eq!(reply_subject(Some("  "), id), "Re: [#tk-8f3kq2m9zt]");
        assert_eq!(reply_subject(None, id), "Re: [#tk-8f3kq2m9zt]");
        assert_eq!(reply_subject(Some("Rex"), id), "Re: Rex [#tk-8f3kq2m9zt]");
    }
}
