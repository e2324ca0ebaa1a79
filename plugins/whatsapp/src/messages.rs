//! Reads a WhatsApp Cloud API `messages` notification into guichet messages.
//!
//! The shape: `{"object":"whatsapp_business_account","entry":[{"id":WABA id,"changes":
//! [{"field":"messages","value":{"metadata":{"phone_number_id":…},"contacts":[{"profile":
//! {"name":…},"wa_id":…}],"messages":[{"from":…,"id":"wamid.…","timestamp":"…","type":…,
//! …}]}}]}]}`; a status report (`sent`, `delivered`, `read`, `failed` of the business's
//! own messages) has `statuses` in place of `messages` and gives nothing.
//! See <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages>.

use serde::Deserialize;

use crate::exports::guichet::plugin::adapter::{AdapterError, Inbound, InboundMessage};
use crate::guichet::plugin::types::{AuthorRole, Channel, Identity, IdentityKind, Requester};

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    field: String,
    /// Read as [`Value`] once the field says it is `messages`: other fields have
    /// other shapes.
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct Value {
    metadata: Metadata,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Metadata {
    phone_number_id: String,
}

#[derive(Deserialize)]
struct Contact {
    wa_id: String,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<Text>,
    image: Option<Media>,
    video: Option<Media>,
    audio: Option<Media>,
    sticker: Option<Media>,
    document: Option<Media>,
    location: Option<Location>,
    interactive: Option<Interactive>,
    button: Option<Button>,
    reaction: Option<Reaction>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

#[derive(Deserialize)]
struct Media {
    caption: Option<String>,
    filename: Option<String>,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct Interactive {
    button_reply: Option<Choice>,
    list_reply: Option<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    title: String,
}

#[derive(Deserialize)]
struct Button {
    text: String,
}

#[derive(Deserialize)]
struct Reaction {
    emoji: Option<String>,
}

/// The messages of a notification, in order. Messages sent to another phone number
/// of the account than `phone_number_id` are left out (returned as the second value,
/// for the log): replies to them could only go out from the wrong number.
pub fn read(body: &[u8], phone_number_id: &str) -> Result<(Vec<Inbound>, usize), AdapterError> {
    let entries: Vec<Entry> =
        meta_webhooks::notification::entries(body, "whatsapp_business_account", "WhatsApp")
            .map_err(AdapterError::Malformed)?;
    let mut items = Vec::new();
    let mut elsewhere = 0;
    for change in entries.into_iter().flat_map(|entry| entry.changes) {
        if change.field != "messages" {
            continue;
        }
        let value: Value = serde_json::from_value(change.value)
            .map_err(|e| AdapterError::Malformed(format!("unreadable `messages` change: {e}")))?;
        if value.metadata.phone_number_id != phone_number_id {
            elsewhere += value.messages.len();
            continue;
        }
        for message in &value.messages {
            items.push(Inbound::Message(inbound(message, &value.contacts)?));
        }
    }
    Ok((items, elsewhere))
}

fn inbound(message: &Message, contacts: &[Contact]) -> Result<InboundMessage, AdapterError> {
    let seconds: i64 = message.timestamp.parse().map_err(|_| {
        AdapterError::Malformed(format!(
            "message {}: timestamp `{}` is not a number of seconds",
            message.id, message.timestamp
        ))
    })?;
    // The contact is the sender's profile; its `wa_id` is the id to write back to.
    let contact = contacts
        .iter()
        .find(|contact| contact.wa_id == message.from)
        .or(match contacts {
            [only] => Some(only),
            _ => None,
        });
    let wa_id = contact
        .map_or(&message.from, |contact| &contact.wa_id)
        .clone();
    let name = contact
        .and_then(|contact| contact.profile.as_ref())
        .and_then(|profile| profile.name.clone())
        .filter(|name| !name.trim().is_empty());
    Ok(InboundMessage {
        external_ticket_id: None,
        external_message_id: message.id.clone(),
        channel: Channel::Whatsapp,
        requester: Requester {
            name,
            identities: vec![
                Identity {
                    kind: IdentityKind::Whatsapp,
                    value: wa_id.clone(),
                },
                Identity {
                    kind: IdentityKind::Phone,
                    value: format!("+{wa_id}"),
                },
            ],
            language: None,
        },
        author_role: AuthorRole::Requester,
        author: None,
        subject: None,
        body: body(message),
        public: true,
        created_at: seconds.saturating_mul(1000),
        ticket_ref: None,
        fields: Vec::new(),
    })
}

/// The text of a message; for what is not text, `[type]` and what text it carries
/// (a caption, a file name, a place, the button pressed).
fn body(message: &Message) -> String {
    let tagged = |text: Option<&str>| {
        let tag = format!("[{}]", message.kind);
        match text.map(str::trim).filter(|text| !text.is_empty()) {
            Some(text) => format!("{tag} {text}"),
            None => tag,
        }
    };
    let caption = |media: &Option<Media>| media.as_ref().and_then(|m| m.caption.clone());
    match message.kind.as_str() {
        "text" => match &message.text {
            Some(text) => text.body.clone(),
            None => tagged(None),
        },
        "image" | "video" | "audio" | "sticker" => {
            let media = match message.kind.as_str() {
                "image" => &message.image,
                "video" => &message.video,
                "audio" => &message.audio,
                _ => &message.sticker,
            };
            tagged(caption(media).as_deref())
        }
        "document" => {
            let document = message.document.as_ref();
            let parts: Vec<String> = [
                document.and_then(|d| d.filename.clone()),
                document.and_then(|d| d.caption.clone()),
            ]
            .into_iter()
            .flatten()
            .collect();
            tagged(Some(&parts.join(" — ")))
        }
        "location" => tagged(
            message
                .location
                .as_ref()
                .map(|place| {
                    let mut parts: Vec<String> = [place.name.clone(), place.address.clone()]
                        .into_iter()
                        .flatten()
                        .collect();
                    parts.push(format!("({}, {})", place.latitude, place.longitude));
                    parts.join(", ")
                })
                .as_deref(),
        ),
        "interactive" => match &message.interactive {
            Some(Interactive {
                button_reply: Some(choice),
                ..
            })
            | Some(Interactive {
                list_reply: Some(choice),
                ..
            }) => choice.title.clone(),
            _ => tagged(None),
        },
        "button" => match &message.button {
            Some(button) => button.text.clone(),
            None => tagged(None),
        },
        "reaction" => tagged(message.reaction.as_ref().and_then(|r| r.emoji.as_deref())),
        _ => tagged(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text message of Meta's `messages` webhook reference, compacted.
    const TEXT: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}"#;

    fn messages(body: &str) -> Vec<InboundMessage> {
        let (items, _) = read(body.as_bytes(), "106540352242922").unwrap();
        items
            .into_iter()
            .map(|item| match item {
                Inbound::Message(message) => message,
                _ => panic!("only messages are read"),
            })
            .collect()
    }

    /// TEXT with its message replaced by `message`.
    fn with_message(message: &str) -> String {
        let start = TEXT.find(r#""messages":[{"#).unwrap() + r#""messages":["#.len();
        let end = TEXT.find(r#"}]},"field""#).unwrap() + 1;
        format!("{}{}{}", &TEXT[..start], message, &TEXT[end..])
    }

    #[test]
    fn a_text_message_becomes_a_requester_message() {
        let [message] = <[InboundMessage; 1]>::try_from(messages(TEXT))
            .ok()
            .unwrap();
        assert_eq!(
            message.external_message_id,
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
        );
        assert_eq!(message.external_ticket_id, None);
        assert_eq!(message.body, "Does it come in another color?");
        assert_eq!(message.created_at, 1_749_416_383_000);
        assert!(matches!(message.channel, Channel::Whatsapp));
        assert!(matches!(message.author_role, AuthorRole::Requester));
        assert!(message.public);
        assert_eq!(message.requester.name.as_deref(), Some("Sheena Nelson"));
        let identities: Vec<(String, &str)> = message
            .requester
            .identities
            .iter()
            .map(|identity| (format!("{:?}", identity.kind), identity.value.as_str()))
            .collect();
        assert_eq!(
            identities,
            [
                ("IdentityKind::Whatsapp".to_string(), "16505551234"),
                ("IdentityKind::Phone".to_string(), "+16505551234")
            ]
        );
    }

    #[test]
    fn a_status_report_gives_nothing() {
        let status = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.X","status":"delivered","timestamp":"1749416390","recipient_id":"16505551234"}]},"field":"messages"}]}]}"#;
        assert!(messages(status).is_empty());
    }

    #[test]
    fn other_fields_are_ignored() {
        let other = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"phone_number":"15550783881","event":"VERIFIED_ACCOUNT"},"field":"account_update"}]}]}"#;
        assert!(messages(other).is_empty());
    }

    #[test]
    fn messages_to_another_number_are_counted_not_read() {
        let (items, elsewhere) = read(TEXT.as_bytes(), "999").unwrap();
        assert!(items.is_empty());
        assert_eq!(elsewhere, 1);
    }

    #[test]
    fn media_get_a_placeholder_and_their_caption() {
        let cases = [
            (
                r#"{"from":"16505551234","id":"wamid.1","timestamp":"1","type":"image","image":{"caption":"the crack","mime_type":"image/jpeg","sha256":"x","id":"1"}}"#,
                "[image] the crack",
            ),
            (
                r#"{"from":"16505551234","id":"wamid.2","timestamp":"1","type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"x","id":"2","voice":true}}"#,
                "[audio]",
            ),
            (
                r#"{"from":"16505551234","id":"wamid.3","timestamp":"1","type":"document","document":{"caption":"my invoice","filename":"invoice.pdf","mime_type":"application/pdf","sha256":"x","id":"3"}}"#,
                "[document] invoice.pdf — my invoice",
            ),
            (
                r#"{"from":"16505551234","id":"wamid.4","timestamp":"1","type":"location","location":{"latitude":48.8584,"longitude":2.2945,"name":"Tour Eiffel"}}"#,
                "[location] Tour Eiffel, (48.8584, 2.2945)",
            ),
            (
                r#"{"from":"16505551234","id":"wamid.5","timestamp":"1","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"yes","title":"Yes, cancel it"}}}"#,
                "Yes, cancel it",
            ),
            (
                r#"{"from":"16505551234","id":"wamid.6","timestamp":"1","type":"button","button":{"payload":"STOP","text":"Stop promotions"}}"#,
                "Stop promotions",
            ),
            (
                r#"{"from":"16505551234","id":"wamid.7","timestamp":"1","type":"unsupported","errors":[{"code":131051}]}"#,
                "[unsupported]",
            ),
        ];
        for (message, expected) in cases {
            let read = messages(&with_message(message));
            assert_eq!(read[0].body, expected);
        }
    }

    #[test]
    fn a_sender_without_a_contact_is_known_by_from() {
        let body = TEXT.replace(
            r#""contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"#,
            "",
        );
        let message = &messages(&body)[0];
        assert_eq!(message.requester.name, None);
        assert_eq!(message.requester.identities[0].value, "16505551234");
    }

    #[test]
    fn unreadable_bodies_are_malformed() {
        for body in [
            "{",
            r#"{"object":"page","entry":[]}"#,
            r#"{"object":"whatsapp_business_account"}"#,
            &TEXT.replace(r#""timestamp":"1749416383""#, r#""timestamp":"yesterday""#),
            &TEXT.replace(r#""id":"wamid."#, r#""mid":"wamid."#),
        ] {
            assert!(
                matches!(
                    read(body.as_bytes(), "106540352242922"),
                    Err(AdapterError::Malformed(_))
                ),
                "{body}"
            );
        }
    }
}
