//! The plugin runtime: one wasmtime [`Engine`], components validated against the
//! worlds of each version of `guichet:plugin` it serves (0.1.0, 0.2.0 and 0.3.0, side by
//! side: `bindings`, `convert`), and calls run under per-call limits.
//!
//! The runtime owns Wasm execution only. It knows nothing of tenants, storage or
//! HTTP: what a plugin may read comes in a [`PluginEnv`], and what a call produced
//! (actions, storage writes, log, fuel, time) goes back in a [`CallReport`] for the
//! caller to commit or audit.
//!
//! Each export of each world has its call: [`Runtime::on_event`] (automation),
//! [`Runtime::list_macros`] and [`Runtime::render_macro`] (macros),
//! [`Runtime::served_channel`], [`Runtime::handle_inbound`] and
//! [`Runtime::render_actions`] (channel adapters). All of them go through one
//! private path (`WarmInstance::call`) that arms the limits and builds the report.
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
//! `cargo bench --bench instance_model` (release build; each plugin on its example
//! configuration and input; measured on 2026-11-23 on the project's machine, 2 cores
//! of an AMD EPYC, x86_64 Linux; median / 90th percentile):
//!
//! | plugin (language, size)            | warm call       | instantiation   | fresh instance + call |
//! |------------------------------------|-----------------|-----------------|-----------------------|
//! | `triage` (Rust, 320 KB)            | 34 / 35 µs      | 10 / 12 µs      | 89 / 99 µs            |
//! | `python-sentiment` (Python, 18 MB) | 181 / 190 µs    | 493 / 521 µs    | 2,175 / 2,265 µs      |
//! | `js-macros` (JavaScript, 12 MB)    | 129 / 143 µs    | 13 / 14 µs      | 1,038 / 1,114 µs      |
//!
//! Both models run the same call (the first example event, or the first render
//! request) every round; three runs agreed within 5% once the machine was quiet (a
//! run straight after a build was up to 50% slower). Compiling (once per upload,
//! then cached): 0.2 s for triage, 5.7 s for the Python component, 7.0 s for the
//! JavaScript one. A fresh instance costs more than instantiation plus a warm call:
//! a new instance also pays for its first touches of linear memory (copy-on-write
//! pages of the initial heap image: megabytes for an embedded interpreter) and the
//! guest allocator's start, which a warm instance has behind it.
//!
//! A fresh instance per call is the model. For Rust plugins it costs about 55 µs
//! more per call; for the interpreted languages 1–2 ms, still small next to a
//! ticket event's round trip (a durable write and an HTTP exchange) and to the
//! 100 ms deadline, and it buys properties a warm pool cannot give without extra
//! machinery: no state leaks from one ticket (or one tenant's data) to the next
//! through a guest's globals, a call's result depends only on its event, storage and
//! configuration (so replays reproduce it), and a trap needs no clean-up.
//!
//! # Instances come from a pool
//!
//! Instances are allocated by wasmtime's pooling allocator ([`InstancePool`]): slots
//! of address space reserved once, each memory's initial image mapped copy-on-write
//! into a free slot, and the slot reset with `madvise` when the instance is dropped;
//! calls wait for a free slot when all are taken. Measured with
//! `cargo bench --bench suite -- instances` (2026-11-30, the project's machine, 2
//! cores, other builds running beside it; median µs), allocation on demand → pooling:
//!
//! | plugin                        | instantiation | instantiation + drop | fresh instance + call |
//! |-------------------------------|---------------|----------------------|-----------------------|
//! | no-op (Rust, returns nothing) | 17.1 → 7.4    | 29.1 → 12.9          | 51.1 → 25.3           |
//! | `triage` (Rust)               | 15.9 → 6.0    | 28.5 → 11.7          | 98.5 → 77.1           |
//! | `python-sentiment` (Python)   | 470 → 448     |                      | 2,313 → 1,980         |
//! | `js-macros` (JavaScript)      | 18.0 → 7.1    |                      | 997 → 969             |
//!
//! Warm calls are unchanged (2.6 µs for the no-op, 33 µs for triage). What remains
//! in a fresh no-op call beyond instantiation, a warm call and the slot's reset
//! (about 10 µs) is the first call's first touches: page faults on the guest's
//! stack and heap and the tables' lazy initialisation. Keeping 1 MiB of each slot
//! resident (reset with `memset` instead of `madvise`) was measured too and made
//! the no-op's fresh call slower (29 µs): the reset then writes the whole stack
//! region. The Python component's instantiation stays near 0.5 ms under either
//! allocator: its memory image is not mapped but initialised at each instantiation
//! (see `BENCHMARKS.md` and the README's "Measuring" for the profile and the plan).
//! Triage's call was mostly its configuration being parsed again: its
//! `check-config`, which parses the same configuration, burns 374,000 of the event
//! call's 466,000 fuel (sla: 103,000 of 372,000).
//!
//! # Pre-initialised instances: the configuration read once
//!
//! A component that exports `wizer-initialize` (Wizer's convention) is run once per
//! configuration and snapshotted (see `preinit`, [`Runtime::pre_initialise`]); each
//! call's fresh instance then starts from that snapshot's memory image, with the
//! configuration already parsed. Isolation between calls and the clean slate after a
//! trap are kept; what the initialiser drew at random is frozen into the snapshot
//! (see `preinit`). The service makes the snapshot in the background the first time
//! an event needs it (the plain component serves until then, and when the
//! initialiser fails). Measured with `cargo bench --bench suite -- instances`
//! (figures in `BENCHMARKS.md`: the project's machine, pooling allocator, plugins
//! built at `opt-level = 3`; median µs, plain → pre-initialised): `triage` warm call
//! 32.2 → 9.3, fresh instance + call 75.3 → 49.9, fuel 443,000 → 118,000; `sla` 25.4 →
//! 19.1 and 80.5 → 74.0. `dedupe` reads little configuration (2,800 fuel of
//! 1,130,000) and does not export the initialiser. The alternatives: an `init` export
//! in a new contract version would give the same snapshot a name of our own, at the
//! cost of a new contract version for every plugin that wants it, where Wizer's
//! convention costs an existing plugin one export; keeping warm instances per
//! configuration would read the configuration once too, but gives up the fresh
//! instance.
//!
//! Building the plugins at `opt-level = 3` instead of `"s"` made `dedupe`'s warm call
//! 128 → 69 µs and `triage`'s 45 → 33 µs for components 6 to 10% larger.

