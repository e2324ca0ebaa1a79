//! A noisy neighbour: one tenant's hostile plugins and flood of events must not lose
//! another tenant's events nor make it wait much longer than it does alone.
//!
//! Tenant `quiet` runs the reference `triage` plugin (its example configuration) and
//! posts one event at a time, at a steady modest rate, with `?wait=true`: the time
//! from the post to the answer (stored, processed by its plugin, committed) is its
//! latency. It is measured first with no neighbour, then while tenant `noisy` runs the
//! hostile test guest as seven plugins (a loop to the deadline, a memory bomb, deep
//! recursion, a huge result, a storage get/set flood, a ticket look-up flood, traps at
//! random points) on every one of its events, and floods the service with batches of
//! events from two clients that do not wait when told to retry. The service runs with
//! its pipeline's defaults (4 workers, of which one tenant may hold all but one) and a
//! backlog limit of [`BACKLOG`] events per tenant.
//!
//! What must hold: every quiet event is processed (its answer, and its ticket's audit
//! trail); the noisy tenant is held back (its backlog is full: `429 backlog-full`,
//! and the events in flight stay bounded) and its plugins that fail without end are
//! suspended by the circuit breaker, except the three it set never to be suspended
//! (`suspend_after: 0`), which keep its workers busy to the deadline of every call;
//! and the quiet tenant's 99th percentile under the noise is at most [`P99_RATIO`]
//! times the one alone (the latter floored at [`P99_FLOOR`], so that a very fast path
//! does not turn timer resolution into the bound).
//!
//! The goal is twice. On the project's 2-core machine, quiet, the test measures 1.7 to
//! 2.2 times (p99 5 to 5.5 ms alone, 9.5 to 12 ms beside): the noisy tenant keeps at
//! most its share of the cores busy (see `pipeline::lanes`) with calls that run to
//! their deadline, and the quiet tenant's request, store, plugin call and answer,
//! which overlap on two cores when alone, share the other. The bound is set above
//! that, at three times, so that the test fails on a regression (one tenant holding
//! every worker made it 4 to 5 times) rather than on the tail of one run. Both phases
//! start once triage's snapshot is made: measured while it was being compiled, the
//! quiet p99 alone was twice as long, and the ratio looked better than it is.
//!
//! Everything is bounded: fixed numbers of events, and the flood ends on a flag, a
//! request count or a time limit, whichever comes first.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::guest_path;
use common::service::{Running, client, data_dir};
use guichet::outbox::OutboxConfig;
use guichet::pipeline::PipelineConfig;
use guichet::serve::ServiceClock;

/// Quiet events measured in each phase (after [`WARM_UP`] unmeasured ones).
const QUIET_EVENTS: usize = 200;
/// Quiet events sent before the first phase, to leave first-call costs out.
const WARM_UP: usize = 10;
/// The quiet tenant's pace: one event every this long (or at once when the previous
/// answer came later than that).
const QUIET_INTERVAL: Duration = Duration::from_millis(15);
/// How many times its p99 alone the quiet tenant's p99 may be beside the noisy one.
const P99_RATIO: u32 = 3;

/// The least the quiet tenant's p99 alone counts for in the bound.
const P99_FLOOR: Duration = Duration::from_millis(5);
/// The tenants' backlog limit (`--max-backlog-per-tenant`): small, so that the flood
/// fills it within the test.
const BACKLOG: usize = 32;
/// The noisy tenant's clients, and the events each sends per request.
const FLOOD_CLIENTS: usize = 2;
const FLOOD_BATCH: usize = 8;
/// What bounds one flood client whatever happens: requests, and time.
const FLOOD_MAX_REQUESTS: usize = 4_000;
const FLOOD_MAX_TIME: Duration = Duration::from_secs(40);
/// How long a refused flood client pauses before it sends again (it ignores
/// `Retry-After: 1`, as a hostile client would).
const FLOOD_PAUSE: Duration = Duration::from_millis(10);

/// One of the noisy tenant's plugins: the hostile guest as `behaviour`.
struct Hostile {
    name: &'static str,
    behaviour: &'static str,
    /// Never suspended (`suspend_after: 0`): it runs on every event, to its deadline,
    /// and keeps the pressure on for the whole test. The others keep the default
    /// and are suspended after 5 failed calls in a row.
    never_suspended: bool,
    /// A word of the error that stops it (of its suspension's reason when it is
    /// suspended); empty when that depends on the machine (a memory bomb reaches the
    /// memory limit, or on a busy machine the deadline first).
    stopped_by: &'static str,
}

