//! Chatwoot's account webhooks read into guichet items.
//!
//! Payload shapes (Chatwoot's source):
//! - `message_created`: `Message#webhook_data` merged with `event`: `id`, `content`,
//!   `created_at` (ISO 8601), `message_type` (`incoming`, `outgoing`, `activity`,
//!   `template`), `private`, `sender` (`Contact#webhook_data`, or `User#webhook_data`
//!   with `type: "user"`, or an agent bot's with `type: "agent_bot"`), `inbox`,
//!   `account`, and `conversation` (`Conversation#webhook_data`, below).
//! - `conversation_created`, `conversation_updated`, `conversation_status_changed`:
//!   `Conversation#webhook_data` (`Conversations::EventDataPresenter#push_data`)
//!   merged with `event` (and `changed_attributes` for the last two): `id` (the
//!   conversation's `display_id`, the number the API takes), `channel` (the inbox's
//!   channel type, `Channel::WebWidget`...), `status`, `priority`, `labels`,
//!   `custom_attributes`, `meta.sender` (`Contact#push_event_data`), `meta.assignee`,
//!   `meta.team`, `messages` (the last chat message, `Message#push_event_data`, with a
//!   numeric `message_type`), `created_at`, `timestamp`, `updated_at` (Unix seconds).
//!   `changed_attributes` is a list of one-key objects,
//!   `[{"status": {"previous_value": "open", "current_value": "resolved"}}]`.

use serde_json::{Map, Value};

use crate::config::Config;
use crate::model::{
    AssignmentState, AuthorRole, Batch, Channel, Error, Field, FieldValue, Identity, IdentityKind,
    InboundMessage, Item, Priority, Requester, Status, TicketUpdate,
};
use crate::signature;
use crate::time;

/// The custom field holding the conversation's number as Chatwoot shows it.
pub const DISPLAY_ID_FIELD: &str = "chatwoot_display_id";

/// Checks and reads one webhook delivery: one without a valid signature is refused
/// before anything is read. `now_ms` (the host's receive time) dates what the payload
/// leaves undated.
pub fn handle(
    config: &Config,
    headers: &[(String, String)],
    body: &[u8],
    now_ms: i64,
) -> Result<Batch, Error> {
    if config.webhook_secret.is_empty() {
        // `Config::parse` refuses an empty secret; never treat one as "no check".
        return Err(Error::Rejected("no webhook secret configured".into()));
    }
    signature::verify(&config.webhook_secret, headers, body).map_err(Error::Rejected)?;
    let delivery_id = signature::header(headers, signature::DELIVERY_HEADER)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let signed_at = signature::header(headers, signature::TIMESTAMP_HEADER)
        .and_then(time::parse_text)
        .unwrap_or(now_ms);

    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| Error::Malformed(format!("the body is not JSON: {e}")))?;
    let payload = payload
        .as_object()
        .ok_or_else(|| Error::Malformed("the body is not a JSON object".into()))?;
    let event = payload
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Malformed("the body has no `event`".into()))?;

    let reader = Reader {
        config,
        signed_at,
        delivery_id: delivery_id.as_deref(),
    };
    let items = match event {
        "message_created" => reader.message_created(payload)?,
        "conversation_created" => reader.conversation_created(payload)?,
        "conversation_status_changed" | "conversation_updated" => {
            reader.conversation_changed(event, payload)?
        }
        // message_updated, contact_*, webwidget_triggered, typing...: nothing to read.
        _ => Vec::new(),
    };
    Ok(Batch { delivery_id, items })
}

struct Reader<'a> {
    config: &'a Config,
    signed_at: i64,
    delivery_id: Option<&'a str>,
}

/// What a message is, from `message_type` as a name (webhook_data) or a number
/// (push_event_data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Incoming,
    Outgoing,
    Activity,
    Template,
}

