//! `whatsapp`: a channel adapter for the WhatsApp Business Cloud API.
//!
//! Inbound: Meta's verification handshake, then `messages` notifications signed with
//! `X-Hub-Signature-256`; each message a customer sends becomes a message on their open
//! WhatsApp ticket. Outbound: public replies become Cloud API text messages. The
//! pieces: `messages.rs` (notifications), `replies.rs` (requests), `config.rs`
//! (WhatsApp's keys); what every Meta adapter does (handshake, signature, the
//! configuration's reading) is in the `meta-webhooks` crate, and this file maps it to
//! the WIT types. See `plugins/whatsapp/README.md`.

mod config;
mod messages;
mod replies;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

use exports::guichet::plugin::adapter::{
    AdapterError, Guest, Header, HttpAnswer, InboundBatch, IncomingRequest, Outbound,
    OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::types::Channel;
use guichet::plugin::{config as host_config, log};
use meta_webhooks::Incoming;

struct WhatsApp;

/// The configuration, or why the adapter cannot work with it.
fn config() -> Result<config::Config, String> {
    config::Config::load(&host_config::get(), &config::KEYS)
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
                    config.node_id
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
    let headers = request
        .headers
        .iter()
        .map(|header| (header.name.as_str(), header.value.as_str()));
    let incoming = meta_webhooks::accept(
        &request.method,
        &request.path,
        headers,
        &request.body,
        config,
    )
    .map_err(AdapterError::Rejected)?;
    match incoming {
        Incoming::Verification { challenge } => {
            let answer = HttpAnswer {
                status: 200,
                headers: vec![Header {
                    name: "content-type".into(),
                    value: meta_webhooks::webhook::CHALLENGE_CONTENT_TYPE.into(),
                }],
                body: challenge.into_bytes(),
            };
            let batch = InboundBatch {
                delivery_id: None,
                items: Vec::new(),
                answer: Some(answer),
            };
            Ok((batch, 0))
        }
        Incoming::Notification { body } => {
            let (items, elsewhere) = messages::read(body, &config.node_id)?;
            // Meta sends no delivery id: messages are told apart by their wamid.
            let batch = InboundBatch {
                delivery_id: None,
                items,
                answer: None,
            };
            Ok((batch, elsewhere))
        }
    }
}

/// Every problem of a configuration, before it is set: the reading each call does.
impl config_check::Guest for WhatsApp {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        match config::parse(&config) {
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
