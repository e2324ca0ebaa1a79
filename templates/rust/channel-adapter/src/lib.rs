//! {{name}}: a guichet channel adapter for an SMS gateway.
//!
//! Inbound: the gateway POSTs `{"id": "…", "from": "+33…", "text": "…", "sent_at": MS}`
//! (milliseconds since the Unix epoch) with the shared secret in an `X-Gateway-Secret`
//! header; each delivery becomes one requester message, and its `X-Delivery-Id`
//! header, when sent, lets the host drop a delivery it already received.
//! Outbound: each public reply among a ticket's actions becomes a JSON `POST` of
//! `{"text": "…", "to": "+33…"}` to the configured `send_url` (keys in alphabetical
//! order, as serde_json writes them); other actions have no counterpart on the gateway.
//! Configuration: `{"send_url": "https://…/send", "secret": "…"}`.

wit_bindgen::generate!({
    path: "wit",
    world: "{{world}}",
});

use exports::guichet::plugin::adapter::{
    AdapterError, Guest, Header, Inbound, InboundBatch, InboundMessage, IncomingRequest, Outbound,
    OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::config;
use guichet::plugin::types::{Action, AuthorRole, Channel, Identity, IdentityKind, Requester};

struct Plugin;

/// The configuration, as `check-config` accepted it.
fn settings() -> Result<serde_json::Value, AdapterError> {
    serde_json::from_str(&config::get())
        .map_err(|e| AdapterError::Rejected(format!("configuration is not valid JSON: {e}")))
}

/// The value of the request's header `name` (lower case: the host lowers them).
fn header<'a>(request: &'a IncomingRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.value.as_str())
}

/// Whether `a` and `b` are equal, in a time that does not tell how much of them is.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Guest for Plugin {
    fn served_channel() -> Channel {
        Channel::Sms
    }

    fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
        let config = settings()?;
        let secret = config["secret"].as_str().ok_or_else(|| {
            AdapterError::Rejected("configuration: `secret` is missing".to_string())
        })?;
        match header(&request, "x-gateway-secret") {
            None => {
                return Err(AdapterError::Rejected(
                    "X-Gateway-Secret is missing".to_string(),
                ));
            }
            Some(sent) if !same_secret(sent, secret) => {
                return Err(AdapterError::Rejected(
                    "X-Gateway-Secret does not match the configured `secret`".to_string(),
                ));
            }
            Some(_) => {}
        }
        if request.method != "POST" {
            return Err(AdapterError::Rejected(format!(
                "{} is not a delivery",
                request.method
            )));
        }
        let sms: serde_json::Value = serde_json::from_slice(&request.body)
            .map_err(|e| AdapterError::Malformed(format!("the body is not JSON: {e}")))?;
        if !sms.is_object() {
            return Err(AdapterError::Malformed(
                "the body must be a JSON object".to_string(),
            ));
        }
        let field = |name: &str| {
            sms[name]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| AdapterError::Malformed(format!("`{name}` is missing")))
        };
        let sent_at = sms["sent_at"]
            .as_i64()
            .ok_or_else(|| AdapterError::Malformed("`sent_at` is missing".to_string()))?;
        let message = InboundMessage {
            external_ticket_id: None,
            external_message_id: field("id")?,
            channel: Channel::Sms,
            requester: Requester {
                name: None,
                identities: vec![Identity {
                    kind: IdentityKind::Phone,
                    value: field("from")?,
                }],
                language: None,
            },
            author_role: AuthorRole::Requester,
            author: None,
            subject: None,
            body: field("text")?,
            public: true,
            created_at: sent_at,
            ticket_ref: None,
            fields: Vec::new(),
        };
        Ok(InboundBatch {
            delivery_id: header(&request, "x-delivery-id").map(str::to_string),
            items: vec![Inbound::Message(message)],
            // The gateway does not read the answer: the host's own will do.
            answer: None,
        })
    }

    fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
        let replies: Vec<&str> = outbound
            .actions
            .iter()
            .filter_map(|action| match action {
                Action::PublicReply(reply) => Some(reply.body.as_str()),
                // Notes, tags, statuses… stay in guichet: the gateway only sends texts.
                _ => None,
            })
            .collect();
        if replies.is_empty() {
            return Ok(Vec::new());
        }
        let phone = outbound
            .ticket
            .requester
            .identities
            .iter()
            .find(|i| i.kind == IdentityKind::Phone)
            .ok_or_else(|| {
                AdapterError::Rejected("the requester has no phone number".to_string())
            })?;
        let config = settings()?;
        let url = config["send_url"].as_str().ok_or_else(|| {
            AdapterError::Rejected("configuration: `send_url` is missing".to_string())
        })?;
        Ok(replies
            .into_iter()
            .map(|text| OutgoingRequest {
                method: "POST".to_string(),
                url: url.to_string(),
                headers: vec![Header {
                    name: "content-type".to_string(),
                    value: "application/json".to_string(),
                }],
                body: serde_json::json!({ "to": phone.value, "text": text })
                    .to_string()
                    .into_bytes(),
            })
            .collect())
    }
}

/// What is wrong with a configuration, before the service sets it (`check-config`).
impl config_check::Guest for Plugin {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        let problem = |path: &str, message: String| ConfigProblem {
            path: path.to_string(),
            message,
        };
        let config = match serde_json::from_str::<serde_json::Value>(&config) {
            Err(e) => return vec![problem("", format!("not valid JSON: {e}"))],
            Ok(config) => config,
        };
        let mut problems = Vec::new();
        match config["send_url"].as_str() {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {}
            Some(url) => problems.push(problem(
                "/send_url",
                format!("`send_url` must be an http(s) URL, not `{url}`"),
            )),
            None => problems.push(problem("/send_url", "`send_url` is missing".to_string())),
        }
        match config["secret"].as_str() {
            Some(secret) if !secret.is_empty() => {}
            Some(_) => problems.push(problem("/secret", "`secret` is empty".to_string())),
            None => problems.push(problem("/secret", "`secret` is missing".to_string())),
        }
        problems
    }
}

export!(Plugin);