fn kind_of(value: Option<&Value>) -> Option<Kind> {
    match value? {
        Value::String(s) => match s.as_str() {
            "incoming" => Some(Kind::Incoming),
            "outgoing" => Some(Kind::Outgoing),
            "activity" => Some(Kind::Activity),
            "template" => Some(Kind::Template),
            _ => None,
        },
        Value::Number(n) => match n.as_u64()? {
            0 => Some(Kind::Incoming),
            1 => Some(Kind::Outgoing),
            2 => Some(Kind::Activity),
            3 => Some(Kind::Template),
            _ => None,
        },
        _ => None,
    }
}

/// An id (number or string) as text.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn id_number(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The guichet channel of an inbox's `channel_type`.
pub fn channel_of(conversation: &Map<String, Value>) -> Channel {
    let source_id = conversation
        .get("contact_inbox")
        .and_then(Value::as_object)
        .and_then(|ci| text(ci, "source_id"))
        .unwrap_or("");
    match text(conversation, "channel").unwrap_or("") {
        "Channel::Email" => Channel::Email,
        "Channel::Whatsapp" => Channel::Whatsapp,
        "Channel::Api" => Channel::Api,
        "Channel::FacebookPage" => Channel::Messenger,
        // Twilio carries SMS and WhatsApp; WhatsApp contacts' source ids are
        // `whatsapp:+33...`.
        "Channel::TwilioSms" if source_id.starts_with("whatsapp:") => Channel::Whatsapp,
        "Channel::TwilioSms" | "Channel::Sms" => Channel::Sms,
        "Channel::Voice" => Channel::Phone,
        // Channel::WebWidget, and the other messaging channels (Instagram,
        // Telegram, Line, Twitter, TikTok...), which guichet has no name for.
        _ => Channel::Chat,
    }
}

/// The requester a Chatwoot contact (`Contact#webhook_data` or `#push_event_data`)
/// stands for.
fn requester_of(contact: Option<&Map<String, Value>>, channel: Channel) -> Requester {
    let Some(contact) = contact else {
        return Requester::default();
    };
    let mut identities = Vec::new();
    if let Some(email) = text(contact, "email") {
        identities.push(Identity {
            kind: IdentityKind::Email,
            value: email.to_string(),
        });
    }
    if let Some(phone) = text(contact, "phone_number") {
        identities.push(Identity {
            kind: IdentityKind::Phone,
            value: phone.to_string(),
        });
        if channel == Channel::Whatsapp {
            identities.push(Identity {
                kind: IdentityKind::Whatsapp,
                value: phone.trim_start_matches('+').to_string(),
            });
        }
    }
    if let Some(identifier) = text(contact, "identifier") {
        identities.push(Identity {
            kind: IdentityKind::AppUser,
            value: identifier.to_string(),
        });
    }
    if let Some(id) = id_text(contact.get("id")) {
        identities.push(Identity {
            kind: IdentityKind::External,
            value: format!("chatwoot:contact:{id}"),
        });
    }
    Requester {
        name: text(contact, "name").map(str::to_string),
        identities,
        language: None,
    }
}

/// Custom attributes as guichet fields, by name.
fn fields_of(attributes: Option<&Value>) -> Vec<Field> {
    let Some(Value::Object(attributes)) = attributes else {
        return Vec::new();
    };
    let mut fields: Vec<Field> = attributes
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Value::Null => return None,
                Value::Bool(b) => FieldValue::Flag(*b),
                Value::String(s) => FieldValue::Text(s.clone()),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => FieldValue::Number(i),
                    None => FieldValue::Text(n.to_string()),
                },
                other => FieldValue::Text(other.to_string()),
            };
            Some(Field {
                name: name.clone(),
                value,
            })
        })
        .collect();
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    fields
}

fn conversation_id(conversation: &Map<String, Value>) -> Result<String, Error> {
    id_text(conversation.get("id"))
        .ok_or_else(|| Error::Malformed("the conversation has no `id`".into()))
}

