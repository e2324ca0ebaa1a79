//! Crash recovery end to end: the real `guichet serve` killed with SIGKILL again and
//! again, at random points, while helpdesk clients post events and the outbox
//! delivers webhooks to a receiver in this process, and restarted on the same data
//! directory each time. Once it is left running, every acknowledged event must have
//! been processed exactly once, each ticket's events in the order they were posted,
//! and every delivery must have reached the receiver at least once, a repeat always
//! carrying the same delivery id.
//!
//! The schedule (kill delays, pacing, the receiver's moods) comes from a seeded
//! generator: the seed is printed, and `GUICHET_CRASH_SEED=<seed>` runs it again.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use common::recorder::{Recorded, Recorder};
use common::service::{OPERATOR, Running, data_dir, free_port};
use common::{guest_path, root};

const TENANT: &str = "crash";
/// Client threads posting events, each for its own tickets.
const CLIENTS: usize = 8;
const TICKETS_PER_CLIENT: usize = 8;
/// A `ticket_created`, then `message_added`s, posted in this order.
const EVENTS_PER_TICKET: usize = 5;
/// SIGKILLs, each followed by a restart on the same data directory.
const KILLS: usize = 24;
/// How long a client keeps trying one event before it gives up (and the test fails).
const EVENT_PATIENCE: Duration = Duration::from_secs(60);
/// How long the service has to drain its pipeline and outbox after the last restart.
const DRAIN: Duration = Duration::from_secs(45);

/// The receiver's mood, set by the supervisor for each life of the service.
const FAST: u8 = 0;
const NORMAL: u8 = 1;
const SLOW: u8 = 2;
const FAILING: u8 = 3;
/// A delivery is failed at most this often by the receiver, so that no retry waits
/// longer than 2 s under the service's default schedule (1 s, 2 s, 4 s…).
const MAX_FAILURES_PER_DELIVERY: u32 = 2;

