//! The outbound notice of an event: what the tenant's webhooks and its live action
//! stream get when plugins returned actions. One typed body, so that the outbox, the
//! stream and the API's description cannot disagree on its shape.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Decision;
use crate::model::Ticket;
use crate::store::{OutboxItem, StoredEvent, Webhook};

/// The decisions applied on one event and the ticket as they left it. JSON: the body
/// of each webhook delivery (signed, see `outbox`) and the `data` of each `actions`
/// event of `GET /v1/tenants/{tenant}/actions/stream`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ActionsNotice {
    /// The tenant's id.
    pub tenant: String,
    /// The id of the event the plugins decided on.
    pub event_id: String,
    /// Its sequence number in the tenant's event log.
    pub event_seq: u64,
    /// The ticket's id; null for a scheduled tick, which concerns no ticket.
    pub ticket_id: Option<String>,
    /// The plugins' decisions that were applied, in order: those with actions and
    /// without an error.
    pub decisions: Vec<Decision>,
    /// The ticket after the decisions; null for a scheduled tick.
    pub ticket: Option<Ticket>,
}

impl ActionsNotice {
    /// The notice of `stored`'s applied decisions, or `None` when no plugin's actions
    /// were applied (nothing is sent then).
    pub fn of(
        stored: &StoredEvent,
        ticket: Option<&Ticket>,
        decisions: &[Decision],
    ) -> Option<ActionsNotice> {
        let applied: Vec<Decision> = decisions
            .iter()
            .filter(|d| d.error.is_none() && !d.actions.is_empty())
            .cloned()
            .collect();
        if applied.is_empty() {
            return None;
        }
        Some(ActionsNotice {
            tenant: stored.tenant.clone(),
            event_id: stored.event.id.clone(),
            event_seq: stored.seq,
            ticket_id: ticket.map(|t| t.id.clone()),
            decisions: applied,
            ticket: ticket.cloned(),
        })
    }

    /// The notice as JSON text, as it is signed and sent.
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("a notice serialises")
    }

    /// One delivery of the notice per webhook, due at `now`; ids are the event's
    /// sequence number and the webhook's name, so a webhook gets a notice once.
    pub fn deliveries(&self, webhooks: Vec<Webhook>, now: DateTime<Utc>) -> Vec<OutboxItem> {
        let body = self.body();
        webhooks
            .into_iter()
            .map(|webhook| OutboxItem {
                id: format!("{:020}-{}", self.event_seq, webhook.name),
                tenant: self.tenant.clone(),
                webhook: webhook.name,
                body: body.clone(),
                request: None,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
            })
            .collect()
    }
}

/// What live listeners receive: every tenant's notices, shared.
pub type NoticeSender = tokio::sync::broadcast::Sender<Arc<ActionsNotice>>;
