//! Zammad's trigger webhook: its signature, and the ticket and article it carries, read
//! into guichet's inbound items.
//!
//! Zammad's `TriggerWebhookJob` posts `{"ticket": {...}, "article": {...}}` (the
//! article is `{}` when the change that fired the trigger added none), with the
//! headers `X-Zammad-Trigger`, `X-Zammad-Delivery` (the job's id) and, when the
//! webhook has a signature token, `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`.
//! The configuration requires the token, so a delivery without a valid signature is
//! always refused.
//! Associations (`customer`, `owner`, `group`, `priority`, `created_by`...) are whole
//! objects; `state` is the state's name.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha1::Sha1;

use crate::config::Config;
use crate::exports::guichet::plugin::adapter::{
    AdapterError, AssignmentState, Header, Inbound, InboundBatch, InboundMessage, TicketUpdate,
};
use crate::guichet::plugin::types::{
    AuthorRole, Channel, CustomField, FieldValue, Identity, IdentityKind, Requester,
};
use crate::text::{html_to_text, parse_timestamp};

/// The custom field holding the ticket number Zammad shows its customers (`10081`),
/// which `merge-into` needs to name a target.
pub const NUMBER_FIELD: &str = "zammad_number";

/// Zammad's system user (`-`, id 1) owns every unassigned ticket.
const NOBODY_ID: i64 = 1;

fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Checks `X-Hub-Signature` against the body with the configured token, in constant
/// time. A delivery without the header is refused.
pub fn verify_signature(
    config: &Config,
    headers: &[Header],
    body: &[u8],
) -> Result<(), AdapterError> {
    let token = &config.signature_token;
    if token.is_empty() {
        // `Config::parse` refuses an empty token; never treat one as "no check".
        return Err(AdapterError::Rejected(
            "no signature token configured".into(),
        ));
    }
    let signature = header(headers, "x-hub-signature")
        .ok_or_else(|| AdapterError::Rejected("missing X-Hub-Signature header".into()))?;
    let hex = signature
        .trim()
        .strip_prefix("sha1=")
        .ok_or_else(|| AdapterError::Rejected("X-Hub-Signature is not `sha1=<hex>`".into()))?;
    let expected = decode_hex(hex)
        .ok_or_else(|| AdapterError::Rejected("X-Hub-Signature is not hexadecimal".into()))?;
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes())
        .map_err(|_| AdapterError::Rejected("unusable signature token".into()))?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| AdapterError::Rejected("X-Hub-Signature does not match the body".into()))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Verifies and reads one delivery.
pub fn handle(
    config: &Config,
    headers: &[Header],
    body: &[u8],
) -> Result<InboundBatch, AdapterError> {
    verify_signature(config, headers, body)?;
    let delivery_id = header(headers, "x-zammad-delivery")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| AdapterError::Malformed(format!("body is not JSON: {e}")))?;
    let items = read_payload(config, &payload, delivery_id.as_deref())?;
    Ok(InboundBatch {
        delivery_id,
        items,
        answer: None,
    })
}

fn malformed(what: &str) -> AdapterError {
    AdapterError::Malformed(what.to_string())
}

/// An id as Zammad writes it (a number), as a string.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn str_of<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An association: an object's `name` (or login), or the name itself when a custom
/// payload gives it as a string.
fn name_of<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    match object.get(key)? {
        Value::String(s) => Some(s.as_str()).filter(|s| !s.is_empty()),
        Value::Object(o) => str_of(o, "name"),
        _ => None,
    }
}

