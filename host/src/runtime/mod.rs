//! The plugin runtime: one wasmtime [`Engine`], components validated against the
//! worlds of `guichet:plugin@0.1.0`, and calls run under per-call limits.
//!
//! The runtime owns Wasm execution only. It knows nothing of tenants, storage or
//! HTTP: what a plugin may read comes in a [`PluginEnv`], and what a call produced
//! (actions, storage writes, log, fuel, time) goes back in a [`CallReport`] for the
//! caller to commit or audit.
//!
//! # Limits
//!
//! Every call runs under [`CallLimits`]: fuel (about one unit per Wasm instruction),
//! a wall-clock deadline enforced through epoch interruption (a background thread
//! ticks the engine's epoch every [`EPOCH_TICK`]), a cap on linear memory and table
//! size, on the size of the result and on the log. A trap or an exceeded limit ends
//! that call with a typed [`CallError`]; the engine, the compiled component and every
//! other call are unaffected.
//!
//! # Instance model: a fresh instance per call
//!
//! Each call instantiates the component anew from its [`InstancePre`] in a new
//! [`Store`], and drops both when it returns. The alternative — a pool of warm
//! instances per tenant plugin, dropped after a trap — was measured with
//! `cargo bench --bench instance_model` (release build, the `triage` reference
//! plugin on a ticket-created event, on the project's 2-core x86_64 machine):
//!
//! | model                                   | median per call |
//! |-----------------------------------------|-----------------|
//! | warm instance, call only                | see below       |
//! | fresh instance: instantiate + call      | see below       |
//!
//! MEASUREMENTS
//!
//! A fresh instance per call is the model: its cost stays small next to a ticket
//! event's round trip, and it buys properties a warm pool cannot give without extra
//! machinery: no state leaks from one ticket (or one tenant's data) to the next
//! through a guest's globals, a call's result depends only on its event, storage and
//! configuration (so replays reproduce it), and a trap needs no clean-up. A pool would
//! be revisited for guests whose instantiation is expensive (interpreted languages
//! that initialise at start).

mod bindings;
mod call;
mod component;
mod convert;
mod error;
mod sandbox;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, Store, Trap};

pub use call::{
    CallReport, HostServiceError, LogLevel, LogLine, PluginEnv, StorageSource, StorageWrite,
    TicketSource,
};
pub use component::{ComponentInfo, PluginComponent, WIT_PACKAGE, World};
pub use error::{CallError, LoadError};

use call::{CallState, Limiter};
use component::Exports;
use sandbox::{CapturedOutput, LogicalClock};

use crate::model;

/// How often the engine's epoch advances: the resolution of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The limits one call runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLimits {
    /// Fuel units; roughly one per WebAssembly instruction executed.
    pub fuel: u64,
    /// Wall-clock time from the start of instantiation to the return of the call.
    pub deadline: Duration,
    /// Bytes of linear memory, all the component's memories together.
    pub memory_bytes: usize,
    /// Elements of any one table.
    pub table_elements: usize,
    /// Bytes of the call's result, measured as the JSON the host would store.
    pub output_bytes: usize,
    /// Bytes of log (log lines, stdout and stderr together) kept per call.
    pub log_bytes: usize,
}

impl Default for CallLimits {
    /// Generous for rules on one ticket: the reference plugins use well under 1% of
    /// each (see the tests and the `instance_model` bench for their figures).
    fn default() -> Self {
        CallLimits {
            fuel: 1_000_000_000,
            deadline: Duration::from_millis(100),
            memory_bytes: 64 << 20,
            table_elements: 20_000,
            output_bytes: 1 << 20,
            log_bytes: 64 << 10,
        }
    }
}

/// Settings of a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Limits applied by [`Runtime::on_event`] unless a call is given its own.
    pub default_limits: CallLimits,
    /// Largest component file accepted.
    pub max_component_bytes: usize,
    /// Largest Wasm stack of a call; deeper recursion traps as a stack overflow.
    pub max_wasm_stack: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            default_limits: CallLimits::default(),
            max_component_bytes: 64 << 20,
            max_wasm_stack: 512 << 10,
        }
    }
}

/// Why the runtime itself could not start.
#[derive(Debug, thiserror::Error)]
#[error("could not start the plugin runtime: {0}")]
pub struct RuntimeError(String);