mod bindings;
mod call;
pub mod compiled;
mod component;
mod convert;
mod deadline;
mod error;
mod output;
mod preinit;
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
pub use compiled::{Compilations, CompileCounters};
pub use component::{
    ComponentInfo, ContractVersion, PluginComponent, WIT_PACKAGE, World, sha256_hex,
};
pub use error::{CallError, LoadError};
pub use preinit::{INIT_EXPORT, PreInitError};

use bindings::{v0_1_0, v0_2_0, v0_3_0};
use call::{CallState, Limiter};
use compiled::{CompiledCache, Origin};
use component::{ConfigCheck, Exports, Versioned};
use sandbox::{CapturedOutput, LogicalClock, MonotonicClock};

pub use deadline::FUEL_YIELD_INTERVAL;

use crate::model;

/// How often the engine's epoch advances: the resolution of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Default fuel per call; see [`CallLimits::default`] for why it is this large.
pub const DEFAULT_FUEL: u64 = 50_000_000_000;

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
    ///
    /// By default the deadline is the binding limit and fuel is the measure (every
    /// call reports the fuel it used) and a backstop. A tight guest loop burns about
    /// 18 billion fuel units a second on the project's machine (17.7 to 19.2 in five
    /// runs of the bench, which prints the rate): one billion, the first default, ran
    /// out in about 55 ms, so the same runaway loop ended as out-of-fuel or as a
    /// deadline depending on the CPU. Fifty billion lasts about 2.7 s there: far past
    /// the deadline on any current CPU.
    /// Tenants who want a deterministic instruction budget set a tighter fuel limit,
    /// which then binds first.
    fn default() -> Self {
        CallLimits {
            fuel: DEFAULT_FUEL,
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
    /// A directory where compiled components are kept between runs, keyed by their
    /// bytes' SHA-256 and the engine's settings (see [`compiled`]); `None` compiles
    /// every time. Compiling a component made by an interpreter-embedding toolchain
    /// (12–18 MB for JavaScript and Python) takes seconds, loading it from here
    /// milliseconds.
    pub compile_cache: Option<std::path::PathBuf>,
    /// Instances are allocated from wasmtime's pooling allocator (see [`InstancePool`]);
    /// `None` allocates each one on demand with `mmap`.
    pub instance_pool: Option<InstancePool>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            default_limits: CallLimits::default(),
            max_component_bytes: 64 << 20,
            max_wasm_stack: 512 << 10,
            compile_cache: None,
            instance_pool: Some(InstancePool::default()),
        }
    }
}

/// The size of the instance pool: slots reserved once, at start, and reused by every
/// call, so that instantiating is taking a free slot and mapping the component's
/// initial memory image copy-on-write into it, not a round of `mmap`/`munmap`.
///
/// Each slot reserves address space only (the linear memory's 4 GiB reservation and
/// guard, a table, a fiber stack): about 8.1 GiB of virtual memory per slot, none of
/// it resident until used. A call that finds every slot taken waits for one
/// ([`Runtime`] counts them), outside its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePool {
    /// Component instances alive at once (calls in progress and warm instances).
    pub instances: u32,
    /// The largest linear memory a call may grow to, in bytes: at least the largest
    /// [`CallLimits::memory_bytes`] any call is given (the operator's maximum).
    pub max_memory_bytes: usize,
}

impl Default for InstancePool {
    /// 64 instances (the pipeline's workers and the API's calls together stay well
    /// below) of at most 256 MiB of memory each (the operator's default maximum).
    fn default() -> Self {
        InstancePool {
            instances: 64,
            max_memory_bytes: 256 << 20,
        }
    }
}

impl InstancePool {
    /// Core instances, memories and tables per component: a Rust component has 1 to
    /// 3 core instances and one memory; an interpreter built by componentize-py has
    /// about a dozen core instances and two memories.
    const CORE_INSTANCES_PER_COMPONENT: u32 = 32;
    const MEMORIES_PER_COMPONENT: u32 = 4;
    const TABLES_PER_COMPONENT: u32 = 16;

