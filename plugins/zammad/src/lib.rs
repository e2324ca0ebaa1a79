//! `zammad`: a helpdesk bridge between guichet and Zammad.
//!
//! Inbound, it reads Zammad's trigger webhook (`ticket` and `article`, signed with
//! `X-Hub-Signature`) into a `message` for the article and a `ticket-update` with the
//! state the ticket shows. Outbound, it renders the actions guichet's plugins applied
//! into Zammad REST API requests. See `plugins/zammad/README.md`.

mod config;
mod inbound;
mod render;
mod text;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

use exports::guichet::plugin::adapter::{
    AdapterError, Guest, InboundBatch, IncomingRequest, Outbound, OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::types::Channel;
use guichet::plugin::{config as host_config, log};

struct Zammad;

/// The configuration, or the reason it cannot be used. A broken configuration is the
/// admin's problem, not the platform's: it is reported as `rejected` (nothing is
/// stored) and logged.
fn load_config() -> Result<config::Config, AdapterError> {
    config::Config::parse(&host_config::get()).map_err(|problem| {
        log::log(log::Level::Error, &problem.message);
        AdapterError::Rejected(problem.message)
    })
}

impl Guest for Zammad {
    fn served_channel() -> Channel {
        // Zammad tickets mostly start as e-mail; each message carries its own channel.
        Channel::Email
    }

    fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
        let config = load_config()?;
        let batch = inbound::handle(&config, &request.headers, &request.body)?;
        log::log(
            log::Level::Info,
            &format!(
                "zammad delivery {}: {} item(s)",
                batch.delivery_id.as_deref().unwrap_or("(no id)"),
                batch.items.len()
            ),
        );
        Ok(batch)
    }

    fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
        let config = load_config()?;
        render::render(&config, &outbound)
    }
}

impl config_check::Guest for Zammad {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        match config::Config::parse(&config) {
            Ok(_) => Vec::new(),
            Err(problem) => vec![ConfigProblem {
                path: problem.path,
                message: problem.message,
            }],
        }
    }
}

export!(Zammad);
