//! How long the service takes to start with 1,000 tenants, each running five plugins
//! made of the same five components, with an empty compile cache and with a full one.
//!
//! Run: `cargo bench --bench startup` (release build). It writes a data directory
//! under `target/bench-startup` straight through the store: 1,000 tenants, each with
//! the reference plugins `triage`, `sla`, `followup`, `reassign` and `dedupe` installed
//! and enabled (5,000 installed plugins, 5 distinct components). Then, three rounds
//! of: a cold start (the compile cache `<data-dir>/compiled` emptied first), a stop,
//! a warm restart, a stop. For each start it prints the time until the service
//! listens, the time until it is ready (its warm-up has every installed plugin's
//! component loaded), and how many components the warm-up compiled and loaded from
//! the cache. The service listens on loopback (port 0) and nothing is sent to it.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::outbox::OutboxConfig;
use guichet::reference_plugins;
use guichet::runtime::sha256_hex;
use guichet::serve::ServiceClock;
use guichet::store::{InstalledPlugin, SledStore, Store, Tenant};

use common::service::Running;

const TENANTS: usize = 1_000;
const PLUGINS: [&str; 5] = ["triage", "sla", "followup", "reassign", "dedupe"];
const ROUNDS: usize = 3;

/// Writes the tenants and their plugins into a new store in `dir`.
fn populate(dir: &Path) {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&dir.join("store")).unwrap());
    let now = chrono::Utc::now();
    for t in 0..TENANTS {
        let id = format!("tenant-{t:04}");
        let tenant: Tenant = serde_json::from_value(serde_json::json!({
            "id": id, "name": id, "time_zone": "Europe/Paris", "created_at": now,
        }))
        .unwrap();
        assert!(store.create_tenant(&tenant).unwrap());
        for (order, name) in PLUGINS.iter().enumerate() {
            let component = reference_plugins::find(name).unwrap().component;
            let plugin: InstalledPlugin = serde_json::from_value(serde_json::json!({
                "name": name,
                "source": {"type": "reference", "name": name},
                "version": sha256_hex(component),
                "config": "{}",
                "order": order,
                "subscriptions": [],
                "enabled": true,
                "updated_at": now,
            }))
            .unwrap();
            store.put_plugin(&id, &plugin).unwrap();
        }
    }
    store.flush().unwrap();
}

struct Start {
    listening: Duration,
    ready: Duration,
    warm: guichet::serve::WarmUp,
}

/// Starts the service on `dir`, waits for its warm-up, stops it.
fn start(dir: &Path) -> Start {
    let started = Instant::now();
    let s = Running::start_with(
        dir.to_path_buf(),
        ServiceClock::System,
        OutboxConfig::default(),
    );
    let listening = started.elapsed();
    let warm = s.runtime.block_on(s.service.as_ref().unwrap().warmed_up());
    let ready = started.elapsed();
    s.stop();
    assert_eq!(warm.components, PLUGINS.len(), "{warm:?}");
    assert_eq!(warm.plugins, TENANTS * PLUGINS.len(), "{warm:?}");
    assert_eq!(warm.failed, 0, "{warm:?}");
    Start {
        listening,
        ready,
        warm,
    }
}

fn main() {
    let dir = common::root().join("target/bench-startup");
    let _ = std::fs::remove_dir_all(&dir);
    let writing = Instant::now();
    populate(&dir);
    println!(
        "data directory: {TENANTS} tenants x {} plugins ({}) written in {:.1} s",
        PLUGINS.len(),
        PLUGINS.join(", "),
        writing.elapsed().as_secs_f64()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!("| round | start | listening after | ready after | warm-up | compiled | loaded |");
    println!("|-------|-------|-----------------|-------------|---------|----------|--------|");
    for round in 1..=ROUNDS {
        let _ = std::fs::remove_dir_all(dir.join("compiled"));
        for kind in ["cold", "warm"] {
            let s = start(&dir);
            if kind == "cold" {
                assert_eq!(s.warm.compiled, PLUGINS.len() as u64, "{:?}", s.warm);
            } else {
                assert_eq!((s.warm.compiled, s.warm.loaded), (0, PLUGINS.len() as u64));
            }
            println!(
                "| {round} | {kind} | {:.0} ms | {:.0} ms | {:.0} ms | {} | {} |",
                ms(s.listening),
                ms(s.ready),
                ms(s.warm.duration),
                s.warm.compiled,
                s.warm.loaded,
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
