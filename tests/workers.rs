//! Several workers on one PostgreSQL database, end to end: three real `guichet serve`
//! processes share a fresh database, helpdesk clients post each ticket's events to a
//! different worker each time, and one worker is killed with SIGKILL a third of the
//! way through (just after it acknowledged a burst of events it had not processed
//! yet, if it was not quick enough).
//!
//! Once the load is over, the two survivors must have made good on every event any of
//! the three acknowledged, as read back through the API:
//!
//! - exactly once: one audit record of the plugin per acknowledged event, never two
//!   for one event;
//! - in order: each ticket's events were processed in the order they were posted, in
//!   sequence and in time, whichever worker accepted or processed them;
//! - nothing lost: every acknowledged event was processed, those the dead worker
//!   held included (taken over once its heartbeat was stale);
//! - timers: every timer the plugin set fired once and only once (the timekeeper role
//!   moving to a survivor if the dead worker held it), and tagged its ticket.
//!
//! The plugin is the `timers` test guest (`tests/guests/timers`): a message line
//! `set NAME +SECONDS` sets a timer, and a fired timer tags its ticket `fired:NAME`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use common::guest_path;
use common::service::{Running, data_dir, free_port};

const TENANT: &str = "acme";
/// The same operator token for every worker: they share the tenants and tokens.
const OPERATOR: &str = common::service::OPERATOR;
/// Client threads posting events, each for its own tickets.
const CLIENTS: usize = 3;
const TICKETS_PER_CLIENT: usize = 8;
/// After its `ticket_created`, each ticket gets this many `message_added`.
const MESSAGES: usize = 10;
/// Tickets created in one batch on worker 2 just before it is killed; their messages
/// then go to the survivors, which must wait for the creations to be taken over.
const BURST_TICKETS: usize = 12;
/// The worker killed (worker 2).
const KILLED: usize = 1;
/// Between two rounds of a client's posts (one event of each of its tickets).
const PACE: Duration = Duration::from_millis(100);
/// How long one event may take to be acknowledged by some worker.
const EVENT_PATIENCE: Duration = Duration::from_secs(30);
/// How long the survivors have, after the last post, to process everything and
/// fire every timer.
const SETTLE: Duration = Duration::from_secs(60);
/// How long a worker has to stop after SIGTERM (the pipeline's 5 s drain at most,
/// and slack for a busy machine).
const STOP_BOUND: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------
// The workers

/// One `guichet serve` process on the shared database; killed when dropped, so that
/// a failing test leaves no process behind.
struct Worker {
    /// 1, 2 or 3.
    number: usize,
    data_dir: PathBuf,
    base: String,
    child: Option<Child>,
}

