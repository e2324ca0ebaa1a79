//! `app-reviews`: a channel adapter for App Store and Google Play reviews. The stores
//! do not push reviews; the team's relay reads them from the stores' APIs and posts
//! each API response, as is, to the adapter's inbound address, signed with a shared
//! secret. Each review becomes a message on its own ticket (an edited review a new
//! message on the same ticket); a public reply becomes the store's reply request. See
//! `plugins/app-reviews/README.md`.
//!
//! This file is the glue between the WIT contract and the plain modules, which hold
//! the logic and its tests: `signature`, `reviews` (the two stores' responses),
//! `render` (the reply requests), `config`, `time`.

mod config;
mod render;
mod reviews;
mod signature;
mod time;

#[cfg(test)]
mod fixtures;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

use exports::guichet::plugin::adapter::{
    AdapterError, Guest, Header, Inbound, InboundBatch, InboundMessage, IncomingRequest, Outbound,
    OutgoingRequest,
};
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use guichet::plugin::types::{
    Action, AuthorRole, Channel, CustomField, FieldValue, Identity, IdentityKind, Requester,
};
use guichet::plugin::{config as host_config, log};

use config::Config;
use reviews::{Review, Store};
use signature::Refusal;

fn header<'a>(request: &'a IncomingRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.value.as_str())
}

fn load_config() -> Result<Config, AdapterError> {
    Config::parse(&host_config::get()).map_err(AdapterError::Malformed)
}

fn message_of(review: Review) -> Inbound {
    let mut fields = vec![
        CustomField {
            name: "rating".to_string(),
            value: FieldValue::Number(review.rating),
        },
        CustomField {
            name: "store".to_string(),
            value: FieldValue::Text(review.store.name().to_string()),
        },
    ];
    if let Some(territory) = &review.territory {
        fields.push(CustomField {
            name: "territory".to_string(),
            value: FieldValue::Text(territory.clone()),
        });
    }
    if let Some(version) = &review.app_version {
        fields.push(CustomField {
            name: "app_version".to_string(),
            value: FieldValue::Text(version.clone()),
        });
    }
    Inbound::Message(InboundMessage {
        external_ticket_id: Some(review.external_ticket_id()),
        external_message_id: review.external_message_id(),
        channel: Channel::AppStoreReview,
        requester: Requester {
            name: review.author.clone(),
            identities: vec![Identity {
                kind: IdentityKind::AppStore,
                value: review.identity(),
            }],
            language: review.language.clone(),
        },
        author_role: AuthorRole::Requester,
        author: None,
        subject: Some(review.subject()),
        body: review.body,
        public: true,
        created_at: review.written_at_ms,
        ticket_ref: None,
        fields,
    })
}

struct AppReviews;

impl Guest for AppReviews {
    fn served_channel() -> Channel {
        Channel::AppStoreReview
    }

    fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
        let config = load_config()?;
        let signature = header(&request, "x-relay-signature")
            .ok_or_else(|| AdapterError::Rejected("no X-Relay-Signature header".into()))?;
        match signature::verify(&config.relay_secret, &request.body, signature) {
            Ok(()) => {}
            Err(Refusal::Unreadable) => {
                return Err(AdapterError::Rejected(
                    "X-Relay-Signature is not `sha256=<64 hex digits>`".into(),
                ));
            }
            Err(Refusal::Mismatch) => {
                return Err(AdapterError::Rejected(
                    "X-Relay-Signature does not match the body (relay_secret)".into(),
                ));
            }
        }
        let store_header = header(&request, "x-relay-store").unwrap_or_default();
        let store = Store::from_header(store_header).ok_or_else(|| {
            AdapterError::Malformed(format!(
                "X-Relay-Store `{store_header}`: expected `app-store` or `google-play`"
            ))
        })?;
        let reviews = reviews::read(store, &request.body).map_err(AdapterError::Malformed)?;
        log::log(
            log::Level::Info,
            &format!("{} review(s) from {}", reviews.len(), store.name()),
        );
        Ok(InboundBatch {
            delivery_id: None,
            items: reviews.into_iter().map(message_of).collect(),
            answer: None,
        })
    }

    fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
        let config = load_config()?;
        let ticket = &outbound.ticket;
        let replies: Vec<String> = outbound
            .actions
            .iter()
            .filter_map(|action| match action {
                Action::PublicReply(reply)
                    if reply.channel.unwrap_or(ticket.channel) == Channel::AppStoreReview =>
                {
                    Some(reply.body.clone())
                }
                _ => None,
            })
            .collect();
        let requests = render::render(&config, ticket.external_id.as_deref(), &replies)
            .map_err(AdapterError::Malformed)?;
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

impl config_check::Guest for AppReviews {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        Config::check(&config)
            .into_iter()
            .map(|(path, message)| ConfigProblem { path, message })
            .collect()
    }
}

export!(AppReviews);
