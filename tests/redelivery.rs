//! An event's identity and its time are respected, end to end: the service on a
//! simulated clock, spoken to over HTTP like a helpdesk, with `reassign` walking a
//! cascade. A redelivered event (the same id again, with or without an
//! `Idempotency-Key`, alone or in a batch) changes nothing and is answered as a
//! duplicate with the first delivery's seq; an event that arrives late (it happened
//! before the ticket's last change) does not roll that change back.

mod common;

use serde_json::{Value, json};

use common::desk::{Desk, calls, created, requester_wrote, status_changed, timer};
use common::service::Answer;

/// Billing offers new tickets to ana, bo and cy in turn, 20 seconds each.
fn desk(name: &str) -> Desk {
    Desk::start(
        name,
        "2026-11-23T09:00:00Z",
        "reassign",
        json!({"cascades": {"billing": {"agents": ["ana", "bo", "cy"], "step": "20s"}}}),
        &[
            "ticket_created",
            "message_added",
            "assignment_changed",
            "status_changed",
        ],
    )
}

/// Posts `body` (one event or a batch) with `headers` and waits for the decisions.
fn post(desk: &Desk, body: &Value, headers: &[(&str, &str)]) -> Answer {
    desk.service.call_with(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        Some(&desk.admin),
        Some(body.to_string().into_bytes()),
        headers,
    )
}

