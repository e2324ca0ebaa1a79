//! The `dedupe` reference plugin measured on its labelled sets
//! (`plugins/dedupe/dataset/`, whose README says which were tuned on): each set is
//! run through the local harness applying actions as the service does (`guichet
//! plugin run --apply`); every merge is scored against the labels, per category and
//! overall. The sets that reach the targets (precision 0.98, recall 0.92 in each)
//! must keep them; the held-out sets that do not must keep today's figures. The
//! figures are printed (`--nocapture`) and written in `plugins/dedupe/README.md`.
//!
//! Then the development set is posted over HTTP to a running service, twice, to two
//! tenants: each gets exactly the harness's merges, and the second tenant's posting
//! changes nothing of the first's. Last, a duplicate that arrives from Zammad is
//! merged in Zammad too: the bridge sends Zammad's own merge call.

mod common;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use guichet::harness::Harness;
use guichet::model::{Event, TicketStatus};

use common::fixtures::{read_fixture, send};
use common::recorder::Recorder;
use common::service::{OPERATOR, Running, data_dir};
use common::{load_guest, root, runtime};

/// The configuration the sets were labelled for.
fn config() -> Value {
    json!({"default_region": "FR", "window_hours": 72})
}

const SUBSCRIPTIONS: [&str; 4] = [
    "ticket_created",
    "message_added",
    "status_changed",
    "fields_changed",
];

#[derive(Deserialize)]
struct Labelled {
    event: Event,
    label: Label,
}

#[derive(Deserialize)]
struct Label {
    category: String,
    duplicate_of: Option<String>,
}

fn read_set(path: &str) -> Vec<Labelled> {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", n + 1)))
        .collect()
}

/// Each merged ticket of the set and the ticket it ended in (following merges), as
/// `lookup` tells (ticket id → `merged_into` when merged).
fn merges(set: &[Labelled], lookup: impl Fn(&str) -> Option<String>) -> BTreeMap<String, String> {
    let mut merges = BTreeMap::new();
    for item in set {
        let id = item.event.ticket.as_ref().unwrap().id.clone();
        let Some(mut end) = lookup(&id) else {
            continue;
        };
        let mut hops = 0;
        while let Some(next) = lookup(&end) {
            end = next;
            hops += 1;
            assert!(hops < 64, "a cycle of merges from {id}");
        }
        merges.insert(id, end);
    }
    merges
}

/// The set run through the harness, applying actions: the merges.
fn harness_merges(set: &[Labelled]) -> BTreeMap<String, String> {
    let harness =
        Harness::new(runtime(), load_guest("dedupe"), config().to_string()).applying_actions();
    for item in set {
        for outcome in harness.run_with_follow_ups(&item.event) {
            assert!(
                outcome.error.is_none(),
                "{}: {:?}",
                outcome.event,
                outcome.error
            );
        }
    }
    merges(set, |id| {
        harness
            .ticket(id)
            .filter(|t| t.status == TicketStatus::Merged)
            .and_then(|t| t.merged_into)
    })
}

#[derive(Default, Debug)]
struct Score {
    tickets: usize,
    expected: usize,
    merged: usize,
    correct: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        if self.merged == 0 {
            1.0
        } else {
            self.correct as f64 / self.merged as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.correct as f64 / self.expected as f64
        }
    }
}

/// Scores `merges` against the labels: per category, then `overall`.
fn score(set: &[Labelled], merges: &BTreeMap<String, String>) -> BTreeMap<String, Score> {
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    for item in set {
        let id = &item.event.ticket.as_ref().unwrap().id;
        let made = merges.get(id);
        for key in [item.label.category.as_str(), "overall"] {
            let s = scores.entry(key.to_string()).or_default();
            s.tickets += 1;
            s.expected += usize::from(item.label.duplicate_of.is_some());
            s.merged += usize::from(made.is_some());
            s.correct += usize::from(made.is_some() && made == item.label.duplicate_of.as_ref());
        }
    }
    scores
}

/// The lowest precision and recall accepted in every category and overall.
#[derive(Clone, Copy)]
struct Floor {
    precision: f64,
    recall: f64,
}

/// The targets.
const TARGETS: Floor = Floor {
    precision: 0.98,
    recall: 0.92,
};

/// Prints the table and asserts the targets in every row.
fn assert_targets(name: &str, set: &[Labelled], merges: &BTreeMap<String, String>) {
    assert_floor(name, set, merges, TARGETS);
}