fn seed() -> u64 {
    match std::env::var("GUICHET_CRASH_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("GUICHET_CRASH_SEED={s:?} is not a u64")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    }
}

/// The real binary, started on the data directory; its log goes to a file per life.
struct Guichet {
    child: Child,
}

impl Guichet {
    fn spawn(dir: &Path, listen: &str, life: usize) -> Guichet {
        let log = File::create(dir.join(format!("log-{life:02}.txt"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(["serve", "--data-dir"])
            .arg(dir.join("data"))
            .args(["--listen", listen, "--operator-token", OPERATOR])
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("guichet serve starts");
        Guichet { child }
    }

    /// Waits until `GET /v1/health` answers 200; panics if the process exits first.
    fn wait_healthy(&mut self, base: &str, dir: &Path, life: usize) {
        let agent = agent(Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = agent.get(format!("{base}/v1/health")).call()
                && r.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "guichet exited ({status}) before serving, life {life}; its log: {}",
                    dir.join(format!("log-{life:02}.txt")).display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "guichet did not serve within 30 s, life {life}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and the process reaped.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL guichet");
        self.child.wait().expect("reap guichet");
    }
}

impl Drop for Guichet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that never pools connections: a connection the service's death closed
/// must not be taken for a sent request.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .max_idle_connections(0)
        .build()
        .into()
}

/// Event `n` (0-based) of ticket `ticket`: a creation, then messages, a second apart.
fn event(ticket: &str, t: usize, n: usize) -> Value {
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z").unwrap()
        + chrono::Duration::minutes(t as i64);
    let created = base.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let at = (base + chrono::Duration::seconds(n as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let subjects = [
        "Virement en attente",
        "Ma carte a été volée",
        "Facture de TVA introuvable",
        "Question sur mon compte",
    ];
    let requester = json!({"identities": [{"kind": "email",
                                            "value": format!("client-{t}@example.fr")}]});
    let message = |body: String| {
        json!({"id": format!("m-{n}"), "author_role": "requester", "channel": "email",
               "body": body, "created_at": at})
    };
    if n == 0 {
        json!({
            "id": event_id(ticket, 0), "kind": {"type": "ticket_created"}, "occurred_at": at,
            "ticket": {"id": ticket, "channel": "email", "subject": subjects[t % subjects.len()],
                       "requester": requester, "created_at": created, "updated_at": at,
                       "messages": [message(format!("Bonjour, ticket {ticket}."))]}
        })
    } else {
        json!({
            "id": event_id(ticket, n), "occurred_at": at,
            "kind": {"type": "message_added", "message": message(format!("Relance {n}."))},
            "ticket": {"id": ticket, "channel": "email", "requester": requester,
                       "created_at": created, "updated_at": at}
        })
    }
}

fn event_id(ticket: &str, n: usize) -> String {
    format!("{ticket}-e{n}")
}

fn ticket_id(client: usize, k: usize) -> String {
    format!("t-{client}-{k}")
}

/// What a client knows of one of its events once the service acknowledged it.
#[derive(Debug, Clone)]
struct Acked {
    event_id: String,
    ticket: String,
    /// Its place among the ticket's events, as posted.
    index: usize,
    /// The `seq` of the answer that acknowledged it.
    seq: u64,
    /// Requests of it whose outcome was unknown (the connection died with the
    /// service).
    unknown: u32,
    /// The acknowledging answer said `duplicate`: an earlier request, unanswered,
    /// had stored it.
    duplicate: bool,
    idempotency_key: bool,
    /// Posted in a batch (a JSON array).
    batch: bool,
}

/// Counters the supervisor reads to say what each kill interrupted.
#[derive(Default)]
struct Progress {
    acked: AtomicUsize,
    clients_done: AtomicUsize,
    /// Requests whose outcome was unknown, and requests refused at the connection.
    unknown: AtomicUsize,
    refused: AtomicUsize,
}

/// Posts the events of the client's tickets (each ticket's in order, tickets
/// interleaved at random; a quarter of the requests a batch, holding the next event of
/// up to 4 tickets) until each is acknowledged. A request cut by a kill is sent again
/// as it was: the same event ids, and the same `Idempotency-Key` if it had one.
fn client(
    base: &str,
    token: &str,
    client: usize,
    seed: u64,
    progress: &Progress,
) -> (Vec<Acked>, Option<String>) {
    let mut acked = Vec::new();
    let failure = post_all(base, token, client, seed, progress, &mut acked).err();
    (acked, failure)
}

/// [`client`]'s work: the events acknowledged go to `acked` as they are.
fn post_all(
    base: &str,
    token: &str,
    client: usize,
    seed: u64,
    progress: &Progress,
    acked: &mut Vec<Acked>,
) -> Result<(), String> {
    let mut rng =
        StdRng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(client as u64 + 1));
    let http = agent(Duration::from_secs(20));
    let mut next = [0usize; TICKETS_PER_CLIENT];
    loop {
        let mut open: Vec<usize> = (0..TICKETS_PER_CLIENT)
            .filter(|&k| next[k] < EVENTS_PER_TICKET)
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        let batch = rng.random_bool(0.25);
        let size = if batch {
            rng.random_range(1..=open.len().min(4))
        } else {
            1
        };
        let mut tickets = Vec::with_capacity(size);
        for _ in 0..size {
            tickets.push(open.swap_remove(rng.random_range(0..open.len())));
        }
        // (ticket index, event index, ticket id, event id)
        let posted: Vec<(usize, usize, String, String)> = tickets
            .iter()
            .map(|&k| {
                let ticket = ticket_id(client, k);
                let id = event_id(&ticket, next[k]);
                (k, next[k], ticket, id)
            })
            .collect();
        let events: Vec<Value> = posted
            .iter()
            .map(|(k, n, ticket, _)| event(ticket, client * TICKETS_PER_CLIENT + k, *n))
            .collect();
        let body = if batch {
            Value::Array(events).to_string()
        } else {
            events[0].to_string()
        };
        let ids: Vec<&str> = posted.iter().map(|p| p.3.as_str()).collect();
        let with_key = rng.random_bool(0.5);
        let key = format!("key-{}", ids.join("+"));
        let wait = rng.random_bool(0.3);
        let url = format!(
            "{base}/v1/tenants/{TENANT}/events{}",
            if wait { "?wait=true" } else { "" }
        );
        let started = Instant::now();
        let (mut unknown, mut refused) = (0, 0);
        let accepted: Vec<Value> = loop {
            if started.elapsed() > EVENT_PATIENCE {
                return Err(format!(
                    "client {client}: events {ids:?} not acknowledged within \
                     {EVENT_PATIENCE:?} ({unknown} unknown outcomes, {refused} refused \
                     connections)"
                ));
            }
            let mut request = http
                .post(&url)
                .header("Authorization", format!("Bearer {token}"))
                .header("Content-Type", "application/json");
            if with_key {
                request = request.header("Idempotency-Key", &key);
            }
            match request.send(body.as_bytes()) {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let text = response.body_mut().read_to_string();
                    match (status, text) {
                        (200 | 202, Ok(text)) => {
                            let answer: Value = serde_json::from_str(&text)
                                .map_err(|e| format!("events {ids:?}: answer {text:?}: {e}"))?;
                            break answer["accepted"].as_array().cloned().unwrap_or_default();
                        }
                        // The answer was cut: its outcome is unknown.
                        (200 | 202, Err(_)) => unknown += 1,
                        (429, _) => std::thread::sleep(Duration::from_millis(500)),
                        (status, text) => {
                            return Err(format!(
                                "events {ids:?}: answered {status}: {}",
                                text.unwrap_or_default()
                            ));
                        }
                    }
                }
                Err(ureq::Error::ConnectionFailed) => refused += 1,
                Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    refused += 1
                }
                Err(_) => unknown += 1,
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        progress
            .unknown
            .fetch_add(unknown as usize, Ordering::SeqCst);
        progress
            .refused
            .fetch_add(refused as usize, Ordering::SeqCst);
        let answered: Vec<&str> = accepted
            .iter()
            .filter_map(|a| a["event_id"].as_str())
            .collect();
        if answered != ids {
            return Err(format!(
                "events {ids:?} answered for {answered:?}: {accepted:?}"
            ));
        }
        for ((k, n, ticket, id), a) in posted.into_iter().zip(&accepted) {
            progress.acked.fetch_add(1, Ordering::SeqCst);
            acked.push(Acked {
                event_id: id,
                ticket,
                index: n,
                seq: a["seq"].as_u64().unwrap_or_default(),
                unknown,
                duplicate: a["duplicate"].as_bool().unwrap_or_default(),
                idempotency_key: with_key,
                batch,
            });
            next[k] += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(60..300)));
    }
}

/// The webhook receiver: answers as the supervisor's current mood says, failing a
/// given delivery at most [`MAX_FAILURES_PER_DELIVERY`] times.
fn receiver(mood: Arc<AtomicU8>, seed: u64) -> Recorder {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xDEC0_DE00);
    let mut failures: HashMap<String, u32> = HashMap::new();
    Recorder::start(move |request: &Recorded| {
        let id = request.header("x-guichet-delivery").to_string();
        let (delay, fail) = match mood.load(Ordering::SeqCst) {
            FAST => (0, false),
            NORMAL => (rng.random_range(10..60), false),
            SLOW => (rng.random_range(150..250), false),
            _ => {
                let failed = failures.entry(id).or_default();
                *failed += 1;
                (5, *failed <= MAX_FAILURES_PER_DELIVERY)
            }
        };
        std::thread::sleep(Duration::from_millis(delay));
        if fail { 500 } else { 200 }
    })
}

/// `guichet_outbox_backlog` and `guichet_pipeline_in_flight` from `/metrics`.
fn backlog(base: &str) -> Option<(u64, u64)> {
    let text = agent(Duration::from_secs(5))
        .get(format!("{base}/metrics"))
        .call()
        .ok()?
        .body_mut()
        .read_to_string()
        .ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| v as u64)
    };
    Some((
        value("guichet_outbox_backlog ")?,
        value("guichet_pipeline_in_flight ")?,
    ))
}

