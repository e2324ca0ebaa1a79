//! `triage`: routes a new ticket to a vertical (group) and a level, and sets its
//! priority and tags, from rules in the plugin's configuration.
//!
//! Rules match on the ticket's subject and first message (keywords and regular
//! expressions, with accents and case folded), its channel and its requester's
//! identities. See `plugins/triage/README.md` for the configuration format.

mod fold;
mod rules;

wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    world: "guichet:plugin/automation@0.2.0",
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest;
use guichet::plugin::types::{Action, Event, EventKind};
use guichet::plugin::{config, log};

struct Triage;

impl Guest for Triage {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        // Only a new ticket is routed: re-routing on every message would undo what
        // agents decided by hand.
        if !matches!(event.kind, EventKind::TicketCreated) {
            return Ok(Vec::new());
        }
        let Some(ticket) = event.ticket else {
            return Ok(Vec::new());
        };
        let config = rules::Config::parse(&config::get())?;
        let decision = config.decide(&rules::Subject::of(&ticket));
        match &decision.matched {
            Some(name) => log::log(
                log::Level::Info,
                &format!("ticket {} matched rule `{name}`", ticket.id),
            ),
            None => log::log(
                log::Level::Info,
                &format!("ticket {} matched no rule; defaults applied", ticket.id),
            ),
        }
        Ok(decision.into_actions(&ticket))
    }
}

/// The configuration's problem, if any, before it is set: the reading every event
/// does, so a configuration that passes is one the plugin can work with.
impl config_check::Guest for Triage {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        match rules::Config::parse(&config) {
            Ok(_) => Vec::new(),
            Err(message) => vec![ConfigProblem {
                path: String::new(),
                message,
            }],
        }
    }
}

export!(Triage);