/// Prints the table and asserts `floor` in every row.
fn assert_floor(name: &str, set: &[Labelled], merges: &BTreeMap<String, String>, floor: Floor) {
    let scores = score(set, merges);
    println!("{name}:");
    println!("category        tickets expected  merged  correct precision recall");
    for (category, s) in &scores {
        println!(
            "{category:<15} {:>7} {:>8} {:>7} {:>8} {:>9.3} {:>6.3}",
            s.tickets,
            s.expected,
            s.merged,
            s.correct,
            s.precision(),
            s.recall()
        );
    }
    let wrong: Vec<String> = set
        .iter()
        .filter_map(|item| {
            let id = &item.event.ticket.as_ref().unwrap().id;
            let made = merges.get(id);
            (made != item.label.duplicate_of.as_ref()).then(|| {
                format!(
                    "{id} ({}): merged into {made:?}, labelled {:?}",
                    item.label.category, item.label.duplicate_of
                )
            })
        })
        .collect();
    for line in &wrong {
        println!("  {line}");
    }
    for (category, s) in &scores {
        assert!(
            s.precision() >= floor.precision && s.recall() >= floor.recall,
            "{name}, {category}: precision {:.3}, recall {:.3} (at least {} and {}); \
             mistakes: {wrong:#?}",
            s.precision(),
            s.recall(),
            floor.precision,
            floor.recall
        );
    }
}

#[test]
fn the_development_set_meets_the_targets() {
    let set = read_set("plugins/dedupe/dataset/dev.jsonl");
    assert!(set.len() >= 300, "{} tickets", set.len());
    assert_targets("development set", &set, &harness_merges(&set));
}

#[test]
fn the_paraphrase_set_meets_the_targets() {
    let set = read_set("plugins/dedupe/dataset/paraphrases.jsonl");
    assert!(set.len() >= 200, "{} tickets", set.len());
    assert_targets("paraphrase set", &set, &harness_merges(&set));
}

#[test]
fn the_second_held_out_set_meets_the_targets() {
    let set = read_set("plugins/dedupe/dataset/heldout-2/heldout-2.jsonl");
    assert!(set.len() >= 300, "{} tickets", set.len());
    assert_targets("second held-out set", &set, &harness_merges(&set));
}

/// The last held-out set, measured once unseen, is short of the targets (see the
/// plugin's README): today's figures are the floor, so that a change that makes them
/// worse fails.
#[test]
fn the_fifth_held_out_set_keeps_its_measured_figures() {
    let set = read_set("plugins/dedupe/dataset/heldout-5/heldout-5.jsonl");
    assert!(set.len() >= 300, "{} tickets", set.len());
    let floor = Floor {
        precision: 0.95,
        recall: 0.84,
    };
    assert_floor("fifth held-out set", &set, &harness_merges(&set), floor);
}

/// Measured once unseen, short of the targets, then tuned on: today's figures are
/// the floor.
#[test]
fn the_fourth_held_out_set_keeps_its_figures() {
    let set = read_set("plugins/dedupe/dataset/heldout-4/heldout-4.jsonl");
    assert!(set.len() >= 300, "{} tickets", set.len());
    let floor = Floor {
        precision: 0.91,
        recall: 0.88,
    };
    assert_floor("fourth held-out set", &set, &harness_merges(&set), floor);
}

/// Tuned on after it was measured unseen; one false cross-channel merge remains.
#[test]
fn the_third_held_out_set_keeps_its_figures() {
    let set = read_set("plugins/dedupe/dataset/heldout-3/heldout-3.jsonl");
    assert!(set.len() >= 300, "{} tickets", set.len());
    let floor = Floor {
        precision: 0.97,
        recall: 0.97,
    };
    assert_floor("third held-out set", &set, &harness_merges(&set), floor);
}

#[test]
fn the_held_out_set_meets_the_targets() {
    let set = read_set("plugins/dedupe/dataset/heldout/heldout.jsonl");
    assert!(set.len() >= 150, "{} tickets", set.len());
    assert_targets("held-out set", &set, &harness_merges(&set));
}