/// The items of a payload: a `message` for its article (if any), then a
/// `ticket-update` with the state the ticket shows.
pub fn read_payload(
    config: &Config,
    payload: &Value,
    delivery_id: Option<&str>,
) -> Result<Vec<Inbound>, AdapterError> {
    let root = payload
        .as_object()
        .ok_or_else(|| malformed("payload is not a JSON object"))?;
    let ticket = root
        .get("ticket")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("payload has no `ticket` object"))?;
    let ticket_id = id_of(ticket.get("id")).ok_or_else(|| malformed("ticket has no `id`"))?;
    let updated_at =
        str_of(ticket, "updated_at").ok_or_else(|| malformed("ticket has no `updated_at`"))?;
    let updated_at_ms = parse_timestamp(updated_at)
        .ok_or_else(|| malformed("ticket `updated_at` is not an RFC 3339 time"))?;
    let number = str_of(ticket, "number").map(str::to_string).or_else(|| {
        ticket
            .get("number")
            .and_then(Value::as_i64)
            .map(|n| n.to_string())
    });
    let fields: Vec<CustomField> = number
        .iter()
        .map(|n| CustomField {
            name: NUMBER_FIELD.to_string(),
            value: FieldValue::Text(n.clone()),
        })
        .collect();

    let mut items = Vec::new();
    match root.get("article") {
        None | Some(Value::Null) => {}
        Some(Value::Object(article)) if article.is_empty() => {}
        Some(Value::Object(article)) => {
            if let Some(message) = read_article(config, ticket, &ticket_id, article, &fields)? {
                items.push(Inbound::Message(message));
            }
        }
        Some(_) => return Err(malformed("`article` is not an object")),
    }

    let status = name_of(ticket, "state").and_then(|state| config.status_of(state));
    let priority = name_of(ticket, "priority").and_then(|p| config.priority_of(p));
    let tags = ticket.get("tags").and_then(Value::as_array).map(|tags| {
        let mut list: Vec<String> = tags
            .iter()
            .filter_map(Value::as_str)
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        list.dedup();
        list
    });
    items.push(Inbound::TicketUpdate(TicketUpdate {
        external_ticket_id: ticket_id.clone(),
        external_change_id: match delivery_id {
            Some(id) => id.to_string(),
            None => format!("{ticket_id}@{updated_at}"),
        },
        status,
        priority,
        assignment: assignment_of(config, ticket),
        tags,
        fields,
        updated_at: updated_at_ms,
    }));
    Ok(items)
}

/// The owner's login, `None` for Zammad's "nobody" (id 1, login `-`).
fn owner_of(ticket: &Map<String, Value>) -> Option<String> {
    if ticket.get("owner_id").and_then(Value::as_i64) == Some(NOBODY_ID) {
        return None;
    }
    let owner = match ticket.get("owner")? {
        Value::String(login) => Some(login.trim().to_string()),
        Value::Object(user) => {
            if user.get("id").and_then(Value::as_i64) == Some(NOBODY_ID) {
                return None;
            }
            str_of(user, "login")
                .or_else(|| str_of(user, "email"))
                .map(str::to_string)
        }
        _ => None,
    }?;
    (!owner.is_empty() && owner != "-").then_some(owner)
}

/// The group and agent Zammad shows. A ticket still in an inbox group is reported
/// without a group; with nobody owning it either, the assignment is left out, so that
/// guichet's own routing of it stands.
fn assignment_of(config: &Config, ticket: &Map<String, Value>) -> Option<AssignmentState> {
    let agent = owner_of(ticket);
    let group = name_of(ticket, "group")
        .filter(|g| !config.is_inbox(g))
        .map(str::to_string);
    if group.is_none() && agent.is_none() {
        if name_of(ticket, "group").is_some() {
            return None;
        }
        return Some(AssignmentState { agent, group });
    }
    Some(AssignmentState { agent, group })
}

/// The channel of a Zammad article type; `note` and types guichet has no channel for
/// take the channel the ticket was opened on.
fn channel_of_type(article_type: &str) -> Option<Channel> {
    Some(match article_type {
        "email" => Channel::Email,
        "phone" => Channel::Phone,
        "web" => Channel::WebForm,
        "sms" => Channel::Sms,
        "chat" => Channel::Chat,
        "whatsapp message" => Channel::Whatsapp,
        _ => return None,
    })
}