impl Reader<'_> {
    /// `message_created`: the message, unless it is an activity or guichet's own.
    fn message_created(&self, payload: &Map<String, Value>) -> Result<Vec<Item>, Error> {
        let conversation = payload
            .get("conversation")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::Malformed("message_created without `conversation`".into()))?;
        Ok(self
            .message(payload, conversation)?
            .map(Item::Message)
            .into_iter()
            .collect())
    }

    /// `conversation_created`: the messages it already carries (a web-widget or API
    /// conversation is created in one transaction with its first message, so its
    /// payload has it); none creates nothing, the ticket waits for `message_created`.
    fn conversation_created(&self, payload: &Map<String, Value>) -> Result<Vec<Item>, Error> {
        conversation_id(payload)?;
        let mut items = Vec::new();
        if let Some(Value::Array(messages)) = payload.get("messages") {
            for message in messages {
                let message = message.as_object().ok_or_else(|| {
                    Error::Malformed("a conversation message is not an object".into())
                })?;
                if let Some(m) = self.message(message, payload)? {
                    items.push(Item::Message(m));
                }
            }
        }
        Ok(items)
    }

    /// One message of `conversation`, or `None` when it is not to be read.
    fn message(
        &self,
        message: &Map<String, Value>,
        conversation: &Map<String, Value>,
    ) -> Result<Option<InboundMessage>, Error> {
        let id = id_text(message.get("id"))
            .ok_or_else(|| Error::Malformed("the message has no `id`".into()))?;
        let ticket_id = conversation_id(conversation)?;
        let kind = kind_of(message.get("message_type"))
            .ok_or_else(|| Error::Malformed(format!("message {id} has no known `message_type`")))?;
        let private = message
            .get("private")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let sender = message.get("sender").and_then(Value::as_object);
        let sender_type = sender.and_then(|s| text(s, "type"));
        let sender_id = sender.and_then(|s| id_number(s.get("id")));
        let sender_name = sender.and_then(|s| text(s, "name")).map(str::to_string);

        let (author_role, author) = match kind {
            Kind::Activity => return Ok(None),
            Kind::Incoming => (AuthorRole::Requester, None),
            Kind::Outgoing | Kind::Template => match (sender_type, sender_id) {
                // guichet's own reply or note, posted with the configured token.
                (Some("user"), Some(uid)) if Some(uid) == self.config.api_user_id => {
                    return Ok(None);
                }
                (Some("user"), Some(uid)) if kind == Kind::Outgoing => (
                    AuthorRole::Agent,
                    self.config
                        .agent_named(uid)
                        .map(str::to_string)
                        .or(sender_name),
                ),
                (Some(_), _) => (AuthorRole::Bot, sender_name),
                (None, _) if kind == Kind::Template => (AuthorRole::Bot, None),
                // No sender: an automation rule's message.
                (None, _) => (AuthorRole::System, None),
            },
        };

        let channel = channel_of(conversation);
        let meta_sender = conversation
            .get("meta")
            .and_then(|m| m.get("sender"))
            .and_then(Value::as_object);
        let contact = match (meta_sender, kind) {
            (Some(contact), _) => Some(contact),
            (None, Kind::Incoming) => sender,
            (None, _) => None,
        };
        let requester = requester_of(contact, channel);

        let subject = conversation
            .get("additional_attributes")
            .and_then(Value::as_object)
            .and_then(|a| text(a, "mail_subject"))
            .map(str::to_string);

        let mut body = message
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if body.trim().is_empty() {
            let attachments: Vec<String> = message
                .get("attachments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .map(|a| {
                    format!(
                        "[{}] {}",
                        text(a, "file_type").unwrap_or("file"),
                        text(a, "data_url").unwrap_or("")
                    )
                    .trim_end()
                    .to_string()
                })
                .collect();
            body = attachments.join("\n");
        }

        let created_at = message
            .get("created_at")
            .and_then(time::from_json)
            .unwrap_or(self.signed_at);

        let mut fields = Vec::new();
        if let Some(display) = id_number(conversation.get("id")) {
            fields.push(Field {
                name: DISPLAY_ID_FIELD.to_string(),
                value: FieldValue::Number(display as i64),
            });
        }
        fields.extend(
            fields_of(conversation.get("custom_attributes"))
                .into_iter()
                .filter(|f| f.name != DISPLAY_ID_FIELD),
        );

        Ok(Some(InboundMessage {
            external_ticket_id: Some(ticket_id),
            external_message_id: id,
            channel,
            requester,
            author_role,
            author,
            subject,
            body,
            public: !private,
            created_at,
            ticket_ref: None,
            fields,
        }))
    }

    /// `conversation_status_changed` / `conversation_updated`: the state Chatwoot
    /// shows, limited to what `changed_attributes` names (when it names anything), so
    /// that a label change does not overwrite a status only guichet can tell apart
    /// (Chatwoot's `open` covers guichet's open and waiting statuses).
    fn conversation_changed(
        &self,
        event: &str,
        payload: &Map<String, Value>,
    ) -> Result<Vec<Item>, Error> {
        let id = conversation_id(payload)?;
        let changed: Option<Vec<String>> = match payload.get("changed_attributes") {
            Some(Value::Array(list)) => Some(
                list.iter()
                    .filter_map(Value::as_object)
                    .flat_map(|o| o.keys().cloned())
                    .collect(),
            ),
            Some(Value::Object(map)) => Some(map.keys().cloned().collect()),
            _ => None,
        };
        let wanted = |keys: &[&str]| match &changed {
            None => true,
            Some(changed) => changed.iter().any(|c| keys.contains(&c.as_str())),
        };

        let status =
            if event == "conversation_status_changed" || wanted(&["status", "snoozed_until"]) {
                payload
                    .get("status")
                    .and_then(Value::as_str)
                    .and_then(status_of)
            } else {
                None
            };
        let priority = if wanted(&["priority"]) && payload.contains_key("priority") {
            match payload.get("priority") {
                Some(Value::Null) => Some(Priority::Normal),
                Some(Value::String(p)) => priority_of(p),
                _ => None,
            }
        } else {
            None
        };
        let meta = payload.get("meta").and_then(Value::as_object);
        let assignment = match meta {
            Some(meta) if wanted(&["assignee_id", "team_id", "assignee_agent_bot_id"]) => {
                let agent = meta
                    .get("assignee")
                    .and_then(Value::as_object)
                    .and_then(|a| {
                        let named = match (text(a, "type"), id_number(a.get("id"))) {
                            (Some("user") | None, Some(uid)) => self.config.agent_named(uid),
                            _ => None,
                        };
                        named.or_else(|| text(a, "name")).map(str::to_string)
                    });
                let group = meta.get("team").and_then(Value::as_object).and_then(|t| {
                    id_number(t.get("id"))
                        .and_then(|tid| self.config.group_named(tid))
                        .or_else(|| text(t, "name"))
                        .map(str::to_string)
                });
                Some(AssignmentState { agent, group })
            }
            _ => None,
        };
        let tags = match payload.get("labels") {
            Some(Value::Array(labels)) if wanted(&["label_list", "cached_label_list"]) => {
                let mut tags: Vec<String> = labels
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|l| l.trim().to_lowercase())
                    .filter(|l| !l.is_empty())
                    .collect();
                tags.sort();
                tags.dedup();
                Some(tags)
            }
            _ => None,
        };
        let fields = if wanted(&["custom_attributes"]) {
            fields_of(payload.get("custom_attributes"))
        } else {
            Vec::new()
        };

        if status.is_none()
            && priority.is_none()
            && assignment.is_none()
            && tags.is_none()
            && fields.is_empty()
        {
            return Ok(Vec::new());
        }
        let updated_at = payload
            .get("updated_at")
            .and_then(time::from_json)
            .or_else(|| payload.get("timestamp").and_then(time::from_json))
            .unwrap_or(self.signed_at);
        let external_change_id = match self.delivery_id {
            Some(delivery) => delivery.to_string(),
            None => format!("{event}:{id}:{updated_at}"),
        };
        Ok(vec![Item::TicketUpdate(TicketUpdate {
            external_ticket_id: id,
            external_change_id,
            status,
            priority,
            assignment,
            tags,
            fields,
            updated_at,
        })])
    }
}

