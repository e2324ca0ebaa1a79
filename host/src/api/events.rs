//! Ticket events in: one or a batch, idempotent by event id and by key, stored before
//! they are acknowledged, and optionally waited on for the plugins' decisions.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use std::borrow::Cow;

use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::openapi::Name;
use super::{
    ApiResult, AppState, MAX_BATCH, Problem, TenantIntegration, answer, body_problem, conforms,
    openapi,
};
use crate::model::{Event, EventKind};
use crate::pipeline::EventOutcome;
use crate::store::Enqueued;

/// The longest `?timeout_ms`.
const MAX_WAIT_MS: u64 = 60_000;

/// The body of `POST …/events`: one event, or a batch of 1 to [`MAX_BATCH`]. Its
/// schema refers to `IncomingEvent`, the model's [`Event`] as a helpdesk may send it
/// (see `openapi::refine`); the body is checked against it, then read as events.
pub(super) struct EventsBody;

impl PartialSchema for EventsBody {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(Ref::from_schema_name("IncomingEvent"))
            .item(
                ArrayBuilder::new()
                    .items(Ref::from_schema_name("IncomingEvent"))
                    .min_items(Some(1))
                    .max_items(Some(MAX_BATCH))
                    .description(Some("A batch: 1 to 1,000 events, processed in order")),
            )
            .description(Some("One event, or a batch of 1 to 1,000."))
            .into()
    }
}

impl ToSchema for EventsBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("EventsBody")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        // `IncomingEvent` is made from these.
        schemas.push((Event::name().into(), Event::schema()));
        <Event as ToSchema>::schemas(schemas);
        schemas.push((
            openapi::ExternalId::name().into(),
            openapi::ExternalId::schema(),
        ));
    }
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct EventsQuery {
    /// Wait for the plugins' decisions and answer with them.
    #[serde(default)]
    pub(super) wait: bool,
    /// How long to wait, in milliseconds (default 10,000, at most 60,000).
    #[serde(default)]
    #[param(minimum = 0, maximum = 60_000)]
    pub(super) timeout_ms: Option<u64>,
}

/// What became of one event of the body.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct AcceptedEvent {
    event_id: String,
    /// Its place in the tenant's event log; for a duplicate, the first delivery's.
    seq: u64,
    /// The event id (or the idempotency key) was seen before for this tenant: a
    /// redelivery; nothing was stored or processed again.
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

