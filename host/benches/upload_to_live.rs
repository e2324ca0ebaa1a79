//! Upload to live: how long after an upload's answer the first event is decided by the
//! new component, for a component the service has compiled before.
//!
//! Run: `cargo bench --bench upload_to_live` (release build). It starts the service
//! in-process on loopback with a fresh data directory under
//! `target/bench-upload-to-live`, one tenant, and the `triage` plugin enabled with its
//! example configuration on new tickets. Two components alternate: `triage`'s bytes
//! with one custom section or another appended (the same code, two SHA-256s, so every
//! upload changes the version that runs). Each is uploaded once first (compiled
//! then, and pre-initialised with the configuration after its first event). Then, 50
//! times: `PUT /v1/tenants/{t}/plugins/triage/component` with the
//! other component, and as soon as its answer is in, `POST /v1/tenants/{t}/events
//! ?wait=true` with a new ticket; the time from the end of the upload to the answer
//! with the decision is the figure. Each decision is checked against the audit trail:
//! its `plugin_version` is the component just uploaded. Then 10 restarts, each
//! followed by one upload of the component not active, which is then in the compile
//! cache on disk but not in memory (the start's warm-up loads the active one only).
//! Prints the median, 95th percentile and maximum of both, and the uploads' own
//! durations.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use serde_json::Value;

use guichet::reference_plugins;
use guichet::runtime::sha256_hex;

use common::service::Running;

const ROUNDS: usize = 50;
/// Restarts, each followed by one upload of the component not active.
const RESTARTS: usize = 10;
const TENANT: &str = "acme";

