//! Replays `fixtures/` the way the host's end-to-end test does, without the host: each
//! `*.http` request through [`crate::handle`] (status, answer, and the tickets its
//! messages make, grouped by the requester's first identity as the host does for
//! messages without a conversation id), and each render through [`crate::replies`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::config::Config;
use crate::exports::guichet::plugin::adapter::{
    AdapterError, Header, Inbound, IncomingRequest, Outbound,
};
use crate::guichet::plugin::types::{
    Action, Channel, Identity, IdentityKind, Notification, Priority, Recipient, Reply, Requester,
    Ticket, TicketStatus, Timer,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An HTTP/1.1 request as the fixtures write it: request line, headers, empty line,
/// body (every byte after it).
fn request(name: &str) -> IncomingRequest {
    let bytes = fixture(name);
    let (head, body) = ["\r\n\r\n", "\n\n"]
        .iter()
        .find_map(|end| {
            let at = bytes.windows(end.len()).position(|w| w == end.as_bytes())?;
            Some((&bytes[..at], &bytes[at + end.len()..]))
        })
        .unwrap_or_else(|| panic!("{name}: no empty line"));
    let head = std::str::from_utf8(head).unwrap();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap().split(' ');
    let method = request_line.next().unwrap().to_string();
    let path = request_line.next().unwrap().to_string();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            Header {
                name: name.trim().to_ascii_lowercase(),
                value: value.trim().to_string(),
            }
        })
        .collect();
    IncomingRequest {
        method,
        path,
        headers,
        body: body.to_vec(),
    }
}

fn kind(name: &str) -> IdentityKind {
    match name {
        "messenger" => IdentityKind::Messenger,
        "email" => IdentityKind::Email,
        other => panic!("identity kind {other} not used by the fixtures"),
    }
}

fn kind_name(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::Messenger => "messenger",
        IdentityKind::Email => "email",
        _ => "other",
    }
}

