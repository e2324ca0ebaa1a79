//! Measures the two instance models for a plugin call — a warm instance called again
//! and again, and a fresh instance per call (instantiate + call) — for a plugin in
//! each language: the `triage` reference plugin (Rust), `examples/python-sentiment`
//! (Python, componentize-py) and `examples/js-macros` (JavaScript, componentize-js),
//! each on its example configuration and input.
//!
//! Run: `cargo bench --bench instance_model` (release build). The Python and
//! JavaScript plugins are built from source first, with the toolchains that
//! `scripts/install-guest-toolchains` installs. Prints, per plugin, the compile time,
//! the median and 90th percentile of each model in microseconds and the fuel of one
//! call, then the rate at which a tight guest loop burns fuel (what the default fuel
//! is sized against).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::harness::{self, MacroCall, MemoryStorage, MemoryTickets};
use guichet::model::Event;
use guichet::reference_plugins;
use guichet::runtime::{
    CallLimits, MacroRequest, PluginComponent, PluginEnv, Runtime, RuntimeConfig,
};

use common::{Lang, build_plugin, root};

fn main() {
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let limits = runtime.default_limits().clone();

    let triage_events = harness::read_events(&root().join("examples/triage/events.jsonl")).unwrap();
    let triage = compile(
        &runtime,
        "triage (Rust)",
        reference_plugins::TRIAGE.component,
    );
    let env = env_with_config("examples/triage/config.json");
    automation(&runtime, &triage, &env, &triage_events, &limits, 2_000);

    match build_plugin(
        Lang::Python,
        &root().join("examples/python-sentiment/app.py"),
        "automation",
        "python-sentiment",
    ) {
        Some(path) => {
            let events =
                harness::read_events(&root().join("examples/python-sentiment/events.jsonl"))
                    .unwrap();
            let plugin = compile(&runtime, "python-sentiment (Python)", &read(&path));
            let env = env_with_config("examples/python-sentiment/config.json");
            automation(&runtime, &plugin, &env, &events, &limits, 300);
        }
        None => println!("python-sentiment: not measured, its toolchain is missing"),
    }

    match build_plugin(
        Lang::JavaScript,
        &root().join("examples/js-macros/macros.js"),
        "macros",
        "js-macros",
    ) {
        Some(path) => {
            let plugin = compile(&runtime, "js-macros (JavaScript)", &read(&path));
            let env = env_with_config("examples/js-macros/config.json");
            let calls =
                harness::read_macro_calls(&root().join("examples/js-macros/requests.jsonl"))
                    .unwrap();
            macros(
                &runtime,
                &plugin,
                &env,
                &calls,
                &triage_events[0],
                &limits,
                300,
            );
        }
        None => println!("js-macros: not measured, its toolchain is missing"),
    }

    fuel_rate(&runtime, &triage_events[0]);
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn env_with_config(path: &str) -> PluginEnv {
    PluginEnv {
        tickets: Arc::new(MemoryTickets::default()),
        storage: Arc::new(MemoryStorage::default()),
        config: std::fs::read_to_string(root().join(path)).unwrap(),
    }
}

fn compile(runtime: &Runtime, name: &str, bytes: &[u8]) -> PluginComponent {
    let started = Instant::now();
    let plugin = runtime.load(bytes).unwrap();
    println!(
        "\n{name}: {} bytes, compiled and validated in {:.0} ms",
        bytes.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    plugin
}

/// An automation plugin on its first example event, in a fresh instance each time and
/// in one warm instance.
fn automation(
    runtime: &Runtime,
    plugin: &PluginComponent,
    env: &PluginEnv,
    events: &[Event],
    limits: &CallLimits,
    rounds: usize,
) {
    let event = &events[0];
    let mut fresh = Vec::with_capacity(rounds);
    let mut fuel = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let report = runtime.on_event(plugin, env.clone(), event, limits);
        fresh.push(t.elapsed());
        fuel = report.fuel_used;
        assert!(report.result.is_ok(), "{:?}", report.result);
    }
    let instantiation = instantiations(runtime, plugin, env, event, limits, rounds);
    let mut warm_instance = runtime
        .instantiate(plugin, env.clone(), limits, event)
        .map_err(|r| r.result.unwrap_err())
        .unwrap();
    // The same event as the fresh calls: the two models must do the same work.
    let mut warm = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let report = warm_instance.call_on_event(env.clone(), event, limits);
        warm.push(t.elapsed());
        assert!(report.result.is_ok(), "{:?}", report.result);
    }
    print_figures(
        rounds,
        &mut warm,
        instantiation,
        &mut fresh,
        fuel,
        "on-event",
    );
}

