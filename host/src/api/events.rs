//! Ticket events in: one or a batch, idempotent by key, stored before they are
//! acknowledged, and optionally waited on for the plugins' decisions.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{
    ApiResult, AppState, MAX_BATCH, Problem, answer, body_problem, check_external_id, tenant_access,
};
use crate::model::{Event, EventKind};
use crate::pipeline::EventOutcome;
use crate::store::{Enqueued, Scope};

/// One event, or a batch of 1 to 1,000.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Describes the body for the OpenAPI description; parsed by hand below.
pub(super) enum EventsBody {
    One(Box<Event>),
    Many(Vec<Event>),
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct EventsQuery {
    /// Wait for the plugins' decisions and answer with them.
    #[serde(default)]
    wait: bool,
    /// How long to wait, in milliseconds (default 10,000, at most 60,000).
    #[serde(default)]
    timeout_ms: Option<u64>,
}

/// What became of one event of the body.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct AcceptedEvent {
    event_id: String,
    /// Its place in the tenant's event log; for a duplicate, the first delivery's.
    seq: u64,
    /// The idempotency key was seen before: nothing was stored or processed again.
    duplicate: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct EventsAnswer {
    accepted: Vec<AcceptedEvent>,
    /// With `?wait=true`: what the plugins decided, one entry per new event.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcomes: Option<Vec<EventOutcome>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    note: Option<&'static str>,
}

/// Sends ticket events. Each is stored and flushed to disk before the answer. With
/// an `Idempotency-Key` (in a batch, the key plus `#<index>`), a retried delivery is
/// a no-op. Without `?wait=true` the answer is 202 and the plugins run afterwards.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/events",
    tag = "events",
    params(
        ("tenant" = String, Path, description = "The tenant's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–256 visible ASCII characters, e.g. the helpdesk's delivery id"),
        EventsQuery,
    ),
    request_body = EventsBody,
    responses(
        (status = 200, description = "Processed (`?wait=true`): the decisions and the tickets after them", body = EventsAnswer),
        (status = 202, description = "Stored; processing goes on (or the decisions were not ready in time)", body = EventsAnswer),
    ),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn post_events(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    let Query(query) = query.map_err(|e| {
        Problem::bad_request(
            "invalid-query",
            format!("{}; parameters: wait, timeout_ms", e.body_text()),
        )
    })?;
    let (events, batch) = parse_events(&body.map_err(body_problem)?)?;
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 256)
                .map(str::to_string)
                .ok_or_else(|| {
                    Problem::bad_request(
                        "invalid-idempotency-key",
                        "the Idempotency-Key header must be 1–256 visible ASCII characters",
                    )
                })
        })
        .transpose()?;

    // Persist before acknowledging: every event is stored and flushed to disk
    // before the answer, and only then handed to the pipeline.
    let store = state.store.clone();
    let tenant_id = tenant.clone();
    let now = state.clock.now();
    let enqueued = tokio::task::spawn_blocking(move || {
        let mut results = Vec::with_capacity(events.len());
        for (n, event) in events.iter().enumerate() {
            let key = idempotency_key
                .as_ref()
                .map(|k| if batch { format!("{k}#{n}") } else { k.clone() });
            let result = store.enqueue_event(&tenant_id, event, key.as_deref(), now)?;
            results.push((event.id.clone(), result));
        }
        store.flush()?;
        Ok::<_, crate::store::StoreError>(results)
    })
    .await
    .map_err(Problem::internal)??;

    let mut accepted = Vec::new();
    let mut waiting = Vec::new();
    for (event_id, result) in enqueued {
        let (seq, duplicate) = match result {
            Enqueued::New(stored) => {
                let seq = stored.seq;
                if let Some(rx) = state.pipeline.submit(*stored, query.wait) {
                    waiting.push(rx);
                }
                (seq, false)
            }
            Enqueued::Duplicate { seq } => (seq, true),
        };
        accepted.push(AcceptedEvent {
            event_id,
            seq,
            duplicate,
        });
    }
    if !query.wait {
        return answer(
            StatusCode::ACCEPTED,
            EventsAnswer {
                accepted,
                outcomes: None,
                note: None,
            },
        );
    }
    let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(10_000).min(60_000));
    let mut outcomes = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    for rx in waiting {
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(outcome)) => outcomes.push(outcome),
            _ => {
                return answer(
                    StatusCode::ACCEPTED,
                    EventsAnswer {
                        accepted,
                        outcomes: None,
                        note: Some(
                            "accepted, but the decisions were not ready in time; read the \
                             tickets' audit trail",
                        ),
                    },
                );
            }
        }
    }
    answer(
        StatusCode::OK,
        EventsAnswer {
            accepted,
            outcomes: Some(outcomes),
            note: None,
        },
    )
}

/// Parses one event or a batch, one by one so that a message names the bad one, and
/// checks what storage keys are made of. Returns the events and whether they came as
/// a batch.
fn parse_events(body: &[u8]) -> Result<(Vec<Event>, bool), Problem> {
    let (events, batch) = match serde_json::from_slice::<serde_json::Value>(body) {
        Err(e) => {
            return Err(Problem::bad_request(
                "invalid-json",
                format!("the body is not JSON: {e}"),
            ));
        }
        Ok(serde_json::Value::Array(items)) => {
            let mut events: Vec<Event> = Vec::with_capacity(items.len());
            for (n, item) in items.into_iter().enumerate() {
                events.push(serde_json::from_value(item).map_err(|e| {
                    Problem::bad_request("invalid-event", format!("event {n} of the batch: {e}"))
                })?);
            }
            (events, true)
        }
        Ok(value) => (
            vec![serde_json::from_value(value).map_err(|e| {
                Problem::bad_request("invalid-event", format!("the event is not valid: {e}"))
            })?],
            false,
        ),
    };
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(Problem::bad_request(
            "invalid-batch",
            format!("send 1 to {MAX_BATCH} events"),
        ));
    }
    for (n, event) in events.iter().enumerate() {
        let Some(ticket) = &event.ticket else {
            return Err(Problem::bad_request(
                "invalid-event",
                format!("event {n} (`{}`) carries no `ticket`", event.id),
            ));
        };
        check_external_id("event id", &event.id)?;
        check_external_id("ticket id", &ticket.id)?;
        if matches!(
            event.kind,
            EventKind::TimerFired { .. } | EventKind::ScheduledTick { .. }
        ) {
            return Err(Problem::bad_request(
                "invalid-event",
                format!(
                    "event {n} (`{}`) is a `{}`: the host makes those from the timers and \
                     schedules plugins set; they cannot be sent",
                    event.id,
                    event.kind.name()
                ),
            ));
        }
    }
    Ok((events, batch))
}