/// The answer's `accepted` entries as (event id, seq, duplicate).
fn accepted(answer: &Answer) -> Vec<(String, u64, bool)> {
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["event_id"].as_str().unwrap().to_string(),
                a["seq"].as_u64().unwrap(),
                a["duplicate"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn outcomes(answer: &Answer) -> usize {
    answer.body["outcomes"].as_array().unwrap().len()
}

fn assignee(desk: &Desk, ticket: &str) -> Value {
    desk.ticket(ticket)["assignee"].clone()
}

/// The agents `reassign` notified about a ticket, in order.
fn notified(desk: &Desk, ticket: &str) -> Vec<String> {
    desk.audit(ticket)
        .iter()
        .flat_map(|r| r["actions"].as_array().unwrap().clone())
        .filter(|a| a["type"] == "notify")
        .map(|a| a["recipient"]["agent"].as_str().unwrap().to_string())
        .collect()
}

fn message_ids(desk: &Desk, ticket: &str) -> Vec<String> {
    desk.messages(ticket)
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// The case: Chatwoot delivers `ticket_created` again 2 s later, the same JSON
/// and no `Idempotency-Key`. The copy is a duplicate, and the cascade goes on.
#[test]
fn the_same_event_delivered_twice_changes_nothing_and_the_cascade_goes_on() {
    let desk = desk("redelivery-cascade");
    let event = created("t-1", "2026-11-23T09:00:00Z", json!({"group": "billing"}));
    let first = accepted(&post(&desk, &event, &[]));
    let [(id, seq, false)] = &first[..] else {
        panic!("{first:?}")
    };
    assert_eq!(id, "t-1-created");
    assert_eq!(assignee(&desk, "t-1"), "ana");

    // 09:00:02: the same JSON again, answered as a duplicate of the first, with its seq.
    desk.advance_to("2026-11-23T09:00:02Z");
    let again = post(&desk, &event, &[]);
    assert_eq!(accepted(&again), [("t-1-created".to_string(), *seq, true)]);
    assert_eq!(outcomes(&again), 0);
    // Without ?wait=true too: 202, the same answer.
    let later = desk.service.json(
        "POST",
        "/v1/tenants/acme/events",
        &desk.admin,
        event.clone(),
    );
    assert_eq!(later.status, 202, "{}", later.body);
    assert_eq!(later.body["accepted"][0]["duplicate"], true);
    assert_eq!(later.body["accepted"][0]["seq"], *seq);

    let ticket = desk.ticket("t-1");
    assert_eq!(ticket["assignee"], "ana");
    assert_eq!(ticket["group"], "billing");
    assert_eq!(
        desk.timers("t-1"),
        [timer("reassign:cascade", "2026-11-23T09:00:20Z")]
    );
    assert_eq!(
        calls(&desk.audit("t-1"), "reassign", "ticket_created").len(),
        1
    );

    // bo at 09:00:20, cy at 09:00:40, to the second.
    assert_eq!(desk.advance_to("2026-11-23T09:00:19Z"), 0);
    assert_eq!(assignee(&desk, "t-1"), "ana");
    assert_eq!(desk.advance_to("2026-11-23T09:00:20Z"), 1);
    assert_eq!(assignee(&desk, "t-1"), "bo");
    assert_eq!(desk.advance_to("2026-11-23T09:00:39Z"), 0);
    assert_eq!(assignee(&desk, "t-1"), "bo");
    assert_eq!(desk.advance_to("2026-11-23T09:00:40Z"), 1);
    assert_eq!(assignee(&desk, "t-1"), "cy");
    assert_eq!(notified(&desk, "t-1"), ["ana", "bo", "cy"]);
}

/// The same kind of case: the id decides, whatever the header. A redelivery under an
/// `Idempotency-Key` of its own is a duplicate of the event first sent without one, and
/// that key then answers the same; in a batch, a member already accepted (before, or
/// earlier in the same batch) is a duplicate while the others are stored.
#[test]
fn an_event_id_is_accepted_once_with_or_without_a_key_alone_or_in_a_batch() {
    let desk = desk("redelivery-batch");
    let event = created("t-1", "2026-11-23T09:00:00Z", json!({"group": "billing"}));
    let [(_, first_seq, false)] = accepted(&post(&desk, &event, &[]))[..] else {
        panic!("the first delivery is new")
    };

    desk.advance_to("2026-11-23T09:00:05Z");
    for _ in 0..2 {
        let keyed = post(&desk, &event, &[("Idempotency-Key", "delivery-2")]);
        assert_eq!(
            accepted(&keyed),
            [("t-1-created".to_string(), first_seq, true)]
        );
    }

    let batch = json!([
        requester_wrote("t-1", "m-1", "2026-11-23T09:00:05Z"),
        event,
        requester_wrote("t-1", "m-1", "2026-11-23T09:00:05Z"),
    ]);
    let answer = post(&desk, &batch, &[]);
    let got = accepted(&answer);
    assert_eq!(got.len(), 3);
    let (new_id, new_seq, new_duplicate) = got[0].clone();
    assert_eq!((new_id.as_str(), new_duplicate), ("t-1-m-1", false));
    assert!(new_seq > first_seq);
    assert_eq!(got[1], ("t-1-created".to_string(), first_seq, true));
    assert_eq!(got[2], ("t-1-m-1".to_string(), new_seq, true));
    assert_eq!(outcomes(&answer), 1);

    // The same batch again, under a key: every member a duplicate.
    let again = post(&desk, &batch, &[("Idempotency-Key", "batch-2")]);
    assert!(accepted(&again).iter().all(|(_, _, duplicate)| *duplicate));
    assert_eq!(outcomes(&again), 0);

    assert_eq!(message_ids(&desk, "t-1"), ["m-0", "m-1"]);
    assert_eq!(assignee(&desk, "t-1"), "ana");
    assert_eq!(desk.advance_to("2026-11-23T09:00:20Z"), 1);
    assert_eq!(assignee(&desk, "t-1"), "bo");

    // Another tenant may use the same ids: they are unique per tenant.
    let other = desk.service.tenant("globex");
    let answer = desk.service.json(
        "POST",
        "/v1/tenants/globex/events",
        &other,
        created("t-1", "2026-11-23T09:00:00Z", json!({})),
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["accepted"][0]["duplicate"], false);
}

/// Late events: the helpdesk's `assignment_changed` of 09:00:05 (the ticket to nobody)
/// reaches the host at 09:00:25, after the cascade gave the ticket to bo at 09:00:20:
/// a later change of the same field overtook it, so it changes nothing and runs no
/// plugin (the audit says so). Its `status_changed` of 09:00:05, carrying its snapshot
/// of then (nobody assigned, another priority, a tag), changes the status, which
/// nothing changed since, and nothing else. A late `ticket_created` under another id
/// changes nothing; a late message joins the conversation in its place.
#[test]
fn a_late_event_does_not_undo_a_later_assignment() {
    let desk = desk("redelivery-late");
    desk.post(created(
        "t-1",
        "2026-11-23T09:00:00Z",
        json!({"group": "billing"}),
    ));
    assert_eq!(desk.advance_to("2026-11-23T09:00:20Z"), 1);
    assert_eq!(assignee(&desk, "t-1"), "bo");
    desk.post(requester_wrote("t-1", "m-2", "2026-11-23T09:00:22Z"));
    let before = desk.ticket("t-1");
    assert_eq!(before["updated_at"], "2026-11-23T09:00:22Z");

    desk.advance_to("2026-11-23T09:00:25Z");
    let overtaken = json!({
        "id": "t-1-unassigned-0905",
        "kind": {"type": "assignment_changed", "previous_assignee": "ana",
                 "current_assignee": null, "previous_group": "billing",
                 "current_group": "billing"},
        "occurred_at": "2026-11-23T09:00:05Z",
        "ticket": {
            "id": "t-1", "channel": "email", "requester": {"identities": []},
            "group": "billing",
            "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:05Z"
        }
    });
    // No plugin ran on it: no decision at all.
    assert!(desk.post(overtaken).is_empty());
    assert_eq!(assignee(&desk, "t-1"), "bo");

    let mut late = status_changed("t-1", "2026-11-23T09:00:05Z", "open", "waiting_on_agent");
    late["ticket"] = json!({
        "id": "t-1", "channel": "email", "requester": {"identities": []},
        "status": "waiting_on_agent", "assignee": null, "group": "billing",
        "priority": "low", "tags": ["late"],
        "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:05Z"
    });
    desk.post(late);

    // The creation again, under another id, as the helpdesk had it at 09:00:00.
    let mut created_again = created("t-1", "2026-11-23T09:00:00Z", json!({"group": "billing"}));
    created_again["id"] = json!("t-1-created-bis");
    assert!(Desk::actions(&desk.post(created_again)).is_empty());

    // The requester's message of 09:00:10, delivered late.
    desk.post(requester_wrote("t-1", "m-1", "2026-11-23T09:00:10Z"));

    let after = desk.ticket("t-1");
    for field in ["assignee", "group", "priority", "tags", "updated_at"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    assert_eq!(after["assignee"], "bo");
    assert_eq!(after["status"], "waiting_on_agent");
    assert_eq!(message_ids(&desk, "t-1"), ["m-0", "m-1", "m-2"]);
    assert_eq!(after["last_requester_message_at"], "2026-11-23T09:00:22Z");
    let audit = desk.audit("t-1");
    assert_eq!(calls(&audit, "reassign", "status_changed").len(), 1);
    // The overtaken event ran no plugin; the host's record says why.
    assert!(
        audit.iter().any(|r| r["plugin"] == "guichet"
            && r["event_id"] == "t-1-unassigned-0905"
            && r["logs"][0]
                .as_str()
                .unwrap_or("")
                .contains("later change of the same field")),
        "{audit:?}"
    );
    assert!(
        !audit
            .iter()
            .any(|r| r["plugin"] == "reassign" && r["event_id"] == "t-1-unassigned-0905")
    );
    assert_eq!(calls(&audit, "reassign", "ticket_created").len(), 2);

    // The cascade goes on: cy at 09:00:40.
    assert_eq!(
        desk.timers("t-1"),
        [timer("reassign:cascade", "2026-11-23T09:00:40Z")]
    );
    assert_eq!(desk.advance_to("2026-11-23T09:00:39Z"), 0);
    assert_eq!(desk.advance_to("2026-11-23T09:00:40Z"), 1);
    assert_eq!(assignee(&desk, "t-1"), "cy");
    assert_eq!(notified(&desk, "t-1"), ["ana", "bo", "cy"]);
}

/// Of the same kind, for tags: the helpdesk removed `vip` at 09:05, and the `+vip` an
/// agent made at 09:01 arrives after it; the tag stays off, and no plugin hears of a
/// change that did not happen. A late event's new parts still apply.
#[test]
fn a_late_tag_change_does_not_undo_a_newer_one() {
    let desk = desk("redelivery-late-tags");
    desk.post(created(
        "t-1",
        "2026-11-23T09:00:00Z",
        json!({"group": "billing", "tags": ["new-customer"]}),
    ));
    let tags = |id: &str, at: &str, added: &[&str], removed: &[&str]| {
        json!({
            "id": id,
            "kind": {"type": "tags_changed", "added": added, "removed": removed},
            "occurred_at": at,
            "ticket": {"id": "t-1", "channel": "email", "requester": {"identities": []},
                       "created_at": "2026-11-23T09:00:00Z", "updated_at": at}
        })
    };
    desk.post(tags("t-1-vip-off", "2026-11-23T09:05:00Z", &[], &["vip"]));
    assert!(
        desk.post(tags("t-1-vip-on", "2026-11-23T09:01:00Z", &["vip"], &[]))
            .is_empty()
    );
    assert_eq!(desk.ticket("t-1")["tags"], json!(["new-customer"]));
    // 09:02: `+vip` is late, `-new-customer` is not.
    desk.post(tags(
        "t-1-mixed",
        "2026-11-23T09:02:00Z",
        &["vip"],
        &["new-customer"],
    ));
    assert_eq!(desk.ticket("t-1")["tags"], json!([]));
    let audit = desk.audit("t-1");
    assert!(
        audit
            .iter()
            .any(|r| r["plugin"] == "guichet" && r["event_id"] == "t-1-vip-on"),
        "{audit:?}"
    );
}
