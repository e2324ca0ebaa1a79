//! The fixtures checked against the adapter's logic: every `fixtures/*.http` case of
//! `expect.json` gets the status it expects, the tickets it expects (the host's rules
//! simulated: one ticket per `external-ticket-id`, a message id already seen
//! ignored), and every render gives the requests it lists. The host's end-to-end test
//! runs the same files through the built component.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::config::Config;
use crate::render;
use crate::reviews::{self, Review, Store};
use crate::signature;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

struct Http {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_http(name: &str) -> Http {
    let raw = std::fs::read(format!("{DIR}/{name}")).unwrap();
    let split = raw.windows(2).position(|w| w == b"\n\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let headers = head
        .lines()
        .skip(1)
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_string())
        })
        .collect();
    Http {
        headers,
        body: raw[split + 2..].to_vec(),
    }
}

fn header<'a>(http: &'a Http, name: &str) -> Option<&'a str> {
    http.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn expect() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/expect.json")).unwrap()).unwrap()
}

/// What `handle-inbound` decides, as a status and the reviews.
fn handle(config: &Config, http: &Http) -> (u16, Vec<Review>) {
    let Some(sig) = header(http, "x-relay-signature") else {
        return (401, Vec::new());
    };
    if signature::verify(&config.relay_secret, &http.body, sig).is_err() {
        return (401, Vec::new());
    }
    let Some(store) = header(http, "x-relay-store").and_then(Store::from_header) else {
        return (400, Vec::new());
    };
    match reviews::read(store, &http.body) {
        Ok(reviews) => (200, reviews),
        Err(_) => (400, Vec::new()),
    }
}

#[derive(Default)]
struct Ticket {
    subject: String,
    identity: String,
    messages: Vec<String>,
}

#[test]
fn every_case_gets_its_status_and_tickets() {
    let expect = expect();
    let config = Config::parse(&expect["config"].to_string()).unwrap();
    assert!(Config::check(&expect["config"].to_string()).is_empty());
    let mut tickets: BTreeMap<String, Ticket> = BTreeMap::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for case in expect["cases"].as_array().unwrap() {
        let name = case["request"].as_str().unwrap();
        let (status, reviews) = handle(&config, &read_http(name));
        assert_eq!(
            u64::from(status),
            case["status"].as_u64().unwrap(),
            "{name}"
        );
        for review in reviews {
            if !seen.insert(review.external_message_id()) {
                continue;
            }
            let ticket = tickets
                .entry(review.external_ticket_id())
                .or_insert_with(|| Ticket {
                    subject: review.subject(),
                    identity: review.identity(),
                    messages: Vec::new(),
                });
            ticket.messages.push(review.body.clone());
        }
        let Some(expected) = case["tickets"].as_array() else {
            continue;
        };
        assert_eq!(tickets.len(), expected.len(), "{name}");
        for want in expected {
            let id = want["external_id"].as_str().unwrap();
            let got = tickets.get(id).unwrap_or_else(|| panic!("{name}: no {id}"));
            assert_eq!(want["channel"], "app_store_review");
            assert_eq!(want["subject"], got.subject.as_str(), "{name} {id}");
            assert_eq!(
                want["identities"],
                json!([{"kind": "app_store", "value": got.identity}]),
                "{name} {id}"
            );
            assert_eq!(want["messages"], json!(got.messages), "{name} {id}");
        }
    }
}

#[test]
fn every_render_gives_its_requests() {
    let expect = expect();
    let config = Config::parse(&expect["config"].to_string()).unwrap();
    for render_case in expect["renders"].as_array().unwrap() {
        let ticket = &render_case["ticket"];
        let replies: Vec<String> = render_case["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| {
                a["type"] == "public_reply"
                    && a["channel"]
                        .as_str()
                        .unwrap_or(ticket["channel"].as_str().unwrap())
                        == "app_store_review"
            })
            .map(|a| a["body"].as_str().unwrap().to_string())
            .collect();
        let requests = render::render(&config, ticket["external_id"].as_str(), &replies).unwrap();
        let expected = render_case["requests"].as_array().unwrap();
        assert_eq!(requests.len(), expected.len());
        for (got, want) in requests.iter().zip(expected) {
            assert_eq!(got.method, want["method"].as_str().unwrap());
            assert_eq!(got.url, want["url"].as_str().unwrap());
            let body: Value = serde_json::from_str(&got.body).unwrap();
            assert_eq!(body, want["body"]);
            for header in want["headers"].as_array().unwrap() {
                let pair = (
                    header["name"].as_str().unwrap().to_string(),
                    header["value"].as_str().unwrap().to_string(),
                );
                assert!(got.headers.contains(&pair), "{pair:?}");
            }
        }
    }
}