/// Sets up tenant [`TENANT`]: triage on new tickets, a plugin that tags every ticket
/// on every event (so that every event has applied actions, hence a delivery), and a
/// webhook to `hooks`. Returns the admin token and an integration token.
fn set_up(s: &Running, hooks: &str) -> (String, String) {
    let admin = s.tenant(TENANT);
    let config: Value = serde_json::from_str(&common::triage_config()).unwrap();
    let plugins = format!("/v1/tenants/{TENANT}/plugins");
    // A deadline well above the calls' (a busy 2-core machine must not make one
    // fail), and no circuit breaker.
    let limits = json!({"deadline_ms": 1000});
    let triage = s.json(
        "PUT",
        &format!("{plugins}/triage"),
        &admin,
        json!({"reference": "triage", "config": config, "enabled": true, "order": 1,
               "subscriptions": ["ticket_created"], "limits": limits, "suspend_after": 0}),
    );
    assert_eq!(triage.status, 200, "{}", triage.body);
    let wasm = std::fs::read(guest_path("hostile")).unwrap();
    let uploaded = s.call(
        "PUT",
        &format!("{plugins}/tagger/component"),
        Some(&admin),
        Some(wasm),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    // Any behaviour the guest does not know: one `add_tags ["behaved"]` per event.
    let tagger = s.json(
        "PUT",
        &format!("{plugins}/tagger"),
        &admin,
        json!({"config": {"behaviour": "behave"}, "enabled": true, "order": 2,
               "subscriptions": ["ticket_created", "message_added"], "limits": limits,
               "suspend_after": 0}),
    );
    assert_eq!(tagger.status, 200, "{}", tagger.body);
    let webhook = s.json(
        "PUT",
        &format!("/v1/tenants/{TENANT}/webhooks/recorder"),
        &admin,
        json!({"url": hooks}),
    );
    assert_eq!(webhook.status, 200, "{}", webhook.body);
    let token = s.token(TENANT, &admin, "integration");
    (admin, token)
}

/// What the kills interrupted.
#[derive(Default, Debug)]
struct Kills {
    /// Before the service answered its health route.
    during_startup: usize,
    /// While clients were still posting.
    while_posting: usize,
    /// With deliveries in the outbox, by `/metrics`.
    with_outbox_backlog: usize,
    /// With events accepted and not yet committed, by `/metrics`.
    with_events_in_flight: usize,
    /// Once every client was done, with deliveries in the outbox.
    delivering_only: usize,
}

#[test]
fn sigkill_at_random_points_loses_no_event_applies_none_twice_and_loses_no_delivery() {
    let started = Instant::now();
    let seed = seed();
    eprintln!("crash_recovery seed: {seed} (GUICHET_CRASH_SEED={seed} replays this schedule)");
    let mut rng = StdRng::seed_from_u64(seed);

    let dir: PathBuf = data_dir("crash-recovery");
    std::fs::create_dir_all(&dir).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");

    let mood = Arc::new(AtomicU8::new(NORMAL));
    let hooks = receiver(mood.clone(), seed);

    let mut life = 0;
    let mut guichet = Guichet::spawn(&dir, &listen, life);
    guichet.wait_healthy(&base, &dir, life);
    let (admin, token) = set_up(&Running::attach(&base), &hooks.url("/hooks"));

    let progress = Arc::new(Progress::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, token, progress) = (base.clone(), token.clone(), progress.clone());
            std::thread::spawn(move || {
                let result = client(&base, &token, c, seed, &progress);
                progress.clients_done.fetch_add(1, Ordering::SeqCst);
                (result, started.elapsed())
            })
        })
        .collect();

    // Kill, restart, again; the receiver's mood changes with each life.
    let mut kills = Kills::default();
    // Lives of the service per mood of the receiver: fast, normal, slow, failing.
    let mut moods = [0usize; 4];
    let delivered_ok = |hooks: &Recorder| {
        hooks
            .requests()
            .iter()
            .filter(|r| r.status == 200)
            .map(|r| r.header("x-guichet-delivery").to_string())
            .collect::<HashSet<_>>()
            .len()
    };
    for _ in 0..KILLS {
        let m = match rng.random_range(0..10) {
            0..5 => NORMAL,
            5..8 => SLOW,
            _ => FAILING,
        };
        mood.store(m, Ordering::SeqCst);
        moods[usize::from(m)] += 1;
        let roll = rng.random_range(0..10);
        if life > 0 && roll == 0 {
            // Killed while it opens the store and resumes pending events.
            std::thread::sleep(Duration::from_millis(rng.random_range(0..40)));
            kills.during_startup += 1;
        } else {
            if life > 0 {
                guichet.wait_healthy(&base, &dir, life);
            }
            let up = match roll {
                1..3 => rng.random_range(20..150),
                _ => rng.random_range(200..1200),
            };
            std::thread::sleep(Duration::from_millis(up));
        }
        let posting = progress.clients_done.load(Ordering::SeqCst) < CLIENTS;
        kills.while_posting += usize::from(posting);
        if let Some((outbox, in_flight)) = backlog(&base) {
            kills.with_outbox_backlog += usize::from(outbox > 0);
            kills.with_events_in_flight += usize::from(in_flight > 0);
            kills.delivering_only += usize::from(!posting && outbox > 0);
        }
        guichet.kill();
        life += 1;
        guichet = Guichet::spawn(&dir, &listen, life);
    }
    guichet.wait_healthy(&base, &dir, life);
    mood.store(FAST, Ordering::SeqCst);

    let mut acked: Vec<Acked> = Vec::new();
    let mut client_failures = Vec::new();
    let mut posting_took = Duration::ZERO;
    for handle in clients {
        match handle.join() {
            Ok(((events, failure), took)) => {
                posting_took = posting_took.max(took);
                acked.extend(events);
                client_failures.extend(failure);
            }
            Err(_) => client_failures.push("a client thread panicked (see above)".to_string()),
        }
    }
    let kills_took = started.elapsed();

    // Drain: the pipeline and the outbox empty, every event's delivery answered 200.
    let s = Running::attach(&base);
    let drain_started = Instant::now();
    let drained = loop {
        let backlog = backlog(&base);
        if backlog == Some((0, 0)) && delivered_ok(&hooks) >= acked.len() {
            break true;
        }
        if drain_started.elapsed() > DRAIN {
            eprintln!("not drained within {DRAIN:?}: (outbox backlog, in flight) = {backlog:?}");
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let drain_took = drain_started.elapsed();

    let mut problems: Vec<String> = client_failures;

    // Events: each acknowledged event once in its ticket's audit trail, with one call
    // of each plugin subscribed to its kind, at the seq it was acknowledged with, in
    // the order posted.
    let mut by_ticket: BTreeMap<String, Vec<Acked>> = BTreeMap::new();
    for a in &acked {
        by_ticket
            .entry(a.ticket.clone())
            .or_default()
            .push(a.clone());
    }
    let mut seq_of: HashMap<String, u64> = HashMap::new();
    for (ticket, events) in &mut by_ticket {
        events.sort_by_key(|a| a.index);
        let audit = s.call(
            "GET",
            &format!("/v1/tenants/{TENANT}/tickets/{ticket}/audit"),
            Some(&token),
            None,
        );
        if audit.status != 200 {
            problems.push(format!(
                "ticket {ticket}: audit answered {} {} (its {} acknowledged events are lost)",
                audit.status,
                audit.body,
                events.len()
            ));
            continue;
        }
        let records = audit.body.as_array().cloned().unwrap_or_default();
        let ours: HashSet<&str> = events.iter().map(|a| a.event_id.as_str()).collect();
        let mut order: Vec<String> = Vec::new();
        for a in events.iter() {
            let of: Vec<&Value> = records
                .iter()
                .filter(|r| r["event_id"] == a.event_id.as_str())
                .collect();
            let mut plugins: Vec<&str> = of.iter().filter_map(|r| r["plugin"].as_str()).collect();
            plugins.sort_unstable();
            let expected: &[&str] = if a.index == 0 {
                &["tagger", "triage"]
            } else {
                &["tagger"]
            };
            if of.is_empty() {
                problems.push(format!(
                    "LOST EVENT: {} (ticket {ticket}, #{} posted, acknowledged with seq {}{}) \
                     has no audit record",
                    a.event_id,
                    a.index,
                    a.seq,
                    if a.duplicate { " as a duplicate" } else { "" }
                ));
                continue;
            }
            if plugins != expected {
                problems.push(format!(
                    "{}: plugin calls {plugins:?} in the audit, expected {expected:?} once \
                     each{}",
                    a.event_id,
                    if plugins.len() > expected.len() {
                        " (APPLIED MORE THAN ONCE)"
                    } else {
                        ""
                    }
                ));
            }
            let seqs: HashSet<u64> = of.iter().filter_map(|r| r["event_seq"].as_u64()).collect();
            if seqs.len() != 1 || !seqs.contains(&a.seq) {
                problems.push(format!(
                    "{}: audit records at seqs {seqs:?}, acknowledged with seq {} \
                     (more than one seq: stored and processed more than once)",
                    a.event_id, a.seq
                ));
            }
            if let Some(error) = of.iter().find_map(|r| r["error"].as_str()) {
                problems.push(format!("{}: a plugin call failed: {error}", a.event_id));
            }
            seq_of.insert(a.event_id.clone(), a.seq);
        }
        for r in &records {
            if let Some(id) = r["event_id"].as_str()
                && ours.contains(id)
                && order.last().map(String::as_str) != Some(id)
            {
                order.push(id.to_string());
            }
        }
        // Follow-ups of triage's actions have other kinds; an event of the kinds
        // posted that is not one of them was made up or stored under another id.
        for r in &records {
            let id = r["event_id"].as_str().unwrap_or_default();
            if matches!(
                r["event_kind"].as_str(),
                Some("ticket_created" | "message_added")
            ) && !ours.contains(id)
            {
                problems.push(format!(
                    "ticket {ticket}: the audit has event {id:?} ({}, seq {}), never \
                     acknowledged",
                    r["event_kind"], r["event_seq"]
                ));
            }
        }
        let posted: Vec<String> = events.iter().map(|a| a.event_id.clone()).collect();
        let present: Vec<String> = posted
            .iter()
            .filter(|id| order.contains(id))
            .cloned()
            .collect();
        if order != present {
            problems.push(format!(
                "ORDER BROKEN on ticket {ticket}: audit has {order:?}, posted {posted:?}"
            ));
        }
        let seqs: Vec<u64> = events.iter().map(|a| a.seq).collect();
        if seqs.windows(2).any(|w| w[0] >= w[1]) {
            problems.push(format!(
                "ORDER BROKEN on ticket {ticket}: acknowledged seqs {seqs:?} for {posted:?}"
            ));
        }
        // The conversation: each message once, in order.
        let got = s.call(
            "GET",
            &format!("/v1/tenants/{TENANT}/tickets/{ticket}"),
            Some(&token),
            None,
        );
        let messages: Vec<String> = got.body["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let expected: Vec<String> = (0..events.len()).map(|n| format!("m-{n}")).collect();
        if messages != expected {
            problems.push(format!(
                "ticket {ticket}: messages {messages:?}, expected {expected:?}"
            ));
        }
    }
    let total = CLIENTS * TICKETS_PER_CLIENT * EVENTS_PER_TICKET;
    if acked.len() != total {
        problems.push(format!(
            "{} of {total} events acknowledged (see the clients' errors)",
            acked.len()
        ));
    }

    // Deliveries: at least one per event, answered 200 at least once, every repeat
    // with the same id, one id per event.
    let requests = hooks.requests();
    let mut ids_of_event: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut events_of_id: HashMap<String, HashSet<String>> = HashMap::new();
    let mut ok_ids: HashSet<String> = HashSet::new();
    let mut repeats_after_ok = 0;
    let mut seen_ok: HashSet<String> = HashSet::new();
    for r in &requests {
        let id = r.header("x-guichet-delivery").to_string();
        let body = r.json();
        let event = body["event_id"].as_str().unwrap_or_default().to_string();
        if let Some(&seq) = seq_of.get(&event)
            && body["event_seq"].as_u64() != Some(seq)
        {
            problems.push(format!(
                "delivery {id} of {event} reports seq {}, the event's is {seq}",
                body["event_seq"]
            ));
        }
        let mut plugins: Vec<&str> = body["decisions"]
            .as_array()
            .map(|d| d.iter().filter_map(|d| d["plugin"].as_str()).collect())
            .unwrap_or_default();
        plugins.sort_unstable();
        let expected: &[&str] = if event.ends_with("-e0") {
            &["tagger", "triage"]
        } else {
            &["tagger"]
        };
        if plugins != expected {
            problems.push(format!(
                "delivery {id} of {event} reports the decisions of {plugins:?}, expected \
                 {expected:?} once each"
            ));
        }
        if seen_ok.contains(&id) {
            repeats_after_ok += 1;
        }
        if r.status == 200 {
            ok_ids.insert(id.clone());
            seen_ok.insert(id.clone());
        }
        ids_of_event
            .entry(event.clone())
            .or_default()
            .insert(id.clone());
        events_of_id.entry(id).or_default().insert(event);
    }
    for a in &acked {
        match ids_of_event.get(&a.event_id) {
            None => problems.push(format!(
                "LOST DELIVERY: no webhook delivery of {} (seq {}) reached the receiver",
                a.event_id, a.seq
            )),
            Some(ids) if ids.len() > 1 => problems.push(format!(
                "{}: delivered under several ids {ids:?} (a repeat must keep its id)",
                a.event_id
            )),
            Some(ids) if !ids.iter().any(|id| ok_ids.contains(id)) => problems.push(format!(
                "LOST DELIVERY: the delivery {ids:?} of {} was never answered 200 (the outbox \
                 gave up or is still waiting)",
                a.event_id
            )),
            Some(_) => {}
        }
    }
    let ours: HashSet<&str> = acked.iter().map(|a| a.event_id.as_str()).collect();
    for (event, ids) in &ids_of_event {
        if !ours.contains(event.as_str()) {
            problems.push(format!(
                "a delivery {ids:?} of an event never posted: {event:?}"
            ));
        }
    }
    for (id, events) in &events_of_id {
        if events.len() > 1 {
            problems.push(format!(
                "delivery id {id} used for several events {events:?}"
            ));
        }
    }
    let dead = s.call(
        "GET",
        &format!("/v1/tenants/{TENANT}/dead-letters"),
        Some(&admin),
        None,
    );
    if dead.body.as_array().is_none_or(|d| !d.is_empty()) {
        problems.push(format!("dead letters ({}): {}", dead.status, dead.body));
    }

    let distinct = events_of_id.len();
    let repeats = requests.len() - distinct;
    let unknown = progress.unknown.load(Ordering::SeqCst);
    let retried = acked.iter().filter(|a| a.unknown > 0).count();
    let stored_unanswered = acked.iter().filter(|a| a.duplicate).count();
    let keyed = acked.iter().filter(|a| a.idempotency_key).count();
    let batched = acked.iter().filter(|a| a.batch).count();
    let refused = progress.refused.load(Ordering::SeqCst);
    // A life that panicked or failed to open its store says so in its log.
    for n in 0..=life {
        let log = dir.join(format!("log-{n:02}.txt"));
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .find(|l| l.contains("panicked") || l.contains(" ERROR "))
        {
            problems.push(format!("{}: {line}", log.display()));
        }
    }
    let failed = requests.iter().filter(|r| r.status != 200).count();
    eprintln!(
        "crash_recovery: seed {seed}; {life} SIGKILLs: {} during startup, {} while clients \
         were posting, {} with events in flight, {} with deliveries in the outbox ({} of \
         them after the clients were done)",
        kills.during_startup,
        kills.while_posting,
        kills.with_events_in_flight,
        kills.with_outbox_backlog,
        kills.delivering_only,
    );
    eprintln!(
        "crash_recovery: {} of {total} events acknowledged ({keyed} with an \
         Idempotency-Key, {batched} in batches); {retried} sent again after requests of \
         unknown outcome ({unknown} such requests), {stored_unanswered} of them answered \
         as duplicates (stored before the kill); {refused} connections refused while down",
        acked.len(),
    );
    eprintln!(
        "crash_recovery: {} webhook requests for {distinct} deliveries ({failed} answered \
         500 on purpose): {repeats} repeats, each with its delivery's id, {repeats_after_ok} \
         of them after a 200",
        requests.len(),
    );
    eprintln!(
        "crash_recovery: lives per receiver mood (fast, normal, slow, failing): {moods:?}; \
         posting ended after {posting_took:?}, the last restart after {kills_took:?}, \
         draining took {drain_took:?}, in all {:?}; logs in {}",
        started.elapsed(),
        dir.display()
    );
    drop(guichet);
    assert!(
        problems.is_empty() && drained,
        "{} problem(s) after {life} SIGKILLs (seed {seed}, GUICHET_CRASH_SEED={seed} to \
         replay; logs of each life in {}){}:\n{}",
        problems.len(),
        dir.display(),
        if drained { "" } else { "; NOT DRAINED" },
        problems.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