/// Chatwoot's conversation status as guichet's.
pub fn status_of(status: &str) -> Option<Status> {
    Some(match status {
        "open" => Status::Open,
        "resolved" => Status::Solved,
        // Waiting for a bot's handoff: no agent has looked at it yet.
        "pending" => Status::New,
        "snoozed" => Status::OnHold,
        _ => return None,
    })
}

/// Chatwoot's priority as guichet's (`null` and `medium` are guichet's default).
pub fn priority_of(priority: &str) -> Option<Priority> {
    Some(match priority {
        "low" => Priority::Low,
        "medium" => Priority::Normal,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "s";

    fn config() -> Config {
        let c = json!({
            "base_url": "https://chatwoot.example.com",
            "account_id": 1,
            "api_access_token": "TEST-TOKEN",
            "webhook_secret": SECRET,
            "agents": {"marie": 12},
            "teams": {"billing/L1": 3},
            "api_user_id": 99
        });
        Config::parse(&c.to_string()).unwrap()
    }

    /// `headers` with `X-Chatwoot-Timestamp` and `X-Chatwoot-Signature` for `body`
    /// added, as Chatwoot signs a delivery.
    fn signed(mut headers: Vec<(String, String)>, ts: &str, body: &[u8]) -> Vec<(String, String)> {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        headers.push((signature::TIMESTAMP_HEADER.into(), ts.into()));
        headers.push((signature::SIGNATURE_HEADER.into(), format!("sha256={hex}")));
        headers
    }

    fn contact() -> Value {
        json!({"additional_attributes": {}, "custom_attributes": {}, "email": "camille@example.fr",
               "id": 17, "identifier": null, "name": "Camille Martin",
               "phone_number": "+33612345678", "thumbnail": "", "blocked": false, "type": "contact"})
    }

    fn conversation(channel: &str) -> Value {
        json!({"additional_attributes": {}, "can_reply": true, "channel": channel,
               "id": 42, "inbox_id": 3, "messages": [], "labels": [],
               "meta": {"sender": contact(), "assignee": null, "team": null, "hmac_verified": false},
               "status": "open", "custom_attributes": {"order": "A-1234"}, "priority": null,
               "created_at": 1_773_134_100, "timestamp": 1_773_134_100, "updated_at": 1_773_134_100.5})
    }

    fn message_created(message_type: &str, sender: Value, private: bool) -> Vec<u8> {
        json!({"account": {"id": 1, "name": "Acme"}, "additional_attributes": {},
               "content_attributes": {}, "content_type": "text", "content": "Bonjour",
               "conversation": conversation("Channel::WebWidget"),
               "created_at": "2026-03-10T09:15:00.412Z", "id": 501,
               "inbox": {"id": 3, "name": "Site"}, "message_type": message_type,
               "private": private, "sender": sender, "source_id": null, "event": "message_created"})
        .to_string()
        .into_bytes()
    }

    fn read(body: &[u8]) -> Batch {
        handle(&config(), &signed(Vec::new(), "1773134100", body), body, 7).unwrap()
    }

    fn only_message(batch: Batch) -> InboundMessage {
        match batch.items.as_slice() {
            [Item::Message(m)] => m.clone(),
            other => panic!("expected one message, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_customer_message() {
        let m = only_message(read(&message_created("incoming", contact(), false)));
        assert_eq!(m.external_ticket_id.as_deref(), Some("42"));
        assert_eq!(m.external_message_id, "501");
        assert_eq!(m.channel, Channel::Chat);
        assert_eq!(m.author_role, AuthorRole::Requester);
        assert_eq!(m.body, "Bonjour");
        assert!(m.public);
        assert_eq!(m.created_at, 1_773_134_100_412);
        assert_eq!(m.requester.name.as_deref(), Some("Camille Martin"));
        let kinds: Vec<_> = m.requester.identities.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                IdentityKind::Email,
                IdentityKind::Phone,
                IdentityKind::External
            ]
        );
        assert_eq!(m.requester.identities[2].value, "chatwoot:contact:17");
        assert_eq!(
            m.fields,
            [
                Field {
                    name: DISPLAY_ID_FIELD.into(),
                    value: FieldValue::Number(42)
                },
                Field {
                    name: "order".into(),
                    value: FieldValue::Text("A-1234".into())
                },
            ]
        );
    }

    #[test]
    fn reads_agent_messages_and_notes() {
        let user =
            json!({"id": 12, "name": "Marie Dupont", "email": "marie@acme.fr", "type": "user"});
        let m = only_message(read(&message_created("outgoing", user.clone(), false)));
        assert_eq!(m.author_role, AuthorRole::Agent);
        assert_eq!(m.author.as_deref(), Some("marie"));
        assert!(m.public);
        assert_eq!(m.requester.identities[0].value, "camille@example.fr");

        let note = only_message(read(&message_created("outgoing", user, true)));
        assert!(!note.public);

        let other = json!({"id": 13, "name": "Paul", "email": "p@acme.fr", "type": "user"});
        let m = only_message(read(&message_created("outgoing", other, false)));
        assert_eq!(m.author.as_deref(), Some("Paul"));

        let bot = json!({"id": 2, "name": "Assistant", "type": "agent_bot"});
        let m = only_message(read(&message_created("outgoing", bot, false)));
        assert_eq!(m.author_role, AuthorRole::Bot);

        let m = only_message(read(&message_created("outgoing", Value::Null, false)));
        assert_eq!(m.author_role, AuthorRole::System);
    }

    #[test]
    fn skips_guichets_own_messages_and_activities() {
        let me = json!({"id": 99, "name": "guichet", "email": "g@acme.fr", "type": "user"});
        assert!(
            read(&message_created("outgoing", me, false))
                .items
                .is_empty()
        );
        assert!(
            read(&message_created("activity", Value::Null, false))
                .items
                .is_empty()
        );
    }

    #[test]
    fn conversation_created_carries_its_first_message() {
        let mut conv = conversation("Channel::Whatsapp");
        conv["messages"] = json!([{"id": 501, "content": "Bonjour", "message_type": 0,
            "created_at": 1_773_134_100, "private": false, "conversation_id": 42,
            "sender": contact()}]);
        conv["event"] = json!("conversation_created");
        let m = only_message(read(conv.to_string().as_bytes()));
        assert_eq!(m.external_message_id, "501");
        assert_eq!(m.channel, Channel::Whatsapp);
        assert_eq!(m.created_at, 1_773_134_100_000);
        assert!(m.requester.identities.contains(&Identity {
            kind: IdentityKind::Whatsapp,
            value: "33612345678".into()
        }));

        let mut empty = conversation("Channel::Email");
        empty["event"] = json!("conversation_created");
        assert!(read(empty.to_string().as_bytes()).items.is_empty());
    }

    #[test]
    fn conversation_updated_reports_what_changed() {
        let mut conv = conversation("Channel::WebWidget");
        conv["event"] = json!("conversation_updated");
        conv["meta"]["assignee"] = json!({"id": 12, "name": "Marie Dupont", "type": "user"});
        conv["meta"]["team"] = json!({"id": 3, "name": "billing"});
        conv["labels"] = json!(["VIP", "remboursement"]);
        conv["priority"] = json!("high");
        conv["changed_attributes"] = json!([
            {"assignee_id": {"previous_value": null, "current_value": 12}},
            {"label_list": {"previous_value": [], "current_value": ["remboursement", "vip"]}},
            {"priority": {"previous_value": null, "current_value": "high"}}
        ]);
        let headers = vec![("x-chatwoot-delivery".to_string(), "d-1".to_string())];
        let body = conv.to_string().into_bytes();
        let batch = handle(&config(), &signed(headers, "1773134100", &body), &body, 7).unwrap();
        assert_eq!(batch.delivery_id.as_deref(), Some("d-1"));
        let [Item::TicketUpdate(u)] = batch.items.as_slice() else {
            panic!("{:?}", batch.items)
        };
        assert_eq!(u.external_ticket_id, "42");
        assert_eq!(u.external_change_id, "d-1");
        assert_eq!(u.status, None, "status did not change");
        assert_eq!(u.priority, Some(Priority::High));
        assert_eq!(
            u.assignment,
            Some(AssignmentState {
                agent: Some("marie".into()),
                group: Some("billing/L1".into())
            })
        );
        assert_eq!(
            u.tags,
            Some(vec!["remboursement".to_string(), "vip".to_string()])
        );
        assert!(u.fields.is_empty());
        assert_eq!(u.updated_at, 1_773_134_100_500);
    }

    #[test]
    fn status_changed_always_reports_the_status() {
        let mut conv = conversation("Channel::WebWidget");
        conv["event"] = json!("conversation_status_changed");
        conv["status"] = json!("resolved");
        conv["changed_attributes"] = json!(null);
        let batch = read(conv.to_string().as_bytes());
        let [Item::TicketUpdate(u)] = batch.items.as_slice() else {
            panic!()
        };
        assert_eq!(u.status, Some(Status::Solved));
        // Without changed_attributes, everything is reported.
        assert_eq!(u.priority, Some(Priority::Normal));
        assert_eq!(u.tags, Some(vec![]));
        assert_eq!(
            u.external_change_id,
            "conversation_status_changed:42:1773134100500"
        );
    }

    #[test]
    fn an_update_of_nothing_we_track_is_empty() {
        let mut conv = conversation("Channel::WebWidget");
        conv["event"] = json!("conversation_updated");
        conv["changed_attributes"] =
            json!([{"waiting_since": {"previous_value": null, "current_value": 1}}]);
        assert!(read(conv.to_string().as_bytes()).items.is_empty());
    }

    #[test]
    fn other_events_are_acknowledged() {
        let batch = read(br#"{"event":"contact_created","id":17}"#);
        assert!(batch.items.is_empty());
    }

    #[test]
    fn malformed_bodies() {
        for body in [
            &b"{not json"[..],
            b"[]",
            br#"{"id": 1}"#,
            br#"{"event":"message_created","id":1}"#,
            br#"{"event":"message_created","id":1,"message_type":"incoming","conversation":{}}"#,
            br#"{"event":"conversation_updated","status":"open"}"#,
        ] {
            assert!(
                matches!(
                    handle(&config(), &signed(Vec::new(), "0", body), body, 0),
                    Err(Error::Malformed(_))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_signature_is_required() {
        let body = message_created("incoming", contact(), false);
        assert!(matches!(
            handle(&config(), &[], &body, 0),
            Err(Error::Rejected(_))
        ));
        // Signed for another body, or with another timestamp than the one sent.
        let mut wrong = signed(Vec::new(), "1773134100", b"{}");
        assert!(matches!(
            handle(&config(), &wrong, &body, 0),
            Err(Error::Rejected(_))
        ));
        wrong = signed(Vec::new(), "1773134100", &body);
        wrong[0].1 = "1773134101".into();
        assert!(matches!(
            handle(&config(), &wrong, &body, 0),
            Err(Error::Rejected(_))
        ));
        // Even a malformed body is refused for its signature first.
        assert!(matches!(
            handle(&config(), &[], b"{", 0),
            Err(Error::Rejected(_))
        ));
        assert!(handle(&config(), &signed(Vec::new(), "0", &body), &body, 0).is_ok());
    }

    #[test]
    fn channels() {
        let conv = |channel: &str, source: &str| {
            json!({"channel": channel, "contact_inbox": {"source_id": source}})
                .as_object()
                .unwrap()
                .clone()
        };
        assert_eq!(channel_of(&conv("Channel::Email", "")), Channel::Email);
        assert_eq!(channel_of(&conv("Channel::Api", "")), Channel::Api);
        assert_eq!(
            channel_of(&conv("Channel::FacebookPage", "")),
            Channel::Messenger
        );
        assert_eq!(
            channel_of(&conv("Channel::TwilioSms", "whatsapp:+336")),
            Channel::Whatsapp
        );
        assert_eq!(
            channel_of(&conv("Channel::TwilioSms", "+336")),
            Channel::Sms
        );
        assert_eq!(channel_of(&conv("Channel::Telegram", "")), Channel::Chat);
    }
}