/// A macros plugin rendering its first `render` request.
fn macros(
    runtime: &Runtime,
    plugin: &PluginComponent,
    env: &PluginEnv,
    calls: &[MacroCall],
    any_event: &Event,
    limits: &CallLimits,
    rounds: usize,
) {
    let Some(MacroCall::Render {
        macro_id,
        ticket,
        variables,
        ..
    }) = calls.iter().find(|c| matches!(c, MacroCall::Render { .. }))
    else {
        panic!("no render request in the example");
    };
    let variables: &BTreeMap<String, String> = variables;
    let request = MacroRequest {
        macro_id,
        ticket,
        variables,
        now: ticket.updated_at,
    };
    let mut fresh = Vec::with_capacity(rounds);
    let mut fuel = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let report = runtime.render_macro(plugin, env.clone(), &request, limits);
        fresh.push(t.elapsed());
        fuel = report.fuel_used;
        assert!(report.result.is_ok(), "{:?}", report.result);
    }
    let instantiation = instantiations(runtime, plugin, env, any_event, limits, rounds);
    let mut warm_instance = runtime
        .instantiate(plugin, env.clone(), limits, any_event)
        .map_err(|r| r.result.unwrap_err())
        .unwrap();
    let mut warm = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let report = warm_instance.call_render(env.clone(), &request, limits);
        warm.push(t.elapsed());
        assert!(report.result.is_ok(), "{:?}", report.result);
    }
    print_figures(rounds, &mut warm, instantiation, &mut fresh, fuel, "render");
}

fn instantiations(
    runtime: &Runtime,
    plugin: &PluginComponent,
    env: &PluginEnv,
    event: &Event,
    limits: &CallLimits,
    rounds: usize,
) -> Vec<Duration> {
    (0..rounds)
        .map(|_| {
            runtime
                .instantiate(plugin, env.clone(), limits, event)
                .map_err(|r| r.result.unwrap_err())
                .unwrap()
                .instantiation
        })
        .collect()
}

fn print_figures(
    rounds: usize,
    warm: &mut [Duration],
    mut instantiation: Vec<Duration>,
    fresh: &mut [Duration],
    fuel: u64,
    call: &str,
) {
    println!("  {rounds} rounds each (µs: median / p90):");
    report("warm call (instance reused)", warm);
    report("instantiation only", &mut instantiation);
    report("fresh instance per call", fresh);
    println!("  fuel of one fresh {call} call: {fuel}");
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e6;
    println!("    {name:<30} {:>9.1} / {:>9.1}", at(0.5), at(0.9));
}

/// Runs the `loop` behaviour of the hostile test guest until a fixed fuel budget is
/// spent, with a deadline far away, and prints the fuel burned per second.
fn fuel_rate(runtime: &Runtime, event: &Event) {
    const BUDGET: u64 = 2_000_000_000;
    let path = Path::new(env!("GUICHET_GUEST_DIR")).join("hostile.wasm");
    let hostile = runtime.load(&read(&path)).unwrap();
    let limits = CallLimits {
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
        "\ntight loop: {:.2} billion fuel/s (median of 5); the default fuel ({}) lasts {:.2} s",
        rate / 1e9,
        guichet::runtime::DEFAULT_FUEL,
        guichet::runtime::DEFAULT_FUEL as f64 / rate
    );
}
