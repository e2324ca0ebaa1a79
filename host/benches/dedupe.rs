//! What one `dedupe` call costs as a tenant's open tickets grow: 100, 10,000, then
//! 30,000.
//!
//! Run: `cargo bench --bench dedupe` (release build). For each size it starts the
//! service in-process on a fresh data directory under `target/bench-dedupe`, creates
//! a tenant with the `dedupe` reference plugin (the configuration its labelled sets
//! use), and posts that many `ticket_created` events (batches of 1,000, each ticket a
//! requester of its own with an e-mail, one in two with a phone number, one in three
//! with a ticket number, one in twenty a store review), so that the plugin builds its
//! link graph, number index and review index through the pipeline as in production.
//! Then it posts 200 probe tickets one at a time, each waited on: a returning
//! requester writing by WhatsApp about another problem (identity look-ups, text
//! compared with their open ticket), a new ticket citing an existing ticket's
//! number, and a new store review. From each probe's audit record it reads the
//! dedupe call's wall-clock time (µs, instantiation included) and fuel, and prints
//! the median and 90th percentile per kind of probe, side by side for the three sizes:
//! a call that scanned the tenant's tickets would grow a hundredfold, then threefold.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use common::service::{OPERATOR, Running};

const SIZES: [usize; 3] = [100, 10_000, 30_000];
const PROBES: usize = 200;

const PROBLEMS: [&str; 8] = [
    "Bonjour, ma carte bancaire est bloquée depuis ce matin, je ne peux plus payer.",
    "Hello, my parcel was marked as delivered but I never received it.",
    "Je souhaite résilier mon abonnement premium à la fin du mois.",
    "I was charged twice for the same order, please refund one payment.",
    "Impossible de me connecter à l'application, le code SMS n'arrive jamais.",
    "My transfer to a friend has been pending for three days.",
    "Je n'ai pas reçu ma facture du mois dernier pour la comptabilité.",
    "The app crashes every time I open the statements page.",
];

/// Words the base's store reviews are made of: 13 openings, 11 complaints, 7 endings.
const REVIEW_WORDS: [&str; 31] = [
    "Bof.",
    "Déçu.",
    "Nul.",
    "Moyen.",
    "Pas terrible.",
    "Dommage.",
    "Une étoile.",
    "Deux étoiles.",
    "Franchement ?",
    "Sérieux ?",
    "Hmm.",
    "Aïe.",
    "Bref.",
    "Le solde ne se met pas à jour.",
    "Les virements instantanés échouent.",
    "Impossible d'ajouter un bénéficiaire.",
    "Le scan du chèque floute tout.",
    "Les graphiques de dépenses sont faux.",
    "La carte virtuelle disparaît.",
    "Le mode sombre illisible.",
    "Les plafonds ne s'affichent plus.",
    "L'export PDF reste vide.",
    "Le chat support ne répond pas.",
    "Les catégories se mélangent.",
    "À corriger vite.",
    "Je désinstalle.",
    "Je change de banque.",
    "Merci de regarder.",
    "Vivement la mise à jour.",
    "Sinon correct.",
    "Trop lent.",
];

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap()
}

/// Ticket `n` of the tenant's base: a requester of its own (a store review one time
/// in twenty, with words of its own).
fn base_ticket(n: usize) -> Value {
    let at = (start_time() + Duration::seconds(n as i64)).to_rfc3339();
    let review = n % 20 == 19;
    let mut identities = vec![json!({"kind": "email", "value": format!("client{n}@example.fr")})];
    if n.is_multiple_of(2) {
        identities.push(json!({"kind": "phone", "value": format!("+336{:08}", n)}));
    }
    let (channel, identities) = if review {
        ("app_store_review", vec![])
    } else {
        ("email", identities)
    };
    // Reviews by different people are told apart by their words: each its own mix.
    let body = if review {
        format!(
            "{} {} {} (avis {n})",
            REVIEW_WORDS[n % 13],
            REVIEW_WORDS[13 + (n / 13) % 11],
            REVIEW_WORDS[24 + (n / 143) % 7]
        )
    } else {
        format!("{} (réf. client {n})", PROBLEMS[n % PROBLEMS.len()])
    };
    let mut ticket = json!({
        "id": format!("b-{n}"), "channel": channel, "status": "new",
        "requester": {"name": format!("Client {n}"), "identities": identities},
        "subject": if review { Value::Null } else { json!(format!("Demande {n}")) },
        "created_at": at, "updated_at": at,
        "messages": [{"id": format!("m-{n}"), "author_role": "requester", "channel": channel,
                      "body": body,
                      "created_at": at}]
    });
    if n.is_multiple_of(3) {
        ticket["fields"] =
            json!([{"name": "number", "value": {"text": format!("{}", 100_000 + n)}}]);
    }
    json!({"id": format!("ev-b-{n}"), "kind": {"type": "ticket_created"}, "occurred_at": at,
           "ticket": ticket})
}

