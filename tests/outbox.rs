//! Webhook delivery end to end: deliveries to one endpoint never wait on another's
//! receiver, and keep their order through a failed attempt, with real receivers on
//! loopback; the outbox's due index and backlog counter, also on a data directory
//! written before them; the ids of pending events recorded in an older one.

mod common;

use guichet::store::EventLog;
use guichet::store::OutboxStore;
use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use guichet::model::Event;
use guichet::store::{Enqueued, OutboxItem, SledStore};

use common::recorder::{Recorded, Recorder};
use common::service::{Running, data_dir};

/// An event that the triage example's rules act on (the fraud rule), for ticket
/// `ticket`.
fn acted_on(id: &str, ticket: &str) -> Value {
    let line = std::fs::read_to_string(common::root().join("examples/triage/events.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut event: Value = serde_json::from_str(&line).unwrap();
    event["id"] = json!(id);
    event["ticket"]["id"] = json!(ticket);
    event
}

/// Posts `event` and returns once it is processed (`?wait=true`).
fn process(s: &Running, tenant: &str, token: &str, event: &Value) -> Instant {
    let answer = s.json(
        "POST",
        &format!("/v1/tenants/{tenant}/events?wait=true"),
        token,
        event.clone(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    Instant::now()
}

fn add_webhook(s: &Running, tenant: &str, admin: &str, name: &str, url: &str) {
    let answer = s.json(
        "PUT",
        &format!("/v1/tenants/{tenant}/webhooks/{name}"),
        admin,
        json!({"url": url}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// A receiver that accepts connections and never answers; counts them.
struct Hanging {
    url: String,
    connections: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Hanging {
    fn start() -> Hanging {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let connections = Arc::new(Mutex::new(Vec::new()));
        let kept = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // Held open, never read, never answered.
                kept.lock().unwrap().push(stream);
            }
        });
        Hanging { url, connections }
    }

    fn count(&self) -> usize {
        self.connections.lock().unwrap().len()
    }
}

/// A webhook receiver that answers 200 after `delay`, one request at a time (see
/// [`Recorder`]), with what the tests ask of the deliveries it got.
struct Receiver {
    url: String,
    recorder: Recorder,
}

/// A delivery that a [`Receiver`] answers 500 the first time, once `release` says
/// so.
struct FailOnce {
    event_id: String,
    release: mpsc::Receiver<()>,
}

impl Receiver {
    fn start(delay: Duration) -> Receiver {
        Receiver::failing(delay, None)
    }

    fn failing(delay: Duration, mut fail: Option<FailOnce>) -> Receiver {
        let recorder = Recorder::start(move |request| {
            let failed = fail.take_if(|f| request.json()["event_id"] == f.event_id.as_str());
            if let Some(failed) = &failed {
                let _ = failed.release.recv();
            }
            std::thread::sleep(delay);
            if failed.is_some() { 500 } else { 200 }
        });
        Receiver {
            url: recorder.url("/hooks"),
            recorder,
        }
    }

    /// When the delivery of event `id` first arrived, waiting at most `within`.
    fn arrival(&self, id: &str, within: Duration) -> Option<Instant> {
        let of = |r: &Recorded| r.json()["event_id"] == id;
        self.recorder
            .wait(within, |all| all.iter().any(of))
            .then(|| self.recorder.requests().into_iter().find(of).unwrap().at)
    }

    /// The event ids of the requests, in the order they arrived, and of those
    /// answered 200.
    fn event_ids(&self) -> (Vec<String>, Vec<String>) {
        let seen = self.recorder.requests();
        let id = |r: &Recorded| r.json()["event_id"].as_str().unwrap().to_string();
        let all = seen.iter().map(id).collect();
        let ok = seen.iter().filter(|r| r.status == 200).map(id).collect();
        (all, ok)
    }

    /// Waits up to `within` for `n` requests answered 200.
    fn wait_for_delivered(&self, n: usize, within: Duration) {
        self.recorder.wait(within, |all| {
            all.iter().filter(|r| r.status == 200).count() >= n
        });
    }
}

/// The outbox backlog as `GET /metrics` says it.
fn backlog(s: &Running) -> u64 {
    let text = s
        .http
        .get(format!("{}/metrics", s.base))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("guichet_outbox_backlog "))
        .unwrap_or_else(|| panic!("no backlog in {text}"))
        .trim()
        .parse()
        .unwrap()
}

/// The field report: tenant A's webhook accepts connections and never answers,
/// tenant B's answers 200 at once. Three events for A, then one for B: B's delivery
/// arrives within 2 s of its event being processed (it took 50 s when one worker
/// attempted every endpoint in turn), while A's deliveries are being attempted.
#[test]
fn a_receiver_that_never_answers_does_not_delay_another_tenants_deliveries() {
    let hanging = Hanging::start();
    let quick = Receiver::start(Duration::ZERO);
    let s = Running::start(data_dir("outbox-hanging"));
    let a = s.tenant("tenant-a");
    let b = s.tenant("tenant-b");
    s.enable_triage("tenant-a", &a);
    s.enable_triage("tenant-b", &b);
    add_webhook(&s, "tenant-a", &a, "helpdesk", &hanging.url);
    add_webhook(&s, "tenant-b", &b, "helpdesk", &quick.url);

    for n in 1..=3 {
        process(
            &s,
            "tenant-a",
            &a,
            &acted_on(&format!("evt-a{n}"), &format!("t-a{n}")),
        );
    }
    let processed = process(&s, "tenant-b", &b, &acted_on("evt-b1", "t-b1"));
    let arrived = quick
        .arrival("evt-b1", Duration::from_secs(10))
        .expect("B's delivery arrives");
    let delay = arrived.saturating_duration_since(processed);
    eprintln!("B's delivery arrived {delay:?} after its event was processed");
    assert!(delay < Duration::from_secs(2), "B waited {delay:?}");
    assert!(hanging.count() >= 1, "A's deliveries are being attempted");

    // The backlog: A's three deliveries wait, B's is done.
    let mut waiting = backlog(&s);
    for _ in 0..100 {
        if waiting == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        waiting = backlog(&s);
    }
    assert_eq!(waiting, 3);

    // A stop waits for the attempt in progress, at most its timeout (2 s here), not
    // for A's other deliveries (6 s).
    let started = Instant::now();
    s.stop();
    let stop = started.elapsed();
    eprintln!("stopped in {stop:?} with an attempt hanging");
    assert!(stop < Duration::from_secs(5), "the stop took {stop:?}");
}

/// Another of the kind, inside one tenant: its `slow` webhook takes 300 ms to answer
/// each delivery (well under the 2 s timeout), its `quick` one answers at once.
/// Eight events are processed in a row: each reaches `quick` within 1.5 s of being
/// processed (attempted behind each of `slow`'s deliveries in turn, the last would
/// wait about 2.4 s), and `slow` gets all eight, in order.
#[test]
fn a_slow_webhook_does_not_delay_another_webhook_of_the_same_tenant() {
    let slow = Receiver::start(Duration::from_millis(300));
    let quick = Receiver::start(Duration::ZERO);
    let s = Running::start(data_dir("outbox-slow"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    // Named so that, in the outbox's key order, `a-slow` comes before `b-quick`.
    add_webhook(&s, "acme", &admin, "a-slow", &slow.url);
    add_webhook(&s, "acme", &admin, "b-quick", &quick.url);

    let ids: Vec<String> = (1..=8).map(|n| format!("evt-{n}")).collect();
    let processed: Vec<Instant> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| process(&s, "acme", &admin, &acted_on(id, &format!("t-{n}"))))
        .collect();
    let delays: Vec<Duration> = ids
        .iter()
        .zip(&processed)
        .map(|(id, processed)| {
            quick
                .arrival(id, Duration::from_secs(10))
                .expect("the quick webhook's delivery arrives")
                .saturating_duration_since(*processed)
        })
        .collect();
    eprintln!("quick webhook delays: {delays:?}");
    for delay in &delays {
        assert!(*delay < Duration::from_millis(1500), "{delays:?}");
    }
    slow.wait_for_delivered(ids.len(), Duration::from_secs(10));
    assert_eq!(slow.event_ids(), (ids.clone(), ids));
}

/// A receiver answers 500 to the first attempt of evt-1, after evt-2 and evt-3 are
/// queued too, and 200 to everything else: evt-1 is attempted again before evt-2
/// and evt-3 are sent, so the deliveries it accepts come in the order the events
/// were processed (they came in the order evt-2, evt-3, evt-1 when the worker went
/// on after a failure, or sent what was due before the retry).
#[test]
fn a_failed_delivery_is_retried_before_the_next_ones_to_its_endpoint() {
    let (release, gate) = mpsc::channel();
    let flaky = Receiver::failing(
        Duration::ZERO,
        Some(FailOnce {
            event_id: "evt-1".to_string(),
            release: gate,
        }),
    );
    let s = Running::start(data_dir("outbox-order"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    add_webhook(&s, "acme", &admin, "helpdesk", &flaky.url);

    process(&s, "acme", &admin, &acted_on("evt-1", "t-1"));
    // The first attempt of evt-1 is held until evt-2 and evt-3 are queued.
    flaky
        .arrival("evt-1", Duration::from_secs(10))
        .expect("evt-1 is attempted");
    process(&s, "acme", &admin, &acted_on("evt-2", "t-2"));
    process(&s, "acme", &admin, &acted_on("evt-3", "t-3"));
    release.send(()).unwrap();

    flaky.wait_for_delivered(3, Duration::from_secs(10));
    let (all, delivered) = flaky.event_ids();
    eprintln!("requests: {all:?}");
    assert_eq!(delivered, ["evt-1", "evt-2", "evt-3"], "requests: {all:?}");
    // Every attempt at evt-1 (one failed, at least one accepted) before evt-2's.
    let first_other = all.iter().position(|id| id != "evt-1").unwrap();
    assert!(first_other >= 2, "requests: {all:?}");
    assert!(all[first_other..].iter().all(|id| id != "evt-1"), "{all:?}");
}

fn item(tenant: &str, id: &str, second: i64) -> OutboxItem {
    OutboxItem {
        id: id.to_string(),
        tenant: tenant.to_string(),
        webhook: "helpdesk".to_string(),
        body: "{}".to_string(),
        request: None,
        attempts: 0,
        next_attempt_at: Utc.timestamp_opt(1_800_000_000 + second, 0).unwrap(),
        last_error: None,
    }
}

/// A data directory written before the due index (schema version 3) gets it, and
/// its backlog counter, once at open; then due deliveries come from the index in
/// due order, a page at a time, and the counter follows updates and removals.
#[test]
fn the_outbox_is_read_by_due_time_and_counted_also_in_an_older_data_directory() {
    let dir = data_dir("outbox-index");
    {
        let db = sled::open(&dir).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &3u64.to_be_bytes())
            .unwrap();
        let outbox = db.open_tree("outbox").unwrap();
        for item in [
            item("acme", "00000000000000000001-helpdesk", 30),
            item("acme", "00000000000000000002-helpdesk", 10),
            item("globex", "00000000000000000001-helpdesk", 20),
            item("globex", "00000000000000000002-helpdesk", 90),
        ] {
            let k = format!("{}\0{}", item.tenant, item.id);
            outbox
                .insert(k.as_bytes(), serde_json::to_vec(&item).unwrap())
                .unwrap();
        }
        db.flush().unwrap();
    }
    let store = SledStore::open(&dir).unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 4);
    let at = |second: i64| Utc.timestamp_opt(1_800_000_000 + second, 0).unwrap();
    let due = |up_to, after: Option<&OutboxItem>, limit| {
        store
            .due_outbox(at(up_to), after, limit)
            .unwrap()
            .into_iter()
            .map(|i| (i.tenant, i.next_attempt_at.timestamp() - 1_800_000_000))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        due(30, None, 10),
        [
            ("acme".to_string(), 10),
            ("globex".to_string(), 20),
            ("acme".to_string(), 30)
        ]
    );
    assert!(due(9, None, 10).is_empty());
    // Paging: after the first, the next one.
    let first = store.due_outbox(at(30), None, 1).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(due(30, Some(&first[0]), 1), [("globex".to_string(), 20)]);

    // A failed attempt moves the item later; a delivered one leaves; a dead letter
    // leaves the backlog.
    let mut moved = first[0].clone();
    moved.next_attempt_at = at(100);
    moved.attempts = 1;
    store.update_outbox(&moved).unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 4);
    assert_eq!(
        due(30, None, 10),
        [("globex".to_string(), 20), ("acme".to_string(), 30)]
    );
    assert_eq!(due(100, None, 10).len(), 4);
    store
        .remove_outbox("globex", "00000000000000000001-helpdesk")
        .unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 3);
    let dead = store.due_outbox(at(30), None, 1).unwrap().remove(0);
    store.dead_letter(&dead).unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 2);
    assert_eq!(due(30, None, 10), []);
    store.replay_dead_letter("acme", &dead.id, at(5)).unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 3);
    assert_eq!(due(5, None, 10), [("acme".to_string(), 5)]);

    // Once: the next open keeps the counter and the index as they are.
    drop(store);
    let store = SledStore::open(&dir).unwrap();
    assert_eq!(store.outbox_backlog().unwrap(), 3);
    assert_eq!(store.due_outbox(at(1000), None, 10).unwrap().len(), 3);
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A data directory of schema version 2 where one id is pending twice (a duplicate
/// let in by the version without `event_ids`): at open, the id is recorded with the
/// first of the two sequence numbers, so that the id sent again is a duplicate of
/// the first.
#[test]
fn the_first_of_two_pending_events_with_one_id_is_recorded_at_open() {
    let dir = data_dir("event-ids-twice");
    let event = |id: &str| -> Event { serde_json::from_value(acted_on(id, "t-1")).unwrap() };
    let at = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let seqs: Vec<u64> = {
        let store = SledStore::open(&dir).unwrap();
        ["e-1", "e-2"]
            .iter()
            .map(
                |id| match store.enqueue_event("acme", &event(id), None, at).unwrap() {
                    Enqueued::New(stored) => stored.seq,
                    Enqueued::Duplicate { .. } => panic!("{id} is new"),
                },
            )
            .collect()
    };
    {
        let db = sled::open(&dir).unwrap();
        let pending = db.open_tree("pending_events").unwrap();
        let k = format!("acme\0{:020}", seqs[1]);
        let mut stored: Value = serde_json::from_slice(&pending.get(&k).unwrap().unwrap()).unwrap();
        stored["event"]["id"] = json!("e-1");
        pending
            .insert(k.as_bytes(), serde_json::to_vec(&stored).unwrap())
            .unwrap();
        db.open_tree("event_ids").unwrap().clear().unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &2u64.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let store = SledStore::open(&dir).unwrap();
    assert_eq!(
        store
            .enqueue_event("acme", &event("e-1"), None, at)
            .unwrap(),
        Enqueued::Duplicate { seq: seqs[0] }
    );
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}