impl Worker {
    fn start(number: usize, store: &str) -> Worker {
        let data_dir = data_dir(&format!("workers-{number}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        let log = File::create(data_dir.join("guichet.log")).unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(["serve", "--store", store, "--data-dir"])
            .arg(&data_dir)
            .args(["--listen", &listen, "--operator-token", OPERATOR])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("guichet serve starts");
        Worker {
            number,
            data_dir,
            base: format!("http://{listen}"),
            child: Some(child),
        }
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.join("guichet.log")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last `lines` lines of the worker's log, headed.
    fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        format!(
            "--- worker {} ({}), last {} lines of {}:\n{}",
            self.number,
            self.base,
            lines.min(all.len()),
            self.log_path().display(),
            all[all.len().saturating_sub(lines)..].join("\n")
        )
    }

    /// Waits until `GET /v1/health` answers 200; panics if the process exits first or
    /// it does not answer within 30 s.
    fn wait_ready(&mut self) {
        let http = agent(Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{}/v1/health", self.base)).call()
                && r.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "worker {} exited ({status}) before serving\n{}",
                    self.number,
                    self.log_tail(40)
                );
            }
            assert!(
                Instant::now() < deadline,
                "worker {} did not answer /v1/health within 30 s\n{}",
                self.number,
                self.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and the process reaped.
    fn kill(&mut self) {
        let mut child = self.child.take().expect("a running worker");
        child.kill().expect("SIGKILL the worker");
        child.wait().expect("reap the worker");
    }

    /// Sends SIGTERM (a clean stop).
    fn terminate(&self) {
        let pid = self.child.as_ref().expect("a running worker").id();
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill -TERM");
        assert!(sent.success(), "kill -TERM {pid} failed: {sent}");
    }

    /// Waits up to `bound` for the worker to exit; kills it (and says so) past that.
    fn wait_exit(&mut self, bound: Duration) -> Result<ExitStatus, String> {
        let child = self.child.as_mut().expect("a running worker");
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return Ok(status);
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(format!(
                    "worker {} did not stop within {bound:?} of SIGTERM (killed)",
                    self.number
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The tails of every worker's log, for a failure's message.
fn logs(workers: &[Worker]) -> String {
    workers
        .iter()
        .map(|w| w.log_tail(25))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A client that never pools connections: a connection to the killed worker must not
/// be taken for a live one.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .max_idle_connections(0)
        .build()
        .into()
}

// ---------------------------------------------------------------------------------
// The load

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn ticket_id(index: usize) -> String {
    format!("t-{index:02}")
}

/// Ticket `index`'s event `n` (0: its creation; then messages), its body's timer
/// lines included.
fn event(index: usize, n: usize, created_at: &str, at: &str, body: &str) -> Value {
    let ticket = ticket_id(index);
    let message = json!({"id": format!("m-{n}"), "author_role": "requester",
                         "channel": "email", "body": body, "created_at": at});
    if n == 0 {
        json!({
            "id": format!("{ticket}-e0"), "kind": {"type": "ticket_created"}, "occurred_at": at,
            "ticket": {"id": ticket, "channel": "email",
                       "requester": {"identities": [{"kind": "email",
                                                     "value": format!("client-{index}@example.fr")}]},
                       "created_at": at, "updated_at": at, "messages": [message]}
        })
    } else {
        json!({
            "id": format!("{ticket}-e{n}"), "occurred_at": at,
            "kind": {"type": "message_added", "message": message},
            "ticket": {"id": ticket, "channel": "email", "requester": {"identities": []},
                       "created_at": created_at, "updated_at": at}
        })
    }
}

/// The body of ticket `index`'s event `n`, and the timers its `set` lines set.
///
/// A ticket's timers are all set by one of its events: a fired timer adds a note
/// dated at its due time, and the guest reads the ticket's latest message, so a
/// `set` line in a message dated before an earlier timer's due time, but processed
/// after it fired, would be read as the note instead.
fn body(index: usize, n: usize) -> (String, Vec<String>) {
    let burst = index >= CLIENTS * TICKETS_PER_CLIENT;
    // Client tickets set theirs at messages 1 to 10, so that timers fall due all
    // along the load and after it; burst tickets at their creation.
    let with_timers = if burst { 0 } else { 1 + index % MESSAGES };
    let text = if n == 0 {
        format!("Bonjour, ticket {}.", ticket_id(index))
    } else {
        format!("Relance {n}.")
    };
    if n != with_timers {
        return (text, Vec::new());
    }
    let timers: Vec<String> = if burst {
        vec![format!("k{index}a")]
    } else {
        vec![format!("k{index}a"), format!("k{index}b")]
    };
    let lines: Vec<String> = timers
        .iter()
        .enumerate()
        .map(|(i, name)| format!("set {name} +{}", 2 + i))
        .collect();
    (format!("{text}\n{}", lines.join("\n")), timers)
}

/// An event a worker acknowledged (200 or 202).
#[derive(Debug, Clone)]
struct Acked {
    ticket: String,
    event_id: String,
    /// The `seq` of the answer: the event's place in the tenant's log.
    seq: u64,
    /// Answered as a redelivery: a request whose answer was lost had stored it.
    duplicate: bool,
    /// The worker that acknowledged it (1, 2 or 3).
    worker: usize,
}

/// What the clients and the killer share.
struct Load {
    bases: Vec<String>,
    token: String,
    /// Set shortly after worker 2 is killed: from then on, workers 1 and 3 only.
    down: AtomicBool,
    /// Client events acknowledged so far.
    acked: AtomicUsize,
    /// Requests that failed (connection cut or refused, 5xx) and were sent again to
    /// another worker.
    resent: AtomicUsize,
}

impl Load {
    /// The workers to post to, by index.
    fn live(&self) -> Vec<usize> {
        if self.down.load(Ordering::SeqCst) {
            vec![0, 2]
        } else {
            vec![0, 1, 2]
        }
    }

    /// Posts `events` (one, or a batch) to live worker number `slot` (modulo how many
    /// are live), and on a failure to the next one, until a worker acknowledges them;
    /// the same event ids each time, so a resent event that was stored after all is
    /// answered as a duplicate.
    fn post(
        &self,
        http: &ureq::Agent,
        slot: usize,
        events: &[Value],
    ) -> Result<Vec<Acked>, String> {
        let body = if events.len() == 1 {
            events[0].to_string()
        } else {
            Value::Array(events.to_vec()).to_string()
        };
        let ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            if started.elapsed() > EVENT_PATIENCE {
                return Err(format!(
                    "events {ids:?} not acknowledged within {EVENT_PATIENCE:?} ({attempt} attempts)"
                ));
            }
            let live = self.live();
            let worker = live[(slot + attempt) % live.len()];
            let sent = http
                .post(format!("{}/v1/tenants/{TENANT}/events", self.bases[worker]))
                .header("Authorization", format!("Bearer {}", self.token))
                .header("Content-Type", "application/json")
                .send(body.as_bytes());
            let (status, text) = match sent {
                Ok(mut response) => (
                    response.status().as_u16(),
                    response.body_mut().read_to_string(),
                ),
                // Refused or reset (the killed worker): no answer.
                Err(e) => (0, Err(e)),
            };
            match (status, text) {
                (200 | 202, Ok(text)) => {
                    let answer: Value = serde_json::from_str(&text)
                        .map_err(|e| format!("events {ids:?}: answer {text:?}: {e}"))?;
                    let accepted = answer["accepted"].as_array().cloned().unwrap_or_default();
                    let answered: Vec<&str> = accepted
                        .iter()
                        .filter_map(|a| a["event_id"].as_str())
                        .collect();
                    if answered != ids {
                        return Err(format!(
                            "events {ids:?} answered for {answered:?}: {answer}"
                        ));
                    }
                    return Ok(events
                        .iter()
                        .zip(&accepted)
                        .map(|(event, a)| Acked {
                            ticket: event["ticket"]["id"].as_str().unwrap().to_string(),
                            event_id: event["id"].as_str().unwrap().to_string(),
                            seq: a["seq"].as_u64().expect("a seq"),
                            duplicate: a["duplicate"].as_bool().unwrap_or_default(),
                            worker: worker + 1,
                        })
                        .collect());
                }
                // Nothing stored: the same worker, a little later.
                (429, _) => {
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
                // No answer, a cut one, or the service's own failure: not acknowledged,
                // and maybe stored; sent again to the next live worker.
                (0 | 200 | 202, Err(_)) | (500..=599, _) => {}
                (status, text) => {
                    return Err(format!(
                        "events {ids:?}: worker {} answered {status}: {}",
                        worker + 1,
                        text.unwrap_or_default()
                    ));
                }
            }
            attempt += 1;
            self.resent.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A client: round after round, the next event of each of its tickets, each ticket's
/// in order; ticket `k`'s event `n` goes to live worker `client + k + n`, so that its
/// successive events go to different workers.
fn client(load: &Load, client: usize) -> Result<Vec<Acked>, String> {
    let http = agent(Duration::from_secs(10));
    let tickets: Vec<usize> = (0..TICKETS_PER_CLIENT)
        .map(|k| client * TICKETS_PER_CLIENT + k)
        .collect();
    let mut created_at = vec![String::new(); tickets.len()];
    let mut acked = Vec::new();
    for n in 0..=MESSAGES {
        for (k, &index) in tickets.iter().enumerate() {
            let at = now();
            if n == 0 {
                created_at[k] = at.clone();
            }
            let event = event(index, n, &created_at[k], &at, &body(index, n).0);
            let answered = load.post(&http, client + k + n, &[event])?;
            load.acked.fetch_add(answered.len(), Ordering::SeqCst);
            acked.extend(answered);
        }
        std::thread::sleep(PACE);
    }
    Ok(acked)
}

// ---------------------------------------------------------------------------------
// What the survivors say

/// A ticket as read through the API: the `timers` plugin's audit records, its tags.
/// Empty for a ticket not stored yet (its creation not processed yet).
struct Seen {
    records: Vec<Value>,
    tags: Vec<String>,
}

fn see(api: &Running, admin: &str, ticket: &str) -> Seen {
    let get = |path: String| {
        let answer = api.call("GET", &path, Some(admin), None);
        if answer.status == 404 {
            return None;
        }
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        Some(answer.body)
    };
    let Some(audit) = get(format!("/v1/tenants/{TENANT}/tickets/{ticket}/audit")) else {
        return Seen {
            records: Vec::new(),
            tags: Vec::new(),
        };
    };
    let records = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["plugin"] == "timers")
        .cloned()
        .collect();
    let ticket = get(format!("/v1/tenants/{TENANT}/tickets/{ticket}")).unwrap_or_default();
    let tags = ticket["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    Seen { records, tags }
}

fn is_timer(record: &Value) -> bool {
    record["event_kind"] == "timer_fired"
}

/// The timer's name in a timer event's id: `timer:<ticket>:<plugin>:<due>:<name>`.
fn timer_name(record: &Value) -> String {
    record["event_id"]
        .as_str()
        .unwrap()
        .splitn(5, ':')
        .nth(4)
        .unwrap_or_default()
        .to_string()
}

/// Whether every acknowledged event of the ticket has a record and every timer set
/// on it fired.
fn done(seen: &Seen, acked: &[&Acked], timers: &[String]) -> bool {
    let seqs: Vec<u64> = seen
        .records
        .iter()
        .filter_map(|r| r["event_seq"].as_u64())
        .collect();
    let fired: Vec<String> = seen
        .records
        .iter()
        .filter(|r| is_timer(r))
        .map(timer_name)
        .collect();
    acked.iter().all(|a| seqs.contains(&a.seq)) && timers.iter().all(|t| fired.contains(t))
}

/// The lines of a log that contain `text`.
fn lines_with<'a>(log: &'a str, text: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.contains(text)).collect()
}

/// The `events=N` of a log line.
fn events_field(line: &str) -> usize {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("events="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn three_workers_share_the_work_and_survive_one_killed_mid_load() {
    let started = Instant::now();
    let store = common::postgres::server().database();

    // Three workers, started together on the fresh database.
    let mut workers: Vec<Worker> = (1..=3).map(|n| Worker::start(n, &store)).collect();
    for worker in &mut workers {
        worker.wait_ready();
    }
    let ready_after = started.elapsed();

    // Through worker 1: the tenant and the timers guest, on creations and messages.
    let api1 = Running::attach(&workers[0].base);
    let admin = api1.tenant(TENANT);
    let wasm = std::fs::read(guest_path("timers")).unwrap();
    let uploaded = api1.call(
        "PUT",
        &format!("/v1/tenants/{TENANT}/plugins/timers/component"),
        Some(&admin),
        Some(wasm),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    // A deadline well above a call's on a busy machine, and no circuit breaker: every
    // event must run the plugin.
    let settings = api1.json(
        "PUT",
        &format!("/v1/tenants/{TENANT}/plugins/timers"),
        &admin,
        json!({"enabled": true, "subscriptions": ["ticket_created", "message_added"],
               "limits": {"deadline_ms": 1000}, "suspend_after": 0}),
    );
    assert_eq!(settings.status, 200, "{}", settings.body);

    // The load: three clients over the three workers.
    let load = Arc::new(Load {
        bases: workers.iter().map(|w| w.base.clone()).collect(),
        token: admin.clone(),
        down: AtomicBool::new(false),
        acked: AtomicUsize::new(0),
        resent: AtomicUsize::new(0),
    });
    let load_started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let load = load.clone();
            std::thread::spawn(move || client(&load, c))
        })
        .collect();

    // A third of the way through: a burst of creations on worker 2, acknowledged,
    // then SIGKILL at once, before it can have processed them all.
    let client_events = CLIENTS * TICKETS_PER_CLIENT * (MESSAGES + 1);
    let until = Instant::now() + Duration::from_secs(30);
    while load.acked.load(Ordering::SeqCst) < client_events / 3 {
        assert!(
            Instant::now() < until,
            "the clients did not get a third of their events acknowledged within 30 s ({} of {client_events})\n{}",
            load.acked.load(Ordering::SeqCst),
            logs(&workers)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let http = agent(Duration::from_secs(10));
    let bursts: Vec<usize> = (0..BURST_TICKETS)
        .map(|b| CLIENTS * TICKETS_PER_CLIENT + b)
        .collect();
    let burst_created: Vec<String> = bursts.iter().map(|_| now()).collect();
    let creations: Vec<Value> = bursts
        .iter()
        .zip(&burst_created)
        .map(|(&index, at)| event(index, 0, at, at, &body(index, 0).0))
        .collect();
    // Slot 1 of three live workers: worker 2 (another one if it failed).
    let mut acked = load
        .post(&http, KILLED, &creations)
        .unwrap_or_else(|e| panic!("{e}"));
    let burst_on_killed = acked.iter().filter(|a| a.worker == KILLED + 1).count();
    workers[KILLED].kill();
    let killed_at = load_started.elapsed();
    let client_acked_at_kill = load.acked.load(Ordering::SeqCst);
    // For a moment the clients still post to worker 2, as a helpdesk would before it
    // noticed: their requests fail, and go to a survivor instead.
    std::thread::sleep(Duration::from_millis(100));
    load.down.store(true, Ordering::SeqCst);

    // The burst tickets' messages, alternately to workers 1 and 3: they wait behind
    // their creations until those are taken over from the dead worker.
    for n in 1..=MESSAGES {
        for (b, &index) in bursts.iter().enumerate() {
            let event = event(index, n, &burst_created[b], &now(), &body(index, n).0);
            acked.extend(
                load.post(&http, n, &[event])
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        std::thread::sleep(PACE);
    }
    for (c, handle) in clients.into_iter().enumerate() {
        match handle.join().expect("a client thread") {
            Ok(events) => acked.extend(events),
            Err(e) => panic!("client {c}: {e}\n{}", logs(&workers)),
        }
    }
    let load_took = load_started.elapsed();
    let all_tickets: Vec<usize> = (0..CLIENTS * TICKETS_PER_CLIENT + BURST_TICKETS).collect();
    assert_eq!(
        acked.len(),
        all_tickets.len() * (MESSAGES + 1),
        "every event posted was acknowledged once"
    );

    // What each ticket must show: its acknowledged events, the timers it set.
    let mut by_ticket: BTreeMap<String, Vec<&Acked>> = BTreeMap::new();
    for a in &acked {
        by_ticket.entry(a.ticket.clone()).or_default().push(a);
    }
    let timers: HashMap<String, Vec<String>> = all_tickets
        .iter()
        .map(|&index| {
            let set = (0..=MESSAGES).flat_map(|n| body(index, n).1).collect();
            (ticket_id(index), set)
        })
        .collect();
    let timer_count: usize = timers.values().map(Vec::len).sum();

    // Through the survivors (worker 3 then worker 1, by turns), until everything is
    // processed and every timer fired; then a second more, for anything late.
    let apis = [Running::attach(&workers[2].base), api1];
    let settle_until = Instant::now() + SETTLE;
    let mut round = 0;
    loop {
        let api = &apis[round % 2];
        round += 1;
        let pending: Vec<&String> = by_ticket
            .iter()
            .filter(|(ticket, acked)| !done(&see(api, &admin, ticket), acked, &timers[*ticket]))
            .map(|(ticket, _)| ticket)
            .collect();
        if pending.is_empty() {
            break;
        }
        if Instant::now() > settle_until {
            eprintln!(
                "not all processed within {SETTLE:?} after the load; tickets still short: {pending:?}"
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let settled_after = load_started.elapsed();
    std::thread::sleep(Duration::from_secs(1));

    // The four checks, over every ticket.
    let (mut twice, mut disorder, mut missing, mut timer_faults) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (ticket, acked) in &by_ticket {
        let seen = see(&apis[0], &admin, ticket);
        let seqs: Vec<u64> = seen
            .records
            .iter()
            .map(|r| r["event_seq"].as_u64().unwrap())
            .collect();
        let summary = || {
            seen.records
                .iter()
                .map(|r| {
                    format!(
                        "{} {} at {}{}",
                        r["event_seq"],
                        r["event_id"],
                        r["at"],
                        r["error"]
                            .as_str()
                            .map(|e| format!(" error: {e}"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };

        // Exactly once: no event has two records.
        let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
        for &seq in &seqs {
            *counts.entry(seq).or_default() += 1;
        }
        let repeated: Vec<(u64, usize)> = counts
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(s, n)| (*s, *n))
            .collect();
        if !repeated.is_empty() {
            twice.push(format!(
                "{ticket}: seqs processed more than once {repeated:?} [{}]",
                summary()
            ));
        }

        // In order: the acknowledgements' seqs follow the posting order, the records
        // the seqs, and each record was made no earlier than the one before it.
        let acked_seqs: Vec<u64> = acked.iter().map(|a| a.seq).collect();
        let at: Vec<DateTime<Utc>> = seen
            .records
            .iter()
            .map(|r| r["at"].as_str().unwrap().parse().unwrap())
            .collect();
        if !acked_seqs.windows(2).all(|w| w[0] < w[1])
            || !seqs.windows(2).all(|w| w[0] < w[1])
            || !at.windows(2).all(|w| w[0] <= w[1])
        {
            disorder.push(format!(
                "{ticket}: acknowledged seqs in posting order {acked_seqs:?}; records [{}]",
                summary()
            ));
        }

        // Nothing lost, nothing made up: the events' records are those of the
        // acknowledged events, each under its own id.
        let events: BTreeMap<u64, &str> = seen
            .records
            .iter()
            .filter(|r| !is_timer(r))
            .map(|r| {
                (
                    r["event_seq"].as_u64().unwrap(),
                    r["event_id"].as_str().unwrap(),
                )
            })
            .collect();
        let expected: BTreeMap<u64, &str> =
            acked.iter().map(|a| (a.seq, a.event_id.as_str())).collect();
        if events != expected {
            let lost: Vec<_> = expected
                .iter()
                .filter(|(s, id)| events.get(s) != Some(id))
                .collect();
            let extra: Vec<_> = events
                .iter()
                .filter(|(s, id)| expected.get(s) != Some(id))
                .collect();
            missing.push(format!(
                "{ticket}: acknowledged but not processed {lost:?}; processed but not acknowledged {extra:?}"
            ));
        }

        // Each timer fired once, and tagged the ticket.
        let mut fired: Vec<String> = seen
            .records
            .iter()
            .filter(|r| is_timer(r))
            .map(timer_name)
            .collect();
        fired.sort();
        let mut set = timers[ticket].clone();
        set.sort();
        let untagged: Vec<&String> = set
            .iter()
            .filter(|name| !seen.tags.contains(&format!("fired:{name}")))
            .collect();
        if fired != set || !untagged.is_empty() {
            timer_faults.push(format!(
                "{ticket}: timers set {set:?}, fired {fired:?}, without their tag {untagged:?} (tags {:?}) [{}]",
                seen.tags,
                summary()
            ));
        }
    }

    // What happened, for the record (and to tell whether the kill caught work).
    let survivors_log = format!("{}{}", workers[0].log(), workers[2].log());
    let taken_over: usize = lines_with(&survivors_log, "took over pending events")
        .iter()
        .map(|l| events_field(l))
        .sum();
    // Who took the timekeeper role, in time order (log lines start with their time).
    let mut timekeepers: Vec<(String, usize)> = workers
        .iter()
        .flat_map(|w| {
            lines_with(&w.log(), "took a role role=\"timekeeper\"")
                .into_iter()
                .map(|l| {
                    (
                        l.split_whitespace().next().unwrap_or("").to_string(),
                        w.number,
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    timekeepers.sort();
    let timekeepers: Vec<usize> = timekeepers.into_iter().map(|(_, n)| n).collect();
    let duplicates = acked.iter().filter(|a| a.duplicate).count();
    eprintln!(
        "workers: ready after {ready_after:?}; worker 2 killed at {killed_at:?} into the load \
         ({client_acked_at_kill} of {client_events} client events acknowledged; \
         {burst_on_killed} of a burst of {BURST_TICKETS} creations acknowledged by it just \
         before); {} events acknowledged \
         ({duplicates} as duplicates, {} requests resent to another worker); \
         {taken_over} events taken over by the survivors; timekeeper role taken by worker(s) \
         {timekeepers:?}; {timer_count} timers; load took {load_took:?}, all processed \
         {settled_after:?} after it began",
        acked.len(),
        load.resent.load(Ordering::SeqCst),
    );

    assert!(
        taken_over > 0,
        "take-over: worker 2 acknowledged {burst_on_killed} creations just before it was \
         killed, yet the survivors took over no event (the kill caught no work, or the \
         take-over did not happen)\n{}",
        logs(&workers)
    );
    assert!(
        timekeepers.last().is_some_and(|w| *w != KILLED + 1),
        "the timekeeper role is last taken by a survivor: {timekeepers:?}\n{}",
        logs(&workers)
    );
    assert!(
        twice.is_empty(),
        "exactly once: {} ticket(s) had an event processed more than once:\n{}\n{}",
        twice.len(),
        twice.join("\n"),
        logs(&workers)
    );
    assert!(
        disorder.is_empty(),
        "order per ticket: {} ticket(s) had events processed out of their order:\n{}\n{}",
        disorder.len(),
        disorder.join("\n"),
        logs(&workers)
    );
    assert!(
        missing.is_empty(),
        "every acknowledged event processed: {} ticket(s) differ:\n{}\n{}",
        missing.len(),
        missing.join("\n"),
        logs(&workers)
    );
    assert!(
        timer_faults.is_empty(),
        "each timer fired once: {} ticket(s) differ:\n{}\n{}",
        timer_faults.len(),
        timer_faults.join("\n"),
        logs(&workers)
    );

    // A clean stop of the survivors.
    for n in [0, 2] {
        workers[n].terminate();
    }
    for n in [0, 2] {
        let status = workers[n].wait_exit(STOP_BOUND);
        assert!(
            status.as_ref().is_ok_and(ExitStatus::success),
            "worker {} stopped badly after SIGTERM: {status:?}\n{}",
            n + 1,
            workers[n].log_tail(40)
        );
    }
    eprintln!("whole test: {:?}", started.elapsed());
}