/// Probe `p` against a base of `size`: its kind and its event.
fn probe(p: usize, size: usize) -> (&'static str, Value) {
    let at = (start_time() + Duration::seconds(size as i64 + 60 + p as i64)).to_rfc3339();
    // A requester of the base with a phone number and an open ticket.
    let n = (p * 37 % size) & !1;
    let (kind, channel, identities, body) = match p % 3 {
        0 => (
            "returning requester",
            "whatsapp",
            json!([{"kind": "whatsapp", "value": format!("336{:08}", n)}]),
            PROBLEMS[(n + 3) % PROBLEMS.len()].to_string(),
        ),
        1 => (
            "cites a number",
            "email",
            json!([{"kind": "email", "value": format!("client{}@example.fr", n / 6 * 6)}]),
            format!("Re: [#{}] toujours rien", 100_000 + n / 6 * 6),
        ),
        _ => (
            "store review",
            "app_store_review",
            json!([]),
            format!("Une étoile : {} Version {p}.", PROBLEMS[p % PROBLEMS.len()]),
        ),
    };
    let id = format!("p-{p}");
    (
        kind,
        json!({"id": format!("ev-{id}"), "kind": {"type": "ticket_created"}, "occurred_at": at,
               "ticket": {"id": id, "channel": channel, "status": "new",
                          "requester": {"identities": identities},
                          "created_at": at, "updated_at": at,
                          "messages": [{"id": format!("m-{id}"), "author_role": "requester",
                                        "channel": channel, "body": body, "created_at": at}]}}),
    )
}

fn percentile(values: &mut [u64], p: f64) -> u64 {
    values.sort_unstable();
    values[((values.len() - 1) as f64 * p).round() as usize]
}

/// Kind of probe → (µs, fuel) of each call.
type Calls = BTreeMap<&'static str, Vec<(u64, u64)>>;

/// The probes' calls on a base of `size` tickets.
fn measure(size: usize) -> Calls {
    let dir = common::root().join(format!("target/bench-dedupe/{size}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let service = Running::start(dir);
    let created = service.json("POST", "/v1/tenants", OPERATOR, json!({"id": "acme"}));
    let admin = created.body["admin_token"].as_str().unwrap().to_string();
    let installed = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/dedupe",
        &admin,
        json!({"reference": "dedupe", "enabled": true,
               "config": {"default_region": "FR", "window_hours": 72},
               "subscriptions": ["ticket_created", "message_added", "status_changed", "fields_changed"]}),
    );
    assert_eq!(installed.status, 200, "{}", installed.body);

    let filling = Instant::now();
    let events: Vec<Value> = (0..size).map(base_ticket).collect();
    for batch in events.chunks(1_000) {
        let answer = service.json("POST", "/v1/tenants/acme/events", &admin, json!(batch));
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    service.wait_idle();
    let open = service.call(
        "GET",
        "/v1/tenants/acme/tickets?status=new",
        Some(&admin),
        None,
    );
    println!(
        "{size} tickets posted and processed in {:.1} s; {} still open",
        filling.elapsed().as_secs_f64(),
        open.body.as_array().unwrap().len()
    );

    let mut by_kind = Calls::new();
    for p in 0..PROBES {
        let (kind, event) = probe(p, size);
        let answer = service.json("POST", "/v1/tenants/acme/events?wait=true", &admin, event);
        assert_eq!(answer.status, 200, "{}", answer.body);
        let audit = service.call(
            "GET",
            &format!("/v1/tenants/acme/tickets/p-{p}/audit"),
            Some(&admin),
            None,
        );
        let record = audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["plugin"] == "dedupe" && r["event_kind"] == "ticket_created")
            .expect("the dedupe call's record")
            .clone();
        assert!(record["error"].is_null(), "{record}");
        by_kind.entry(kind).or_default().push((
            record["duration_us"].as_u64().unwrap(),
            record["fuel_used"].as_u64().unwrap(),
        ));
    }
    service.stop();
    by_kind
}

fn main() {
    let results: Vec<(usize, Calls)> = SIZES.iter().map(|&size| (size, measure(size))).collect();
    println!();
    println!(
        "{:<22} {:>14} {:>22} {:>24}",
        "probe", "open tickets", "µs median / p90", "fuel median / p90"
    );
    for kind in results[0].1.keys() {
        for (size, by_kind) in &results {
            let calls = &by_kind[kind];
            let mut micros: Vec<u64> = calls.iter().map(|c| c.0).collect();
            let mut fuel: Vec<u64> = calls.iter().map(|c| c.1).collect();
            println!(
                "{kind:<22} {size:>14} {:>10} / {:>9} {:>12} / {:>9}",
                percentile(&mut micros, 0.5),
                percentile(&mut micros, 0.9),
                percentile(&mut fuel, 0.5),
                percentile(&mut fuel, 0.9),
            );
        }
    }
}