/// Sends ticket events. Each is stored and flushed to disk before the answer. An
/// event id is unique per tenant: an event whose id was accepted before is a
/// redelivery, answered as a duplicate with the first one's seq and otherwise a
/// no-op, with or without an `Idempotency-Key`. With the header (in a batch, the key
/// plus `#<index>`), a retried delivery is a no-op too, whatever its ids. Without
/// `?wait=true` the answer is 202 and the plugins run afterwards.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/events",
    tag = "events",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 256, pattern = "^[!-~]([ -~]*[!-~])?$", description = "1–256 visible ASCII characters (spaces inside only), e.g. the helpdesk's delivery id"),
        EventsQuery,
    ),
    request_body = EventsBody,
    responses(
        (status = 200, description = "Processed (`?wait=true`): the decisions and the tickets after them", body = EventsAnswer),
        (status = 202, description = "Stored; processing goes on (or the decisions were not ready in time)", body = EventsAnswer),
        (status = 429, description = "The tenant's backlog is full (`backlog-full`): nothing was stored; send the request again after the `Retry-After` header's seconds", body = Problem, content_type = "application/problem+json"),
    ),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn post_events(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path(tenant): Path<String>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let query = wait_query(query)?;
    let (events, batch) = parse_events(&body.map_err(body_problem)?)?;
    let idempotency_key = idempotency_key(&headers)?;
    state
        .pipeline
        .admit(&tenant, events.len())
        .map_err(super::backlogged)?;

    // Persist before acknowledging: every event is stored and flushed to disk
    // before the answer, and only then handed to the pipeline, on a task of its own:
    // a caller that hangs up cannot leave events stored but never handed over.
    let (store, pipeline) = (state.store.clone(), state.pipeline.clone());
    let tenant_id = tenant.clone();
    let now = state.clock.now();
    let wait = query.wait;
    let stored = tokio::spawn(async move {
        // Each event is committed on its own: those committed before a failure are
        // handed over all the same (their retry would be a duplicate, never run).
        let (enqueued, failure) = tokio::task::spawn_blocking(move || {
            let mut results = Vec::with_capacity(events.len());
            for (n, event) in events.iter().enumerate() {
                let key = idempotency_key
                    .as_ref()
                    .map(|k| if batch { format!("{k}#{n}") } else { k.clone() });
                match store.enqueue_event(&tenant_id, event, key.as_deref(), now) {
                    Ok(result) => results.push((event.id.clone(), result)),
                    Err(e) => return (results, Some(e)),
                }
            }
            let failure = store.flush().err();
            (results, failure)
        })
        .await
        .map_err(Problem::internal)?;
        let mut accepted = Vec::new();
        let mut waiting = Vec::new();
        for (event_id, result) in enqueued {
            let (seq, duplicate) = match result {
                Enqueued::New(stored) => {
                    let seq = stored.seq;
                    if let Some(rx) = pipeline.submit(*stored, wait) {
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
        if let Some(e) = failure {
            // Not acknowledged: the helpdesk sends them again, duplicates for those
            // already handed over.
            return Err(Problem::from(e));
        }
        Ok::<_, Problem>((accepted, waiting))
    });
    let (accepted, waiting) = stored.await.map_err(Problem::internal)??;
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
    let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(10_000));
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

/// Parses one event or a batch: checked against the description's `EventsBody` first
/// (ids, a ticket on each, 1 to 1,000 events, closed objects), then read as events.
/// `?wait=&timeout_ms=` as given, or the problem with them.
pub(super) fn wait_query(
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<EventsQuery, Problem> {
    let Query(query) = query.map_err(|e| {
        Problem::bad_request(
            "invalid-query",
            format!("{}; parameters: wait, timeout_ms", e.body_text()),
        )
    })?;
    if query.timeout_ms.is_some_and(|t| t > MAX_WAIT_MS) {
        return Err(Problem::bad_request(
            "invalid-query",
            format!("timeout_ms may be at most {MAX_WAIT_MS} (a minute)"),
        ));
    }
    Ok(query)
}

/// The request's `Idempotency-Key`, if it has a valid one.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .ok()
                .filter(|k| openapi::is_idempotency_key(k))
                .map(str::to_string)
                .ok_or_else(|| {
                    Problem::bad_request(
                        "invalid-idempotency-key",
                        "the Idempotency-Key header must be 1–256 visible ASCII characters, \
                         with spaces inside only",
                    )
                })
        })
        .transpose()
}

/// Returns the events and whether they came as a batch.
pub(super) fn parse_events(body: &[u8]) -> Result<(Vec<Event>, bool), Problem> {
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request("invalid-json", format!("the body is not JSON: {e}")))?;
    super::conform::whole_numbers_as_integers(&mut value);
    let items: Vec<&Value> = match &value {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    // The host's own kinds, named as such before the general check.
    for (n, item) in items.iter().enumerate() {
        if let Some(kind) = item
            .pointer("/kind/type")
            .and_then(Value::as_str)
            .filter(|kind| EventKind::NOT_SENDABLE.contains(kind))
        {
            return Err(Problem::bad_request(
                "invalid-event",
                format!(
                    "event {n} is a `{kind}`: the host makes those from the timers and \
                     schedules plugins set, from its adapters' helpdesk webhooks, from \
                     merges and from the macros route; they cannot be sent"
                ),
            ));
        }
    }
    conforms(&value, &openapi::schema_ref("EventsBody"), |e| {
        Problem::bad_request("invalid-event", format!("the events are not valid: {e}"))
    })?;
    let batch = value.is_array();
    let events = items
        .into_iter()
        .enumerate()
        .map(|(n, item)| {
            Event::deserialize(item)
                .map_err(|e| Problem::bad_request("invalid-event", format!("event {n}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((events, batch))
}
