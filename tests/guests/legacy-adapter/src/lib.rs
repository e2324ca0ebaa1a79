//! A channel adapter of the second contract (`guichet:plugin/channel-adapter@0.2.0`),
//! to prove that the host still serves one: it exports `parse-inbound` and
//! `render-outbound`, which 0.3.0 replaced.
//!
//! It speaks a made-up SMS gateway. Configuration: `{"secret": "...", "send_url":
//! "https://..."}`, both required.
//! - Inbound: the header `x-secret` must equal `secret` (else `rejected`); the body is
//!   `{"id": "...", "from": "+33...", "text": "..."}` (else `malformed`), read as one
//!   public message of the requester, on the SMS channel, identified by the phone.
//! - Outbound: each reply is a `POST` of `{"to": <phone>, "text": <body>, "public":
//!   <bool>}` as JSON to `send_url`.

wit_bindgen::generate!({
    path: "../../../wit/v0.2.0",
    world: "guichet:plugin/channel-adapter@0.2.0",
});

use exports::guichet::plugin::adapter::{
    AdapterError, Guest, Header, Inbound, InboundMessage, IncomingRequest, OutboundReply,
    OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::config;
use guichet::plugin::types::{AuthorRole, Channel, Identity, IdentityKind, Requester};
use serde_json::{Value, json};

struct LegacyAdapter;

/// The configuration's string field `key`, if set and not empty.
fn setting(config: &Value, key: &str) -> Option<String> {
    config
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn current_config() -> Value {
    serde_json::from_str(&config::get()).unwrap_or(Value::Null)
}

/// The call's time in milliseconds since the epoch (the host sets the clock), or 0.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

impl Guest for LegacyAdapter {
    fn served_channel() -> Channel {
        Channel::Sms
    }

    fn parse_inbound(request: IncomingRequest) -> Result<Vec<Inbound>, AdapterError> {
        let secret = setting(&current_config(), "secret")
            .ok_or_else(|| AdapterError::Rejected("no `secret` configured".to_string()))?;
        let given = request
            .headers
            .iter()
            .find(|h| h.name == "x-secret")
            .map(|h| h.value.as_str());
        if given != Some(secret.as_str()) {
            return Err(AdapterError::Rejected(
                "missing or wrong x-secret header".to_string(),
            ));
        }
        let body: Value = serde_json::from_slice(&request.body)
            .map_err(|e| AdapterError::Malformed(format!("the body is not JSON: {e}")))?;
        let field = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| AdapterError::Malformed(format!("no string `{name}` in the body")))
        };
        let (id, from, text) = (field("id")?, field("from")?, field("text")?);
        Ok(vec![Inbound::Message(InboundMessage {
            external_ticket_id: None,
            external_message_id: id,
            channel: Channel::Sms,
            requester: Requester {
                name: None,
                identities: vec![Identity {
                    kind: IdentityKind::Phone,
                    value: from,
                }],
                language: None,
            },
            author_role: AuthorRole::Requester,
            subject: None,
            body: text,
            public: true,
            created_at: now_ms(),
        })])
    }

    fn render_outbound(reply: OutboundReply) -> Result<OutgoingRequest, AdapterError> {
        let url = setting(&current_config(), "send_url")
            .ok_or_else(|| AdapterError::Malformed("no `send_url` configured".to_string()))?;
        let to = reply
            .ticket
            .requester
            .identities
            .iter()
            .find(|i| i.kind == IdentityKind::Phone)
            .map(|i| i.value.clone())
            .ok_or_else(|| AdapterError::Malformed("the requester has no phone".to_string()))?;
        let body = json!({"to": to, "text": reply.body, "public": reply.public});
        Ok(OutgoingRequest {
            method: "POST".to_string(),
            url,
            headers: vec![Header {
                name: "content-type".to_string(),
                value: "application/json".to_string(),
            }],
            body: body.to_string().into_bytes(),
        })
    }
}

impl config_check::Guest for LegacyAdapter {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        let Ok(config @ Value::Object(_)) = serde_json::from_str::<Value>(&config) else {
            return vec![ConfigProblem {
                path: String::new(),
                message: "the configuration must be a JSON object".to_string(),
            }];
        };
        ["secret", "send_url"]
            .into_iter()
            .filter(|key| setting(&config, key).is_none())
            .map(|key| ConfigProblem {
                path: format!("/{key}"),
                message: format!("`{key}` is required (a non-empty string)"),
            })
            .collect()
    }
}

export!(LegacyAdapter);