    fn allocation(&self, limits: &CallLimits) -> wasmtime::PoolingAllocationConfig {
        let mut pool = wasmtime::PoolingAllocationConfig::new();
        let n = self.instances.max(1);
        pool.total_component_instances(n)
            .total_core_instances(n * Self::CORE_INSTANCES_PER_COMPONENT)
            .max_core_instances_per_component(Self::CORE_INSTANCES_PER_COMPONENT)
            // Two memories per instance on average; the count of instances alive
            // bounds them before the memories run out.
            .total_memories(n * 2)
            .max_memories_per_component(Self::MEMORIES_PER_COMPONENT)
            .max_memories_per_module(2)
            .total_tables(n * Self::TABLES_PER_COMPONENT)
            .max_tables_per_component(Self::TABLES_PER_COMPONENT)
            .max_tables_per_module(4)
            .table_elements(limits.table_elements.max(20_000))
            .total_stacks(n)
            .max_memory_size(self.max_memory_bytes.max(limits.memory_bytes))
            // The vmctx of a component built around an interpreter is larger than
            // the 1 MiB default allows for.
            .max_core_instance_size(8 << 20)
            .max_component_instance_size(8 << 20);
        pool
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
    /// Compiled components on disk (see `compiled`), and the compile/load counts.
    compiled: CompiledCache,
    config: RuntimeConfig,
    ticker: Option<EpochTicker>,
    /// Free slots of the instance pool, when there is one.
    slots: Option<Arc<Slots>>,
}

/// Counts the free slots of the instance pool, so that a call waits for one rather
/// than failing when every slot is taken.
struct Slots {
    free: std::sync::Mutex<u32>,
    freed: std::sync::Condvar,
}

impl Slots {
    fn take(self: &Arc<Self>) -> SlotPermit {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotPermit(self.clone())
    }
}

/// One slot of the pool, held by an instance and given back when it is dropped.
struct SlotPermit(Arc<Slots>);

impl Drop for SlotPermit {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack);
        if let Some(pool) = &config.instance_pool {
            wasm.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
                pool.allocation(&config.default_limits),
            ));
        }
        let engine = Engine::new(&wasm).map_err(|e| RuntimeError(format!("{e:#}")))?;

        let linker = Self::linker(&engine).map_err(|e| RuntimeError(format!("{e:#}")))?;
        // The cache only saves time: a directory it cannot use (read-only, on a full
        // disk) is reported once and compilation goes on without it.
        let compiled = CompiledCache::new(&engine, config.compile_cache.as_deref());

        let ticker = EpochTicker::start(engine.clone());
        let slots = config.instance_pool.as_ref().map(|pool| {
            Arc::new(Slots {
                free: std::sync::Mutex::new(pool.instances.max(1)),
                freed: std::sync::Condvar::new(),
            })
        });
        Ok(Runtime {
            engine,
            linker,
            compiled,
            config,
            ticker: Some(ticker),
            slots,
        })
    }

    /// What a plugin may import: WASI 0.2 (its waiting calls async, so that the
    /// deadline can cut them; see `deadline`) with the monotonic clock replaced by the
    /// call's virtual one (see `sandbox`), and the guichet host interfaces.
    fn linker(engine: &Engine) -> wasmtime::Result<Linker<CallState>> {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        linker.allow_shadowing(true);
        wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<
            CallState,
            sandbox::VirtualTime,
        >(&mut linker, CallState::virtual_time)?;
        linker.allow_shadowing(false);
        v0_1_0::Runtime::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)?;
        v0_2_0::Runtime::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)?;
        v0_3_0::Runtime::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)?;
        Ok(linker)
    }

    /// The limits calls get unless told otherwise.
    pub fn default_limits(&self) -> &CallLimits {
        &self.config.default_limits
    }

    /// Validates `bytes` as a plugin component of one of the worlds, and compiles it
    /// (or loads its compiled code from the compile cache, where a component that
    /// passed validation is then kept).
    ///
    /// Validation ends with a trial instantiation under the default limits, which
    /// type-checks the world's exports (names alone are checked before) and catches a
    /// component that cannot even start.
    pub fn load(&self, bytes: &[u8]) -> Result<PluginComponent, LoadError> {
        let (plugin, origin) = PluginComponent::load(
            &self.engine,
            &self.linker,
            &self.compiled,
            bytes,
            self.config.max_component_bytes,
        )?;
        let limits = &self.config.default_limits;
        let _slot = self.slots.as_ref().map(Slots::take);
        let mut store = self.new_store(limits, PluginEnv::empty(), 0, 0);
        let deadline = Instant::now() + limits.deadline;
        let instance = deadline::run_until(deadline, plugin.pre.instantiate_async(&mut store))
            .unwrap_or_else(|| Err(wasmtime::Error::new(Trap::Interrupt)))
            .map_err(|e| {
                LoadError::Instantiate(
                    classify(e, store.data(), limits, CallError::Instantiate).to_string(),
                )
            })?;
        let world = plugin.world();
        let checked = match &plugin.exports {
            Exports::Automation(Versioned::V0_1_0(i)) => i.load(&mut store, &instance).map(drop),
            Exports::Automation(Versioned::V0_2_0(i)) => i.load(&mut store, &instance).map(drop),
            Exports::Automation(Versioned::V0_3_0(i)) => i.load(&mut store, &instance).map(drop),
            Exports::Macros(Versioned::V0_1_0(i)) => i.load(&mut store, &instance).map(drop),
            Exports::Macros(Versioned::V0_2_0(i)) => i.load(&mut store, &instance).map(drop),
            Exports::Macros(Versioned::V0_3_0(i)) => i.load(&mut store, &instance).map(drop),
            Exports::ChannelAdapter(Versioned::V0_1_0(i)) => {
                i.load(&mut store, &instance).map(drop)
            }
            Exports::ChannelAdapter(Versioned::V0_2_0(i)) => {
                i.load(&mut store, &instance).map(drop)
            }
            Exports::ChannelAdapter(Versioned::V0_3_0(i)) => {
                i.load(&mut store, &instance).map(drop)
            }
        };
        let contract = plugin.info().contract;
        checked.map_err(|e| LoadError::ExportMismatch {
            export: world.export(contract),
            reason: format!("{e:#}"),
            expected: world.export_functions(contract),
        })?;
        let checked = match &plugin.config_check {
            Some(ConfigCheck::V0_2_0(check)) => check.load(&mut store, &instance).map(drop),
            Some(ConfigCheck::V0_3_0(check)) => check.load(&mut store, &instance).map(drop),
            None => Ok(()),
        };
        checked.map_err(|e| LoadError::ExportMismatch {
            export: component::config_check_export(contract),
            reason: format!("{e:#}"),
            expected: component::CONFIG_CHECK_FUNCTION,
        })?;
        if origin == Origin::Compiled {
            self.compiled
                .keep(plugin.pre.component(), &plugin.info().sha256);
        }
        Ok(plugin)
    }

    /// How many components this runtime compiled, and how many it loaded from the
    /// compile cache instead, since it started.
    pub fn compilations(&self) -> Compilations {
        self.compiled.counters().get()
    }

    /// The counters behind [`Runtime::compilations`], for the service's metrics.
    pub fn compile_counters(&self) -> &CompileCounters {
        self.compiled.counters()
    }

    /// Runs an `automation` plugin on one event, in a fresh instance, under `limits`.
    pub fn on_event(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        event: &model::Event,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::Action>> {
        let now = convert::millis(event.occurred_at);
        self.fresh(plugin, env, limits, &event.id, now, |instance, env| {
            instance.call_on_event(env, event, limits)
        })
    }

    /// Asks a `macros` plugin for the macros it offers, in a fresh instance. `now`
    /// is what the plugin's clock reads.
    pub fn list_macros(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        now: model::Timestamp,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::MacroInfo>> {
        let now = convert::millis(now);
        self.fresh(plugin, env, limits, "", now, |instance, env| {
            instance.call_list_macros(env, now, limits)
        })
    }

    /// Renders one macro of a `macros` plugin for `ticket`, in a fresh instance.
    pub fn render_macro(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        request: &MacroRequest<'_>,
        limits: &CallLimits,
    ) -> CallReport<model::Rendered> {
        let now = convert::millis(request.now);
        let seed_key = format!("{}\0{}", request.macro_id, request.ticket.id);
        self.fresh(plugin, env, limits, &seed_key, now, |instance, env| {
            instance.call_render(env, request, limits)
        })
    }

    /// Asks a `channel-adapter` plugin which channel it serves.
    pub fn served_channel(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        limits: &CallLimits,
    ) -> CallReport<model::Channel> {
        self.fresh(plugin, env, limits, "", 0, |instance, env| {
            instance.call_adapter(
                env,
                0,
                limits,
                async |guest, store| Ok(Ok(guest.call_served_channel(store).await?.into())),
                async |guest, store| Ok(Ok(guest.call_served_channel(store).await?.into())),
                async |guest, store| Ok(Ok(guest.call_served_channel(store).await?.into())),
            )
        })
    }

    /// Has a `channel-adapter` plugin check and read a request its platform sent
    /// (a webhook delivery or a handshake), in a fresh instance whose clock reads
    /// `now`. An adapter of 0.3.0 answers with the whole batch (`handle-inbound`); one
    /// of an earlier contract with its items only (`parse-inbound`): no delivery id,
    /// no handshake answer.
    pub fn handle_inbound(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        request: &model::IncomingRequest,
        now: model::Timestamp,
        limits: &CallLimits,
    ) -> CallReport<model::InboundBatch> {
        let now = convert::millis(now);
        let seed_key = format!("inbound\0{}\0{now}", request.path);
        let refused = |e: model::AdapterError| CallError::Adapter(e.truncated(4096));
        let items_only = |items: Vec<model::Inbound>| model::InboundBatch {
            delivery_id: None,
            items,
            answer: None,
        };
        // `parse-inbound` of 0.1.0 and 0.2.0, the same code over each version's types;
        // the request is converted into the one version called (its body copied once).
        macro_rules! parse_inbound {
            ($v:ident) => {
                async |guest, store| {
                    let request: $v::adapter::IncomingRequest = request.into();
                    Ok(guest
                        .call_parse_inbound(store, &request)
                        .await?
                        .map(|found| items_only(found.into_iter().map(Into::into).collect()))
                        .map_err(|e| refused(e.into())))
                }
            };
        }
        self.fresh(plugin, env, limits, &seed_key, now, |instance, env| {
            instance.call_adapter(
                env,
                now,
                limits,
                parse_inbound!(v0_1_0),
                parse_inbound!(v0_2_0),
                async |guest, store| {
                    let request: v0_3_0::adapter::IncomingRequest = request.into();
                    Ok(guest
                        .call_handle_inbound(store, &request)
                        .await?
                        .map(Into::into)
                        .map_err(|e| refused(e.into())))
                },
            )
        })
    }

    /// Has a `channel-adapter` plugin render the actions applied to a ticket into
    /// its platform's requests, in order, in a fresh instance whose clock reads
    /// `now`. An adapter of 0.3.0 renders them all at once (`render-actions`); one of
    /// an earlier contract renders each public reply and internal note with
    /// `render-outbound`, one call each, and nothing else (its contract has nothing
    /// else); the first failure ends the rendering.
    pub fn render_actions(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        outbound: &model::Outbound,
        now: model::Timestamp,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::OutgoingRequest>> {
        if plugin.info().contract < ContractVersion::V0_3_0 {
            return self.render_replies(plugin, env, outbound, now, limits);
        }
        let now = convert::millis(now);
        let seed_key = format!("outbound\0{}\0{}", outbound.ticket.id, outbound.event_id);
        let refused = |e: model::AdapterError| CallError::Adapter(e.truncated(4096));
        let absent = || {
            Ok(Err(CallError::Plugin(
                "render-actions is not in this contract".into(),
            )))
        };
        self.fresh(plugin, env, limits, &seed_key, now, |instance, env| {
            instance.call_adapter(
                env,
                now,
                limits,
                async |_, _| absent(),
                async |_, _| absent(),
                async |guest, store| {
                    let outbound: v0_3_0::adapter::Outbound = outbound.into();
                    Ok(guest
                        .call_render_actions(store, &outbound)
                        .await?
                        .map(|requests| requests.into_iter().map(Into::into).collect())
                        .map_err(|e| refused(e.into())))
                },
            )
        })
    }

    /// [`Runtime::render_actions`] for an adapter of 0.1.0 or 0.2.0: one
    /// `render-outbound` call per reply or note, their reports summed.
    fn render_replies(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        outbound: &model::Outbound,
        now: model::Timestamp,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::OutgoingRequest>> {
        let mut total = CallReport {
            result: Ok(Vec::new()),
            logs: Vec::new(),
            storage_writes: Vec::new(),
            fuel_used: 0,
            duration: Duration::ZERO,
        };
        for action in &outbound.actions {
            let (body, public) = match action {
                model::Action::PublicReply { body, .. } => (body, true),
                model::Action::InternalNote { body } => (body, false),
                _ => continue,
            };
            let reply = model::OutboundReply {
                ticket: outbound.ticket.clone(),
                body: body.clone(),
                public,
            };
            let report = self.render_outbound(plugin, env.clone(), &reply, now, limits);
            total.logs.extend(report.logs);
            total.storage_writes.extend(report.storage_writes);
            total.fuel_used += report.fuel_used;
            total.duration += report.duration;
            match (report.result, &mut total.result) {
                (Ok(request), Ok(requests)) => requests.push(request),
                (Err(e), _) => {
                    total.result = Err(e);
                    break;
                }
                (Ok(_), Err(_)) => unreachable!("the loop ends at the first failure"),
            }
        }
        total
    }

    /// Has a `channel-adapter` plugin of 0.1.0 or 0.2.0 turn a reply into the
    /// request that delivers it (`render-outbound`), in a fresh instance whose clock
    /// reads `now`.
    fn render_outbound(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        reply: &model::OutboundReply,
        now: model::Timestamp,
        limits: &CallLimits,
    ) -> CallReport<model::OutgoingRequest> {
        let now = convert::millis(now);
        let seed_key = format!("outbound\0{}\0{now}", reply.ticket.id);
        let refused = |e: model::AdapterError| CallError::Adapter(e.truncated(4096));
        // The same code over each version's types.
        macro_rules! render_outbound {
            ($v:ident) => {
                async |guest, store| {
                    let reply: $v::adapter::OutboundReply = reply.into();
                    Ok(guest
                        .call_render_outbound(store, &reply)
                        .await?
                        .map(Into::into)
                        .map_err(|e| refused(e.into())))
                }
            };
        }
        self.fresh(plugin, env, limits, &seed_key, now, |instance, env| {
            instance.call_adapter(
                env,
                now,
                limits,
                render_outbound!(v0_1_0),
                render_outbound!(v0_2_0),
                async |_, _| {
                    Ok(Err(CallError::Plugin(
                        "render-outbound is not in this contract".into(),
                    )))
                },
            )
        })
    }

    /// Asks a plugin what is wrong with `config` (the JSON text about to be set), in a
    /// fresh instance whose `config.get` returns it, with no tickets and empty
    /// storage. `None` for a component of a contract without `check-config`
    /// (0.1.0): nothing but the JSON can be checked for it. An empty list means the
    /// configuration can be set.
    pub fn check_config(
        &self,
        plugin: &PluginComponent,
        config: &str,
        now: model::Timestamp,
        limits: &CallLimits,
    ) -> Option<CallReport<Vec<model::ConfigProblem>>> {
        let check = plugin.config_check.clone()?;
        let now = convert::millis(now);
        let mut env = PluginEnv::empty();
        env.config = config.to_string();
        let mut report = self.fresh(
            plugin,
            env.clone(),
            limits,
            "check-config",
            now,
            |instance, env| {
                instance.call(env, now, limits, async |store, instance| {
                    let found: Vec<model::ConfigProblem> = match &check {
                        ConfigCheck::V0_2_0(check) => {
                            let guest = check.load(&mut *store, instance)?;
                            let found = guest.call_check_config(&mut *store, config).await?;
                            found.into_iter().map(Into::into).collect()
                        }
                        ConfigCheck::V0_3_0(check) => {
                            let guest = check.load(&mut *store, instance)?;
                            let found = guest.call_check_config(&mut *store, config).await?;
                            found.into_iter().map(Into::into).collect()
                        }
                    };
                    Ok(Ok(found))
                })
            },
        );
        report.result = report.result.map(bounded_problems);
        Some(report)
    }

    /// Instantiates `plugin` afresh and runs `call` on it.
    fn fresh<T>(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        limits: &CallLimits,
        seed_key: &str,
        now_millis: i64,
        call: impl FnOnce(&mut WarmInstance, PluginEnv) -> CallReport<T>,
    ) -> CallReport<T> {
        match self.instantiate_at(plugin, env.clone(), limits, seed_key, now_millis) {
            Ok(mut instance) => call(&mut instance, env),
            Err(report) => report,
        }
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
        let now = convert::millis(first_event.occurred_at);
        self.instantiate_at(plugin, env, limits, &first_event.id, now)
    }

    /// Instantiates `plugin` with its clock at `now_millis` and its random numbers
    /// seeded from the plugin and `seed_key`.
    fn instantiate_at<T>(
        &self,
        plugin: &PluginComponent,
        env: PluginEnv,
        limits: &CallLimits,
        seed_key: &str,
        now_millis: i64,
    ) -> Result<WarmInstance, CallReport<T>> {
        // Waiting for a free slot is not the plugin's time: its deadline starts after.
        let slot = self.slots.as_ref().map(Slots::take);
        let started = Instant::now();
        let seed = random_seed(&plugin.info().sha256, seed_key);
        let mut store = self.new_store(limits, env, now_millis, seed);
        let deadline = started + limits.deadline;
        let instantiated = deadline::run_until(deadline, plugin.pre.instantiate_async(&mut store))
            .unwrap_or_else(|| Err(wasmtime::Error::new(Trap::Interrupt)));
        match instantiated {
            Ok(instance) => Ok(WarmInstance {
                store,
                instance,
                plugin_exports: plugin.exports.clone(),
                world: plugin.world(),
                instantiation: started.elapsed(),
                fresh_since: Some(started),
                _slot: slot,
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
        let monotonic = MonotonicClock::default();
        let wasi = sandbox::wasi_context(&clock, &monotonic, random_seed, &output);
        let limiter = Limiter::new(limits.memory_bytes, limits.table_elements);
        let state = CallState::new(
            wasi,
            output,
            clock,
            monotonic,
            limiter,
            env,
            limits.log_bytes,
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        // Fuel is enabled on the engine and the interval is not zero: cannot fail.
        let _ = store.fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL));
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

/// How far past its deadline a call is stopped by epoch interruption when it has not
/// yielded to the deadline check before (Wasm code burning little fuel per second,
/// such as a loop of bulk memory copies): two epoch ticks.
pub const EPOCH_BACKSTOP: Duration = Duration::from_millis(2 * EPOCH_TICK.as_millis() as u64);

/// Sets a store's fuel and deadline for one call.
///
/// The deadline itself is kept by the loop that drives the call (see `deadline`);
/// the epoch deadline set here is its backstop, [`EPOCH_BACKSTOP`] later.
fn arm(store: &mut Store<CallState>, limits: &CallLimits) {
    // Fuel is enabled on the engine, so setting it cannot fail.
    let _ = store.set_fuel(limits.fuel);
    // One tick more: the current tick is already partly over.
    let ticks = (limits.deadline + EPOCH_BACKSTOP)
        .as_nanos()
        .div_ceil(EPOCH_TICK.as_nanos()) as u64
        + 1;
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
    /// Set until the first call: that call continues the budget armed at
    /// instantiation (fuel, deadline, log), so that a fresh instance's start counts
    /// against its call's limits and shows in its report. Later calls on a warm
    /// instance are armed anew.
    fresh_since: Option<Instant>,
    /// The pool slot the instance occupies; declared last, so given back after the
    /// store is dropped.
    _slot: Option<SlotPermit>,
}

impl WarmInstance {
    /// Runs the plugin's `on-event` under `limits`, on this instance.
    pub fn call_on_event(
        &mut self,
        env: PluginEnv,
        event: &model::Event,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::Action>> {
        let Exports::Automation(indices) = self.plugin_exports.clone() else {
            return self.wrong_world(World::Automation);
        };
        let now = convert::millis(event.occurred_at);
        let failed = |message: String| CallError::Plugin(model::truncate_text(message, 4096));
        let unsent = |version: ContractVersion| CallError::NotInContract {
            kind: event.kind.name(),
            version,
        };
        // One version's call: the same code over that version's types.
        macro_rules! on_event {
            ($v:ident, $version:expr, $indices:expr) => {{
                let indices = $indices;
                let Some(event) = convert::$v::event(event) else {
                    return self.refuse(unsent($version));
                };
                self.call(env, now, limits, async |store, instance| {
                    let guest = indices.load(&mut *store, instance)?;
                    Ok(guest
                        .call_on_event(store, &event)
                        .await?
                        .map(|actions| actions.into_iter().map(Into::into).collect())
                        .map_err(failed))
                })
            }};
        }
        match indices {
            Versioned::V0_1_0(i) => on_event!(v0_1_0, ContractVersion::V0_1_0, i),
            Versioned::V0_2_0(i) => on_event!(v0_2_0, ContractVersion::V0_2_0, i),
            Versioned::V0_3_0(i) => on_event!(v0_3_0, ContractVersion::V0_3_0, i),
        }
    }

    /// Runs the plugin's `list-macros` under `limits`, on this instance.
    pub fn call_list_macros(
        &mut self,
        env: PluginEnv,
        now_millis: i64,
        limits: &CallLimits,
    ) -> CallReport<Vec<model::MacroInfo>> {
        let Exports::Macros(indices) = self.plugin_exports.clone() else {
            return self.wrong_world(World::Macros);
        };
        match indices {
            Versioned::V0_1_0(indices) => self.call(env, now_millis, limits, async |store, i| {
                let guest = indices.load(&mut *store, i)?;
                let found = guest.call_list_macros(store).await?;
                Ok(Ok(found.into_iter().map(Into::into).collect()))
            }),
            Versioned::V0_2_0(indices) => self.call(env, now_millis, limits, async |store, i| {
                let guest = indices.load(&mut *store, i)?;
                let found = guest.call_list_macros(store).await?;
                Ok(Ok(found.into_iter().map(Into::into).collect()))
            }),
            Versioned::V0_3_0(indices) => self.call(env, now_millis, limits, async |store, i| {
                let guest = indices.load(&mut *store, i)?;
                let found = guest.call_list_macros(store).await?;
                Ok(Ok(found.into_iter().map(Into::into).collect()))
            }),
        }
    }

    /// Runs the plugin's `render` under `limits`, on this instance.
    pub fn call_render(
        &mut self,
        env: PluginEnv,
        request: &MacroRequest<'_>,
        limits: &CallLimits,
    ) -> CallReport<model::Rendered> {
        let Exports::Macros(indices) = self.plugin_exports.clone() else {
            return self.wrong_world(World::Macros);
        };
        let now = convert::millis(request.now);
        let failed = |error: model::RenderError| CallError::Render(error.truncated(4096));
        // One version's call: the same code over that version's types.
        macro_rules! render {
            ($v:ident, $indices:expr) => {{
                let indices = $indices;
                let ticket: $v::types::Ticket = request.ticket.into();
                let variables: Vec<$v::macro_library::Variable> = request
                    .variables
                    .iter()
                    .map(|(name, value)| $v::macro_library::Variable {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect();
                self.call(env, now, limits, async |store, instance| {
                    let guest = indices.load(&mut *store, instance)?;
                    Ok(guest
                        .call_render(store, request.macro_id, &ticket, &variables)
                        .await?
                        .map(Into::into)
                        .map_err(|error| failed(error.into())))
                })
            }};
        }
        match indices {
            Versioned::V0_1_0(indices) => render!(v0_1_0, indices),
            Versioned::V0_2_0(indices) => render!(v0_2_0, indices),
            Versioned::V0_3_0(indices) => render!(v0_3_0, indices),
        }
    }

    /// One call into a `channel-adapter` plugin's exports: `v0_1_0`, `v0_2_0` or
    /// `v0_3_0`, whichever version the component targets.
    fn call_adapter<T: serde::Serialize>(
        &mut self,
        env: PluginEnv,
        now_millis: i64,
        limits: &CallLimits,
        v0_1_0: impl AsyncFnOnce(
            &v0_1_0::adapter::Guest,
            &mut Store<CallState>,
        ) -> wasmtime::Result<Result<T, CallError>>,
        v0_2_0: impl AsyncFnOnce(
            &v0_2_0::adapter::Guest,
            &mut Store<CallState>,
        ) -> wasmtime::Result<Result<T, CallError>>,
        v0_3_0: impl AsyncFnOnce(
            &v0_3_0::adapter::Guest,
            &mut Store<CallState>,
        ) -> wasmtime::Result<Result<T, CallError>>,
    ) -> CallReport<T> {
        let Exports::ChannelAdapter(indices) = self.plugin_exports.clone() else {
            return self.wrong_world(World::ChannelAdapter);
        };
        match indices {
            Versioned::V0_1_0(indices) => {
                self.call(env, now_millis, limits, async |store, instance| {
                    let guest = indices.load(&mut *store, instance)?;
                    v0_1_0(&guest, store).await
                })
            }
            Versioned::V0_2_0(indices) => {
                self.call(env, now_millis, limits, async |store, instance| {
                    let guest = indices.load(&mut *store, instance)?;
                    v0_2_0(&guest, store).await
                })
            }
            Versioned::V0_3_0(indices) => {
                self.call(env, now_millis, limits, async |store, instance| {
                    let guest = indices.load(&mut *store, instance)?;
                    v0_3_0(&guest, store).await
                })
            }
        }
    }

    fn wrong_world<T>(&self, expected: World) -> CallReport<T> {
        self.refuse(CallError::WrongWorld {
            expected,
            actual: self.world,
        })
    }

    /// A report of a call not made, for `error`.
    fn refuse<T>(&self, error: CallError) -> CallReport<T> {
        CallReport {
            result: Err(error),
            logs: Vec::new(),
            storage_writes: Vec::new(),
            fuel_used: 0,
            duration: Duration::ZERO,
        }
    }

    /// One call on this instance: resets its environment, sets its clock to
    /// `now_millis`, arms `limits`, runs `body` until it returns or its deadline
    /// passes, and turns what happened into a report. A result that arrives after
    /// the deadline (its copy out of the plugin's memory took the rest of the time)
    /// is refused like a late one; so is a result whose JSON exceeds the output
    /// limit (see `output`: the measure gives up at the limit).
    fn call<T: serde::Serialize>(
        &mut self,
        env: PluginEnv,
        now_millis: i64,
        limits: &CallLimits,
        body: impl AsyncFnOnce(
            &mut Store<CallState>,
            &wasmtime::component::Instance,
        ) -> wasmtime::Result<Result<T, CallError>>,
    ) -> CallReport<T> {
        let started = match self.fresh_since.take() {
            // The environment and the clock were set at instantiation, for this call.
            Some(instantiated) => instantiated,
            None => {
                self.store.data_mut().reset(env);
                self.store.data().clock.set(now_millis);
                arm(&mut self.store, limits);
                Instant::now()
            }
        };
        let deadline = started + limits.deadline;

        let outcome = deadline::run_until(deadline, body(&mut self.store, &self.instance));
        let fuel_used = limits
            .fuel
            .saturating_sub(self.store.get_fuel().unwrap_or(0));
        let late = CallError::DeadlineExceeded {
            deadline: limits.deadline,
        };
        let result = match outcome {
            None => Err(late),
            Some(Ok(Ok(_))) if Instant::now() > deadline => Err(late),
            Some(Ok(Ok(value))) => match output::json_size_within(&value, limits.output_bytes) {
                Ok(()) => Ok(value),
                Err(size) => Err(CallError::OutputTooLarge {
                    size,
                    limit: limits.output_bytes,
                }),
            },
            Some(Ok(Err(error))) => Err(error),
            Some(Err(e)) => Err(classify(e, self.store.data(), limits, CallError::Trap)),
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

/// Most problems of a configuration reported: what a plugin's `check-config` says
/// is passed on to people, so it is bounded (and the output limit bounds it first).
pub const MAX_CONFIG_PROBLEMS: usize = 100;
/// The longest path of a problem passed on, in bytes.
const MAX_PROBLEM_PATH_BYTES: usize = 512;
/// The longest message of a problem passed on, in bytes.
const MAX_PROBLEM_MESSAGE_BYTES: usize = 1024;

/// `problems` cut to [`MAX_CONFIG_PROBLEMS`], each path and message cut to its
/// bound, with a last one saying how many were left out.
fn bounded_problems(mut problems: Vec<model::ConfigProblem>) -> Vec<model::ConfigProblem> {
    let left_out = problems.len().saturating_sub(MAX_CONFIG_PROBLEMS);
    problems.truncate(MAX_CONFIG_PROBLEMS);
    for problem in &mut problems {
        let path = std::mem::take(&mut problem.path);
        problem.path = model::truncate_text(path, MAX_PROBLEM_PATH_BYTES);
        let message = std::mem::take(&mut problem.message);
        problem.message = model::truncate_text(message, MAX_PROBLEM_MESSAGE_BYTES);
    }
    if left_out > 0 {
        problems.push(model::ConfigProblem {
            path: String::new(),
            message: format!("… and {left_out} more problem(s)"),
        });
    }
    problems
}

/// What to render: a macro of a `macros` plugin, for a ticket, with the variables an
/// agent filled in.
#[derive(Debug, Clone, Copy)]
pub struct MacroRequest<'a> {
    pub macro_id: &'a str,
    pub ticket: &'a model::Ticket,
    pub variables: &'a std::collections::BTreeMap<String, String>,
    /// What the plugin's clock reads during the call.
    pub now: model::Timestamp,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugins_problems_are_bounded_before_they_reach_people() {
        let many: Vec<model::ConfigProblem> = (0..150)
            .map(|n| model::ConfigProblem {
                path: format!("/{}", "p".repeat(600)),
                message: format!("{n}: {}", "é".repeat(1000)),
            })
            .collect();
        let kept = bounded_problems(many);
        assert_eq!(kept.len(), MAX_CONFIG_PROBLEMS + 1);
        assert!(kept[0].path.len() <= MAX_PROBLEM_PATH_BYTES + '…'.len_utf8());
        assert!(kept[0].message.len() <= MAX_PROBLEM_MESSAGE_BYTES + '…'.len_utf8());
        assert_eq!(kept[100].message, "… and 50 more problem(s)");
        let few = vec![model::ConfigProblem {
            path: "/a".into(),
            message: "m".into(),
        }];
        assert_eq!(bounded_problems(few.clone()), few);
    }
}
