//! `followup`: when a ticket waits on the requester, reminds them twice, then closes
//! the ticket; any requester message, or the ticket leaving `waiting_on_requester`,
//! calls the sequence off. Delays count in calendar time or in a business calendar.
//!
//! This file connects the sequence (`sequence.rs`) to the host: configuration, the
//! per-ticket state in the plugin's storage, the log. See `plugins/followup/README.md`
//! for the configuration format and the subscriptions it needs.

mod config;
mod sequence;

wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    world: "guichet:plugin/automation@0.2.0",
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest;
use guichet::plugin::types::{Action, Event};
use guichet::plugin::{config as host_config, log, storage};

use sequence::{StateChange, Waiting};

struct Followup;

/// The storage key of a ticket's running sequence.
fn state_key(ticket_id: &str) -> String {
    format!("waiting/{ticket_id}")
}

impl Guest for Followup {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        let config = config::Config::parse(&host_config::get())?;
        let Some(ticket) = &event.ticket else {
            return Ok(Vec::new());
        };
        let key = state_key(&ticket.id);
        let state = storage::get(&key).and_then(|bytes| {
            serde_json::from_slice::<Waiting>(&bytes)
                .inspect_err(|e| {
                    // Written by this plugin, so only a change of format gets here:
                    // start over rather than fail every event of the ticket.
                    log::log(
                        log::Level::Warn,
                        &format!("unreadable follow-up state of {} dropped: {e}", ticket.id),
                    )
                })
                .ok()
        });
        let decision = sequence::decide(&config, &event, ticket, state);
        if let Some(line) = &decision.log {
            log::log(log::Level::Info, &format!("ticket {}: {line}", ticket.id));
        }
        match decision.state {
            StateChange::Keep => {}
            StateChange::Save(state) => {
                let bytes = serde_json::to_vec(&state).map_err(|e| e.to_string())?;
                storage::set(&key, &bytes).map_err(|e| {
                    format!("could not keep the follow-up state of {}: {e:?}", ticket.id)
                })?;
            }
            StateChange::Forget => storage::delete(&key),
        }
        Ok(decision.actions)
    }
}

/// The configuration's problem, if any, before it is set: the reading every event
/// does, so a configuration that passes is one the plugin can work with.
impl config_check::Guest for Followup {
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

export!(Followup);
