//! Pre-initialisation: a plugin that exports `wizer-initialize` (Wizer's convention,
//! a `func()` at the component's top level) has it run once per configuration, and
//! every later instance starts from the memory and globals it left, instead of
//! reading its configuration again on each call.
//!
//! How: [`wasmtime_wizer`] instruments the component (an export reads each core
//! instance's memories and globals), our runtime instantiates it with the tenant's
//! configuration behind `config.get` and calls `wizer-initialize` under the default
//! limits, and Wizer rewrites the component with that state as its data segments.
//! The snapshot is loaded like any component (validated, compiled) but is not written
//! to the compile cache on disk, as its memory holds the configuration (which may
//! hold credentials); it keeps the original's identity ([`ComponentInfo`]): the audit
//! trail names the uploaded component, and random seeds are drawn from its SHA-256
//! as before.
//!
//! What the initialiser sees: `config.get`, logging, no ticket (`tickets.get` finds
//! none) and no stored value (its storage is empty and its writes are dropped), the
//! clock at the Unix epoch, the same random seed every time. So the snapshot of a
//! (component, configuration) pair is the same bytes on every run and every worker.
//! What it must not keep: anything tied to the instance, such as a resource handle
//! (a WASI stream, which Rust's `println!` opens and keeps): handles are not part of
//! the snapshot, so an initialiser that leaves one open gets no snapshot.
//!
//! Each instance still starts fresh (isolation, nothing to clean after a trap): only
//! its starting image changes. Calls stay replayable on the same model (a snapshot's
//! results depend on its event, storage and configuration only), but what the
//! initialiser drew at random (a `HashMap`'s keys, say) is frozen into the snapshot,
//! where a plain instance draws it from the event's seed: a plugin whose decisions
//! depended on such state could decide differently on the two (the plugin guide says
//! so). A plugin whose initialiser fails (traps, runs out of fuel or time) keeps
//! running from its plain component.

use std::time::Instant;

use wasmtime::component::{Component, Instance, Lift, WasmList};
use wasmtime::{Store, Trap};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

use super::call::CallState;
use super::compiled::CompiledCache;
use super::component::PluginComponent;
use super::{PluginEnv, Runtime, deadline, random_seed};

/// The export a component gives to be pre-initialised: Wizer's name for it.
pub const INIT_EXPORT: &str = "wizer-initialize";

/// Why a plugin could not be pre-initialised. The plugin itself is unaffected: it runs
/// from its plain component.
#[derive(Debug, thiserror::Error)]
pub enum PreInitError {
    /// The component does not export `wizer-initialize: func()`.
    #[error("the component does not export `{INIT_EXPORT}: func()`")]
    NotRequested,
    /// Instrumenting, compiling or rewriting the component failed.
    #[error("the component could not be snapshotted: {0}")]
    Snapshot(String),
    /// `wizer-initialize` failed: trapped, or exceeded its fuel, memory or deadline.
    #[error("`{INIT_EXPORT}` failed: {0}")]
    Initialiser(String),
    /// The snapshot is larger than a component may be (its memory is part of it).
    #[error("the snapshot is {size} bytes, over the {limit}-byte limit for a component")]
    TooLarge { size: usize, limit: usize },
}

impl Runtime {
    /// Whether `plugin` asks to be pre-initialised: it exports `wizer-initialize`.
    /// Cost: a look-up in its export names.
    pub fn pre_initialisable(plugin: &PluginComponent) -> bool {
        plugin.info().other_exports.iter().any(|e| e == INIT_EXPORT)
    }

    /// A copy of `plugin` (whose component is `bytes`) that starts every instance from
    /// the state its `wizer-initialize` export left with `config`. Takes about as long
    /// as compiling the component twice (the instrumented one, then the snapshot): run
    /// it off the event path. The snapshot is not written to the compile cache on
    /// disk: its memory holds the configuration, which may hold credentials.
    ///
    /// Errors: [`PreInitError`]; `bytes` must be the component `plugin` was loaded
    /// from (its SHA-256 is checked).
    pub fn pre_initialise(
        &self,
        plugin: &PluginComponent,
        bytes: &[u8],
        config: &str,
    ) -> Result<PluginComponent, PreInitError> {
        let (snapshot, memory_bytes) = self.snapshot(plugin, bytes, config)?;
        // Compiled here and kept in memory only (a cache without a directory).
        let in_memory = CompiledCache::new(&self.engine, None);
        let (mut snapshotted, _) = PluginComponent::load(
            &self.engine,
            &self.linker,
            &in_memory,
            &snapshot,
            self.config.max_component_bytes,
        )
        .map_err(|e| PreInitError::Snapshot(e.to_string()))?;
        snapshotted.take_identity(plugin.info().clone(), memory_bytes);
        Ok(snapshotted)
    }

