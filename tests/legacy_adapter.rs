//! A channel adapter built against contract 0.2.0 (`parse-inbound`, `render-outbound`)
//! keeps working in the service after 0.3.0 changed the adapter interface: its
//! inbound requests become tickets (items only), and the actions applied to a ticket
//! are rendered with one `render-outbound` call per public reply and internal note,
//! other actions left out. The adapter is the test guest `tests/guests/legacy-adapter`
//! (a made-up SMS gateway; see its source).

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::service::{Answer, Running, data_dir};
use guichet::model::{Action, Body, Outbound, Ticket, TicketStatus};

const SECRET: &str = "s3cret";
const SEND_URL: &str = "https://sms.example.com/send";

fn component_bytes() -> Vec<u8> {
    std::fs::read(common::guest_path("legacy_adapter")).expect("guest built by host/build.rs")
}

/// Posts an SMS gateway delivery to the adapter's inbound path.
fn deliver(service: &Running, inbound: &str, secret: &str, body: &str) -> Answer {
    service.call_with(
        "POST",
        inbound,
        None,
        Some(body.as_bytes().to_vec()),
        &[("x-secret", secret)],
    )
}

fn sms(id: &str, from: &str, text: &str) -> String {
    json!({"id": id, "from": from, "text": text}).to_string()
}

/// Every ticket of `acme`, each with its messages.
fn tickets(service: &Running, admin: &str) -> Vec<Value> {
    let list = service.call("GET", "/v1/tenants/acme/tickets", Some(admin), None);
    assert_eq!(list.status, 200, "{}", list.body);
    list.body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["id"].as_str().unwrap();
            let ticket = service.call(
                "GET",
                &format!("/v1/tenants/acme/tickets/{id}"),
                Some(admin),
                None,
            );
            assert_eq!(ticket.status, 200, "{}", ticket.body);
            ticket.body
        })
        .collect()
}

