//! The reference channel adapters end to end: each adapter's fixtures (requests shaped
//! byte for byte as its platform sends them, with real signatures) go in over HTTP to
//! a running service, on the adapter's inbound address, and the tickets and messages
//! its `fixtures/expect.json` names come out; refused requests store nothing and are
//! kept for the admin; every action rendered comes out in the platform's request
//! shape. The fixtures' format is described in `plugins/README.md`.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::fixtures::{read_fixture, send};
use common::service::{Running, data_dir};
use guichet::model::{Action, Body, Outbound, Ticket};

/// A service with tenant `acme` and reference adapter `adapter` installed with
/// `config` and `endpoints`; answers the adapter's inbound path.
fn install(
    service: &Running,
    admin: &str,
    adapter: &str,
    config: &Value,
    endpoints: &Value,
) -> String {
    let answer = service.json(
        "PUT",
        &format!("/v1/tenants/acme/plugins/{adapter}"),
        admin,
        json!({"reference": adapter, "config": config, "endpoints": endpoints, "enabled": true}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["world"], "channel-adapter");
    assert_eq!(answer.body["contract"], "0.3.0");
    let path = answer.body["inbound_path"]
        .as_str()
        .expect("an inbound path");
    assert!(path.starts_with("/v1/inbound/") && path.len() == "/v1/inbound/".len() + 64);
    path.to_string()
}

/// Every ticket of `acme`, with its messages.
fn tickets(service: &Running, admin: &str) -> Vec<Value> {
    let list = service.call("GET", "/v1/tenants/acme/tickets", Some(admin), None);
    assert_eq!(list.status, 200, "{}", list.body);
    list.body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["id"].as_str().unwrap();
            service
                .call(
                    "GET",
                    &format!("/v1/tenants/acme/tickets/{id}"),
                    Some(admin),
                    None,
                )
                .body
        })
        .collect()
}

/// Why `ticket` does not match `expected` (see `plugins/README.md`), if it does not.
fn mismatch(ticket: &Value, expected: &Value) -> Option<String> {
    for (key, want) in expected.as_object().unwrap() {
        let ok = match key.as_str() {
            "messages" => {
                let bodies: Vec<&Value> = ticket["messages"]
                    .as_array()
                    .map(|m| m.iter().map(|m| &m["body"]).collect())
                    .unwrap_or_default();
                bodies == want.as_array().unwrap().iter().collect::<Vec<_>>()
            }
            "identities" => want.as_array().unwrap().iter().all(|w| {
                ticket["requester"]["identities"]
                    .as_array()
                    .is_some_and(|have| have.contains(w))
            }),
            _ => ticket.get(key).unwrap_or(&Value::Null) == want,
        };
        if !ok {
            return Some(format!(
                "`{key}`: expected {want}, found {}",
                ticket.get(key).unwrap_or(&Value::Null)
            ));
        }
    }
    None
}

/// The ticket of `all` that `expected` names: by external id, or by first identity.
fn matching<'a>(all: &'a [Value], expected: &Value) -> Option<&'a Value> {
    match &expected["external_id"] {
        Value::String(external) => all.iter().find(|t| t["external_id"] == *external),
        _ => {
            let identity = &expected["identities"][0];
            all.iter().find(|t| {
                t["requester"]["identities"]
                    .as_array()
                    .is_some_and(|ids| ids.contains(identity))
            })
        }
    }
}

