//! `whatsapp`: a channel adapter for the WhatsApp Business Cloud API.
//!
//! Inbound: Meta's verification handshake, then `messages` notifications signed with
//! `X-Hub-Signature-256`; each message a customer sends becomes a message on their open
//! WhatsApp ticket. Outbound: public replies become Cloud API text messages. The
//! pieces: `webhook.rs` (handshake, signature), `messages.rs` (notifications),
//! `replies.rs` (requests), `config.rs`. See `plugins/whatsapp/README.md`.

mod config;
mod messages;
mod replies;
mod webhook;

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

struct WhatsApp;

/// The configuration, or why the adapter cannot work with it.
fn config() -> Result<config::Config, String> {
    config::Config::parse(&host_config::get()).map_err(|problems| {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("{} {}", p.path, p.message))
            .collect();
        format!("invalid whatsapp configuration: {}", list.join("; "))
    })
}

impl Guest for WhatsApp {
    fn served_channel() -> Channel {
        Channel::Whatsapp
    }

    fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
        let config = config().map_err(AdapterError::Rejected)?;
        let (batch, elsewhere) = handle(&config, &request)?;
        if elsewhere > 0 {
            log::log(
                log::Level::Warn,
                &format!(
                    "{elsewhere} message(s) to another phone number than {} ignored",
                    config.phone_number_id
                ),
            );
        }
        Ok(batch)
    }

    fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
        let config = config().map_err(AdapterError::Malformed)?;
        replies::render(&config, &outbound)
    }
}

/// Reads a request: a handshake (GET) or a signed notification (POST). Also says how
/// many messages were for another phone number, and so left out.
fn handle(
    config: &config::Config,
    request: &IncomingRequest,
) -> Result<(InboundBatch, usize), AdapterError> {
    match request.method.as_str() {
        "GET" => {
            let answer = webhook::handshake(&request.path, &config.verify_token)?;
            let batch = InboundBatch {
                delivery_id: None,
                items: Vec::new(),
                answer: Some(answer),
            };
            Ok((batch, 0))
        }
        "POST" => {
            webhook::verify_signature(&request.headers, &request.body, &config.app_secret)?;
            let (items, elsewhere) = messages::read(&request.body, &config.phone_number_id)?;
            // Meta sends no delivery id: messages are told apart by their wamid.
            let batch = InboundBatch {
                delivery_id: None,
                items,
                answer: None,
            };
            Ok((batch, elsewhere))
        }
        other => Err(AdapterError::Rejected(format!(
            "{other} is not a method Meta's webhooks use"
        ))),
    }
}

/// Every problem of a configuration, before it is set: the reading each call does.
impl config_check::Guest for WhatsApp {
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

export!(WhatsApp);

#[cfg(test)]
mod fixtures;
