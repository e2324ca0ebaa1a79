//! Section 6 of the suite: throughput of one, two and three `guichet serve` workers
//! sharing one PostgreSQL, beside one worker on sled, under the same load.
//!
//! Every configuration runs as real processes (the release binary), each worker with
//! its own data directory and port. PostgreSQL is a server started for the bench
//! with its default durability (a commit waits for its WAL on disk), as sled's
//! acknowledgement waits for its `fdatasync`. The load: [`CLIENTS`] closed-loop
//! clients, each posting one new ticket at a time with `?wait=true` (answered once
//! the event's plugins ran and it is committed) to the workers in turn, over
//! [`TENANTS`] tenants with `triage`, `sla`, `followup` and `reassign`. After a
//! warm-up (every worker compiles the plugins on its first events), it counts the
//! answers in [`WINDOW`], and the events the workers processed meanwhile (their
//! `guichet_events_processed_total`: follow-ups included), and where the machine's
//! cores went: the workers' CPU time and this process's (the clients), from
//! `/proc/<pid>/stat`, and the rest of the machine's busy time (`/proc/stat`), which
//! on a quiet machine is PostgreSQL's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// The suite's HTTP client (30 s timeout) and the tests' free port.
use super::agent;
use super::common::service::free_port;

/// Concurrent clients.
pub const CLIENTS: usize = 16;
/// Tenants the clients post to, in turn.
pub const TENANTS: usize = 4;
/// How long the answers are counted.
pub const WINDOW: Duration = Duration::from_secs(8);
/// How long the load runs before the count starts.
const WARM_UP: Duration = Duration::from_secs(4);

const OPERATOR: &str = "bench-operator-token-0123456789";

/// One configuration's figures.
pub struct Measured {
    pub store: &'static str,
    pub workers: usize,
    /// Tickets answered with their outcome, per second.
    pub tickets_per_second: f64,
    /// Events processed by all workers, follow-ups included, per second.
    pub events_per_second: f64,
    /// Median and 99th percentile of the answers' latency, ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Cores busy during the count (CPU seconds a second): the workers, this
    /// bench's clients, and the rest of the machine (PostgreSQL's processes).
    pub cpu_workers: f64,
    pub cpu_clients: f64,
    pub cpu_rest: f64,
}

/// Clock ticks a second of `/proc`'s CPU times.
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU time of process `pid` so far, in ticks (user and system).
fn cpu_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis: utime and stime are the
    // 12th and 13th of them.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)
}

/// The machine's busy CPU time so far, in ticks (all but idle and I/O wait).
fn machine_busy() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    cpu.iter().take(8).sum::<f64>() - cpu.get(3).unwrap_or(&0.0) - cpu.get(4).unwrap_or(&0.0)
}

/// CPU ticks so far: (workers, this process, the whole machine).
fn cpu_now(workers: &[Worker]) -> (f64, f64, f64) {
    (
        workers
            .iter()
            .map(|w| cpu_of(&w.child.id().to_string()))
            .sum(),
        cpu_of("self"),
        machine_busy(),
    )
}