fn channel_of(ticket: &Map<String, Value>, article: &Map<String, Value>) -> Channel {
    name_of(article, "type")
        .and_then(channel_of_type)
        .or_else(|| name_of(ticket, "create_article_type").and_then(channel_of_type))
        .unwrap_or(Channel::Api)
}

/// A phone number as written in Zammad, without spaces and punctuation, `00` as `+`.
fn normalise_phone(raw: &str) -> Option<String> {
    let mut out: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if let Some(rest) = out.strip_prefix("00") {
        out = format!("+{rest}");
    }
    (out.trim_start_matches('+').len() >= 4).then_some(out)
}

/// `Name <address>` (an e-mail `From`), split.
fn split_address(from: &str) -> (Option<String>, Option<String>) {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(lt), Some(gt)) if lt < gt => {
            let name = from[..lt].trim().trim_matches('"').trim();
            let address = from[lt + 1..gt].trim();
            (
                (!name.is_empty()).then(|| name.to_string()),
                address.contains('@').then(|| address.to_string()),
            )
        }
        _ => (
            None,
            from.trim().contains('@').then(|| from.trim().to_string()),
        ),
    }
}

/// The ticket's customer: name, e-mail, phone and mobile; the sender's `From` when
/// the payload has no customer object; the Zammad user id when nothing else is known.
fn requester_of(ticket: &Map<String, Value>, article: &Map<String, Value>) -> Requester {
    let mut name = None;
    let mut identities = Vec::new();
    if let Some(Value::Object(customer)) = ticket.get("customer") {
        let full = [str_of(customer, "firstname"), str_of(customer, "lastname")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        name = (!full.is_empty()).then_some(full);
        if let Some(email) = str_of(customer, "email") {
            identities.push(Identity {
                kind: IdentityKind::Email,
                value: email.to_string(),
            });
        }
        for key in ["phone", "mobile"] {
            if let Some(phone) = str_of(customer, key).and_then(normalise_phone)
                && !identities
                    .iter()
                    .any(|i: &Identity| i.kind == IdentityKind::Phone && i.value == phone)
            {
                identities.push(Identity {
                    kind: IdentityKind::Phone,
                    value: phone,
                });
            }
        }
    }
    if identities.is_empty() && name_of(article, "sender") == Some("Customer") {
        let (from_name, address) = split_address(str_of(article, "from").unwrap_or(""));
        name = name.or(from_name);
        if let Some(address) = address {
            identities.push(Identity {
                kind: IdentityKind::Email,
                value: address,
            });
        }
    }
    if identities.is_empty()
        && let Some(id) = id_of(ticket.get("customer_id"))
    {
        identities.push(Identity {
            kind: IdentityKind::External,
            value: format!("zammad:{id}"),
        });
    }
    Requester {
        name,
        identities,
        language: None,
    }
}

fn login_of(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(login) => Some(login.clone()).filter(|l| !l.is_empty()),
        Value::Object(user) => str_of(user, "login")
            .or_else(|| str_of(user, "email"))
            .map(str::to_string),
        _ => None,
    }
}