/// `triage`'s component with a custom section named `guichet-bench` holding `tag`.
fn variant(tag: &[u8]) -> Vec<u8> {
    let mut bytes = reference_plugins::find("triage")
        .unwrap()
        .component
        .to_vec();
    let name = b"guichet-bench";
    bytes.push(0);
    bytes.push((1 + name.len() + tag.len()) as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(tag);
    bytes
}

fn upload(s: &Running, admin: &str, bytes: &[u8]) {
    let answer = s.call(
        "PUT",
        &format!("/v1/tenants/{TENANT}/plugins/triage/component"),
        Some(admin),
        Some(bytes.to_vec()),
    );
    assert_eq!(answer.status, 201, "{}", answer.body);
}

/// Posts a new ticket (`n` makes its ids unique) and waits for the decisions.
fn post(s: &Running, token: &str, template: &Value, n: usize) -> Value {
    let mut event = template.clone();
    event["id"] = format!("evt-{n}").into();
    event["ticket"]["id"] = format!("t-{n}").into();
    event["ticket"]["messages"][0]["id"] = format!("m-{n}").into();
    let answer = s.json(
        "POST",
        &format!("/v1/tenants/{TENANT}/events?wait=true"),
        token,
        event,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

/// The version of triage that decided ticket `n`, from its audit trail.
fn decided_by(s: &Running, token: &str, n: usize) -> String {
    let audit = s.call(
        "GET",
        &format!("/v1/tenants/{TENANT}/tickets/t-{n}/audit"),
        Some(token),
        None,
    );
    assert_eq!(audit.status, 200, "{}", audit.body);
    let record = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["plugin"] == "triage")
        .unwrap_or_else(|| panic!("no triage record: {}", audit.body));
    record["plugin_version"].as_str().unwrap().to_string()
}

/// The service's `GET /metrics` text.
fn metrics(s: &Running) -> String {
    let mut response = s.http.get(format!("{}/metrics", s.base)).call().unwrap();
    response.body_mut().read_to_string().unwrap()
}

fn main() {
    let dir = common::root().join("target/bench-upload-to-live");
    let _ = std::fs::remove_dir_all(&dir);
    let s = Running::start(dir.clone());
    let admin = s.tenant(TENANT);
    let integration = s.token(TENANT, &admin, "integration");
    s.enable_triage(TENANT, &admin);
    let template: Value = serde_json::from_str(
        std::fs::read_to_string(common::root().join("examples/triage/events.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let components = [variant(b"a"), variant(b"b")];
    let shas = components.each_ref().map(|c| sha256_hex(c));

    // Each compiled once, and run once.
    let mut n = 0;
    for (component, sha) in components.iter().zip(&shas) {
        upload(&s, &admin, component);
        post(&s, &integration, &template, n);
        assert_eq!(&decided_by(&s, &integration, n), sha);
        n += 1;
    }
    // Each component's first event also had the service pre-initialise it with the
    // configuration (a compilation in the background): the rounds run once those
    // snapshots are made, as a service that has run for a while does.
    s.wait_for_snapshots(2);
    let compiled_before = metrics(&s);

    let mut to_live = Vec::with_capacity(ROUNDS);
    let mut uploads = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let which = round % 2;
        let sent = Instant::now();
        upload(&s, &admin, &components[which]);
        let uploaded = Instant::now();
        let answer = post(&s, &integration, &template, n);
        let decided = Instant::now();
        let decision = &answer["outcomes"][0]["decisions"][0];
        assert_eq!(decision["plugin"], "triage", "{answer}");
        assert!(decision.get("error").is_none(), "{decision}");
        assert_eq!(
            decided_by(&s, &integration, n),
            shas[which],
            "the event after the upload was decided by the new version"
        );
        uploads.push(uploaded - sent);
        to_live.push(decided - uploaded);
        n += 1;
    }
    let after_rounds = metrics(&s);
    let compiled = |text: &str| -> String {
        text.lines()
            .find(|l| l.starts_with("guichet_components_compiled_total "))
            .unwrap_or("?")
            .to_string()
    };
    assert_eq!(
        compiled(&compiled_before),
        compiled(&after_rounds),
        "no upload of the measured rounds compiled"
    );
    let mut s = s;

    // The same after restarts: the component not uploaded last is then in the
    // compile cache on disk, not in memory (the warm-up loads the active one only).
    let mut restarted_to_live = Vec::with_capacity(RESTARTS);
    let mut restarted_uploads = Vec::with_capacity(RESTARTS);
    let mut which = ROUNDS % 2;
    for _ in 0..RESTARTS {
        s.stop();
        s = Running::start(dir.clone());
        s.runtime.block_on(s.service.as_ref().unwrap().warmed_up());
        let sent = Instant::now();
        upload(&s, &admin, &components[which]);
        let uploaded = Instant::now();
        post(&s, &integration, &template, n);
        let decided = Instant::now();
        assert_eq!(decided_by(&s, &integration, n), shas[which]);
        restarted_uploads.push(uploaded - sent);
        restarted_to_live.push(decided - uploaded);
        n += 1;
        which = 1 - which;
    }
    let after_restarts = metrics(&s);
    assert_eq!(
        compiled(&after_restarts),
        "guichet_components_compiled_total 0",
        "after a restart, uploads load from the compile cache"
    );
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let summary = |mut v: Vec<Duration>| {
        v.sort();
        let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        format!(
            "p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            ms(at(0.5)),
            ms(at(0.95)),
            ms(*v.last().unwrap())
        )
    };
    println!(
        "{ROUNDS} uploads of an already-compiled triage component ({} bytes), alternating two versions",
        components[0].len()
    );
    println!(
        "end of upload -> first event decided by the new version: {}",
        summary(to_live)
    );
    println!(
        "the upload itself (PUT, answer included):                {}",
        summary(uploads)
    );
    println!(
        "after a restart ({RESTARTS} times), the component in the compile cache on disk, not in memory:"
    );
    println!(
        "end of upload -> first event decided by the new version: {}",
        summary(restarted_to_live)
    );
    println!(
        "the upload itself (PUT, answer included):                {}",
        summary(restarted_uploads)
    );
}