fn identities(json: &Value) -> Vec<Identity> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|identity| Identity {
            kind: kind(identity["kind"].as_str().unwrap()),
            value: identity["value"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn status(name: &str) -> TicketStatus {
    match name {
        "new" => TicketStatus::New,
        "open" => TicketStatus::Open,
        "waiting_on_requester" => TicketStatus::WaitingOnRequester,
        "solved" => TicketStatus::Solved,
        "closed" => TicketStatus::Closed,
        other => panic!("status {other} not used by the fixtures"),
    }
}

fn channel(name: &str) -> Channel {
    match name {
        "messenger" => Channel::Messenger,
        "email" => Channel::Email,
        other => panic!("channel {other} not used by the fixtures"),
    }
}

/// The parts of a ticket's JSON the adapter reads; the rest left empty.
fn ticket(json: &Value) -> Ticket {
    Ticket {
        id: json["id"].as_str().unwrap().to_string(),
        external_id: json["external_id"].as_str().map(str::to_string),
        channel: channel(json["channel"].as_str().unwrap()),
        requester: Requester {
            name: json["requester"]["name"].as_str().map(str::to_string),
            identities: identities(&json["requester"]["identities"]),
            language: None,
        },
        subject: None,
        status: status(json["status"].as_str().unwrap()),
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

fn text(json: &Value, key: &str) -> String {
    json[key].as_str().unwrap().to_string()
}

fn action(json: &Value) -> Action {
    match json["type"].as_str().unwrap() {
        "public_reply" => Action::PublicReply(Reply {
            body: text(json, "body"),
            channel: json["channel"].as_str().map(channel),
        }),
        "internal_note" => Action::InternalNote(text(json, "body")),
        "set_status" => Action::SetStatus(status(json["status"].as_str().unwrap())),
        "add_tags" => Action::AddTags(
            json["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|tag| tag.as_str().unwrap().to_string())
                .collect(),
        ),
        "notify" => Action::Notify(Notification {
            recipient: Recipient::Agent(text(&json["recipient"], "agent")),
            message: text(json, "message"),
        }),
        "set_timer" => Action::SetTimer(Timer {
            name: text(json, "name"),
            due_at: 0,
        }),
        "close" => Action::Close,
        other => panic!("action {other} not used by the fixtures"),
    }
}

/// A ticket as the host would keep it: its requester's identities and its messages
/// (external id, body), keyed by (kind, value) of the first identity.
type Tickets = BTreeMap<(String, String), (Vec<Identity>, Vec<(String, String)>)>;

fn expect() -> Value {
    serde_json::from_slice(&fixture("expect.json")).unwrap()
}

fn config() -> Config {
    Config::parse(&expect()["config"].to_string()).unwrap()
}

#[test]
fn the_cases_give_the_expected_statuses_answers_and_tickets() {
    let config = config();
    // The tickets as the host would keep them: by first identity, messages deduplicated.
    let mut tickets = Tickets::new();
    for case in expect()["cases"].as_array().unwrap() {
        let name = case["request"].as_str().unwrap();
        let expected = case["status"].as_u64().unwrap();
        let batch = match crate::handle(&config, &request(name)) {
            Ok((batch, _)) => batch,
            Err(AdapterError::Rejected(why)) => {
                assert_eq!(expected, 401, "{name} rejected: {why}");
                continue;
            }
            Err(AdapterError::Malformed(why)) => {
                assert_eq!(expected, 400, "{name} malformed: {why}");
                continue;
            }
        };
        assert_eq!(expected, 200, "{name} accepted");
        match (&batch.answer, case.get("answer")) {
            (Some(answer), Some(Value::String(text))) => {
                assert_eq!(answer.body, text.as_bytes(), "{name}")
            }
            (None, None) => {}
            (got, want) => panic!("{name}: answer {got:?}, expected {want:?}"),
        }
        for item in batch.items {
            let Inbound::Message(message) = item else {
                panic!("{name}: only messages expected");
            };
            assert!(message.external_ticket_id.is_none());
            let first = &message.requester.identities[0];
            let key = (kind_name(first.kind).to_string(), first.value.clone());
            let (_, messages) = tickets
                .entry(key)
                .or_insert_with(|| (message.requester.identities.clone(), Vec::new()));
            if !messages
                .iter()
                .any(|(id, _)| *id == message.external_message_id)
            {
                messages.push((message.external_message_id, message.body));
            }
        }
        let Some(want) = case.get("tickets") else {
            continue;
        };
        let want = want.as_array().unwrap();
        assert_eq!(want.len(), tickets.len(), "{name}: number of tickets");
        for ticket in want {
            let identities = identities(&ticket["identities"]);
            let first = &identities[0];
            let (have, messages) =
                &tickets[&(kind_name(first.kind).to_string(), first.value.clone())];
            for identity in &identities {
                assert!(
                    have.iter()
                        .any(|h| h.kind == identity.kind && h.value == identity.value),
                    "{name}: identity {identity:?}"
                );
            }
            let bodies: Vec<&str> = messages.iter().map(|(_, body)| body.as_str()).collect();
            let want: Vec<&str> = ticket["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|body| body.as_str().unwrap())
                .collect();
            assert_eq!(bodies, want, "{name}: messages");
        }
    }
}

#[test]
fn the_renders_give_the_expected_requests() {
    let config = config();
    let expect = expect();
    let endpoints: Vec<&str> = expect["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for render in expect["renders"].as_array().unwrap() {
        let outbound = Outbound {
            event_id: "evt-fixture".into(),
            ticket: ticket(&render["ticket"]),
            actions: render["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(action)
                .collect(),
            related: Vec::new(),
        };
        let requests = crate::replies::render(&config, &outbound).unwrap();
        let want = render["requests"].as_array().unwrap();
        assert_eq!(requests.len(), want.len());
        for (request, want) in requests.iter().zip(want) {
            assert_eq!(request.method, want["method"].as_str().unwrap());
            assert_eq!(request.url, want["url"].as_str().unwrap());
            assert!(endpoints.iter().any(|e| request.url.starts_with(e)));
            for header in want["headers"].as_array().unwrap() {
                assert!(
                    request
                        .headers
                        .iter()
                        .any(|h| h.name == header["name"].as_str().unwrap()
                            && h.value == header["value"].as_str().unwrap())
                );
            }
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(body, want["body"]);
        }
    }
}
