//! `phone`: a channel adapter for Twilio Programmable Voice. It reads Twilio's voice
//! status callbacks (form posts signed with `X-Twilio-Signature`) and reports an
//! inbound call that ended unanswered (`no-answer`, `busy`, `failed`, `canceled`) as a
//! missed call; it sends public replies back to the caller as SMS through Twilio's
//! Messages API. See `plugins/phone/README.md`.
//!
//! This file is the glue between the WIT contract and the plain modules, which hold
//! the logic and its tests: `signature` (Twilio's request signature), `callback` (the
//! status callback's parameters), `render` (the SMS request), `config`, `time`.

mod callback;
mod config;
mod render;
mod signature;
mod time;

#[cfg(test)]
mod fixtures;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

use exports::guichet::plugin::adapter::Inbound;
use exports::guichet::plugin::adapter::{
    AdapterError, Guest, Header, InboundBatch, InboundCall, IncomingRequest, Outbound,
    OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::types::{Action, Channel, Identity, IdentityKind, Requester};
use guichet::plugin::{config as host_config, log, storage};

use callback::{Stage, StatusCallback};
use config::Config;

/// The storage key under which the first callback time of a call in progress is kept.
fn first_seen_key(call_sid: &str) -> String {
    format!("call-first-seen:{call_sid}")
}

fn header<'a>(request: &'a IncomingRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.value.as_str())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn load_config() -> Result<Config, AdapterError> {
    Config::parse(&host_config::get()).map_err(AdapterError::Malformed)
}

struct Phone;

impl Guest for Phone {
    fn served_channel() -> Channel {
        Channel::Phone
    }

    fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
        let config = load_config()?;
        if request.method != "POST" {
            return Err(AdapterError::Rejected(format!(
                "method {}: Twilio's status callback must be set to HTTP POST",
                request.method
            )));
        }
        let signature = header(&request, "x-twilio-signature")
            .ok_or_else(|| AdapterError::Rejected("no X-Twilio-Signature header".into()))?;
        let params = callback::parse_form(&request.body);
        if !signature::verify(&config.auth_token, &config.public_url, &params, signature) {
            return Err(AdapterError::Rejected(
                "X-Twilio-Signature does not match (auth token, or public_url not exactly the URL set in Twilio)"
                    .into(),
            ));
        }
        let callback = StatusCallback::read(&params).map_err(AdapterError::Malformed)?;
        let delivery_id = header(&request, "i-twilio-idempotency-token").map(str::to_string);
        let now = now_ms();
        let mut items = Vec::new();
        if callback.inbound {
            let key = first_seen_key(&callback.call_sid);
            match callback.stage() {
                Stage::Pending => {
                    if storage::get(&key).is_none() {
                        let at = callback.at(now).to_string();
                        if storage::set(&key, at.as_bytes()).is_err() {
                            log::log(
                                log::Level::Warn,
                                &format!("could not remember when call {} rang", callback.call_sid),
                            );
                        }
                    }
                }
                Stage::Missed | Stage::Ended => {
                    let first_seen = storage::get(&key)
                        .and_then(|v| String::from_utf8(v).ok())
                        .and_then(|v| v.parse::<i64>().ok());
                    storage::delete(&key);
                    if let Some(missed) = callback.missed_call(first_seen, now, &config.agents) {
                        log::log(
                            log::Level::Info,
                            &format!(
                                "missed call {} from {} ({})",
                                missed.call_sid, missed.caller, callback.status
                            ),
                        );
                        items.push(Inbound::MissedCall(InboundCall {
                            external_call_id: missed.call_sid,
                            requester: Requester {
                                name: missed.caller_name,
                                identities: vec![Identity {
                                    kind: IdentityKind::Phone,
                                    value: missed.caller,
                                }],
                                language: None,
                            },
                            rang: missed.rang,
                            waited_seconds: missed.waited_seconds,
                            started_at: missed.started_at_ms,
                        }));
                    }
                }
            }
        }
        Ok(InboundBatch {
            delivery_id,
            items,
            answer: None,
        })
    }

    fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
        let config = load_config()?;
        let ticket = &outbound.ticket;
        let to = ticket
            .requester
            .identities
            .iter()
            .find(|i| i.kind == IdentityKind::Phone)
            .map(|i| i.value.as_str());
        let replies: Vec<render::Reply> = outbound
            .actions
            .iter()
            .filter_map(|action| match action {
                Action::PublicReply(reply) => Some(render::Reply {
                    body: reply.body.clone(),
                    by_sms: matches!(
                        reply.channel.unwrap_or(ticket.channel),
                        Channel::Phone | Channel::Sms
                    ),
                }),
                _ => None,
            })
            .collect();
        let requests = render::render(&config, to, &replies).map_err(AdapterError::Malformed)?;
        Ok(requests
            .into_iter()
            .map(|r| OutgoingRequest {
                method: r.method,
                url: r.url,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(name, value)| Header { name, value })
                    .collect(),
                body: r.body.into_bytes(),
            })
            .collect())
    }
}

impl config_check::Guest for Phone {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        Config::check(&config)
            .into_iter()
            .map(|(path, message)| ConfigProblem { path, message })
            .collect()
    }
}

export!(Phone);
