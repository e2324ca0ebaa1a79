//! A plugin's lifecycle in the service, over HTTP: versions activated and rolled back
//! while events stream in, a shadow run beside the active version, the circuit
//! breaker, and the limits an admin may set within the operator's maxima.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use common::guest_path;
use common::recorder::Recorder;
use common::service::{OPERATOR, Running, data_dir};

/// Triage routing every ticket to group `v{n}`: the decision names the
/// configuration that made it.
fn routing(n: u64) -> Value {
    json!({"rules": [], "default": {"group": format!("v{n}"), "level": "L1", "tags": []}})
}

fn ticket_created(id: &str) -> Value {
    let when = "2026-11-30T09:00:00Z";
    json!({"id": format!("{id}-created"), "kind": {"type": "ticket_created"}, "occurred_at": when,
           "ticket": {"id": id, "channel": "email", "subject": "Virement",
                      "requester": {"identities": [{"kind": "email", "value": "zoe@example.fr"}]},
                      "created_at": when, "updated_at": when,
                      "messages": [{"id": format!("{id}-m"), "author_role": "requester",
                                    "channel": "email", "body": "Bonjour", "created_at": when}]}})
}

fn tenant_with_triage(s: &Running, tenant: &str, config: Value) -> String {
    let created = s.json("POST", "/v1/tenants", OPERATOR, json!({"id": tenant}));
    assert_eq!(created.status, 201, "{}", created.body);
    let admin = created.body["admin_token"].as_str().unwrap().to_string();
    let set = s.json(
        "PUT",
        &format!("/v1/tenants/{tenant}/plugins/triage"),
        &admin,
        json!({"reference": "triage", "config": config, "enabled": true,
               "subscriptions": ["ticket_created"], "label": "first"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    admin
}

fn audit(s: &Running, admin: &str, ticket: &str) -> Vec<Value> {
    let answer = s.call(
        "GET",
        &format!("/v1/tenants/acme/tickets/{ticket}/audit"),
        Some(admin),
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body.as_array().cloned().unwrap()
}

/// The group a triage record assigned.
fn group_of(record: &Value) -> Option<String> {
    record["actions"]
        .as_array()?
        .iter()
        .find(|a| a["type"] == "assign")
        .and_then(|a| a["group"].as_str())
        // Triage names the group and its level: `v3/L1`.
        .and_then(|g| g.split('/').next())
        .map(str::to_string)
}

/// 10,000 events streamed in batches while the active version is swapped 100
/// times: every event is processed once, by one version, which the audit trail
/// names; its decision is that version's; and an event sent after an activation
/// answered runs that version or a later one.
#[test]
fn ten_thousand_events_through_a_hundred_swaps_each_run_whole_on_one_version() {
    let s = Arc::new(Running::start(data_dir("lifecycle-swaps")));
    let admin = tenant_with_triage(&s, "acme", routing(1));
    // Versions 2..=101, made up front: each routes to its own group.
    for n in 2..=101u64 {
        let made = s.json(
            "POST",
            "/v1/tenants/acme/plugins/triage/versions",
            &admin,
            json!({"config": routing(n), "label": format!("routing {n}")}),
        );
        assert_eq!(made.status, 201, "{}", made.body);
        assert_eq!(made.body["number"], n, "{}", made.body);
    }
    let listed = s.call(
        "GET",
        "/v1/tenants/acme/plugins/triage/versions",
        Some(&admin),
        None,
    );
    assert_eq!(listed.body.as_array().unwrap().len(), 101);
    assert_eq!(listed.body[0]["label"], "first");

    // The newest version whose activation has answered.
    let active = Arc::new(AtomicU64::new(1));
    let swapper = {
        let (s, admin, active) = (s.clone(), admin.clone(), active.clone());
        std::thread::spawn(move || {
            for n in 2..=101u64 {
                std::thread::sleep(Duration::from_millis(15));
                let done = s.call(
                    "POST",
                    &format!("/v1/tenants/acme/plugins/triage/versions/{n}/activate"),
                    Some(&admin),
                    None,
                );
                assert_eq!(done.status, 200, "{}", done.body);
                assert_eq!(done.body["active_version"], n);
                active.store(n, Ordering::SeqCst);
            }
        })
    };
    // Per ticket, the newest version active when its event was sent.
    let mut sent_under: HashMap<String, u64> = HashMap::new();
    let mut batch_no = 0;
    while batch_no < 100 {
        let floor = active.load(Ordering::SeqCst);
        let ids: Vec<String> = (0..100).map(|i| format!("t-{batch_no}-{i}")).collect();
        let batch: Vec<Value> = ids.iter().map(|id| ticket_created(id)).collect();
        let mut posted = s.json("POST", "/v1/tenants/acme/events", &admin, json!(batch));
        // A full backlog says when to send again, as a helpdesk would.
        while posted.status == 429 {
            std::thread::sleep(Duration::from_secs(1));
            posted = s.json("POST", "/v1/tenants/acme/events", &admin, json!(batch));
        }
        assert_eq!(posted.status, 202, "{}", posted.body);
        for id in ids {
            sent_under.insert(id, floor);
        }
        batch_no += 1;
        // Spread the stream over the swaps.
        std::thread::sleep(Duration::from_millis(12));
    }
    swapper.join().unwrap();
    s.wait_idle();

    let mut by_version: HashMap<u64, usize> = HashMap::new();
    for (ticket, floor) in &sent_under {
        let records: Vec<Value> = audit(&s, &admin, ticket)
            .into_iter()
            .filter(|r| r["plugin"] == "triage")
            .collect();
        assert_eq!(records.len(), 1, "{ticket} ran {} times", records.len());
        let record = &records[0];
        let version = record["version_number"].as_u64().expect("a version number");
        assert!(
            version >= *floor,
            "{ticket}, sent after version {floor} was active, ran version {version}"
        );
        assert_eq!(
            group_of(record).as_deref(),
            Some(format!("v{version}").as_str()),
            "{ticket}: the decision is not version {version}'s: {record}"
        );
        *by_version.entry(version).or_default() += 1;
    }
    assert_eq!(sent_under.len(), 10_000);
    // The stream really spanned the swaps.
    assert!(
        by_version.len() >= 20,
        "only {} versions ran",
        by_version.len()
    );
    // Rolling back to the first version: the next event runs it.
    let back = s.call(
        "POST",
        "/v1/tenants/acme/plugins/triage/versions/1/activate",
        Some(&admin),
        None,
    );
    assert_eq!(back.status, 200, "{}", back.body);
    let posted = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        ticket_created("after-rollback"),
    );
    assert_eq!(posted.status, 200, "{}", posted.body);
    let record = audit(&s, &admin, "after-rollback")
        .into_iter()
        .find(|r| r["plugin"] == "triage")
        .unwrap();
    assert_eq!(record["version_number"], 1);
    assert_eq!(group_of(&record).as_deref(), Some("v1"));
    // An unknown version is a clear 404.
    let missing = s.call(
        "POST",
        "/v1/tenants/acme/plugins/triage/versions/500/activate",
        Some(&admin),
        None,
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert!(
        missing.body["detail"]
            .as_str()
            .unwrap()
            .contains("no version 500")
    );
}

/// Everything a tenant's live data holds that a shadow run must not change: each
/// ticket, its timers, and its audit trail without the call's measures (fuel,
/// duration, time).
fn snapshot(s: &Running, tenant: &str, admin: &str, tickets: &[&str]) -> Vec<Value> {
    let mut all = Vec::new();
    for ticket in tickets {
        for path in ["", "/timers"] {
            let answer = s.call(
                "GET",
                &format!("/v1/tenants/{tenant}/tickets/{ticket}{path}"),
                Some(admin),
                None,
            );
            all.push(answer.body);
        }
        let trail = s.call(
            "GET",
            &format!("/v1/tenants/{tenant}/tickets/{ticket}/audit"),
            Some(admin),
            None,
        );
        for record in trail.body.as_array().unwrap() {
            all.push(json!([
                record["plugin"],
                record["version_number"],
                record["actions"],
                record["error"],
                record["logs"]
            ]));
        }
    }
    all
}

/// The decisions of the webhook deliveries a receiver got at `path`, in order.
fn delivered(receiver: &Recorder, path: &str) -> Vec<Value> {
    receiver
        .requests()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.json()["decisions"].clone())
        .collect()
}

/// A candidate that routes differently runs beside the active version: the report
/// gives both decisions per event and the counts. Nothing the candidate decided is
/// applied or sent: a tenant with the same plugin and events and no shadow run ends
/// with the same tickets, timers, trails and deliveries.
#[test]
fn a_shadow_run_records_the_candidates_decisions_and_changes_nothing_live() {
    let receiver = Recorder::ok();
    let s = Running::start(data_dir("lifecycle-shadow"));
    let admin = tenant_with_triage(&s, "acme", routing(1));
    let control = tenant_with_triage(&s, "control", routing(1));
    for (tenant, token) in [("acme", &admin), ("control", &control)] {
        let hook = s.json(
            "PUT",
            &format!("/v1/tenants/{tenant}/webhooks/crm"),
            token,
            json!({"url": receiver.url(&format!("/{tenant}"))}),
        );
        assert!(hook.status == 200 || hook.status == 201, "{}", hook.body);
    }
    // Candidate: triage routing to `v2`, shadowed in `acme` only.
    let made = s.json(
        "POST",
        "/v1/tenants/acme/plugins/triage/versions",
        &admin,
        json!({"config": routing(2)}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let candidate = made.body["number"].as_u64().unwrap();
    let shadow = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/triage/shadow",
        &admin,
        json!({"version": candidate}),
    );
    assert_eq!(shadow.status, 200, "{}", shadow.body);
    assert_eq!(shadow.body["shadow"]["version"], candidate);

    let tickets = ["a", "b", "c"];
    for id in tickets {
        for (tenant, token) in [("acme", &admin), ("control", &control)] {
            let posted = s.json(
                "POST",
                &format!("/v1/tenants/{tenant}/events?wait=true"),
                token,
                ticket_created(id),
            );
            assert_eq!(posted.status, 200, "{}", posted.body);
        }
    }
    s.wait_idle();
    assert!(receiver.wait(Duration::from_secs(10), |r| r.len() >= 6));

    let report = s.call(
        "GET",
        "/v1/tenants/acme/plugins/triage/shadow",
        Some(&admin),
        None,
    );
    assert_eq!(report.status, 200, "{}", report.body);
    let diffs = report.body["diffs"].as_array().unwrap();
    assert_eq!(diffs.len(), 3, "{:#}", report.body);
    for diff in diffs {
        assert_eq!(diff["verdict"], "differ", "{diff:#}");
        assert_eq!(diff["active"]["version"], 1);
        assert_eq!(diff["candidate"]["version"], candidate);
        assert_eq!(group_of(&diff["active"]).as_deref(), Some("v1"));
        assert_eq!(group_of(&diff["candidate"]).as_deref(), Some("v2"));
    }
    assert_eq!(
        report.body["summary"],
        json!({"events": 3, "agree": 0, "differ": 3, "candidate_failed": 0})
    );

    // Live, the shadowed tenant is exactly the tenant without a shadow run.
    let live = snapshot(&s, "acme", &admin, &tickets);
    assert_eq!(live, snapshot(&s, "control", &control, &tickets));
    assert!(
        live.iter().any(|v| v["group"] == "v1/L1"),
        "the tickets went to the active version's group"
    );
    std::thread::sleep(Duration::from_millis(200));
    let sent = delivered(&receiver, "/acme");
    assert_eq!(sent.len(), 3);
    assert_eq!(sent, delivered(&receiver, "/control"));

    // The shadow run ends: nothing changes, nothing more is sent, the report is empty.
    let ended = s.call(
        "DELETE",
        "/v1/tenants/acme/plugins/triage/shadow",
        Some(&admin),
        None,
    );
    assert_eq!(ended.status, 204);
    s.wait_idle();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(snapshot(&s, "acme", &admin, &tickets), live);
    assert_eq!(receiver.count(), 6);
    let after = s.call(
        "GET",
        "/v1/tenants/acme/plugins/triage/shadow",
        Some(&admin),
        None,
    );
    assert_eq!(after.body["summary"]["events"], 0, "{}", after.body);
    assert!(after.body.get("shadow").is_none());
}

/// A shadow of the timers guest sets its own timers, which fire for it alone; the
/// active version's timers are untouched, and the firing of both is one diff.
#[test]
fn a_shadows_timers_are_its_own() {
    let clock = Arc::new(guichet::clock::SimulatedClock::new(
        "2026-11-30T09:00:00Z".parse().unwrap(),
    ));
    let s = Running::start_on(
        data_dir("lifecycle-shadow-timers"),
        guichet::serve::ServiceClock::Simulated(clock),
    );
    let created = s.json("POST", "/v1/tenants", OPERATOR, json!({"id": "acme"}));
    let admin = created.body["admin_token"].as_str().unwrap().to_string();
    let wasm = std::fs::read(guest_path("timers")).unwrap();
    let up = s.call(
        "PUT",
        "/v1/tenants/acme/plugins/timers/component",
        Some(&admin),
        Some(wasm),
    );
    assert_eq!(up.status, 201, "{}", up.body);
    let on = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/timers",
        &admin,
        json!({"enabled": true, "config": {}}),
    );
    assert_eq!(on.status, 200, "{}", on.body);
    // The candidate: the same code, chaining timer `a` to `b` 30 s later.
    let made = s.json(
        "POST",
        "/v1/tenants/acme/plugins/timers/versions",
        &admin,
        json!({"config": {"chain": {"a": ["b", 30]}}}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let shadow = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/timers/shadow",
        &admin,
        json!({"version": made.body["number"]}),
    );
    assert_eq!(shadow.status, 200, "{}", shadow.body);
    let mut event = ticket_created("t");
    event["ticket"]["messages"][0]["body"] = json!("set a +60");
    let posted = s.json("POST", "/v1/tenants/acme/events?wait=true", &admin, event);
    assert_eq!(posted.status, 200, "{}", posted.body);
    let timers = s.call(
        "GET",
        "/v1/tenants/acme/tickets/t/timers",
        Some(&admin),
        None,
    );
    let owners: Vec<&str> = timers
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(owners.len(), 2, "{}", timers.body);
    assert!(owners.contains(&"timers"), "{owners:?}");
    assert!(
        owners.iter().any(|o| o.starts_with("timers~shadow~")),
        "{owners:?}"
    );
    s.advance_to("2026-11-30T09:02:00Z");
    s.wait_idle();
    // Live: `a` fired for the active version only; the candidate's chained `b` left
    // no trace on the ticket.
    let ticket = s.call("GET", "/v1/tenants/acme/tickets/t", Some(&admin), None);
    let tags: Vec<&str> = ticket.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tags, ["fired:a"], "{}", ticket.body);
    let report = s.call(
        "GET",
        "/v1/tenants/acme/plugins/timers/shadow",
        Some(&admin),
        None,
    );
    let diffs = report.body["diffs"].as_array().unwrap();
    let fired_a: Vec<&Value> = diffs
        .iter()
        .filter(|d| d["event_id"].as_str().unwrap().ends_with(":a"))
        .collect();
    assert_eq!(fired_a.len(), 1, "{:#}", report.body);
    // Both tag `fired:a`; the candidate also sets `b`.
    assert_eq!(fired_a[0]["verdict"], "differ", "{:#}", fired_a[0]);
    assert!(fired_a[0]["active"].is_object() && fired_a[0]["candidate"].is_object());
    let fired_b: Vec<&Value> = diffs
        .iter()
        .filter(|d| d["event_id"].as_str().unwrap().ends_with(":b"))
        .collect();
    assert_eq!(fired_b.len(), 1, "{:#}", report.body);
    assert!(fired_b[0].get("active").is_none(), "{:#}", fired_b[0]);
    assert_eq!(
        report.body["summary"],
        // The creation (both set `a`), `a` firing (the candidate also sets `b`), the
        // tag change `a` made (neither does anything), `b` firing (the candidate's
        // alone).
        json!({"events": 4, "agree": 2, "differ": 2, "candidate_failed": 0}),
        "{:#}",
        report.body
    );

    // Both versions set timer `c`; the shadow run ends before it is due: the
    // candidate's timer goes with it, and nothing of it reaches the live trail.
    let mut event = message("t", "m-2", "2026-11-30T09:03:00Z", "set c +60");
    event["id"] = json!("t-m-2");
    let posted = s.json("POST", "/v1/tenants/acme/events?wait=true", &admin, event);
    assert_eq!(posted.status, 200, "{}", posted.body);
    let pending = |s: &Running| -> Vec<String> {
        let timers = s.call(
            "GET",
            "/v1/tenants/acme/tickets/t/timers",
            Some(&admin),
            None,
        );
        timers
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "{}/{}",
                    t["plugin"].as_str().unwrap(),
                    t["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(pending(&s).len(), 2, "{:?}", pending(&s));
    let ended = s.call(
        "DELETE",
        "/v1/tenants/acme/plugins/timers/shadow",
        Some(&admin),
        None,
    );
    assert_eq!(ended.status, 204);
    assert_eq!(pending(&s), ["timers/c"]);
    s.advance_to("2026-11-30T09:05:00Z");
    s.wait_idle();
    let trail = s.call(
        "GET",
        "/v1/tenants/acme/tickets/t/audit",
        Some(&admin),
        None,
    );
    for record in trail.body.as_array().unwrap() {
        let plugin = record["plugin"].as_str().unwrap();
        assert!(
            !plugin.contains("~shadow"),
            "a shadow in the live trail: {record}"
        );
    }
    let fired_c = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["event_kind"] == "timer_fired" && r["event_id"].as_str().unwrap().ends_with(":c")
        })
        .count();
    assert_eq!(fired_c, 1, "{:#}", trail.body);
}

/// `message_added`: the requester writes `body` on `ticket`.
fn message(ticket: &str, id: &str, when: &str, body: &str) -> Value {
    json!({"id": format!("{ticket}-{id}"), "kind": {"type": "message_added", "message": {
               "id": id, "author_role": "requester", "channel": "email", "body": body,
               "created_at": when}},
           "occurred_at": when, "ticket": {"id": ticket, "channel": "email",
               "requester": {"identities": [{"kind": "email", "value": "zoe@example.fr"}]},
               "created_at": when, "updated_at": when}})
}

/// A plugin that fails every call is suspended after its threshold: the reason and
/// the last errors are in the API and the count in `/metrics`; the tenant's other
/// plugins go on; an admin resumes it.
#[test]
fn the_circuit_breaker_trips_shows_and_is_reset_by_an_admin() {
    let s = Running::start(data_dir("lifecycle-breaker"));
    let admin = tenant_with_triage(&s, "acme", routing(1));
    // The timers guest fails a call whose message has a bad `set` line.
    let wasm = std::fs::read(guest_path("timers")).unwrap();
    let up = s.call(
        "PUT",
        "/v1/tenants/acme/plugins/timers/component",
        Some(&admin),
        Some(wasm),
    );
    assert_eq!(up.status, 201, "{}", up.body);
    let on = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/timers",
        &admin,
        json!({"enabled": true, "subscriptions": ["ticket_created"], "suspend_after": 3}),
    );
    assert_eq!(on.status, 200, "{}", on.body);
    let failing = |id: &str| {
        let mut event = ticket_created(id);
        event["ticket"]["messages"][0]["body"] = json!("set a +soon");
        event
    };
    for n in 0..3 {
        let posted = s.json(
            "POST",
            "/v1/tenants/acme/events?wait=true",
            &admin,
            failing(&format!("f{n}")),
        );
        assert_eq!(posted.status, 200, "{}", posted.body);
    }
    let plugin = s.call("GET", "/v1/tenants/acme/plugins/timers", Some(&admin), None);
    let suspended = &plugin.body["suspended"];
    assert!(suspended.is_object(), "not suspended: {}", plugin.body);
    assert!(
        suspended["reason"]
            .as_str()
            .unwrap()
            .starts_with("3 failed calls in a row"),
        "{suspended}"
    );
    assert_eq!(suspended["last_errors"].as_array().unwrap().len(), 3);
    assert!(
        suspended["last_errors"][0]
            .as_str()
            .unwrap()
            .contains("bad seconds")
    );
    let text = s
        .http
        .get(format!("{}/metrics", s.base))
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        text.contains("guichet_plugin_suspensions_total{cause=\"error\"} 1"),
        "{text}"
    );
    // Suspended: the next event runs triage and not the guest.
    let posted = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        failing("while-suspended"),
    );
    let ran: Vec<&str> = posted.body["outcomes"][0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(ran, ["triage"], "{}", posted.body);
    // The trail says why it did not run.
    let skipped = audit(&s, &admin, "while-suspended")
        .into_iter()
        .find(|r| r["plugin"] == "timers")
        .expect("a record of the suspended plugin");
    assert!(
        skipped["logs"][0]
            .as_str()
            .unwrap()
            .contains("not run: the plugin is suspended since"),
        "{skipped}"
    );
    assert!(skipped["actions"].as_array().unwrap().is_empty());
    // Only an admin resumes it.
    let integration = s.token("acme", &admin, "integration");
    let refused = s.call(
        "POST",
        "/v1/tenants/acme/plugins/timers/resume",
        Some(&integration),
        None,
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let resumed = s.call(
        "POST",
        "/v1/tenants/acme/plugins/timers/resume",
        Some(&admin),
        None,
    );
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert!(resumed.body.get("suspended").is_none(), "{}", resumed.body);
    let mut fine = ticket_created("fine");
    fine["ticket"]["messages"][0]["body"] = json!("set a +60");
    let posted = s.json("POST", "/v1/tenants/acme/events?wait=true", &admin, fine);
    let ran: Vec<&str> = posted.body["outcomes"][0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(ran, ["timers", "triage"], "{}", posted.body);
}

/// An admin sets a plugin's fuel, deadline and memory within the operator's maxima;
/// beyond them the request is refused with the maximum in the message, and the
/// plugin keeps its settings. A limit set is the one the calls run under.
#[test]
fn limits_per_plugin_stay_within_the_operators_maxima() {
    let s = Running::start(data_dir("lifecycle-limits"));
    let admin = tenant_with_triage(&s, "acme", routing(1));
    let path = "/v1/tenants/acme/plugins/triage";
    let over = s.json(
        "PUT",
        path,
        &admin,
        json!({"limits": {"deadline_ms": 5000}}),
    );
    assert_eq!(over.status, 422, "{}", over.body);
    assert_eq!(
        over.body["type"].as_str().unwrap().rsplit('/').next(),
        Some("limit-above-maximum")
    );
    assert!(
        over.body["detail"]
            .as_str()
            .unwrap()
            .contains("above the operator's maximum of 1000 ms"),
        "{}",
        over.body
    );
    let over = s.json(
        "PUT",
        path,
        &admin,
        json!({"limits": {"memory_bytes": 1u64 << 40}}),
    );
    assert_eq!(over.status, 422, "{}", over.body);
    assert!(
        over.body["detail"]
            .as_str()
            .unwrap()
            .contains("268435456 bytes (256 MiB)")
    );
    let unchanged = s.call("GET", path, Some(&admin), None);
    assert!(unchanged.body.get("limits").is_none(), "{}", unchanged.body);
    // Within the maxima: kept, and binding. Fuel of 1,000 units cannot route a ticket.
    let set = s.json(
        "PUT",
        path,
        &admin,
        json!({"limits": {"fuel": 1000, "deadline_ms": 500}}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        set.body["limits"],
        json!({"fuel": 1000, "deadline_ms": 500})
    );
    let posted = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        ticket_created("starved"),
    );
    let error = posted.body["outcomes"][0]["decisions"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("ran out of fuel (1000 units)"),
        "{}",
        posted.body
    );
    // Back to the defaults.
    let reset = s.json("PUT", path, &admin, json!({"limits": {}}));
    assert_eq!(reset.status, 200, "{}", reset.body);
    let posted = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        ticket_created("fed"),
    );
    assert!(
        posted.body["outcomes"][0]["decisions"][0]["error"].is_null(),
        "{}",
        posted.body
    );
}
