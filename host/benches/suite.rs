//! The benchmark suite: the figures of `BENCHMARKS.md`, each measured side by side
//! with what it is compared to, in one run.
//!
//! Run: `scripts/bench` (which runs this, then the `startup` and `upload_to_live`
//! benches, and writes `BENCHMARKS.md`), or `cargo bench --bench suite` alone
//! (release build). It prints a table per section and writes every figure as JSON to
//! `target/bench/suite.json`. Sections:
//!
//! 1. **Instance model.** Per plugin (a no-op Rust plugin, the five automation
//!    reference plugins, a Python and a JavaScript example) on its example
//!    configuration and first event: a warm call, one instantiation, a fresh instance
//!    plus call (median and p90, µs) and the fuel of a call, under both instance
//!    allocators: on demand (`mmap` per instance) and wasmtime's pooling allocator
//!    (the service's); a plugin that exports `wizer-initialize` is measured again
//!    pre-initialised with its configuration (the service's model for it). Then the
//!    same rules natively: `triage`'s and `dedupe`'s cores linked into this bench
//!    (`suite/native.rs`) on the same event and configuration, and the ratios Wasm /
//!    native.
//! 2. **Sync.** What an acknowledged write costs on this disk: the store's flush (sled's
//!    flush, then `fdatasync`) for one writer, and for 16 concurrent writers sharing
//!    syncs (group commit), beside a raw `fdatasync` of a 4 KiB append.
//! 3. **Pipeline.** The in-process service, durable, with `triage`, `sla`,
//!    `followup` and `reassign` active: new tickets posted in batches of 500 until
//!    5,000, timed until the pipeline is idle (follow-ups included).
//! 4. **HTTP ingestion.** Single events from 16 concurrent clients over loopback:
//!    acknowledgements per second; then latency percentiles at fixed rates (an
//!    open-loop schedule: latency counts from when a request was due, so a stall
//!    is not hidden by the clients waiting).
//!
//! 5. **KPIs.** A month's KPI report of a tenant with a million tickets over a year,
//!    beside the same month of a tenant that has only that month's tickets, and a
//!    day and a year of the big one (`suite/kpis.rs`).
//! 6. **Workers.** One, two and three `guichet serve` processes on one PostgreSQL
//!    (default durability), beside one on sled, under the same closed-loop load:
//!    tickets and events a second, latency, and where the cores went; and what each
//!    way of keeping a ticket's events in order costs per event (`suite/workers.rs`).
//!
//! Loads are bounded (fixed counts or durations) and use loopback only.
//! `cargo bench --bench suite -- pipeline http` runs the sections named (`instances`,
//! `sync`, `pipeline`, `http`, `kpis`, `workers`) only, and writes their figures alone.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "suite/kpis.rs"]
mod kpis;
#[path = "suite/native.rs"]
mod native;
#[path = "suite/workers.rs"]
mod workers;

use guichet::store::EventLog;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use guichet::harness::{self, MacroCall, MemoryStorage, MemoryTickets};
use guichet::model::Event;
use guichet::outbox::OutboxConfig;
use guichet::pipeline::PipelineConfig;
use guichet::reference_plugins;
use guichet::runtime::{
    CallLimits, MacroRequest, PluginComponent, PluginEnv, Runtime, RuntimeConfig,
};
use guichet::serve::ServiceClock;
use guichet::store::SledStore;

use common::service::{OPERATOR, Running};
use common::{Lang, build_plugin, root};

/// A section of the suite: it measures, prints its table and adds its figures.
type Section = fn(&mut Figures);

/// Every figure, by section and name, written to `target/bench/suite.json`.
#[derive(Default)]
struct Figures(BTreeMap<String, Value>);

impl Figures {
    fn put(&mut self, section: &str, name: &str, value: Value) {
        self.0.insert(format!("{section}/{name}"), value);
    }
}

fn main() {
    let mut figures = Figures::default();
    let started = Instant::now();
    // `cargo bench` adds `--bench`; other words name the sections to run.
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let sections: [(&str, Section); 6] = [
        ("instances", instance_model),
        ("sync", sync_cost),
        ("pipeline", pipeline),
        ("http", http),
        ("kpis", kpi_reports),
        ("workers", several_workers),
    ];
    for (name, run) in sections {
        if named.is_empty() || named.iter().any(|n| n == name) {
            run(&mut figures);
        }
    }
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("suite.json");
    std::fs::write(
        &out,
        serde_json::to_vec_pretty(&json!({
            "figures": figures.0,
            "seconds": started.elapsed().as_secs(),
        }))
        .unwrap(),
    )
    .unwrap();
    println!("\nfigures written to {}", out.display());
}

