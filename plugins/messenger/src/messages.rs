//! Reads a Messenger Platform notification into guichet messages.
//!
//! The shape: `{"object":"page","entry":[{"id":<page id>,"time":…,"messaging":[{"sender":
//! {"id":<PSID>},"recipient":{"id":<page id>},"timestamp":…,"message":{"mid":…,"text":…}}]}]}`.
//! Only `message` events of people are read: the Page's own messages (`is_echo`),
//! deliveries, reads, reactions, postbacks and the `standby` channel give nothing.
//! See <https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages>.

use serde::Deserialize;

use crate::exports::guichet::plugin::adapter::{AdapterError, Inbound, InboundMessage};
use crate::guichet::plugin::types::{AuthorRole, Channel, Identity, IdentityKind, Requester};

#[derive(Deserialize)]
struct Entry {
    id: String,
    time: Option<i64>,
    #[serde(default)]
    messaging: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    sender: Option<Party>,
    timestamp: Option<i64>,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Party {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    mid: String,
    text: Option<String>,
    #[serde(default)]
    is_echo: bool,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct Attachment {
    #[serde(rename = "type")]
    kind: String,
    title: Option<String>,
}

/// The messages people sent to the Page `page_id`, in order. Entries of another Page
/// are left out (their count is returned as the second value, for the log): replies
/// to them would need that Page's token.
pub fn read(body: &[u8], page_id: &str) -> Result<(Vec<Inbound>, usize), AdapterError> {
    let entries: Vec<Entry> = meta_webhooks::notification::entries(body, "page", "Messenger")
        .map_err(AdapterError::Malformed)?;
    let mut items = Vec::new();
    let mut elsewhere = 0;
    for entry in &entries {
        for event in &entry.messaging {
            let Some(message) = event.message.as_ref().filter(|message| !message.is_echo) else {
                continue;
            };
            let psid = event
                .sender
                .as_ref()
                .and_then(|sender| sender.id.clone())
                .ok_or_else(|| {
                    AdapterError::Malformed(format!("message {} has no sender id", message.mid))
                })?;
            if psid == entry.id {
                continue; // the Page itself, an echo without its flag
            }
            if entry.id != page_id {
                elsewhere += 1;
                continue;
            }
            let created_at = event.timestamp.or(entry.time).ok_or_else(|| {
                AdapterError::Malformed(format!("message {} has no timestamp", message.mid))
            })?;
            items.push(Inbound::Message(inbound(message, psid, created_at)));
        }
    }
    Ok((items, elsewhere))
}

fn inbound(message: &Message, psid: String, created_at: i64) -> InboundMessage {
    InboundMessage {
        external_ticket_id: None,
        external_message_id: message.mid.clone(),
        channel: Channel::Messenger,
        // Messenger gives no name: the profile needs a further Graph API call.
        requester: Requester {
            name: None,
            identities: vec![Identity {
                kind: IdentityKind::Messenger,
                value: psid,
            }],
            language: None,
        },
        author_role: AuthorRole::Requester,
        author: None,
        subject: None,
        body: body(message),
        public: true,
        created_at,
        ticket_ref: None,
        fields: Vec::new(),
    }
}

/// The text, then a placeholder per attachment (`[image]`, `[file] <title>`...).
fn body(message: &Message) -> String {
    let text = message
        .text
        .iter()
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty());
    let attachments = message.attachments.iter().map(|attachment| {
        match attachment.title.as_deref().map(str::trim) {
            Some(title) if !title.is_empty() => format!("[{}] {title}", attachment.kind),
            _ => format!("[{}]", attachment.kind),
        }
    });
    let lines: Vec<String> = text.chain(attachments).collect();
    if lines.is_empty() {
        "[message]".to_string()
    } else {
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "682498302938465";

    /// A text message as Meta's `messages` webhook reference shows it, in its entry.
    const TEXT: &str = r#"{"object":"page","entry":[{"id":"682498302938465","time":1458692752478,"messaging":[{"sender":{"id":"7165838946801234"},"recipient":{"id":"682498302938465"},"timestamp":1458692752478,"message":{"mid":"m_1457764197618:41d102a3e1ae206a38","text":"hello, world!","quick_reply":{"payload":"<DEVELOPER_DEFINED_PAYLOAD>"}}}]}]}"#;

    fn messages(body: &str) -> Vec<InboundMessage> {
        let (items, _) = read(body.as_bytes(), PAGE).unwrap();
        items
            .into_iter()
            .map(|item| match item {
                Inbound::Message(message) => message,
                _ => panic!("only messages are read"),
            })
            .collect()
    }

    /// A notification of the Page with one messaging event.
    fn with_event(event: &str) -> String {
        format!(
            r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1458692752478,"messaging":[{event}]}}]}}"#
        )
    }

    #[test]
    fn a_text_message_becomes_a_requester_message() {
        let [message] = <[InboundMessage; 1]>::try_from(messages(TEXT))
            .ok()
            .unwrap();
        assert_eq!(
            message.external_message_id,
            "m_1457764197618:41d102a3e1ae206a38"
        );
        assert_eq!(message.external_ticket_id, None);
        assert_eq!(message.body, "hello, world!");
        assert_eq!(message.created_at, 1_458_692_752_478);
        assert!(matches!(message.channel, Channel::Messenger));
        assert!(matches!(message.author_role, AuthorRole::Requester));
        assert!(message.public);
        assert_eq!(message.requester.name, None);
        assert_eq!(message.requester.identities.len(), 1);
        assert_eq!(
            message.requester.identities[0].kind,
            IdentityKind::Messenger
        );
        assert_eq!(message.requester.identities[0].value, "7165838946801234");
    }

    #[test]
    fn echoes_deliveries_reads_and_reactions_give_nothing() {
        for event in [
            r#"{"sender":{"id":"682498302938465"},"recipient":{"id":"7165838946801234"},"timestamp":1457764197627,"message":{"is_echo":true,"app_id":1517776481860111,"mid":"m_echo","text":"our answer"}}"#,
            r#"{"sender":{"id":"682498302938465"},"recipient":{"id":"7165838946801234"},"timestamp":1457764197627,"message":{"mid":"m_echo2","text":"flag missing"}}"#,
            r#"{"sender":{"id":"7165838946801234"},"recipient":{"id":"682498302938465"},"delivery":{"mids":["m_1"],"watermark":1458668856253}}"#,
            r#"{"sender":{"id":"7165838946801234"},"recipient":{"id":"682498302938465"},"timestamp":1458668856463,"read":{"watermark":1458668856253}}"#,
            r#"{"sender":{"id":"7165838946801234"},"recipient":{"id":"682498302938465"},"timestamp":1458668856463,"reaction":{"mid":"m_1","action":"react","reaction":"love","emoji":"❤"}}"#,
        ] {
            assert!(messages(&with_event(event)).is_empty(), "{event}");
        }
    }

    #[test]
    fn standby_events_are_not_read() {
        let standby = TEXT.replace(r#""messaging":"#, r#""standby":"#);
        assert!(messages(&standby).is_empty());
    }

    #[test]
    fn attachments_get_a_placeholder() {
        let event = r#"{"sender":{"id":"7165838946801234"},"recipient":{"id":"682498302938465"},"timestamp":1518479195308,"message":{"mid":"m_2","attachments":[{"type":"image","payload":{"url":"https://example.com/a.jpg"}},{"type":"fallback","title":"Order #123","payload":{"url":"https://example.com/o"}}]}}"#;
        assert_eq!(
            messages(&with_event(event))[0].body,
            "[image]\n[fallback] Order #123"
        );
    }

    #[test]
    fn entries_of_another_page_are_counted_not_read() {
        let (items, elsewhere) = read(TEXT.as_bytes(), "1").unwrap();
        assert!(items.is_empty());
        assert_eq!(elsewhere, 1);
    }

    #[test]
    fn without_an_event_timestamp_the_entry_time_is_used() {
        let event = r#"{"sender":{"id":"7165838946801234"},"recipient":{"id":"682498302938465"},"message":{"mid":"m_3","text":"hi"}}"#;
        assert_eq!(
            messages(&with_event(event))[0].created_at,
            1_458_692_752_478
        );
    }

    #[test]
    fn unreadable_bodies_are_malformed() {
        for body in [
            "{",
            r#"{"object":"whatsapp_business_account","entry":[]}"#,
            r#"{"object":"page"}"#,
            &TEXT.replace(r#""mid":"#, r#""id":"#),
            &TEXT.replace(r#""sender":{"id":"7165838946801234"},"#, ""),
            &TEXT.replace(r#""timestamp":1458692752478"#, r#""timestamp":"yesterday""#),
        ] {
            assert!(
                matches!(read(body.as_bytes(), PAGE), Err(AdapterError::Malformed(_))),
                "{body}"
            );
        }
    }
}