/// The message bodies of each ticket, tickets in the order listed.
fn bodies(all: &[Value]) -> Vec<Vec<String>> {
    all.iter()
        .map(|t| {
            t["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["body"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

/// Waits (up to 10 s) until the tenant's tickets hold exactly `expected` messages
/// (bodies, per ticket); returns the tickets.
fn await_bodies(service: &Running, admin: &str, expected: &[&[&str]]) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all = tickets(service, admin);
        let have = bodies(&all);
        if have == expected {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "expected messages {expected:?}, found {have:?}\ntickets: {}",
            Value::Array(all)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A refused delivery: the status, a problem that tells nothing of the
/// configuration, kept for the admin, and nothing stored.
fn assert_refused(
    service: &Running,
    admin: &str,
    answer: &Answer,
    status: u16,
    refusals: usize,
    stored: &[&[&str]],
) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.content_type, "application/problem+json");
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(!detail.contains(SECRET), "{detail}");
    let kept = service.call(
        "GET",
        "/v1/tenants/acme/plugins/sms/inbound",
        Some(admin),
        None,
    );
    assert_eq!(kept.status, 200, "{}", kept.body);
    let kept = kept.body["refusals"].as_array().unwrap();
    assert_eq!(kept.len(), refusals, "kept for the admin: {kept:?}");
    assert_eq!(kept.last().unwrap()["status"], status);
    // Give a wrongly stored event the time to become a message, then check.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(bodies(&tickets(service, admin)), stored, "nothing stored");
}

#[test]
fn an_adapter_of_the_second_contract_turns_deliveries_into_tickets() {
    let service = Running::start(data_dir("legacy-adapter"));
    let admin = service.tenant("acme");

    let uploaded = service.call(
        "PUT",
        "/v1/tenants/acme/plugins/sms/component",
        Some(&admin),
        Some(component_bytes()),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_eq!(uploaded.body["contract"], "0.2.0", "{}", uploaded.body);

    // Its `check-config` (new in 0.2.0) is asked, and refuses a missing `send_url`.
    let refused = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/sms",
        &admin,
        json!({"config": {"secret": SECRET}, "enabled": true}),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.body["type"], "https://guichet.dev/problems/invalid-config",
        "{}",
        refused.body
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("/send_url"),
        "{}",
        refused.body
    );

    let installed = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/sms",
        &admin,
        json!({"config": {"secret": SECRET, "send_url": SEND_URL},
               "endpoints": ["https://sms.example.com/"], "enabled": true}),
    );
    assert_eq!(installed.status, 200, "{}", installed.body);
    assert_eq!(installed.body["contract"], "0.2.0", "{}", installed.body);
    assert_eq!(
        installed.body["world"], "channel-adapter",
        "{}",
        installed.body
    );
    let inbound = installed.body["inbound_path"]
        .as_str()
        .expect("an inbound path")
        .to_string();
    assert!(inbound.starts_with("/v1/inbound/"), "{inbound}");

    // A first message opens a ticket on the SMS channel, for the phone number.
    let first = deliver(
        &service,
        &inbound,
        SECRET,
        &sms("m-1", "+33612345678", "Mon colis n'est pas arrivé"),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["duplicate"], false, "{}", first.body);
    assert_eq!(first.body["duplicates"], 0, "{}", first.body);
    // Items only: a 0.2.0 adapter gives no delivery id.
    assert!(first.body.get("delivery_id").is_none(), "{}", first.body);
    let kinds: Vec<&str> = first.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ticket_created"], "{}", first.body);
    let all = await_bodies(&service, &admin, &[&["Mon colis n'est pas arrivé"]]);
    let ticket = &all[0];
    assert_eq!(ticket["channel"], "sms", "{ticket}");
    assert_eq!(ticket["adapter"], "sms", "{ticket}");
    assert_eq!(ticket["external_id"], Value::Null, "{ticket}");
    assert!(
        ticket["requester"]["identities"]
            .as_array()
            .unwrap()
            .contains(&json!({"kind": "phone", "value": "+33612345678"})),
        "{ticket}"
    );
    let message = &ticket["messages"][0];
    assert_eq!(message["id"], "m-1", "{message}");
    assert_eq!(message["channel"], "sms", "{message}");
    assert_eq!(message["author_role"], "requester", "{message}");
    assert_eq!(message["public"], true, "{message}");
    let ticket_id = ticket["id"].as_str().unwrap().to_string();

    // A second message from the same number lands on the same ticket.
    let second = deliver(
        &service,
        &inbound,
        SECRET,
        &sms("m-2", "+33612345678", "Toujours rien"),
    );
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["events"][0]["kind"], "message_added");
    assert_eq!(second.body["events"][0]["ticket_id"], ticket_id.as_str());
    let both: &[&[&str]] = &[&["Mon colis n'est pas arrivé", "Toujours rien"]];
    let all = await_bodies(&service, &admin, both);
    assert_eq!(all[0]["id"], ticket_id.as_str());

    // The same message delivered again is stored once.
    let again = deliver(
        &service,
        &inbound,
        SECRET,
        &sms("m-2", "+33612345678", "Toujours rien"),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["duplicates"], 1, "{}", again.body);
    assert_eq!(again.body["events"], json!([]), "{}", again.body);
    std::thread::sleep(Duration::from_millis(200));
    await_bodies(&service, &admin, both);

    // A wrong secret is refused (401), a body that is not the gateway's JSON too
    // (400): nothing stored either time.
    let forged = deliver(
        &service,
        &inbound,
        "guessed",
        &sms("m-3", "+33612345678", "forged"),
    );
    assert_refused(&service, &admin, &forged, 401, 1, both);
    let unsigned = service.call(
        "POST",
        &inbound,
        None,
        Some(sms("m-4", "+33612345678", "unsigned").into_bytes()),
    );
    assert_refused(&service, &admin, &unsigned, 401, 2, both);
    let garbled = deliver(&service, &inbound, SECRET, "id=m-5&text=not+json");
    assert_refused(&service, &admin, &garbled, 400, 3, both);
    let incomplete = deliver(
        &service,
        &inbound,
        SECRET,
        &json!({"id": "m-6", "text": "no sender"}).to_string(),
    );
    assert_refused(&service, &admin, &incomplete, 400, 4, both);

    // Another number opens its own ticket.
    let other = deliver(
        &service,
        &inbound,
        SECRET,
        &sms("m-7", "+33700000000", "Bonjour"),
    );
    assert_eq!(other.status, 200, "{}", other.body);
    assert_eq!(other.body["events"][0]["kind"], "ticket_created");
    assert_ne!(other.body["events"][0]["ticket_id"], ticket_id.as_str());
    let deadline = Instant::now() + Duration::from_secs(10);
    while tickets(&service, &admin).len() < 2 {
        assert!(Instant::now() < deadline, "no second ticket");
        std::thread::sleep(Duration::from_millis(20));
    }
    let all = tickets(&service, &admin);
    let mut found = bodies(&all);
    found.sort();
    assert_eq!(
        found,
        [
            vec!["Bonjour".to_string()],
            vec![
                "Mon colis n'est pas arrivé".to_string(),
                "Toujours rien".to_string()
            ],
        ]
    );
}

/// A ticket of the SMS channel, for the requester's phone.
fn sms_ticket() -> Ticket {
    serde_json::from_value(json!({
        "id": "tk-1",
        "adapter": "sms",
        "channel": "sms",
        "requester": {"identities": [{"kind": "phone", "value": "+33612345678"}]},
        "status": "new",
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:05:00Z",
        "messages": [{
            "id": "m-1",
            "author_role": "requester",
            "channel": "sms",
            "body": "Mon colis n'est pas arrivé",
            "created_at": "2026-03-02T09:00:00Z"
        }]
    }))
    .expect("a ticket")
}

#[test]
fn replies_and_notes_are_rendered_one_request_each_and_other_actions_left_out() {
    let runtime = common::runtime();
    let component = runtime.load(&component_bytes()).expect("the guest loads");
    let ticket = sms_ticket();
    let outbound = Outbound {
        event_id: "ev-1".to_string(),
        ticket: ticket.clone(),
        actions: vec![
            Action::SetStatus {
                status: TicketStatus::Open,
            },
            Action::PublicReply {
                body: "Bonjour".to_string(),
                channel: None,
            },
            Action::InternalNote {
                body: "vu".to_string(),
            },
            Action::AddTags {
                tags: vec!["livraison".to_string()],
            },
        ],
        related: Vec::new(),
    };
    let config = json!({"secret": SECRET, "send_url": SEND_URL}).to_string();
    let report = runtime.render_actions(
        &component,
        common::env(&config),
        &outbound,
        ticket.updated_at,
        runtime.default_limits(),
    );
    let requests = report.result.expect("rendered");
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let expected = [
        json!({"to": "+33612345678", "text": "Bonjour", "public": true}),
        json!({"to": "+33612345678", "text": "vu", "public": false}),
    ];
    for (request, want) in requests.iter().zip(expected) {
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, SEND_URL);
        assert!(
            request.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("content-type") && h.value == "application/json"
            }),
            "{:?}",
            request.headers
        );
        let text = match &request.body {
            Body::Text(text) => text.clone(),
            Body::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        };
        let body: Value = serde_json::from_str(&text).expect("a JSON body");
        assert_eq!(body, want);
    }

    // Nothing to send when no action is a reply or a note.
    let quiet = Outbound {
        actions: vec![Action::SetStatus {
            status: TicketStatus::Solved,
        }],
        ..outbound
    };
    let report = runtime.render_actions(
        &component,
        common::env(&config),
        &quiet,
        ticket.updated_at,
        runtime.default_limits(),
    );
    assert_eq!(report.result.expect("rendered"), Vec::new());
}
