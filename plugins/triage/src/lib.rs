//! `triage`: routes a new ticket to a vertical (group) and a level, and sets its
//! priority and tags, from rules in the plugin's configuration.
//!
//! Rules match on the ticket's subject and first message (keywords and regular
//! expressions, with accents and case folded), its channel and its requester's
//! identities. See `plugins/triage/README.md` for the configuration format.

pub mod fold;
pub mod rules;

wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    // The automation world, plus Wizer's `wizer-initialize`: the host runs it once per
    // configuration and starts every later instance from the state it leaves, so
    // events find their configuration parsed (see `CONFIG`).
    inline: "
        package guichet:triage;
        world triage {
            include guichet:plugin/automation@0.2.0;
            export wizer-initialize: func();
        }
    ",
    world: "guichet:triage/triage",
    generate_all,
});

use config_once::ConfigOnce;
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest as Rules;
use guichet::plugin::types::{Action, Event, EventKind};
use guichet::plugin::{config, log};

struct Triage;

/// The configuration, read once by `wizer-initialize` when the host pre-initialises
/// the plugin (see the `config-once` crate).
static CONFIG: ConfigOnce<rules::Config> = ConfigOnce::new();

impl Guest for Triage {
    fn wizer_initialize() {
        CONFIG.read(config::get(), rules::Config::parse);
    }
}

impl Rules for Triage {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        // Only a new ticket is routed: re-routing on every message would undo what
        // agents decided by hand.
        if !matches!(event.kind, EventKind::TicketCreated) {
            return Ok(Vec::new());
        }
        let Some(ticket) = event.ticket else {
            return Ok(Vec::new());
        };
        let subject = rules::Subject::of(&ticket);
        let decision = CONFIG.with(&config::get(), rules::Config::parse, |config| {
            config.decide(&subject)
        })?;
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

// Natively (the unit tests, the host's benchmark of the same rules) the crate exports
// nothing: the component's export symbols are names a native linker refuses.
#[cfg(target_arch = "wasm32")]
export!(Triage);