    /// The snapshot's bytes, and the bytes of linear memory it starts with.
    fn snapshot(
        &self,
        plugin: &PluginComponent,
        bytes: &[u8],
        config: &str,
    ) -> Result<(Vec<u8>, usize), PreInitError> {
        if !Self::pre_initialisable(plugin) {
            return Err(PreInitError::NotRequested);
        }
        let info = plugin.info();
        if super::sha256_hex(bytes) != info.sha256 {
            return Err(PreInitError::Snapshot(
                "the bytes are not the plugin's component".into(),
            ));
        }
        let snapshot_error = |e: wasmtime::Error| PreInitError::Snapshot(format!("{e:#}"));
        let mut wizer = Wizer::new();
        // The component's own export of the function stays: removing it from the
        // core module would leave the component's lift of it dangling.
        wizer.keep_init_func(true);
        let (context, instrumented) =
            unpanicked(|| wizer.instrument_component(bytes))?.map_err(snapshot_error)?;
        let component = Component::new(&self.engine, &instrumented).map_err(snapshot_error)?;

        let limits = self.config.default_limits.clone();
        let env = PluginEnv {
            config: config.to_string(),
            ..PluginEnv::empty()
        };
        let _slot = self.slots.as_ref().map(super::Slots::take);
        let seed = random_seed(&info.sha256, INIT_EXPORT);
        let mut store = self.new_store(&limits, env, 0, seed);
        let deadline = Instant::now() + limits.deadline;
        let failed = |e: wasmtime::Error, store: &Store<CallState>| {
            PreInitError::Initialiser(
                super::classify(e, store.data(), &limits, super::CallError::Instantiate)
                    .to_string(),
            )
        };
        let instance = deadline::run_until(
            deadline,
            self.linker.instantiate_async(&mut store, &component),
        )
        .unwrap_or_else(|| Err(wasmtime::Error::new(Trap::Interrupt)))
        .map_err(|e| failed(e, &store))?;
        let init = instance
            .get_typed_func::<(), ()>(&mut store, INIT_EXPORT)
            .map_err(|e| PreInitError::Snapshot(format!("{e:#}")))?;
        deadline::run_until(deadline, init.call_async(&mut store, ()))
            .unwrap_or_else(|| Err(wasmtime::Error::new(Trap::Interrupt)))
            .map_err(|e| failed(e, &store))?;
        if store.data().holds_resources() {
            return Err(PreInitError::Initialiser(
                "it kept a WASI resource open (a stream, a descriptor, a timer): a snapshot \
                 cannot carry one into later instances; open it in the calls instead"
                    .into(),
            ));
        }

        // Reading the state back is the host's work, under limits of its own.
        super::arm(&mut store, &limits);
        let mut state = Access {
            store: &mut store,
            instance,
            failed: None,
        };
        let snapshot = unpanicked(|| {
            deadline::run_until(
                Instant::now() + limits.deadline,
                wizer.snapshot_component(&context, &mut state),
            )
        })?
        .unwrap_or_else(|| Err(wasmtime::Error::new(Trap::Interrupt)))
        .map_err(snapshot_error)?;
        if let Some(why) = state.failed {
            return Err(PreInitError::Snapshot(why));
        }
        let memory_bytes = store.data().limiter.memory_total();
        let limit = self.config.max_component_bytes;
        if snapshot.len() > limit {
            return Err(PreInitError::TooLarge {
                size: snapshot.len(),
                limit,
            });
        }
        Ok((snapshot, memory_bytes))
    }
}

/// Runs one of Wizer's steps, turning a panic into an error: Wizer asserts what it
/// expects of a component (and checks its own output in debug builds), and a
/// component it does not expect must cost its snapshot, not the caller's thread.
fn unpanicked<T>(step: impl FnOnce() -> T) -> Result<T, PreInitError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        PreInitError::Snapshot(format!("the snapshot tool failed: {why}"))
    })
}

