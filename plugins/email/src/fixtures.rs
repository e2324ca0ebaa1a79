//! The fixtures of `fixtures/`, run natively against the adapter's logic with a small
//! stand-in for the host: each `*.http` request of `expect.json` is authenticated and
//! read, its messages filed the way the contract describes (ticket ref, then
//! external ticket id, a message id received once), and the tickets compared; each
//! render is compared request by request. The host's end-to-end test runs the same
//! file against the real service.

use std::path::PathBuf;

use serde_json::Value;

use crate::config::Config;
use crate::exports::guichet::plugin::adapter::{
    AdapterError, Header, Inbound, IncomingRequest, Outbound,
};
use crate::guichet::plugin::types::{
    Action, Assignment, AuthorRole, Channel, FieldUpdate, FieldValue, Identity, IdentityKind,
    Message, Priority, Reply, Requester, Ticket, TicketStatus, Timer,
};
use crate::{date, inbound, render};

const NOW: i64 = 1_800_000_000_000;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn expect() -> Value {
    let text = std::fs::read_to_string(dir().join("expect.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An `.http` file as the host reads it: request line, headers (names lower case),
/// an empty line, then every remaining byte as the body.
fn request(name: &str) -> IncomingRequest {
    let bytes = std::fs::read(dir().join(name)).unwrap();
    let mut rest = &bytes[..];
    let mut line = || {
        let end = rest.iter().position(|&b| b == b'\n').expect("a line");
        let text = std::str::from_utf8(&rest[..end])
            .unwrap()
            .trim_end_matches('\r');
        rest = &rest[end + 1..];
        text.to_string()
    };
    let request_line = line();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap().to_string();
    let path = parts.next().unwrap().to_string();
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{name}");
    let mut headers = Vec::new();
    loop {
        let header = line();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').expect("Name: value");
        headers.push(Header {
            name: name.trim().to_ascii_lowercase(),
            value: value.trim().to_string(),
        });
    }
    IncomingRequest {
        method,
        path,
        headers,
        body: rest.to_vec(),
    }
}

struct SimTicket {
    id: String,
    external_id: Option<String>,
    subject: Option<String>,
    identities: Vec<(String, String)>,
    messages: Vec<String>,
    message_ids: Vec<String>,
}

#[test]
fn the_fixtures_give_what_expect_json_says() {
    let expect = expect();
    let config = Config::parse(&expect["config"].to_string()).unwrap();
    let mut tickets: Vec<SimTicket> = Vec::new();
    let mut deliveries: Vec<String> = Vec::new();
    for case in expect["cases"].as_array().unwrap() {
        let name = case["request"].as_str().unwrap();
        let result = inbound::handle(&config, &request(name), NOW);
        let status = match &result {
            Ok(_) => 200,
            Err(AdapterError::Rejected(_)) => 401,
            Err(AdapterError::Malformed(_)) => 400,
        };
        assert_eq!(
            status,
            case["status"].as_u64().unwrap(),
            "{name}: {result:?}"
        );
        let Ok(batch) = result else {
            continue;
        };
        if let Some(id) = batch.delivery_id {
            if deliveries.contains(&id) {
                continue;
            }
            deliveries.push(id);
        }
        for item in batch.items {
            let Inbound::Message(m) = item else {
                panic!("{name}: only messages expected");
            };
            if tickets
                .iter()
                .any(|t| t.message_ids.contains(&m.external_message_id))
            {
                continue;
            }
            let by_ref = m
                .ticket_ref
                .as_ref()
                .and_then(|r| tickets.iter().position(|t| &t.id == r));
            let by_thread = || {
                m.external_ticket_id.as_ref().and_then(|x| {
                    tickets
                        .iter()
                        .position(|t| t.external_id.as_ref() == Some(x))
                })
            };
            let at = match by_ref.or_else(by_thread) {
                Some(at) => at,
                None => {
                    tickets.push(SimTicket {
                        id: format!("tk-sim{}", tickets.len()),
                        external_id: m.external_ticket_id.clone(),
                        subject: m.subject.clone(),
                        identities: Vec::new(),
                        messages: Vec::new(),
                        message_ids: Vec::new(),
                    });
                    tickets.len() - 1
                }
            };
            let ticket = &mut tickets[at];
            for identity in &m.requester.identities {
                assert!(matches!(identity.kind, IdentityKind::Email));
                let pair = ("email".to_string(), identity.value.clone());
                if !ticket.identities.contains(&pair) {
                    ticket.identities.push(pair);
                }
            }
            ticket.messages.push(m.body.clone());
            ticket.message_ids.push(m.external_message_id.clone());
        }
        let expected = case["tickets"].as_array().unwrap();
        assert_eq!(tickets.len(), expected.len(), "{name}: number of tickets");
        for want in expected {
            let external_id = want["external_id"].as_str();
            let got = tickets
                .iter()
                .find(|t| t.external_id.as_deref() == external_id)
                .unwrap_or_else(|| panic!("{name}: no ticket {external_id:?}"));
            assert_eq!(want["channel"], "email");
            assert_eq!(got.subject.as_deref(), want["subject"].as_str(), "{name}");
            for identity in want["identities"].as_array().unwrap() {
                let pair = (
                    identity["kind"].as_str().unwrap().to_string(),
                    identity["value"].as_str().unwrap().to_string(),
                );
                assert!(got.identities.contains(&pair), "{name}: {pair:?}");
            }
            let messages: Vec<&str> = want["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            assert_eq!(got.messages, messages, "{name}");
        }
    }
}

#[test]
fn the_renders_give_what_expect_json_says() {
    let expect = expect();
    let config = Config::parse(&expect["config"].to_string()).unwrap();
    let endpoints: Vec<&str> = expect["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for (i, case) in expect["renders"].as_array().unwrap().iter().enumerate() {
        let outbound = Outbound {
            event_id: format!("ev-{i}"),
            ticket: ticket(&case["ticket"]),
            actions: case["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(action)
                .collect(),
            related: case["related"]
                .as_array()
                .unwrap()
                .iter()
                .map(ticket)
                .collect(),
        };
        let requests = render::render(&config, &outbound).unwrap();
        let want = case["requests"].as_array().unwrap();
        assert_eq!(requests.len(), want.len(), "render {i}");
        for (got, want) in requests.iter().zip(want) {
            assert_eq!(got.method, want["method"].as_str().unwrap());
            assert_eq!(got.url, want["url"].as_str().unwrap());
            assert!(
                endpoints.iter().any(|e| got.url.starts_with(e)),
                "{}",
                got.url
            );
            for header in want["headers"].as_array().unwrap() {
                assert!(
                    got.headers
                        .iter()
                        .any(|h| h.name == header["name"].as_str().unwrap()
                            && h.value == header["value"].as_str().unwrap()),
                    "render {i}: {header}"
                );
            }
            let body: Value = serde_json::from_slice(&got.body).unwrap();
            assert_eq!(body, want["body"], "render {i}");
        }
    }
}

// JSON of the host's model (host/src/model.rs) to the WIT values, for the fields a
// render can read.

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn time(value: &Value) -> i64 {
    date::parse(value.as_str().unwrap()).unwrap()
}

fn time_opt(value: &Value) -> Option<i64> {
    value.as_str().map(|t| date::parse(t).unwrap())
}

fn channel(value: &Value) -> Channel {
    match value.as_str().unwrap() {
        "email" => Channel::Email,
        "chat" => Channel::Chat,
        "whatsapp" => Channel::Whatsapp,
        "messenger" => Channel::Messenger,
        "phone" => Channel::Phone,
        "app_store_review" => Channel::AppStoreReview,
        "sms" => Channel::Sms,
        "web_form" => Channel::WebForm,
        "api" => Channel::Api,
        other => panic!("channel {other}"),
    }
}

fn status(value: &Value) -> TicketStatus {
    match value.as_str().unwrap_or("new") {
        "new" => TicketStatus::New,
        "open" => TicketStatus::Open,
        "waiting_on_requester" => TicketStatus::WaitingOnRequester,
        "waiting_on_agent" => TicketStatus::WaitingOnAgent,
        "on_hold" => TicketStatus::OnHold,
        "solved" => TicketStatus::Solved,
        "closed" => TicketStatus::Closed,
        "merged" => TicketStatus::Merged,
        other => panic!("status {other}"),
    }
}

fn priority(value: &Value) -> Priority {
    match value.as_str().unwrap_or("normal") {
        "low" => Priority::Low,
        "normal" => Priority::Normal,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        other => panic!("priority {other}"),
    }
}

fn identity(value: &Value) -> Identity {
    let kind = match value["kind"].as_str().unwrap() {
        "email" => IdentityKind::Email,
        "phone" => IdentityKind::Phone,
        "whatsapp" => IdentityKind::Whatsapp,
        "messenger" => IdentityKind::Messenger,
        "app_store" => IdentityKind::AppStore,
        "app_user" => IdentityKind::AppUser,
        "external" => IdentityKind::External,
        other => panic!("identity kind {other}"),
    };
    Identity {
        kind,
        value: value["value"].as_str().unwrap().to_string(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn field_value(value: &Value) -> FieldValue {
    let (kind, inner) = value.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "text" => FieldValue::Text(inner.as_str().unwrap().to_string()),
        "number" => FieldValue::Number(inner.as_i64().unwrap()),
        "flag" => FieldValue::Flag(inner.as_bool().unwrap()),
        "time" => FieldValue::Time(time(inner)),
        other => panic!("field value {other}"),
    }
}

fn ticket(value: &Value) -> Ticket {
    let requester = &value["requester"];
    Ticket {
        id: value["id"].as_str().unwrap().to_string(),
        external_id: text(&value["external_id"]),
        channel: channel(&value["channel"]),
        requester: Requester {
            name: text(&requester["name"]),
            identities: requester["identities"]
                .as_array()
                .map(|a| a.iter().map(identity).collect())
                .unwrap_or_default(),
            language: text(&requester["language"]),
        },
        subject: text(&value["subject"]),
        status: status(&value["status"]),
        priority: priority(&value["priority"]),
        assignee: text(&value["assignee"]),
        group: text(&value["group"]),
        tags: strings(&value["tags"]),
        fields: Vec::new(),
        created_at: time(&value["created_at"]),
        updated_at: time(&value["updated_at"]),
        first_agent_response_at: time_opt(&value["first_agent_response_at"]),
        last_requester_message_at: time_opt(&value["last_requester_message_at"]),
        last_agent_message_at: time_opt(&value["last_agent_message_at"]),
        merged_into: text(&value["merged_into"]),
        messages: value["messages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| Message {
                        id: m["id"].as_str().unwrap().to_string(),
                        author_role: match m["author_role"].as_str().unwrap() {
                            "requester" => AuthorRole::Requester,
                            "agent" => AuthorRole::Agent,
                            "system" => AuthorRole::System,
                            _ => AuthorRole::Bot,
                        },
                        author: text(&m["author"]),
                        channel: channel(&m["channel"]),
                        body: m["body"].as_str().unwrap().to_string(),
                        public: m["public"].as_bool().unwrap_or(true),
                        created_at: time(&m["created_at"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn action(value: &Value) -> Action {
    match value["type"].as_str().unwrap() {
        "set_status" => Action::SetStatus(status(&value["status"])),
        "set_priority" => Action::SetPriority(priority(&value["priority"])),
        "assign" => Action::Assign(Assignment {
            agent: text(&value["agent"]),
            group: text(&value["group"]),
        }),
        "unassign" => Action::Unassign,
        "add_tags" => Action::AddTags(strings(&value["tags"])),
        "remove_tags" => Action::RemoveTags(strings(&value["tags"])),
        "set_field" => Action::SetField(FieldUpdate {
            name: value["name"].as_str().unwrap().to_string(),
            value: field_value(&value["value"]),
        }),
        "public_reply" => Action::PublicReply(Reply {
            body: value["body"].as_str().unwrap().to_string(),
            channel: value.get("channel").filter(|c| !c.is_null()).map(channel),
        }),
        "internal_note" => Action::InternalNote(value["body"].as_str().unwrap().to_string()),
        "merge_into" => Action::MergeInto(value["ticket_id"].as_str().unwrap().to_string()),
        "set_timer" => Action::SetTimer(Timer {
            name: value["name"].as_str().unwrap().to_string(),
            due_at: time(&value["due_at"]),
        }),
        "cancel_timer" => Action::CancelTimer(value["name"].as_str().unwrap().to_string()),
        "close" => Action::Close,
        other => panic!("action {other}"),
    }
}
