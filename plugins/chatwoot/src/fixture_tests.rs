//! The fixtures (`fixtures/*.http`, `fixtures/expect.json`) run through the adapter's
//! logic natively: every delivery gets the status the host's end-to-end test
//! expects, and every render gives exactly the requests listed.

use std::collections::HashSet;

use serde_json::Value;

use crate::config::Config;
use crate::inbound;
use crate::model::{Action, Error, Field, FieldValue, Item, Priority, Status, TicketView};
use crate::render;
use crate::time;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

fn expect() -> Value {
    let text = std::fs::read_to_string(format!("{DIR}/expect.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn config(expect: &Value) -> Config {
    Config::parse(&expect["config"].to_string()).unwrap()
}

/// A fixture: request line, headers (lower-cased names), body after the first empty
/// line, byte for byte.
fn read_http(name: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    let bytes = std::fs::read(format!("{DIR}/{name}")).unwrap();
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("a blank line after the headers");
    let head = std::str::from_utf8(&bytes[..split]).unwrap();
    let body = bytes[split + 2..].to_vec();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap().to_string();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    (request_line, headers, body)
}

#[test]
fn deliveries_get_the_expected_answers() {
    let expect = expect();
    let config = config(&expect);
    let mut seen_deliveries = HashSet::new();
    let mut seen_messages = Vec::<(String, String)>::new();
    for case in expect["cases"].as_array().unwrap() {
        let name = case["request"].as_str().unwrap();
        let (line, headers, body) = read_http(name);
        assert_eq!(line, "POST / HTTP/1.1", "{name}");
        let status = case["status"].as_u64().unwrap();
        let result = inbound::handle(&config, &headers, &body, 0);
        match (&result, status) {
            (Ok(_), 200) => {}
            (Err(Error::Rejected(_)), 401) => continue,
            (Err(Error::Malformed(_)), 400) => continue,
            other => panic!("{name}: {other:?}"),
        }
        let batch = result.unwrap();
        let delivery = batch.delivery_id.clone().expect("a delivery id");
        if !seen_deliveries.insert(delivery) {
            continue; // the host acknowledges and ignores a redelivery
        }
        for item in batch.items {
            if let Item::Message(m) = item
                && !seen_messages
                    .iter()
                    .any(|(id, _)| *id == m.external_message_id)
            {
                assert_eq!(m.external_ticket_id.as_deref(), Some("42"));
                seen_messages.push((m.external_message_id, m.body));
            }
        }
        let expected: Vec<&str> = case["tickets"][0]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let got: Vec<&str> = seen_messages.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn redelivery_is_byte_identical() {
    let a = std::fs::read(format!("{DIR}/message-created.http")).unwrap();
    let b = std::fs::read(format!("{DIR}/redelivery.http")).unwrap();
    assert_eq!(a, b);
}

#[test]
fn updates_carry_the_expected_state() {
    let expect = expect();
    let config = config(&expect);
    let (_, headers, body) = read_http("conversation-updated.http");
    let batch = inbound::handle(&config, &headers, &body, 0).unwrap();
    let [Item::TicketUpdate(u)] = batch.items.as_slice() else {
        panic!("{:?}", batch.items)
    };
    assert_eq!(u.status, None);
    assert_eq!(u.priority, Some(Priority::High));
    let a = u.assignment.clone().unwrap();
    assert_eq!(
        (a.agent.as_deref(), a.group.as_deref()),
        (Some("marie"), Some("billing/L1"))
    );
    assert_eq!(
        u.tags.as_deref(),
        Some(&["remboursement".into(), "vip".into()][..])
    );
    assert_eq!(u.external_change_id, "e8a31f6d-2b94-4e07-9c5a-71d3b8f02c64");
    assert_eq!(u.updated_at, 1_773_134_400_245);

    let (_, headers, body) = read_http("conversation-status-changed.http");
    let batch = inbound::handle(&config, &headers, &body, 0).unwrap();
    let [Item::TicketUpdate(u)] = batch.items.as_slice() else {
        panic!("{:?}", batch.items)
    };
    assert_eq!(u.status, Some(Status::Solved));
    assert_eq!(
        (u.priority, u.assignment.as_ref(), u.tags.as_ref()),
        (None, None, None)
    );
}

fn status(s: &str) -> Status {
    match s {
        "new" => Status::New,
        "open" => Status::Open,
        "waiting_on_requester" => Status::WaitingOnRequester,
        "waiting_on_agent" => Status::WaitingOnAgent,
        "on_hold" => Status::OnHold,
        "solved" => Status::Solved,
        "closed" => Status::Closed,
        "merged" => Status::Merged,
        other => panic!("status {other}"),
    }
}

fn priority(p: &str) -> Priority {
    match p {
        "low" => Priority::Low,
        "normal" => Priority::Normal,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        other => panic!("priority {other}"),
    }
}

fn field_value(v: &Value) -> FieldValue {
    let (kind, v) = v.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "text" => FieldValue::Text(v.as_str().unwrap().into()),
        "number" => FieldValue::Number(v.as_i64().unwrap()),
        "flag" => FieldValue::Flag(v.as_bool().unwrap()),
        "time" => FieldValue::Time(time::parse_text(v.as_str().unwrap()).unwrap()),
        other => panic!("field kind {other}"),
    }
}

fn ticket(v: &Value) -> TicketView {
    TicketView {
        id: v["id"].as_str().unwrap().into(),
        external_id: v["external_id"].as_str().map(str::to_string),
        tags: v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().into())
            .collect(),
        fields: v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| Field {
                name: f["name"].as_str().unwrap().into(),
                value: field_value(&f["value"]),
            })
            .collect(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().into())
        .collect()
}

fn action(v: &Value) -> Action {
    let text = |k: &str| v[k].as_str().map(str::to_string);
    match v["type"].as_str().unwrap() {
        "set_status" => Action::SetStatus(status(v["status"].as_str().unwrap())),
        "set_priority" => Action::SetPriority(priority(v["priority"].as_str().unwrap())),
        "assign" => Action::Assign {
            agent: text("agent"),
            group: text("group"),
        },
        "unassign" => Action::Unassign,
        "add_tags" => Action::AddTags(strings(&v["tags"])),
        "remove_tags" => Action::RemoveTags(strings(&v["tags"])),
        "set_field" => Action::SetField(Field {
            name: text("name").unwrap(),
            value: field_value(&v["value"]),
        }),
        "public_reply" => Action::PublicReply(text("body").unwrap()),
        "internal_note" => Action::InternalNote(text("body").unwrap()),
        "merge_into" => Action::MergeInto(text("ticket_id").unwrap()),
        "close" => Action::Close,
        "notify" | "set_timer" | "cancel_timer" => Action::Other,
        other => panic!("action {other}"),
    }
}

#[test]
fn renders_give_the_listed_requests() {
    let expect = expect();
    let config = config(&expect);
    for (n, case) in expect["renders"].as_array().unwrap().iter().enumerate() {
        let actions: Vec<Action> = case["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(action)
            .collect();
        let related: Vec<TicketView> = case["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(ticket)
            .collect();
        let requests =
            render::render(&config, &ticket(&case["ticket"]), &actions, &related).unwrap();
        let wanted = case["requests"].as_array().unwrap();
        assert_eq!(requests.len(), wanted.len(), "render {n}: {requests:?}");
        for (got, want) in requests.iter().zip(wanted) {
            assert_eq!(got.method, want["method"].as_str().unwrap(), "render {n}");
            assert_eq!(got.url, want["url"].as_str().unwrap(), "render {n}");
            for h in want["headers"].as_array().unwrap() {
                let pair = (
                    h["name"].as_str().unwrap().to_string(),
                    h["value"].as_str().unwrap().to_string(),
                );
                assert!(got.headers.contains(&pair), "render {n}: {pair:?}");
            }
            let body: Value = serde_json::from_slice(&got.body).unwrap();
            assert_eq!(body, want["body"], "render {n}");
            assert!(
                expect["endpoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| got.url.starts_with(e.as_str().unwrap())),
                "render {n}: {} is outside the endpoints",
                got.url
            );
        }
    }
}