/// A worker process, killed when dropped.
struct Worker {
    child: Child,
    base: String,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_worker(dir: &Path, store: Option<&str>) -> Worker {
    std::fs::create_dir_all(dir).unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.join("worker.log")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--operator-token", OPERATOR])
        .args(["--max-backlog-per-tenant", "1000000"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if let Some(url) = store {
        command.args(["--store", url]);
    }
    let worker = Worker {
        child: command.spawn().expect("the guichet binary starts"),
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = agent();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{}/metrics", worker.base)).call().is_err() {
        assert!(
            Instant::now() < deadline,
            "the worker in {} did not start: see its worker.log",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    worker
}

fn metric(http: &ureq::Agent, base: &str, series: &str) -> f64 {
    let text = http
        .get(format!("{base}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Creates `tenant` with the four plugins through `base`; its admin token.
fn tenant(
    http: &ureq::Agent,
    base: &str,
    tenant: &str,
    plugins: &[(String, Value, Value)],
) -> String {
    let mut created = http
        .post(format!("{base}/v1/tenants"))
        .header("Authorization", &format!("Bearer {OPERATOR}"))
        .header("Content-Type", "application/json")
        .send(
            serde_json::to_vec(&json!({"id": tenant, "name": tenant}))
                .unwrap()
                .as_slice(),
        )
        .unwrap();
    let body: Value = serde_json::from_str(&created.body_mut().read_to_string().unwrap()).unwrap();
    let token = body["admin_token"]
        .as_str()
        .expect("an admin token")
        .to_string();
    for (name, config, subscriptions) in plugins {
        let answer = http
            .put(format!("{base}/v1/tenants/{tenant}/plugins/{name}"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(
                serde_json::to_vec(&json!({
                    "reference": name, "config": config, "enabled": true,
                    "subscriptions": subscriptions,
                }))
                .unwrap()
                .as_slice(),
            )
            .unwrap();
        assert!(answer.status().as_u16() < 300, "{name}");
    }
    token
}

/// Runs the load on `workers` and measures it.
fn load(
    store: &'static str,
    workers: &[Worker],
    plugins: &[(String, Value, Value)],
    event: &(dyn Fn(usize) -> Value + Sync),
) -> Measured {
    let http = agent();
    let tokens: Vec<String> = (0..TENANTS)
        .map(|t| tenant(&http, &workers[0].base, &format!("t{t}"), plugins))
        .collect();
    let next = AtomicUsize::new(0);
    let counting = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let answered = AtomicUsize::new(0);
    let latencies = std::sync::Mutex::new(Vec::new());
    let processed = |ws: &[Worker]| -> f64 {
        ws.iter()
            .map(|w| metric(&http, &w.base, "guichet_events_processed_total"))
            .sum()
    };
    let mut window = (0.0, 0.0, Duration::ZERO);
    let mut cpu = (0.0, 0.0, 0.0);
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (next, counting, stop, answered, latencies, tokens) =
                (&next, &counting, &stop, &answered, &latencies, &tokens);
            scope.spawn(move || {
                let http = agent();
                let tenant = client % TENANTS;
                let mut mine = Vec::new();
                let mut turn = client;
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let worker = &workers[turn % workers.len()];
                    turn += 1;
                    let t = Instant::now();
                    let answer = http
                        .post(format!(
                            "{}/v1/tenants/t{tenant}/events?wait=true",
                            worker.base
                        ))
                        .header("Authorization", &format!("Bearer {}", tokens[tenant]))
                        .header("Content-Type", "application/json")
                        .send(serde_json::to_vec(&event(n)).unwrap().as_slice())
                        .unwrap();
                    assert_eq!(
                        answer.status().as_u16(),
                        200,
                        "event {n} on {}",
                        worker.base
                    );
                    if counting.load(Ordering::Relaxed) {
                        answered.fetch_add(1, Ordering::Relaxed);
                        mine.push(t.elapsed());
                    }
                }
                latencies.lock().unwrap().extend(mine);
            });
        }
        std::thread::sleep(WARM_UP);
        let before = processed(workers);
        let cpu_before = cpu_now(workers);
        counting.store(true, Ordering::Relaxed);
        let t = Instant::now();
        std::thread::sleep(WINDOW);
        counting.store(false, Ordering::Relaxed);
        let elapsed = t.elapsed();
        let cpu_after = cpu_now(workers);
        let after = processed(workers);
        stop.store(true, Ordering::Relaxed);
        window = (before, after, elapsed);
        cpu = (
            cpu_after.0 - cpu_before.0,
            cpu_after.1 - cpu_before.1,
            cpu_after.2 - cpu_before.2,
        );
    });
    let (before, after, elapsed) = window;
    let ticks = ticks_per_second();
    let mut ms: Vec<f64> = latencies
        .into_inner()
        .unwrap()
        .iter()
        .map(|d| d.as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len().max(1) - 1) as f64 * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Measured {
        store,
        workers: workers.len(),
        tickets_per_second: answered.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        events_per_second: (after - before) / elapsed.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        cpu_workers: cpu.0 / ticks / elapsed.as_secs_f64(),
        cpu_clients: cpu.1 / ticks / elapsed.as_secs_f64(),
        cpu_rest: (cpu.2 - cpu.0 - cpu.1).max(0.0) / ticks / elapsed.as_secs_f64(),
    }
}

/// Measures sled with one worker, then PostgreSQL (`url` makes a fresh database)
/// with 1, 2 and 3 workers; every run in a fresh directory under `dir`.
pub fn measure(
    dir: &Path,
    database: &dyn Fn() -> String,
    plugins: &[(String, Value, Value)],
    event: &(dyn Fn(usize) -> Value + Sync),
) -> Vec<Measured> {
    let mut measured = Vec::new();
    let fresh = |name: &str| -> PathBuf {
        let d = dir.join(name);
        let _ = std::fs::remove_dir_all(&d);
        d
    };
    {
        let workers = [start_worker(&fresh("sled-1"), None)];
        measured.push(load("sled", &workers, plugins, event));
    }
    for n in 1..=3 {
        let url = database();
        let workers: Vec<Worker> = (1..=n)
            .map(|w| start_worker(&fresh(&format!("postgres-{n}-w{w}")), Some(&url)))
            .collect();
        measured.push(load("postgres", &workers, plugins, event));
    }
    measured
}

/// One way of keeping a ticket's events in order across workers, and what it costs
/// per event: median and 90th percentile, µs.
pub struct Coordination {
    pub way: &'static str,
    pub p50_us: f64,
    pub p90_us: f64,
}

/// What each way of coordinating workers costs per event, on `url` (a fresh
/// database): the check guichet makes (a read of the ticket's first pending event),
/// beside a session's advisory lock taken and released per ticket, a claim with
/// `FOR UPDATE SKIP LOCKED` committed per event, and a bare round trip. Over 1,000
/// pending events of 100 tickets; `ROUNDS` of each.
pub fn coordination(url: &str) -> Vec<Coordination> {
    use guichet::store::{EventLog, PgStore, Workers};
    const ROUNDS: usize = 2_000;
    let store = PgStore::connect(url).unwrap();
    for n in 0..1_000 {
        let mut event: guichet::model::Event = serde_json::from_value(json!({
            "id": format!("c-{n}"), "kind": {"type": "ticket_created"},
            "occurred_at": "2026-11-30T09:00:00Z",
            "ticket": {"id": format!("t-{}", n % 100), "channel": "email",
                       "requester": {"identities": []},
                       "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z"}
        }))
        .unwrap();
        event.id = format!("c-{n}");
        store
            .enqueue_event("acme", &event, None, chrono::Utc::now())
            .unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut client = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
    });
    let time = |f: &mut dyn FnMut(usize)| -> (f64, f64) {
        let mut us: Vec<f64> = (0..ROUNDS)
            .map(|n| {
                let t = Instant::now();
                f(n);
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        us.sort_by(f64::total_cmp);
        (us[ROUNDS / 2], us[ROUNDS * 9 / 10])
    };
    let mut ways = Vec::new();
    let mut put = |way, (p50_us, p90_us)| {
        ways.push(Coordination {
            way,
            p50_us,
            p90_us,
        })
    };
    // Every statement prepared beforehand, as the store's are (its statement cache):
    // each is then one round trip.
    let (one, lock, unlock, claim) = runtime.block_on(async {
        (
            client.prepare("SELECT 1").await.unwrap(),
            client
                .prepare("SELECT pg_try_advisory_lock($1)")
                .await
                .unwrap(),
            client
                .prepare("SELECT pg_advisory_unlock($1)")
                .await
                .unwrap(),
            client
                .prepare(
                    "UPDATE pending SET worker = $1 WHERE (tenant, seq) IN (
                         SELECT tenant, seq FROM pending WHERE tenant = 'acme'
                         ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                     RETURNING seq",
                )
                .await
                .unwrap(),
        )
    });
    put(
        "a round trip (`SELECT 1`), for scale",
        time(&mut |_| {
            runtime.block_on(client.query_one(&one, &[])).unwrap();
        }),
    );
    put(
        "guichet's: the ticket's first pending event, read (through the store's own runtime)",
        time(&mut |n| {
            store
                .readiness("acme", (n % 1_000) as u64 + 1, &format!("t-{}", n % 100))
                .unwrap();
        }),
    );
    put(
        "an advisory lock of the ticket's, taken and let go (2 round trips)",
        time(&mut |n| {
            let key = (n % 100) as i64;
            runtime.block_on(async {
                client.query_one(&lock, &[&key]).await.unwrap();
                client.query_one(&unlock, &[&key]).await.unwrap();
            });
        }),
    );
    put(
        "a claim with FOR UPDATE SKIP LOCKED, committed",
        time(&mut |n| {
            let worker = format!("w{}", n % 2);
            runtime.block_on(async {
                let tx = client.transaction().await.unwrap();
                tx.query_opt(&claim, &[&worker]).await.unwrap();
                tx.commit().await.unwrap();
            });
        }),
    );
    drop(store);
    ways
}
