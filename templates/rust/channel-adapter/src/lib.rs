//! {{name}}: a guichet channel adapter for an SMS gateway.
//!
//! Inbound: the gateway POSTs `{"id": "…", "from": "+33…", "text": "…", "sent_at": MS}`
//! (milliseconds since the Unix epoch); each delivery becomes one requester message.
//! Outbound: a reply becomes a JSON `POST` of `{"text": "…", "to": "+33…"}` to the
//! configured `send_url` (keys in alphabetical order, as serde_json writes them).
//! Configuration: `{"send_url": "https://…/send"}`.

wit_bindgen::generate!({
    path: "wit",
    world: "{{world}}",
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::adapter::{
    AdapterError, Guest, Header, InboundMessage, IncomingRequest, Inbound, OutboundReply,
    OutgoingRequest,
};
use guichet::plugin::config;
use guichet::plugin::types::{AuthorRole, Channel, Identity, IdentityKind, Requester};

struct Plugin;

impl Guest for Plugin {
    fn served_channel() -> Channel {
        Channel::Sms
    }

    fn parse_inbound(request: IncomingRequest) -> Result<Vec<Inbound>, AdapterError> {
        if request.method != "POST" {
            return Err(AdapterError::Rejected(format!("{} is not a delivery", request.method)));
        }
        let sms: serde_json::Value = serde_json::from_slice(&request.body)
            .map_err(|e| AdapterError::Malformed(format!("the body is not JSON: {e}")))?;
        if !sms.is_object() {
            return Err(AdapterError::Malformed("the body must be a JSON object".to_string()));
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
        Ok(vec![Inbound::Message(InboundMessage {
            external_ticket_id: None,
            external_message_id: field("id")?,
            channel: Channel::Sms,
            requester: Requester {
                name: None,
                identities: vec![Identity { kind: IdentityKind::Phone, value: field("from")? }],
                language: None,
            },
            author_role: AuthorRole::Requester,
            subject: None,
            body: field("text")?,
            public: true,
            created_at: sent_at,
        })])
    }

    fn render_outbound(reply: OutboundReply) -> Result<OutgoingRequest, AdapterError> {
        let phone = reply
            .ticket
            .requester
            .identities
            .iter()
            .find(|i| i.kind == IdentityKind::Phone)
            .ok_or_else(|| AdapterError::Rejected("the requester has no phone number".to_string()))?;
        let config: serde_json::Value = serde_json::from_str(&config::get())
            .map_err(|e| AdapterError::Rejected(format!("configuration is not valid JSON: {e}")))?;
        let url = config["send_url"]
            .as_str()
            .ok_or_else(|| AdapterError::Rejected("configuration: `send_url` is missing".to_string()))?;
        let body = serde_json::json!({ "to": phone.value, "text": reply.body });
        Ok(OutgoingRequest {
            method: "POST".to_string(),
            url: url.to_string(),
            headers: vec![Header {
                name: "content-type".to_string(),
                value: "application/json".to_string(),
            }],
            body: body.to_string().into_bytes(),
        })
    }
}

/// What is wrong with a configuration, before the service sets it (`check-config`).
impl config_check::Guest for Plugin {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        let problem = |path: &str, message: String| ConfigProblem {
            path: path.to_string(),
            message,
        };
        match serde_json::from_str::<serde_json::Value>(&config) {
            Err(e) => vec![problem("", format!("not valid JSON: {e}"))],
            Ok(config) => match config["send_url"].as_str() {
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                    Vec::new()
                }
                Some(url) => vec![problem(
                    "/send_url",
                    format!("`send_url` must be an http(s) URL, not `{url}`"),
                )],
                None => vec![problem("/send_url", "`send_url` is missing".to_string())],
            },
        }
    }
}

export!(Plugin);
