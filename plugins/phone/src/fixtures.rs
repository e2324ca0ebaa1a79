//! The fixtures checked against the adapter's logic: every `fixtures/*.http` case of
//! `expect.json` gets the status it expects (signature, then body), and every render
//! gives the requests it lists. The host's end-to-end test runs the same files
//! through the built component.

use serde_json::Value;

use crate::callback::{StatusCallback, parse_form};
use crate::config::Config;
use crate::render::{self, Reply};
use crate::signature;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

struct Http {
    method: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_http(name: &str) -> Http {
    let raw = std::fs::read(format!("{DIR}/{name}")).unwrap();
    let split = raw.windows(2).position(|w| w == b"\n\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let method = lines.next().unwrap().split(' ').next().unwrap().to_string();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_string())
        })
        .collect();
    Http {
        method,
        headers,
        body: raw[split + 2..].to_vec(),
    }
}

fn expect() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/expect.json")).unwrap()).unwrap()
}

/// The status the host would answer: 401 for a failed signature, 400 for a body that
/// is not a status callback, 200 otherwise.
fn status_of(config: &Config, http: &Http) -> u16 {
    let signature = http
        .headers
        .iter()
        .find(|(n, _)| n == "x-twilio-signature")
        .map(|(_, v)| v.as_str());
    let params = parse_form(&http.body);
    match signature {
        Some(s)
            if http.method == "POST"
                && signature::verify(&config.auth_token, &config.public_url, &params, s) => {}
        _ => return 401,
    }
    match StatusCallback::read(&params) {
        Ok(_) => 200,
        Err(_) => 400,
    }
}

#[test]
fn every_case_gets_its_status() {
    let expect = expect();
    let config = Config::parse(&expect["config"].to_string()).unwrap();
    assert!(Config::check(&expect["config"].to_string()).is_empty());
    let mut missed = Vec::new();
    for case in expect["cases"].as_array().unwrap() {
        let name = case["request"].as_str().unwrap();
        let http = read_http(name);
        assert_eq!(
            u64::from(status_of(&config, &http)),
            case["status"].as_u64().unwrap(),
            "{name}"
        );
        if let Ok(cb) = StatusCallback::read(&parse_form(&http.body))
            && let Some(call) = cb.missed_call(None, 0, &config.agents)
        {
            missed.push((name, call.caller, call.call_sid));
        }
    }
    // Two missed calls from the same caller, three callbacks with a valid signature.
    let callers: Vec<(&str, &str)> = missed.iter().map(|(n, c, _)| (*n, c.as_str())).collect();
    assert_eq!(
        callers,
        [
            ("missed-call.http", "+33612345678"),
            ("busy.http", "+33612345678"),
            ("bad-signature.http", "+33698765432"),
            ("no-signature.http", "+33698765432"),
        ]
    );
    assert_ne!(missed[0].2, missed[1].2);
}

#[test]
fn every_render_gives_its_requests() {
    let expect = expect();
    let config = Config::parse(&expect["config"].to_string()).unwrap();
    for render_case in expect["renders"].as_array().unwrap() {
        let ticket = &render_case["ticket"];
        let ticket_channel = ticket["channel"].as_str().unwrap();
        let to = ticket["requester"]["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == "phone")
            .and_then(|i| i["value"].as_str());
        let replies: Vec<Reply> = render_case["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == "public_reply")
            .map(|a| Reply {
                body: a["body"].as_str().unwrap().to_string(),
                by_sms: matches!(
                    a["channel"].as_str().unwrap_or(ticket_channel),
                    "phone" | "sms"
                ),
            })
            .collect();
        let requests = render::render(&config, to, &replies).unwrap();
        let expected = render_case["requests"].as_array().unwrap();
        assert_eq!(requests.len(), expected.len());
        for (got, want) in requests.iter().zip(expected) {
            assert_eq!(got.method, want["method"].as_str().unwrap());
            assert_eq!(got.url, want["url"].as_str().unwrap());
            assert_eq!(got.body, want["body"].as_str().unwrap());
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
