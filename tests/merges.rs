//! What a merge means in the service, whichever plugin asks for it: the service on
//! a simulated clock, spoken to over HTTP, with the `timers` test guest, which
//! merges a ticket into another when a message says `merge ID`.
//!
//! The target gains the source's messages, marked as coming from it; the source is
//! merged; a later message for the source lands on the target, following a chain of
//! merges to its end; a merge into a closed ticket, into itself, into a ticket that
//! does not exist, or one that would make a cycle is refused and audited, and
//! changes nothing.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use guichet::clock::SimulatedClock;
use guichet::serve::ServiceClock;

use common::desk::{agent_wrote, created, requester_wrote, status_changed};
use common::guest_path;
use common::service::{OPERATOR, Running, data_dir};

struct Service {
    s: Running,
    admin: String,
}

impl Service {
    /// Tenant `acme` with the timers guest, which merges on `merge ID`.
    fn start(name: &str) -> Service {
        let s = Running::start_on(
            data_dir(name),
            ServiceClock::Simulated(Arc::new(SimulatedClock::new(
                "2026-11-23T09:00:00Z".parse().unwrap(),
            ))),
        );
        let created = s.json("POST", "/v1/tenants", OPERATOR, json!({"id": "acme"}));
        assert_eq!(created.status, 201, "{}", created.body);
        let admin = created.body["admin_token"].as_str().unwrap().to_string();
        let wasm = std::fs::read(guest_path("timers")).unwrap();
        let path = "/v1/tenants/acme/plugins/timers";
        let uploaded = s.call(
            "PUT",
            &format!("{path}/component"),
            Some(&admin),
            Some(wasm),
        );
        assert_eq!(uploaded.status, 201, "{}", uploaded.body);
        let set = s.json(
            "PUT",
            path,
            &admin,
            json!({"enabled": true, "subscriptions": ["ticket_created", "message_added"]}),
        );
        assert_eq!(set.status, 200, "{}", set.body);
        Service { s, admin }
    }