/// Reads an instrumented instance's state for Wizer: each accessor is an exported
/// function of no argument returning one value. Wizer's interface has no errors, so
/// the first failure is kept in `failed` (and a zero value returned): the snapshot is
/// then thrown away.
struct Access<'a> {
    store: &'a mut Store<CallState>,
    instance: Instance,
    failed: Option<String>,
}

impl Access<'_> {
    async fn call<R: Lift + Send + Sync + 'static>(
        &mut self,
        instance: &str,
        func: &str,
    ) -> Option<R> {
        if self.failed.is_some() {
            return None;
        }
        let result = async {
            let (_, exported) = self
                .instance
                .get_export(&mut *self.store, None, instance)
                .ok_or_else(|| format!("no export `{instance}`"))?;
            let (_, index) = self
                .instance
                .get_export(&mut *self.store, Some(&exported), func)
                .ok_or_else(|| format!("no export `{instance}#{func}`"))?;
            let typed = self
                .instance
                .get_typed_func::<(), (R,)>(&mut *self.store, index)
                .map_err(|e| format!("`{instance}#{func}`: {e:#}"))?;
            typed
                .call_async(&mut *self.store, ())
                .await
                .map(|(r,)| r)
                .map_err(|e| format!("`{instance}#{func}`: {e:#}"))
        }
        .await;
        match result {
            Ok(r) => Some(r),
            Err(why) => {
                self.failed = Some(why);
                None
            }
        }
    }
}