// ---------------------------------------------------------------------------------
// 1. Instance model

/// One plugin to measure: its component, configuration and the call it makes.
struct Subject {
    name: String,
    bytes: Vec<u8>,
    config: String,
    call: Call,
    rounds: usize,
}

enum Call {
    OnEvent(Event),
    Render(MacroCall, Event),
}

fn instance_model(figures: &mut Figures) {
    println!("## 1. Instance model (µs, median / p90; fuel of one call)\n");
    // `GUICHET_BENCH_PLUGINS=no-op,triage` measures the plugins whose names start so.
    let only = std::env::var("GUICHET_BENCH_PLUGINS").unwrap_or_default();
    let subjects: Vec<Subject> = subjects()
        .into_iter()
        .filter(|s| only.is_empty() || only.split(',').any(|o| s.name.starts_with(o)))
        .collect();
    let on_demand = Runtime::new(RuntimeConfig {
        instance_pool: None,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let pooling = Runtime::new(RuntimeConfig::default()).unwrap();
    println!(
        "| plugin | allocator | warm call | instantiation | instantiation + drop | fresh instance + call | fuel | fuel of check-config |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // The service's model (pooling), plain and pre-initialised, by plugin name: what
    // the native rules are compared with below.
    let mut served: BTreeMap<String, (Measured, Option<Measured>)> = BTreeMap::new();
    for subject in &subjects {
        for (allocator, runtime) in [("on demand", &on_demand), ("pooling", &pooling)] {
            let plugin = runtime.load(&subject.bytes).unwrap();
            let plain = measure(runtime, &plugin, subject);
            show_row(figures, subject, allocator, "", &plain);
            // A plugin that exports `wizer-initialize`, pre-initialised with its
            // configuration: what the service runs once the snapshot is made.
            let snapshot = Runtime::pre_initialisable(&plugin).then(|| {
                let copy = runtime
                    .pre_initialise(&plugin, &subject.bytes, &subject.config)
                    .unwrap();
                let m = measure(runtime, &copy, subject);
                show_row(figures, subject, allocator, ", pre-initialised", &m);
                m
            });
            if allocator == "pooling" {
                served.insert(subject.name.clone(), (plain, snapshot));
            }
        }
    }
    wasm_over_native(figures, &subjects, &served);
}

fn show_row(figures: &mut Figures, subject: &Subject, allocator: &str, model: &str, m: &Measured) {
    println!(
        "| {}{model} | {allocator} | {} | {} | {} | {} | {} | {} |",
        subject.name,
        m.warm.show(),
        m.instantiation.show(),
        m.instantiation_and_drop.show(),
        m.fresh.show(),
        m.fuel,
        m.config_fuel.map_or("none".to_string(), |f| f.to_string()),
    );
    figures.put(
        "instance_model",
        &format!("{}{model}/{allocator}", subject.name),
        json!({
            "warm_call_us": m.warm.json(),
            "instantiation_us": m.instantiation.json(),
            "instantiation_and_drop_us": m.instantiation_and_drop.json(),
            "fresh_instance_and_call_us": m.fresh.json(),
            "fuel": m.fuel,
            "check_config_fuel": m.config_fuel,
            "rounds": subject.rounds,
        }),
    );
}

/// The same rules natively (`native`) on the same event and configuration as the
/// Wasm runs above, and the ratios: a fresh pre-initialised instance against the
/// native decision with the configuration parsed beforehand (the service's model
/// against the same work natively), and a plain fresh instance against the native
/// parse plus decision. For a plugin that is not pre-initialised, its plain
/// component stands in the pre-initialised columns (what the service runs).
fn wasm_over_native(
    figures: &mut Figures,
    subjects: &[Subject],
    served: &BTreeMap<String, (Measured, Option<Measured>)>,
) {
    println!("\n### Wasm / native: the same rules on the same event (µs, median / p90)\n");
    println!(
        "| plugin | native, configuration parsed per call | Wasm fresh instance, plain | ratio | native, configuration parsed once | Wasm fresh instance, as served | ratio | Wasm warm call, as served | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for subject in subjects {
        let Some((plain, snapshot)) = served.get(&subject.name) else {
            continue;
        };
        // A plugin that is not pre-initialised (dedupe reads little configuration)
        // serves events from its plain component.
        let snapshot = snapshot.as_ref().unwrap_or(plain);
        let Call::OnEvent(event) = &subject.call else {
            continue;
        };
        let config = subject.config.as_str();
        let (per_call, once) = if subject.name.starts_with("triage") {
            native::triage_rules::timed(subject.rounds, config, event)
        } else if subject.name.starts_with("dedupe") {
            native::dedupe_rules::timed(subject.rounds, config, event)
        } else {
            continue;
        };
        let (per_call, once) = (Spread::of(per_call), Spread::of(once));
        let ratio = |wasm: &Spread, native: &Spread| wasm.median / native.median;
        let fresh_plain = ratio(&plain.fresh, &per_call);
        let fresh_snapshot = ratio(&snapshot.fresh, &once);
        let warm_snapshot = ratio(&snapshot.warm, &once);
        println!(
            "| {} | {} | {} | {fresh_plain:.1} | {} | {} | {fresh_snapshot:.1} | {} | {warm_snapshot:.1} |",
            subject.name,
            per_call.show(),
            plain.fresh.show(),
            once.show(),
            snapshot.fresh.show(),
            snapshot.warm.show(),
        );
        figures.put(
            "wasm_over_native",
            &subject.name,
            json!({
                "native_parse_and_decide_us": per_call.json(),
                "native_decide_us": once.json(),
                "wasm_fresh_plain_over_native_parse_and_decide": round1(fresh_plain),
                "wasm_fresh_as_served_over_native_decide": round1(fresh_snapshot),
                "wasm_warm_as_served_over_native_decide": round1(warm_snapshot),
            }),
        );
    }
}

fn subjects() -> Vec<Subject> {
    let events = |path: &str| harness::read_events(&root().join(path)).unwrap();
    let triage_events = events("examples/triage/events.jsonl");
    let sla_events = events("examples/sla/events.jsonl");
    let config = |path: &str| std::fs::read_to_string(root().join(path)).unwrap();
    let reference = |name: &str| reference_plugins::find(name).unwrap().component.to_vec();
    let hostile = Path::new(env!("GUICHET_GUEST_DIR")).join("hostile.wasm");
    let created = triage_events[0].clone();
    let mut subjects = vec![
        Subject {
            name: "no-op (Rust)".into(),
            bytes: std::fs::read(hostile).unwrap(),
            config: "noop".into(),
            call: Call::OnEvent(created.clone()),
            rounds: 5_000,
        },
        Subject {
            name: "triage (Rust)".into(),
            bytes: reference("triage"),
            config: config("examples/triage/config.json"),
            call: Call::OnEvent(created.clone()),
            rounds: 2_000,
        },
        Subject {
            name: "sla (Rust)".into(),
            bytes: reference("sla"),
            config: config("examples/sla/config.json"),
            call: Call::OnEvent(sla_events[0].clone()),
            rounds: 2_000,
        },
        Subject {
            name: "followup (Rust)".into(),
            bytes: reference("followup"),
            config: config("host/benches/fixtures/followup.json"),
            call: Call::OnEvent(created.clone()),
            rounds: 2_000,
        },
        Subject {
            name: "reassign (Rust)".into(),
            bytes: reference("reassign"),
            config: config("host/benches/fixtures/reassign.json"),
            call: Call::OnEvent(created.clone()),
            rounds: 2_000,
        },
        Subject {
            name: "dedupe (Rust)".into(),
            bytes: reference("dedupe"),
            config: config("host/benches/fixtures/dedupe.json"),
            call: Call::OnEvent(created.clone()),
            rounds: 2_000,
        },
    ];
    match build_plugin(
        Lang::Python,
        &root().join("examples/python-sentiment/app.py"),
        "automation",
        "python-sentiment",
    ) {
        Some(path) => subjects.push(Subject {
            name: "python-sentiment (Python)".into(),
            bytes: std::fs::read(path).unwrap(),
            config: config("examples/python-sentiment/config.json"),
            call: Call::OnEvent(events("examples/python-sentiment/events.jsonl")[0].clone()),
            rounds: 300,
        }),
        None => println!("python-sentiment: not measured, its toolchain is missing\n"),
    }
    match build_plugin(
        Lang::JavaScript,
        &root().join("examples/js-macros/macros.js"),
        "macros",
        "js-macros",
    ) {
        Some(path) => {
            let calls =
                harness::read_macro_calls(&root().join("examples/js-macros/requests.jsonl"))
                    .unwrap();
            let render = calls
                .into_iter()
                .find(|c| matches!(c, MacroCall::Render { .. }))
                .expect("a render request in the example");
            subjects.push(Subject {
                name: "js-macros (JavaScript)".into(),
                bytes: std::fs::read(path).unwrap(),
                config: config("examples/js-macros/config.json"),
                call: Call::Render(render, created),
                rounds: 300,
            })
        }
        None => println!("js-macros: not measured, its toolchain is missing\n"),
    }
    subjects
}

/// Median and 90th percentile of samples, in µs.
struct Spread {
    median: f64,
    p90: f64,
}

impl Spread {
    fn of(mut samples: Vec<Duration>) -> Spread {
        samples.sort();
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e6;
        Spread {
            median: at(0.5),
            p90: at(0.9),
        }
    }

    fn show(&self) -> String {
        format!("{:.1} / {:.1}", self.median, self.p90)
    }

    fn json(&self) -> Value {
        json!({"median": round1(self.median), "p90": round1(self.p90)})
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

struct Measured {
    config_fuel: Option<u64>,
    warm: Spread,
    instantiation: Spread,
    instantiation_and_drop: Spread,
    fresh: Spread,
    fuel: u64,
}

fn measure(runtime: &Runtime, plugin: &PluginComponent, subject: &Subject) -> Measured {
    let env = PluginEnv {
        tickets: Arc::new(MemoryTickets::default()),
        storage: Arc::new(MemoryStorage::default()),
        config: subject.config.clone(),
    };
    let limits = CallLimits {
        // A loaded machine must not turn a slow round into a failed bench.
        deadline: Duration::from_secs(5),
        ..runtime.default_limits().clone()
    };
    let (event, request) = match &subject.call {
        Call::OnEvent(event) => (event, None),
        Call::Render(
            MacroCall::Render {
                macro_id,
                ticket,
                variables,
                ..
            },
            event,
        ) => (
            event,
            Some(MacroRequest {
                macro_id,
                ticket,
                variables,
                now: ticket.updated_at,
            }),
        ),
        Call::Render(..) => unreachable!("only render requests are kept"),
    };
    let fresh_call = || match &request {
        None => {
            let report = runtime.on_event(plugin, env.clone(), event, &limits);
            assert!(
                report.result.is_ok(),
                "{}: {:?}",
                subject.name,
                report.result
            );
            report.fuel_used
        }
        Some(request) => {
            let report = runtime.render_macro(plugin, env.clone(), request, &limits);
            assert!(
                report.result.is_ok(),
                "{}: {:?}",
                subject.name,
                report.result
            );
            report.fuel_used
        }
    };
    // A few rounds first, so that every model starts warm (caches, slots).
    for _ in 0..subject.rounds / 20 + 1 {
        fresh_call();
    }
    let mut fresh = Vec::with_capacity(subject.rounds);
    let mut fuel = 0;
    for _ in 0..subject.rounds {
        let t = Instant::now();
        fuel = fresh_call();
        fresh.push(t.elapsed());
    }
    // Instantiation alone, and with the instance dropped (its slot given back).
    let (instantiation, with_drop): (Vec<Duration>, Vec<Duration>) = (0..subject.rounds)
        .map(|_| {
            let t = Instant::now();
            let instance = runtime
                .instantiate(plugin, env.clone(), &limits, event)
                .map_err(|r| r.result.unwrap_err())
                .unwrap();
            let instantiation = instance.instantiation;
            drop(instance);
            (instantiation, t.elapsed())
        })
        .unzip();
    let mut warm_instance = runtime
        .instantiate(plugin, env.clone(), &limits, event)
        .map_err(|r| r.result.unwrap_err())
        .unwrap();
    let mut warm = Vec::with_capacity(subject.rounds);
    for _ in 0..subject.rounds {
        let t = Instant::now();
        let ok = match &request {
            None => warm_instance
                .call_on_event(env.clone(), event, &limits)
                .result
                .is_ok(),
            Some(request) => warm_instance
                .call_render(env.clone(), request, &limits)
                .result
                .is_ok(),
        };
        warm.push(t.elapsed());
        assert!(ok, "{}: a warm call failed", subject.name);
    }
    // The fuel of reading the configuration alone: the plugin's `check-config`, which
    // parses it as each event call does (where the plugin has one).
    let config_fuel = runtime
        .check_config(plugin, &subject.config, event.occurred_at, &limits)
        .map(|report| report.fuel_used);
    Measured {
        config_fuel,
        warm: Spread::of(warm),
        instantiation: Spread::of(instantiation),
        instantiation_and_drop: Spread::of(with_drop),
        fresh: Spread::of(fresh),
        fuel,
    }
}

// ---------------------------------------------------------------------------------
// 2. Sync

fn sync_cost(figures: &mut Figures) {
    println!("\n## 2. Sync: what an acknowledged write costs on this disk\n");
    let dir = fresh_dir("sync");
    // A raw append of 4 KiB and its fdatasync: the disk's own figure.
    let raw = {
        let mut file = std::fs::File::create(dir.join("raw")).unwrap();
        let block = vec![7u8; 4096];
        let samples = (0..300)
            .map(|_| {
                let t = Instant::now();
                file.write_all(&block).unwrap();
                file.sync_data().unwrap();
                t.elapsed()
            })
            .collect();
        Spread::of(samples)
    };
    let store = Arc::new(SledStore::open(&dir.join("store")).unwrap());
    let tenant = "acme";
    let event = |n: usize| -> Event {
        serde_json::from_value(json!({
            "id": format!("e-{n}"),
            "kind": {"type": "ticket_created"},
            "occurred_at": "2026-11-30T09:00:00Z",
            "ticket": {"id": format!("t-{n}"), "channel": "email",
                       "requester": {"identities": [{"kind": "email", "value": "a@example.com"}]},
                       "subject": "Commande non reçue",
                       "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z"}
        }))
        .unwrap()
    };
    let now = chrono::Utc::now();
    let one_writer = {
        let samples = (0..300)
            .map(|n| {
                let t = Instant::now();
                store.enqueue_event(tenant, &event(n), None, now).unwrap();
                store.flush().unwrap();
                t.elapsed()
            })
            .collect();
        Spread::of(samples)
    };
    let (syncs_before, calls_before) = store.sync_counts();
    const WRITERS: usize = 16;
    const EACH: usize = 200;
    let next = Arc::new(AtomicUsize::new(1_000));
    let t = Instant::now();
    let latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (store, next) = (store.clone(), next.clone());
                scope.spawn(move || {
                    (0..EACH)
                        .map(|_| {
                            let n = next.fetch_add(1, Ordering::Relaxed);
                            let t = Instant::now();
                            store.enqueue_event(tenant, &event(n), None, now).unwrap();
                            store.flush().unwrap();
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = t.elapsed();
    let (syncs, calls) = store.sync_counts();
    let (syncs, calls) = (syncs - syncs_before, calls - calls_before);
    let grouped = Spread::of(latencies);
    let per_second = (WRITERS * EACH) as f64 / elapsed.as_secs_f64();
    println!("| write | latency µs (median / p90) | durable writes/s | writes per sync |");
    println!("|---|---|---|---|");
    println!(
        "| raw 4 KiB append + fdatasync | {} | {:.0} | 1 |",
        raw.show(),
        1e6 / raw.median
    );
    println!(
        "| one writer: event stored + flush | {} | {:.0} | 1 |",
        one_writer.show(),
        1e6 / one_writer.median
    );
    println!(
        "| {WRITERS} writers: event stored + flush (group commit) | {} | {per_second:.0} | {:.1} |",
        grouped.show(),
        calls as f64 / syncs as f64
    );
    figures.put("sync", "raw_fdatasync_us", raw.json());
    figures.put("sync", "one_writer_us", one_writer.json());
    figures.put(
        "sync",
        "grouped",
        json!({"writers": WRITERS, "latency_us": grouped.json(),
               "writes_per_second": per_second.round(), "syncs": syncs, "writes": calls}),
    );
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = root().join("target/bench").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------
// 3. Pipeline

/// The four plugins of the pipeline's figures: (name, configuration,
/// subscriptions).
fn four_plugins() -> Vec<(String, Value, Value)> {
    let config = |path: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
    };
    vec![
        (
            "triage",
            config("examples/triage/config.json"),
            json!(["ticket_created"]),
        ),
        (
            "sla",
            config("examples/sla/config.json"),
            json!([
                "ticket_created",
                "message_added",
                "status_changed",
                "timer_fired"
            ]),
        ),
        (
            "followup",
            config("host/benches/fixtures/followup.json"),
            json!(["ticket_created", "status_changed", "message_added"]),
        ),
        (
            "reassign",
            config("host/benches/fixtures/reassign.json"),
            json!(["ticket_created", "assignment_changed", "timer_fired"]),
        ),
    ]
    .into_iter()
    .map(|(name, config, subscriptions)| (name.to_string(), config, subscriptions))
    .collect()
}

/// Operator and tenant set up on a service: its admin token.
fn tenant_with_four_plugins(service: &Running, tenant: &str) -> String {
    let created = service.call(
        "POST",
        "/v1/tenants",
        Some(OPERATOR),
        Some(serde_json::to_vec(&json!({"id": tenant, "name": tenant})).unwrap()),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let token = created.body["admin_token"]
        .as_str()
        .expect("an admin token")
        .to_string();
    for (name, config, subscriptions) in four_plugins() {
        let answer = service.call(
            "PUT",
            &format!("/v1/tenants/{tenant}/plugins/{name}"),
            Some(&token),
            Some(
                serde_json::to_vec(&json!({
                    "reference": name, "config": config, "enabled": true,
                    "subscriptions": subscriptions,
                }))
                .unwrap(),
            ),
        );
        assert!(answer.status < 300, "{name}: {}", answer.body);
    }
    token
}

fn created_event(n: usize) -> Value {
    json!({
        "id": format!("e-{n}"),
        "kind": {"type": "ticket_created"},
        "occurred_at": "2026-11-30T09:00:00Z",
        "ticket": {
            "id": format!("t-{n}"), "channel": "email", "priority": "normal",
            "requester": {"identities": [{"kind": "email", "value": format!("r{n}@example.com")}]},
            "subject": "Ma carte est bloquée",
            "messages": [{"id": format!("m-{n}"), "author_role": "requester", "channel": "email",
                          "body": "Bonjour, ma carte bancaire est bloquée depuis ce matin.",
                          "created_at": "2026-11-30T09:00:00Z"}],
            "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z"
        }
    })
}

fn start_service(name: &str) -> Running {
    let pipeline = PipelineConfig {
        // The figure is throughput: the backlog limit must not refuse the batches.
        max_backlog_per_tenant: 1_000_000,
        ..PipelineConfig::default()
    };
    Running::start_piped(
        fresh_dir(name).join("data"),
        ServiceClock::System,
        OutboxConfig::default(),
        pipeline,
    )
}

fn pipeline(figures: &mut Figures) {
    println!("\n## 3. Pipeline: triage, sla, followup and reassign, durable\n");
    const TICKETS: usize = 5_000;
    const BATCH: usize = 500;
    let service = start_service("pipeline");
    let token = tenant_with_four_plugins(&service, "acme");
    // A first batch, not counted: components compiled, caches warm, and triage and
    // sla pre-initialised with their configurations (made in the background after
    // their first events), as in a service that has run for a while.
    post_batch(&service, &token, 0..BATCH);
    service.wait_idle();
    service.wait_for_snapshots(2);
    let processed_before = events_processed(&service);
    let t = Instant::now();
    for start in (BATCH..BATCH + TICKETS).step_by(BATCH) {
        post_batch(&service, &token, start..start + BATCH);
    }
    let acknowledged = t.elapsed();
    service.wait_idle();
    let elapsed = t.elapsed();
    let processed = events_processed(&service) - processed_before;
    let tickets_per_second = TICKETS as f64 / elapsed.as_secs_f64();
    let events_per_second = processed as f64 / elapsed.as_secs_f64();
    println!(
        "| tickets | events processed (with follow-ups) | seconds | tickets/s | events/s | acknowledged in |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {TICKETS} | {processed} | {:.2} | {tickets_per_second:.0} | {events_per_second:.0} | {:.2} s |",
        elapsed.as_secs_f64(),
        acknowledged.as_secs_f64()
    );
    figures.put(
        "pipeline",
        "four_plugins",
        json!({"tickets": TICKETS, "events": processed, "seconds": elapsed.as_secs_f64(),
               "tickets_per_second": tickets_per_second.round(),
               "events_per_second": events_per_second.round()}),
    );
    service.stop();
}

fn post_batch(service: &Running, token: &str, range: std::ops::Range<usize>) {
    let events: Vec<Value> = range.map(created_event).collect();
    let answer = service.call(
        "POST",
        "/v1/tenants/acme/events",
        Some(token),
        Some(serde_json::to_vec(&events).unwrap()),
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
}

/// `guichet_events_processed_total` from the service's metrics.
fn events_processed(service: &Running) -> u64 {
    service
        .metric("guichet_events_processed_total")
        .expect("the events-processed counter") as u64
}

// ---------------------------------------------------------------------------------
// 4. HTTP ingestion

fn http(figures: &mut Figures) {
    println!("\n## 4. HTTP ingestion: single events over loopback, durable acknowledgement\n");
    let service = start_service("http");
    let token = tenant_with_four_plugins(&service, "acme");
    let url = format!("{}/v1/tenants/acme/events", service.base);
    let next = Arc::new(AtomicUsize::new(0));
    let post = {
        let (url, token) = (url.clone(), token.clone());
        move |agent: &ureq::Agent, n: usize| {
            let body = serde_json::to_vec(&created_event(n)).unwrap();
            let answer = agent
                .post(&url)
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .send(&body[..])
                .unwrap();
            assert_eq!(answer.status().as_u16(), 202);
        }
    };

    // Throughput: 16 clients as fast as they are answered, for 5 s.
    const CLIENTS: usize = 16;
    let until = Instant::now() + Duration::from_secs(5);
    let t = Instant::now();
    let sent: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (post, next) = (post.clone(), next.clone());
                scope.spawn(move || {
                    let agent = agent();
                    let mut sent = 0;
                    while Instant::now() < until {
                        post(&agent, next.fetch_add(1, Ordering::Relaxed));
                        sent += 1;
                    }
                    sent
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let throughput = sent as f64 / t.elapsed().as_secs_f64();
    println!("{CLIENTS} clients, 5 s: {sent} events acknowledged, {throughput:.0} events/s\n");
    figures.put(
        "http",
        "throughput",
        json!({"clients": CLIENTS, "acknowledged": sent,
               "events_per_second": throughput.round()}),
    );
    // The pipeline drains what was acknowledged before the latency runs start.
    service.wait_idle();

    println!("| rate (events/s) | sent | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    for rate in [500usize, 1_000, 2_000] {
        let latencies = at_rate(rate, Duration::from_secs(4), &post, &next);
        let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q) as usize];
        println!(
            "| {rate} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            ms.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            ms[ms.len() - 1]
        );
        figures.put(
            "http",
            &format!("latency_at_{rate}"),
            json!({"sent": ms.len(), "p50_ms": at(0.5), "p90_ms": at(0.9),
                   "p99_ms": at(0.99), "max_ms": ms[ms.len() - 1]}),
        );
        service.wait_idle();
    }
    service.stop();
}

/// Sends at `rate` for `length` from 16 clients on a shared schedule: request k is due
/// at k / rate; its latency runs from when it was due to its answer.
fn at_rate(
    rate: usize,
    length: Duration,
    post: &(impl Fn(&ureq::Agent, usize) + Sync),
    next: &AtomicUsize,
) -> Vec<Duration> {
    let total = (rate as f64 * length.as_secs_f64()) as usize;
    let slot = AtomicUsize::new(0);
    let start = Instant::now() + Duration::from_millis(50);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    let agent = agent();
                    let mut latencies = Vec::new();
                    loop {
                        let k = slot.fetch_add(1, Ordering::Relaxed);
                        if k >= total {
                            break latencies;
                        }
                        let due = start + Duration::from_secs_f64(k as f64 / rate as f64);
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        post(&agent, next.fetch_add(1, Ordering::Relaxed));
                        latencies.push(due.elapsed());
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into()
}

// ---------------------------------------------------------------------------------
// 5. KPIs

fn kpi_reports(figures: &mut Figures) {
    println!("\n## 5. KPIs: a month's report of a tenant with a million tickets\n");
    // GUICHET_KPI_REUSE=1 keeps the filled store for the next run (it takes minutes
    // to fill), for working on the report's code.
    let reuse = std::env::var_os("GUICHET_KPI_REUSE").is_some();
    let dir = if reuse {
        root().join("target/bench/kpis")
    } else {
        fresh_dir("kpis")
    };
    let measured = kpis::measure(&dir, 5);
    println!(
        "Store: {} tickets' facts ({} facts), committed in {:.0} s, 1,000 tickets a commit.\n",
        measured.tickets,
        measured.facts,
        measured.fill.as_secs_f64()
    );
    println!(
        "| tenant | report | facts read | reading them, median | whole report, median (max) |"
    );
    println!("|---|---|---|---|---|");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for q in &measured.queries {
        println!(
            "| {} ({}) | {} | {} | {:.0} ms | {:.0} ms ({:.0} ms) |",
            q.tenant,
            if q.tenant == "big" {
                "1,000,000 tickets over a year"
            } else {
                "that month's tickets only"
            },
            q.name,
            q.facts,
            ms(q.read),
            ms(q.median),
            ms(q.max)
        );
        figures.put(
            "kpis",
            &format!("{}/{}", q.tenant, q.name),
            json!({"facts": q.facts, "read_ms": round1(ms(q.read)),
                   "median_ms": round1(ms(q.median)), "max_ms": round1(ms(q.max))}),
        );
    }
    figures.put(
        "kpis",
        "store",
        json!({"tickets": measured.tickets, "facts": measured.facts,
               "fill_seconds": measured.fill.as_secs()}),
    );
    if !reuse {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

// ---------------------------------------------------------------------------------
// 6. Several workers on PostgreSQL

fn several_workers(figures: &mut Figures) {
    println!("\n## 6. Workers: 1, 2 and 3 on one PostgreSQL, beside one on sled\n");
    let measured = workers::measure(
        &fresh_dir("workers"),
        &|| common::postgres::durable_server().database(),
        &four_plugins(),
        &|n| {
            let mut event = created_event(n);
            // Fresh ids per configuration: each runs on an empty store anyway.
            event["id"] = json!(format!("w-{n}"));
            event
        },
    );
    println!("What keeping a ticket's events in order costs per event (µs):\n");
    println!("| way | median | p90 |");
    println!("|---|---|---|");
    for c in workers::coordination(&common::postgres::durable_server().database()) {
        println!("| {} | {:.0} | {:.0} |", c.way, c.p50_us, c.p90_us);
        figures.put(
            "workers",
            &format!("coordination/{}", c.way),
            json!({"p50_us": c.p50_us.round(), "p90_us": c.p90_us.round()}),
        );
    }
    println!();
    println!(
        "{} clients with `?wait=true`, {} tenants, {} s counted after a warm-up.\n",
        workers::CLIENTS,
        workers::TENANTS,
        workers::WINDOW.as_secs()
    );
    println!(
        "| store | workers | tickets/s (answered) | events/s (with follow-ups) | p50 ms | p99 ms | cores: workers / clients / PostgreSQL and the rest |"
    );
    println!("|---|---|---|---|---|---|---|");
    for m in &measured {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.1} | {:.1} | {:.2} / {:.2} / {:.2} |",
            m.store,
            m.workers,
            m.tickets_per_second,
            m.events_per_second,
            m.p50_ms,
            m.p99_ms,
            m.cpu_workers,
            m.cpu_clients,
            m.cpu_rest
        );
        figures.put(
            "workers",
            &format!("{}_{}", m.store, m.workers),
            json!({"tickets_per_second": m.tickets_per_second.round(),
                   "events_per_second": m.events_per_second.round(),
                   "p50_ms": m.p50_ms, "p99_ms": m.p99_ms,
                   "cores": {"workers": m.cpu_workers, "clients": m.cpu_clients,
                             "rest": m.cpu_rest}}),
        );
    }
}