    /// Posts one event and waits for its own outcome: the decisions.
    fn post(&self, event: Value) -> Vec<Value> {
        let answer = self.s.json(
            "POST",
            "/v1/tenants/acme/events?wait=true",
            &self.admin,
            event,
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["outcomes"][0]["decisions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn ticket(&self, id: &str) -> Value {
        let answer = self.s.call(
            "GET",
            &format!("/v1/tenants/acme/tickets/{id}"),
            Some(&self.admin),
            None,
        );
        assert_eq!(answer.status, 200, "{id}: {}", answer.body);
        answer.body
    }

    /// Waits (at most 10 s) until ticket `id` satisfies `done`, which follow-up events
    /// (a merge's `merged_in`) bring about after the posted event's outcome.
    fn ticket_when(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let ticket = self.ticket(id);
            if done(&ticket) {
                return ticket;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "ticket {id} never got there: {ticket:#}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn audit(&self, id: &str) -> Vec<Value> {
        let answer = self.s.call(
            "GET",
            &format!("/v1/tenants/acme/tickets/{id}/audit"),
            Some(&self.admin),
            None,
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body.as_array().cloned().unwrap()
    }
}

/// `message_added`: the requester writes `body` on `ticket` at `when`.
fn wrote(ticket: &str, id: &str, when: &str, body: &str) -> Value {
    let mut event = requester_wrote(ticket, id, when);
    event["kind"]["message"]["body"] = json!(body);
    event
}

fn message_ids(ticket: &Value) -> Vec<(String, Option<String>)> {
    ticket["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["merged_from"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn log_lines(audit: &[Value]) -> String {
    audit
        .iter()
        .flat_map(|r| r["logs"].as_array().cloned().unwrap_or_default())
        .map(|l| l.as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_merge_moves_the_messages_and_later_messages_follow_the_chain() {
    let svc = Service::start("merges-chain");
    svc.post(created("a", "2026-11-23T09:00:00Z", json!({})));
    svc.post(created("b", "2026-11-23T09:05:00Z", json!({})));
    svc.post(wrote(
        "b",
        "m-b1",
        "2026-11-23T09:06:00Z",
        "Toujours rien reçu.",
    ));

    // b is merged into a: the guest's tag is applied, b is merged.
    let decisions = svc.post(wrote("b", "m-b2", "2026-11-23T09:10:00Z", "merge a"));
    assert!(decisions[0]["error"].is_null(), "{decisions:?}");
    let b = svc.ticket("b");
    assert_eq!(b["status"], "merged");
    assert_eq!(b["merged_into"], "a");
    assert!(
        b["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("merged-by-guest"))
    );

    // a gains b's messages, marked, in time order, after its own.
    let a = svc.ticket_when("a", |t| t["messages"].as_array().unwrap().len() == 4);
    assert_eq!(
        message_ids(&a),
        [
            ("m-0".to_string(), None),
            ("m-0".to_string(), Some("b".to_string())),
            ("m-b1".to_string(), Some("b".to_string())),
            ("m-b2".to_string(), Some("b".to_string())),
        ]
    );
    assert_eq!(a["status"], "open");
    // b's requester wrote last at 09:10: so did a's, as far as reply times go.
    assert_eq!(a["last_requester_message_at"], "2026-11-23T09:10:00Z");
    assert!(
        log_lines(&svc.audit("a"))
            .contains("ticket b was merged into this one: 3 of its messages added")
    );
    // a's plugins are told of each message it gained.
    let told = |svc: &Service| -> Vec<String> {
        svc.audit("a")
            .iter()
            .filter(|r| r["plugin"] == "timers" && r["event_kind"] == "message_added")
            .map(|r| r["event_id"].as_str().unwrap().to_string())
            .filter(|id| id.contains(":merge/"))
            .collect()
    };
    let start = Instant::now();
    while told(&svc).len() < 3 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let told = told(&svc);
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(
        told.iter().all(|id| id.starts_with("b-m-b2:merge/")),
        "{told:?}"
    );

    // A merge is final: the helpdesk's status echo does not undo it.
    svc.post(status_changed(
        "b",
        "2026-11-23T09:30:00Z",
        "merged",
        "solved",
    ));
    let b = svc.ticket("b");
    assert_eq!(
        (b["status"].as_str(), b["merged_into"].as_str()),
        (Some("merged"), Some("a"))
    );

    // A later message for b lands on a; an agent's reply too.
    svc.post(wrote(
        "b",
        "m-b3",
        "2026-11-23T10:00:00Z",
        "Des nouvelles ?",
    ));
    svc.post(agent_wrote("b", "r-1", "ana", "2026-11-23T10:05:00Z", true));
    let a = svc.ticket_when("a", |t| t["messages"].as_array().unwrap().len() == 6);
    let ids = message_ids(&a);
    assert_eq!(ids[4], ("m-b3".to_string(), None));
    assert_eq!(ids[5], ("r-1".to_string(), None));
    assert_eq!(a["last_agent_message_at"], "2026-11-23T10:05:00Z");
    assert_eq!(svc.ticket("b")["messages"].as_array().unwrap().len(), 3);
    assert!(
        log_lines(&svc.audit("b"))
            .contains("ticket b is merged: this message_added went on to ticket a")
    );

    // c merged into b stands for the end of b's chain: a.
    svc.post(created("c", "2026-11-23T11:00:00Z", json!({})));
    svc.post(wrote("c", "m-c1", "2026-11-23T11:01:00Z", "merge b"));
    let c = svc.ticket("c");
    assert_eq!(c["merged_into"], "a", "{c:#}");
    svc.ticket_when("a", |t| {
        message_ids(t).contains(&("m-c1".to_string(), Some("c".to_string())))
    });
    // And a message for c, merged into a, lands on a.
    svc.post(wrote("c", "m-c2", "2026-11-23T11:30:00Z", "Merci"));
    svc.ticket_when("a", |t| {
        message_ids(t).contains(&("m-c2".to_string(), None))
    });
    svc.s.stop();
}

#[test]
fn merges_into_closed_missing_itself_or_round_are_refused_and_audited() {
    let svc = Service::start("merges-refused");
    svc.post(created("a", "2026-11-23T09:00:00Z", json!({})));
    svc.post(created("b", "2026-11-23T09:01:00Z", json!({})));
    svc.post(created("closed", "2026-11-23T09:02:00Z", json!({})));
    svc.post(status_changed(
        "closed",
        "2026-11-23T09:03:00Z",
        "open",
        "closed",
    ));

    let refused = |ticket: &str, into: &str, when: &str, why: &str| {
        let decisions = svc.post(wrote(
            ticket,
            &format!("m-{into}"),
            when,
            &format!("merge {into}"),
        ));
        let error = decisions[0]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            error.contains(why),
            "merge {ticket} into {into}: {decisions:?}"
        );
        let after = svc.ticket(ticket);
        assert_eq!(after["status"], "open", "{after:#}");
        assert!(after["merged_into"].is_null());
        // The call is refused whole: the tag that came with the merge is not applied.
        assert!(
            !after["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("merged-by-guest"))
        );
        let audit = svc.audit(ticket);
        let last = audit
            .iter()
            .rev()
            .find(|r| r["plugin"] == "timers")
            .unwrap();
        assert!(last["error"].as_str().unwrap().contains(why), "{last:#}");
    };
    refused(
        "a",
        "closed",
        "2026-11-23T09:10:00Z",
        "refused: closed is closed",
    );
    refused(
        "a",
        "a",
        "2026-11-23T09:11:00Z",
        "merge of ticket a into itself refused",
    );
    refused(
        "a",
        "zz",
        "2026-11-23T09:12:00Z",
        "the tenant has no such ticket",
    );

    // b into a stands; then a into b would make a cycle.
    svc.post(wrote("b", "m-into-a", "2026-11-23T09:20:00Z", "merge a"));
    assert_eq!(svc.ticket("b")["merged_into"], "a");
    refused(
        "a",
        "b",
        "2026-11-23T09:21:00Z",
        "it would make a cycle of merges (a → b → a)",
    );
    svc.s.stop();
}

#[test]
fn a_ticket_merged_in_its_helpdesk_keeps_its_messages_and_a_merged_status_needs_a_target() {
    let svc = Service::start("merges-targetless");
    svc.post(created("h", "2026-11-23T09:00:00Z", json!({})));
    // The helpdesk merged it on its side: guichet knows no target.
    svc.post(status_changed(
        "h",
        "2026-11-23T09:01:00Z",
        "open",
        "merged",
    ));
    svc.post(wrote("h", "m-h1", "2026-11-23T09:02:00Z", "Bonjour ?"));
    std::thread::sleep(Duration::from_millis(300));
    let h = svc.ticket("h");
    assert_eq!(h["status"], "merged");
    assert!(
        message_ids(&h).contains(&("m-h1".to_string(), None)),
        "{h:#}"
    );
    // The message landed once, on h: nothing went round.
    let audit = svc.audit("h");
    assert!(audit.len() < 10, "{} records: {audit:#?}", audit.len());
    assert!(!log_lines(&audit).contains("went on"));

    // A plugin may not set `merged` without naming the ticket merged into.
    svc.post(created("k", "2026-11-23T10:00:00Z", json!({})));
    let decisions = svc.post(wrote("k", "m-k1", "2026-11-23T10:01:00Z", "status merged"));
    let error = decisions[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("set_status merged refused"), "{decisions:?}");
    assert_eq!(svc.ticket("k")["status"], "open");
    svc.s.stop();
}