impl ComponentInstanceState for Access<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        match self.call::<WasmList<u8>>(instance, func).await {
            Some(list) => contents(list.as_le_slice(&*self.store)),
            None => contents(&[]),
        }
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func).await.unwrap_or(0)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func).await.unwrap_or(0)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call::<f32>(instance, func)
            .await
            .map_or(0, f32::to_bits)
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call::<f64>(instance, func)
            .await
            .map_or(0, f64::to_bits)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::runtime::RuntimeConfig;

    fn example(path: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
    }

    fn triage() -> &'static [u8] {
        crate::reference_plugins::find("triage").unwrap().component
    }

    fn env(config: &str) -> PluginEnv {
        PluginEnv {
            config: config.to_string(),
            ..PluginEnv::empty()
        }
    }

    /// A snapshot decides every example event as the plain component does, keeps the
    /// uploaded component's identity, and spends a fraction of the fuel: the
    /// configuration was read once, before the snapshot.
    #[test]
    fn a_snapshot_decides_as_the_plain_component_for_less_fuel() {
        let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
        let plain = runtime.load(triage()).unwrap();
        assert!(Runtime::pre_initialisable(&plain));
        let config = std::fs::read_to_string(example("examples/triage/config.json")).unwrap();
        let copy = runtime.pre_initialise(&plain, triage(), &config).unwrap();
        assert!(copy.is_pre_initialised() && !plain.is_pre_initialised());
        assert_eq!(copy.info().sha256, plain.info().sha256);

        let events = crate::harness::read_events(&example("examples/triage/events.jsonl")).unwrap();
        let limits = runtime.default_limits().clone();
        let mut routed = 0;
        for event in &events {
            let a = runtime.on_event(&plain, env(&config), event, &limits);
            let b = runtime.on_event(&copy, env(&config), event, &limits);
            assert_eq!(
                format!("{:?}", a.result),
                format!("{:?}", b.result),
                "event {}",
                event.id
            );
            if a.result.as_ref().is_ok_and(|actions| !actions.is_empty()) {
                routed += 1;
                assert!(
                    b.fuel_used * 2 < a.fuel_used,
                    "event {}: {} fuel from the snapshot, {} from the plain component",
                    event.id,
                    b.fuel_used,
                    a.fuel_used
                );
            }
        }
        assert!(routed > 0, "the example routes some tickets");

        // Another configuration than the snapshot's is read afresh: the snapshot
        // answers as the plain component does with it.
        let other = r#"{"default": {"group": "other", "level": "L1"}}"#;
        for event in &events {
            let a = runtime.on_event(&plain, env(other), event, &limits);
            let b = runtime.on_event(&copy, env(other), event, &limits);
            assert_eq!(format!("{:?}", a.result), format!("{:?}", b.result));
        }
    }

    /// The snapshot of a (component, configuration) pair is the same bytes every
    /// time, on any runtime; it is not written to the compile cache on disk (its
    /// memory holds the configuration, which may hold credentials).
    #[test]
    fn a_snapshot_is_the_same_every_time_and_stays_off_the_disk() {
        let dir = std::env::temp_dir().join(format!("guichet-preinit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = RuntimeConfig {
            compile_cache: Some(dir.clone()),
            ..RuntimeConfig::default()
        };
        let text = std::fs::read_to_string(example("examples/triage/config.json")).unwrap();
        let first = Runtime::new(config.clone()).unwrap();
        let plain = first.load(triage()).unwrap();
        let (bytes, memory) = first.snapshot(&plain, triage(), &text).unwrap();
        let copy = first.pre_initialise(&plain, triage(), &text).unwrap();
        assert_eq!(copy.start_memory_bytes(), Some(memory));
        assert_eq!(
            first.compilations().compiled,
            1,
            "triage alone, not its snapshot"
        );
        let cached = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(cached, 1, "only triage's own compiled code is on disk");

        let second = Runtime::new(RuntimeConfig::default()).unwrap();
        let plain = second.load(triage()).unwrap();
        assert!(second.snapshot(&plain, triage(), &text).unwrap().0 == bytes);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A component without `wizer-initialize` is not pre-initialised, and bytes that
    /// are not the plugin's are refused.
    #[test]
    fn only_a_component_that_asks_is_pre_initialised() {
        let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
        let followup = crate::reference_plugins::find("followup")
            .unwrap()
            .component;
        let plain = runtime.load(followup).unwrap();
        assert!(!Runtime::pre_initialisable(&plain));
        assert!(matches!(
            runtime.pre_initialise(&plain, followup, "{}"),
            Err(PreInitError::NotRequested)
        ));
        let triage_plain = runtime.load(triage()).unwrap();
        assert!(matches!(
            runtime.pre_initialise(&triage_plain, followup, "{}"),
            Err(PreInitError::Snapshot(_))
        ));
    }

    fn initialiser() -> Vec<u8> {
        std::fs::read(Path::new(env!("GUICHET_GUEST_DIR")).join("initialiser.wasm")).unwrap()
    }

    fn first_tag(report: &crate::runtime::CallReport<Vec<crate::model::Action>>) -> String {
        match report.result.as_ref().map(|a| a.first()) {
            Ok(Some(crate::model::Action::AddTags { tags })) => tags[0].clone(),
            other => format!("{other:?}"),
        }
    }

    /// What the initialiser leaves is where every instance of the snapshot starts;
    /// an initialiser that fails, loops, hoards memory or keeps a WASI stream open
    /// costs its snapshot only, within the default limits.
    #[test]
    fn an_initialiser_good_or_bad_is_run_under_the_limits() {
        let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
        let bytes = initialiser();
        let plain = runtime.load(&bytes).unwrap();
        let limits = runtime.default_limits().clone();
        let event = crate::harness::read_events(&example("examples/triage/events.jsonl"))
            .unwrap()
            .remove(0);

        for config in ["count", "read-storage"] {
            let copy = runtime.pre_initialise(&plain, &bytes, config).unwrap();
            let plain_run = runtime.on_event(&plain, env(config), &event, &limits);
            let copy_run = runtime.on_event(&copy, env(config), &event, &limits);
            assert_eq!(first_tag(&plain_run), "runs-0", "{config}");
            assert_eq!(first_tag(&copy_run), "runs-1", "{config}: {copy_run:?}");
            assert_eq!(copy_run.logs.len(), plain_run.logs.len(), "{config}");
        }

        for (config, why) in [
            ("loop", "deadline"),
            ("trap", "trapped"),
            ("grow-memory", "memory"),
            ("print", "WASI resource"),
        ] {
            let started = std::time::Instant::now();
            let error = runtime
                .pre_initialise(&plain, &bytes, config)
                .err()
                .unwrap_or_else(|| panic!("{config}: a snapshot was made"));
            assert!(
                matches!(error, PreInitError::Initialiser(_)) && error.to_string().contains(why),
                "{config}: {error}"
            );
            assert!(started.elapsed() < limits.deadline * 10, "{config}");
        }
    }
}
