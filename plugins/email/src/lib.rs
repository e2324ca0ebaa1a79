//! `email`: the e-mail channel through Postmark. Reads Postmark's inbound webhook
//! (one e-mail per delivery, authenticated by HTTP basic auth) into a guichet message
//! threaded by the conversation's root Message-ID, and renders public replies as
//! Postmark send-email requests in the same thread.
//!
//! The logic lives in plain modules tested natively; this file reads the
//! configuration and the clock and hands the WIT values over. See
//! `plugins/email/README.md`.

mod auth;
mod config;
mod date;
mod html;
mod inbound;
mod render;
mod threading;

#[cfg(test)]
mod fixtures;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

use exports::guichet::plugin::adapter::{
    self, AdapterError, InboundBatch, IncomingRequest, Outbound, OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::types::Channel;
use guichet::plugin::{config as host_config, log};

struct Email;

impl adapter::Guest for Email {
    fn served_channel() -> Channel {
        Channel::Email
    }

    fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
        // Without usable credentials nothing can be authenticated: refused as such.
        let config = config::Config::parse(&host_config::get()).map_err(|problems| {
            AdapterError::Rejected(format!(
                "the email adapter is not configured: {}",
                config::summary(&problems)
            ))
        })?;
        let batch = inbound::handle(&config, &request, now_ms())?;
        log::log(
            log::Level::Debug,
            &format!(
                "read {} item(s) from a Postmark delivery",
                batch.items.len()
            ),
        );
        Ok(batch)
    }

    fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
        let config = config::Config::parse(&host_config::get()).map_err(|problems| {
            AdapterError::Malformed(format!(
                "the email adapter is not configured: {}",
                config::summary(&problems)
            ))
        })?;
        render::render(&config, &outbound).map_err(AdapterError::Malformed)
    }
}

/// Every problem of a configuration before it is set: the reading every call does.
impl config_check::Guest for Email {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        match config::Config::parse(&config) {
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

/// The call's time, milliseconds since the epoch (the host sets the wall clock to
/// the call's logical time): the date of an e-mail whose `Date` cannot be read.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

export!(Email);
