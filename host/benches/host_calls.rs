//! What the host calls a plugin makes during an event cost as a tenant's data grows.
//!
//! Run: `cargo bench --bench host_calls` (release build). It opens a fresh sled store
//! under `target/bench-host-calls`, and fills one tenant with 100, then 10,000, then
//! 100,000 tickets, and one of its plugins with as many storage keys, through the
//! same commits the pipeline makes. At each size it times the store work behind each
//! host call, as the pipeline's plugin environment (`pipeline/plugins.rs`) does it
//! for the runtime:
//!
//! - `tickets.recent(an hour ago, 50)`: 50 tickets;
//! - `tickets.open-by-identity`: the 3 open tickets of a requester who also has 2
//!   closed ones;
//! - `storage.list-keys("seen/")`: 20 keys, and `storage.list-keys("")`: as many as
//!   the runtime asks for (1,000);
//! - `storage.set` of a key not stored yet: the lookup of the key and the count of
//!   the plugin's keys (its quota is 10,000 keys; the 100,000 here go past it
//!   through the store, to show the count does not depend on it).
//!
//! The same questions answered by scanning, as they were before the indexes (the
//! tenant's tickets read then filtered and sorted; every key listed then cut), are
//! timed too, for comparison. Prints the median and 90th percentile per call, in
//! microseconds, side by side for the three sizes.

use guichet::store::PluginStorage;
use guichet::store::TicketStore;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use guichet::model::{Event, EventKind, Identity, IdentityKind, Ticket};
use guichet::store::{Enqueued, EventCommit, SledStore, Store, TicketFilter};

const TENANT: &str = "acme";
const PLUGIN: &str = "dedup";
const SIZES: [usize; 3] = [100, 10_000, 100_000];
/// What the runtime asks of `list-keys` (`MAX_LISTED_KEYS` in `runtime/call.rs`).
const LISTED_KEYS: usize = 1_000;
/// What the runtime asks of the ticket queries (`MAX_TICKETS_RETURNED`).
const TICKETS_RETURNED: usize = 50;
const PROBE_EMAIL: &str = "Zoe.Martin@example.fr";

fn created(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(n as i64)
}

/// Ticket `n`: one a minute, a requester of its own (but for the probe's five among
/// the first ten), one in three closed, with a message, about 700 bytes of JSON.
fn ticket(n: usize) -> Ticket {
    let probe = n < 10 && n.is_multiple_of(2);
    let email = if probe {
        PROBE_EMAIL.to_string()
    } else {
        format!("requester-{n}@example.com")
    };
    let status = if (probe && n >= 6) || (!probe && n.is_multiple_of(3)) {
        "closed"
    } else {
        "open"
    };
    serde_json::from_value(json!({
        "id": format!("t-{n}"), "channel": "email", "status": status,
        "subject": format!("Ma carte a été bloquée ({n})"),
        "requester": {"identities": [
            {"kind": "email", "value": email},
            {"kind": "phone", "value": format!("+3360{n:07}")},
        ]},
        "tags": ["card", "fr"],
        "created_at": created(n), "updated_at": created(n),
        "messages": [{
            "id": format!("m-{n}"), "author_role": "requester", "channel": "email",
            "body": "Bonjour, ma carte a été bloquée après un paiement à l'étranger. \
                     Pouvez-vous la débloquer ? Merci d'avance.",
            "created_at": created(n),
        }],
    }))
    .unwrap()
}

/// Stores what one event's processing writes, through the pipeline's commit.
fn commit(
    store: &dyn Store,
    ticket: Option<Ticket>,
    writes: Vec<(String, String, Option<Vec<u8>>)>,
) {
    let now = Utc::now();
    let event = Event {
        id: format!("e-{}", ticket.as_ref().map_or("storage", |t| t.id.as_str())),
        kind: EventKind::TicketCreated,
        ticket: ticket.clone(),
        occurred_at: now,
    };
    let Enqueued::New(stored) = store.enqueue_event(TENANT, &event, None, now).unwrap() else {
        unreachable!("no idempotency key, no duplicate")
    };
    store
        .commit_event(&EventCommit {
            tenant: TENANT.into(),
            seq: stored.seq,
            ticket,
            timers: Vec::new(),
            audit: Vec::new(),
            follow_ups: Vec::new(),
            plugin_writes: writes,
            outbox: Vec::new(),
            shadow: Vec::new(),
            kpi: Vec::new(),
        })
        .unwrap();
}

/// Grows the tenant to `n` tickets and the plugin to `n` keys (20 of them under
/// `seen/`).
fn fill(store: &dyn Store, from: usize, n: usize) {
    for t in from..n {
        commit(store, Some(ticket(t)), Vec::new());
    }
    let keys: Vec<usize> = (from..n).collect();
    for chunk in keys.chunks(1_000) {
        let writes = chunk
            .iter()
            .map(|k| {
                let key = if *k < 20 {
                    format!("seen/{k:02}")
                } else {
                    format!("msg/{k:08}")
                };
                (PLUGIN.to_string(), key, Some(b"t-1".to_vec()))
            })
            .collect();
        commit(store, None, writes);
    }
}