const NOISY_PLUGINS: [Hostile; 7] = [
    Hostile {
        name: "spin",
        behaviour: "loop",
        never_suspended: true,
        stopped_by: "deadline",
    },
    Hostile {
        name: "memory-bomb",
        behaviour: "grow-memory",
        never_suspended: false,
        stopped_by: "",
    },
    Hostile {
        name: "deep-recursion",
        behaviour: "recurse",
        never_suspended: false,
        stopped_by: "stack",
    },
    Hostile {
        name: "huge-result",
        behaviour: "huge-output",
        never_suspended: false,
        stopped_by: "output",
    },
    Hostile {
        name: "storage-flood",
        behaviour: "storage-call-flood",
        never_suspended: true,
        stopped_by: "deadline",
    },
    Hostile {
        name: "lookup-flood",
        behaviour: "ticket-lookup-flood",
        never_suspended: true,
        stopped_by: "deadline",
    },
    Hostile {
        name: "random-traps",
        behaviour: "random-trap",
        never_suspended: false,
        stopped_by: "trap",
    },
];

/// A `ticket_created` event for ticket `ticket`, whose requester is `email`.
fn ticket_created(id: &str, ticket: &str, email: &str) -> Value {
    let when = "2026-11-23T09:00:00Z";
    json!({
        "id": id,
        "kind": {"type": "ticket_created"},
        "occurred_at": when,
        "ticket": {
            "id": ticket, "channel": "email", "subject": "Carte volée",
            "requester": {"identities": [{"kind": "email", "value": email}]},
            "created_at": when, "updated_at": when,
            "messages": [{"id": "m-0", "author_role": "requester", "channel": "email",
                          "body": "On m'a volé ma carte bancaire hier soir", "created_at": when}]
        }
    })
}