/// Waits (up to 10 s) until the tenant's tickets are the `expected` ones.
fn await_tickets(service: &Running, admin: &str, expected: &[Value], case: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all = tickets(service, admin);
        let why = if all.len() != expected.len() {
            Some(format!(
                "{} tickets, {} expected",
                all.len(),
                expected.len()
            ))
        } else {
            expected.iter().find_map(|e| match matching(&all, e) {
                None => Some(format!("no ticket for {e}")),
                Some(t) => mismatch(t, e),
            })
        };
        match why {
            None => return all,
            Some(why) if Instant::now() > deadline => {
                panic!("{case}: {why}\ntickets: {}", Value::Array(all))
            }
            Some(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Runs one adapter's `fixtures/expect.json` cases against a running service.
fn fixtures_go_in_over_http(adapter: &str) {
    let dir = common::root()
        .join("plugins")
        .join(adapter)
        .join("fixtures");
    let expect: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expect.json")).unwrap()).unwrap();
    let service = Running::start(data_dir(&format!("adapter-{adapter}")));
    let admin = service.tenant("acme");
    let inbound = install(
        &service,
        &admin,
        adapter,
        &expect["config"],
        &expect["endpoints"],
    );
    let mut expected_tickets: Vec<Value> = Vec::new();
    let mut refused = 0;
    for case in expect["cases"].as_array().unwrap() {
        let name = case["request"].as_str().unwrap();
        let fixture = read_fixture(&dir.join(name));
        let answer = send(&service, &inbound, &fixture);
        let status = case["status"].as_u64().unwrap() as u16;
        assert_eq!(answer.status, status, "{adapter}/{name}: {:?}", answer.body);
        if let Some(want) = case.get("answer") {
            // The answer's exact text (a challenge echoed back is not JSON to compare).
            let text = match &answer.body {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            assert_eq!(
                Some(text.as_str()),
                want.as_str(),
                "{adapter}/{name}: the answer"
            );
        }
        if status >= 400 {
            refused += 1;
            // A problem that names nothing of the tenant's configuration.
            assert_eq!(
                answer.content_type, "application/problem+json",
                "{adapter}/{name}"
            );
            let detail = answer.body["detail"].as_str().unwrap_or_default();
            assert!(
                !detail.contains("secret") && !detail.contains("expected"),
                "{detail}"
            );
            // Nothing stored: the tickets are what they were.
            await_tickets(
                &service,
                &admin,
                &expected_tickets,
                &format!("{adapter}/{name}"),
            );
            let kept = service.call(
                "GET",
                &format!("/v1/tenants/acme/plugins/{adapter}/inbound"),
                Some(&admin),
                None,
            );
            let refusals = kept.body["refusals"].as_array().unwrap();
            assert_eq!(
                refusals.len(),
                refused,
                "{adapter}/{name}: kept for the admin"
            );
            assert_eq!(refusals.last().unwrap()["status"], status);
            assert!(
                !refusals.last().unwrap()["reason"]
                    .as_str()
                    .unwrap()
                    .is_empty()
            );
        } else if let Some(after) = case.get("tickets") {
            expected_tickets = after.as_array().unwrap().clone();
            await_tickets(
                &service,
                &admin,
                &expected_tickets,
                &format!("{adapter}/{name}"),
            );
        }
    }
    assert!(
        refused >= 3,
        "{adapter}: a wrong and a missing signature and a bad body"
    );
    renders_come_out_in_the_platforms_shape(adapter, &expect);
}

/// Each of `expect.json`'s renders through the adapter, as the service calls it.
fn renders_come_out_in_the_platforms_shape(adapter: &str, expect: &Value) {
    let component = common::runtime()
        .load(&std::fs::read(guest(adapter)).unwrap())
        .unwrap();
    let config = expect["config"].to_string();
    for (n, render) in expect["renders"].as_array().unwrap().iter().enumerate() {
        let ticket: Ticket = serde_json::from_value(render["ticket"].clone())
            .unwrap_or_else(|e| panic!("{adapter} render {n}: the ticket: {e}"));
        let actions: Vec<Action> = serde_json::from_value(render["actions"].clone()).unwrap();
        let related: Vec<Ticket> =
            serde_json::from_value(render.get("related").cloned().unwrap_or(json!([]))).unwrap();
        let outbound = Outbound {
            event_id: format!("render-{n}"),
            ticket: ticket.clone(),
            actions,
            related,
        };
        let report = common::runtime().render_actions(
            &component,
            common::env(&config),
            &outbound,
            ticket.updated_at,
            common::runtime().default_limits(),
        );
        let requests = report
            .result
            .unwrap_or_else(|e| panic!("{adapter} render {n}: {e}"));
        let want = render["requests"].as_array().unwrap();
        assert_eq!(
            requests.len(),
            want.len(),
            "{adapter} render {n}: {requests:#?}"
        );
        for (got, want) in requests.iter().zip(want) {
            assert_eq!(
                got.method,
                want["method"].as_str().unwrap(),
                "{adapter} render {n}"
            );
            assert_eq!(
                got.url,
                want["url"].as_str().unwrap(),
                "{adapter} render {n}"
            );
            for header in want["headers"].as_array().into_iter().flatten() {
                let name = header["name"].as_str().unwrap();
                let value = header["value"].as_str().unwrap();
                assert!(
                    got.headers
                        .iter()
                        .any(|h| h.name.eq_ignore_ascii_case(name) && h.value == value),
                    "{adapter} render {n}: no `{name}: {value}` in {:?}",
                    got.headers
                );
            }
            let text = match &got.body {
                Body::Text(text) => text.clone(),
                Body::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            };
            match &want["body"] {
                Value::String(expected) => {
                    assert_eq!(&text, expected, "{adapter} render {n}: the body")
                }
                expected => {
                    let body: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("{adapter} render {n}: not JSON ({e}): {text}"));
                    assert_eq!(&body, expected, "{adapter} render {n}: the body");
                }
            }
        }
    }
}

fn guest(name: &str) -> PathBuf {
    common::guest_path(&name.replace('-', "_"))
}

#[test]
fn zammad_fixtures() {
    fixtures_go_in_over_http("zammad");
}

#[test]
fn chatwoot_fixtures() {
    fixtures_go_in_over_http("chatwoot");
}

#[test]
fn email_fixtures() {
    fixtures_go_in_over_http("email");
}

#[test]
fn phone_fixtures() {
    fixtures_go_in_over_http("phone");
}

#[test]
fn whatsapp_fixtures() {
    fixtures_go_in_over_http("whatsapp");
}

#[test]
fn messenger_fixtures() {
    fixtures_go_in_over_http("messenger");
}

#[test]
fn app_reviews_fixtures() {
    fixtures_go_in_over_http("app-reviews");
}

/// A missed call reported by Twilio opens the caller's ticket, and the tenant's
/// plugins are sent the `missed_call` event on it (what the missed-call rate counts).
#[test]
fn a_missed_call_opens_a_ticket_with_an_event_a_plugin_sees() {
    let dir = common::root().join("plugins/phone/fixtures");
    let expect: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expect.json")).unwrap()).unwrap();
    let service = Running::start(data_dir("adapter-missed-call"));
    let admin = service.tenant("acme");
    let sla = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/sla",
        &admin,
        json!({"reference": "sla", "enabled": true,
               "config": serde_json::from_str::<Value>(&std::fs::read_to_string(
                   common::root().join("examples/sla/config.json")).unwrap()).unwrap()}),
    );
    assert_eq!(sla.status, 200, "{}", sla.body);
    let inbound = install(
        &service,
        &admin,
        "phone",
        &expect["config"],
        &expect["endpoints"],
    );
    let answer = send(
        &service,
        &inbound,
        &read_fixture(&dir.join("missed-call.http")),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let events = answer.body["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ticket_created", "missed_call"], "{}", answer.body);
    let ticket = events[1]["ticket_id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let audit = service.call(
            "GET",
            &format!("/v1/tenants/acme/tickets/{ticket}/audit"),
            Some(&admin),
            None,
        );
        let seen: Vec<Value> = audit
            .body
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["event_kind"] == "missed_call")
            .cloned()
            .collect();
        if !seen.is_empty() || Instant::now() > deadline {
            break seen;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        seen.len(),
        1,
        "the sla plugin was called once on the missed call"
    );
    assert_eq!(seen[0]["plugin"], "sla");
    assert_eq!(seen[0]["error"], Value::Null, "{}", seen[0]);
    let stored = service.call(
        "GET",
        &format!("/v1/tenants/acme/tickets/{ticket}"),
        Some(&admin),
        None,
    );
    assert_eq!(stored.body["channel"], "phone");
    assert_eq!(stored.body["adapter"], "phone");
}

/// An adapter's configuration holds its platform's credentials, and its address is
/// the key to its inbound route: the admin sees them, an integration token does not.
#[test]
fn an_integration_token_does_not_see_an_adapters_credentials() {
    let expect: Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("plugins/zammad/fixtures/expect.json"))
            .unwrap(),
    )
    .unwrap();
    let service = Running::start(data_dir("adapter-credentials"));
    let admin = service.tenant("acme");
    let integration = service.token("acme", &admin, "integration");
    let inbound = install(
        &service,
        &admin,
        "zammad",
        &expect["config"],
        &expect["endpoints"],
    );
    let as_admin = service.call("GET", "/v1/tenants/acme/plugins/zammad", Some(&admin), None);
    assert_eq!(as_admin.body["inbound_path"], inbound.as_str());
    assert!(
        as_admin.body["config"]
            .as_str()
            .unwrap()
            .contains("TEST-TOKEN")
    );
    for path in [
        "/v1/tenants/acme/plugins/zammad",
        "/v1/tenants/acme/plugins",
    ] {
        let seen = service.call("GET", path, Some(&integration), None);
        assert_eq!(seen.status, 200, "{}", seen.body);
        let text = seen.body.to_string();
        assert!(
            !text.contains("TEST-TOKEN") && !text.contains("signature-token"),
            "{text}"
        );
        assert!(
            !text.contains(inbound.trim_start_matches("/v1/inbound/")),
            "{text}"
        );
    }
    let view = service.call(
        "GET",
        "/v1/tenants/acme/plugins/zammad/inbound",
        Some(&integration),
        None,
    );
    assert_eq!(view.status, 403, "{}", view.body);
}