/// Median and 90th percentile of `f`'s duration, over as many calls as fit in about
/// half a second (at least 5, at most 20,000), after a few unmeasured ones.
fn time(mut f: impl FnMut() -> usize, expected: usize) -> (Duration, Duration) {
    for _ in 0..3 {
        assert_eq!(f(), expected, "unexpected answer size");
    }
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 5
        || (samples.len() < 20_000 && started.elapsed() < Duration::from_millis(500))
    {
        let call = Instant::now();
        std::hint::black_box(f());
        samples.push(call.elapsed());
    }
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

/// `100000` as `100,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-host-calls")
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    let store = SledStore::open(&dir).unwrap();
    let probe = Identity {
        kind: IdentityKind::Email,
        value: PROBE_EMAIL.to_lowercase(),
    };

    type Row = (&'static str, Vec<(Duration, Duration)>);
    let mut rows: Vec<Row> = Vec::new();
    let mut row = |name: &'static str, figures: (Duration, Duration)| match rows
        .iter_mut()
        .find(|r| r.0 == name)
    {
        Some(r) => r.1.push(figures),
        None => rows.push((name, vec![figures])),
    };
    let mut stored = 0;
    for n in SIZES {
        let filling = Instant::now();
        fill(&store, stored, n);
        stored = n;
        eprintln!(
            "{} tickets and keys stored in {:.1} s",
            thousands(n),
            filling.elapsed().as_secs_f64()
        );
        let since = created(n - 1) - chrono::Duration::hours(1);
        let open = |t: &Ticket| t.status.is_open();

        row(
            "recent(1 h, 50) -> 50",
            time(
                || {
                    store
                        .recent_tickets(TENANT, since, TICKETS_RETURNED)
                        .unwrap()
                        .len()
                },
                50,
            ),
        );
        row(
            "open-by-identity -> 3",
            time(
                || {
                    store
                        .open_tickets_of(TENANT, &probe, TICKETS_RETURNED)
                        .unwrap()
                        .len()
                },
                3,
            ),
        );
        row(
            "list-keys(\"seen/\") -> 20",
            time(
                || {
                    store
                        .plugin_storage_keys(TENANT, PLUGIN, "seen/", LISTED_KEYS)
                        .unwrap()
                        .len()
                },
                20,
            ),
        );
        row(
            "list-keys(\"\") -> min(n, 1000)",
            time(
                || {
                    store
                        .plugin_storage_keys(TENANT, PLUGIN, "", LISTED_KEYS)
                        .unwrap()
                        .len()
                },
                n.min(LISTED_KEYS),
            ),
        );
        row(
            "set of a new key: get + count",
            time(
                || {
                    let absent = store.plugin_storage_get(TENANT, PLUGIN, "new-key").unwrap();
                    absent.map_or(0, |_| 1) + store.plugin_storage_count(TENANT, PLUGIN).unwrap()
                },
                n,
            ),
        );

        // The same answers by scanning, as before the indexes.
        row(
            "before: recent (scan)",
            time(
                || {
                    let mut all: Vec<Ticket> = store
                        .tickets(TENANT, &TicketFilter::default())
                        .unwrap()
                        .into_iter()
                        .filter(|t| t.created_at >= since)
                        .collect();
                    all.sort_by_key(|t| std::cmp::Reverse(t.created_at));
                    all.truncate(TICKETS_RETURNED);
                    all.len()
                },
                50,
            ),
        );
        row(
            "before: open-by-identity (scan)",
            time(
                || {
                    let filter = TicketFilter {
                        requester: Some(probe.value.clone()),
                        ..TicketFilter::default()
                    };
                    store
                        .tickets(TENANT, &filter)
                        .unwrap()
                        .into_iter()
                        .filter(open)
                        .count()
                },
                3,
            ),
        );
        row(
            "before: list-keys(\"\") (scan)",
            time(
                || {
                    let mut keys = store
                        .plugin_storage_keys(TENANT, PLUGIN, "", usize::MAX)
                        .unwrap();
                    keys.truncate(LISTED_KEYS);
                    keys.len()
                },
                n.min(LISTED_KEYS),
            ),
        );
        row(
            "before: set of a new key (count by listing)",
            time(
                || {
                    store
                        .plugin_storage_keys(TENANT, PLUGIN, "", usize::MAX)
                        .unwrap()
                        .len()
                },
                n,
            ),
        );
    }

    println!("per call, median / 90th percentile, µs; columns: tickets and keys stored");
    print!("{:<44}", "host call -> answer");
    for n in SIZES {
        print!("{:>22}", thousands(n));
    }
    println!();
    for (name, figures) in &rows {
        print!("{name:<44}");
        for (median, p90) in figures {
            let us = |d: &Duration| d.as_secs_f64() * 1e6;
            print!("{:>22}", format!("{:.1} / {:.1}", us(median), us(p90)));
        }
        println!();
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