/// The plugin runtime: an engine, the host's linker, and the epoch ticker.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    config: RuntimeConfig,
    ticker: Option<EpochTicker>,
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack);
        let engine = Engine::new(&wasm).map_err(|e| RuntimeError(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| RuntimeError(format!("{e:#}")))?;
        bindings::Runtime::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(|e| RuntimeError(format!("{e:#}")))?;

        let ticker = EpochTicker::start(engine.clone());
        Ok(Runtime {
            engine,
            linker,
            config,
            ticker: Some(ticker),
        })
    }

    /// The limits calls get unless told otherwise.
    pub fn default_limits(&self) -> &CallLimits {
        &self.config.default_limits
    }

    /// Validates `bytes` as a plugin component of one of the worlds, and compiles it.
    ///
    /// Validation ends with a trial instantiation under the default limits, which
    /// type-checks the world's exports (names alone are checked before) and catches a
    /// component that cannot even start.
    pub fn load(&self, bytes: &[u8]) -> Result<PluginComponent, LoadError> {
        let plugin = PluginComponent::load(
            &self.engine,
            &self.linker,
            bytes,
            self.config.max_component_bytes,
        )?;
        let limits = &self.config.default_limits;
        let mut store = self.new_store(limits, PluginEnv::empty(), 0, 0);
        let instance = plugin.pre.instantiate(&mut store).map_err(|e| {
            LoadError::Instantiate(
                classify(e, store.data(), limits, CallError::Instantiate).to_string(),
            )
        })?;
        let world = plugin.world();
        let checked = match &plugin.exports {
            Exports::Automation(indices) => indices.load(&mut store, &instance).map(drop),
            Exports::Macros => bindings::macro_library::GuestIndices::new(&plugin.pre)
                .and_then(|indices| indices.load(&mut store, &instance))
                .map(drop),
            Exports::ChannelAdapter => bindings::adapter::GuestIndices::new(&plugin.pre)
                .and_then(|indices| indices.load(&mut store, &instance))
                .map(drop),
        };
        checked.map_err(|e| LoadError::ExportMismatch {
            export: world.export().to_string(),
            reason: format!("{e:#}"),
            expected: world.export_functions(),
        })?;
        Ok(plugin)
    }

    /// Runs an `automation` plugin on one event, in a fresh instance, under `limits`.
    pub fn on_event(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        event: &model::Event,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::Action>> {
        let mut instance = match self.instantiate(plugin, env.clone(), limits, event) {
            Ok(instance) => instance,
            Err(report) => return report,
        };
        instance.call_on_event(env, event, limits)
    }

    /// Instantiates `plugin` in a store of its own, for callers that reuse an
    /// instance across calls (the warm model, measured by the `instance_model`
    /// bench). Instantiation counts against `limits`. The random seed is drawn from
    /// the plugin and `first_event`.
    pub fn instantiate(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        limits: &CallLimits,
        first_event: &model::Event,
    ) -> Result<WarmInstance, CallReport<Vec<model::Action>>> {
        let started = Instant::now();
        let seed = random_seed(&plugin.info().sha256, &first_event.id);
        let now = convert::millis(first_event.occurred_at);
        let mut store = self.new_store(limits, env, now, seed);
        match plugin.pre.instantiate(&mut store) {
            Ok(instance) => Ok(WarmInstance {
                store,
                instance,
                plugin_exports: plugin.exports.clone(),
                world: plugin.world(),
                instantiation: started.elapsed(),
            }),
            Err(e) => {
                let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
                let error = classify(e, store.data(), limits, CallError::Instantiate);
                let logs = store.data_mut().take_logs();
                Err(CallReport {
                    result: Err(error),
                    logs,
                    storage_writes: Vec::new(),
                    fuel_used,
                    duration: started.elapsed(),
                })
            }
        }
    }

    /// A store for one plugin, armed with `limits`, its clock at `now_millis`.
    fn new_store(
        &self,
        limits: &CallLimits,
        env: PluginEnv,
        now_millis: i64,
        random_seed: u64,
    ) -> Store<CallState> {
        let output = CapturedOutput::new(limits.log_bytes);
        let clock = LogicalClock::default();
        clock.set(now_millis);
        let wasi = sandbox::wasi_context(&clock, random_seed, &output);
        let limiter = Limiter::new(limits.memory_bytes, limits.table_elements);
        let state = CallState::new(wasi, output, clock, limiter, env, limits.log_bytes);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        arm(&mut store, limits);
        store
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.stop();
        }
    }
}

