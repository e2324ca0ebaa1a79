//! Helpers shared by the end-to-end tests: the runtime, the built guests, fixtures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use guichet::harness::{self, MemoryStorage, MemoryTickets};
use guichet::model::Event;
use guichet::runtime::{PluginComponent, PluginEnv, Runtime, RuntimeConfig};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One runtime per test binary, shared by every test in it, as in the service.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(RuntimeConfig::default()).expect("runtime"))
}

/// A guest built by host/build.rs (`triage`, `hostile`).
pub fn guest_path(name: &str) -> PathBuf {
    Path::new(env!("GUICHET_GUEST_DIR")).join(format!("{name}.wasm"))
}

/// Loads a built guest into the shared runtime.
pub fn load_guest(name: &str) -> PluginComponent {
    let bytes = std::fs::read(guest_path(name)).expect("guest built by host/build.rs");
    runtime().load(&bytes).expect("guest loads")
}

/// An environment with empty in-memory tickets and storage.
pub fn env(config: &str) -> PluginEnv {
    PluginEnv {
        tickets: Arc::new(MemoryTickets::default()),
        storage: Arc::new(MemoryStorage::default()),
        config: config.to_string(),
    }
}

/// The events of `examples/triage/events.jsonl`.
pub fn triage_events() -> Vec<Event> {
    harness::read_events(&root().join("examples/triage/events.jsonl")).expect("fixture events")
}

/// The configuration of `examples/triage/config.json`.
pub fn triage_config() -> String {
    std::fs::read_to_string(root().join("examples/triage/config.json")).expect("fixture config")
}