/// Tenant `id` with `dedupe` enabled; its admin token.
fn tenant_with_dedupe(service: &Running, id: &str) -> String {
    let created = service.json("POST", "/v1/tenants", OPERATOR, json!({"id": id}));
    assert_eq!(created.status, 201, "{}", created.body);
    let admin = created.body["admin_token"].as_str().unwrap().to_string();
    let answer = service.json(
        "PUT",
        &format!("/v1/tenants/{id}/plugins/dedupe"),
        &admin,
        json!({"reference": "dedupe", "config": config(), "enabled": true,
               "subscriptions": SUBSCRIPTIONS}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    admin
}

/// Posts the set's events to `tenant` one at a time, each processed with what it
/// caused before the next is sent (as the harness runs them).
fn post_set(service: &Running, tenant: &str, admin: &str, set: &[Labelled]) {
    for item in set {
        let answer = service.json(
            "POST",
            &format!("/v1/tenants/{tenant}/events?wait=true"),
            admin,
            serde_json::to_value(&item.event).unwrap(),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        service.wait_idle();
    }
}

fn tickets(service: &Running, tenant: &str, admin: &str) -> BTreeMap<String, Value> {
    let answer = service.call(
        "GET",
        &format!("/v1/tenants/{tenant}/tickets?limit=10000"),
        Some(admin),
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t.clone()))
        .collect()
}

fn service_merges(set: &[Labelled], tickets: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    merges(set, |id| {
        let ticket = &tickets[id];
        (ticket["status"] == "merged").then(|| ticket["merged_into"].as_str().unwrap().to_string())
    })
}

#[test]
fn the_service_merges_as_the_harness_does_and_keeps_tenants_apart() {
    let set = read_set("plugins/dedupe/dataset/dev.jsonl");
    let expected = harness_merges(&set);
    assert!(!expected.is_empty());

    let service = Running::start(data_dir("dedupe-service"));
    let acme = tenant_with_dedupe(&service, "acme");
    post_set(&service, "acme", &acme, &set);
    let acme_tickets = tickets(&service, "acme", &acme);
    assert_eq!(service_merges(&set, &acme_tickets), expected);

    // A merged ticket's messages are on its target, marked; the duplicate is tagged
    // and its note gives the reason and the score.
    let (source, target) = expected.iter().next().unwrap();
    let moved = acme_tickets[target]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["merged_from"] == source.as_str())
        .count();
    assert!(moved >= 1, "{target} has no message of {source}");
    let merged = &acme_tickets[source];
    assert!(
        merged["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("duplicate"))
    );
    let note = merged["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["public"] == false)
        .unwrap();
    assert!(
        note["body"].as_str().unwrap().contains(target.as_str()),
        "{note}"
    );

    // The same tickets (the same ids) in a second tenant: the same merges, inside
    // that tenant; the first tenant's tickets do not change.
    let beta = tenant_with_dedupe(&service, "beta");
    post_set(&service, "beta", &beta, &set);
    let beta_tickets = tickets(&service, "beta", &beta);
    assert_eq!(service_merges(&set, &beta_tickets), expected);
    assert_eq!(tickets(&service, "acme", &acme), acme_tickets);
    for (source, target) in &expected {
        let gained = beta_tickets[target]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["merged_from"] == source.as_str());
        assert!(
            gained,
            "beta's {target} did not get beta's {source}'s messages"
        );
    }
    service.stop();
}

#[test]
fn a_duplicate_from_zammad_is_merged_in_zammad() {
    let helpdesk = Recorder::start(|_| 200);
    let base = helpdesk.url("");
    let base = base.trim_end_matches('/').to_string();
    let service = Running::start_on(
        data_dir("dedupe-zammad"),
        guichet::serve::ServiceClock::Simulated(std::sync::Arc::new(
            guichet::clock::SimulatedClock::new("2026-03-02T09:16:00Z".parse().unwrap()),
        )),
    );
    let admin = tenant_with_dedupe(&service, "acme");
    let expect: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("plugins/zammad/fixtures/expect.json")).unwrap(),
    )
    .unwrap();
    let mut config = expect["config"].clone();
    config["base_url"] = json!(base);
    let bridge = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/zammad",
        &admin,
        json!({"reference": "zammad", "config": config, "enabled": true, "order": 100,
               "endpoints": [format!("{base}/api/v1/")]}),
    );
    assert_eq!(bridge.status, 200, "{}", bridge.body);
    let inbound = bridge.body["inbound_path"].as_str().unwrap().to_string();

    // Camille wrote about the same refund an hour earlier; that ticket is Zammad's
    // number 20400 (its bridge keeps the number customers see in `zammad_number`).
    let at = "2026-03-02T08:10:00Z";
    let earlier = service.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        json!({"id": "ev-older", "kind": {"type": "ticket_created"}, "occurred_at": at,
               "ticket": {"id": "older", "channel": "email", "status": "open",
                          "requester": {"name": "Camille Durand", "identities": [
                              {"kind": "email", "value": "Camille.Durand@example.fr"}]},
                          "subject": "Remboursement commande 4521",
                          "fields": [{"name": "zammad_number", "value": {"text": "20400"}}],
                          "created_at": at, "updated_at": at,
                          "messages": [{"id": "m-1", "author_role": "requester", "channel": "email",
                                        "body": "Bonjour, j'ai été débitée deux fois pour la commande 4521. Pouvez-vous rembourser le second paiement ? Camille",
                                        "created_at": at}]}}),
    );
    assert_eq!(earlier.status, 200, "{}", earlier.body);

    let fixture = read_fixture(&root().join("plugins/zammad/fixtures/ticket-created.http"));
    let answer = send(&service, &inbound, &fixture);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let duplicate = answer.body["events"][0]["ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    service.wait_idle();
    let merged = service.call(
        "GET",
        &format!("/v1/tenants/acme/tickets/{duplicate}"),
        Some(&admin),
        None,
    );
    assert_eq!(merged.body["status"], "merged", "{:#}", merged.body);
    assert_eq!(merged.body["merged_into"], "older");
    assert!(
        helpdesk.wait(std::time::Duration::from_secs(10), |requests| requests
            .iter()
            .any(
                |r| r.method == "PUT" && r.path == "/api/v1/ticket_merge/512/20400"
            )),
        "Zammad got {:?}",
        helpdesk
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    service.stop();
}

#[test]
fn a_requester_citing_an_open_tickets_number_in_a_new_message_is_merged_into_it() {
    let service = Running::start(data_dir("dedupe-message"));
    let admin = tenant_with_dedupe(&service, "acme");
    let ticket = |id: &str, at: &str, channel: &str, number: Option<&str>, body: &str| {
        let mut ticket = json!({
            "id": id, "channel": channel, "status": "open",
            "requester": {"name": "Zoé Martin", "identities": [
                {"kind": "email", "value": "zoe.martin@example.fr"}]},
            "created_at": at, "updated_at": at,
            "messages": [{"id": format!("m-{id}"), "author_role": "requester",
                          "channel": channel, "body": body, "created_at": at}]
        });
        if let Some(number) = number {
            ticket["fields"] = json!([{"name": "number", "value": {"text": number}}]);
        }
        json!({"id": format!("ev-{id}"), "kind": {"type": "ticket_created"}, "occurred_at": at,
               "ticket": ticket})
    };
    for event in [
        ticket(
            "first",
            "2026-11-02T09:00:00Z",
            "email",
            Some("48213"),
            "Bonjour, ma carte est bloquée depuis ce matin.",
        ),
        ticket(
            "second",
            "2026-11-09T10:00:00Z",
            "chat",
            Some("48990"),
            "Je voudrais changer mon adresse de livraison.",
        ),
    ] {
        let answer = service.json("POST", "/v1/tenants/acme/events?wait=true", &admin, event);
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    service.wait_idle();
    // Different problems, a week apart: nothing merged yet.
    let second = service.call("GET", "/v1/tenants/acme/tickets/second", Some(&admin), None);
    assert_eq!(second.body["status"], "open");

    // On the second ticket, the requester writes about the first one's number.
    let at = "2026-11-09T10:05:00Z";
    let message = json!({"id": "ev-second-2", "occurred_at": at,
        "kind": {"type": "message_added", "message": {
            "id": "m-second-2", "author_role": "requester", "channel": "chat",
            "body": "Au fait, c'est au sujet de ma demande n°48213, toujours rien.",
            "created_at": at}},
        "ticket": {"id": "second", "channel": "chat",
                   "requester": {"identities": [{"kind": "email", "value": "zoe.martin@example.fr"}]},
                   "created_at": "2026-11-09T10:00:00Z", "updated_at": at}});
    let answer = service.json("POST", "/v1/tenants/acme/events?wait=true", &admin, message);
    assert_eq!(answer.status, 200, "{}", answer.body);
    service.wait_idle();
    let second = service.call("GET", "/v1/tenants/acme/tickets/second", Some(&admin), None);
    assert_eq!(second.body["status"], "merged", "{:#}", second.body);
    assert_eq!(second.body["merged_into"], "first");
    let first = service.call("GET", "/v1/tenants/acme/tickets/first", Some(&admin), None);
    assert!(
        first.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "m-second-2" && m["merged_from"] == "second"),
        "{:#}",
        first.body
    );
    service.stop();
}
