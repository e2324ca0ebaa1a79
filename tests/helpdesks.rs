//! guichet in front of a helpdesk, end to end: Zammad's and Chatwoot's documented
//! webhook bodies, with real signatures, are posted to a running service on the
//! bridge's inbound address; the tenant's `triage` and `sla` plugins decide; and a
//! fake helpdesk (`common::recorder`) receives exactly the REST calls Zammad or
//! Chatwoot would get, once, also when the service restarts between the webhook and
//! the delivery (the helpdesk is down until then); a redelivered webhook changes
//! nothing.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::fixtures::{read_fixture, send};
use common::recorder::{Recorded, Recorder};
use common::service::{Running, data_dir, free_port};

/// Triage's rules for these tests: a refund goes to billing, level 1, high priority.
fn triage_config() -> Value {
    json!({
        "rules": [{
            "name": "refunds",
            "when": {"keywords": ["remboursement", "rembourser", "refund"]},
            "then": {"group": "billing", "level": "L1", "priority": "high", "tags": ["remboursement"]}
        }],
        "default": {"group": "care", "level": "L1", "tags": ["untriaged"]}
    })
}

/// A service on a clock set at `at`, retrying deliveries every 50 to 200 ms for as
/// long as the test needs.
fn start(dir: std::path::PathBuf, at: &str) -> Running {
    Running::start_delivering(dir, at)
}