/// Sets a store's fuel and deadline for one call.
fn arm(store: &mut Store<CallState>, limits: &CallLimits) {
    // Fuel is enabled on the engine, so setting it cannot fail.
    let _ = store.set_fuel(limits.fuel);
    // One tick more than the deadline: the current tick is already partly over, and
    // a deadline must never cut a call short.
    let ticks = limits.deadline.as_nanos().div_ceil(EPOCH_TICK.as_nanos()) as u64 + 1;
    store.set_epoch_deadline(ticks);
    store.epoch_deadline_trap();
    store.data_mut().limiter.memory_hit = false;
    store.data_mut().limiter.table_hit = false;
}

/// A seed that is the same for the same plugin and event, so that a replay of an
/// event draws the same random numbers.
fn random_seed(plugin_sha256: &str, event_id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(plugin_sha256.as_bytes())
        .chain_update([0])
        .chain_update(event_id.as_bytes())
        .finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// Turns the error a call or an instantiation ended with into the limit or trap it
/// stands for.
fn classify(
    error: wasmtime::Error,
    state: &CallState,
    limits: &CallLimits,
    otherwise: fn(String) -> CallError,
) -> CallError {
    if state.limiter.memory_hit {
        return CallError::MemoryLimit {
            limit: limits.memory_bytes,
        };
    }
    if state.limiter.table_hit {
        return CallError::TableLimit {
            limit: limits.table_elements,
        };
    }
    if let Some(host) = error.downcast_ref::<HostServiceError>() {
        return CallError::Host(host.0.clone());
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallError::OutOfFuel { limit: limits.fuel },
        Some(Trap::Interrupt) => CallError::DeadlineExceeded {
            deadline: limits.deadline,
        },
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        // The trap's own message; the Wasm backtrace of an anonymous guest says little
        // to an admin reading the audit trail.
        Some(trap) => CallError::Trap(trap.to_string()),
        None => otherwise(format!("{error:#}")),
    }
}

/// An instantiated plugin in its own store, callable several times.
pub struct WarmInstance {
    store: Store<CallState>,
    instance: wasmtime::component::Instance,
    plugin_exports: Exports,
    world: World,
    /// How long instantiation took.
    pub instantiation: Duration,
}

impl WarmInstance {
    /// Runs the plugin's `on-event` under `limits`, on this instance.
    pub fn call_on_event(
        &mut self,
        env: PluginEnv,
        event: &model::Event,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::Action>> {
        let started = Instant::now();
        let Exports::Automation(indices) = &self.plugin_exports else {
            return CallReport {
                result: Err(CallError::WrongWorld {
                    expected: World::Automation,
                    actual: self.world,
                }),
                logs: Vec::new(),
                storage_writes: Vec::new(),
                fuel_used: 0,
                duration: Duration::ZERO,
            };
        };
        self.store.data_mut().reset(env);
        self.store
            .data()
            .clock
            .set(convert::millis(event.occurred_at));
        arm(&mut self.store, limits);

        let wit_event: bindings::types::Event = event.into();
        let outcome = indices
            .load(&mut self.store, &self.instance)
            .and_then(|guest| guest.call_on_event(&mut self.store, &wit_event));
        let fuel_used = limits
            .fuel
            .saturating_sub(self.store.get_fuel().unwrap_or(0));
        let result = match outcome {
            Ok(Ok(actions)) => {
                let actions: Vec<model::Action> = actions.into_iter().map(Into::into).collect();
                let size = serde_json::to_vec(&actions).map_or(usize::MAX, |json| json.len());
                if size > limits.output_bytes {
                    Err(CallError::OutputTooLarge {
                        size,
                        limit: limits.output_bytes,
                    })
                } else {
                    Ok(actions)
                }
            }
            Ok(Err(message)) => Err(CallError::Plugin(truncate(message, 4096))),
            Err(e) => Err(classify(e, self.store.data(), limits, CallError::Trap)),
        };
        let state = self.store.data_mut();
        let logs = state.take_logs();
        let storage_writes = if result.is_ok() {
            state.take_writes()
        } else {
            state.take_writes();
            Vec::new()
        };
        CallReport {
            result,
            logs,
            storage_writes,
            fuel_used,
            duration: started.elapsed(),
        }
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until stopped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl EpochTicker {
    fn start(engine: Engine) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("guichet-epoch".to_string())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawn the epoch thread");
        EpochTicker { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}
