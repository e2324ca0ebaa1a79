//! `dedupe`: merges a new ticket into the older open ticket it duplicates — the same
//! person writing again about the same problem, on the same channel or another, a
//! follow-up citing a ticket's number, or the same store review posted twice.
//!
//! This file connects the decision (`decide.rs`) to the host; the logic lives in
//! plain modules tested natively, against an in-memory host in `eval.rs`. See
//! `plugins/dedupe/README.md` for the configuration, the rules and their costs.

pub mod config;
pub mod decide;
pub mod host;
pub mod identity;
pub mod lexicon;
pub mod numbers;
pub mod phone;
pub mod reviews;
pub mod text;

#[cfg(test)]
mod eval;
#[cfg(test)]
mod scenarios;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/automation@0.3.0",
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest;
use guichet::plugin::types::{Action, Event, Identity, Ticket};
use guichet::plugin::{config as host_config, log, storage, tickets};

/// The host, through the WIT imports.
struct Imports;

impl host::Host for Imports {
    fn get(&self, id: &str) -> Option<Ticket> {
        tickets::get(id)
    }

    fn open_by_identity(&self, identity: &Identity) -> Vec<Ticket> {
        tickets::open_by_identity(identity)
    }

    fn storage_get(&self, key: &str) -> Option<Vec<u8>> {
        storage::get(key)
    }

    fn storage_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        storage::set(key, value).map_err(|e| format!("{e:?}"))
    }

    fn storage_delete(&self, key: &str) {
        storage::delete(key)
    }

    fn log(&self, level: log::Level, message: &str) {
        log::log(level, message)
    }
}

struct Dedupe;

impl Guest for Dedupe {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        let config = config::Config::parse(&host_config::get())?;
        decide::on_event(&Imports, &config, &event)
    }
}

/// Every problem of a configuration, each with its JSON Pointer: the reading every
/// event does, so a configuration that passes is one the plugin can work with.
impl config_check::Guest for Dedupe {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        match config::Config::check(&config) {
            Ok(_) => Vec::new(),
            Err(problems) => problems
                .into_iter()
                .map(|p| ConfigProblem {
                    path: p.path,
                    message: p.message,
                })
                .collect(),
        }
    }
}

// Natively (the tests) the crate exports nothing: the component's export symbols are
// names a native linker refuses.
#[cfg(target_arch = "wasm32")]
export!(Dedupe);
