//! `macros`: canned replies for agents, rendered for the ticket at hand in the tone of
//! its channel (formal *vous* by e-mail, friendly *tu* in chat and messaging) and the
//! language of its requester, with the actions that go with them (status, priority,
//! assignment, tags, an internal note).
//!
//! This file is the glue between the WIT contract and the plain modules, which hold
//! the logic and its tests: `config` (reading and checking the configuration),
//! `template` (the `{{ … }}` placeholders), `render` (choosing the variant, filling it
//! in). See `plugins/macros/README.md` for the configuration format.

mod config;
mod render;
mod template;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/macros@0.3.0",
    additional_derives: [PartialEq],
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::macro_library::{Guest, MacroInfo, RenderError, Rendered, Variable};
use guichet::plugin::types::Ticket;
use guichet::plugin::{config as host_config, log};

use config::Config;

struct Macros;

impl Guest for Macros {
    fn list_macros() -> Vec<MacroInfo> {
        match Config::parse(&host_config::get()) {
            Ok(config) => config
                .macros
                .into_iter()
                .map(|m| MacroInfo {
                    id: m.id,
                    title: m.title,
                    description: m.description,
                    channels: m.channels,
                })
                .collect(),
            Err(message) => {
                log::log(log::Level::Error, &message);
                Vec::new()
            }
        }
    }

    fn render(
        id: String,
        ticket: Ticket,
        variables: Vec<Variable>,
    ) -> Result<Rendered, RenderError> {
        let config = Config::parse(&host_config::get()).map_err(RenderError::Failed)?;
        let output = render::render(&config, &id, &ticket, &variables)?;
        log::log(
            log::Level::Info,
            &format!(
                "rendered macro `{id}` for ticket {}: the `{}` variant for {} ({} tone)",
                ticket.id,
                output.locale,
                config::channel_name(ticket.channel),
                output.tone.name()
            ),
        );
        Ok(Rendered {
            body: output.body,
            actions: output.actions,
        })
    }
}

/// Every problem with a configuration, before it is set: the reading every call does,
/// so a configuration that passes is one every macro renders with.
impl config_check::Guest for Macros {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        Config::check(&config)
            .into_iter()
            .map(|p| ConfigProblem {
                path: p.path,
                message: p.message,
            })
            .collect()
    }
}

export!(Macros);
