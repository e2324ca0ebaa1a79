//! How late timers fire with 100,000 of them pending, and what they cost in memory
//! and on disk.
//!
//! Run: `cargo bench --bench timer_lateness` (release build). It opens a fresh sled
//! store under `target/bench-timers`, sets 100,000 timers on 10,000 tickets (ten each,
//! through the same commits the pipeline makes), of which 5,000 fall due in a 10-second
//! window starting 3 seconds after setup and the rest a day later. The timekeeper then
//! runs on the system clock; each timer's lateness is the time between its due time and
//! the moment its `timer_fired` event is stored and handed on (plugin work is not
//! included: that is the pipeline's cost, measured by `instance_model`). Prints the
//! lateness median, 99th percentile and maximum, the resident memory the pending timers
//! added to the process, and the store's size on disk.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use guichet::clock::{Clock, SystemClock};
use guichet::metrics::Metrics;
use guichet::model::{Event, EventKind, Ticket};
use guichet::store::{Enqueued, EventCommit, SledStore, Store, StoredEvent, Timer, TimerChange};
use guichet::timekeeper::{Bell, Dispatch, Timekeeper, TimekeeperConfig};

const TICKETS: usize = 10_000;
const TIMERS_PER_TICKET: usize = 10;
const DUE_IN_WINDOW: usize = 5_000;
const WINDOW: Duration = Duration::from_secs(10);
const LEAD: Duration = Duration::from_secs(5);

/// Records how late each timer event arrives.
struct Recorder {
    clock: SystemClock,
    lateness: Mutex<Vec<Duration>>,
}

impl Dispatch for Recorder {
    fn dispatch(&self, event: StoredEvent) {
        if let EventKind::TimerFired { due_at, .. } = event.event.kind {
            let late = (self.clock.now() - due_at)
                .to_std()
                .unwrap_or(Duration::ZERO);
            self.lateness.lock().unwrap().push(late);
        }
    }

    fn wait_idle(&self) {}
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn ticket(id: &str, now: DateTime<Utc>) -> Ticket {
    serde_json::from_value(serde_json::json!({
        "id": id, "channel": "email", "requester": {"identities": []},
        "created_at": now, "updated_at": now
    }))
    .unwrap()
}

/// Creates ticket `t` and sets its timers, through the commit the pipeline makes.
fn set_timers(store: &dyn Store, t: usize, due: impl Fn(usize) -> DateTime<Utc>) {
    let now = Utc::now();
    let id = format!("t-{t}");
    let event = Event {
        id: format!("e-{t}"),
        kind: EventKind::TicketCreated,
        ticket: Some(ticket(&id, now)),
        occurred_at: now,
    };
    let Enqueued::New(stored) = store.enqueue_event("acme", &event, None, now).unwrap() else {
        unreachable!("no idempotency key, no duplicate")
    };
    let timers = (0..TIMERS_PER_TICKET)
        .map(|n| {
            TimerChange::Set(Timer {
                tenant: "acme".into(),
                ticket_id: id.clone(),
                plugin: "sla".into(),
                name: format!("timer-{n}"),
                due_at: due(n),
                set_at: now,
            })
        })
        .collect();
    store
        .commit_event(&EventCommit {
            tenant: "acme".into(),
            seq: stored.seq,
            ticket: Some(ticket(&id, now)),
            timers,
            audit: Vec::new(),
            follow_ups: Vec::new(),
            plugin_writes: Vec::new(),
            outbox: Vec::new(),
            shadow: Vec::new(),
            kpi: Vec::new(),
        })
        .unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-timers")
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&dir).unwrap());
    let clock = SystemClock;

    let rss_before = resident_bytes();
    let setup = Instant::now();
    let far = clock.now() + chrono::Duration::days(1);
    // The timers due later first; then those due in the window, set last so that the
    // window can start soon after.
    let soon_tickets = DUE_IN_WINDOW / TIMERS_PER_TICKET;
    for t in soon_tickets..TICKETS {
        set_timers(store.as_ref(), t, |n| {
            far + chrono::Duration::seconds((t * TIMERS_PER_TICKET + n) as i64)
        });
    }
    let far_set = setup.elapsed();
    // Durable before the window is set, so that the flush (seconds for this much
    // data) does not eat into it.
    let flushing = Instant::now();
    store.flush().unwrap();
    let flush_time = flushing.elapsed();
    let window_start = clock.now() + chrono::Duration::from_std(LEAD).unwrap();
    let window_ms = WINDOW.as_millis() as i64;
    for t in 0..soon_tickets {
        set_timers(store.as_ref(), t, |n| {
            // Spread evenly over the window, in an order unrelated to the tickets'
            // (7,919 is prime, so this visits every slot once).
            let slot = ((t * TIMERS_PER_TICKET + n) as i64 * 7_919) % DUE_IN_WINDOW as i64;
            window_start + chrono::Duration::milliseconds(slot * window_ms / DUE_IN_WINDOW as i64)
        });
    }
    let commits_time = setup.elapsed() - flush_time;
    let rss_after = resident_bytes();
    assert!(
        clock.now() < window_start,
        "the window's timers took longer than LEAD to set ({:?} for the others): raise LEAD",
        far_set
    );
    let pending = TICKETS * TIMERS_PER_TICKET;
    println!(
        "{pending} timers set on {TICKETS} tickets in {:.1} s ({:.0} µs per event commit of {TIMERS_PER_TICKET} timers); the first {} flushed in {:.1} s",
        commits_time.as_secs_f64(),
        commits_time.as_secs_f64() * 1e6 / TICKETS as f64,
        pending - DUE_IN_WINDOW,
        flush_time.as_secs_f64()
    );
    println!(
        "memory: resident set grew by {:.1} MiB while setting them ({:.0} bytes per pending timer, sled's page cache included)",
        (rss_after.saturating_sub(rss_before)) as f64 / (1 << 20) as f64,
        rss_after.saturating_sub(rss_before) as f64 / pending as f64,
    );

    let recorder = Arc::new(Recorder {
        clock: SystemClock,
        lateness: Mutex::new(Vec::new()),
    });
    let keeper = Timekeeper::start(
        store.clone(),
        Arc::new(SystemClock),
        recorder.clone(),
        Arc::new(Bell::default()),
        Arc::new(Metrics::default()),
        TimekeeperConfig::default(),
    );
    let deadline = Instant::now() + LEAD + WINDOW + Duration::from_secs(20);
    while recorder.lateness.lock().unwrap().len() < DUE_IN_WINDOW && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    keeper.stop();
    let mut lateness = recorder.lateness.lock().unwrap().clone();
    assert_eq!(
        lateness.len(),
        DUE_IN_WINDOW,
        "not every timer due in the window fired"
    );
    lateness.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "lateness of {} timers due over {} s, {} others pending: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lateness.len(),
        WINDOW.as_secs(),
        store
            .due_timers(far + chrono::Duration::days(3), usize::MAX)
            .unwrap()
            .len(),
        ms(percentile(&lateness, 0.5)),
        ms(percentile(&lateness, 0.99)),
        ms(*lateness.last().unwrap())
    );
    store.flush().unwrap();
    println!(
        "store on disk: {:.1} MiB for {TICKETS} tickets and their timers",
        dir_size(&dir) as f64 / (1 << 20) as f64
    );
    drop(keeper);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
