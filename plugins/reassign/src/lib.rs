//! `reassign`: hands a ticket left waiting on its agent too long back to its group's
//! shared pool (timeout mode), and offers each new ticket of a group to the group's
//! agents in a fixed cascade order before the pool (cascade mode). Delays count in
//! calendar time or in a business calendar.
//!
//! This file connects the decisions (`decide.rs`) to the host: configuration, the
//! per-ticket state in the plugin's storage, the log. See `plugins/reassign/README.md`
//! for the configuration format and the subscriptions it needs.

mod config;
mod decide;

wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    world: "guichet:plugin/automation@0.2.0",
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest;
use guichet::plugin::types::{Action, Event};
use guichet::plugin::{config as host_config, log, storage};

use decide::{StateChange, Watch};

struct Reassign;

/// The storage key of a ticket's running watch.
fn state_key(ticket_id: &str) -> String {
    format!("watch/{ticket_id}")
}

impl Guest for Reassign {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        let config = config::Config::parse(&host_config::get())?;
        let Some(ticket) = &event.ticket else {
            return Ok(Vec::new());
        };
        let key = state_key(&ticket.id);
        let state = storage::get(&key).and_then(|bytes| {
            serde_json::from_slice::<Watch>(&bytes)
                .inspect_err(|e| {
                    // Written by this plugin, so only a change of format gets here:
                    // start over rather than fail every event of the ticket.
                    log::log(
                        log::Level::Warn,
                        &format!("unreadable watch of {} dropped: {e}", ticket.id),
                    )
                })
                .ok()
        });
        let decision = decide::decide(&config, &event, ticket, state);
        for line in &decision.log {
            log::log(log::Level::Info, &format!("ticket {}: {line}", ticket.id));
        }
        match decision.state {
            StateChange::Keep => {}
            StateChange::Save(watch) => {
                let bytes = serde_json::to_vec(&watch).map_err(|e| e.to_string())?;
                storage::set(&key, &bytes)
                    .map_err(|e| format!("could not keep the watch of {}: {e:?}", ticket.id))?;
            }
            StateChange::Forget => storage::delete(&key),
        }
        Ok(decision.actions)
    }
}

/// The configuration's problem, if any, before it is set: the reading every event
/// does, so a configuration that passes is one the plugin can work with.
impl config_check::Guest for Reassign {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        match config::Config::parse(&config) {
            Ok(_) => Vec::new(),
            Err(message) => vec![ConfigProblem {
                path: String::new(),
                message,
            }],
        }
    }
}

export!(Reassign);