fn read_article(
    config: &Config,
    ticket: &Map<String, Value>,
    ticket_id: &str,
    article: &Map<String, Value>,
    fields: &[CustomField],
) -> Result<Option<InboundMessage>, AdapterError> {
    let article_id = id_of(article.get("id")).ok_or_else(|| malformed("article has no `id`"))?;
    let author_login = login_of(article, "created_by");
    if let (Some(api_user), Some(login)) = (&config.api_user, &author_login)
        && api_user.eq_ignore_ascii_case(login)
    {
        // Written through the API with guichet's token: guichet's own reply or note,
        // which the ticket already has.
        return Ok(None);
    }
    let raw_body = article
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("article has no `body`"))?;
    let is_html = article
        .get("content_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    let body = if is_html {
        html_to_text(raw_body)
    } else {
        raw_body.trim().to_string()
    };
    let created_at = str_of(article, "created_at")
        .and_then(parse_timestamp)
        .ok_or_else(|| malformed("article has no RFC 3339 `created_at`"))?;
    let author_role = match name_of(article, "sender") {
        Some("Customer") => AuthorRole::Requester,
        Some("System") => AuthorRole::System,
        _ => AuthorRole::Agent,
    };
    let author = match author_role {
        AuthorRole::Requester => None,
        _ => author_login.or_else(|| str_of(article, "from").map(str::to_string)),
    };
    let public = !article
        .get("internal")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let subject = str_of(article, "subject")
        .or_else(|| str_of(ticket, "title"))
        .map(str::to_string);
    Ok(Some(InboundMessage {
        external_ticket_id: Some(ticket_id.to_string()),
        external_message_id: article_id,
        channel: channel_of(ticket, article),
        requester: requester_of(ticket, article),
        author_role,
        author,
        subject,
        body,
        public,
        created_at,
        ticket_ref: None,
        fields: fields.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guichet::plugin::types::{Priority, TicketStatus};

    const TOKEN: &str = "zammad-webhook-secret";

    fn config() -> Config {
        Config::parse(&format!(
            r#"{{"base_url": "https://zammad.example.com", "api_token": "t",
                "signature_token": "{TOKEN}", "inbox_groups": ["Users"],
                "api_user": "guichet@example.com"}}"#
        ))
        .unwrap()
    }

    fn sign(body: &[u8]) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        format!(
            "sha1={}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    }

    fn headers(body: &[u8], delivery: &str) -> Vec<Header> {
        vec![
            Header {
                name: "user-agent".into(),
                value: "Zammad User Agent".into(),
            },
            Header {
                name: "x-zammad-delivery".into(),
                value: delivery.into(),
            },
            Header {
                name: "x-hub-signature".into(),
                value: sign(body),
            },
        ]
    }

    /// A fixture's headers (names lower case) and body, read as the host reads them.
    fn fixture(name: &str) -> (Vec<Header>, Vec<u8>) {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let raw = std::fs::read(path).unwrap();
        let at = raw.windows(2).position(|w| w == b"\n\n").unwrap();
        let head = String::from_utf8(raw[..at].to_vec()).unwrap();
        let headers = head
            .lines()
            .skip(1)
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                Header {
                    name: name.trim().to_ascii_lowercase(),
                    value: value.trim().to_string(),
                }
            })
            .collect();
        (headers, raw[at + 2..].to_vec())
    }

    /// The configuration `fixtures/expect.json` installs.
    fn expect_config() -> Config {
        let path = format!("{}/fixtures/expect.json", env!("CARGO_MANIFEST_DIR"));
        let expect: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        Config::parse(&expect["config"].to_string()).unwrap()
    }

    fn payload(article: &str, owner_id: i64, group: &str) -> Vec<u8> {
        format!(
            r#"{{"ticket":{{"id":81,"number":"10081","title":"Remboursement","state":"open",
            "priority":{{"id":3,"name":"3 high"}},"group":{{"id":1,"name":"{group}"}},
            "owner_id":{owner_id},"owner":{{"id":{owner_id},"login":"emma@chrispresso.com"}},
            "customer_id":8,"customer":{{"id":8,"firstname":"Emily","lastname":"Adams",
            "email":"emily@example.com","phone":"0061 2 1234 7777"}},
            "create_article_type":"email","updated_at":"2020-11-13T14:34:35.333Z"}},
            "article":{article}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_customer_article_is_a_message_then_the_state() {
        let body = payload(
            r#"{"id":104,"ticket_id":81,"type":"email","sender":"Customer","internal":false,
            "content_type":"text/html","body":"Hello<br>world","from":"Emily Adams <emily@example.com>",
            "created_at":"2020-11-13T14:34:35.318Z","created_by":{"login":"emily@example.com"}}"#,
            5,
            "Service Desk",
        );
        let batch = handle(&config(), &headers(&body, "d-1"), &body).unwrap();
        assert_eq!(batch.delivery_id.as_deref(), Some("d-1"));
        let [Inbound::Message(m), Inbound::TicketUpdate(u)] = batch.items.as_slice() else {
            panic!("expected a message and an update");
        };
        assert_eq!(m.external_ticket_id.as_deref(), Some("81"));
        assert_eq!(m.external_message_id, "104");
        assert_eq!(m.body, "Hello\nworld");
        assert_eq!(m.channel, Channel::Email);
        assert_eq!(m.author_role, AuthorRole::Requester);
        assert_eq!(m.subject.as_deref(), Some("Remboursement"));
        assert_eq!(m.requester.name.as_deref(), Some("Emily Adams"));
        assert_eq!(m.requester.identities.len(), 2);
        assert_eq!(m.requester.identities[1].value, "+61212347777");
        assert_eq!(m.created_at, 1_605_278_075_318);
        assert!(matches!(&m.fields[0].value, FieldValue::Text(n) if n == "10081"));
        assert_eq!(u.external_change_id, "d-1");
        assert_eq!(u.status, Some(TicketStatus::Open));
        assert_eq!(u.priority, Some(Priority::High));
        let a = u.assignment.as_ref().unwrap();
        assert_eq!(a.agent.as_deref(), Some("emma@chrispresso.com"));
        assert_eq!(a.group.as_deref(), Some("Service Desk"));
        assert!(u.tags.is_none());
    }

    #[test]
    fn no_article_is_only_an_update_and_nobody_is_unassigned() {
        let body = payload("{}", 1, "Users");
        let batch = handle(&config(), &headers(&body, "d-2"), &body).unwrap();
        let [Inbound::TicketUpdate(u)] = batch.items.as_slice() else {
            panic!("expected one update");
        };
        // In the inbox group and owned by nobody: the assignment is not reported.
        assert!(u.assignment.is_none());
        let body = payload("{}", 1, "Sales");
        let batch = handle(&config(), &headers(&body, "d-3"), &body).unwrap();
        let [Inbound::TicketUpdate(u)] = batch.items.as_slice() else {
            panic!("expected one update");
        };
        let a = u.assignment.as_ref().unwrap();
        assert_eq!(
            (a.agent.as_deref(), a.group.as_deref()),
            (None, Some("Sales"))
        );
    }

    #[test]
    fn guichets_own_articles_are_not_read_back() {
        let body = payload(
            r#"{"id":105,"type":"note","sender":"Agent","internal":true,"content_type":"text/plain",
            "body":"note","created_at":"2020-11-13T14:40:00.000Z","created_by":{"login":"guichet@example.com"}}"#,
            5,
            "Sales",
        );
        let batch = handle(&config(), &headers(&body, "d-4"), &body).unwrap();
        assert_eq!(batch.items.len(), 1);
    }

    #[test]
    fn an_agent_note_keeps_the_tickets_channel() {
        let body = payload(
            r#"{"id":106,"type":"note","sender":"Agent","internal":true,"content_type":"text/plain",
            "body":" checked ","created_at":"2020-11-13T14:40:00.000Z","created_by":{"login":"emma@chrispresso.com"}}"#,
            5,
            "Sales",
        );
        let batch = handle(&config(), &headers(&body, "d-5"), &body).unwrap();
        let Inbound::Message(m) = &batch.items[0] else {
            panic!("expected a message");
        };
        assert_eq!(m.channel, Channel::Email);
        assert_eq!(m.author_role, AuthorRole::Agent);
        assert_eq!(m.author.as_deref(), Some("emma@chrispresso.com"));
        assert!(!m.public);
        assert_eq!(m.body, "checked");
    }

    #[test]
    fn signatures_are_required_and_checked() {
        let body = payload("{}", 1, "Users");
        let mut bad = headers(&body, "d-6");
        bad[2].value = sign(b"something else");
        assert!(matches!(
            handle(&config(), &bad, &body),
            Err(AdapterError::Rejected(_))
        ));
        let missing: Vec<Header> = headers(&body, "d-6").into_iter().take(2).collect();
        assert!(matches!(
            handle(&config(), &missing, &body),
            Err(AdapterError::Rejected(_))
        ));
        // Without a token the configuration is refused, so nothing is accepted unsigned.
        let unsigned =
            Config::parse(r#"{"base_url": "https://zammad.example.com", "api_token": "t"}"#)
                .unwrap_err();
        assert_eq!(unsigned.path, "/signature_token");
        assert!(handle(&config(), &headers(&body, "d-6"), &body).is_ok());
    }

    #[test]
    fn unreadable_bodies_are_malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"article":{}}"#,
            br#"{"ticket":{"id":1}}"#,
        ] {
            assert!(
                matches!(
                    handle(&config(), &headers(body, "d-7"), body),
                    Err(AdapterError::Malformed(_))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_fixtures_read_as_expected() {
        let config = expect_config();
        let read = |name: &str| {
            let (headers, body) = fixture(name);
            handle(&config, &headers, &body)
        };

        let created = read("ticket-created.http").unwrap();
        assert_eq!(
            created.delivery_id.as_deref(),
            Some("6f1c2a4e-8b3d-4f7a-9c21-5d0e8b7a3f10")
        );
        let [Inbound::Message(m), Inbound::TicketUpdate(u)] = created.items.as_slice() else {
            panic!("expected a message and an update");
        };
        assert_eq!(m.external_ticket_id.as_deref(), Some("512"));
        assert_eq!(m.external_message_id, "1203");
        assert_eq!(
            m.body,
            "Bonjour,\n\nJ'ai été débité deux fois pour la commande n° 4521 (2 × 49,90 €). Pouvez-vous procéder au remboursement du second paiement ?\n\nMerci d'avance,\nCamille Durand"
        );
        assert_eq!(
            m.subject.as_deref(),
            Some("Demande de remboursement - commande 4521")
        );
        assert_eq!(m.requester.identities[0].value, "camille.durand@example.fr");
        assert_eq!(m.requester.identities[1].value, "+33612345678");
        assert_eq!(u.status, Some(TicketStatus::New));
        assert_eq!(u.priority, Some(Priority::Normal));
        assert!(u.assignment.is_none(), "the inbox group is not reported");

        let reply = read("customer-reply.http").unwrap();
        let Inbound::Message(m) = &reply.items[0] else {
            panic!("expected a message");
        };
        assert_eq!(m.external_message_id, "1207");
        assert_eq!(
            m.body,
            "Je joins le relevé : les deux prélèvements datent du 28 février & portent la même référence.\n\nCamille"
        );

        let update = read("agent-update.http").unwrap();
        let [Inbound::TicketUpdate(u)] = update.items.as_slice() else {
            panic!("expected only an update");
        };
        assert_eq!(u.status, Some(TicketStatus::Open));
        assert_eq!(u.priority, Some(Priority::High));
        let a = u.assignment.as_ref().unwrap();
        assert_eq!(a.agent.as_deref(), Some("emma.martin@example.com"));
        assert_eq!(a.group.as_deref(), Some("Billing"));
        assert_eq!(u.external_change_id, "3b9e5f70-1c2d-4e8a-b6f4-7a0d9c8e2b31");

        assert!(matches!(
            read("bad-signature.http"),
            Err(AdapterError::Rejected(_))
        ));
        assert!(matches!(
            read("no-signature.http"),
            Err(AdapterError::Rejected(_))
        ));
        assert!(matches!(
            read("malformed.http"),
            Err(AdapterError::Malformed(_))
        ));
        let (_, first) = fixture("ticket-created.http");
        let (_, again) = fixture("redelivery.http");
        assert_eq!(first, again);
    }
}