/// Posts `body` as JSON with `token`; the status.
fn post(agent: &ureq::Agent, url: &str, token: &str, body: &Value) -> u16 {
    let mut response = agent
        .post(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("the service answers");
    let _ = response.body_mut().read_to_string();
    response.status().as_u16()
}

/// What the flood clients saw.
#[derive(Default)]
struct Flood {
    accepted_events: AtomicUsize,
    refused_requests: AtomicUsize,
    requests: AtomicUsize,
}

/// One noisy client: batches of new tickets, as fast as the service takes them;
/// refused, a short pause and again. Ends when `stop` is set, or at its bounds.
fn flood(base: &str, token: &str, client_no: usize, stop: &AtomicBool, seen: &Flood) {
    let agent = client();
    let url = format!("{base}/v1/tenants/noisy/events");
    let started = Instant::now();
    for r in 0..FLOOD_MAX_REQUESTS {
        if stop.load(Ordering::SeqCst) || started.elapsed() > FLOOD_MAX_TIME {
            break;
        }
        let batch: Vec<Value> = (0..FLOOD_BATCH)
            .map(|k| {
                let n = format!("{client_no}-{r}-{k}");
                ticket_created(&format!("n-{n}"), &format!("nt-{n}"), "mallory@example.org")
            })
            .collect();
        seen.requests.fetch_add(1, Ordering::SeqCst);
        match post(&agent, &url, token, &Value::Array(batch)) {
            202 => {
                seen.accepted_events
                    .fetch_add(FLOOD_BATCH, Ordering::SeqCst);
            }
            429 => {
                seen.refused_requests.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(FLOOD_PAUSE);
            }
            other => panic!("a noisy request answered {other}"),
        }
    }
}

/// The events in flight (every tenant's), from `/metrics`.
fn in_flight(agent: &ureq::Agent, base: &str) -> usize {
    let text = agent
        .get(format!("{base}/metrics"))
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("guichet_pipeline_in_flight "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the in-flight gauge")
}

/// Sets its flag when dropped: the flood ends even if the measuring thread panics.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Sends quiet events `ids` one at a time at [`QUIET_INTERVAL`], each with
/// `?wait=true`; the latency of each. Every answer must carry triage's decision.
fn quiet_round(s: &Running, token: &str, ids: &[String]) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(ids.len());
    let started = Instant::now();
    for (n, id) in ids.iter().enumerate() {
        let due = started + QUIET_INTERVAL * n as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let sent = Instant::now();
        let answer = s.json(
            "POST",
            "/v1/tenants/quiet/events?wait=true",
            token,
            ticket_created(id, &format!("t-{id}"), "zoe@example.fr"),
        );
        latencies.push(sent.elapsed());
        assert_eq!(answer.status, 200, "quiet event {id}: {}", answer.body);
        let decision = &answer.body["outcomes"][0]["decisions"][0];
        assert_eq!(decision["plugin"], "triage", "{}", answer.body);
        assert!(decision["error"].is_null(), "quiet event {id}: {decision}");
    }
    latencies
}

/// The `q`-quantile of `samples` (nearest rank).
fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[test]
fn a_hostile_flooding_tenant_neither_loses_nor_slows_a_quiet_one() {
    let test_started = Instant::now();
    // The service's defaults (its workers, and each tenant's share of them), but a
    // small backlog limit.
    let s = Running::start_piped(
        data_dir("noisy-neighbour"),
        ServiceClock::System,
        OutboxConfig::default(),
        PipelineConfig {
            max_backlog_per_tenant: BACKLOG,
            ..PipelineConfig::default()
        },
    );
    let quiet = s.tenant("quiet");
    s.enable_triage("quiet", &quiet);

    // The noisy tenant's plugins are installed (and compiled) before anything is
    // measured; they run only on its own events.
    let noisy = s.tenant("noisy");
    let wasm = std::fs::read(guest_path("hostile")).unwrap();
    for hostile in &NOISY_PLUGINS {
        let path = format!("/v1/tenants/noisy/plugins/{}", hostile.name);
        let uploaded = s.call(
            "PUT",
            &format!("{path}/component"),
            Some(&noisy),
            Some(wasm.clone()),
        );
        assert_eq!(uploaded.status, 201, "{}", uploaded.body);
        let mut settings = json!({"config": {"behaviour": hostile.behaviour}, "enabled": true,
                                  "subscriptions": ["ticket_created"]});
        if hostile.never_suspended {
            settings["suspend_after"] = json!(0);
        }
        let enabled = s.json("PUT", &path, &noisy, settings);
        assert_eq!(enabled.status, 200, "{}", enabled.body);
    }

    let ids = |phase: &str, count: usize| -> Vec<String> {
        (0..count).map(|n| format!("q-{phase}-{n}")).collect()
    };
    quiet_round(&s, &quiet, &ids("warm", WARM_UP));
    // Both phases measure triage pre-initialised (its snapshot is made in the
    // background after its first event), as in a service that has run for a while.
    s.wait_for_snapshots(1);

    // Alone.
    let alone = quiet_round(&s, &quiet, &ids("alone", QUIET_EVENTS));
    s.wait_idle();

    // With the noisy neighbour: its flood first fills its backlog, then the quiet
    // tenant is measured again while the flood goes on.
    let stop = AtomicBool::new(false);
    let seen = Flood::default();
    let max_in_flight = AtomicUsize::new(0);
    let (beside, flood_took) = std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        for client_no in 0..FLOOD_CLIENTS {
            let (base, token, stop, seen) = (&s.base, &noisy, &stop, &seen);
            scope.spawn(move || flood(base, token, client_no, stop, seen));
        }
        {
            let (base, stop, max_in_flight) = (&s.base, &stop, &max_in_flight);
            scope.spawn(move || {
                let agent = client();
                for _ in 0..2_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    max_in_flight.fetch_max(in_flight(&agent, base), Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
        let flood_started = Instant::now();
        let full_by = flood_started + Duration::from_secs(10);
        while seen.refused_requests.load(Ordering::SeqCst) == 0 && Instant::now() < full_by {
            std::thread::sleep(Duration::from_millis(10));
        }
        let latencies = quiet_round(&s, &quiet, &ids("noisy", QUIET_EVENTS));
        (latencies, flood_started.elapsed())
    });

    let p50_alone = quantile(&alone, 0.50);
    let p99_alone = quantile(&alone, 0.99);
    let p50_beside = quantile(&beside, 0.50);
    let p99_beside = quantile(&beside, 0.99);
    let bound = P99_RATIO * p99_alone.max(P99_FLOOR);
    let refused = seen.refused_requests.load(Ordering::SeqCst);
    let requests = seen.requests.load(Ordering::SeqCst);
    let accepted = seen.accepted_events.load(Ordering::SeqCst);
    let max_in_flight = max_in_flight.load(Ordering::SeqCst);

    // Which of the noisy tenant's plugins the circuit breaker suspended, and why.
    // The noisy tenant's events are still being worked through, slowly (it cools
    // down after each slow event while the quiet one is active): a plugin that fails
    // on every event is suspended once five of them are done.
    let mut suspended = Vec::new();
    for hostile in &NOISY_PLUGINS {
        let name = hostile.name;
        let waited = Instant::now();
        let plugin = loop {
            let plugin = s.call(
                "GET",
                &format!("/v1/tenants/noisy/plugins/{name}"),
                Some(&noisy),
                None,
            );
            let settled = plugin.body["suspended"].is_object() != hostile.never_suspended;
            if plugin.status != 200 || settled || waited.elapsed() > Duration::from_secs(30) {
                break plugin;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(plugin.status, 200, "{}", plugin.body);
        let suspension = &plugin.body["suspended"];
        assert_eq!(
            suspension.is_object(),
            !hostile.never_suspended,
            "plugin {name}: {}",
            plugin.body
        );
        if suspension.is_object() {
            let reason = suspension["reason"].as_str().unwrap_or_default();
            assert!(reason.contains(hostile.stopped_by), "{name}: {reason}");
            suspended.push(name);
        }
    }

    // Nothing of the quiet tenant lost: each event is in its ticket's trail, decided
    // by triage without error. The trail also says how long each triage call took,
    // to tell a slower call from a longer wait around it.
    let mut call_times = [Vec::new(), Vec::new()];
    for (phase, id) in ids("alone", QUIET_EVENTS)
        .into_iter()
        .map(|id| (0, id))
        .chain(ids("noisy", QUIET_EVENTS).into_iter().map(|id| (1, id)))
    {
        let audit = s.call(
            "GET",
            &format!("/v1/tenants/quiet/tickets/t-{id}/audit"),
            Some(&quiet),
            None,
        );
        assert_eq!(audit.status, 200, "{id}: {}", audit.body);
        let records = audit.body.as_array().expect("an audit trail");
        let record = records
            .iter()
            .find(|r| r["event_id"] == id.as_str() && r["plugin"] == "triage")
            .unwrap_or_else(|| panic!("quiet event {id} is not in its trail: {}", audit.body));
        assert!(record["error"].is_null(), "quiet event {id}: {record}");
        let took = record["duration_us"].as_u64().expect("a call's duration");
        call_times[phase].push(Duration::from_micros(took));
    }

    eprintln!(
        "quiet tenant, {QUIET_EVENTS} events each, ?wait=true round trip: \
         p50 {p50_alone:?} / p99 {p99_alone:?} alone; \
         p50 {p50_beside:?} / p99 {p99_beside:?} beside the noisy tenant (bound {bound:?}); \
         its triage call: p99 {:?} alone, {:?} beside",
        quantile(&call_times[0], 0.99),
        quantile(&call_times[1], 0.99),
    );
    eprintln!(
        "noisy tenant over {flood_took:?}: {requests} requests, {refused} refused (429), \
         {accepted} events accepted; at most {max_in_flight} events in flight; \
         suspended: {suspended:?}"
    );

    // The plugins never suspended ran on the noisy tenant's events, each to its
    // deadline.
    // Its events are still being worked through (its share of the workers is one
    // while the quiet tenant is active): wait for the first ticket's.
    let waited = Instant::now();
    let audit = loop {
        let audit = s.call(
            "GET",
            "/v1/tenants/noisy/tickets/nt-0-0-0/audit",
            Some(&noisy),
            None,
        );
        if audit.status != 404 || waited.elapsed() > Duration::from_secs(30) {
            break audit;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(audit.status, 200, "{}", audit.body);
    let records = audit.body.as_array().expect("an audit trail");
    for hostile in NOISY_PLUGINS.iter().filter(|h| h.never_suspended) {
        let record = records
            .iter()
            .find(|r| r["plugin"] == hostile.name)
            .unwrap_or_else(|| panic!("no record of {}: {}", hostile.name, audit.body));
        let error = record["error"].as_str().unwrap_or_default();
        assert!(error.contains(hostile.stopped_by), "{record}");
    }

    // The noisy tenant was held back rather than growing without bound.
    assert!(refused > 0, "the noisy tenant was never told to retry");
    let in_flight_bound = BACKLOG + FLOOD_CLIENTS * FLOOD_BATCH + 16;
    assert!(
        max_in_flight <= in_flight_bound,
        "{max_in_flight} events in flight (bound {in_flight_bound})"
    );
    assert!(!suspended.is_empty(), "no plugin was suspended");

    // And the quiet tenant was not slowed down much.
    assert!(
        p99_beside <= bound,
        "the quiet tenant's p99 went from {p99_alone:?} alone to {p99_beside:?} beside \
         the noisy tenant (bound {bound:?})"
    );
    eprintln!("test body took {:?}", test_started.elapsed());
}
