//! Measures the two instance models for a plugin call: a warm instance called again
//! and again, and a fresh instance per call (instantiate + call), on the `triage`
//! reference plugin with the example configuration and events.
//!
//! Run: `cargo bench --bench instance_model` (release build). Prints the median and
//! the 90th percentile of each, in microseconds, the fuel of one call, and the rate
//! at which a tight guest loop burns fuel (what the default fuel is sized against).

use std::time::{Duration, Instant};

use std::sync::Arc;

use guichet::harness::{self, MemoryStorage, MemoryTickets};
use guichet::reference_plugins;
use guichet::runtime::{PluginEnv, Runtime, RuntimeConfig};

const ROUNDS: usize = 2_000;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = std::fs::read_to_string(root.join("examples/triage/config.json")).unwrap();
    let events = harness::read_events(&root.join("examples/triage/events.jsonl")).unwrap();
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();

    let started = Instant::now();
    let plugin = runtime.load(reference_plugins::TRIAGE.component).unwrap();
    println!(
        "compile triage ({} bytes): {:.1} ms",
        reference_plugins::TRIAGE.component.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    let env = PluginEnv {
        tickets: Arc::new(MemoryTickets::default()),
        storage: Arc::new(MemoryStorage::default()),
        config,
    };
    let limits = runtime.default_limits().clone();
    let event = &events[0];

    // Fresh instance per call: instantiate + call + drop.
    let mut fresh = Vec::with_capacity(ROUNDS);
    let mut fuel = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let report = runtime.on_event(&plugin, env.clone(), event, &limits);
        fresh.push(t.elapsed());
        fuel = report.fuel_used;
        assert!(report.result.is_ok(), "{:?}", report.result);
    }

    // Instantiation alone.
    let mut instantiation = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let instance = runtime
            .instantiate(&plugin, env.clone(), &limits, event)
            .map_err(|r| r.result.unwrap_err())
            .unwrap();
        instantiation.push(instance.instantiation);
    }

    // Warm instance: one instantiation, then calls only.
    let mut warm_instance = runtime
        .instantiate(&plugin, env.clone(), &limits, event)
        .map_err(|r| r.result.unwrap_err())
        .unwrap();
    let mut warm = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let event = &events[round % 5];
        let t = Instant::now();
        let report = warm_instance.call_on_event(env.clone(), event, &limits);
        warm.push(t.elapsed());
        assert!(report.result.is_ok(), "{:?}", report.result);
    }

    println!("triage, {ROUNDS} rounds each (µs: median / p90):");
    report("warm call (instance reused)", &mut warm);
    report("instantiation only", &mut instantiation);
    report("fresh instance per call", &mut fresh);
    println!("fuel of one ticket-created call: {fuel}");

    fuel_rate(&runtime, event);
}

/// Runs the `loop` behaviour of the hostile test guest until a fixed fuel budget is
/// spent, with a deadline far away, and prints the fuel burned per second.
fn fuel_rate(runtime: &Runtime, event: &guichet::model::Event) {
    const BUDGET: u64 = 2_000_000_000;
    let path = std::path::Path::new(env!("GUICHET_GUEST_DIR")).join("hostile.wasm");
    let hostile = runtime.load(&std::fs::read(path).unwrap()).unwrap();
    let limits = guichet::runtime::CallLimits {
        fuel: BUDGET,
        deadline: Duration::from_secs(60),
        ..runtime.default_limits().clone()
    };
    let env = PluginEnv {
        config: "loop".to_string(),
        ..PluginEnv::empty()
    };
    let mut rates = Vec::new();
    for _ in 0..5 {
        let report = runtime.on_event(&hostile, env.clone(), event, &limits);
        assert!(report.result.is_err(), "the loop returned");
        rates.push(BUDGET as f64 / report.duration.as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let rate = rates[2];
    println!(
        "tight loop: {:.2} billion fuel/s (median of 5); the default fuel ({}) lasts {:.2} s",
        rate / 1e9,
        guichet::runtime::DEFAULT_FUEL,
        guichet::runtime::DEFAULT_FUEL as f64 / rate
    );
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e6;
    println!("  {name:<32} {:>9.1} / {:>9.1}", at(0.5), at(0.9));
}