/// Installs triage, sla and the bridge `adapter` (its fixtures' configuration, sent to
/// `helpdesk`); answers the bridge's inbound path.
fn install(service: &Running, admin: &str, adapter: &str, helpdesk: &str) -> String {
    for (name, config) in [
        ("triage", triage_config()),
        (
            "sla",
            serde_json::from_str(
                &std::fs::read_to_string(common::root().join("examples/sla/config.json")).unwrap(),
            )
            .unwrap(),
        ),
    ] {
        let answer = service.json(
            "PUT",
            &format!("/v1/tenants/acme/plugins/{name}"),
            admin,
            json!({"reference": name, "config": config, "enabled": true}),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let mut config = fixtures(adapter)["config"].clone();
    config["base_url"] = json!(helpdesk);
    let answer = service.json(
        "PUT",
        &format!("/v1/tenants/acme/plugins/{adapter}"),
        admin,
        json!({"reference": adapter, "config": config, "enabled": true,
               "order": 100, "endpoints": [format!("{helpdesk}/api/v1/")]}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["inbound_path"].as_str().unwrap().to_string()
}

fn fixtures(adapter: &str) -> Value {
    let path = common::root().join(format!("plugins/{adapter}/fixtures/expect.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn post(service: &Running, inbound: &str, adapter: &str, fixture: &str) -> Value {
    let path = common::root().join(format!("plugins/{adapter}/fixtures/{fixture}"));
    let answer = send(service, inbound, &read_fixture(&path));
    assert_eq!(answer.status, 200, "{fixture}: {}", answer.body);
    answer.body
}

/// Waits until the bridge's render of `ticket`'s decisions is committed: its record
/// in the audit trail lists the requests queued.
fn await_render(service: &Running, admin: &str, adapter: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = service.call("GET", "/v1/tenants/acme/tickets", Some(admin), None);
        if let Some(ticket) = list.body.as_array().and_then(|l| l.first()) {
            let id = ticket["id"].as_str().unwrap();
            let audit = service.call(
                "GET",
                &format!("/v1/tenants/acme/tickets/{id}/audit"),
                Some(admin),
                None,
            );
            let rendered: Vec<Value> = audit
                .body
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["plugin"] == adapter)
                .cloned()
                .collect();
            if !rendered.is_empty() {
                return rendered;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no render by {adapter} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (method, path, JSON body) of each call the helpdesk received.
fn calls(requests: &[Recorded]) -> Vec<(String, String, Value)> {
    requests
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.json()))
        .collect()
}

fn call(method: &str, path: &str, body: Value) -> (String, String, Value) {
    (method.to_string(), path.to_string(), body)
}

/// The whole scenario for one bridge: `created` opens a ticket that triage routes;
/// `expected` are the helpdesk's calls, in order; `auth` the header every call must
/// carry.
fn decisions_land_in_the_helpdesk(
    adapter: &str,
    created: &str,
    redelivery: &str,
    expected: Vec<(String, String, Value)>,
    auth: (&str, &str),
    update: (&str, &[&str]),
) {
    let port = free_port();
    let helpdesk = format!("http://127.0.0.1:{port}");
    let dir = data_dir(&format!("helpdesk-{adapter}"));
    let service = start(dir.clone(), "2026-03-02T09:16:00Z");
    let admin = service.tenant("acme");
    let inbound = install(&service, &admin, adapter, &helpdesk);

    let answer = post(&service, &inbound, adapter, created);
    assert_eq!(answer["duplicate"], false, "{answer}");
    let rendered = await_render(&service, &admin, adapter);
    // The helpdesk is down: the calls wait in the outbox, and the service restarts.
    let logs = rendered[0]["logs"].to_string();
    assert_eq!(
        rendered[0]["error"],
        Value::Null,
        "the render was refused: {}",
        rendered[0]
    );
    assert!(logs.contains("rendered: "), "{logs}");
    let dir = service.stop();
    let helpdesk_up = Recorder::start_on(&format!("127.0.0.1:{port}"), |_| 200);
    let service = start(dir, "2026-03-02T09:16:05Z");
    assert!(
        helpdesk_up.wait(Duration::from_secs(10), |r| r.len() >= expected.len()),
        "{adapter}: the helpdesk got {:?}",
        calls(&helpdesk_up.requests())
    );
    // Nothing more comes: each call once.
    std::thread::sleep(Duration::from_millis(500));
    let received = helpdesk_up.requests();
    assert_eq!(
        calls(&received),
        expected,
        "{adapter}: the helpdesk's calls"
    );
    for request in &received {
        assert_eq!(
            request.header(auth.0),
            auth.1,
            "{adapter}: {}",
            request.path
        );
    }

    // The same webhook again (the platform's retry): a no-op.
    let before = service.call("GET", "/v1/tenants/acme/tickets", Some(&admin), None);
    let again = post(&service, &inbound, adapter, redelivery);
    assert_eq!(again["duplicate"], true, "{again}");
    let again = post(&service, &inbound, adapter, created);
    assert_eq!(again["duplicate"], true, "{again}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        helpdesk_up.count(),
        expected.len(),
        "{adapter}: a redelivery called the helpdesk"
    );
    let after = service.call("GET", "/v1/tenants/acme/tickets", Some(&admin), None);
    assert_eq!(
        before.body, after.body,
        "{adapter}: a redelivery changed the tickets"
    );

    // An agent changes the ticket in the helpdesk: its update webhook becomes the
    // change events of what changed, which the plugins see (`sla` runs on every
    // kind); the helpdesk's own state is not sent back to it.
    let (fixture, kinds) = update;
    let answer = post(&service, &inbound, adapter, fixture);
    assert_eq!(answer["events"][0]["kind"], "external_update", "{answer}");
    let ticket = answer["events"][0]["ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Its follow-ups are named after it (`<id>/1`, `<id>/2`…).
    let caused = format!("{}/", answer["events"][0]["event_id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = loop {
        let audit = service.call(
            "GET",
            &format!("/v1/tenants/acme/tickets/{ticket}/audit"),
            Some(&admin),
            None,
        );
        let seen: Vec<String> = audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["plugin"] == "sla")
            .filter(|r| r["event_id"].as_str().unwrap().starts_with(&caused))
            .map(|r| r["event_kind"].as_str().unwrap().to_string())
            .collect();
        if seen.len() >= kinds.len() || Instant::now() > deadline {
            break seen;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    seen.sort();
    assert_eq!(seen, kinds, "{adapter}: the change events sla was sent");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        helpdesk_up.count(),
        expected.len(),
        "{adapter}: an update was echoed back"
    );
    drop(service);
}

#[test]
fn zammad_gets_the_decisions_as_its_own_rest_calls() {
    decisions_land_in_the_helpdesk(
        "zammad",
        "ticket-created.http",
        "redelivery.http",
        vec![
            call(
                "PUT",
                "/api/v1/tickets/512",
                json!({"group": "billing/L1", "level": "L1", "priority": "3 high"}),
            ),
            call(
                "POST",
                "/api/v1/tags/add",
                json!({"item": "remboursement", "o_id": 512, "object": "Ticket"}),
            ),
        ],
        ("authorization", "Token token=TEST-TOKEN"),
        // The agent set the priority triage had already set (high): no change.
        (
            "agent-update.http",
            &["assignment_changed", "status_changed"],
        ),
    );
}

#[test]
fn chatwoot_gets_the_decisions_as_its_own_api_calls() {
    decisions_land_in_the_helpdesk(
        "chatwoot",
        "message-created.http",
        "redelivery.http",
        vec![
            call(
                "POST",
                "/api/v1/accounts/1/conversations/42/assignments",
                json!({"team_id": 3}),
            ),
            call(
                "POST",
                "/api/v1/accounts/1/conversations/42/custom_attributes",
                json!({"custom_attributes": {"level": "L1"}}),
            ),
            call(
                "POST",
                "/api/v1/accounts/1/conversations/42/toggle_priority",
                json!({"priority": "high"}),
            ),
            call(
                "POST",
                "/api/v1/accounts/1/conversations/42/labels",
                json!({"labels": ["remboursement"]}),
            ),
        ],
        ("api_access_token", "TEST-CHATWOOT-TOKEN"),
        (
            "conversation-updated.http",
            &["assignment_changed", "tags_changed"],
        ),
    );
}

/// The tenant's admin decides where a bridge's requests go: with the helpdesk's
/// address outside the adapter's endpoints, nothing is sent and the audit trail says
/// why. `?wait=true` on the inbound address answers the plugins' decisions.
#[test]
fn a_request_outside_the_adapters_endpoints_is_refused_and_audited() {
    let helpdesk = Recorder::ok();
    let service = start(data_dir("helpdesk-outside"), "2026-03-02T09:16:00Z");
    let admin = service.tenant("acme");
    let inbound = install(&service, &admin, "zammad", &helpdesk.base);
    let narrowed = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/zammad",
        &admin,
        json!({"endpoints": ["https://zammad.example.com/api/v1/"]}),
    );
    assert_eq!(narrowed.status, 200, "{}", narrowed.body);

    let path = common::root().join("plugins/zammad/fixtures/ticket-created.http");
    let mut fixture = read_fixture(&path);
    fixture.path = "/?wait=true".to_string();
    let answer = send(&service, &inbound, &fixture);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcomes = answer.body["outcomes"].as_array().expect("the decisions");
    let triage = outcomes[0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["plugin"] == "triage")
        .expect("triage decided");
    assert!(
        !triage["actions"].as_array().unwrap().is_empty(),
        "{triage}"
    );

    let rendered = await_render(&service, &admin, "zammad");
    let error = rendered[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("{}/api/v1/tickets/512", helpdesk.base))
            && error.contains("not under adapter `zammad`'s endpoints"),
        "{error}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(helpdesk.count(), 0, "nothing is sent outside the endpoints");
}
